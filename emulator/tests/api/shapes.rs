//! Every operation's success shape.

use agora_chat_emulator::wire::{
    Affiliation, ChatroomDetail, ChatroomSummary, CreatedChatroom, Envelope,
};
use serde_json::{Value, json};

use crate::common::{Api, DOC_CREATE, DOC_UPDATE, ids, now_ms};

fn assert_envelope(body: &Value, action: &str, uri: &str, path: &str) {
    assert_eq!(body["action"], action);
    assert!(body["application"].as_str().is_some_and(|a| a.len() == 36));
    assert_eq!(body["applicationName"], "demo");
    assert_eq!(body["organization"], "demo");
    assert_eq!(body["uri"], uri);
    assert_eq!(body["path"], path);
    assert_eq!(body["entities"], json!([]));
    assert_eq!(body["duration"], 0);
    let ts = body["timestamp"].as_i64().expect("timestamp");
    assert!((now_ms() - ts).abs() < 60_000);
}

#[tokio::test]
async fn create_answers_a_digit_id_in_the_envelope() {
    let api = Api::start().await;
    let r = api.post("/chatrooms", DOC_CREATE).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let uri = format!("{}/chatrooms", api.root);
    assert_envelope(&r.body, "post", &uri, "/chatrooms");
    assert_eq!(r.body["data"], json!({"id": "66213271109633"}));
    for absent in ["count", "cursor", "params"] {
        assert!(r.body.get(absent).is_none(), "{absent}: {}", r.body);
    }
    let typed: Envelope<CreatedChatroom> = serde_json::from_value(r.body).expect("wire type");
    assert_eq!(typed.data.id.as_str(), "66213271109633");
    let second = api.create("b", "user1", &[]).await;
    assert_eq!(second, "66213271109634");
    assert_eq!(api.emu.chatroom_count(), 2);
    assert_eq!(api.emu.chatroom_ids(), ["66213271109633", "66213271109634"]);
}

#[tokio::test]
async fn list_is_an_array_newest_first_with_bool_disabled() {
    let api = Api::start().await;
    let first = api.create("one", "Alice", &["bob", "carol", "BOB"]).await;
    let second = api.create("two", "dave", &[]).await;
    let r = api.get("/chatrooms?limit=5").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let uri = format!("{}/chatrooms", api.root);
    assert_envelope(&r.body, "get", &uri, "/chatrooms");
    let want = json!([
        {"id": second, "name": "two", "owner": "dave", "affiliations_count": 1, "disabled": false},
        {"id": first, "name": "one", "owner": "alice", "affiliations_count": 3, "disabled": false},
    ]);
    assert_eq!(r.body["data"], want);
    assert_eq!(r.body["count"], 2);
    assert_eq!(r.body["params"], json!({"limit": ["5"]}));
    assert!(r.body.get("cursor").is_none());
    let typed: Envelope<Vec<ChatroomSummary>> = serde_json::from_value(r.body).expect("wire");
    assert_eq!(typed.data[1].disabled, Some(false));
}

#[tokio::test]
async fn joined_is_an_array_with_string_disabled() {
    let api = Api::start().await;
    let id = api.post("/chatrooms", DOC_CREATE).await.body["data"]["id"].clone();
    let other = api.create("other", "user2", &[]).await;
    let r = api.get("/users/USER2/joined_chatrooms").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let uri = format!("{}/users/USER2/joined_chatrooms", api.root);
    assert_envelope(&r.body, "get", &uri, "/users/USER2/joined_chatrooms");
    let want = json!([
        {"id": other, "name": "other", "disabled": "false"},
        {"id": id, "name": "testchatroom1", "disabled": "false"},
    ]);
    assert_eq!(r.body["data"], want);
    assert_eq!(r.body["count"], 2);
    let owner = api.get("/users/user1/joined_chatrooms").await;
    assert_eq!(ids(&owner), [id.as_str().expect("id")]);
    let stranger = api.get("/users/nobody/joined_chatrooms").await;
    assert_eq!((stranger.status, &stranger.body["data"]), (200, &json!([])));
}

#[tokio::test]
async fn details_is_an_array_in_request_order() {
    let api = Api::start().await;
    let before = now_ms();
    let a = api.post("/chatrooms", DOC_CREATE).await.body["data"]["id"].clone();
    let a = a.as_str().expect("id").to_owned();
    let b = api.create("second", "user3", &[]).await;
    let path = format!("/chatrooms/{b}%2C{a}");
    let r = api.get(&path).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_envelope(&r.body, "get", &format!("{}{path}", api.root), &path);
    assert_eq!(r.body["count"], 2);
    assert_eq!(ids(&r), [b.clone(), a.clone()]);
    let created = r.body["data"][1]["created"].as_i64().expect("created");
    assert!(created >= before && created <= now_ms());
    let want = json!({
        "id": a, "name": "testchatroom1", "description": "test", "membersonly": false,
        "allowinvites": false, "maxusers": 300, "owner": "user1", "created": created,
        "custom": "", "affiliations_count": 2,
        "affiliations": [{"owner": "user1"}, {"member": "user2"}], "public": true
    });
    assert_eq!(r.body["data"][1], want);
    let typed: Envelope<Vec<ChatroomDetail>> = serde_json::from_value(r.body).expect("wire");
    let owners = [
        Affiliation::Owner("user1".into()),
        Affiliation::Member("user2".into()),
    ];
    assert_eq!(typed.data[1].affiliations.as_deref(), Some(&owners[..]));

    let one = api.get(&format!("/chatrooms/{a}")).await;
    assert_eq!((one.status, ids(&one)), (200, vec![a.clone()]));
    let literal = api.get(&format!("/chatrooms/{a},{b}")).await;
    assert_eq!(ids(&literal), [a.clone(), b.clone()]);
    let partly = api.get(&format!("/chatrooms/999%2C{b}")).await;
    assert_eq!(
        (partly.body["count"].clone(), ids(&partly)),
        (json!(1), vec![b])
    );
}

#[tokio::test]
async fn create_defaults_and_custom() {
    let api = Api::start().await;
    let body = r#"{"name":"n","description":"","owner":"o","custom":"ext"}"#;
    let id = api.post("/chatrooms", body).await.body["data"]["id"].clone();
    let r = api
        .get(&format!("/chatrooms/{}", id.as_str().expect("id")))
        .await;
    let room = &r.body["data"][0];
    assert_eq!(room["maxusers"], 1000);
    assert_eq!(room["custom"], "ext");
    assert_eq!(room["affiliations"], json!([{"owner": "o"}]));
}

#[tokio::test]
async fn update_answers_a_flag_per_field_sent() {
    let api = Api::start().await;
    let id = api.create("old", "user1", &["user2", "user3"]).await;
    let path = format!("/chatrooms/{id}");
    let r = api.put(&path, DOC_UPDATE).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_envelope(&r.body, "put", &format!("{}{path}", api.root), &path);
    let all = json!({"description": true, "maxusers": true, "groupname": true});
    assert_eq!(r.body["data"], all);
    let room = api.get(&path).await.body["data"][0].clone();
    assert_eq!(
        (&room["name"], &room["maxusers"]),
        (&json!("testchatroom"), &json!(300))
    );

    let only_name = api.put(&path, r#"{"name":"renamed"}"#).await;
    assert_eq!(only_name.body["data"], json!({"groupname": true}));

    let too_small = api
        .put(&path, r#"{"maxusers":2,"description":"new"}"#)
        .await;
    assert_eq!(too_small.status, 200, "{}", too_small.body);
    assert_eq!(
        too_small.body["data"],
        json!({"maxusers": false, "description": true})
    );
    let room = api.get(&path).await.body["data"][0].clone();
    assert_eq!(room["maxusers"], 300);
    assert_eq!(room["description"], "new");
    assert_eq!(room["name"], "renamed");

    let exact = api.put(&path, r#"{"maxusers":3}"#).await;
    assert_eq!(exact.body["data"], json!({"maxusers": true}));
}

#[tokio::test]
async fn delete_answers_success_and_forgets_the_room() {
    let api = Api::start().await;
    let id = api.create("gone", "user1", &["user2"]).await;
    let keep = api.create("kept", "user1", &[]).await;
    let path = format!("/chatrooms/{id}");
    let r = api.delete(&path).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_envelope(&r.body, "delete", &format!("{}{path}", api.root), &path);
    assert_eq!(r.body["data"], json!({"success": true, "id": id}));
    assert_eq!(api.get(&path).await.status, 404);
    assert_eq!(ids(&api.get("/chatrooms").await), [keep.as_str()]);
    assert_eq!(
        ids(&api.get("/users/user2/joined_chatrooms").await),
        Vec::<String>::new()
    );
    assert_eq!(ids(&api.get("/users/user1/joined_chatrooms").await), [keep]);
    assert_eq!(api.emu.chatroom_count(), 1);
}
