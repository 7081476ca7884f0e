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

#[tokio::test]
async fn the_documented_quota_admits_50_creates_a_second_and_100_details() {
    let api = Api::with(Emulator::builder().token(TOKEN).quotas(Quotas::Documented)).await;
    let mut statuses = Vec::new();
    for _ in 0..51 {
        statuses.push(api.post("/chatrooms", DOC_CREATE).await.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 50);
    assert_eq!(statuses.last(), Some(&429));
    let ids = api.emu.chatroom_ids().join(",");
    let mut details = Vec::new();
    for _ in 0..101 {
        details.push(api.get(&format!("/chatrooms/{ids}")).await.status);
    }
    assert_eq!(details.iter().filter(|s| **s == 200).count(), 100);
    assert_eq!(api.emu.throttled_count("get_chatrooms"), 1);
    let quotas = api
        .http
        .get(format!("{}/_emulator/quotas", api.emu.base_url()));
    let quotas = crate::common::reply(quotas).await;
    let want = json!({"quotas": {
        "create_chatroom": 50, "list_chatrooms": 50, "list_joined_chatrooms": 50,
        "get_chatrooms": 100, "update_chatroom": 100, "delete_chatroom": 100,
    }});
    assert_eq!(quotas.body, want);
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
