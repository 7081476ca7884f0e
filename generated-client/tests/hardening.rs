//! Hardening: every call ends by its deadline (token fetches included), nothing follows a
//! redirect, every body read is bounded, no value panics, and outcomes are reported
//! truthfully (a retried delete that finds its own earlier effect, a `success: false`,
//! odd envelope fields, listings that do not advance).
//!
//! No test asserts how long something took: each bounds a call with a generous
//! `tokio::time::timeout` that only a hang can reach, and asserts what the client decided.

mod common;

use agora_chat::auth::{AuthError, BoxFuture, ClientCredentials, TokenSource};
use agora_chat::error::Delivery;
use agora_chat::limit::RateLimits;
use agora_chat::operations::ListJoinedChatroomsQuery;
use agora_chat::retry::{Jitter, RetryBudget, RetryPolicy};
use agora_chat::types::{ChatroomId, CreateChatroom, ErrorCode};
use agora_chat::{Client, Error, Secret};
use agora_chat_emulator::{Emulator, Fault};
use common::{Canned, TestServer, raw_server};
use futures_util::StreamExt;
use std::future::Future;
use std::time::Duration;

/// Long enough that only a hang reaches it, on any machine.
const HANG: Duration = Duration::from_secs(20);

/// Awaits `call`, failing the test if it hangs.
async fn bounded<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(HANG, call)
        .await
        .expect("the call hung past every limit")
}

fn short_deadline() -> RetryPolicy {
    RetryPolicy::never()
        .deadline(Some(Duration::from_millis(300)))
        .attempt_timeout(Duration::from_millis(300))
        .jitter(Jitter::None)
        .base_delay(Duration::from_millis(10))
}

fn listing() -> agora_chat::operations::ListChatroomsQuery {
    agora_chat::operations::ListChatroomsQuery::default()
}

// 1. Token fetches within the call's deadline.

/// A token source that never answers.
#[derive(Debug)]
struct NeverToken;

impl TokenSource for NeverToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_token_source_that_never_answers_ends_at_the_deadline() {
    let server = TestServer::start(Canned::json(200, r#"{"data":[]}"#)).await;
    let client = server
        .builder()
        .token_source(NeverToken)
        .retry_policy(short_deadline())
        .build()
        .expect("valid config");
    let err = bounded(client.list_chatrooms(&listing()))
        .await
        .expect_err("no token");
    assert_eq!(err.delivery(), Delivery::NotSent, "{err:?}");
    assert!(server.requests().is_empty());
}

/// A source with a token at hand whose `token` never answers.
#[derive(Debug)]
struct ReadyToken;

impl TokenSource for ReadyToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(std::future::pending())
    }

    fn ready(&self) -> Option<Secret> {
        Some(Secret::new("ready-token"))
    }
}

#[tokio::test]
async fn a_token_at_hand_is_sent_without_asking_the_source() {
    let server = TestServer::start(Canned::json(200, r#"{"data":[]}"#)).await;
    let client = server
        .builder()
        .token_source(ReadyToken)
        .retry_policy(short_deadline())
        .build()
        .expect("valid config");
    bounded(client.list_chatrooms(&listing()))
        .await
        .expect("sent with the ready token");
    let requests = server.requests();
    let authorization = requests[0]
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .map(|(_, value)| value.as_str());
    assert_eq!(authorization, Some("Bearer ready-token"));
}

#[tokio::test]
async fn a_token_endpoint_that_never_answers_ends_every_call_at_its_deadline() {
    // Accepts the connection, reads the request and never answers.
    let (addr, _task) = raw_server(Vec::new(), HANG * 2).await;
    let client = Client::builder()
        .base_url(format!("http://{addr}"))
        .app_key("demo#app")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .client_credentials(ClientCredentials::new("id", "client-secret-value"))
        .retry_policy(short_deadline())
        .build()
        .expect("valid config");
    // Several calls at once: none waits behind another's stuck refresh past its own deadline.
    let calls = (0..4).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { bounded(client.list_chatrooms(&listing())).await })
    });
    for call in calls {
        let err = call.await.expect("task").expect_err("no token");
        assert_eq!(err.delivery(), Delivery::NotSent, "{err:?}");
    }
}

#[tokio::test]
async fn a_stuck_token_request_is_abandoned_at_its_own_timeout() {
    let (addr, _task) = raw_server(Vec::new(), HANG * 2).await;
    // No call deadline and a long attempt timeout: only the token request's own timeout ends it.
    let policy = RetryPolicy::never()
        .deadline(None)
        .attempt_timeout(HANG * 2);
    let credentials = ClientCredentials::new("id", "client-secret-value")
        .timeout(Duration::from_millis(300))
        .connect_timeout(Duration::from_millis(300));
    let client = Client::builder()
        .base_url(format!("http://{addr}"))
        .app_key("demo#app")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .client_credentials(credentials)
        .retry_policy(policy)
        .build()
        .expect("valid config");
    let err = bounded(client.list_chatrooms(&listing()))
        .await
        .expect_err("no token");
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
}

// 2. Redirects are never followed.

#[tokio::test]
async fn the_token_exchange_does_not_follow_a_redirect() {
    let thief =
        TestServer::start(Canned::json(200, r#"{"access_token":"x","expires_in":60}"#)).await;
    let location = format!("{}/steal/token?keep=private-query", thief.base_url());
    let server = TestServer::start(Canned::json(307, "{}").header("location", location)).await;
    let client = Client::builder()
        .base_url(server.base_url())
        .app_key("demo#app")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .client_credentials(ClientCredentials::new("id", "client-secret-value"))
        .retry_policy(short_deadline())
        .build()
        .expect("valid config");
    let err = bounded(client.list_chatrooms(&listing()))
        .await
        .expect_err("redirected");
    assert!(thief.requests().is_empty(), "the secret was sent elsewhere");
    let text = format!("{err} {err:?}");
    assert!(text.contains(&thief.base_url()), "names the origin: {text}");
    assert!(
        !text.contains("steal") && !text.contains("private-query"),
        "{text}"
    );
    assert!(!text.contains("client-secret-value"), "{text}");
}

#[tokio::test]
async fn an_api_call_does_not_follow_a_redirect_and_names_its_origin() {
    let thief = TestServer::start(Canned::json(200, r#"{"data":{"id":"1"}}"#)).await;
    for status in [301, 302, 303, 307, 308] {
        let location = format!("{}/elsewhere/path?token=private-query", thief.base_url());
        let server =
            TestServer::start(Canned::json(status, "{}").header("location", location)).await;
        let room = CreateChatroom::new("n", "d", "alice");
        let err = bounded(server.client().create_chatroom(&room))
            .await
            .expect_err("redirected");
        assert_eq!(err.status(), Some(status), "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(text.contains(&thief.base_url()), "{text}");
        assert!(
            !text.contains("elsewhere") && !text.contains("private-query"),
            "{text}"
        );
        common::assert_no_token(&err);
    }
    assert!(thief.requests().is_empty(), "a redirect was followed");
}

/// A server that answers `status` with a `Location` at `path` on `thief`, and a client of
/// it through a user-supplied reqwest client (which follows redirects itself).
async fn redirecting_to(thief: &TestServer, status: u16, path: &str) -> (TestServer, Client) {
    let location = format!("{}{path}", thief.base_url());
    let server = TestServer::start(Canned::json(status, "{}").header("location", location)).await;
    let client = server
        .builder()
        .http_client(reqwest::Client::new())
        .build()
        .expect("valid config");
    (server, client)
}

#[tokio::test]
async fn a_user_supplied_http_client_does_not_carry_a_call_across_a_redirect() {
    let thief = TestServer::start(Canned::json(200, r#"{"data":{"id":"1"}}"#)).await;
    let (_server, client) = redirecting_to(&thief, 307, "/elsewhere").await;
    let room = CreateChatroom::new("n", "d", "alice");
    let err = bounded(client.create_chatroom(&room))
        .await
        .expect_err("redirected");
    assert!(
        thief.requests().is_empty(),
        "the body went to another origin"
    );
    assert!(format!("{err}").contains(&thief.base_url()), "{err}");
}

#[tokio::test]
async fn a_redirect_a_user_supplied_client_followed_is_refused() {
    let thief = TestServer::start(Canned::json(200, r#"{"data":[]}"#)).await;
    // reqwest's own client follows a 302 on a GET (without the bearer token, to another
    // origin); the answer comes from another URL than the one sent to.
    let (_server, client) = redirecting_to(&thief, 302, "/elsewhere?token=private-query").await;
    let err = bounded(client.get_chatrooms(&[ChatroomId::new("1")]))
        .await
        .expect_err("the answer came from elsewhere");
    match &err {
        Error::Redirect { redirect, .. } => {
            assert_eq!(redirect.status, None, "{err:?}");
            let origin = redirect.origin.as_deref();
            assert_eq!(origin, Some(thief.base_url().as_str()), "{err:?}");
        }
        other => panic!("not a redirect: {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("private-query"));
}

#[tokio::test]
async fn a_user_supplied_client_sends_the_same_urls_and_sees_no_redirect() {
    let ids: Vec<ChatroomId> = ["66213271109633", "a b", "聊天", "x/y"]
        .into_iter()
        .map(ChatroomId::new)
        .collect();
    let query = || {
        agora_chat::operations::ListChatroomsQuery::default()
            .limit(10)
            .cursor("a b&c=d/é")
    };
    let mut targets = Vec::new();
    for user_supplied in [false, true] {
        let server = TestServer::start(Canned::json(200, r#"{"data":[]}"#)).await;
        let mut builder = server.builder();
        if user_supplied {
            builder = builder.http_client(reqwest::Client::new());
        }
        let client = builder.build().expect("valid config");
        bounded(client.get_chatrooms(&ids)).await.expect("details");
        bounded(client.list_chatrooms(&query()))
            .await
            .expect("listing");
        let sent: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
        targets.push(sent);
    }
    assert_eq!(targets[0], targets[1]);
    assert_eq!(
        targets[0][0],
        "/demo/app/chatrooms/66213271109633%2Ca%20b%2C%E8%81%8A%E5%A4%A9%2Cx%2Fy"
    );
    assert_eq!(
        targets[0][1],
        "/demo/app/chatrooms?limit=10&cursor=a+b%26c%3Dd%2F%C3%A9"
    );
}

// 3. Bounded reads of the token endpoint.

#[tokio::test]
async fn an_endless_token_answer_is_refused_not_read_whole() {
    for head in [
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
    ] {
        let mut reply = head.as_bytes().to_vec();
        let chunked = head.contains("chunked");
        for _ in 0..64 {
            let piece = vec![b' '; 64 * 1024];
            if chunked {
                reply.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                reply.extend_from_slice(&piece);
                reply.extend_from_slice(b"\r\n");
            } else {
                reply.extend_from_slice(&piece);
            }
        }
        // Four MiB sent, then the connection stays open and silent.
        let (addr, _task) = raw_server(reply, HANG * 2).await;
        let policy = RetryPolicy::never()
            .deadline(None)
            .attempt_timeout(HANG * 2);
        let client = Client::builder()
            .base_url(format!("http://{addr}"))
            .app_key("demo#app")
            .allow_http(true)
            .rate_limits(RateLimits::Off)
            .client_credentials(ClientCredentials::new("id", "secret").timeout(HANG * 2))
            .retry_policy(policy)
            .build()
            .expect("valid config");
        let err = bounded(client.list_chatrooms(&listing()))
            .await
            .expect_err("too large");
        // Display names this error only; the cause is further down the source chain.
        let mut report = err.to_string();
        let mut cause = std::error::Error::source(&err);
        while let Some(inner) = cause {
            report.push_str(&format!(": {inner}"));
            cause = inner.source();
        }
        assert!(report.contains("larger than"), "{head}: {report}");
    }
}

// 4. A retried delete that finds its own earlier effect.

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

async fn emulator_and_client() -> (Emulator, Client) {
    let emu = Emulator::builder()
        .app_credentials(APP_ID, CERT)
        .start()
        .await
        .expect("emulator");
    let policy = RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
        .deadline(Some(Duration::from_secs(10)))
        .attempt_timeout(Duration::from_secs(5))
        .jitter(Jitter::None);
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_key("demo#demo")
        .allow_http(true)
        .app_credentials(agora_chat::auth::AppCredentials::new(APP_ID, CERT))
        .rate_limits(RateLimits::Off)
        .retry_budget(RetryBudget::unlimited())
        .retry_policy(policy)
        .build()
        .expect("valid config");
    (emu, client)
}

async fn new_room(client: &Client) -> ChatroomId {
    let room = CreateChatroom::new("gone", "d", "alice");
    client
        .create_chatroom(&room)
        .await
        .expect("created")
        .data
        .id
}

fn already_done(err: &Error) -> bool {
    matches!(err, Error::AlreadyDone { .. }) && err.is_already_done()
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_reports_gone_possibly_by_itself() {
    let (emu, client) = emulator_and_client().await;
    for fault in [
        Fault::drop_connection().after_processing(),
        Fault::truncated().after_processing(),
        Fault::status(500).after_processing(),
    ] {
        let id = new_room(&client).await;
        emu.faults().push("delete_chatroom", fault).expect("fault");
        let err = bounded(client.delete_chatroom(&id))
            .await
            .expect_err("the retry found it gone");
        assert!(already_done(&err), "{err:?}");
        assert_eq!(err.code(), Some(&ErrorCode::ServiceResourceNotFound));
        assert_eq!(err.attempts(), 2, "{err:?}");
    }
    assert_eq!(emu.chatroom_count(), 0);
    // Never existed: a plain 404, not "already done", also after a retry that was not processed.
    let never = ChatroomId::from("424242".to_owned());
    let err = client.delete_chatroom(&never).await.expect_err("unknown");
    assert!(
        !already_done(&err) && matches!(err, Error::Api(_)),
        "{err:?}"
    );
    emu.faults()
        .push("delete_chatroom", Fault::reach_limit())
        .expect("fault");
    let err = client.delete_chatroom(&never).await.expect_err("unknown");
    assert!(!already_done(&err), "{err:?}");
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn bulk_delete_counts_a_delete_found_done_as_deleted() {
    let (emu, client) = emulator_and_client().await;
    let ids = [new_room(&client).await, new_room(&client).await];
    emu.faults()
        .push(
            "delete_chatroom",
            Fault::drop_connection().after_processing(),
        )
        .expect("fault");
    let last = std::sync::Arc::new(std::sync::Mutex::new(None));
    let options = agora_chat::bulk::BulkOptions::default()
        .concurrency(1)
        .progress({
            let last = last.clone();
            move |p| *last.lock().expect("lock") = Some(p)
        });
    let results = client.delete_chatroom_bulk(&ids, &options).await;
    let progress = (*last.lock().expect("lock")).expect("progress reported");
    assert_eq!((progress.done, progress.failed), (2, 0), "{results:?}");
    assert!(results.iter().all(|(_, r)| match r {
        Ok(_) => true,
        Err(err) => err.is_already_done(),
    }));
    assert_eq!(emu.chatroom_count(), 0);
}

// 5. No value panics.

#[tokio::test]
async fn extreme_policy_values_and_retry_after_do_not_panic() {
    let server = TestServer::start(
        Canned::json(429, r#"{"error":"reach_limit"}"#).header("retry-after", u64::MAX.to_string()),
    )
    .await;
    let policies = [
        RetryPolicy::default()
            .deadline(Some(Duration::MAX))
            .max_delay(Duration::MAX)
            .attempt_timeout(Duration::MAX)
            .max_attempts(1),
        RetryPolicy::default()
            .deadline(Some(Duration::from_millis(200)))
            .max_delay(Duration::MAX)
            .base_delay(Duration::MAX)
            .max_attempts(u32::MAX),
    ];
    for policy in policies {
        let client = server
            .builder()
            .retry_policy(policy)
            .connect_timeout(Duration::MAX)
            .max_response_bytes(usize::MAX)
            .rate_limits(RateLimits::scaled(f64::INFINITY).margin(Duration::MAX))
            .build()
            .expect("valid config");
        let err = bounded(client.list_chatrooms(&listing()))
            .await
            .expect_err("throttled");
        assert_eq!(err.status(), Some(429), "{err:?}");
    }
}

#[tokio::test]
async fn extreme_token_endpoint_timeouts_do_not_panic() {
    let server =
        TestServer::start(Canned::json(200, r#"{"access_token":"t","expires_in":0}"#)).await;
    let credentials = ClientCredentials::new("id", "secret")
        .timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .max_response_bytes(usize::MAX)
        .ttl_secs(u64::MAX);
    let client = Client::builder()
        .base_url(server.base_url())
        .app_key("demo#app")
        .allow_http(true)
        .client_credentials(credentials)
        .build()
        .expect("valid config");
    // The token endpoint's answer serves the listing too: `data` is missing, so it fails
    // to decode, after a token was had.
    let err = bounded(client.list_chatrooms(&listing()))
        .await
        .expect_err("no data");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn any_rate_limit_builds_without_allocating_per_request() {
    for limits in [
        RateLimits::documented().with("list_chatrooms", u32::MAX),
        RateLimits::scaled(f64::INFINITY),
        RateLimits::scaled(f64::NAN),
        RateLimits::scaled(-1.0),
        RateLimits::scaled(1e300),
        RateLimits::unlimited(),
    ] {
        let client = common::builder(common::NOWHERE).rate_limits(limits).build();
        assert!(client.is_ok());
    }
}

// 6. Page-number listings end.

fn joined_page(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"id":"{i}","name":"r{i}","disabled":"false"}}"#))
        .collect();
    format!(r#"{{"data":[{}]}}"#, items.join(","))
}

#[tokio::test]
async fn a_listing_from_the_last_page_number_ends() {
    let server = TestServer::start(Canned::json(200, joined_page(2))).await;
    let query = ListJoinedChatroomsQuery::default()
        .pagenum(u32::MAX)
        .pagesize(2u32);
    let items: Vec<_> = bounded(
        server
            .client()
            .list_joined_chatrooms_stream("alice", query)
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(Result::is_ok));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_listing_that_does_not_advance_ends_with_a_pagination_error() {
    let server = TestServer::start(Canned::json(200, joined_page(2))).await;
    let query = ListJoinedChatroomsQuery::default().pagesize(2u32);
    let items: Vec<_> = bounded(
        server
            .client()
            .list_joined_chatrooms_stream("alice", query)
            .collect::<Vec<_>>(),
    )
    .await;
    assert!(
        matches!(items.last(), Some(Err(Error::Pagination { .. }))),
        "{items:?}"
    );
    assert!(server.requests().len() <= 3, "{}", server.requests().len());
}

// 7. Odd metadata and error fields.

#[tokio::test]
async fn an_odd_envelope_field_does_not_lose_the_payload() {
    let bodies = [
        r#"{"data":{"id":"77"},"timestamp":"soon","entities":{"a":1},"count":-1}"#,
        r#"{"data":{"id":"77"},"duration":1.5,"params":{"limit":5},"cursor":7,"action":false}"#,
        r#"{"data":{"id":"77"},"properties":null,"uri":[],"applicationName":{}}"#,
    ];
    for body in bodies {
        let server = TestServer::start(Canned::json(200, body)).await;
        let created = server
            .client()
            .create_chatroom(&CreateChatroom::new("n", "d", "alice"))
            .await;
        assert_eq!(
            created.map(|r| r.data.id.to_string()).ok().as_deref(),
            Some("77"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_odd_error_field_does_not_lose_the_error_code() {
    let body = r#"{"error":"resource_limited","timestamp":"x","duration":{},"exception":7}"#;
    let server = TestServer::start(Canned::json(429, body)).await;
    let client = server
        .builder()
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .expect("valid config");
    let err = client.list_chatrooms(&listing()).await.expect_err("429");
    assert_eq!(err.code(), Some(&ErrorCode::ResourceLimited), "{err:?}");
    assert_eq!(server.requests().len(), 1, "resource_limited was retried");
}

#[tokio::test]
async fn an_odd_error_field_does_not_stop_an_expired_token_from_being_refreshed() {
    let (emu, client) = emulator_and_client().await;
    let expired = r#"{"error":"unauthorized","timestamp":"x","duration":{},"exception":[1]}"#;
    emu.faults()
        .push("list_chatrooms", Fault::status(401).body(expired))
        .expect("fault");
    let listed = client.list_chatrooms(&listing()).await;
    assert!(listed.is_ok(), "the 401 was not refreshed: {listed:?}");
    assert_eq!(emu.request_count("list_chatrooms"), 2);
}

// 8. Small traps.

#[tokio::test]
async fn a_delete_answered_success_false_is_not_ok() {
    let server =
        TestServer::start(Canned::json(200, r#"{"data":{"success":false,"id":"1"}}"#)).await;
    let id = ChatroomId::from("1".to_owned());
    let result = server.client().delete_chatroom(&id).await;
    assert!(
        matches!(result, Err(Error::NotApplied { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn builder_order_does_not_matter_for_the_attempt_timeout() {
    let server =
        TestServer::start(Canned::json(200, r#"{"data":[]}"#).delay(Duration::from_secs(3))).await;
    let client = Client::builder()
        .base_url(server.base_url())
        .app_key("demo#app")
        .app_token(common::TOKEN)
        .allow_http(true)
        .timeout(Duration::from_millis(100))
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("valid config");
    let err = bounded(client.list_chatrooms(&listing()))
        .await
        .expect_err("timed out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}
