//! A moderation flow: mute a member for 10 minutes, block another, pin an announcement, set
//! and read a custom attribute, printing what comes back.
//!
//! ```sh
//! cargo run -p agora-chat --example moderation
//! ```
//!
//! With no configuration it starts the emulator in-process (on a free loopback port) and
//! mints app tokens from demo credentials, as the quickstart does. With
//! `AGORA_CHAT_BASE_URL` set it talks to that service instead (`Client::from_env`), using
//! the users `alice`, `bob` and `carol`, which must exist there. It creates one chatroom and
//! deletes it at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use agora_chat::Client;
use agora_chat::auth::AppCredentials;
use agora_chat::types::{
    Announcement, AttributeKeys, ChatroomId, CreateChatroom, MuteExpiry, MuteMembers, SetAttributes,
};
use agora_chat_emulator::Emulator;

/// Demo credentials for the emulator only (32 hex characters each, as in the console).
const DEMO_APP_ID: &str = "0123456789abcdef0123456789abcdef";
const DEMO_CERTIFICATE: &str = "fedcba9876543210fedcba9876543210";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, emulator) = connect().await?;
    let result = run(&client).await;
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    result
}

/// The real service when `AGORA_CHAT_BASE_URL` is set; otherwise an in-process emulator.
async fn connect() -> Result<(Client, Option<Emulator>), Box<dyn std::error::Error>> {
    if std::env::var_os("AGORA_CHAT_BASE_URL").is_some() {
        println!("using the service configured by AGORA_CHAT_* ...");
        return Ok((Client::from_env()?, None));
    }
    let emulator = Emulator::builder()
        .org("demo")
        .app("moderation")
        .app_credentials(DEMO_APP_ID, DEMO_CERTIFICATE)
        .start()
        .await?;
    println!("started the emulator at {}", emulator.base_url());
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_key("demo#moderation")
        .allow_http(true)
        .app_credentials(AppCredentials::new(DEMO_APP_ID, DEMO_CERTIFICATE))
        .build()?;
    Ok((client, Some(emulator)))
}

async fn run(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    let room = CreateChatroom::new("moderated room", "Made by the moderation example", "alice")
        .members(["bob", "carol"]);
    let id = client.create_chatroom(&room).await?.data.id;
    println!("created chatroom {id} (owner alice, members bob and carol)");
    let outcome = moderate(client, &id).await;
    client.delete_chatroom(&id).await?;
    println!("deleted chatroom {id}");
    outcome
}

async fn moderate(client: &Client, id: &ChatroomId) -> Result<(), Box<dyn std::error::Error>> {
    // Mute bob for 10 minutes: a typed duration, no milliseconds to compute.
    let mute = MuteMembers::new(vec!["bob".to_owned()], Duration::from_secs(10 * 60));
    for muted in client.mute_chatroom_members(id, &mute).await?.data {
        let until = match muted.item.expire {
            MuteExpiry::At(time) => format!("{time:?}"),
            MuteExpiry::Forever => "forever".to_owned(),
        };
        println!(
            "muted {} (applied: {}) until {until}",
            muted.item.user, muted.ok
        );
    }
    println!(
        "mutes now: {:?}",
        client.list_chatroom_mutes(id).await?.data
    );

    // Block carol: she leaves the room and cannot join again until unblocked.
    let blocked = client.add_chatroom_block(id, "carol").await?.data;
    println!("blocked {} (applied: {})", blocked.user, blocked.result);
    println!(
        "block list: {:?}",
        client.list_chatroom_blocks(id).await?.data
    );
    let details = client.get_chatrooms(std::slice::from_ref(id)).await?.data;
    let members = details.first().and_then(|d| d.affiliations.clone());
    println!("members now: {members:?}");

    let announcement = Announcement::new("Be kind. Moderators are watching.");
    client.set_chatroom_announcement(id, &announcement).await?;
    let read = client.get_chatroom_announcement(id).await?.data;
    println!("announcement: {:?}", read.announcement);

    // Attributes are a map; bob owns the keys he sets.
    let pairs = BTreeMap::from([("topic".to_owned(), "rust".to_owned())]);
    let set = client
        .set_chatroom_attributes(id, "bob", &SetAttributes::new(pairs))
        .await?
        .data;
    println!(
        "set attributes: ok {:?}, failed {:?}",
        set.success_keys, set.error_keys
    );
    let keys = AttributeKeys::default().keys(["topic"]);
    let attributes = client.get_chatroom_attributes(id, &keys).await?.data;
    println!("attributes: {attributes:?}");
    Ok(())
}
