//! Arguments written the obvious way compile and work: integer setters take plain literals,
//! ids and usernames take `&str`, `String` or the newtype (owned or borrowed), lists take
//! any iterator of those, and bulk calls take string literals. Each form is sent to the
//! emulator over loopback, so the test also checks that the forms mean the same call.

use agora_chat::bulk::BulkOptions;
use agora_chat::operations::{ListChatroomsQuery, ListJoinedChatroomsQuery};
use agora_chat::types::{ChatroomId, CreateChatroom, UpdateChatroom};
use agora_chat::{Client, Error};
use agora_chat_emulator::Emulator;

async fn emulator_and_client() -> (Emulator, Client) {
    let emulator = Emulator::builder()
        .token("secret")
        .start()
        .await
        .expect("the emulator starts");
    let client = emulator.client().expect("a client for the emulator");
    (emulator, client)
}

async fn create(client: &Client, name: &str) -> ChatroomId {
    let body = CreateChatroom::new(name, "arguments test", "alice")
        .maxusers(500)
        .members(["bob", "carol"]);
    client.create_chatroom(&body).await.expect("create").data.id
}

#[tokio::test]
async fn integer_setters_take_plain_literals() -> Result<(), Error> {
    let (emulator, client) = emulator_and_client().await;
    let id = create(&client, "literals").await;
    client
        .update_chatroom(&id, &UpdateChatroom::default().maxusers(500))
        .await?;
    let page = client
        .list_chatrooms_page(&ListChatroomsQuery::default().limit(10))
        .await?;
    assert_eq!(page.items.len(), 1);
    let joined = client
        .list_joined_chatrooms(
            "bob",
            &ListJoinedChatroomsQuery::default().pagesize(10).pagenum(1),
        )
        .await?;
    assert_eq!(joined.data.len(), 1);
    let detail = client.get_chatrooms([&id]).await?;
    assert_eq!(detail.data[0].maxusers, Some(500));
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn ids_take_str_string_or_the_newtype() -> Result<(), Error> {
    let (emulator, client) = emulator_and_client().await;
    let ids = [
        create(&client, "a").await,
        create(&client, "b").await,
        create(&client, "c").await,
        create(&client, "d").await,
        create(&client, "e").await,
    ];
    let as_str: &str = ids[0].as_str();
    let as_string: String = ids[1].to_string();
    client.delete_chatroom(as_str).await?;
    client.delete_chatroom(as_string.clone()).await?;
    client.delete_chatroom(ids[2].clone()).await?;
    client.delete_chatroom(&ids[3]).await?;
    let borrowed_string: &String = &ids[4].to_string();
    client.delete_chatroom(borrowed_string).await?;
    let rest = client.get_chatrooms([as_str, ids[2].as_str()]).await;
    assert!(matches!(rest, Err(Error::Api(_))), "all deleted: {rest:?}");
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn lists_take_any_iterator_of_ids() -> Result<(), Error> {
    let (emulator, client) = emulator_and_client().await;
    let first = create(&client, "first").await;
    let second = create(&client, "second").await;
    let literals = [first.as_str(), second.as_str()];
    let strings: Vec<String> = vec![first.to_string(), second.to_string()];
    let newtypes: Vec<ChatroomId> = vec![first.clone(), second.clone()];
    assert_eq!(client.get_chatrooms(literals).await?.data.len(), 2);
    assert_eq!(client.get_chatrooms(&literals).await?.data.len(), 2);
    assert_eq!(client.get_chatrooms(&strings).await?.data.len(), 2);
    assert_eq!(client.get_chatrooms(&newtypes).await?.data.len(), 2);
    assert_eq!(client.get_chatrooms(&newtypes[..]).await?.data.len(), 2);
    assert_eq!(
        client
            .get_chatrooms(newtypes.iter().filter(|id| **id == first))
            .await?
            .data
            .len(),
        1
    );
    let options = BulkOptions::default();
    let looked_up = client.get_chatrooms_batched(strings, &options).await?;
    assert_eq!(looked_up.len(), 2);
    emulator.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn bulk_calls_take_string_literals() -> Result<(), Error> {
    let (emulator, client) = emulator_and_client().await;
    let id = create(&client, "bulk").await;
    let options = BulkOptions::default();
    let joined = client
        .list_joined_chatrooms_bulk(["bob", "carol"], &options)
        .await;
    assert_eq!(joined.len(), 2);
    for (username, rooms) in joined {
        assert_eq!(rooms?.len(), 1, "{username}");
    }
    let deleted = client
        .delete_chatroom_bulk([id.as_str(), "no-such-room"], &options)
        .await;
    assert_eq!(deleted[0].0, id);
    assert!(deleted[0].1.is_ok());
    assert!(deleted[1].1.is_err());
    emulator.shutdown().await;
    Ok(())
}
