//! The quickstart: the chatroom operations through the client (members and admins included),
//! printing what it does and what comes back.
//!
//! ```sh
//! cargo run -p agora-chat --example quickstart
//! ```
//!
//! With no configuration it starts the emulator in-process (on a free loopback port) and
//! mints app tokens from demo App ID + App Certificate credentials. With `AGORA_CHAT_BASE_URL`
//! set it talks to that service instead, configured by `Client::from_env` (see the README).
//! It creates one chatroom and deletes it at the end.

use agora_chat::auth::AppCredentials;
use agora_chat::bulk::BulkOptions;
use agora_chat::operations::{
    ListChatroomMembersQuery, ListChatroomsQuery, ListJoinedChatroomsQuery,
};
use agora_chat::types::{AddChatroomAdmin, ChatroomId, CreateChatroom, UpdateChatroom};
use agora_chat::{Client, Error};
use agora_chat_emulator::Emulator;

/// Demo credentials for the emulator only (32 hex characters each, as in the console).
const DEMO_APP_ID: &str = "0123456789abcdef0123456789abcdef";
const DEMO_CERTIFICATE: &str = "fedcba9876543210fedcba9876543210";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, emulator) = connect().await?;
    println!("client: {client:?}\n");
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
        .app("quickstart")
        .app_credentials(DEMO_APP_ID, DEMO_CERTIFICATE)
        .start()
        .await?;
    println!("started the emulator at {}", emulator.base_url());
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_key("demo#quickstart")
        .allow_http(true)
        .app_credentials(AppCredentials::new(DEMO_APP_ID, DEMO_CERTIFICATE))
        .build()?;
    Ok((client, Some(emulator)))
}

async fn run(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    let body = CreateChatroom::new(
        "quickstart room",
        "Made by the agora-chat quickstart",
        "alice",
    )
    .maxusers(3u32)
    .members(["bob", "carol"]);
    println!("create_chatroom {}", serde_json::to_string(&body)?);
    let created = client.create_chatroom(&body).await?;
    let id = created.data.id.clone();
    println!(
        "  -> id {id} (action {:?}, at {:?} ms)\n",
        created.meta.action, created.meta.timestamp
    );

    println!("list_chatrooms limit=10");
    let page = client
        .list_chatrooms_page(&ListChatroomsQuery::default().limit(10u32))
        .await?;
    for room in &page.items {
        println!(
            "  -> {} {:?} owner {:?}, {:?} members",
            room.id, room.name, room.owner, room.affiliations_count
        );
    }
    println!(
        "  -> next page: {}\n",
        if page.next.is_some() { "yes" } else { "no" }
    );

    println!("list_joined_chatrooms bob");
    let joined = client
        .list_joined_chatrooms("bob", &ListJoinedChatroomsQuery::default())
        .await?;
    for room in &joined.data {
        println!(
            "  -> {} {:?} disabled {:?}",
            room.id, room.name, room.disabled
        );
    }
    println!();

    println!("get_chatrooms [{id}]");
    let details = client.get_chatrooms(std::slice::from_ref(&id)).await?;
    for room in &details.data {
        let members: Vec<String> = room
            .affiliations
            .iter()
            .flatten()
            .map(|a| format!("{}={}", a.key(), a.value()))
            .collect();
        println!(
            "  -> {:?}: {:?}, maxusers {:?}, members {members:?}",
            room.name, room.description, room.maxusers
        );
    }
    println!();

    let update = UpdateChatroom::default()
        .name("quickstart room (renamed)")
        .maxusers(10u32);
    println!("update_chatroom {id} {}", serde_json::to_string(&update)?);
    let updated = client.update_chatroom(&id, &update).await?;
    println!("  -> {:?}\n", updated.data);

    println!(
        "update_chatroom {id} maxusers=1 (below the 3 members: the service does not apply it)"
    );
    match client
        .update_chatroom(&id, &UpdateChatroom::default().maxusers(1u32))
        .await
    {
        Err(Error::NotApplied { fields, .. }) => println!("  -> Error::NotApplied {fields:?}\n"),
        other => println!("  -> unexpected: {other:?}\n"),
    }

    members(client, &id).await?;

    println!("create_chatroom with a 129-character name (refused before any I/O)");
    let too_long = CreateChatroom::new("x".repeat(129), "d", "alice");
    match client.create_chatroom(&too_long).await {
        Err(err @ Error::Validation { .. }) => println!("  -> {err}\n"),
        other => println!("  -> unexpected: {other:?}\n"),
    }

    println!("delete_chatroom {id}");
    let deleted = client
        .delete_chatroom_bulk(std::slice::from_ref(&id), &BulkOptions::default())
        .await;
    for (id, result) in deleted {
        println!("  -> {id}: {:?}", result.map(|r| r.data));
    }

    println!("get_chatrooms [{id}] after the delete");
    match client.get_chatrooms(std::slice::from_ref(&id)).await {
        Err(err) => println!("  -> HTTP {:?} {:?}: {err}", err.status(), err.code()),
        Ok(found) => println!("  -> unexpected: {:?}", found.data),
    }
    Ok(())
}

/// Members and admins: add members (any number, chunked at the service's limit of 60, one
/// report per name), make one an admin and take the role back, remove members (a name that
/// is not a member is reported with the service's reason), and list who is left.
async fn members(client: &Client, id: &ChatroomId) -> Result<(), Box<dyn std::error::Error>> {
    let newcomers = ["dave".to_owned(), "erin".to_owned()];
    println!("add_chatroom_members_batched {id} {newcomers:?}");
    let added = client
        .add_chatroom_members_batched(id, &newcomers, &BulkOptions::default())
        .await;
    for report in &added {
        println!(
            "  -> {}: applied {}",
            report.key,
            report.outcome.is_applied()
        );
    }

    println!("add_chatroom_admin {id} dave");
    let admin = client
        .add_chatroom_admin(id, &AddChatroomAdmin::new("dave"))
        .await?;
    println!("  -> {:?}", admin.data);
    println!("list_chatroom_admins {id}");
    println!("  -> {:?}", client.list_chatroom_admins(id).await?.data);
    println!("remove_chatroom_admin {id} dave");
    let removed = client.remove_chatroom_admin(id, "dave").await?;
    println!("  -> {:?}", removed.data);

    let leaving = ["erin".to_owned(), "zed".to_owned()];
    println!("remove_chatroom_members_batched {id} {leaving:?}");
    let removed = client
        .remove_chatroom_members_batched(id, &leaving, &BulkOptions::default())
        .await;
    for report in &removed {
        let reason = report.outcome.reason().unwrap_or_default();
        println!(
            "  -> {}: removed {} {reason}",
            report.key,
            report.outcome.is_applied()
        );
    }

    println!("list_chatroom_members {id}");
    let members = client
        .list_chatroom_members(id, &ListChatroomMembersQuery::default())
        .await?;
    let names: Vec<String> = members
        .data
        .iter()
        .map(|a| format!("{}={}", a.key(), a.value()))
        .collect();
    println!("  -> {names:?}\n");
    Ok(())
}
