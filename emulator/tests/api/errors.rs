//! Each error: its status and flat body.

use agora_chat_emulator::Emulator;
use reqwest::Method;
use serde_json::json;

use crate::common::{Api, DOC_CREATE, TOKEN, assert_error, reply};

#[tokio::test]
async fn create_rejects_invalid_bodies() {
    let api = Api::start().await;
    let cases = [
        (r#"{"description":"d","owner":"o"}"#, "name"),
        (r#"{"name":"n","owner":"o"}"#, "description"),
        (r#"{"name":"n","description":"d"}"#, "owner"),
        (r#"{"name":5,"description":"d","owner":"o"}"#, "name"),
        (
            r#"{"name":"n","description":"d","owner":"bad name"}"#,
            "owner",
        ),
        (
            r#"{"name":"n","description":"d","owner":"o","maxusers":0}"#,
            "maxusers",
        ),
        (
            r#"{"name":"n","description":"d","owner":"o","maxusers":10001}"#,
            "maxusers",
        ),
        (
            r#"{"name":"n","description":"d","owner":"o","maxusers":"5"}"#,
            "maxusers",
        ),
        (
            r#"{"name":"n","description":"d","owner":"o","members":[]}"#,
            "members",
        ),
        (
            r#"{"name":"n","description":"d","owner":"o","members":[1]}"#,
            "members",
        ),
        (
            r#"{"name":"n","description":"d","owner":"o","members":["a/b"]}"#,
            "members",
        ),
        (r#"["not","an","object"]"#, "object"),
    ];
    for (body, field) in cases {
        let r = api.post("/chatrooms", body).await;
        assert_error(&r, 400, "invalid_parameter");
        let text = r.body["error_description"].as_str().unwrap_or_default();
        assert!(text.contains(field), "{body}: {text}");
    }
    let long = json!({"name": "x".repeat(129), "description": "d", "owner": "o"});
    let r = api.post("/chatrooms", &long.to_string()).await;
    assert_error(&r, 400, "invalid_parameter");
    let fits = json!({"name": "é".repeat(128), "description": "d".repeat(512), "owner": "o",
        "custom": "c".repeat(1024)});
    assert_eq!(api.post("/chatrooms", &fits.to_string()).await.status, 200);
    assert_eq!(api.emu.chatroom_count(), 1);
}

#[tokio::test]
async fn update_rejects_unknown_fields_and_slashes() {
    let api = Api::start().await;
    let id = api.create("r", "o", &[]).await;
    let path = format!("/chatrooms/{id}");
    let cases = [
        (r#"{"owner":"x"}"#, "owner"),
        // With `newowner` the body is a transfer, which takes nothing else.
        (
            r#"{"name":"ok","newowner":"x"}"#,
            "field 'name' cannot be set",
        ),
        (r#"{"name":"a/b"}"#, "name"),
        (r#"{"description":"a/b"}"#, "description"),
        (r#"{"maxusers":0}"#, "maxusers"),
        (r#"{"maxusers":1.5}"#, "maxusers"),
        (r#"{"name":true}"#, "name"),
        // The spec's min_fields rule: "`(request)` at least 1 of [...] must be set".
        (r#"{}"#, "at least 1 of"),
    ];
    for (body, field) in cases {
        let r = api.put(&path, body).await;
        assert_error(&r, 400, "invalid_parameter");
        let text = r.body["error_description"].as_str().unwrap_or_default();
        assert!(text.contains(field), "{body}: {text}");
    }
    let room = api.get(&path).await.body["data"][0].clone();
    assert_eq!(room["name"], "r");
}

#[tokio::test]
async fn broken_json_is_json_parse() {
    let api = Api::start().await;
    for body in [r#"{"name":"#, "", "{'a':1}"] {
        let r = api.post("/chatrooms", body).await;
        assert_error(&r, 400, "json_parse");
    }
    let id = api.create("r", "o", &[]).await;
    let r = api.put(&format!("/chatrooms/{id}"), "{").await;
    assert_error(&r, 400, "json_parse");
}

#[tokio::test]
async fn missing_token_is_unauthorized_and_wrong_token_is_bad_access_token() {
    let api = Api::start().await;
    let url = format!("{}/chatrooms", api.root);
    let none = reply(api.http.get(&url)).await;
    assert_error(&none, 401, "unauthorized");
    let basic = reply(api.http.get(&url).header("Authorization", "Basic abc")).await;
    assert_error(&basic, 401, "unauthorized");
    let empty = reply(api.http.get(&url).header("Authorization", "Bearer ")).await;
    assert_error(&empty, 401, "unauthorized");
    let wrong = reply(api.http.get(&url).bearer_auth("nope")).await;
    assert_error(&wrong, 401, "auth_bad_access_token");
    // Auth comes before any look at the body.
    let broken = api
        .http
        .post(&url)
        .header("Content-Type", "application/json")
        .body("{");
    assert_error(&reply(broken).await, 401, "unauthorized");
    let big = api
        .http
        .post(&url)
        .bearer_auth("nope")
        .body(vec![b' '; 10_000]);
    assert_error(&reply(big).await, 401, "auth_bad_access_token");
    let ok = reply(
        api.http
            .get(&url)
            .header("Authorization", format!("bearer {TOKEN}")),
    )
    .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn members_over_maxusers_is_exceed_limit() {
    let api = Api::start().await;
    let body = r#"{"name":"n","description":"d","owner":"o","maxusers":1,"members":["a","b"]}"#;
    let r = api.post("/chatrooms", body).await;
    assert_error(&r, 403, "exceed_limit");
    assert_eq!(api.emu.chatroom_count(), 0);
}

#[tokio::test]
async fn unknown_rooms_and_paths_are_service_resource_not_found() {
    let api = Api::start().await;
    let update = r#"{"name":"x"}"#;
    let replies = [
        api.get("/chatrooms/66213271109633%2C66213271109634").await,
        api.put("/chatrooms/66213271109633", update).await,
        api.delete("/chatrooms/66213271109633").await,
        api.get("/nothing/here").await,
        api.get("").await,
        api.get("/chatrooms/").await,
    ];
    for r in &replies {
        assert_error(r, 404, "service_resource_not_found");
    }
}

#[tokio::test]
async fn strict_mode_knows_only_its_users() {
    let builder = Emulator::builder()
        .token(TOKEN)
        .strict_users(["alice", "Bob"]);
    let api = Api::with(builder).await;
    let cases = [
        r#"{"name":"n","description":"d","owner":"carol"}"#,
        r#"{"name":"n","description":"d","owner":"alice","members":["bob","carol"]}"#,
    ];
    for body in cases {
        let r = api.post("/chatrooms", body).await;
        assert_error(&r, 404, "resource_not_found");
        assert!(
            r.body["error_description"]
                .as_str()
                .unwrap_or_default()
                .contains("carol")
        );
    }
    let r = api.get("/users/carol/joined_chatrooms").await;
    assert_error(&r, 404, "resource_not_found");
    let id = api.create("n", "ALICE", &["bob"]).await;
    let r = api.get("/users/Bob/joined_chatrooms").await;
    assert_eq!(
        r.body["data"],
        json!([{"id": id, "name": "n", "disabled": "false"}])
    );
    assert_eq!(api.emu.chatroom_count(), 1);
}

#[tokio::test]
async fn malformed_username_is_invalid_parameter() {
    let api = Api::start().await;
    let long = "x".repeat(65);
    for name in ["bad%20name", "a%2Fb", "%C3%A9", &long, "%FF"] {
        let r = api.get(&format!("/users/{name}/joined_chatrooms")).await;
        assert_error(&r, 400, "invalid_parameter");
    }
}

#[tokio::test]
async fn wrong_org_or_app_is_organization_application_not_found() {
    let api = Api::start().await;
    let base = api.emu.base_url();
    for path in [
        "/other/demo/chatrooms",
        "/demo/other/chatrooms",
        "/demo",
        "/",
        "/demox/demo",
    ] {
        let r = reply(api.http.get(format!("{base}{path}")).bearer_auth(TOKEN)).await;
        assert_error(&r, 404, "organization_application_not_found");
        // The answer names what the request asked for, not the emulator's own org/app.
        if path == "/other/demo/chatrooms" {
            let text = r.body["error_description"].as_str().unwrap_or_default();
            assert!(text.contains("for other/demo from"), "{text}");
        }
        // The app is looked up before the token.
        let r = reply(api.http.delete(format!("{base}{path}"))).await;
        assert_error(&r, 404, "organization_application_not_found");
    }
}

#[tokio::test]
async fn wrong_method_is_405() {
    let api = Api::start().await;
    let id = api.create("r", "o", &[]).await;
    let cases = [
        (Method::PATCH, "/chatrooms".to_owned()),
        (Method::DELETE, "/chatrooms".to_owned()),
        (Method::PUT, "/chatrooms".to_owned()),
        (Method::POST, format!("/chatrooms/{id}")),
        (Method::POST, "/users/o/joined_chatrooms".to_owned()),
    ];
    for (method, path) in cases {
        let r = api.send(method.clone(), &path, None).await;
        assert_error(&r, 405, "web_application");
        assert_eq!(
            r.body["error_description"], "HTTP 405 Method Not Allowed",
            "{method} {path}"
        );
    }
    assert_eq!(api.emu.chatroom_count(), 1);
}

#[tokio::test]
async fn body_over_5120_bytes_is_413() {
    let api = Api::start().await;
    let pad = |n: usize| format!("{DOC_CREATE:<n$}");
    let r = api.post("/chatrooms", &pad(5121)).await;
    assert_error(&r, 413, "web_application");
    let r = api.post("/chatrooms", &pad(60_000)).await;
    assert_error(&r, 413, "web_application");
    assert_eq!(api.post("/chatrooms", &pad(5120)).await.status, 200);
    assert_eq!(api.emu.chatroom_count(), 1);
}

#[tokio::test]
async fn post_and_put_need_a_json_content_type() {
    let api = Api::start().await;
    let url = format!("{}/chatrooms", api.root);
    let bare = api.http.post(&url).bearer_auth(TOKEN).body(DOC_CREATE);
    assert_error(&reply(bare).await, 415, "web_application");
    let text = api
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .header("Content-Type", "text/plain")
        .body(DOC_CREATE);
    assert_error(&reply(text).await, 415, "web_application");
    let id = api.create("r", "o", &[]).await;
    let put = api
        .http
        .put(format!("{url}/{id}"))
        .bearer_auth(TOKEN)
        .body("{}");
    assert_error(&reply(put).await, 415, "web_application");
    let charset = api
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(DOC_CREATE);
    assert_eq!(reply(charset).await.status, 200);
}

#[tokio::test]
async fn odd_ids_are_simply_not_found() {
    let api = Api::start().await;
    let id = api.create("r", "o", &[]).await;
    let odd = [
        "abc",
        "%20",
        "1%202",
        &format!("{id}%2F..%2F..%2Fusers"),
        "99999999999999999999999999",
        "-1",
        "%FF",
        &format!("{id}%20"),
    ];
    for raw in odd {
        let path = format!("/chatrooms/{raw}");
        for r in [
            api.get(&path).await,
            api.put(&path, r#"{"name":"x"}"#).await,
            api.delete(&path).await,
        ] {
            assert_error(&r, 404, "service_resource_not_found");
        }
    }
    let dots = api.raw("GET /demo/demo/chatrooms/.. HTTP/1.1").await;
    assert_error(&dots, 404, "service_resource_not_found");
    let dots = api.raw("GET /demo/demo/chatrooms/%2E%2E HTTP/1.1").await;
    assert_error(&dots, 404, "service_resource_not_found");
    let dots = api
        .raw("DELETE /demo/demo/chatrooms/../chatrooms HTTP/1.1")
        .await;
    assert_error(&dots, 404, "service_resource_not_found");
    // The room is untouched and the server still answers.
    assert_eq!(api.emu.chatroom_ids(), [id.as_str()]);
    let r = api.get(&format!("/chatrooms/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"][0]["name"], "r");
}
