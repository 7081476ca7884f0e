//! The user calls over raw HTTP, with the reference's documented request bodies: register
//! one (object) and many (array) on the same `POST /users`, get, list with a cursor, delete
//! (which takes the user out of every chatroom), and strict mode.

use agora_chat_emulator::Emulator;
use serde_json::Value;

use crate::common::{Api, TOKEN, assert_error};

/// The user names in `entities`, in order.
fn names(body: &Value) -> Vec<String> {
    let entities = body["entities"].as_array().cloned().unwrap_or_default();
    let names = entities
        .iter()
        .map(|u| u["username"].as_str().unwrap_or("?").to_owned());
    names.collect()
}

#[tokio::test]
async fn register_one_answers_the_user_in_entities() {
    let api = Api::start().await;
    // The reference's body.
    let r = api
        .post("/users", r#"{"username":"user1","password":"123"}"#)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(names(&r.body), ["user1"]);
    let user = &r.body["entities"][0];
    assert_eq!(user["type"], "user");
    assert_eq!(user["activated"], true);
    assert!(
        user["uuid"].as_str().is_some_and(|u| u.len() == 36),
        "{}",
        r.body
    );
    assert!(user["created"].as_i64().is_some() && user["modified"].as_i64().is_some());
    assert_eq!(r.body["action"], "post");
    assert_eq!(r.body["path"], "/users");
    assert!(r.body.get("data").is_none(), "{}", r.body);
    assert!(r.body.get("password").is_none() && user.get("password").is_none());
    // Registering it again is the documented error.
    let again = api
        .post("/users", r#"{"username":"USER1","password":"x"}"#)
        .await;
    assert_error(&again, 400, "duplicate_unique_property_exists");
    let text = again.body["error_description"].as_str().unwrap_or_default();
    assert!(text.contains("value of user1 exists"), "{text}");
}

#[tokio::test]
async fn register_many_reports_partial_failures_with_http_200() {
    let api = Api::start().await;
    assert_eq!(
        api.post("/users", r#"{"username":"user3","password":"1"}"#)
            .await
            .status,
        200
    );
    let body = r#"[{"username":"user1","password":"123"},{"username":"user2","password":"456","nickname":"Two"},{"username":"user3","password":"789"}]"#;
    let r = api.post("/users", body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(names(&r.body), ["user1", "user2"]);
    assert_eq!(r.body["entities"][1]["nickname"], "Two");
    let failed = &r.body["data"];
    assert_eq!(failed.as_array().map(Vec::len), Some(1), "{}", r.body);
    assert_eq!(failed[0]["username"], "user3");
    assert_eq!(
        failed[0]["registerUserFailReason"],
        "the user3 already exists"
    );
    // Nothing failed: `data` is `[]`.
    let r = api
        .post("/users", r#"[{"username":"user4","password":"1"}]"#)
        .await;
    assert_eq!(r.body["data"], serde_json::json!([]), "{}", r.body);
    // The same name twice fails the whole request.
    let twice = r#"[{"username":"u5","password":"1"},{"username":"U5","password":"2"}]"#;
    assert_error(
        &api.post("/users", twice).await,
        400,
        "duplicate_unique_property_exists",
    );
    assert_eq!(api.get("/users/u5").await.status, 404);
}

#[tokio::test]
async fn register_refuses_bad_users_and_more_than_sixty() {
    let api = Api::start().await;
    let bad = [
        r#"{"username":"a b","password":"1"}"#,
        r#"{"username":"ok"}"#,
        r#"{"username":"ok","password":""}"#,
    ];
    for body in bad {
        let r = api.post("/users", body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
    }
    let many: Vec<String> = (0..61)
        .map(|i| format!(r#"{{"username":"u{i}","password":"p"}}"#))
        .collect();
    let r = api.post("/users", &format!("[{}]", many.join(","))).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(api.get("/users").await.body["count"], 0);
}

#[tokio::test]
async fn get_and_list_page_with_a_cursor_in_registration_order() {
    let api = Api::start().await;
    for name in ["zed", "amy", "bob"] {
        let body = format!(r#"{{"username":"{name}","password":"p","nickname":"N"}}"#);
        assert_eq!(api.post("/users", &body).await.status, 200);
    }
    let one = api.get("/users/Amy").await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(names(&one.body), ["amy"]);
    assert_eq!(one.body["entities"][0]["nickname"], "N");
    assert_eq!(one.body["count"], 1);
    assert_error(
        &api.get("/users/nobody").await,
        404,
        "service_resource_not_found",
    );
    let first = api.get("/users?limit=2").await;
    assert_eq!(names(&first.body), ["zed", "amy"]);
    assert_eq!(first.body["count"], 2);
    assert_eq!(first.body["params"]["limit"], serde_json::json!(["2"]));
    let cursor = first.body["cursor"]
        .as_str()
        .expect("a cursor while more remain")
        .to_owned();
    let last = api.get(&format!("/users?limit=2&cursor={cursor}")).await;
    assert_eq!(names(&last.body), ["bob"]);
    assert!(last.body.get("cursor").is_none(), "{}", last.body);
    let bad = api.get("/users?cursor=nonsense").await;
    assert_error(&bad, 400, "invalid_parameter");
}

#[tokio::test]
async fn delete_removes_the_user_from_every_room_and_deletes_owned_rooms() {
    let api = Api::start().await;
    for name in ["owner1", "member1", "other"] {
        let body = format!(r#"{{"username":"{name}","password":"p"}}"#);
        assert_eq!(api.post("/users", &body).await.status, 200);
    }
    let kept = api.create("kept", "owner1", &["member1", "other"]).await;
    let owned = api.create("owned", "member1", &["other"]).await;
    let r = api.delete("/users/member1").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(names(&r.body), ["member1"]);
    assert_error(
        &api.get("/users/member1").await,
        404,
        "service_resource_not_found",
    );
    let details = api.get(&format!("/chatrooms/{kept}")).await;
    assert_eq!(
        details.body["data"][0]["affiliations_count"], 2,
        "{}",
        details.body
    );
    let text = details.body["data"][0]["affiliations"].to_string();
    assert!(!text.contains("member1"), "{text}");
    assert_error(
        &api.get(&format!("/chatrooms/{owned}")).await,
        404,
        "service_resource_not_found",
    );
    let joined = api.get("/users/other/joined_chatrooms").await;
    assert_eq!(
        joined.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        joined.body
    );
    assert_error(
        &api.delete("/users/member1").await,
        404,
        "service_resource_not_found",
    );
}

#[tokio::test]
async fn strict_mode_accepts_registered_users_and_lists_its_own() {
    let api = Api::with(Emulator::builder().token(TOKEN).strict_users(["alice"])).await;
    let doc = r#"{"name":"r","description":"d","owner":"alice","members":["newbie"]}"#;
    assert_error(
        &api.post("/chatrooms", doc).await,
        404,
        "resource_not_found",
    );
    assert_eq!(names(&api.get("/users").await.body), ["alice"]);
    let r = api
        .post("/users", r#"{"username":"newbie","password":"p"}"#)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(api.post("/chatrooms", doc).await.status, 200);
    assert_eq!(api.delete("/users/newbie").await.status, 200);
    assert_error(
        &api.post("/chatrooms", doc).await,
        404,
        "resource_not_found",
    );
}

#[tokio::test]
async fn each_body_shape_goes_to_its_own_operation_and_nothing_else_is_accepted() {
    let api = Api::start().await;
    // A chatroom body is an object: an array is refused rather than read as a tuple.
    let r = api.post("/chatrooms", r#"["n","d","owner"]"#).await;
    assert_error(&r, 400, "invalid_parameter");
    for body in [r#""user1""#, "17", "null"] {
        let r = api.post("/users", body).await;
        assert_error(&r, 400, "invalid_parameter");
    }
    assert_eq!(api.get("/users").await.body["count"], 0);
}
