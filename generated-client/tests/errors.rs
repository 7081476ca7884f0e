//! Every way a call can fail, over real HTTP on loopback, and what the error keeps. Also:
//! no client, builder or error ever shows the app token.

mod common;

use agora_chat::auth::{AuthError, BoxFuture, TokenSource};
use agora_chat::error::Delivery;
use agora_chat::operations::ListJoinedChatroomsQuery;
use agora_chat::retry::{Jitter, RetryPolicy, StopReason};
use agora_chat::types::{ChatroomId, CreateChatroom, ErrorBody, ErrorCode, UpdateChatroom};
use agora_chat::{ApiError, Error, RawBody, Secret};
use common::{Canned, NOWHERE, TOKEN, TestServer, assert_no_token, fixture, raw_server};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn id() -> ChatroomId {
    ChatroomId::new("66213271109633")
}

/// The `ApiError` of a failed call.
fn api_error<T: std::fmt::Debug>(result: Result<T, Error>) -> (Error, ApiError) {
    let err = result.expect_err("the call fails");
    assert_no_token(&err);
    let api = err
        .api()
        .cloned()
        .unwrap_or_else(|| panic!("not an API error: {err:?}"));
    (err, api)
}

// ---------------------------------------------------------------- error bodies

#[tokio::test]
async fn json_error_body_keeps_every_field() {
    let server = TestServer::start(Canned::json(404, fixture("error_not_found.json"))).await;
    let (err, api) = api_error(server.client().get_chatrooms(&[id()]).await);
    assert_eq!(api.operation, "get_chatrooms");
    assert_eq!(api.status, 404);
    assert_eq!(
        api.body,
        ErrorBody::default()
            .error(ErrorCode::ServiceResourceNotFound)
            .exception(
                ErrorCode::ServiceResourceNotFound
                    .exception()
                    .unwrap_or_default()
            )
            .timestamp(1542799099701i64)
            .duration(0i64)
            .error_description("Service resource not found")
    );
    assert_eq!(api.raw_body, None, "the body was the service's JSON");
    assert_eq!(api.retry_after, None);
    assert_eq!(err.code(), Some(&ErrorCode::ServiceResourceNotFound));
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.operation(), "get_chatrooms");
    assert_eq!(api.description(), Some("Service resource not found"));
    // The documented body's exception class is the one in the spec's error table.
    assert_eq!(
        api.exception(),
        ErrorCode::ServiceResourceNotFound.exception()
    );
    assert_eq!(
        err.to_string(),
        "get_chatrooms: HTTP 404 service_resource_not_found: Service resource not found"
    );
}

#[tokio::test]
async fn unknown_error_code_is_kept() {
    let server = TestServer::start(Canned::json(
        400,
        r#"{"error":"x","error_description":"something new"}"#,
    ))
    .await;
    let (err, api) = api_error(
        server
            .client()
            .create_chatroom(&CreateChatroom::new("n", "d", "alice"))
            .await,
    );
    assert_eq!(api.code(), Some(&ErrorCode::Unknown("x".to_owned())));
    assert_eq!(api.body.exception, None);
    assert_eq!(api.body.timestamp, None);
    assert_eq!(api.raw_body, None);
    assert_eq!(
        err.to_string(),
        "create_chatroom: HTTP 400 x: something new"
    );
}

#[test]
fn every_documented_code_decodes() {
    let codes = [
        ("invalid_parameter", ErrorCode::InvalidParameter),
        ("illegal_argument", ErrorCode::IllegalArgument),
        ("json_parse", ErrorCode::JsonParse),
        (
            "required_property_not_found",
            ErrorCode::RequiredPropertyNotFound,
        ),
        ("unauthorized", ErrorCode::Unauthorized),
        ("auth_bad_access_token", ErrorCode::AuthBadAccessToken),
        ("forbidden_op", ErrorCode::ForbiddenOp),
        ("exceed_limit", ErrorCode::ExceedLimit),
        (
            "service_resource_not_found",
            ErrorCode::ServiceResourceNotFound,
        ),
        ("resource_not_found", ErrorCode::ResourceNotFound),
        (
            "organization_application_not_found",
            ErrorCode::OrganizationApplicationNotFound,
        ),
        ("web_application", ErrorCode::WebApplication),
        ("reach_limit", ErrorCode::ReachLimit),
        ("resource_limited", ErrorCode::ResourceLimited),
        (
            "unsupported_service_operation",
            ErrorCode::UnsupportedServiceOperation,
        ),
    ];
    for (wire, code) in codes {
        let body: ErrorBody =
            serde_json::from_str(&format!(r#"{{"error":"{wire}"}}"#)).expect("decodes");
        assert_eq!(body.error.as_ref(), Some(&code), "{wire}");
        assert_eq!(code.as_str(), wire);
        assert_eq!(
            serde_json::to_string(&code).expect("serializes"),
            format!("\"{wire}\"")
        );
    }
    // Codes are case-sensitive on the wire: another spelling is kept, not guessed.
    assert_eq!(
        ErrorCode::from_wire("Unauthorized"),
        ErrorCode::Unknown("Unauthorized".to_owned())
    );
}

#[tokio::test]
async fn html_502_page_is_kept_bounded() {
    let mut html = String::from("<html><head><title>502 Bad Gateway</title></head><body>");
    while html.len() < 10_000 {
        html.push_str("<p>upstream unavailable</p>");
    }
    html.push_str("</body></html>");
    let total = html.len();
    let server = TestServer::start(Canned::raw(502, "text/html", html.clone())).await;
    let (err, api) = api_error(server.client().delete_chatroom(&id()).await);
    assert_eq!(api.status, 502);
    assert_eq!(api.body, ErrorBody::default());
    let raw = api.raw_body.clone().expect("the raw body is kept");
    assert_eq!(raw.len, total);
    assert_eq!(raw.text.len(), RawBody::LIMIT);
    assert_eq!(raw.text, html[..RawBody::LIMIT]);
    assert!(raw.is_truncated());
    let message = err.last().to_string();
    assert!(
        message
            .starts_with("delete_chatroom: HTTP 502; body: \"<html><head><title>502 Bad Gateway"),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("(first 4096 of {total} bytes)")),
        "{message}"
    );
    assert_eq!(err.code(), None);
    assert_eq!(err.status(), Some(502));

    // A short page is kept whole.
    server.answer(Canned::raw(504, "text/html", "<h1>Gateway Timeout</h1>"));
    let (_, api) = api_error(server.client().delete_chatroom(&id()).await);
    let raw = api.raw_body.expect("kept");
    assert_eq!(raw.text, "<h1>Gateway Timeout</h1>");
    assert_eq!(raw.len, 24);
    assert!(!raw.is_truncated());
}

#[tokio::test]
async fn raw_body_is_not_cut_inside_a_character() {
    // One ASCII byte, then two-byte characters: byte 4096 is the middle of a character.
    let body = format!("<{}", "é".repeat(3000));
    let server =
        TestServer::start(Canned::raw(502, "text/html; charset=utf-8", body.clone())).await;
    let (_, api) = api_error(server.client().delete_chatroom(&id()).await);
    let raw = api.raw_body.expect("kept");
    assert_eq!(raw.len, body.len());
    assert!(
        raw.text.len() <= RawBody::LIMIT,
        "{} bytes kept",
        raw.text.len()
    );
    assert!(
        body.starts_with(&raw.text),
        "the kept text is not a prefix of the body"
    );
}

#[tokio::test]
async fn empty_503_body() {
    let server = TestServer::start(Canned::raw(503, "text/plain", "")).await;
    let (err, api) = api_error(
        server
            .client()
            .list_joined_chatrooms("alice", &Default::default())
            .await,
    );
    assert_eq!(api.status, 503);
    assert_eq!(api.body, ErrorBody::default());
    let raw = api.raw_body.expect("the (empty) raw body is kept");
    assert_eq!((raw.text.as_str(), raw.len), ("", 0));
    assert_eq!(
        err.last().to_string(),
        "list_joined_chatrooms: HTTP 503; body: (empty)"
    );
}

#[tokio::test]
async fn truncated_json_error_body() {
    let truncated = r#"{"error":"service_resource_not_found","exception":"org.apache.usergr"#;
    let server = TestServer::start(Canned::json(500, truncated)).await;
    let (err, api) = api_error(server.client().delete_chatroom(&id()).await);
    assert_eq!(api.status, 500);
    assert_eq!(
        api.body,
        ErrorBody::default(),
        "nothing is guessed from a broken body"
    );
    let raw = api.raw_body.expect("kept");
    assert_eq!(raw.text, truncated);
    assert_eq!(raw.len, truncated.len());
    assert!(
        err.to_string().contains("service_resource_not_found"),
        "{err}"
    );
    assert_eq!(err.code(), None);
}

#[tokio::test]
async fn json_error_body_of_another_shape_keeps_the_raw_body() {
    let gateway = r#"{"message":"upstream request timeout","code":504}"#;
    let server = TestServer::start(Canned::json(504, gateway)).await;
    let (err, api) = api_error(server.client().delete_chatroom(&id()).await);
    assert_eq!(api.body, ErrorBody::default());
    assert_eq!(api.raw_body.map(|raw| raw.text), Some(gateway.to_owned()));
    assert!(
        err.to_string().contains("upstream request timeout"),
        "{err}"
    );
}

// ---------------------------------------------------------------- 2xx bodies

#[tokio::test]
async fn malformed_200_body_is_a_decode_error() {
    let server = TestServer::start(Canned::raw(200, "text/html", "<html>maintenance</html>")).await;
    let client = server.client();
    let err = client.delete_chatroom(&id()).await.expect_err("not JSON");
    assert_no_token(&err);
    match &err {
        Error::Decode {
            operation,
            status,
            body,
            source,
        } => {
            assert_eq!(*operation, "delete_chatroom");
            assert_eq!(*status, 200);
            assert_eq!(body.text, "<html>maintenance</html>");
            assert_eq!(body.len, 24);
            assert!(source.is_syntax(), "{source}");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    assert_eq!(err.status(), Some(200));
    assert!(
        err.to_string()
            .contains("body: \"<html>maintenance</html>\""),
        "{err}"
    );

    // JSON of the wrong shape, an empty body, a truncated envelope.
    for body in [
        r#"{"data":{"success":"yes"}}"#,
        "",
        r#"{"data":{"success":true,"id":"1""#,
        "[]",
    ] {
        server.answer(Canned::json(200, body));
        match client.delete_chatroom(&id()).await {
            Err(Error::Decode { body: raw, .. }) => assert_eq!(raw.text, body),
            other => panic!("{body:?}: expected Error::Decode, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn body_larger_than_the_limit_is_refused() {
    let envelope = fixture("delete_response.json");
    let limit = envelope.len() + 10;
    let server = TestServer::start(Canned::json(200, envelope.clone())).await;
    let client = server
        .builder()
        .max_response_bytes(limit)
        .build()
        .expect("valid config");
    // Up to the limit: accepted.
    client
        .delete_chatroom(&id())
        .await
        .expect("within the limit");
    let exact = format!("{envelope}{}", " ".repeat(10));
    server.answer(Canned::json(200, exact));
    client
        .delete_chatroom(&id())
        .await
        .expect("exactly at the limit");
    // One byte more: refused.
    server.answer(Canned::json(200, format!("{envelope}{}", " ".repeat(11))));
    let err = client.delete_chatroom(&id()).await.expect_err("too large");
    assert_no_token(&err);
    match &err {
        Error::ResponseTooLarge {
            operation,
            status,
            limit: l,
        } => assert_eq!((*operation, *status, *l), ("delete_chatroom", 200, limit)),
        other => panic!("expected Error::ResponseTooLarge, got {other:?}"),
    }
    assert_eq!(err.status(), Some(200));
    // The same for an error status.
    server.answer(Canned::raw(500, "text/html", "x".repeat(limit + 1)));
    assert!(matches!(
        client.delete_chatroom(&id()).await,
        Err(Error::ResponseTooLarge { status: 500, .. })
    ));
}

#[tokio::test]
async fn chunked_body_larger_than_the_limit_is_refused() {
    // No Content-Length: the limit is enforced while reading.
    let chunk = format!("{:x}\r\n{}\r\n", 1000, "x".repeat(1000));
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{}{}{}0\r\n\r\n",
        chunk, chunk, chunk
    );
    let (addr, _task) = raw_server(reply.into_bytes(), Duration::from_millis(50)).await;
    let client = common::builder(&format!("http://{addr}"))
        .max_response_bytes(2048)
        .build()
        .expect("valid config");
    let result = client.delete_chatroom(&id()).await;
    assert!(
        matches!(
            result,
            Err(Error::ResponseTooLarge {
                status: 200,
                limit: 2048,
                ..
            })
        ),
        "{result:?}"
    );
}

// ---------------------------------------------------------------- status details

#[tokio::test]
async fn retry_after_is_kept() {
    let body =
        r#"{"error":"reach_limit","error_description":"This request has reached api limit"}"#;
    let server = TestServer::start(Canned::json(429, body).header("retry-after", "3")).await;
    let (err, api) = api_error(server.client().get_chatrooms(&[id()]).await);
    assert_eq!(api.retry_after, Some(Duration::from_secs(3)));
    assert_eq!(api.code(), Some(&ErrorCode::ReachLimit));
    assert_eq!(err.status(), Some(429));
    // A value that is not a number of seconds is not guessed at.
    server.answer(Canned::json(429, body).header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"));
    let (_, api) = api_error(server.client().get_chatrooms(&[id()]).await);
    assert_eq!(api.retry_after, None);
}

#[tokio::test]
async fn update_not_applied_is_an_error() {
    let server = TestServer::start(Canned::json(
        200,
        r#"{"data":{"groupname":true,"maxusers":false},"timestamp":1542545100474}"#,
    ))
    .await;
    let body = UpdateChatroom::default().name("new").maxusers(20u32);
    let err = server
        .client()
        .update_chatroom(&id(), &body)
        .await
        .expect_err("partial");
    assert_no_token(&err);
    match &err {
        Error::NotApplied {
            operation,
            fields,
            meta,
        } => {
            assert_eq!(*operation, "update_chatroom");
            assert_eq!(fields, &["maxusers"]);
            assert_eq!(meta.timestamp, Some(1542545100474));
        }
        other => panic!("expected Error::NotApplied, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "update_chatroom: the service did not apply [\"maxusers\"]"
    );
    // `groupname` is the flag of `name`.
    server.answer(Canned::json(
        200,
        r#"{"data":{"groupname":false,"description":false}}"#,
    ));
    let body = UpdateChatroom::default().name("new").description("d");
    match server.client().update_chatroom(&id(), &body).await {
        Err(Error::NotApplied { fields, .. }) => assert_eq!(fields, ["name", "description"]),
        other => panic!("expected Error::NotApplied, got {other:?}"),
    }
}

// ---------------------------------------------------------------- transport

#[tokio::test]
async fn slow_response_times_out() {
    let server = TestServer::start(
        Canned::json(200, fixture("delete_response.json")).delay(Duration::from_secs(5)),
    )
    .await;
    let client = server
        .builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("valid config");
    // Answered after 5 s: only the 300 ms attempt timeout can end the call first.
    let err = client.delete_chatroom(&id()).await.expect_err("timed out");
    assert_no_token(&err);
    match err.last() {
        Error::Timeout { operation, source } => {
            assert_eq!(*operation, "delete_chatroom");
            assert!(source.is_timeout());
        }
        other => panic!("expected Error::Timeout, got {other:?}"),
    }
    assert_eq!(err.status(), None);
    assert_eq!(server.requests().len(), 1, "the request was sent once");
}

#[tokio::test]
async fn stalled_body_times_out() {
    let reply = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"data\":".to_vec();
    let (addr, _task) = raw_server(reply, Duration::from_secs(5)).await;
    let client = common::builder(&format!("http://{addr}"))
        .timeout(Duration::from_millis(300))
        .build()
        .expect("valid config");
    let err = client.delete_chatroom(&id()).await.expect_err("timed out");
    assert!(matches!(err.last(), Error::Timeout { .. }), "{err:?}");
}

/// A server that answers after a minute.
fn answering_late() -> Canned {
    Canned::json(200, fixture("delete_response.json")).delay(Duration::from_secs(60))
}

/// A client of `server` whose one attempt per call gives up after 200 ms.
fn impatient(server: &TestServer) -> agora_chat::Client {
    server
        .builder()
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("valid config")
}

fn assert_timed_out(err: &Error) {
    assert!(matches!(err.last(), Error::Timeout { .. }), "{err:?}");
}

/// The attempts' time limits are kept by one timer per client (its ticker runs on one of
/// the workers): calls on both workers, all stalled, each end at their own limit. The outer
/// limit turns a call that is never woken into a failure instead of a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_stalled_calls_on_two_workers_all_time_out() {
    let server = TestServer::start(answering_late()).await;
    let client = impatient(&server);
    let calls = (0..32).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.delete_chatroom(&id()).await })
    });
    let outcomes = tokio::time::timeout(
        Duration::from_secs(30),
        futures_util::future::join_all(calls),
    )
    .await
    .expect("every call ended by its own time limit");
    for outcome in outcomes {
        assert_timed_out(&outcome.expect("task").expect_err("timed out"));
    }
}

/// One client, calls from two current-thread runtimes at once: the ticker runs on one of
/// them, so the other's calls keep a timer of their own. Both time out.
#[test]
fn a_client_shared_by_two_runtimes_times_out_on_both() {
    let server_runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = server_runtime.block_on(TestServer::start(answering_late()));
    let client = impatient(&server);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let room = id();
                runtime.block_on(async {
                    let calls = (0..4).map(|_| client.delete_chatroom(&room));
                    let all = futures_util::future::join_all(calls);
                    tokio::time::timeout(Duration::from_secs(30), all).await
                })
            })
        })
        .collect();
    for thread in threads {
        let outcomes = thread
            .join()
            .expect("thread")
            .expect("every call ended by its own time limit");
        for outcome in outcomes {
            assert_timed_out(&outcome.expect_err("timed out"));
        }
    }
}

#[tokio::test]
async fn connection_closed_mid_body_is_a_transport_error() {
    let reply = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"data\":".to_vec();
    let (addr, _task) = raw_server(reply, Duration::ZERO).await;
    let client = common::client(&format!("http://{addr}"));
    let err = client.delete_chatroom(&id()).await.expect_err("cut short");
    match err.last() {
        Error::Transport { source, .. } => assert!(!source.is_connect(), "{source:?}"),
        other => panic!("expected Error::Transport, got {other:?}"),
    }
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let addr = common::closed_port().await;
    for base in [format!("http://{addr}"), NOWHERE.to_owned()] {
        let err = common::client(&base)
            .delete_chatroom(&id())
            .await
            .expect_err("nothing listens");
        assert_no_token(&err);
        match err.last() {
            Error::Transport { operation, source } => {
                assert_eq!(*operation, "delete_chatroom");
                assert!(source.is_connect(), "{source:?}");
            }
            other => panic!("expected Error::Transport, got {other:?}"),
        }
        assert_eq!(err.status(), None);
        assert_eq!(err.api(), None);
    }
}

// ---------------------------------------------------------------- retries

/// `max_attempts` attempts, 10 ms apart, waits capped at 50 ms.
fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(max_attempts)
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(50))
        .jitter(Jitter::None)
}

#[tokio::test]
async fn retried_errors_keep_the_last_answer() {
    let server = TestServer::start(Canned::raw(503, "text/plain", "")).await;
    let client = server
        .builder()
        .retry_policy(fast_retries(3))
        .build()
        .expect("valid config");
    let err = client
        .delete_chatroom(&id())
        .await
        .expect_err("503 each time");
    assert_no_token(&err);
    match &err {
        Error::RetriesExhausted {
            operation,
            attempts,
            reason,
            delivery,
            ..
        } => {
            assert_eq!(*operation, "delete_chatroom");
            assert_eq!(*attempts, 3);
            assert_eq!(*reason, StopReason::MaxAttempts);
            assert_eq!(*delivery, Delivery::Answered);
        }
        other => panic!("expected Error::RetriesExhausted, got {other:?}"),
    }
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.status(), Some(503));
    let api = err.api().expect("the last answer");
    assert_eq!(api.raw_body.as_ref().map(|raw| raw.len), Some(0));
    assert_eq!(server.take_requests().len(), 3);
    // The last answer is the source, not repeated in the message.
    assert_eq!(
        err.to_string(),
        "delete_chatroom: attempt limit reached after 3 attempt(s)"
    );
    let source = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(
        source.as_deref(),
        Some("delete_chatroom: HTTP 503; body: (empty)")
    );

    // A 429's Retry-After is honoured within the policy's cap, and kept.
    server.answer(Canned::json(429, r#"{"error":"reach_limit"}"#).header("retry-after", "3"));
    // (The wait is capped by the policy's longest delay: see the retry tests' decided delays.)
    // Under a deadline a quota 429 is retried until the deadline (issue 18); without one the
    // attempt limit still ends it.
    let no_deadline = fast_retries(3).deadline(None);
    let err = client
        .with_retry(no_deadline)
        .delete_chatroom(&id())
        .await
        .expect_err("429 each time");
    assert_eq!(
        err.api().and_then(|api| api.retry_after),
        Some(Duration::from_secs(3))
    );
    assert_eq!(err.code(), Some(&ErrorCode::ReachLimit));
    assert_eq!(server.take_requests().len(), 3);

    // A transient failure, then the answer.
    server.answer_in_turn(vec![
        Canned::raw(502, "text/html", "<h1>502</h1>"),
        Canned::json(200, fixture("delete_response.json")),
    ]);
    let response = client
        .delete_chatroom(&id())
        .await
        .expect("the second attempt");
    assert!(response.data.success);
    assert_eq!(server.take_requests().len(), 2);
}

#[tokio::test]
async fn final_answers_and_unsafe_operations_are_not_retried() {
    let server = TestServer::start(Canned::json(404, fixture("error_not_found.json"))).await;
    let client = server
        .builder()
        .retry_policy(fast_retries(3))
        .build()
        .expect("valid config");
    let err = client.delete_chatroom(&id()).await.expect_err("404");
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    assert_eq!(server.take_requests().len(), 1);

    // A create that may have been processed is not sent again.
    server.answer(Canned::raw(502, "text/html", "<h1>502</h1>"));
    let err = client
        .create_chatroom(&CreateChatroom::new("n", "d", "alice"))
        .await
        .expect_err("502");
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.take_requests().len(), 1);
}

#[tokio::test]
async fn refused_connections_are_retried_and_known_unsent() {
    let addr = common::closed_port().await;
    let client = common::builder(&format!("http://{addr}"))
        .retry_policy(fast_retries(2))
        .build()
        .expect("valid config");
    let err = client
        .create_chatroom(&CreateChatroom::new("n", "d", "alice"))
        .await
        .expect_err("nothing listens");
    assert_no_token(&err);
    assert_eq!(err.attempts(), 2, "{err:?}");
    assert_eq!(err.delivery(), Delivery::NotSent);
    assert!(matches!(err.last(), Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn without_retries_errors_are_not_wrapped() {
    let server = TestServer::start(Canned::raw(503, "text/plain", "")).await;
    let err = server
        .client()
        .delete_chatroom(&id())
        .await
        .expect_err("503");
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    let addr = common::closed_port().await;
    let err = common::client(&format!("http://{addr}"))
        .delete_chatroom(&id())
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn unbuildable_request_is_neither_retried_nor_reported_as_maybe_sent() {
    let server = TestServer::start(Canned::json(200, fixture("delete_response.json"))).await;
    let client = server
        .builder()
        .app_token("line1\nline2")
        .retry_policy(fast_retries(4))
        .build()
        .expect("valid config");
    let err = client
        .create_chatroom(&CreateChatroom::new("n", "d", "alice"))
        .await
        .expect_err("not a header value");
    assert!(server.requests().is_empty());
    assert_eq!(err.delivery(), Delivery::NotSent, "{err:?}");
    let err = client
        .delete_chatroom(&id())
        .await
        .expect_err("not a header value");
    assert_eq!(err.attempts(), 1, "{err:?}");
}

// ---------------------------------------------------------------- tokens

/// Hands out `{TOKEN}-0`, then `{TOKEN}-1` after the first is invalidated, and so on.
#[derive(Debug, Default)]
struct Rotating {
    generation: AtomicUsize,
    invalidated: AtomicUsize,
}

impl TokenSource for Rotating {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        let generation = self.generation.load(Ordering::SeqCst);
        Box::pin(std::future::ready(Ok(Secret::new(format!(
            "{TOKEN}-{generation}"
        )))))
    }

    fn invalidate(&self, _rejected: &Secret) -> bool {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        true
    }
}

/// Shares one `Rotating` between the test and the client.
#[derive(Debug)]
struct Shared(Arc<Rotating>);

impl TokenSource for Shared {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        self.0.token()
    }

    fn invalidate(&self, rejected: &Secret) -> bool {
        self.0.invalidate(rejected)
    }
}

const EXPIRED: &str = r#"{"error":"unauthorized","error_description":"Unable to authenticate due to expired access token"}"#;

#[tokio::test]
async fn expired_token_is_replaced_once() {
    let server = TestServer::start(Canned::json(401, EXPIRED)).await;
    let tokens = Arc::new(Rotating::default());
    let client = server
        .builder()
        .token_source(Shared(tokens.clone()))
        .build()
        .expect("valid config");
    let (err, api) = api_error(client.delete_chatroom(&id()).await);
    assert_eq!(api.code(), Some(&ErrorCode::Unauthorized));
    assert_eq!(err.status(), Some(401));
    let auth: Vec<String> = server
        .take_requests()
        .iter()
        .map(|r| r.header("authorization").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        auth,
        [format!("Bearer {TOKEN}-0"), format!("Bearer {TOKEN}-1")]
    );
    assert_eq!(
        tokens.invalidated.load(Ordering::SeqCst),
        1,
        "retried once only"
    );

    // Wrong credentials are not retried.
    server.answer(Canned::json(
        401,
        r#"{"error":"auth_bad_access_token","error_description":"Unable to authenticate due to corrupt access token"}"#,
    ));
    let (_, api) = api_error(client.delete_chatroom(&id()).await);
    assert_eq!(api.code(), Some(&ErrorCode::AuthBadAccessToken));
    assert_eq!(server.take_requests().len(), 1);

    // A fixed token cannot be replaced: sent once.
    server.answer(Canned::json(401, EXPIRED));
    let (_, api) = api_error(server.client().delete_chatroom(&id()).await);
    assert_eq!(api.status, 401);
    assert_eq!(server.take_requests().len(), 1);
}

#[derive(Debug)]
struct Failing;

impl TokenSource for Failing {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(std::future::ready(Err(AuthError::Source(
            "vault unreachable".to_owned(),
        ))))
    }
}

#[tokio::test]
async fn token_source_failure_sends_nothing() {
    let server = TestServer::start(Canned::json(200, fixture("delete_response.json"))).await;
    let client = server
        .builder()
        .token_source(Failing)
        .build()
        .expect("valid config");
    let err = client.delete_chatroom(&id()).await.expect_err("no token");
    assert!(
        matches!(&err, Error::Auth { operation: "delete_chatroom", source: AuthError::Source(m) } if m == "vault unreachable"),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn client_and_builder_never_show_the_token() {
    let builder = common::builder("https://a41.chat.agora.io");
    let debug = format!("{builder:?} {builder:#?}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains("SECRET"),
        "{debug}"
    );
    let client = builder.build().expect("valid config");
    let debug = format!("{client:?} {client:#?}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains("SECRET"),
        "{debug}"
    );
    let tokens = Shared(Arc::new(Rotating::default()));
    let client = common::builder("https://a41.chat.agora.io")
        .token_source(tokens)
        .build()
        .expect("valid config");
    let debug = format!("{client:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
}

#[tokio::test]
async fn a_token_that_is_not_a_header_value_is_not_shown() {
    let secret = "line1\nSECRET-line2";
    let server = TestServer::start(Canned::json(200, fixture("delete_response.json"))).await;
    let client = server
        .builder()
        .app_token(secret)
        .build()
        .expect("valid config");
    let err = client
        .delete_chatroom(&id())
        .await
        .expect_err("not a header value");
    assert!(matches!(err.last(), Error::Transport { .. }), "{err:?}");
    for text in [format!("{err:?}"), format!("{err:#?}"), err.to_string()] {
        assert!(!text.contains("SECRET"), "{text}");
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_names_only_its_origin() {
    let elsewhere = TestServer::start(Canned::json(200, fixture("delete_response.json"))).await;
    let location = format!("{}/demo/app/chatrooms/66213271109633", elsewhere.base_url());
    let server =
        TestServer::start(Canned::raw(307, "text/plain", "").header("location", location)).await;
    let err = server
        .client()
        .delete_chatroom(&id())
        .await
        .expect_err("a redirect is refused");
    assert_eq!(server.take_requests().len(), 1);
    // Nothing (neither the token nor the body) reaches another origin.
    assert!(elsewhere.take_requests().is_empty());
    let Error::Redirect { redirect, .. } = &err else {
        panic!("not a redirect error: {err:?}");
    };
    assert_eq!(redirect.status, Some(307));
    assert_eq!(
        redirect.origin.as_deref(),
        Some(elsewhere.base_url().as_str())
    );
    assert!(!err.to_string().contains("chatrooms"), "{err}");
    assert_eq!(err.delivery(), Delivery::Answered);
}

#[tokio::test]
async fn no_error_shows_the_token() {
    let server = TestServer::start(Canned::json(404, fixture("error_not_found.json"))).await;
    let client = server
        .builder()
        .timeout(Duration::from_millis(300))
        .max_response_bytes(1024)
        .build()
        .expect("valid config");
    let mut errors = Vec::new();
    errors.push(client.delete_chatroom(&id()).await.expect_err("404"));
    server.answer(Canned::raw(502, "text/html", "<h1>bad gateway</h1>"));
    errors.push(client.delete_chatroom(&id()).await.expect_err("502"));
    server.answer(Canned::raw(503, "text/plain", ""));
    errors.push(client.delete_chatroom(&id()).await.expect_err("503"));
    server.answer(Canned::raw(200, "text/plain", "nope"));
    errors.push(client.delete_chatroom(&id()).await.expect_err("decode"));
    server.answer(Canned::raw(200, "text/plain", "x".repeat(1025)));
    errors.push(client.delete_chatroom(&id()).await.expect_err("too large"));
    server.answer(Canned::json(200, r#"{"data":{"maxusers":false}}"#));
    errors.push(
        client
            .update_chatroom(&id(), &UpdateChatroom::default().maxusers(3u32))
            .await
            .expect_err("not applied"),
    );
    server.answer(Canned::json(200, "{}").delay(Duration::from_secs(5)));
    errors.push(client.delete_chatroom(&id()).await.expect_err("timeout"));
    errors.push(
        client
            .list_joined_chatrooms("a b", &ListJoinedChatroomsQuery::default())
            .await
            .expect_err("validation"),
    );
    errors.push(
        common::client(&format!("http://{}", common::closed_port().await))
            .delete_chatroom(&id())
            .await
            .expect_err("refused"),
    );
    errors.push(
        server
            .builder()
            .token_source(Failing)
            .build()
            .expect("valid config")
            .delete_chatroom(&id())
            .await
            .expect_err("auth"),
    );
    // The same through retries.
    let retrying = server
        .builder()
        .retry_policy(fast_retries(2))
        .build()
        .expect("valid config");
    server.answer(Canned::raw(503, "text/plain", ""));
    errors.push(
        retrying
            .delete_chatroom(&id())
            .await
            .expect_err("503 twice"),
    );
    let kinds: Vec<&str> = errors
        .iter()
        .map(|err| match err.last() {
            Error::Validation { .. } => "validation",
            Error::Api(_) => "api",
            Error::Transport { .. } => "transport",
            Error::Timeout { .. } => "timeout",
            Error::Decode { .. } => "decode",
            Error::ResponseTooLarge { .. } => "too_large",
            Error::NotApplied { .. } => "not_applied",
            Error::Auth { .. } => "auth",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "api",
            "api",
            "api",
            "decode",
            "too_large",
            "not_applied",
            "timeout",
            "validation",
            "transport",
            "auth",
            "api"
        ]
    );
    assert!(matches!(
        errors.last(),
        Some(Error::RetriesExhausted { attempts: 2, .. })
    ));
    for err in &errors {
        assert_no_token(err);
        // The source chain too.
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            let text = format!("{inner} {inner:?}");
            assert!(!text.contains(TOKEN), "{text}");
            source = inner.source();
        }
    }
}

/// The check above can fail: it sees the token in `Display` and in `Debug`.
#[test]
#[should_panic(expected = "the token leaked")]
fn the_token_check_detects_a_leak() {
    assert_no_token(&format!("Authorization: Bearer {TOKEN}"));
}
