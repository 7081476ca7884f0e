//! Moderation payloads: every request body as sent, and every documented answer of the
//! reference (`agora-chat-rest-chatrooms-full.md`) decoded through the crate's types, both
//! snapshotted (`tests/snapshots/moderation_payloads__*.snap`).

use std::collections::BTreeMap;
use std::time::Duration;

use agora_chat::bulk::ItemResult;
use agora_chat::types::{
    AllowlistResult, AllowlistedUser, Announcement, AnnouncementSet, AttributeKeys,
    AttributesResult, AutoDelete, BlockResult, BlockedUser, DeleteAttributes, Envelope, MuteAll,
    MuteDuration, MuteExpiry, MuteMembers, MuteResult, MutedMember, SetAttributes, UnmuteResult,
    Usernames,
};
use serde::de::DeserializeOwned;

/// The bytes the client sends for a body, as text.
fn wire<T: serde::Serialize>(body: &T) -> String {
    String::from_utf8(serde_json::to_vec(body).expect("serializable")).expect("UTF-8")
}

/// Decodes a documented answer the way the client decodes a 2xx body.
fn decode<T: DeserializeOwned>(text: &str) -> Envelope<T> {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

fn names(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------- request bodies

#[test]
fn mute_bodies_send_milliseconds_or_minus_one() {
    let ten_minutes = MuteMembers::new(names(&["user1", "user2"]), Duration::from_secs(600));
    assert_eq!(
        wire(&ten_minutes),
        r#"{"usernames":["user1","user2"],"mute_duration":600000}"#
    );
    insta::assert_json_snapshot!("mute_request_ten_minutes", ten_minutes);
    let forever = MuteMembers::new(names(&["user1"]), MuteDuration::Forever);
    assert_eq!(
        wire(&forever),
        r#"{"usernames":["user1"],"mute_duration":-1}"#
    );
    insta::assert_json_snapshot!("mute_request_forever", forever);
}

#[test]
fn usernames_body() {
    let body = Usernames::new(names(&["user3", "user4"]));
    assert_eq!(wire(&body), r#"{"usernames":["user3","user4"]}"#);
    insta::assert_json_snapshot!("usernames_request", body);
}

#[test]
fn announcement_body() {
    let body = Announcement::new("Welcome.");
    assert_eq!(wire(&body), r#"{"announcement":"Welcome."}"#);
    insta::assert_json_snapshot!("announcement_request", body);
}

#[test]
fn attribute_bodies() {
    let all = AttributeKeys::default();
    assert_eq!(wire(&all), "{}");
    let some = AttributeKeys::default().keys(["key1", "key2"]);
    assert_eq!(wire(&some), r#"{"keys":["key1","key2"]}"#);
    insta::assert_json_snapshot!("attributes_get_request", some);
    let pairs = BTreeMap::from([
        ("key1".to_owned(), "value1".to_owned()),
        ("key2".to_owned(), "value2".to_owned()),
    ]);
    let set = SetAttributes::new(pairs).auto_delete(AutoDelete::Delete);
    assert_eq!(
        wire(&set),
        r#"{"metaData":{"key1":"value1","key2":"value2"},"autoDelete":"DELETE"}"#
    );
    insta::assert_json_snapshot!("attributes_set_request", set);
    let keep = SetAttributes::new(BTreeMap::from([("k".to_owned(), "v".to_owned())]))
        .auto_delete(AutoDelete::NoDelete);
    assert_eq!(
        wire(&keep),
        r#"{"metaData":{"k":"v"},"autoDelete":"NO_DELETE"}"#
    );
    let delete = DeleteAttributes::new(names(&["key1", "key2"]));
    assert_eq!(wire(&delete), r#"{"keys":["key1","key2"]}"#);
    insta::assert_json_snapshot!("attributes_delete_request", delete);
}

// ---------------------------------------------------------------- documented answers

#[test]
fn list_mutes_answer_decodes_expiries_to_times() {
    let answer = decode::<Vec<MutedMember>>(
        r#"{"action":"get","data":[{"expire":1489158589481,"user":"user1"},{"expire":1489158589481,"user":"user2"}]}"#,
    );
    let at = std::time::UNIX_EPOCH + Duration::from_millis(1_489_158_589_481);
    assert_eq!(answer.data[0].expire, MuteExpiry::At(at));
    insta::assert_debug_snapshot!("list_mutes_response", answer.data);
}

#[test]
fn mute_answer_is_per_item_and_forever_decodes() {
    let answer = decode::<Vec<ItemResult<MuteResult>>>(
        r#"{"action":"post","data":[{"result":true,"expire":1642148173726,"user":"user1"},
                                   {"result":true,"expire":4638873600000,"user":"user2"}]}"#,
    );
    assert!(answer.data.iter().all(|r| r.ok));
    assert_eq!(answer.data[1].item.expire, MuteExpiry::Forever);
    insta::assert_debug_snapshot!("mute_response", answer.data);
}

#[test]
fn unmute_answer() {
    let answer = decode::<Vec<ItemResult<UnmuteResult>>>(
        r#"{"action":"delete","data":[{"result":true,"user":"user1"}]}"#,
    );
    insta::assert_debug_snapshot!("unmute_response", answer.data);
}

#[test]
fn mute_all_answers() {
    // reality: the documented `action` does not match the method; it is never read.
    let on = decode::<MuteAll>(r#"{"action":"put","data":{"mute":true}}"#);
    let off = decode::<MuteAll>(r#"{"action":"delete","data":{"mute":false}}"#);
    assert!(on.data.mute && !off.data.mute);
    insta::assert_debug_snapshot!("mute_all_response", (on.data, off.data));
}

#[test]
fn block_list_answers() {
    let list = decode::<Vec<String>>(r#"{"action":"get","data":["user2","user3"],"count":2}"#);
    assert_eq!(list.count, Some(2));
    let one = decode::<BlockResult>(
        r#"{"action":"post","data":{"result":true,"action":"add_blocks","user":"user1","chatroomid":"66213271109633"}}"#,
    );
    let many = decode::<Vec<ItemResult<BlockedUser>>>(
        r#"{"action":"post","data":[
  {"result":false,"action":"add_blocks","reason":"user: user3 doesn't exist in chatroom: 66213271109633","user":"user3","chatroomid":"66213271109633"},
  {"result":true,"action":"add_blocks","user":"user4","chatroomid":"66213271109633"}]}"#,
    );
    assert!(!many.data[0].ok && many.data[1].ok);
    let removed = decode::<BlockResult>(
        r#"{"action":"delete","data":{"result":true,"action":"remove_blocks","user":"user1","chatroomid":"66213271109633"}}"#,
    );
    insta::assert_debug_snapshot!(
        "block_list_responses",
        (list.data, one.data, many.data, removed.data)
    );
}

#[test]
fn allow_list_answers() {
    let list =
        decode::<Vec<String>>(r#"{"action":"get","data":["wzy_test","wzy_vivo"],"count":2}"#);
    let one = decode::<AllowlistResult>(
        r#"{"action":"post","data":{"result":true,"action":"add_user_whitelist","user":"wzy_xiaomi","chatroomid":"66213271109633"}}"#,
    );
    let removed = decode::<Vec<ItemResult<AllowlistedUser>>>(
        r#"{"action":"delete","data":[
  {"result":true,"action":"remove_user_whitelist","user":"wzy_huawei","chatroomid":"66213271109633"},
  {"result":true,"action":"remove_user_whitelist","user":"wzy_meizu","chatroomid":"66213271109633"}]}"#,
    );
    insta::assert_debug_snapshot!("allow_list_responses", (list.data, one.data, removed.data));
}

#[test]
fn announcement_answers() {
    let get = decode::<Announcement>(r#"{"action":"get","data":{"announcement":"Welcome."}}"#);
    let set = decode::<AnnouncementSet>(
        r#"{"action":"post","data":{"id":"66213271109633","result":true}}"#,
    );
    insta::assert_debug_snapshot!("announcement_responses", (get.data, set.data));
}

#[test]
fn attribute_answers_in_the_trimmed_envelope() {
    let get = decode::<BTreeMap<String, String>>(
        r#"{"uri":"https://host/org/app/metadata/chatroom","timestamp":1716891388636,"action":"post",
 "data":{"key1":"value1","key2":"value2"}}"#,
    );
    assert_eq!(get.timestamp, Some(1_716_891_388_636));
    let set = decode::<AttributesResult>(
        r#"{"action":"put","data":{"successKeys":["key1"],
 "errorKeys":{"key2":"properties key 'key2' is exceeding maximum limit 128"}}}"#,
    );
    let delete = decode::<AttributesResult>(
        r#"{"status":"ok","action":"delete","data":{"successKeys":["key1"],"errorKeys":{"key2":"errorDesc"}}}"#,
    );
    assert_eq!(delete.status.as_deref(), Some("ok"));
    insta::assert_debug_snapshot!("attribute_responses", (get, set.data, delete));
}
