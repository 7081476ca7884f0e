//! The route convention of the generated skeleton, on routes the spec will grow into:
//! captures named by segment position, so routes that share a prefix, a literal segment
//! beside a capture, and two parameters (one a list) all route and extract.

use agora_chat_emulator::server::{path_list, path_param};
use axum::Router;
use axum::extract::Request;
use axum::routing::{delete, get};

// `/chatrooms/{id}/users/{u1},{u2}`: the room, then the users split on `,` or `%2C`.
async fn members(request: Request) -> String {
    let (parts, _) = request.into_parts();
    let room: Result<String, _> = path_param(&parts, 4, "id");
    let users: Result<Vec<String>, _> = path_list(&parts, 6, "usernames", ",");
    match (room, users) {
        (Ok(room), Ok(users)) => format!("{room}|{}", users.join(",")),
        _ => "refused".to_owned(),
    }
}

async fn room(request: Request) -> String {
    let (parts, _) = request.into_parts();
    path_param::<String>(&parts, 4, "id").unwrap_or_else(|e| e.to_string())
}

async fn super_admins() -> &'static str {
    "super admins"
}

#[tokio::test]
async fn positional_captures_route_shared_prefixes_literals_and_two_parameters() {
    let app = Router::new()
        .route("/{s1}/{s2}/chatrooms/{s4}", get(room))
        .route("/{s1}/{s2}/chatrooms/super_admin", get(super_admins))
        .route("/{s1}/{s2}/chatrooms/{s4}/users/{s6}", delete(members));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = crate::common::http();
    let text = |req: reqwest::RequestBuilder| async move {
        let res = req.send().await.expect("answered");
        res.text().await.expect("a body")
    };
    let members = format!("{base}/o/a/chatrooms/r%201/users/u1,u2%2Cu3%2c,");
    assert_eq!(text(http.delete(members)).await, "r 1|u1,u2,u3");
    let one = format!("{base}/o/a/chatrooms/42");
    assert_eq!(text(http.get(one)).await, "42");
    let literal = format!("{base}/o/a/chatrooms/super_admin");
    assert_eq!(text(http.get(literal)).await, "super admins");
    server.abort();
}
