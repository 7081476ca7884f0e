//! The test controls of issue 15, each over HTTP (`/_emulator/...`) and on the in-process
//! handle: health and info, reset, state export and import, the journal, the clock, and the
//! admin token.

use std::time::Duration;

use agora_chat_emulator::{Emulator, REDACTED, Reset, STATE_VERSION, StateSnapshot};
use serde_json::{Value, json};

use crate::common::{Api, Reply, TOKEN, reply};
use reqwest::Method;

impl Api {
    /// `GET`/`POST`/... `/_emulator/{path}` with an optional JSON body.
    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let url = format!("{}/_emulator/{path}", self.emu.base_url());
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        reply(req).await
    }
}

#[tokio::test]
async fn health_and_info() {
    let api = Api::with(
        Emulator::builder()
            .token(TOKEN)
            .client_credentials("c", "s"),
    )
    .await;
    let health = api.control(Method::GET, "health", None).await;
    assert_eq!(
        (health.status, health.body.clone()),
        (200, json!({"status": "ok"}))
    );
    assert!(api.emu.is_running());
    let info = api.control(Method::GET, "info", None).await;
    assert_eq!(info.status, 200);
    let want = json!({
        "name": "agora-chat-emulator", "version": env!("CARGO_PKG_VERSION"),
        "org": "demo", "app": "demo", "auth": ["token", "client_credentials"],
        "quotas": false, "admin_token": false, "state_version": STATE_VERSION,
    });
    assert_eq!(info.body, want);
    assert_eq!(serde_json::to_value(api.emu.info()).ok(), Some(want));
    assert!(!info.body.to_string().contains(TOKEN), "no secret in info");
}

#[tokio::test]
async fn reset_all_or_counts_only_over_http() {
    let api = Api::start().await;
    api.create("r", "alice", &[]).await;
    let counts = api.control(Method::POST, "reset?scope=counts", None).await;
    assert_eq!(counts.body, json!({"reset": "counts"}));
    assert_eq!(api.emu.request_count("create_chatroom"), 0);
    assert_eq!(api.emu.chatroom_count(), 1, "counts only");
    let bad = api.control(Method::POST, "reset?scope=some", None).await;
    assert_eq!(bad.status, 400);
    let all = api.control(Method::POST, "reset", None).await;
    assert_eq!(all.body, json!({"reset": "all"}));
    assert_eq!(api.emu.chatroom_count(), 0);
    assert!(api.emu.journal().is_empty());
    // Ids start again, as on a fresh emulator.
    let id = api.create("r", "alice", &[]).await;
    assert_eq!(id, agora_chat_emulator::FIRST_ID.to_string());
}

#[tokio::test]
async fn reset_in_process() {
    let api = Api::start().await;
    api.create("r", "alice", &[]).await;
    api.emu.reset(Reset::Counts);
    assert_eq!(
        (
            api.emu.request_count("create_chatroom"),
            api.emu.chatroom_count()
        ),
        (0, 1)
    );
    api.emu.reset(Reset::All);
    assert_eq!(api.emu.chatroom_count(), 0);
}

/// Every list and details answer (data and cursor), to compare two states.
async fn answers(api: &Api, users: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    let all = api.get("/chatrooms?limit=100").await;
    let ids: Vec<String> = crate::common::ids(&all);
    out.push(json!([all.body["data"], all.body.get("cursor")]));
    let mut path = "/chatrooms?limit=2".to_owned();
    loop {
        let page = api.get(&path).await;
        out.push(json!([page.body["data"], page.body.get("cursor")]));
        let Some(cursor) = page.body.get("cursor").and_then(Value::as_str) else {
            break;
        };
        path = format!("/chatrooms?limit=2&cursor={cursor}");
    }
    for user in users {
        let joined = api.get(&format!("/users/{user}/joined_chatrooms")).await;
        out.push(joined.body["data"].clone());
        let paged = api
            .get(&format!(
                "/users/{user}/joined_chatrooms?pagenum=2&pagesize=1"
            ))
            .await;
        out.push(paged.body["data"].clone());
    }
    for id in &ids {
        out.push(api.get(&format!("/chatrooms/{id}")).await.body["data"].clone());
    }
    out.push(api.get(&format!("/chatrooms/{}", ids.join(","))).await.body["data"].clone());
    out
}

async fn seed(api: &Api) {
    api.create("one", "Alice", &["bob", "carol"]).await;
    let two = api.create("two", "bob", &["alice"]).await;
    api.create("three", "carol", &[]).await;
    let r = api
        .put(
            &format!("/chatrooms/{two}"),
            r#"{"description": "changed"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let gone = api.create("gone", "dave", &["alice"]).await;
    assert_eq!(api.delete(&format!("/chatrooms/{gone}")).await.status, 200);
}

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

#[tokio::test]
async fn export_reset_import_over_http_gives_the_same_answers() {
    let api = Api::start().await;
    seed(&api).await;
    let before = answers(&api, &USERS).await;
    let exported = api.control(Method::GET, "state", None).await;
    assert_eq!(exported.body["version"], STATE_VERSION);
    assert_eq!(exported.body["chatrooms"].as_array().map(Vec::len), Some(3));
    api.control(Method::POST, "reset", None).await;
    assert_ne!(answers(&api, &USERS).await, before);
    let imported = api
        .control(Method::PUT, "state", Some(exported.body.clone()))
        .await;
    assert_eq!((imported.status, &imported.body), (200, &exported.body));
    assert_eq!(answers(&api, &USERS).await, before);
    // The next create continues after the deleted room's id, as before the reset.
    let next = api.create("next", "alice", &[]).await;
    assert_eq!(
        exported.body["next_id"].as_u64().map(|n| n.to_string()),
        Some(next)
    );
}

#[tokio::test]
async fn export_reset_import_in_process_gives_the_same_answers() {
    let api = Api::start().await;
    seed(&api).await;
    let before = answers(&api, &USERS).await;
    let snapshot = api.emu.export_state();
    api.emu.reset(Reset::All);
    assert_eq!(api.emu.import_state(&snapshot), Ok(()));
    assert_eq!(answers(&api, &USERS).await, before);
    // A document written as JSON text reads back the same.
    let text = serde_json::to_string(&snapshot).expect("serializes");
    assert_eq!(StateSnapshot::from_json(&text), Ok(snapshot));
}

#[tokio::test]
async fn a_bad_state_is_refused_with_the_reason_and_changes_nothing() {
    let api = Api::start().await;
    api.create("r", "alice", &[]).await;
    let doc = json!({"version": 1, "chatrooms": [
        {"id": "7", "name": "n", "description": "d", "owner": "a", "maxusers": 1, "members": ["b"]}]});
    let r = api.control(Method::PUT, "state", Some(doc)).await;
    crate::common::assert_error(&r, 400, "invalid_parameter");
    let text = r.body["error_description"].as_str().unwrap_or_default();
    assert!(
        text.contains("chatrooms[0]") && text.contains("maxusers 1"),
        "{text}"
    );
    assert_eq!(api.emu.chatroom_count(), 1);
}

#[tokio::test]
async fn the_journal_records_requests_without_secrets() {
    let api = Api::with(
        Emulator::builder()
            .token(TOKEN)
            .client_credentials("cid", "csecret"),
    )
    .await;
    let token =
        json!({"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"});
    let issued = api.post("/token", &token.to_string()).await;
    assert_eq!(issued.status, 200);
    api.create("r", "alice", &[]).await;
    let _ = api.get("/chatrooms?limit=1").await;
    let _ = api.get("/nowhere").await;
    let _ = api.control(Method::GET, "info", None).await;
    let http = api.control(Method::GET, "journal", None).await;
    let entries = http.body["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let summary: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!([
                e["method"],
                e["path"],
                e["query"],
                e["status"],
                e["operation"]
            ])
        })
        .collect();
    let want = vec![
        json!(["POST", "/demo/demo/token", null, 200, null]),
        json!(["POST", "/demo/demo/chatrooms", null, 200, "create_chatroom"]),
        json!([
            "GET",
            "/demo/demo/chatrooms",
            "limit=1",
            200,
            "list_chatrooms"
        ]),
        json!(["GET", "/demo/demo/nowhere", null, 404, null]),
    ];
    assert_eq!(summary, want, "the controls are not journaled");
    assert_eq!(entries[0]["body"]["client_secret"], REDACTED);
    assert_eq!(entries[1]["body"]["owner"], "alice");
    let text = http.body.to_string();
    assert!(!text.contains("csecret") && !text.contains(TOKEN), "{text}");
    let in_process = serde_json::to_value(api.emu.journal()).expect("serializes");
    assert_eq!(in_process, http.body["requests"]);
    let cleared = api.control(Method::DELETE, "journal", None).await;
    assert_eq!(cleared.body, json!({"requests": []}));
    let _ = api.get("/chatrooms").await;
    assert_eq!(api.emu.journal().len(), 1);
    api.emu.clear_journal();
    assert!(api.emu.journal().is_empty());
}

#[tokio::test]
async fn the_clock_moves_over_http_and_in_process_and_expires_tokens() {
    let api = Api::with(
        Emulator::builder()
            .token(TOKEN)
            .client_credentials("cid", "cs"),
    )
    .await;
    let body = json!({"grant_type": "client_credentials", "client_id": "cid", "client_secret": "cs", "ttl": 60});
    let issued = api.post("/token", &body.to_string()).await;
    let token = issued.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let list = format!("{}/chatrooms", api.root);
    let with_token = || reply(api.http.get(&list).bearer_auth(&token));
    assert_eq!(with_token().await.status, 200);
    let set = api
        .control(Method::POST, "clock", Some(json!({"now_unix": 1_000})))
        .await;
    assert_eq!(set.body, json!({"now_unix": 1_000}));
    // The token was issued at today's time, so at 1000 it is not expired yet.
    assert_eq!(with_token().await.status, 200);
    api.emu.set_clock(2_000_000_000_000);
    assert_eq!(with_token().await.status, 401, "expired");
    api.emu.set_clock(5);
    api.emu.advance_clock(Duration::from_secs(10));
    let now = api.control(Method::GET, "clock", None).await;
    assert_eq!(now.body, json!({"now_unix": 15}));
    let moved = api
        .control(Method::POST, "clock", Some(json!({"advance_secs": 5})))
        .await;
    assert_eq!(moved.body, json!({"now_unix": 20}));
    assert_eq!(api.emu.now_unix(), 20);
    for bad in [
        json!({}),
        json!({"now_unix": 1, "advance_secs": 1}),
        json!({"x": 1}),
    ] {
        let r = api.control(Method::POST, "clock", Some(bad)).await;
        crate::common::assert_error(&r, 400, "invalid_parameter");
    }
}

#[tokio::test]
async fn the_admin_token_protects_every_control_but_health() {
    let api = Api::with(Emulator::builder().token(TOKEN).admin_token("adm")).await;
    let base = api.emu.base_url();
    for path in [
        "info", "state", "journal", "clock", "faults", "requests", "quotas",
    ] {
        let r = reply(api.http.get(format!("{base}/_emulator/{path}"))).await;
        crate::common::assert_error(&r, 401, "unauthorized");
        let r = reply(
            api.http
                .get(format!("{base}/_emulator/{path}"))
                .bearer_auth(TOKEN),
        )
        .await;
        assert_eq!(r.status, 401, "the service token is not the admin token");
        let r = reply(
            api.http
                .get(format!("{base}/_emulator/{path}"))
                .bearer_auth("adm"),
        )
        .await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    let r = reply(api.http.post(format!("{base}/_emulator/reset"))).await;
    assert_eq!(r.status, 401);
    assert_eq!(api.control(Method::GET, "health", None).await.status, 200);
    assert!(api.emu.info().admin_token);
}

#[cfg(feature = "client")]
#[tokio::test]
async fn a_ready_client_for_each_auth_mode() {
    use agora_chat::operations::ListChatroomsQuery;
    let builders = [
        Emulator::builder(),
        Emulator::builder().token("t"),
        Emulator::builder().app_credentials(
            "970CA35de60c44645bbae8a215061b33",
            "5CFd2fd1755d40ecb72977518be15d3b",
        ),
        Emulator::builder()
            .auth(agora_chat_emulator::Auth::AnyOf(vec![]))
            .client_credentials("c", "s"),
    ];
    for builder in builders {
        let emu = builder.start().await.expect("starts");
        let client = emu.client().expect("a client");
        let listed = client
            .list_chatrooms_page(&ListChatroomsQuery::default())
            .await;
        assert!(listed.is_ok(), "{listed:?}");
    }
}
