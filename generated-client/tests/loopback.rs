//! Each operation over real HTTP on loopback: the exact request the client sends (method,
//! raw path and query, headers, body bytes) and the decoded `Response` (data and metadata).
//! Also: ids and usernames cannot change the path.

mod common;

use agora_chat::Error;
use agora_chat::operations::{ListChatroomsQuery, ListJoinedChatroomsQuery};
use agora_chat::types::{Affiliation, ChatroomId, ChatroomScale, CreateChatroom, UpdateChatroom};
use agora_chat::validate::Rule;
use common::{Canned, Recorded, TOKEN, TestServer, fixture};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// The headers every call sends; `Content-Type` and a length only with a body.
fn assert_headers(request: &Recorded, with_body: bool) {
    let expected_auth = format!("Bearer {TOKEN}");
    assert_eq!(
        request.header("authorization"),
        Some(expected_auth.as_str())
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert!(
        request
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("agora-chat-rust/")),
        "{:?}",
        request.headers
    );
    if with_body {
        assert_eq!(request.header("content-type"), Some("application/json"));
        let length = request.body.len().to_string();
        assert_eq!(request.header("content-length"), Some(length.as_str()));
    } else {
        assert_eq!(
            request.header("content-type"),
            None,
            "{:?}",
            request.headers
        );
        assert!(request.body.is_empty(), "{:?}", request.body_text());
        assert!(
            matches!(request.header("content-length"), None | Some("0")),
            "{:?}",
            request.headers
        );
    }
}

fn ok(body: String) -> Canned {
    Canned::json(200, body)
}

// ---------------------------------------------------------------- the six operations

#[tokio::test]
async fn create_chatroom() {
    let server = TestServer::start(ok(fixture("create_response.json"))).await;
    let body = CreateChatroom::new("testchatroom1", "test", "user1")
        .maxusers(300u32)
        .members(["user2"]);
    let response = server
        .client()
        .create_chatroom(&body)
        .await
        .expect("created");

    let request = server.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/demo/app/chatrooms");
    assert_headers(&request, true);
    assert_eq!(
        request.body_text(),
        r#"{"name":"testchatroom1","description":"test","owner":"user1","maxusers":300,"members":["user2"]}"#
    );

    assert_eq!(response.status, 200);
    assert_eq!(response.data.id, "66213271109633");
    assert_eq!(
        response.meta,
        Default::default(),
        "the doc's example is `data` only"
    );
    assert_eq!(response.cursor(), None);
}

#[tokio::test]
async fn create_chatroom_minimal_body() {
    let server = TestServer::start(ok(r#"{"data":{"id":"1"}}"#.to_owned())).await;
    server
        .client()
        .create_chatroom(&CreateChatroom::new("聊天室 1", "", "alice"))
        .await
        .expect("created");
    let request = server.only_request();
    assert_eq!(
        request.body_text(),
        r#"{"name":"聊天室 1","description":"","owner":"alice"}"#
    );
    assert_headers(&request, true);
}

#[tokio::test]
async fn list_chatrooms() {
    let server = TestServer::start(ok(fixture("list_response_array.json"))).await;
    let client = server.client();
    let query = ListChatroomsQuery::default().limit(2u32).cursor("abc");
    let response = client.list_chatrooms(&query).await.expect("listed");

    let request = server.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.target, "/demo/app/chatrooms?limit=2&cursor=abc");
    assert_headers(&request, false);

    assert_eq!(response.data.len(), 2);
    assert_eq!(response.data[0].id, "66211860774913");
    assert_eq!(response.data[0].owner.as_deref(), Some("user1"));
    assert_eq!(response.data[0].affiliations_count, Some(2));
    assert_eq!(response.data[0].disabled, Some(false));
    assert_eq!(response.data[1].disabled, Some(true));
    assert_eq!(response.meta.count, Some(2));
    assert_eq!(
        response.cursor(),
        Some("ZGNiMjRmNGY1YjczYjlhYTNkYjk1MDY2YmEyNzFmODQ6aW06Y2hhdHJvb206ZGVtbyNhcHA6Mg")
    );
    assert_eq!(response.meta.timestamp, Some(1642064417048));
    assert_eq!(response.meta.path.as_deref(), Some("/chatrooms"));

    // No parameters: no query string at all.
    client
        .list_chatrooms(&ListChatroomsQuery::default())
        .await
        .expect("listed");
    assert_eq!(server.only_request().target, "/demo/app/chatrooms");
}

#[tokio::test]
async fn list_chatrooms_accepts_the_docs_lone_object() {
    let server = TestServer::start(ok(fixture("list_response_doc.json"))).await;
    let response = server
        .client()
        .list_chatrooms(&ListChatroomsQuery::default())
        .await
        .expect("listed");
    assert_eq!(response.data.len(), 1);
    assert_eq!(response.data[0].name, "test");
    assert_eq!(response.cursor(), None);
}

#[tokio::test]
async fn list_chatrooms_cursor_is_query_encoded() {
    let server = TestServer::start(ok(r#"{"data":[]}"#.to_owned())).await;
    let cursor = "a+b/c=d&e f#g?h%";
    let response = server
        .client()
        .list_chatrooms(&ListChatroomsQuery::default().cursor(cursor))
        .await
        .expect("listed");
    assert!(response.data.is_empty());
    let request = server.only_request();
    let (path, query) = request.target.split_once('?').expect("a query");
    assert_eq!(path, "/demo/app/chatrooms");
    assert!(!query.contains('#'), "{query}");
    let url = reqwest::Url::parse(&format!("http://x/?{query}")).expect("URL");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs, [("cursor".to_owned(), cursor.to_owned())]);
}

#[tokio::test]
async fn list_joined_chatrooms() {
    let server = TestServer::start(ok(fixture("joined_response_array.json"))).await;
    let client = server.client();
    let query = ListJoinedChatroomsQuery::default()
        .pagenum(1u32)
        .pagesize(1000u32);
    let response = client
        .list_joined_chatrooms("alice", &query)
        .await
        .expect("listed");

    let request = server.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.target,
        "/demo/app/users/alice/joined_chatrooms?pagenum=1&pagesize=1000"
    );
    assert_headers(&request, false);

    assert_eq!(response.data.len(), 2);
    assert!(
        response
            .data
            .iter()
            .all(|room| room.disabled == Some(false))
    );
    assert_eq!(response.meta.count, Some(2));
    assert_eq!(response.cursor(), None);
    assert_eq!(
        response
            .meta
            .params
            .as_ref()
            .and_then(|params| params.get("pagesize")),
        Some(&vec!["1000".to_owned()])
    );

    // The docs' lone object, and no query string without parameters.
    server.answer(ok(fixture("joined_response_doc.json")));
    let response = client
        .list_joined_chatrooms("a.b-c_D9", &ListJoinedChatroomsQuery::default())
        .await
        .expect("listed");
    assert_eq!(response.data.len(), 1);
    assert_eq!(response.data[0].disabled, None);
    assert_eq!(
        server.only_request().target,
        "/demo/app/users/a.b-c_D9/joined_chatrooms"
    );
}

#[tokio::test]
async fn get_chatrooms() {
    let server = TestServer::start(ok(fixture("details_response_doc.json"))).await;
    let client = server.client();
    let ids = [ChatroomId::new("1"), ChatroomId::new("2")];
    let response = client.get_chatrooms(&ids).await.expect("details");

    let request = server.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.target, "/demo/app/chatrooms/1%2C2");
    assert_headers(&request, false);

    assert_eq!(response.data.len(), 2);
    assert_eq!(response.data[1].scale, Some(ChatroomScale::Large));
    assert_eq!(
        response.data[0].affiliations,
        Some(vec![
            Affiliation::Member("user1".to_owned()),
            Affiliation::Owner("user2".to_owned())
        ])
    );
    let meta = &response.meta;
    assert_eq!(meta.count, Some(2));
    assert_eq!(meta.timestamp, Some(1642064417048));
    assert_eq!(meta.duration, Some(0));
    assert_eq!(meta.action.as_deref(), Some("get"));
    assert_eq!(meta.application_name.as_deref(), Some("XXXX"));
    assert_eq!(
        meta.uri.as_deref(),
        Some("http://XXXX/XXXX/XXXX/chatrooms/XXXX%2CXXXX")
    );
    assert_eq!(meta.entities, Some(vec![]));

    // One id, answered (as the doc trims it) with a lone object.
    server.answer(ok(
        r#"{"data":{"id":"66213271109633","name":"testchatroom1"}}"#.to_owned(),
    ));
    let response = client
        .get_chatrooms(&[ChatroomId::new("66213271109633")])
        .await
        .expect("details");
    assert_eq!(response.data.len(), 1);
    assert_eq!(
        server.only_request().target,
        "/demo/app/chatrooms/66213271109633"
    );
}

#[tokio::test]
async fn update_chatroom() {
    let server = TestServer::start(ok(fixture("update_response.json"))).await;
    let client = server.client();
    let id = ChatroomId::new("66213271109633");
    let body = UpdateChatroom::default()
        .name("testchatroom")
        .description("test")
        .maxusers(300u32);
    let response = client.update_chatroom(&id, &body).await.expect("updated");

    let request = server.only_request();
    assert_eq!(request.method, "PUT");
    assert_eq!(request.target, "/demo/app/chatrooms/66213271109633");
    assert_headers(&request, true);
    assert_eq!(
        request.body_text(),
        r#"{"name":"testchatroom","description":"test","maxusers":300}"#
    );
    assert_eq!(response.data.groupname, Some(true));
    assert_eq!(response.data.description, Some(true));
    assert_eq!(response.data.maxusers, Some(true));

    // One field: only it is sent, and only its flag comes back.
    server.answer(ok(r#"{"data":{"maxusers":true}}"#.to_owned()));
    let response = client
        .update_chatroom(&id, &UpdateChatroom::default().maxusers(10000u32))
        .await
        .expect("updated");
    let request = server.only_request();
    assert_eq!(request.body_text(), r#"{"maxusers":10000}"#);
    assert_headers(&request, true);
    assert_eq!(response.data.groupname, None);
    assert_eq!(response.data.maxusers, Some(true));
}

#[tokio::test]
async fn delete_chatroom() {
    let server = TestServer::start(ok(fixture("delete_response.json"))).await;
    let response = server
        .client()
        .delete_chatroom(&ChatroomId::new("66211860774913"))
        .await
        .expect("deleted");

    let request = server.only_request();
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.target, "/demo/app/chatrooms/66211860774913");
    assert_headers(&request, false);

    assert!(response.data.success);
    assert_eq!(response.data.id, "66211860774913");
    assert_eq!(response.meta.action.as_deref(), Some("delete"));
    assert_eq!(response.meta.timestamp, Some(1542545100474));
    assert_eq!(response.meta.organization.as_deref(), Some("XXXX"));
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn base_url_path_is_kept() {
    let server = TestServer::start(ok(fixture("delete_response.json"))).await;
    let client = common::client(&format!("{}/prefix/", server.base_url()));
    assert_eq!(
        client.api_root(),
        format!("{}/prefix/demo/app", server.base_url())
    );
    client
        .delete_chatroom(&ChatroomId::new("1"))
        .await
        .expect("deleted");
    assert_eq!(server.only_request().target, "/prefix/demo/app/chatrooms/1");
}

// ---------------------------------------------------------------- validation and I/O

#[tokio::test]
async fn invalid_requests_are_not_sent() {
    let server = TestServer::start(ok(fixture("delete_response.json"))).await;
    let client = server.client();
    let results = [
        client
            .create_chatroom(&CreateChatroom::new("n", "d", "a b"))
            .await
            .map(drop),
        client.get_chatrooms(Vec::<&str>::new()).await.map(drop),
        client
            .update_chatroom(&ChatroomId::new("1"), &UpdateChatroom::default())
            .await
            .map(drop),
        client.delete_chatroom(&ChatroomId::new("")).await.map(drop),
        client
            .list_chatrooms(&ListChatroomsQuery::default().limit(0u32))
            .await
            .map(drop),
        client
            .list_joined_chatrooms("alice", &ListJoinedChatroomsQuery::default().pagenum(0u32))
            .await
            .map(drop),
    ];
    for result in results {
        assert!(
            matches!(result, Err(Error::Validation { .. })),
            "{result:?}"
        );
    }
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
}

#[tokio::test]
async fn without_validation_invalid_requests_are_sent_unchanged() {
    let server = TestServer::start(ok(r#"{"data":{"id":"1"}}"#.to_owned())).await;
    let client = server
        .builder()
        .validate_requests(false)
        .build()
        .expect("valid config");

    let name = "n".repeat(129);
    let body = CreateChatroom::new(name.clone(), "", "a b")
        .maxusers(0u32)
        .members(Vec::<String>::new());
    client
        .create_chatroom(&body)
        .await
        .expect("sent and answered");
    let request = server.only_request();
    assert_eq!(
        request.body_text(),
        format!(r#"{{"name":"{name}","description":"","owner":"a b","maxusers":0,"members":[]}}"#)
    );

    // An update without fields goes out as `{}` (the server decides).
    server.answer(ok(r#"{"data":{}}"#.to_owned()));
    client
        .update_chatroom(&ChatroomId::new("1"), &UpdateChatroom::default())
        .await
        .expect("sent and answered");
    let request = server.only_request();
    assert_eq!(request.body_text(), "{}");
    assert_eq!(request.method, "PUT");

    // 101 ids and out-of-range queries.
    server.answer(ok(r#"{"data":[]}"#.to_owned()));
    let ids: Vec<ChatroomId> = (1..=101).map(|i| ChatroomId::new(i.to_string())).collect();
    client.get_chatrooms(&ids).await.expect("sent and answered");
    let expected: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    assert_eq!(
        server.only_request().target,
        format!("/demo/app/chatrooms/{}", expected.join("%2C"))
    );
    client
        .list_joined_chatrooms(
            "a b",
            &ListJoinedChatroomsQuery::default()
                .pagenum(0u32)
                .pagesize(5000u32),
        )
        .await
        .expect("sent and answered");
    assert_eq!(
        server.only_request().target,
        "/demo/app/users/a%20b/joined_chatrooms?pagenum=0&pagesize=5000"
    );
    client
        .list_chatrooms(&ListChatroomsQuery::default().limit(0u32).cursor(""))
        .await
        .expect("sent and answered");
    assert_eq!(
        server.only_request().target,
        "/demo/app/chatrooms?limit=0&cursor="
    );
}

// ---------------------------------------------------------------- path safety

#[tokio::test]
async fn ids_are_percent_encoded_and_cannot_change_the_path() {
    let server = TestServer::start(ok(fixture("delete_response.json"))).await;
    let client = server.client();
    let cases = [
        ("a/b", "a%2Fb"),
        ("../x", "..%2Fx"),
        ("1?x=2", "1%3Fx%3D2"),
        ("聊天", "%E8%81%8A%E5%A4%A9"),
        ("a#b", "a%23b"),
        ("%2F", "%252F"),
        ("a b+c", "a%20b%2Bc"),
        ("...", "..."),
        ("a\\b", "a%5Cb"),
        ("a-b_c.d~e", "a-b_c.d~e"),
    ];
    for (id, encoded) in cases {
        let id = ChatroomId::new(id);
        client.delete_chatroom(&id).await.expect("deleted");
        let request = server.only_request();
        assert_eq!(
            request.target,
            format!("/demo/app/chatrooms/{encoded}"),
            "{id}"
        );

        server.answer(ok(fixture("update_response.json")));
        client
            .update_chatroom(&id, &UpdateChatroom::default().maxusers(5u32))
            .await
            .expect("updated");
        assert_eq!(
            server.only_request().target,
            format!("/demo/app/chatrooms/{encoded}"),
            "{id}"
        );

        server.answer(ok(r#"{"data":[]}"#.to_owned()));
        client
            .get_chatrooms(&[id.clone(), ChatroomId::new("7")])
            .await
            .expect("details");
        assert_eq!(
            server.only_request().target,
            format!("/demo/app/chatrooms/{encoded}%2C7"),
            "{id}"
        );
        server.answer(ok(fixture("delete_response.json")));
    }
}

#[tokio::test]
async fn dot_segments_are_refused_locally() {
    let server = TestServer::start(ok(fixture("delete_response.json"))).await;
    for validate in [true, false] {
        let client = server
            .builder()
            .validate_requests(validate)
            .build()
            .expect("valid config");
        for dots in [".", ".."] {
            let id = ChatroomId::new(dots);
            let results = [
                (
                    "delete_chatroom",
                    "chatroom_id",
                    client.delete_chatroom(&id).await.map(drop),
                ),
                (
                    "update_chatroom",
                    "chatroom_id",
                    client
                        .update_chatroom(&id, &UpdateChatroom::default().maxusers(5u32))
                        .await
                        .map(drop),
                ),
                (
                    "get_chatrooms",
                    "chatroom_ids",
                    client
                        .get_chatrooms(std::slice::from_ref(&id))
                        .await
                        .map(drop),
                ),
                (
                    "list_joined_chatrooms",
                    "username",
                    client
                        .list_joined_chatrooms(dots, &ListJoinedChatroomsQuery::default())
                        .await
                        .map(drop),
                ),
            ];
            for (operation, field, result) in results {
                match result {
                    Err(Error::Validation {
                        operation: op,
                        source,
                    }) => {
                        assert_eq!(op, operation);
                        assert_eq!(source.violations.len(), 1, "{source:?}");
                        assert_eq!(source.violations[0].field, field);
                        assert_eq!(source.violations[0].rule, Rule::DotSegment);
                    }
                    other => panic!("{operation}({dots:?}), validate={validate}: {other:?}"),
                }
            }
        }
        // Inside a list, `..` is only part of the one segment.
        server.answer(ok(r#"{"data":[]}"#.to_owned()));
        client
            .get_chatrooms(&[ChatroomId::new(".."), ChatroomId::new("1")])
            .await
            .expect("details");
        assert_eq!(server.only_request().target, "/demo/app/chatrooms/..%2C1");
        server.answer(ok(fixture("delete_response.json")));
    }
    // Without validation, an empty id cannot produce `/chatrooms/` either.
    let client = server
        .builder()
        .validate_requests(false)
        .build()
        .expect("valid config");
    let result = client.delete_chatroom(&ChatroomId::new("")).await;
    assert!(
        matches!(result, Err(Error::Validation { .. })),
        "{result:?}"
    );
    let result = client.get_chatrooms(Vec::<&str>::new()).await;
    assert!(
        matches!(result, Err(Error::Validation { .. })),
        "{result:?}"
    );
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
}

#[tokio::test]
async fn usernames_are_percent_encoded_without_validation() {
    let server = TestServer::start(ok(r#"{"data":[]}"#.to_owned())).await;
    let client = server
        .builder()
        .validate_requests(false)
        .build()
        .expect("valid config");
    for (username, encoded) in [
        ("a/b", "a%2Fb"),
        ("../admin", "..%2Fadmin"),
        ("x?pagesize=1", "x%3Fpagesize%3D1"),
        ("中文", "%E4%B8%AD%E6%96%87"),
    ] {
        client
            .list_joined_chatrooms(
                username,
                &ListJoinedChatroomsQuery::default().pagesize(5u32),
            )
            .await
            .expect("listed");
        assert_eq!(
            server.only_request().target,
            format!("/demo/app/users/{encoded}/joined_chatrooms?pagesize=5")
        );
    }
}

/// Whether `segment` is one encoded path segment: unreserved characters and `%XX` only.
fn is_one_encoded_segment(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => i += 1,
            _ => return false,
        }
    }
    !segment.is_empty() && segment != "." && segment != ".."
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment)
        .decode_utf8()
        .expect("UTF-8")
        .into_owned()
}

/// Arbitrary ids and usernames, validated or not, never panic and never change the path:
/// what arrives is one segment that decodes to the value sent.
#[test]
fn arbitrary_path_values_stay_one_segment() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let canned = ok(r#"{"data":{"success":true,"id":"1","name":"n"}}"#.to_owned());
    let server = runtime.block_on(TestServer::start(canned));
    let checked = server.client();
    let unchecked = server
        .builder()
        .validate_requests(false)
        .build()
        .expect("valid config");
    let value = prop_oneof![
        any::<String>(),
        "[./%?#a-z]{0,6}",
        prop::sample::select(vec![
            String::new(),
            ".".to_owned(),
            "..".to_owned(),
            "%2e%2e".to_owned()
        ]),
    ];
    let strategy = (prop::collection::vec(value, 0..4), any::<bool>());
    // How many calls reached the server, to prove the property is not vacuous.
    let reached = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(values, validate)| {
            let client = if validate { &checked } else { &unchecked };
            let first = values.first().cloned().unwrap_or_default();

            // One id per call.
            let result = runtime.block_on(client.delete_chatroom(&ChatroomId::new(first.clone())));
            let sent = server.take_requests();
            match result {
                Err(Error::Validation { .. }) => {
                    prop_assert!(sent.is_empty());
                    let unsendable = first.is_empty() || first == "." || first == "..";
                    prop_assert!(unsendable, "{:?} refused", first);
                }
                other => {
                    prop_assert!(other.is_ok(), "{:?}", other);
                    prop_assert_eq!(sent.len(), 1);
                    let segment = sent[0]
                        .target
                        .strip_prefix("/demo/app/chatrooms/")
                        .expect("the chatrooms path");
                    prop_assert!(is_one_encoded_segment(segment), "{segment:?}");
                    prop_assert_eq!(decode(segment), first.clone());
                }
            }
            reached.set(reached.get() + sent.len());

            // A list of ids, joined by an escaped comma.
            let ids: Vec<ChatroomId> = values.iter().cloned().map(ChatroomId::new).collect();
            let result = runtime.block_on(client.get_chatrooms(&ids));
            let sent = server.take_requests();
            if let Ok(response) = &result {
                prop_assert_eq!(response.data.len(), 1);
                prop_assert_eq!(sent.len(), 1);
                let segment = sent[0]
                    .target
                    .strip_prefix("/demo/app/chatrooms/")
                    .expect("the chatrooms path");
                prop_assert!(is_one_encoded_segment(segment), "{segment:?}");
                prop_assert_eq!(decode(segment), values.join(","));
                reached.set(reached.get() + 1);
            } else {
                prop_assert!(
                    matches!(result, Err(Error::Validation { .. })),
                    "{:?}",
                    result
                );
                prop_assert!(sent.is_empty());
            }

            // A username.
            let query = ListJoinedChatroomsQuery::default();
            let result = runtime.block_on(client.list_joined_chatrooms(&first, &query));
            let sent = server.take_requests();
            if result.is_ok() {
                prop_assert_eq!(sent.len(), 1);
                let segment = sent[0]
                    .target
                    .strip_prefix("/demo/app/users/")
                    .and_then(|rest| rest.strip_suffix("/joined_chatrooms"))
                    .expect("the users path");
                prop_assert!(is_one_encoded_segment(segment), "{segment:?}");
                prop_assert_eq!(decode(segment), first.clone());
            } else {
                prop_assert!(
                    matches!(result, Err(Error::Validation { .. })),
                    "{:?}",
                    result
                );
                prop_assert!(sent.is_empty());
            }
            Ok(())
        })
        .expect("every value stays one segment");
    // About 300 on average; the bound only has to show the property is not vacuous (a
    // tighter one failed now and then on random draws).
    assert!(
        reached.get() > 100,
        "only {} calls reached the server",
        reached.get()
    );
}
