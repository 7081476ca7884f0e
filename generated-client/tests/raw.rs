//! The raw-request escape hatch against the emulator over loopback: the client's token is
//! sent, the envelope is decoded, errors are decoded into `Error::Api`, query parameters and
//! JSON bodies arrive, and a path cannot escape the app.

use agora_chat::operation::Method;
use agora_chat::operations::LIST_CHATROOMS;
use agora_chat::types::{ChatroomSummary, CreatedChatroom, ErrorCode};
use agora_chat::{Client, Error};
use agora_chat_emulator::Emulator;
use serde_json::{Value, json};

async fn start() -> (Emulator, Client) {
    let emulator = Emulator::builder()
        .app_credentials(
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210",
        )
        .start()
        .await
        .expect("the emulator starts");
    let client = emulator.client().expect("a client for the emulator");
    (emulator, client)
}

#[tokio::test]
async fn a_raw_post_and_get_go_through_auth_and_decode_the_envelope() -> Result<(), Error> {
    let (emulator, client) = start().await;
    let created = client
        .raw(Method::Post, "/chatrooms")
        .json(&json!({"name": "raw", "description": "made raw", "owner": "alice"}))
        .send::<CreatedChatroom>()
        .await?;
    let listed = client
        .raw(Method::Get, "chatrooms")
        .query("limit", 10)
        .operation(&LIST_CHATROOMS)
        .send::<Vec<ChatroomSummary>>()
        .await?;
    assert_eq!(listed.data.len(), 1);
    assert_eq!(listed.data[0].id, created.data.id);
    let detail = client
        .raw(Method::Get, &format!("/chatrooms/{}", created.data.id))
        .send::<Value>()
        .await?;
    assert_eq!(detail.status, 200);
    assert!(
        detail.data.to_string().contains("made raw"),
        "{}",
        detail.data
    );
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_raw_error_is_decoded_like_a_generated_calls() {
    let (emulator, client) = start().await;
    let err = client
        .raw(Method::Delete, "/chatrooms/no-such-room")
        .send::<Value>()
        .await
        .expect_err("no such room");
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert_eq!(err.code(), Some(&ErrorCode::ServiceResourceNotFound));
    assert_eq!(err.operation(), "raw");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_raw_path_cannot_leave_the_app() {
    let (emulator, client) = start().await;
    let err = client
        .raw(Method::Get, "/../other-app/chatrooms")
        .send::<Value>()
        .await
        .expect_err("a dot segment");
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    emulator.shutdown().await;
}
