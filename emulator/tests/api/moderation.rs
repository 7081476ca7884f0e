//! Moderation over raw HTTP: the reference's documented request bodies and answers for
//! mutes, mute-all, the block list, the allow list, the announcement and custom attributes,
//! with the documented errors; mutes end on the emulator's clock.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Api, Reply, assert_error};

/// A room owned by user1 with user2, user3 and user4 as members.
async fn setup() -> (Api, String) {
    let api = Api::start().await;
    let id = api
        .create("mod", "user1", &["user2", "user3", "user4"])
        .await;
    (api, id)
}

fn data(r: &Reply) -> &Value {
    assert_eq!(r.status, 200, "{}", r.body);
    &r.body["data"]
}

#[tokio::test]
async fn mute_answers_an_array_with_expiries_and_ends_on_the_clock() {
    let (api, id) = setup().await;
    let now_ms = i64::try_from(api.emu.now_unix()).expect("fits") * 1000;
    let body = r#"{"usernames": ["user2", "user3"], "mute_duration": 86400000}"#;
    let r = api.post(&format!("/chatrooms/{id}/mute"), body).await;
    let expire = now_ms + 86_400_000;
    assert_eq!(
        *data(&r),
        json!([{"result": true, "expire": expire, "user": "user2"},
               {"result": true, "expire": expire, "user": "user3"}])
    );
    let forever = r#"{"usernames": ["user4"], "mute_duration": -1}"#;
    let r = api.post(&format!("/chatrooms/{id}/mute"), forever).await;
    // reality: SDK comments say a permanent mute reports this expiry (2116-12-31).
    assert_eq!(data(&r)[0]["expire"], 4_638_873_600_000_i64);

    let r = api.get(&format!("/chatrooms/{id}/mute")).await;
    assert_eq!(
        *data(&r),
        json!([{"expire": expire, "user": "user2"}, {"expire": expire, "user": "user3"},
               {"expire": 4_638_873_600_000_i64, "user": "user4"}])
    );
    api.emu.advance_clock(Duration::from_secs(86_400));
    let r = api.get(&format!("/chatrooms/{id}/mute")).await;
    assert_eq!(
        *data(&r),
        json!([{"expire": 4_638_873_600_000_i64, "user": "user4"}])
    );
}

#[tokio::test]
async fn unmute_answers_an_array_even_for_one_name_raw_or_escaped_commas() {
    let (api, id) = setup().await;
    let body = r#"{"usernames": ["user2", "user3", "user4"], "mute_duration": -1}"#;
    data(&api.post(&format!("/chatrooms/{id}/mute"), body).await);
    let r = api.delete(&format!("/chatrooms/{id}/mute/user2")).await;
    assert_eq!(*data(&r), json!([{"result": true, "user": "user2"}]));
    let r = api
        .delete(&format!("/chatrooms/{id}/mute/user3%2Cuser4"))
        .await;
    assert_eq!(
        *data(&r),
        json!([{"result": true, "user": "user3"}, {"result": true, "user": "user4"}])
    );
    let r = api.get(&format!("/chatrooms/{id}/mute")).await;
    assert_eq!(*data(&r), json!([]));
}

#[tokio::test]
async fn mute_errors() {
    let (api, id) = setup().await;
    let names: Vec<String> = (0..61).map(|i| format!("u{i}")).collect();
    let body = json!({"usernames": names, "mute_duration": 1000}).to_string();
    let r = api.post(&format!("/chatrooms/{id}/mute"), &body).await;
    assert_error(&r, 400, "invalid_parameter");
    let stranger = r#"{"usernames": ["nobody"], "mute_duration": 1000}"#;
    let r = api.post(&format!("/chatrooms/{id}/mute"), stranger).await;
    assert_error(&r, 403, "forbidden_op");
    let desc = r.body["error_description"].as_str().unwrap_or_default();
    assert_eq!(desc, "users [nobody] are not members of this group!");
    let owner = r#"{"usernames": ["user1"], "mute_duration": 1000}"#;
    let r = api.post(&format!("/chatrooms/{id}/mute"), owner).await;
    assert_error(&r, 403, "forbidden_op");
    let zero = r#"{"usernames": ["user2"], "mute_duration": 0}"#;
    let r = api.post(&format!("/chatrooms/{id}/mute"), zero).await;
    assert_error(&r, 400, "invalid_parameter");
    let r = api.get("/chatrooms/1/mute").await;
    assert_error(&r, 404, "service_resource_not_found");
}

#[tokio::test]
async fn mute_all_and_unmute_all() {
    let (api, id) = setup().await;
    let r = api
        .send(Method::POST, &format!("/chatrooms/{id}/ban"), None)
        .await;
    assert_eq!(*data(&r), json!({"mute": true}));
    let r = api.get(&format!("/chatrooms/{id}")).await;
    assert_eq!(data(&r)[0]["mute"], true);
    let r = api.delete(&format!("/chatrooms/{id}/ban")).await;
    assert_eq!(*data(&r), json!({"mute": false}));
}

#[tokio::test]
async fn the_block_list_as_documented() {
    let (api, id) = setup().await;
    let path = format!("/chatrooms/{id}/blocks/users");
    let r = api.send(Method::POST, &format!("{path}/user2"), None).await;
    assert_eq!(
        *data(&r),
        json!({"result": true, "action": "add_blocks", "user": "user2", "chatroomid": id})
    );
    let r = api
        .post(&path, r#"{"usernames": ["user5", "user3"]}"#)
        .await;
    let reason = format!("user: user5 doesn't exist in chatroom: {id}");
    assert_eq!(
        *data(&r),
        json!([{"result": false, "action": "add_blocks", "reason": reason, "user": "user5", "chatroomid": id},
               {"result": true, "action": "add_blocks", "user": "user3", "chatroomid": id}])
    );
    let r = api.get(&path).await;
    assert_eq!(*data(&r), json!(["user2", "user3"]));
    assert_eq!(r.body["count"], 2);
    // Gone from the room, and cannot be added back while blocked.
    let r = api.get(&format!("/chatrooms/{id}")).await;
    assert_eq!(data(&r)[0]["affiliations_count"], 2);
    let r = api
        .send(Method::POST, &format!("/chatrooms/{id}/users/user2"), None)
        .await;
    assert_error(&r, 403, "forbidden_op");
    let r = api.send(Method::POST, &format!("{path}/user1"), None).await;
    assert_error(&r, 403, "forbidden_op");

    let r = api.delete(&format!("{path}/user2")).await;
    assert_eq!(
        *data(&r),
        json!({"result": true, "action": "remove_blocks", "user": "user2", "chatroomid": id})
    );
    let r = api.delete(&format!("{path}/user3%2Cuser4")).await;
    let items = data(&r).as_array().expect("an array for several names");
    assert_eq!(items[0]["result"], true);
    assert_eq!(items[1]["result"], false, "user4 was not blocked");
    let names: Vec<String> = (0..61).map(|i| format!("u{i}")).collect();
    let r = api
        .post(&path, &json!({"usernames": names}).to_string())
        .await;
    assert_error(&r, 400, "invalid_parameter");
}

#[tokio::test]
async fn the_allow_list_as_documented() {
    let (api, id) = setup().await;
    let path = format!("/chatrooms/{id}/white/users");
    let r = api.send(Method::POST, &format!("{path}/user2"), None).await;
    assert_eq!(
        *data(&r),
        json!({"result": true, "action": "add_user_whitelist", "user": "user2", "chatroomid": id})
    );
    let r = api
        .post(&path, r#"{"usernames": ["user3", "user9"]}"#)
        .await;
    let items = data(&r).as_array().expect("array");
    assert_eq!(items[0]["result"], true);
    assert_eq!(items[1]["result"], false);
    assert!(
        items[1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not members"))
    );
    let r = api.get(&path).await;
    assert_eq!(*data(&r), json!(["user2", "user3"]));
    assert_eq!(r.body["count"], 2);
    let r = api.delete(&format!("{path}/user2%2Cuser3")).await;
    assert_eq!(
        *data(&r),
        json!([{"result": true, "action": "remove_user_whitelist", "user": "user2", "chatroomid": id},
               {"result": true, "action": "remove_user_whitelist", "user": "user3", "chatroomid": id}])
    );
    let r = api.send(Method::POST, &format!("{path}/user9"), None).await;
    assert_error(&r, 403, "forbidden_op");
}

#[tokio::test]
async fn the_announcement_as_documented() {
    let (api, id) = setup().await;
    let path = format!("/chatrooms/{id}/announcement");
    let r = api.get(&path).await;
    assert_eq!(*data(&r), json!({"announcement": ""}));
    let r = api.post(&path, r#"{"announcement": "Welcome."}"#).await;
    assert_eq!(*data(&r), json!({"id": id, "result": true}));
    let r = api.get(&path).await;
    assert_eq!(*data(&r), json!({"announcement": "Welcome."}));
    let long = json!({"announcement": "x".repeat(513)}).to_string();
    let r = api.post(&path, &long).await;
    assert_error(&r, 403, "forbidden_op");
    assert_eq!(
        r.body["error_description"],
        "announce info length exceeds limit!"
    );
}

#[tokio::test]
async fn attributes_as_documented_with_the_trimmed_envelope() {
    let (api, id) = setup().await;
    let set = r#"{"metaData": {"key1": "value1", "key2": "value2"}, "autoDelete": "DELETE"}"#;
    let r = api
        .put(&format!("/metadata/chatroom/{id}/user/user2"), set)
        .await;
    assert_eq!(
        *data(&r),
        json!({"successKeys": ["key1", "key2"], "errorKeys": {}})
    );
    let mut keys: Vec<&str> = r
        .body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["action", "data", "timestamp", "uri"], "{}", r.body);

    let r = api
        .post(
            &format!("/metadata/chatroom/{id}"),
            r#"{"keys": ["key1", "nope"]}"#,
        )
        .await;
    assert_eq!(*data(&r), json!({"key1": "value1"}));
    assert_eq!(r.body["action"], "post");
    let r = api
        .post(&format!("/metadata/chatroom/{id}"), r#"{"keys": []}"#)
        .await;
    assert_eq!(*data(&r), json!({"key1": "value1", "key2": "value2"}));
    let r = api.post(&format!("/metadata/chatroom/{id}"), "{}").await;
    assert_eq!(*data(&r), json!({"key1": "value1", "key2": "value2"}));

    let other = r#"{"metaData": {"key2": "theirs"}}"#;
    let r = api
        .put(&format!("/metadata/chatroom/{id}/user/user3"), other)
        .await;
    let reason = data(&r)["errorKeys"]["key2"].as_str().unwrap_or_default();
    assert!(reason.contains("is not part of you"), "{}", r.body);
    let r = api
        .put(&format!("/metadata/chatroom/{id}/user/user3/forced"), other)
        .await;
    assert_eq!(*data(&r), json!({"successKeys": ["key2"], "errorKeys": {}}));

    let del = Some(r#"{"keys": ["key1", "key2"]}"#);
    let r = api
        .send(
            Method::DELETE,
            &format!("/metadata/chatroom/{id}/user/user2"),
            del,
        )
        .await;
    assert_eq!(r.body["status"], "ok");
    assert_eq!(data(&r)["successKeys"], json!(["key1"]));
    assert!(data(&r)["errorKeys"]["key2"].is_string());
    let r = api
        .send(
            Method::DELETE,
            &format!("/metadata/chatroom/{id}/user/admin/forced"),
            del,
        )
        .await;
    assert_eq!(data(&r)["successKeys"], json!(["key2"]));
    assert!(data(&r)["errorKeys"]["key1"].is_string(), "already gone");
}

#[tokio::test]
async fn attribute_errors() {
    let (api, id) = setup().await;
    let r = api
        .put(
            &format!("/metadata/chatroom/{id}/user/user9"),
            r#"{"metaData": {"k": "v"}}"#,
        )
        .await;
    assert_error(&r, 401, "MetadataException");
    let eleven: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("k{i}"), json!("v"))).collect();
    let body = json!({"metaData": eleven}).to_string();
    let r = api
        .put(&format!("/metadata/chatroom/{id}/user/user2"), &body)
        .await;
    assert_error(&r, 400, "invalid_parameter");
    let bad_key = r#"{"metaData": {"a b": "v"}}"#;
    let r = api
        .put(&format!("/metadata/chatroom/{id}/user/user2"), bad_key)
        .await;
    assert_error(&r, 400, "invalid_parameter");
    let long = json!({"metaData": {"k": "v".repeat(4097)}}).to_string();
    let r = api
        .put(&format!("/metadata/chatroom/{id}/user/user2"), &long)
        .await;
    assert_error(&r, 400, "invalid_parameter");
    let r = api.post("/metadata/chatroom/1", "{}").await;
    assert_error(&r, 404, "service_resource_not_found");
}

#[tokio::test]
async fn blocking_drops_auto_delete_attributes_and_the_allow_list_entry() {
    let (api, id) = setup().await;
    let gone = r#"{"metaData": {"gone": "1"}}"#;
    let kept = r#"{"metaData": {"kept": "1"}, "autoDelete": "NO_DELETE"}"#;
    for body in [gone, kept] {
        data(
            &api.put(&format!("/metadata/chatroom/{id}/user/user2"), body)
                .await,
        );
    }
    data(
        &api.send(
            Method::POST,
            &format!("/chatrooms/{id}/white/users/user2"),
            None,
        )
        .await,
    );
    data(
        &api.send(
            Method::POST,
            &format!("/chatrooms/{id}/blocks/users/user2"),
            None,
        )
        .await,
    );
    let r = api.post(&format!("/metadata/chatroom/{id}"), "{}").await;
    assert_eq!(*data(&r), json!({"kept": "1"}));
    let r = api.get(&format!("/chatrooms/{id}/white/users")).await;
    assert_eq!(*data(&r), json!([]));
    let r = api.get("/users/user2/joined_chatrooms").await;
    assert_eq!(*data(&r), json!([]));
}
