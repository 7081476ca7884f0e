//! Starting, embedding and stopping the emulator.

use agora_chat_emulator::{DEFAULT_TOKEN, Emulator, router};

use crate::common::{Api, reply};

#[tokio::test]
async fn defaults_are_demo_demo_and_the_default_token() {
    let emu = Emulator::builder().start().await.expect("starts");
    let base = emu.base_url();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'));
    let http = crate::common::http();
    let url = format!("{base}/demo/demo/chatrooms");
    let r = reply(http.get(&url).bearer_auth(DEFAULT_TOKEN)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    emu.shutdown().await;
}

#[tokio::test]
async fn custom_org_and_app() {
    let emu = Emulator::builder()
        .org("acme")
        .app("chat")
        .token("t")
        .start()
        .await
        .expect("starts");
    let http = crate::common::http();
    let url = format!("{}/acme/chat/chatrooms", emu.base_url());
    let r = reply(http.get(&url).bearer_auth("t")).await;
    assert_eq!(
        (r.status, r.body["organization"].as_str()),
        (200, Some("acme"))
    );
    assert_eq!(r.body["applicationName"], "chat");
    let other = reply(
        http.get(format!("{}/demo/demo/chatrooms", emu.base_url()))
            .bearer_auth("t"),
    )
    .await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let api = Api::start().await;
    assert_eq!(api.get("/chatrooms").await.status, 200);
    let addr = api.emu.addr();
    api.emu.shutdown().await;
    let url = format!("http://{addr}/demo/demo/chatrooms");
    let fresh = crate::common::http();
    assert!(
        fresh.get(&url).send().await.is_err(),
        "still serving after shutdown"
    );
}

#[tokio::test]
async fn drop_stops_serving_without_panicking() {
    let emu = Emulator::builder().start().await.expect("starts");
    let addr = emu.addr();
    drop(emu);
    let url = format!("http://{addr}/demo/demo/chatrooms");
    let mut refused = false;
    for _ in 0..50 {
        if crate::common::http().get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "still serving after drop");
}

#[tokio::test]
async fn router_can_be_embedded() {
    let state = Emulator::builder().token("t").state();
    let app = axum::Router::new().merge(router(state.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = crate::common::http();
    let body = r#"{"name":"n","description":"d","owner":"o"}"#;
    let req = http
        .post(format!("http://{addr}/demo/demo/chatrooms"))
        .bearer_auth("t")
        .header("Content-Type", "application/json")
        .body(body);
    assert_eq!(reply(req).await.status, 200);
    assert_eq!(state.chatroom_count(), 1);
    server.abort();
}
