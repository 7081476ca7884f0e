//! End to end, moderation: every mute, block-list, allow-list, announcement and attribute
//! operation through the client to the emulator over loopback, each checked afterwards
//! through other operations (details, joined lists, the lists themselves), with the
//! emulator's clock moved past a mute's end.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use agora_chat::types::{
    Affiliation, Announcement, AttributeKeys, AutoDelete, ChatroomId, CreateChatroom,
    DeleteAttributes, ErrorCode, MuteDuration, MuteExpiry, MuteMembers, SetAttributes, Usernames,
};
use agora_chat::{Client, Error};
use agora_chat_emulator::Emulator;

const TOKEN: &str = "moderation-token";

/// A started emulator and a client for it.
async fn setup() -> (Emulator, Client) {
    let emu = Emulator::builder()
        .org("mod-org")
        .app("mod-app")
        .token(TOKEN)
        .start()
        .await
        .expect("the emulator starts");
    let client = client_for(&emu, true);
    (emu, client)
}

/// A client for `emu`; without validation the emulator judges every request.
fn client_for(emu: &Emulator, validate: bool) -> Client {
    Client::builder()
        .base_url(emu.base_url())
        .org_name("mod-org")
        .app_name("mod-app")
        .allow_http(true)
        .app_token(TOKEN)
        .validate_requests(validate)
        .build()
        .expect("valid client configuration")
}

/// A room owned by `owner` with `members`.
async fn room(client: &Client, owner: &str, members: &[&str]) -> ChatroomId {
    let mut req = CreateChatroom::new("moderated", "d", owner);
    if !members.is_empty() {
        req = req.members(members.iter().copied());
    }
    client.create_chatroom(&req).await.expect("create").data.id
}

fn code(err: &Error) -> Option<ErrorCode> {
    err.code().cloned()
}

fn names(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn pairs(items: &[(&str, &str)]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn members_of(client: &Client, id: &ChatroomId) -> Vec<Affiliation> {
    let details = client.get_chatrooms(std::slice::from_ref(id)).await;
    let room = details.expect("details").data.remove(0);
    room.affiliations.unwrap_or_default()
}

async fn joined(client: &Client, user: &str) -> Vec<ChatroomId> {
    let query = agora_chat::operations::ListJoinedChatroomsQuery::default();
    let rooms = client.list_joined_chatrooms(user, &query).await;
    rooms
        .expect("joined")
        .data
        .into_iter()
        .map(|r| r.id)
        .collect()
}

#[tokio::test]
async fn a_timed_mute_ends_on_the_emulators_clock_and_forever_stays() {
    let (emu, client) = setup().await;
    let id = room(&client, "owner", &["bob", "carol"]).await;
    let ten_minutes = MuteMembers::new(names(&["bob"]), Duration::from_secs(600));
    let before = SystemTime::UNIX_EPOCH + Duration::from_secs(emu.now_unix());
    let muted = client.mute_chatroom_members(&id, &ten_minutes).await;
    let muted = muted.expect("mute").data;
    assert_eq!(muted.len(), 1);
    assert!(muted[0].ok);
    assert_eq!(muted[0].item.user, "bob");
    assert_eq!(
        muted[0].item.expire,
        MuteExpiry::At(before + Duration::from_secs(600))
    );
    let forever = MuteMembers::new(names(&["carol"]), MuteDuration::Forever);
    let muted = client.mute_chatroom_members(&id, &forever).await;
    assert_eq!(
        muted.expect("mute").data[0].item.expire,
        MuteExpiry::Forever
    );

    let listed = client.list_chatroom_mutes(&id).await.expect("list").data;
    let users: Vec<&str> = listed.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(users, ["bob", "carol"]);

    emu.advance_clock(Duration::from_secs(601));
    let listed = client.list_chatroom_mutes(&id).await.expect("list").data;
    assert_eq!(listed.len(), 1, "bob's mute ended: {listed:?}");
    assert_eq!(listed[0].user, "carol");
    assert_eq!(listed[0].expire, MuteExpiry::Forever);
}

#[tokio::test]
async fn mutes_are_validated_and_refused_for_non_members() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob"]).await;
    let zero = MuteMembers::new(names(&["bob"]), Duration::ZERO);
    let err = client.mute_chatroom_members(&id, &zero).await.err();
    assert!(matches!(err, Some(Error::Validation { .. })), "{err:?}");
    let too_many: Vec<String> = (0..61).map(|i| format!("u{i}")).collect();
    let err = client
        .mute_chatroom_members(&id, &MuteMembers::new(too_many, MuteDuration::Forever))
        .await
        .err();
    assert!(matches!(err, Some(Error::Validation { .. })), "{err:?}");
    let stranger = MuteMembers::new(names(&["dave"]), MuteDuration::Forever);
    let err = client.mute_chatroom_members(&id, &stranger).await.err();
    assert_eq!(err.as_ref().and_then(code), Some(ErrorCode::ForbiddenOp));
    let unknown = ChatroomId::new("1");
    let err = client.list_chatroom_mutes(&unknown).await.err();
    assert_eq!(
        err.as_ref().and_then(code),
        Some(ErrorCode::ServiceResourceNotFound)
    );
}

#[tokio::test]
async fn mute_all_shows_in_the_details_and_ends() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob"]).await;
    let on = client.mute_chatroom_all(&id).await.expect("mute all").data;
    assert!(on.mute);
    let details = client.get_chatrooms(std::slice::from_ref(&id)).await;
    assert_eq!(details.expect("details").data[0].mute, Some(true));
    let off = client
        .unmute_chatroom_all(&id)
        .await
        .expect("unmute all")
        .data;
    assert!(!off.mute);
    let details = client.get_chatrooms(std::slice::from_ref(&id)).await;
    assert_eq!(details.expect("details").data[0].mute, Some(false));
}

#[tokio::test]
async fn a_blocked_member_is_gone_from_details_and_joined_list_until_unblocked() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob", "carol"]).await;
    assert_eq!(joined(&client, "bob").await, std::slice::from_ref(&id));

    let blocked = client
        .add_chatroom_block(&id, "bob")
        .await
        .expect("block")
        .data;
    assert!(blocked.result);
    assert_eq!(blocked.chatroomid.as_ref(), Some(&id));
    let members = members_of(&client, &id).await;
    assert!(
        !members.contains(&Affiliation::Member("bob".into())),
        "{members:?}"
    );
    assert_eq!(members.len(), 2);
    assert!(joined(&client, "bob").await.is_empty());
    let list = client.list_chatroom_blocks(&id).await.expect("blocks").data;
    assert_eq!(list, ["bob"]);

    // No longer a member: blocking again, and blocking the owner, are refused.
    for user in ["bob", "owner"] {
        let err = client.add_chatroom_block(&id, user).await.err();
        assert_eq!(
            err.as_ref().and_then(code),
            Some(ErrorCode::ForbiddenOp),
            "{user}"
        );
    }

    let unblocked = client
        .remove_chatroom_block(&id, "bob")
        .await
        .expect("unblock");
    assert!(unblocked.data.result);
    assert!(
        client
            .list_chatroom_blocks(&id)
            .await
            .expect("blocks")
            .data
            .is_empty()
    );
    assert!(
        joined(&client, "bob").await.is_empty(),
        "unblocking does not re-add"
    );
    // Unblocking someone who is not blocked is reported as not applied.
    let again = client.remove_chatroom_block(&id, "bob").await.err();
    assert!(matches!(again, Some(Error::NotApplied { .. })), "{again:?}");
}

#[tokio::test]
async fn the_allow_list_takes_members_and_forgets_them_when_they_leave() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob", "carol"]).await;
    let added = client.add_chatroom_allowlist_user(&id, "Bob").await;
    assert_eq!(added.expect("allow").data.user, "bob");
    let list = client
        .list_chatroom_allowlist(&id)
        .await
        .expect("list")
        .data;
    assert_eq!(list, ["bob"]);
    let err = client.add_chatroom_allowlist_user(&id, "dave").await.err();
    assert_eq!(err.as_ref().and_then(code), Some(ErrorCode::ForbiddenOp));
    // Leaving (here: being blocked) takes the member off the allow list.
    client.add_chatroom_block(&id, "bob").await.expect("block");
    let list = client
        .list_chatroom_allowlist(&id)
        .await
        .expect("list")
        .data;
    assert!(list.is_empty(), "{list:?}");
}

#[tokio::test]
async fn the_announcement_is_set_read_and_limited_to_512_characters() {
    let (emu, client) = setup().await;
    let id = room(&client, "owner", &[]).await;
    let empty = client.get_chatroom_announcement(&id).await.expect("get");
    assert_eq!(empty.data.announcement, "");
    let set = client
        .set_chatroom_announcement(&id, &Announcement::new("Welcome."))
        .await
        .expect("set");
    assert!(set.data.result);
    let read = client.get_chatroom_announcement(&id).await.expect("get");
    assert_eq!(read.data.announcement, "Welcome.");

    let long = Announcement::new("é".repeat(513));
    let err = client.set_chatroom_announcement(&id, &long).await.err();
    assert!(matches!(err, Some(Error::Validation { .. })), "{err:?}");
    // The emulator refuses it as the service does: 403 forbidden_op.
    let unchecked = client_for(&emu, false);
    let err = unchecked.set_chatroom_announcement(&id, &long).await.err();
    assert_eq!(err.as_ref().and_then(code), Some(ErrorCode::ForbiddenOp));
    let max = Announcement::new("é".repeat(512));
    assert!(client.set_chatroom_announcement(&id, &max).await.is_ok());
}

#[tokio::test]
async fn attributes_follow_their_owner_and_force_overrides() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob", "carol"]).await;
    let set = SetAttributes::new(pairs(&[("topic", "rust"), ("level", "1")]));
    let r = client
        .set_chatroom_attributes(&id, "bob", &set)
        .await
        .expect("set");
    assert_eq!(
        r.data.success_keys,
        Some(vec!["level".into(), "topic".into()])
    );

    // carol cannot change bob's key, but may force it (and then owns it).
    let theirs = SetAttributes::new(pairs(&[("topic", "go")]));
    let r = client.set_chatroom_attributes(&id, "carol", &theirs).await;
    let errors = r
        .expect("answered per key")
        .data
        .error_keys
        .unwrap_or_default();
    assert!(errors["topic"].contains("is not part of you"), "{errors:?}");
    let r = client
        .force_set_chatroom_attributes(&id, "carol", &theirs)
        .await;
    assert_eq!(
        r.expect("forced").data.success_keys,
        Some(vec!["topic".into()])
    );

    let all = client
        .get_chatroom_attributes(&id, &AttributeKeys::default())
        .await
        .expect("get all")
        .data;
    assert_eq!(all, pairs(&[("level", "1"), ("topic", "go")]));
    let some = AttributeKeys::default().keys(["topic", "absent"]);
    let some = client
        .get_chatroom_attributes(&id, &some)
        .await
        .expect("get");
    assert_eq!(some.data, pairs(&[("topic", "go")]));

    // bob no longer owns `topic`; force delete removes anyone's keys, as anyone.
    let del = DeleteAttributes::new(names(&["topic", "level"]));
    let r = client
        .delete_chatroom_attributes(&id, "bob", &del)
        .await
        .expect("delete");
    assert_eq!(r.data.success_keys, Some(vec!["level".into()]));
    assert!(r.data.error_keys.is_some_and(|e| e.contains_key("topic")));
    let del = DeleteAttributes::new(names(&["topic"]));
    let r = client
        .force_delete_chatroom_attributes(&id, "admin", &del)
        .await;
    assert_eq!(
        r.expect("force delete").data.success_keys,
        Some(vec!["topic".into()])
    );
    let all = client
        .get_chatroom_attributes(&id, &AttributeKeys::default())
        .await;
    assert!(all.expect("get all").data.is_empty());

    // Not a member: 401 MetadataException, which is not a token problem (no refresh loop).
    let err = client
        .set_chatroom_attributes(&id, "dave", &set)
        .await
        .err();
    assert_eq!(
        err.as_ref().and_then(code),
        Some(ErrorCode::MetadataException)
    );
}

#[tokio::test]
async fn a_leaving_members_auto_delete_attributes_go() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob"]).await;
    let kept = SetAttributes::new(pairs(&[("kept", "1")])).auto_delete(AutoDelete::NoDelete);
    let gone = SetAttributes::new(pairs(&[("gone", "1")])).auto_delete(AutoDelete::Delete);
    client
        .set_chatroom_attributes(&id, "bob", &kept)
        .await
        .expect("set");
    client
        .set_chatroom_attributes(&id, "bob", &gone)
        .await
        .expect("set");
    client.add_chatroom_block(&id, "bob").await.expect("block");
    let all = client
        .get_chatroom_attributes(&id, &AttributeKeys::default())
        .await;
    assert_eq!(all.expect("get").data, pairs(&[("kept", "1")]));
}

#[tokio::test]
async fn attribute_limits_are_checked_before_sending() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob"]).await;
    let eleven: BTreeMap<String, String> =
        (0..11).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let bad_key = pairs(&[("no spaces", "v")]);
    let long_value = BTreeMap::from([("k".to_owned(), "v".repeat(4097))]);
    for map in [eleven, bad_key, long_value, BTreeMap::new()] {
        let err = client
            .set_chatroom_attributes(&id, "bob", &SetAttributes::new(map))
            .await
            .err();
        assert!(matches!(err, Some(Error::Validation { .. })), "{err:?}");
    }
    let keys: Vec<String> = (0..11).map(|i| format!("k{i}")).collect();
    let err = client
        .delete_chatroom_attributes(&id, "bob", &DeleteAttributes::new(keys))
        .await
        .err();
    assert!(matches!(err, Some(Error::Validation { .. })), "{err:?}");
}

#[tokio::test]
async fn unmute_ends_mutes_of_one_or_many() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob", "carol", "dave"]).await;
    let all = MuteMembers::new(names(&["bob", "carol", "dave"]), MuteDuration::Forever);
    client.mute_chatroom_members(&id, &all).await.expect("mute");
    let one = client.unmute_chatroom_members(&id, &names(&["bob"])).await;
    let one = one.expect("unmute one").data;
    assert!(
        one.len() == 1 && one[0].ok && one[0].item.user == "bob",
        "{one:?}"
    );
    let two = client
        .unmute_chatroom_members(&id, &names(&["carol", "nobody"]))
        .await
        .expect("unmute two")
        .data;
    assert!(
        two.iter().all(|r| r.ok),
        "not muted still counts as unmuted: {two:?}"
    );
    let listed = client.list_chatroom_mutes(&id).await.expect("list").data;
    let users: Vec<&str> = listed.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(users, ["dave"]);
}

#[tokio::test]
async fn batched_mutes_chunk_at_60_and_report_every_user_in_order() {
    let (emu, client) = setup().await;
    let users: Vec<String> = (0..130).map(|i| format!("user{i:03}")).collect();
    let members: Vec<&str> = users.iter().map(String::as_str).collect();
    let id = room(&client, "owner", &members[..120]).await;
    let body = MuteMembers::new(Vec::<String>::new(), Duration::from_secs(600));
    let options = agora_chat::bulk::BulkOptions::default();
    let reports = client
        .mute_chatroom_members_batched(&id, &users, &body, &options)
        .await;
    assert_eq!(reports.len(), 130);
    assert!(reports.iter().zip(&users).all(|(r, u)| r.key == *u));
    // The chunk holding the non-members (120..130) is refused as a whole (403).
    let applied = reports.iter().filter(|r| r.outcome.is_applied()).count();
    assert_eq!(applied, 120, "two chunks of 60 applied, the third refused");
    let sent = emu
        .journal()
        .into_iter()
        .filter(|e| e.operation.as_deref() == Some("mute_chatroom_members"))
        .count();
    assert_eq!(sent, 3, "130 names in chunks of at most 60");
    let listed = client.list_chatroom_mutes(&id).await.expect("list").data;
    assert_eq!(listed.len(), 120);
}

#[tokio::test]
async fn blocks_of_many_report_per_user_and_unblock_one_or_many() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob", "carol", "dave"]).await;
    let body = Usernames::new(names(&["bob", "stranger", "carol"]));
    let added = client.add_chatroom_blocks(&id, &body).await;
    let added = added.expect("block many").data;
    let outcome: Vec<(&str, bool)> = added.iter().map(|r| (r.item.user.as_str(), r.ok)).collect();
    assert_eq!(
        outcome,
        [("bob", true), ("stranger", false), ("carol", true)]
    );
    let reason = added[1].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("doesn't exist"), "{reason}");
    assert_eq!(members_of(&client, &id).await.len(), 2, "owner and dave");
    assert!(joined(&client, "carol").await.is_empty());
    let list = client.list_chatroom_blocks(&id).await.expect("blocks").data;
    assert_eq!(list, ["bob", "carol"]);

    // A blocked user cannot be added back while blocked.
    let err = client.add_chatroom_member(&id, "bob").await.err();
    assert_eq!(err.as_ref().and_then(code), Some(ErrorCode::ForbiddenOp));

    let removed = client
        .remove_chatroom_blocks(&id, &names(&["bob", "dave"]))
        .await
        .expect("unblock many")
        .data;
    let outcome: Vec<(&str, bool)> = removed
        .iter()
        .map(|r| (r.item.user.as_str(), r.ok))
        .collect();
    assert_eq!(outcome, [("bob", true), ("dave", false)]);
    let one = client.remove_chatroom_blocks(&id, &names(&["carol"])).await;
    assert!(one.expect("one name, answered as an object").data[0].ok);
    let list = client.list_chatroom_blocks(&id).await.expect("blocks");
    assert!(list.data.is_empty());
    let again = client.add_chatroom_member(&id, "bob").await;
    again.expect("bob may join again once unblocked");
    assert_eq!(joined(&client, "bob").await, std::slice::from_ref(&id));
}

#[tokio::test]
async fn the_allow_list_adds_and_removes_many() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob", "carol"]).await;
    let body = Usernames::new(names(&["bob", "carol", "stranger"]));
    let added = client.add_chatroom_allowlist_users(&id, &body).await;
    let ok: Vec<bool> = added.expect("add").data.iter().map(|r| r.ok).collect();
    assert_eq!(ok, [true, true, false]);
    let list = client
        .list_chatroom_allowlist(&id)
        .await
        .expect("list")
        .data;
    assert_eq!(list, ["bob", "carol"]);
    let one = client
        .remove_chatroom_allowlist_users(&id, &names(&["bob"]))
        .await;
    assert!(one.expect("one name, answered as an object").data[0].ok);
    let two = client
        .remove_chatroom_allowlist_users(&id, &names(&["carol", "bob"]))
        .await
        .expect("remove two")
        .data;
    let ok: Vec<bool> = two.iter().map(|r| r.ok).collect();
    assert_eq!(ok, [true, false], "bob was no longer on it");
    let list = client.list_chatroom_allowlist(&id).await.expect("list");
    assert!(list.data.is_empty());
}

#[tokio::test]
async fn a_removed_member_loses_auto_delete_attributes_but_keeps_a_mute() {
    let (_emu, client) = setup().await;
    let id = room(&client, "owner", &["bob"]).await;
    let set = SetAttributes::new(pairs(&[("k", "v")]));
    client
        .set_chatroom_attributes(&id, "bob", &set)
        .await
        .expect("set");
    let mute = MuteMembers::new(names(&["bob"]), MuteDuration::Forever);
    client
        .mute_chatroom_members(&id, &mute)
        .await
        .expect("mute");
    client
        .remove_chatroom_member(&id, "bob")
        .await
        .expect("remove");
    let all = client
        .get_chatroom_attributes(&id, &AttributeKeys::default())
        .await;
    assert!(all.expect("get").data.is_empty());
    let mutes = client.list_chatroom_mutes(&id).await.expect("list").data;
    assert_eq!(mutes.len(), 1, "a mute survives leaving");
}
