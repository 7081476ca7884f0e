//! Membership payloads: every request body as the client sends it, compared with the
//! reference's documented body, and every documented answer of
//! `../shared/reference/agora-chat-rest-chatrooms-full.md` decoded through the crate's types;
//! all snapshotted (`tests/snapshots/member_payloads__*.snap`).

use agora_chat::bulk::ItemResult;
use agora_chat::response::OneOrMany;
use agora_chat::types::{
    AddChatroomAdmin, AddChatroomMembers, AddChatroomSuperAdmin, AddedMembers, AdminAdded,
    AdminRemoved, Affiliation, Envelope, MemberResult, OwnerTransferred, RemovedMember,
    SuperAdminAdded, SuperAdminRemoved, TransferChatroomOwner,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The bytes the client sends for a body, as JSON, checked against the documented body.
#[track_caller]
fn sent<T: serde::Serialize>(body: &T, documented: &str) -> Value {
    let bytes = serde_json::to_vec(body).expect("serializable");
    let value: Value = serde_json::from_slice(&bytes).expect("JSON");
    let doc: Value = serde_json::from_str(documented).expect("documented JSON");
    assert_eq!(value, doc, "the body differs from the reference's");
    value
}

/// A documented answer, decoded the way the client decodes a 2xx body.
#[track_caller]
fn answer<T: DeserializeOwned>(text: &str) -> T {
    let envelope: Envelope<T> =
        serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"));
    envelope.data
}

#[test]
fn request_bodies() {
    let names = vec!["user1".to_owned(), "user2".to_owned()];
    insta::assert_json_snapshot!(
        "add_members_request",
        sent(
            &AddChatroomMembers::new(names),
            r#"{"usernames": ["user1","user2"]}"#
        )
    );
    insta::assert_json_snapshot!(
        "add_admin_request",
        sent(&AddChatroomAdmin::new("user1"), r#"{"newadmin": "user1"}"#)
    );
    insta::assert_json_snapshot!(
        "add_super_admin_request",
        sent(
            &AddChatroomSuperAdmin::new("user1"),
            r#"{"superadmin": "user1"}"#
        )
    );
    insta::assert_json_snapshot!(
        "transfer_request",
        sent(
            &TransferChatroomOwner::new("user2"),
            r#"{"newowner": "user2"}"#
        )
    );
}

#[test]
fn member_list_answer() {
    let data: Vec<Affiliation> = answer::<OneOrMany<Affiliation>>(
        r#"{"action":"get","params":{"pagesize":["2"],"pagenum":["2"]},"entities":[],
            "data":[{"owner":"user1"},{"member":"user2"},{"admin":"user3"}],"count":2,"timestamp":1489074511416,"duration":0}"#,
    )
    .into_vec();
    insta::assert_debug_snapshot!("list_members_response", data);
}

#[test]
fn add_and_remove_member_answers() {
    let added: MemberResult = answer(
        r#"{"action":"post","data":{"result":true,"action":"add_member","id":"66213271109633","user":"user1"}}"#,
    );
    insta::assert_debug_snapshot!("add_member_response", added);
    let many: AddedMembers = answer(
        r#"{"action":"post","data":{"newmembers":["user1","user2"],"action":"add_member","id":"66213271109633"}}"#,
    );
    insta::assert_debug_snapshot!("add_members_response", many);
    let removed: MemberResult = answer(
        r#"{"action":"delete","data":{"result":true,"action":"remove_member","user":"user1","id":"66213271109633"}}"#,
    );
    insta::assert_debug_snapshot!("remove_member_response", removed);
}

#[test]
fn remove_members_answers_per_user_as_array_or_lone_object() {
    let many: Vec<ItemResult<RemovedMember>> = answer::<OneOrMany<_>>(
        r#"{"action":"delete","data":[
          {"result":false,"action":"remove_member","reason":"user: user1 doesn't exist in group: 66213271109633","user":"user1","id":"66213271109633"},
          {"result":true,"action":"remove_member","user":"user2","id":"66213271109633"}]}"#,
    )
    .into_vec();
    assert!(!many[0].ok && many[1].ok);
    insta::assert_debug_snapshot!("remove_members_response", many);
    let one: Vec<ItemResult<RemovedMember>> = answer::<OneOrMany<_>>(
        r#"{"action":"delete","data":{"result":true,"action":"remove_member","user":"user1","id":"66213271109633"}}"#,
    )
    .into_vec();
    assert_eq!(one.len(), 1);
    assert!(one[0].ok);
}

#[test]
fn admin_answers_with_success_strings() {
    let admins: Vec<String> =
        answer::<OneOrMany<String>>(r#"{"action":"get","data":["user1"],"count":1}"#).into_vec();
    assert_eq!(admins, ["user1"]);
    let added: AdminAdded =
        answer(r#"{"action":"post","data":{"result":"success","newadmin":"user1"}}"#);
    assert!(added.result);
    insta::assert_debug_snapshot!("add_admin_response", added);
    let removed: AdminRemoved =
        answer(r#"{"action":"delete","data":{"result":"success","oldadmin":"user1"}}"#);
    assert!(removed.result);
    insta::assert_debug_snapshot!("remove_admin_response", removed);
    // Written back the way the service sends it.
    let wire = serde_json::to_value(&added).expect("serializable");
    assert_eq!(wire["result"], "success");
}

#[test]
fn super_admin_answers() {
    let list: Vec<String> = answer::<OneOrMany<String>>(
        r#"{"action":"get","params":{"pagesize":["2"],"pagenum":["2"]},"data":["yifan4","yifan3","yifan2"],
            "count":3,"properties":{}}"#,
    )
    .into_vec();
    assert_eq!(list, ["yifan4", "yifan3", "yifan2"]);
    let added: SuperAdminAdded =
        answer(r#"{"action":"post","data":{"result":"success","resource":""}}"#);
    insta::assert_debug_snapshot!("add_super_admin_response", added);
    let removed: SuperAdminRemoved = answer(
        r#"{"action":"delete","data":{"newSuperAdmin":"user1","resource":""},"properties":{}}"#,
    );
    assert_eq!(removed.user, "user1");
    insta::assert_debug_snapshot!("remove_super_admin_response", removed);
}

#[test]
fn transfer_answer() {
    let moved: OwnerTransferred = answer(r#"{"action":"put","data":{"newowner":true}}"#);
    assert!(moved.newowner);
    insta::assert_debug_snapshot!("transfer_response", moved);
}
