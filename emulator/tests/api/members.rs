//! Membership over raw HTTP: the reference's documented request bodies, sent as written,
//! and the documented answers' shapes (object for one, array for many, `result` as a bool
//! or "success", partial batch failures as HTTP 200), errors with their documented codes.

use serde_json::{Value, json};

use crate::common::Api;

/// A room owned by user1 with user2 as member.
async fn setup() -> (Api, String) {
    let api = Api::start().await;
    let id = api.create("room", "user1", &["user2"]).await;
    (api, id)
}

#[track_caller]
fn assert_error(reply: &crate::common::Reply, status: u16, code: &str, text: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["error"], code, "{}", reply.body);
    let description = reply.body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.contains(text),
        "{text:?} not in {description:?}"
    );
}

fn without(mut data: Value, keys: &[&str]) -> Value {
    for key in keys {
        if let Some(fields) = data.as_object_mut() {
            fields.remove(*key);
        }
    }
    data
}

#[tokio::test]
async fn add_one_and_many_answer_the_documented_objects() {
    let (api, id) = setup().await;
    // No body; the reference says to send the JSON content type anyway.
    let one = api.post(&format!("/chatrooms/{id}/users/User3"), "").await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(
        one.body["data"],
        json!({"result": true, "action": "add_member", "id": id, "user": "user3"})
    );
    let many = api
        .post(
            &format!("/chatrooms/{id}/users"),
            r#"{"usernames": ["user4","user5"]}"#,
        )
        .await;
    assert_eq!(many.status, 200, "{}", many.body);
    assert_eq!(
        many.body["data"],
        json!({"newmembers": ["user4", "user5"], "action": "add_member", "id": id})
    );
    let details = api.get(&format!("/chatrooms/{id}")).await;
    assert_eq!(details.body["data"][0]["affiliations_count"], 5);
    let joined = api.get("/users/user4/joined_chatrooms").await;
    assert_eq!(joined.body["data"][0]["id"], id.as_str());
}

#[tokio::test]
async fn the_member_list_pages_with_one_key_objects() {
    let (api, id) = setup().await;
    let page = api
        .get(&format!("/chatrooms/{id}/users?pagenum=1&pagesize=2"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.body["data"],
        json!([{"owner": "user1"}, {"member": "user2"}])
    );
    assert_eq!(page.body["count"], 2);
    assert_eq!(
        page.body["params"],
        json!({"pagenum": ["1"], "pagesize": ["2"]})
    );
    let next = api
        .get(&format!("/chatrooms/{id}/users?pagenum=2&pagesize=2"))
        .await;
    assert_eq!(next.body["data"], json!([]));
    let missing = api.get("/chatrooms/1/users").await;
    assert_error(&missing, 404, "service_resource_not_found", "");
}

#[tokio::test]
async fn remove_one_is_an_object_remove_many_an_array_with_reasons() {
    let (api, id) = setup().await;
    let added = api
        .post(
            &format!("/chatrooms/{id}/users"),
            r#"{"usernames": ["user3","user4"]}"#,
        )
        .await;
    assert_eq!(added.status, 200);
    let one = api.delete(&format!("/chatrooms/{id}/users/user2")).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(
        one.body["data"],
        json!({"result": true, "action": "remove_member", "user": "user2", "id": id})
    );
    // Escaped and raw commas both split; an empty item is ignored.
    let many = api
        .delete(&format!("/chatrooms/{id}/users/user9%2Cuser3,,user1"))
        .await;
    assert_eq!(many.status, 200, "partial failure is 200: {}", many.body);
    assert_eq!(
        many.body["data"],
        json!([
            {"result": false, "action": "remove_member",
             "reason": format!("user: user9 doesn't exist in group: {id}"), "user": "user9", "id": id},
            {"result": true, "action": "remove_member", "user": "user3", "id": id},
            {"result": false, "action": "remove_member",
             "reason": "forbidden operation on group owner!", "user": "user1", "id": id},
        ])
    );
    let page = api.get(&format!("/chatrooms/{id}/users")).await;
    assert_eq!(
        page.body["data"],
        json!([{"owner": "user1"}, {"member": "user4"}])
    );
    // One name that cannot be removed is an error, as the single-user call documents.
    let owner = api.delete(&format!("/chatrooms/{id}/users/user1")).await;
    assert_error(
        &owner,
        403,
        "forbidden_op",
        "forbidden operation on group owner!",
    );
    let stranger = api.delete(&format!("/chatrooms/{id}/users/user9")).await;
    assert_error(
        &stranger,
        403,
        "forbidden_op",
        "users [user9] are not members of this group!",
    );
}

#[tokio::test]
async fn batches_over_60_are_refused_whole() {
    let (api, id) = setup().await;
    let names: Vec<String> = (0..61).map(|i| format!("u{i}")).collect();
    let add = api
        .post(
            &format!("/chatrooms/{id}/users"),
            &json!({"usernames": names}).to_string(),
        )
        .await;
    assert_error(&add, 400, "invalid_parameter", "usernames");
    let remove = api
        .delete(&format!("/chatrooms/{id}/users/{}", names.join("%2C")))
        .await;
    assert_error(&remove, 400, "invalid_parameter", "usernames");
    let page = api.get(&format!("/chatrooms/{id}/users")).await;
    assert_eq!(page.body["count"], 2, "nothing was added");
}

#[tokio::test]
async fn a_full_room_refuses_new_members_on_every_way_in() {
    let api = Api::start().await;
    let body = r#"{"name":"r","description":"d","owner":"user1","members":["user2"],"maxusers":3}"#;
    let created = api.post("/chatrooms", body).await;
    let id = created.body["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let two = api
        .post(
            &format!("/chatrooms/{id}/users"),
            r#"{"usernames": ["user3","user4"]}"#,
        )
        .await;
    assert_error(&two, 403, "forbidden_op", "member list is full");
    assert_eq!(
        api.post(&format!("/chatrooms/{id}/users/user3"), "")
            .await
            .status,
        200
    );
    let full = api.post(&format!("/chatrooms/{id}/users/user4"), "").await;
    assert_error(&full, 403, "forbidden_op", "member list is full");
}

#[tokio::test]
async fn admins_answer_success_strings() {
    let (api, id) = setup().await;
    let added = api
        .post(
            &format!("/chatrooms/{id}/admin"),
            r#"{"newadmin": "user2"}"#,
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(
        added.body["data"],
        json!({"result": "success", "newadmin": "user2"})
    );
    let listed = api.get(&format!("/chatrooms/{id}/admin")).await;
    assert_eq!(listed.body["data"], json!(["user2"]));
    assert_eq!(listed.body["count"], 1);
    let removed = api.delete(&format!("/chatrooms/{id}/admin/user2")).await;
    assert_eq!(
        removed.body["data"],
        json!({"result": "success", "oldadmin": "user2"})
    );

    let stranger = api
        .post(
            &format!("/chatrooms/{id}/admin"),
            r#"{"newadmin": "user9"}"#,
        )
        .await;
    assert_error(
        &stranger,
        404,
        "resource_not_found",
        &format!("user: user9 doesn't exist in group: {id}"),
    );
    let owner = api
        .post(
            &format!("/chatrooms/{id}/admin"),
            r#"{"newadmin": "user1"}"#,
        )
        .await;
    assert_error(
        &owner,
        403,
        "forbidden_op",
        "forbidden operation on group owner!",
    );
    let not_admin = api.delete(&format!("/chatrooms/{id}/admin/user2")).await;
    assert_error(
        &not_admin,
        403,
        "forbidden_op",
        &format!("user:user2 is not admin of group:{id}"),
    );
    let missing = api.get("/chatrooms/1/admin").await;
    assert_error(&missing, 404, "service_resource_not_found", "");
}

#[tokio::test]
async fn super_admins_are_app_wide() {
    let api = Api::start().await;
    for user in ["yifan2", "yifan3", "yifan4"] {
        let added = api
            .post(
                "/chatrooms/super_admin",
                &json!({"superadmin": user}).to_string(),
            )
            .await;
        assert_eq!(added.status, 200, "{}", added.body);
        assert_eq!(
            added.body["data"],
            json!({"result": "success", "resource": ""})
        );
    }
    let page = api.get("/chatrooms/super_admin?pagenum=2&pagesize=2").await;
    assert_eq!(page.body["data"], json!(["yifan4"]));
    assert_eq!(
        page.body["params"],
        json!({"pagenum": ["2"], "pagesize": ["2"]})
    );
    let removed = api.delete("/chatrooms/super_admin/yifan3").await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(
        removed.body["data"],
        json!({"newSuperAdmin": "yifan3", "resource": ""})
    );
    // Not a super admin: undocumented; the emulator answers the same.
    let again = api.delete("/chatrooms/super_admin/yifan3").await;
    assert_eq!(
        again.body["data"],
        json!({"newSuperAdmin": "yifan3", "resource": ""})
    );
    let all = api.get("/chatrooms/super_admin").await;
    assert_eq!(all.body["data"], json!(["yifan2", "yifan4"]));
}

#[tokio::test]
async fn a_body_with_only_newowner_is_a_transfer() {
    let (api, id) = setup().await;
    let moved = api
        .put(&format!("/chatrooms/{id}"), r#"{"newowner": "user2"}"#)
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["data"], json!({"newowner": true}));
    let details = api.get(&format!("/chatrooms/{id}")).await;
    let room = without(details.body["data"][0].clone(), &["created"]);
    assert_eq!(room["owner"], "user2");
    assert_eq!(
        room["affiliations"],
        json!([{"owner": "user2"}, {"member": "user1"}])
    );

    let same = api
        .put(&format!("/chatrooms/{id}"), r#"{"newowner": "user2"}"#)
        .await;
    assert_error(
        &same,
        403,
        "forbidden_op",
        "new owner and old owner are the same",
    );
    let stranger = api
        .put(&format!("/chatrooms/{id}"), r#"{"newowner": "user9"}"#)
        .await;
    assert_error(
        &stranger,
        403,
        "forbidden_op",
        &format!("User: user9 doesn't exist in group: {id}."),
    );
    let mixed = api
        .put(
            &format!("/chatrooms/{id}"),
            r#"{"newowner": "user1", "name": "x"}"#,
        )
        .await;
    assert_error(&mixed, 400, "invalid_parameter", "name");
    let missing = api.put("/chatrooms/1", r#"{"newowner": "user1"}"#).await;
    assert_error(&missing, 404, "service_resource_not_found", "");
    // Without `newowner` the same path still updates.
    let updated = api
        .put(&format!("/chatrooms/{id}"), r#"{"name": "renamed"}"#)
        .await;
    assert_eq!(updated.body["data"], json!({"groupname": true}));
}

#[tokio::test]
async fn deleting_a_room_removes_it_from_every_joined_list() {
    let (api, id) = setup().await;
    let added = api
        .post(
            &format!("/chatrooms/{id}/users"),
            r#"{"usernames": ["user3"]}"#,
        )
        .await;
    assert_eq!(added.status, 200);
    assert_eq!(api.delete(&format!("/chatrooms/{id}")).await.status, 200);
    for user in ["user1", "user2", "user3"] {
        let joined = api.get(&format!("/users/{user}/joined_chatrooms")).await;
        assert_eq!(joined.body["data"], json!([]), "{user}");
    }
}
