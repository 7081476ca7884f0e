//! Server-side quotas: a sliding one-second window per operation.

use std::time::Duration;

use agora_chat_emulator::{Emulator, Quotas};
use serde_json::json;

use crate::common::{Api, DOC_CREATE, TOKEN, assert_error};

#[tokio::test]
async fn over_the_quota_is_429_reach_limit_until_the_window_moves_on() {
    let quotas = Quotas::Off.with("create_chatroom", 3);
    let api = Api::with(Emulator::builder().token(TOKEN).quotas(quotas)).await;
    for _ in 0..3 {
        assert_eq!(api.post("/chatrooms", DOC_CREATE).await.status, 200);
    }
    let r = api.post("/chatrooms", DOC_CREATE).await;
    assert_error(&r, 429, "reach_limit");
    assert_eq!(
        r.body["error_description"],
        "This request has reached api limit"
    );
    // Other operations are not limited.
    for _ in 0..10 {
        assert_eq!(api.get("/chatrooms").await.status, 200);
    }
    assert_eq!(api.emu.throttled_count("create_chatroom"), 1);
    assert_eq!(api.emu.request_count("create_chatroom"), 4);
    assert_eq!(api.emu.chatroom_count(), 3);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(api.post("/chatrooms", DOC_CREATE).await.status, 200);
}

/// Sends `count` requests at once (not one after the other, so that a loaded machine cannot
/// spread them over more than one quota window); their statuses, in no particular order.
async fn at_once(
    api: &Api,
    count: usize,
    method: reqwest::Method,
    path: &str,
    body: Option<&str>,
) -> Vec<u16> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let mut request = api
            .http
            .request(method.clone(), format!("{}{path}", api.root))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        tasks.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        statuses.push(done.expect("task").expect("answered"));
    }
    statuses
}

/// Checks what the emulator decided for a burst of `statuses` of `operation` against its
/// quota of `limit`: when its own clock saw every arrival within one window, exactly
/// `limit` were admitted; a machine too loaded to send them that fast gets at least `limit`.
fn assert_quota(api: &Api, operation: &str, statuses: &[u16], limit: usize) {
    let admitted = statuses.iter().filter(|s| **s == 200).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(admitted + throttled, statuses.len(), "{statuses:?}");
    assert_eq!(api.emu.throttled_count(operation), throttled as u64);
    let arrivals = api.emu.arrivals(operation);
    let spread = arrivals.last().zip(arrivals.first()).map(|(l, f)| *l - *f);
    // Under 0.9 s: the arrival stamps and the admissions are taken a moment apart.
    if spread.is_some_and(|s| s < Duration::from_millis(900)) {
        assert_eq!(admitted, limit, "{statuses:?}");
    } else {
        assert!(admitted >= limit, "{statuses:?}");
    }
}

#[tokio::test]
async fn the_documented_quota_admits_50_creates_a_second_and_100_details() {
    let api = Api::with(Emulator::builder().token(TOKEN).quotas(Quotas::Documented)).await;
    let creates = at_once(
        &api,
        51,
        reqwest::Method::POST,
        "/chatrooms",
        Some(DOC_CREATE),
    )
    .await;
    assert_quota(&api, "create_chatroom", &creates, 50);
    let ids = api.emu.chatroom_ids().join(",");
    let path = format!("/chatrooms/{ids}");
    let details = at_once(&api, 101, reqwest::Method::GET, &path, None).await;
    assert_quota(&api, "get_chatrooms", &details, 100);
    let quotas = api
        .http
        .get(format!("{}/_emulator/quotas", api.emu.base_url()));
    let quotas = crate::common::reply(quotas).await;
    let want = json!({"quotas": {
        "create_chatroom": 50, "list_chatrooms": 50, "list_joined_chatrooms": 50,
        "get_chatrooms": 100, "update_chatroom": 100, "delete_chatroom": 100,
        "list_chatroom_members": 100, "add_chatroom_member": 100, "add_chatroom_members": 100,
        "remove_chatroom_member": 100, "remove_chatroom_members": 100,
        "list_chatroom_admins": 100, "add_chatroom_admin": 100, "remove_chatroom_admin": 100,
        "list_chatroom_super_admins": 100, "add_chatroom_super_admin": 100,
        "remove_chatroom_super_admin": 100, "transfer_chatroom_owner": 100,
        "register_user": 100, "register_users": 100, "get_user": 100, "list_users": 100,
        "delete_user": 100,
    }});
    // Every operation has its documented quota; these are the chatroom, membership and user
    // ones (moderation's are checked by its own tests).
    let (Some(got), Some(want)) = (
        quotas.body["quotas"].as_object(),
        want["quotas"].as_object(),
    ) else {
        panic!("{}", quotas.body);
    };
    for (operation, limit) in want {
        assert_eq!(got.get(operation), Some(limit), "{operation}: {got:?}");
    }
}

#[tokio::test]
async fn a_rejected_token_does_not_use_the_quota() {
    let quotas = Quotas::per_second([("list_chatrooms", 1)]);
    let api = Api::with(Emulator::builder().token(TOKEN).quotas(quotas)).await;
    for _ in 0..3 {
        let res = api
            .http
            .get(format!("{}/chatrooms", api.root))
            .bearer_auth("wrong")
            .send()
            .await
            .expect("answered");
        assert_eq!(res.status().as_u16(), 401);
    }
    assert_eq!(api.get("/chatrooms").await.status, 200);
    assert_eq!(api.get("/chatrooms").await.status, 429);
}

#[tokio::test]
async fn quotas_for_unknown_operations_are_refused_at_start() {
    let quotas = Quotas::per_second([("create_room", 5)]);
    let err = Emulator::builder().quotas(quotas).start().await.err();
    let err = err.expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("create_room"), "{err}");
}

#[tokio::test]
async fn quotas_are_off_by_default() {
    let api = Api::start().await;
    for _ in 0..60 {
        assert_eq!(api.post("/chatrooms", DOC_CREATE).await.status, 200);
    }
    assert_eq!(api.emu.throttled_count("create_chatroom"), 0);
}
