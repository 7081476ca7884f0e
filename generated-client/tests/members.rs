//! Chatroom membership end to end, client to emulator over loopback HTTP: every operation of
//! `spec/members.yaml`, each change checked afterwards through other operations (details,
//! joined lists, member and admin lists), the per-item batch reports, and the documented
//! errors as typed errors.

use agora_chat::bulk::{BulkOptions, ItemOutcome};
use agora_chat::limit::RateLimits;
use agora_chat::operations::{
    ListChatroomMembersQuery, ListChatroomSuperAdminsQuery, ListJoinedChatroomsQuery,
};
use agora_chat::types::{
    AddChatroomAdmin, AddChatroomMembers, AddChatroomSuperAdmin, Affiliation, ChatroomId,
    CreateChatroom, ErrorCode, TransferChatroomOwner, UpdateChatroom,
};
use agora_chat::{Client, Error};
use agora_chat_emulator::Emulator;
use futures_util::TryStreamExt;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn start() -> (Emulator, Client) {
    let emu = Emulator::builder()
        .org("org")
        .app("app")
        .token("secret")
        .start()
        .await
        .expect("the emulator starts");
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_key("org#app")
        .app_token("secret")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .build()
        .expect("a valid client");
    (emu, client)
}

async fn room(client: &Client, owner: &str, members: &[&str], maxusers: u32) -> ChatroomId {
    let mut req = CreateChatroom::new("room", "d", owner).maxusers(maxusers);
    if !members.is_empty() {
        req = req.members(members.iter().copied());
    }
    let created = client.create_chatroom(&req).await;
    created.expect("create succeeds").data.id
}

/// Every member's username, the owner first, through the paged list's stream.
async fn members(client: &Client, id: &ChatroomId) -> Vec<String> {
    let query = ListChatroomMembersQuery::default().pagesize(2u32);
    let stream = client.list_chatroom_members_stream(id, query);
    let all: Vec<Affiliation> = stream.try_collect().await.expect("members list");
    all.into_iter()
        .map(|a| match a {
            Affiliation::Owner(u) => format!("owner:{u}"),
            Affiliation::Member(u) => u,
            other => format!("other:{other:?}"),
        })
        .collect()
}

/// The affiliations count and owner from the room's details.
async fn details(client: &Client, id: &ChatroomId) -> (u32, String) {
    let found = client.get_chatrooms(std::slice::from_ref(id)).await;
    let room = found.expect("details").data.remove(0);
    let count = room.affiliations.as_ref().map_or(0, Vec::len) as u32;
    assert_eq!(room.affiliations_count, Some(count));
    (count, room.owner.unwrap_or_default())
}

async fn joined(client: &Client, user: &str) -> Vec<String> {
    let query = ListJoinedChatroomsQuery::default();
    let rooms = client.list_joined_chatrooms(user, &query).await;
    let rooms = rooms.expect("joined list").data;
    rooms.into_iter().map(|r| r.id.into_inner()).collect()
}

#[track_caller]
fn api_code<T: std::fmt::Debug>(result: Result<T, Error>, status: u16) -> ErrorCode {
    match result {
        Err(err) if err.status() == Some(status) => err
            .code()
            .cloned()
            .unwrap_or(ErrorCode::Unknown(String::new())),
        other => panic!("expected a {status}, got {other:?}"),
    }
}

#[tokio::test]
async fn members_added_and_removed_show_in_details_joined_lists_and_member_lists() {
    let (_emu, client) = start().await;
    let id = room(&client, "alice", &[], 10).await;

    let one = client
        .add_chatroom_member(&id, "Bob")
        .await
        .expect("add one")
        .data;
    assert!(one.result && one.user == "bob" && one.id == id);
    let many = client
        .add_chatroom_members(
            &id,
            &AddChatroomMembers::new(names(&["carol", "dave", "bob"])),
        )
        .await
        .expect("add many")
        .data;
    assert_eq!(many.newmembers, ["carol", "dave", "bob"]);
    assert_eq!(
        members(&client, &id).await,
        ["owner:alice", "bob", "carol", "dave"]
    );
    assert_eq!(details(&client, &id).await, (4, "alice".to_owned()));
    assert_eq!(joined(&client, "carol").await, [id.as_str()]);

    let removed = client
        .remove_chatroom_member(&id, "bob")
        .await
        .expect("remove one")
        .data;
    assert!(removed.result && removed.user == "bob");
    let batch = client
        .remove_chatroom_members(&id, &["carol".to_owned(), "zed".to_owned()])
        .await
        .expect("remove many answers per user")
        .data;
    assert!(batch[0].ok && batch[0].item.user == "carol");
    assert!(!batch[1].ok);
    assert_eq!(
        batch[1].reason.as_deref(),
        Some(format!("user: zed doesn't exist in group: {}", id.as_str()).as_str())
    );
    assert_eq!(members(&client, &id).await, ["owner:alice", "dave"]);
    assert_eq!(details(&client, &id).await, (2, "alice".to_owned()));
    assert!(joined(&client, "bob").await.is_empty());
    assert!(joined(&client, "carol").await.is_empty());

    // The owner cannot be removed; a non-member is refused.
    let owner = client.remove_chatroom_member(&id, "alice").await;
    assert_eq!(api_code(owner, 403), ErrorCode::ForbiddenOp);
    let stranger = client.remove_chatroom_member(&id, "zed").await;
    assert_eq!(api_code(stranger, 403), ErrorCode::ForbiddenOp);
}

#[tokio::test]
async fn maxusers_holds_on_every_way_in() {
    let (_emu, client) = start().await;
    let id = room(&client, "alice", &["bob"], 3).await;
    let many = client
        .add_chatroom_members(&id, &AddChatroomMembers::new(names(&["c", "d"])))
        .await;
    assert_eq!(api_code(many, 403), ErrorCode::ForbiddenOp);
    assert!(client.add_chatroom_member(&id, "c").await.is_ok());
    let one = client.add_chatroom_member(&id, "d").await;
    assert_eq!(api_code(one, 403), ErrorCode::ForbiddenOp);
    // Adding a member again is not a way in: it succeeds and changes nothing.
    assert!(client.add_chatroom_member(&id, "c").await.is_ok());
    let shrink = client
        .update_chatroom(&id, &UpdateChatroom::default().maxusers(2u32))
        .await;
    assert!(
        matches!(shrink, Err(Error::NotApplied { .. })),
        "{shrink:?}"
    );
    assert_eq!(details(&client, &id).await.0, 3);
}

#[tokio::test]
async fn admins_must_be_members_and_lose_the_role_when_removed() {
    let (_emu, client) = start().await;
    let id = room(&client, "alice", &["bob", "carol"], 10).await;
    let added = client
        .add_chatroom_admin(&id, &AddChatroomAdmin::new("bob"))
        .await
        .expect("add admin")
        .data;
    assert!(added.result && added.newadmin == "bob");
    assert_eq!(
        client.list_chatroom_admins(&id).await.expect("admins").data,
        ["bob"]
    );

    let stranger = client
        .add_chatroom_admin(&id, &AddChatroomAdmin::new("zed"))
        .await;
    assert_eq!(api_code(stranger, 404), ErrorCode::ResourceNotFound);
    let owner = client
        .add_chatroom_admin(&id, &AddChatroomAdmin::new("alice"))
        .await;
    assert_eq!(api_code(owner, 403), ErrorCode::ForbiddenOp);

    // Removing the admin role keeps the member; removing the member drops the role.
    let removed = client
        .remove_chatroom_admin(&id, "bob")
        .await
        .expect("remove admin")
        .data;
    assert!(removed.result && removed.oldadmin == "bob");
    assert!(
        client
            .list_chatroom_admins(&id)
            .await
            .expect("admins")
            .data
            .is_empty()
    );
    assert!(members(&client, &id).await.contains(&"bob".to_owned()));
    let not_admin = client.remove_chatroom_admin(&id, "bob").await;
    assert_eq!(api_code(not_admin, 403), ErrorCode::ForbiddenOp);

    assert!(
        client
            .add_chatroom_admin(&id, &AddChatroomAdmin::new("carol"))
            .await
            .is_ok()
    );
    assert!(client.remove_chatroom_member(&id, "carol").await.is_ok());
    assert!(
        client
            .list_chatroom_admins(&id)
            .await
            .expect("admins")
            .data
            .is_empty()
    );
}

#[tokio::test]
async fn a_transfer_swaps_owner_and_member() {
    let (_emu, client) = start().await;
    let id = room(&client, "alice", &["bob"], 10).await;
    let moved = client
        .transfer_chatroom_owner(&id, &TransferChatroomOwner::new("bob"))
        .await
        .expect("transfer")
        .data;
    assert!(moved.newowner);
    assert_eq!(details(&client, &id).await, (2, "bob".to_owned()));
    assert_eq!(members(&client, &id).await, ["owner:bob", "alice"]);
    // The old owner is an ordinary member now: removable; the new one is not.
    let same = client
        .transfer_chatroom_owner(&id, &TransferChatroomOwner::new("bob"))
        .await;
    assert_eq!(api_code(same, 403), ErrorCode::ForbiddenOp);
    let stranger = client
        .transfer_chatroom_owner(&id, &TransferChatroomOwner::new("zed"))
        .await;
    assert_eq!(api_code(stranger, 403), ErrorCode::ForbiddenOp);
    assert!(client.remove_chatroom_member(&id, "alice").await.is_ok());
    assert_eq!(joined(&client, "bob").await, [id.as_str()]);
    // The update path still updates.
    let renamed = client
        .update_chatroom(&id, &UpdateChatroom::default().name("renamed"))
        .await;
    assert!(renamed.is_ok(), "{renamed:?}");
}

#[tokio::test]
async fn a_deleted_room_leaves_every_joined_list() {
    let (_emu, client) = start().await;
    let id = room(&client, "alice", &[], 10).await;
    let keep = room(&client, "alice", &["bob"], 10).await;
    assert!(
        client
            .add_chatroom_members(&id, &AddChatroomMembers::new(names(&["bob", "carol"])))
            .await
            .is_ok()
    );
    assert_eq!(joined(&client, "bob").await.len(), 2);
    assert!(client.delete_chatroom(&id).await.is_ok());
    assert_eq!(joined(&client, "bob").await, [keep.as_str()]);
    assert!(joined(&client, "carol").await.is_empty());
    assert_eq!(joined(&client, "alice").await, [keep.as_str()]);
    let gone = client
        .list_chatroom_members(&id, &ListChatroomMembersQuery::default())
        .await;
    assert_eq!(api_code(gone, 404), ErrorCode::ServiceResourceNotFound);
}

#[tokio::test]
async fn super_admins_are_app_wide_and_paged() {
    let (_emu, client) = start().await;
    for user in ["s1", "s2", "s3"] {
        let added = client
            .add_chatroom_super_admin(&AddChatroomSuperAdmin::new(user))
            .await
            .expect("add super admin");
        assert!(added.data.result);
    }
    let query = ListChatroomSuperAdminsQuery::default().pagesize(2u32);
    let all: Vec<String> = client
        .list_chatroom_super_admins_stream(query)
        .try_collect()
        .await
        .expect("super admins");
    assert_eq!(all, ["s1", "s2", "s3"]);
    let removed = client
        .remove_chatroom_super_admin("s2")
        .await
        .expect("remove")
        .data;
    assert_eq!(removed.user, "s2");
    let page = client
        .list_chatroom_super_admins(&ListChatroomSuperAdminsQuery::default())
        .await
        .expect("super admins")
        .data;
    assert_eq!(page, ["s1", "s3"]);
}

#[tokio::test]
async fn a_batch_of_250_is_chunked_within_the_limit_and_reported_per_user_in_order() {
    let (emu, client) = start().await;
    let id = room(&client, "alice", &[], 1000).await;
    let mut batch: Vec<String> = (0..250).map(|i| format!("user{i:03}")).collect();
    batch[7] = "not valid!".to_owned();
    let added = client
        .add_chatroom_members_batched(&id, &batch, &BulkOptions::default().concurrency(2))
        .await;
    assert_eq!(added.len(), 250);
    let keys: Vec<&str> = added.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, batch.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(added.iter().filter(|r| r.outcome.is_applied()).count(), 249);
    assert!(
        matches!(&added[7].outcome, ItemOutcome::Failed(err) if matches!(**err, Error::Validation { .. }))
    );
    assert_eq!(details(&client, &id).await.0, 250);

    // Remove them all again, plus one who is not a member: 251 reports, in order.
    batch[7] = "stranger".to_owned();
    batch.push("nobody".to_owned());
    let removed = client
        .remove_chatroom_members_batched(&id, &batch, &BulkOptions::default())
        .await;
    assert_eq!(removed.len(), 251);
    let keys: Vec<&str> = removed.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, batch.iter().map(String::as_str).collect::<Vec<_>>());
    let refused: Vec<(&str, Option<String>)> = removed
        .iter()
        .filter(|r| !r.outcome.is_applied())
        .map(|r| (r.key.as_str(), r.outcome.reason()))
        .collect();
    let reason = |u: &str| Some(format!("user: {u} doesn't exist in group: {}", id.as_str()));
    assert_eq!(
        refused,
        [
            ("stranger", reason("stranger")),
            ("nobody", reason("nobody"))
        ]
    );
    assert_eq!(members(&client, &id).await, ["owner:alice"]);

    // Every request stayed within the limit of 60: 5 adds (249 names) and 5 removes.
    let journal = emu.journal();
    let sizes: Vec<usize> = journal
        .iter()
        .filter(|e| e.operation.as_deref() == Some("remove_chatroom_members"))
        .map(|e| {
            e.path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .split("%2C")
                .count()
        })
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 251);
    assert!(sizes.iter().all(|n| *n <= 60), "{sizes:?}");
    let adds = journal
        .iter()
        .filter(|e| e.operation.as_deref() == Some("add_chatroom_members"))
        .count();
    assert_eq!(adds, 5);
}
