//! Request counts per client operation.

use reqwest::Method;

use crate::common::{Api, DOC_CREATE, DOC_UPDATE, TOKEN};

#[tokio::test]
async fn every_request_to_an_operation_route_is_counted_whatever_the_answer() {
    let api = Api::start().await;
    let id = api.create("r", "alice", &["bob"]).await;
    let _ = api.post("/chatrooms", "{not json").await;
    let _ = api.get("/chatrooms?limit=5").await;
    let _ = api.get("/users/alice/joined_chatrooms").await;
    let _ = api.get(&format!("/chatrooms/{id}")).await;
    let _ = api.get("/chatrooms/404").await;
    let _ = api.put(&format!("/chatrooms/{id}"), DOC_UPDATE).await;
    let _ = api.delete(&format!("/chatrooms/{id}")).await;
    // A rejected token still reached the route.
    let denied = api
        .http
        .post(format!("{}/chatrooms", api.root))
        .bearer_auth("wrong")
        .header("Content-Type", "application/json")
        .body(DOC_CREATE)
        .send()
        .await
        .expect("answered");
    assert_eq!(denied.status().as_u16(), 401);
    // Not an operation: unknown paths, other methods, other apps.
    let _ = api.get("/nowhere").await;
    let _ = api.send(Method::PATCH, "/chatrooms/1", None).await;
    // A HEAD runs the GET route, but it is not the client's operation.
    let head = api.http.head(format!("{}/chatrooms", api.root));
    let head = head.bearer_auth(TOKEN).send().await.expect("answered");
    assert_eq!(head.status().as_u16(), 200);
    let _ = api
        .http
        .get(format!("{}/x/y/chatrooms", api.emu.base_url()))
        .send()
        .await;

    let counts = [
        ("create_chatroom", 3),
        ("list_chatrooms", 1),
        ("list_joined_chatrooms", 1),
        ("get_chatrooms", 2),
        ("update_chatroom", 1),
        ("delete_chatroom", 1),
        ("no_such_operation", 0),
    ];
    for (op, n) in counts {
        assert_eq!(api.emu.request_count(op), n, "{op}");
        assert_eq!(api.emu.state().request_count(op), n, "{op}");
    }
    api.emu.reset_request_counts();
    assert!(
        api.emu
            .state()
            .request_counts()
            .iter()
            .all(|(_, n)| *n == 0)
    );
    let _ = api.get("/chatrooms").await;
    assert_eq!(api.emu.request_count("list_chatrooms"), 1);
}
