//! Injected faults, over real HTTP: what a client sees for each kind.

use std::time::{Duration, Instant};

use agora_chat_emulator::faults::MALFORMED_BODY;
use agora_chat_emulator::{Emulator, Fault};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Api, DOC_CREATE, TOKEN, assert_error};

const CREATE: &str = "create_chatroom";

fn push(api: &Api, op: &str, fault: Fault) {
    api.emu.faults().push(op, fault).expect("a valid fault");
}

/// Sends a create and returns what came back: the status and body, or the
/// transport error.
async fn try_create(api: &Api) -> Result<(u16, Result<Vec<u8>, reqwest::Error>), reqwest::Error> {
    let res = api
        .http
        .post(format!("{}/chatrooms", api.root))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/json")
        .body(DOC_CREATE)
        .send()
        .await?;
    let status = res.status().as_u16();
    Ok((status, res.bytes().await.map(|b| b.to_vec())))
}

#[tokio::test]
async fn status_faults_answer_the_next_calls_in_order_then_stop() {
    let api = Api::start().await;
    push(&api, CREATE, Fault::status(503).times(2));
    push(
        &api,
        CREATE,
        Fault::reach_limit().header("Retry-After", "1"),
    );
    push(
        &api,
        CREATE,
        Fault::status(400).body(r#"{"error":"custom"}"#),
    );

    for _ in 0..2 {
        let res = api
            .http
            .post(format!("{}/chatrooms", api.root))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/json")
            .body(DOC_CREATE)
            .send()
            .await
            .expect("answered");
        assert_eq!(res.status().as_u16(), 503);
        let content_type = res.headers().get("content-type").cloned();
        assert_eq!(
            content_type.as_ref().and_then(|v| v.to_str().ok()),
            Some("text/html")
        );
        let text = res.text().await.expect("body");
        assert!(text.contains("503 Service Unavailable"), "{text}");
    }
    let res = api
        .http
        .post(format!("{}/chatrooms", api.root))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/json")
        .body(DOC_CREATE)
        .send()
        .await
        .expect("answered");
    let retry_after = res.headers().get("retry-after").cloned();
    assert_eq!(
        retry_after.as_ref().and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let r = crate::common::reply_of(res).await;
    assert_error(&r, 429, "reach_limit");
    assert_eq!(
        r.body["error_description"],
        "This request has reached api limit"
    );
    let r = api.post("/chatrooms", DOC_CREATE).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (400, json!({"error": "custom"}))
    );
    // The faults are used up: the next create is processed.
    assert_eq!(api.emu.chatroom_count(), 0);
    let r = api.post("/chatrooms", DOC_CREATE).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(api.emu.chatroom_count(), 1);
    assert_eq!(api.emu.request_count(CREATE), 5);
    assert_eq!(api.emu.faults().remaining(CREATE), 0);
}

#[tokio::test]
async fn faults_apply_to_their_operation_only() {
    let api = Api::start().await;
    push(&api, "get_chatrooms", Fault::status(500));
    let id = api.create("r", "alice", &[]).await;
    assert_eq!(api.get("/chatrooms").await.status, 200);
    assert_eq!(api.get(&format!("/chatrooms/{id}")).await.status, 500);
    assert_eq!(api.get(&format!("/chatrooms/{id}")).await.status, 200);
}

#[tokio::test]
async fn resource_limited_has_its_own_code() {
    let api = Api::start().await;
    push(&api, "list_chatrooms", Fault::resource_limited());
    let r = api.get("/chatrooms").await;
    assert_error(&r, 429, "resource_limited");
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error_not_a_response() {
    let api = Api::start().await;
    push(&api, CREATE, Fault::drop_connection());
    let err = try_create(&api).await.expect_err("no response at all");
    // reqwest: "error sending request", from hyper's IncompleteMessage (the connection
    // closed before a response began).
    assert!(
        err.is_request() && !err.is_connect() && !err.is_timeout(),
        "{err:?}"
    );
    let mut chain = Vec::new();
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    let closed = chain
        .iter()
        .any(|e| e.contains("connection closed before message completed"));
    assert!(closed, "{chain:?}");
    // Before processing: nothing was created, and the request came once.
    assert_eq!(api.emu.chatroom_count(), 0);
    assert_eq!(api.emu.request_count(CREATE), 1);
    // The client recovers on a new connection.
    let r = api.post("/chatrooms", DOC_CREATE).await;
    assert_eq!(r.status, 200);
    assert_eq!(api.emu.chatroom_count(), 1);
}

#[tokio::test]
async fn a_connection_dropped_after_processing_leaves_the_effect() {
    let api = Api::start().await;
    // Warm the connection pool, so the drop happens on a reused connection.
    assert_eq!(api.get("/chatrooms").await.status, 200);
    push(&api, CREATE, Fault::drop_connection().after_processing());
    assert!(try_create(&api).await.is_err());
    assert_eq!(api.emu.chatroom_count(), 1);
    assert_eq!(api.emu.request_count(CREATE), 1, "reqwest did not resend");
}

#[tokio::test]
async fn a_truncated_answer_has_a_head_but_its_body_fails() {
    let api = Api::start().await;
    push(&api, CREATE, Fault::truncated().after_processing());
    let (status, body) = try_create(&api).await.expect("a head arrives");
    assert_eq!(status, 200);
    let err = body.expect_err("the body is cut short");
    // reqwest reports hyper's IncompleteBody while reading the body.
    assert!(err.is_decode() || err.is_body(), "{err:?}");
    assert_eq!(api.emu.chatroom_count(), 1);

    push(&api, CREATE, Fault::truncated());
    let (status, body) = try_create(&api).await.expect("a head arrives");
    assert_eq!(status, 200);
    assert!(body.is_err());
    assert_eq!(api.emu.chatroom_count(), 1, "before processing: no effect");
}

#[tokio::test]
async fn a_malformed_answer_is_200_with_broken_json() {
    let api = Api::start().await;
    push(&api, CREATE, Fault::malformed().after_processing());
    let (status, body) = try_create(&api).await.expect("answered");
    assert_eq!(status, 200);
    let body = body.expect("complete body");
    assert_eq!(body, MALFORMED_BODY.as_bytes());
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    assert_eq!(api.emu.chatroom_count(), 1);
}

#[tokio::test]
async fn a_delay_postpones_the_answer() {
    let api = Api::start().await;
    let delay = Duration::from_millis(300);
    push(&api, "list_chatrooms", Fault::delay(delay));
    push(&api, CREATE, Fault::status(503).delayed(delay));
    let started = Instant::now();
    assert_eq!(api.get("/chatrooms").await.status, 200);
    assert!(started.elapsed() >= delay);
    let started = Instant::now();
    let (status, _) = try_create(&api).await.expect("answered");
    assert_eq!(status, 503);
    assert!(started.elapsed() >= delay);
    assert_eq!(api.emu.faults().remaining("list_chatrooms"), 0, "used up");
    assert_eq!(api.get("/chatrooms").await.status, 200);
}

#[tokio::test]
async fn a_delay_after_processing_keeps_the_effect_when_the_client_gives_up() {
    let api = Api::start().await;
    push(
        &api,
        CREATE,
        Fault::delay(Duration::from_millis(500)).after_processing(),
    );
    let res = api
        .http
        .post(format!("{}/chatrooms", api.root))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/json")
        .body(DOC_CREATE)
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(res.is_err_and(|e| e.is_timeout()));
    assert_eq!(api.emu.chatroom_count(), 1);
}

#[tokio::test]
async fn bad_faults_are_refused_by_the_handle() {
    let emu = Emulator::builder().start().await.expect("starts");
    assert!(
        emu.faults()
            .push("create_room", Fault::status(503))
            .is_err()
    );
    assert!(emu.faults().push(CREATE, Fault::status(1000)).is_err());
    assert!(
        emu.faults()
            .push(CREATE, Fault::status(503).times(0))
            .is_err()
    );
    assert_eq!(emu.faults().remaining(CREATE), 0);
}

// The admin endpoint.

async fn admin(api: &Api, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = api
        .http
        .request(method, format!("{}/_emulator{path}", api.emu.base_url()));
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let r = crate::common::reply(req).await;
    (r.status, r.body)
}

#[tokio::test]
async fn the_admin_endpoint_queues_lists_and_clears_faults() {
    let api = Api::start().await;
    let fault = json!({
        "operation": "create_chatroom",
        "fault": "status",
        "status": 429,
        "headers": {"Retry-After": "2"},
        "times": 2,
    });
    let (status, listed) = admin(&api, Method::POST, "/faults", Some(fault)).await;
    assert_eq!(status, 200, "{listed}");
    let want = json!({"faults": [{
        "operation": "create_chatroom",
        "fault": "status",
        "status": 429,
        "headers": {"Retry-After": "2"},
        "delay_ms": 0,
        "when": "before",
        "times": 2,
    }]});
    assert_eq!(listed, want);
    let more = json!([
        {"operation": "get_chatrooms", "fault": "drop", "when": "after"},
        {"operation": "list_chatrooms", "fault": "delay", "delay_ms": 50},
    ]);
    let (_, listed) = admin(&api, Method::POST, "/faults", Some(more)).await;
    assert_eq!(listed["faults"].as_array().map(Vec::len), Some(3));

    let r = api.post("/chatrooms", DOC_CREATE).await;
    assert_eq!(
        (r.status, r.body["error"].clone()),
        (429, json!("reach_limit"))
    );
    let (_, listed) = admin(&api, Method::GET, "/faults", None).await;
    assert_eq!(listed["faults"][0]["times"], 1);

    let (_, listed) = admin(
        &api,
        Method::DELETE,
        "/faults?operation=create_chatroom",
        None,
    )
    .await;
    assert_eq!(listed["faults"].as_array().map(Vec::len), Some(2));
    let (_, listed) = admin(&api, Method::DELETE, "/faults", None).await;
    assert_eq!(listed, json!({"faults": []}));
    assert_eq!(api.post("/chatrooms", DOC_CREATE).await.status, 200);
}

#[tokio::test]
async fn the_admin_endpoint_refuses_bad_faults_and_queues_none_of_them() {
    let api = Api::start().await;
    let bad = [
        json!({"operation": "nope", "fault": "drop"}),
        json!({"operation": "create_chatroom", "fault": "status"}),
        json!({"operation": "create_chatroom", "fault": "explode"}),
        json!({"operation": "create_chatroom", "fault": "status", "status": 42}),
        json!({"operation": "create_chatroom", "fault": "drop", "times": 0}),
        json!({"operation": "create_chatroom", "fault": "drop", "colour": "red"}),
        json!([
            {"operation": "create_chatroom", "fault": "drop"},
            {"operation": "create_chatroom", "fault": "drop", "headers": {"a b": "c"}},
        ]),
        json!("drop"),
    ];
    for body in bad {
        let (status, answer) = admin(&api, Method::POST, "/faults", Some(body.clone())).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["error"], "invalid_parameter", "{body} -> {answer}");
    }
    let res = api
        .http
        .post(format!("{}/_emulator/faults", api.emu.base_url()))
        .body("{oops")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(api.emu.faults().remaining(CREATE), 0);
}

#[tokio::test]
async fn the_admin_endpoint_reports_and_resets_request_counts() {
    let api = Api::start().await;
    let _ = api.get("/chatrooms").await;
    let _ = api.get("/chatrooms").await;
    let (status, counts) = admin(&api, Method::GET, "/requests", None).await;
    assert_eq!(status, 200);
    assert_eq!(counts["requests"]["list_chatrooms"], 2);
    assert_eq!(counts["requests"]["create_chatroom"], 0);
    assert_eq!(counts["throttled"]["list_chatrooms"], 0);
    let (_, counts) = admin(&api, Method::DELETE, "/requests", None).await;
    assert_eq!(counts["requests"]["list_chatrooms"], 0);
    // Admin calls are not API calls.
    assert_eq!(api.emu.request_count("list_chatrooms"), 0);
}
