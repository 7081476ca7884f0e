//! List, joined and details pagination and limits.

use std::collections::HashSet;

use serde_json::json;

use crate::common::{Api, assert_error, ids};

#[tokio::test]
async fn list_pages_every_room_once_newest_first() {
    let api = Api::start().await;
    let mut created = Vec::new();
    for i in 0..250 {
        created.push(api.create(&format!("room{i}"), "owner", &[]).await);
    }
    let mut seen = Vec::new();
    let mut path = "/chatrooms?limit=7".to_owned();
    let mut pages = 0;
    loop {
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        pages += 1;
        let page = ids(&r);
        assert_eq!(r.body["count"], page.len());
        seen.extend(page.clone());
        if pages == 1 {
            // A room created mid-paging must not shift the later pages.
            api.create("late", "owner", &[]).await;
        }
        let Some(cursor) = r.body.get("cursor") else {
            assert_eq!(page.len(), 250 % 7, "last page");
            break;
        };
        assert_eq!(page.len(), 7);
        let cursor = cursor.as_str().expect("cursor is a string");
        assert_eq!(r.body["params"]["limit"], json!(["7"]));
        path = format!("/chatrooms?limit=7&cursor={cursor}");
    }
    assert_eq!(pages, 250usize.div_ceil(7));
    let newest_first: Vec<String> = created.into_iter().rev().collect();
    assert_eq!(seen, newest_first);
}

#[tokio::test]
async fn list_defaults_to_ten() {
    let api = Api::start().await;
    for i in 0..11 {
        api.create(&format!("r{i}"), "o", &[]).await;
    }
    let r = api.get("/chatrooms").await;
    assert_eq!(ids(&r).len(), 10);
    assert!(r.body["cursor"].is_string());
    assert!(r.body.get("params").is_none());
    let all = api.get("/chatrooms?limit=100").await;
    assert_eq!(ids(&all).len(), 11);
    assert!(all.body.get("cursor").is_none());
}

#[tokio::test]
async fn list_rejects_bad_limit_and_cursor() {
    let api = Api::start().await;
    for query in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=",
        "limit=-1",
        "cursor=zz",
    ] {
        let r = api.get(&format!("/chatrooms?{query}")).await;
        assert_error(&r, 400, "invalid_parameter");
    }
    let r = api.get("/chatrooms?limit=1").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn joined_pages_most_recent_first() {
    let api = Api::start().await;
    let mut created = Vec::new();
    for i in 0..12 {
        created.push(api.create(&format!("r{i}"), "owner", &["member"]).await);
    }
    created.reverse();
    let mut seen = Vec::new();
    for (pagenum, want) in [(1, 5), (2, 5), (3, 2), (4, 0)] {
        let path = format!("/users/member/joined_chatrooms?pagenum={pagenum}&pagesize=5");
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let page = ids(&r);
        assert_eq!(page.len(), want, "page {pagenum}");
        assert_eq!(r.body["count"], want);
        let params = json!({"pagenum": [pagenum.to_string()], "pagesize": ["5"]});
        assert_eq!(r.body["params"], params);
        seen.extend(page);
    }
    assert_eq!(seen, created);
    let unpaged = api.get("/users/member/joined_chatrooms").await;
    assert_eq!(ids(&unpaged), created);
    let size_only = api.get("/users/owner/joined_chatrooms?pagesize=3").await;
    assert_eq!(ids(&size_only), created[..3]);
    for query in ["pagenum=0", "pagesize=0", "pagesize=1001", "pagenum=x"] {
        let r = api
            .get(&format!("/users/member/joined_chatrooms?{query}"))
            .await;
        assert_error(&r, 400, "invalid_parameter");
    }
}

#[tokio::test]
async fn joined_without_params_returns_at_most_500() {
    let api = Api::start().await;
    for i in 0..501 {
        api.create(&format!("r{i}"), "busy", &[]).await;
    }
    let r = api.get("/users/busy/joined_chatrooms").await;
    assert_eq!(ids(&r).len(), 500);
    let all = api.get("/users/busy/joined_chatrooms?pagesize=1000").await;
    assert_eq!(ids(&all).len(), 501);
}

#[tokio::test]
async fn details_takes_up_to_100_ids() {
    let api = Api::start().await;
    let mut created = Vec::new();
    for i in 0..101 {
        created.push(api.create(&format!("r{i}"), "o", &[]).await);
    }
    // Ask in an order that is neither creation nor reverse order.
    let hundred: Vec<String> = created[..100]
        .iter()
        .rev()
        .step_by(2)
        .chain(created[..100].iter().step_by(2))
        .cloned()
        .collect();
    assert_eq!(hundred.iter().collect::<HashSet<_>>().len(), 100);
    let r = api
        .get(&format!("/chatrooms/{}", hundred.join("%2C")))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r), hundred);
    assert_eq!(r.body["count"], 100);
    let r = api
        .get(&format!("/chatrooms/{}", created.join("%2C")))
        .await;
    assert_error(&r, 400, "invalid_parameter");
}
