//! Request bodies and documented response examples, decoded through the crate's types and
//! snapshotted (`tests/snapshots/payloads__*.snap`). Fixtures are in `tests/fixtures`.

mod common;

use agora_chat::response::OneOrMany;
use agora_chat::types::{
    Affiliation, ChatroomDetail, ChatroomScale, ChatroomSummary, CreateChatroom, CreatedChatroom,
    DeleteResult, Envelope, JoinedChatroom, UpdateChatroom, UpdateResult,
};
use common::fixture;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Decodes a fixture the way the client decodes a 2xx body.
fn decode<T: DeserializeOwned>(name: &str) -> Envelope<T> {
    let text = fixture(name);
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// The bytes the client sends for a body (it uses `serde_json::to_vec`), as text.
fn wire<T: serde::Serialize>(body: &T) -> String {
    String::from_utf8(serde_json::to_vec(body).expect("serializable")).expect("UTF-8")
}

/// The keys of a JSON object, sorted.
fn keys(text: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(text).expect("JSON");
    let mut keys: Vec<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

// ---------------------------------------------------------------- request bodies

#[test]
fn create_full_body() {
    let body = CreateChatroom::new("lobby", "Say hello", "alice")
        .maxusers(500u32)
        .members(["bob", "carol"])
        .custom("{\"topic\":\"rust\"}");
    assert_eq!(
        wire(&body),
        r#"{"name":"lobby","description":"Say hello","owner":"alice","maxusers":500,"members":["bob","carol"],"custom":"{\"topic\":\"rust\"}"}"#
    );
    insta::assert_json_snapshot!("create_request_full", body);
}

#[test]
fn create_minimal_body_leaves_optional_fields_out() {
    let body = CreateChatroom::new("lobby", "", "alice");
    let text = wire(&body);
    assert_eq!(text, r#"{"name":"lobby","description":"","owner":"alice"}"#);
    assert!(!text.contains("null"), "{text}");
    assert_eq!(keys(&text), ["description", "name", "owner"]);
    insta::assert_json_snapshot!("create_request_minimal", body);
}

#[test]
fn create_body_matches_the_doc_example() {
    let body = CreateChatroom::new("testchatroom1", "test", "user1")
        .maxusers(300u32)
        .members(["user2"]);
    let doc: Value = serde_json::from_str(&fixture("create_request.json")).expect("JSON");
    assert_eq!(
        serde_json::to_value(&body).expect("serializable"),
        doc,
        "the body differs from the doc's example"
    );
    assert_eq!(
        doc,
        json!({"name":"testchatroom1","description":"test","maxusers":300,"owner":"user1","members":["user2"]})
    );
    // The doc's example is also a valid value of the request type.
    let parsed: CreateChatroom = serde_json::from_value(doc).expect("decodes");
    assert_eq!(parsed, body);
    insta::assert_json_snapshot!("create_request_doc_example", body);
}

#[test]
fn update_bodies_send_only_the_fields_that_are_set() {
    let name_only = UpdateChatroom::default().name("testchatroom");
    assert_eq!(wire(&name_only), r#"{"name":"testchatroom"}"#);
    insta::assert_json_snapshot!("update_request_name_only", name_only);

    let description_only = UpdateChatroom::default().description("test");
    assert_eq!(wire(&description_only), r#"{"description":"test"}"#);

    let maxusers_only = UpdateChatroom::default().maxusers(300u32);
    assert_eq!(wire(&maxusers_only), r#"{"maxusers":300}"#);
    insta::assert_json_snapshot!("update_request_maxusers_only", maxusers_only);

    let all = UpdateChatroom::default()
        .name("testchatroom")
        .description("test")
        .maxusers(300u32);
    assert_eq!(
        wire(&all),
        r#"{"name":"testchatroom","description":"test","maxusers":300}"#
    );
    let doc: Value = serde_json::from_str(&fixture("update_request.json")).expect("JSON");
    assert_eq!(serde_json::to_value(&all).expect("serializable"), doc);
    insta::assert_json_snapshot!("update_request_all_fields", all);

    assert_eq!(wire(&UpdateChatroom::default()), "{}");
}

// ---------------------------------------------------------------- documented responses

#[test]
fn create_response() {
    let envelope: Envelope<CreatedChatroom> = decode("create_response.json");
    assert_eq!(envelope.data.id, "66213271109633");
    assert_eq!(envelope.action, None);
    insta::assert_json_snapshot!("create_response", envelope);
}

#[test]
fn list_response_doc_example_is_a_lone_object() {
    let envelope: Envelope<OneOrMany<ChatroomSummary>> = decode("list_response_doc.json");
    let rooms = &envelope.data.0;
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].id, "66211860774913");
    assert_eq!(rooms[0].owner.as_deref(), Some("user1"));
    assert_eq!(rooms[0].affiliations_count, Some(2));
    assert_eq!(rooms[0].disabled, None);
    insta::assert_json_snapshot!("list_response_doc", envelope);
}

#[test]
fn list_response_array_with_cursor() {
    let envelope: Envelope<OneOrMany<ChatroomSummary>> = decode("list_response_array.json");
    let (data, meta) = envelope.clone().into_parts();
    let rooms = data.into_vec();
    assert_eq!(rooms.len(), 2);
    assert_eq!(rooms[0].disabled, Some(false));
    assert_eq!(rooms[1].disabled, Some(true));
    assert_eq!(meta.count, Some(2));
    assert_eq!(
        meta.cursor.as_deref(),
        Some("ZGNiMjRmNGY1YjczYjlhYTNkYjk1MDY2YmEyNzFmODQ6aW06Y2hhdHJvb206ZGVtbyNhcHA6Mg")
    );
    assert_eq!(
        meta.params.as_ref().and_then(|p| p.get("limit")),
        Some(&vec!["2".to_owned()])
    );
    insta::assert_json_snapshot!("list_response_array", envelope);
    insta::assert_debug_snapshot!("list_response_array_rooms", rooms);
}

#[test]
fn joined_response_doc_example_is_a_lone_object() {
    let envelope: Envelope<OneOrMany<JoinedChatroom>> = decode("joined_response_doc.json");
    assert_eq!(envelope.data.0.len(), 1);
    assert_eq!(envelope.data.0[0].name, "test");
    insta::assert_json_snapshot!("joined_response_doc", envelope);
}

#[test]
fn joined_response_array_with_disabled_as_string() {
    let envelope: Envelope<OneOrMany<JoinedChatroom>> = decode("joined_response_array.json");
    let rooms = &envelope.data.0;
    assert_eq!(rooms.len(), 2);
    assert!(rooms.iter().all(|room| room.disabled == Some(false)));
    assert_eq!(envelope.count, Some(2));
    assert_eq!(envelope.cursor, None);
    insta::assert_json_snapshot!("joined_response_array", envelope);
    insta::assert_debug_snapshot!("joined_response_array_rooms", rooms);
}

#[test]
fn details_response_doc_example() {
    let envelope: Envelope<OneOrMany<ChatroomDetail>> = decode("details_response_doc.json");
    let rooms = &envelope.data.0;
    assert_eq!(rooms.len(), 2);
    let (first, second) = (&rooms[0], &rooms[1]);
    assert_eq!(
        first.affiliations.as_deref(),
        Some(
            &[
                Affiliation::Member("user1".to_owned()),
                Affiliation::Owner("user2".to_owned())
            ][..]
        )
    );
    assert_eq!(first.owner, None, "the example has no `owner` field");
    assert_eq!(first.scale, None);
    assert_eq!(first.mute, None);
    assert_eq!(second.scale, Some(ChatroomScale::Large));
    assert_eq!(second.mute, Some(false));
    assert_eq!(second.invite_need_confirm, Some(true));
    assert_eq!(second.maxusers, Some(10000));
    assert_eq!(second.created, Some(1641289021898));
    assert_eq!(second.custom.as_deref(), Some(""));
    assert_eq!(envelope.count, Some(2));
    assert_eq!(envelope.entities, Some(vec![]));
    assert_eq!(envelope.timestamp, Some(1642064417048));
    assert_eq!(
        envelope.uri.as_deref(),
        Some("http://XXXX/XXXX/XXXX/chatrooms/XXXX%2CXXXX")
    );
    insta::assert_json_snapshot!("details_response_doc", envelope);
    insta::assert_debug_snapshot!("details_response_doc_rooms", rooms);
}

#[test]
fn details_response_reference_example() {
    let envelope: Envelope<OneOrMany<ChatroomDetail>> = decode("details_response_reference.json");
    let ids: Vec<&str> = envelope
        .data
        .0
        .iter()
        .map(|room| room.id.as_str())
        .collect();
    assert_eq!(ids, ["66213271109633", "66213271109634"]);
    assert_eq!(envelope.application_name.as_deref(), Some("demo"));
    insta::assert_json_snapshot!("details_response_reference", envelope);
}

#[test]
fn update_response_flags() {
    let envelope: Envelope<UpdateResult> = decode("update_response.json");
    assert_eq!(envelope.data.groupname, Some(true));
    assert_eq!(envelope.data.description, Some(true));
    assert_eq!(envelope.data.maxusers, Some(true));
    insta::assert_json_snapshot!("update_response", envelope);
}

#[test]
fn delete_response() {
    let envelope: Envelope<DeleteResult> = decode("delete_response.json");
    assert!(envelope.data.success);
    assert_eq!(envelope.data.id, "66211860774913");
    assert_eq!(envelope.action.as_deref(), Some("delete"));
    assert_eq!(envelope.timestamp, Some(1542545100474));
    insta::assert_json_snapshot!("delete_response", envelope);
}

// ---------------------------------------------------------------- tolerance

#[test]
fn unknown_fields_are_ignored() {
    let text = r#"{
        "data": [{"id": "1", "name": "n", "brand_new_field": {"nested": [1, 2]},
                  "affiliations": [{"owner": "u1"}], "x": null}],
        "unknown_envelope_field": "ignored", "count": 1
    }"#;
    let envelope: Envelope<OneOrMany<ChatroomDetail>> =
        serde_json::from_str(text).expect("unknown fields are ignored");
    assert_eq!(envelope.data.0[0].id, "1");
    assert_eq!(envelope.count, Some(1));
    let back = serde_json::to_string(&envelope).expect("serializable");
    assert!(!back.contains("brand_new_field"), "{back}");
}

#[test]
fn unknown_scale_and_affiliation_key_are_kept() {
    let text = r#"{"id": "1", "name": "n", "scale": "huge",
                   "affiliations": [{"admin": "u"}, {"owner": "o"}]}"#;
    let room: ChatroomDetail = serde_json::from_str(text).expect("decodes");
    assert_eq!(room.scale, Some(ChatroomScale::Unknown("huge".to_owned())));
    assert_eq!(
        room.affiliations,
        Some(vec![
            Affiliation::Other {
                key: "admin".to_owned(),
                value: "u".to_owned()
            },
            Affiliation::Owner("o".to_owned()),
        ])
    );
    // Kept as sent: serializing gives the wire form back.
    assert_eq!(
        serde_json::to_value(&room).expect("serializable"),
        json!({"id": "1", "name": "n", "scale": "huge",
               "affiliations": [{"admin": "u"}, {"owner": "o"}]})
    );
    assert_eq!(
        serde_json::from_str::<ChatroomScale>(r#""normal""#).ok(),
        Some(ChatroomScale::Normal)
    );
}

#[test]
fn affiliation_must_have_exactly_one_key() {
    for bad in [
        r#"{}"#,
        r#"{"owner": "a", "member": "b"}"#,
        r#"{"owner": 1}"#,
        r#""u""#,
    ] {
        let err = serde_json::from_str::<Affiliation>(bad).expect_err(bad);
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn disabled_accepts_bools_and_bool_strings() {
    let cases = [
        ("true", Some(true)),
        ("false", Some(false)),
        (r#""true""#, Some(true)),
        (r#""false""#, Some(false)),
        (r#""FALSE""#, Some(false)),
        (r#""True""#, Some(true)),
        (r#"" false ""#, Some(false)),
        ("null", None),
    ];
    for (disabled, expected) in cases {
        let text = format!(r#"{{"id": "1", "name": "n", "disabled": {disabled}}}"#);
        let joined: JoinedChatroom = serde_json::from_str(&text).expect(&text);
        assert_eq!(joined.disabled, expected, "JoinedChatroom, {disabled}");
        let summary: ChatroomSummary = serde_json::from_str(&text).expect(&text);
        assert_eq!(summary.disabled, expected, "ChatroomSummary, {disabled}");
    }
    let absent: JoinedChatroom =
        serde_json::from_str(r#"{"id": "1", "name": "n"}"#).expect("absent");
    assert_eq!(absent.disabled, None);
    // Inside a list and inside a lone object (the two paths of `OneOrMany`).
    for text in [
        r#"{"data": [{"id": "1", "name": "n", "disabled": "TRUE"}]}"#,
        r#"{"data": {"id": "1", "name": "n", "disabled": "TRUE"}}"#,
    ] {
        let envelope: Envelope<OneOrMany<JoinedChatroom>> = serde_json::from_str(text).expect(text);
        assert_eq!(envelope.data.0[0].disabled, Some(true), "{text}");
    }
}

#[test]
fn disabled_refuses_other_values_with_a_clear_error() {
    for (disabled, shown) in [
        (r#""maybe""#, "maybe"),
        (r#""""#, "\"\""),
        ("1", "1"),
        (r#""yes""#, "yes"),
    ] {
        let text = format!(r#"{{"data": [{{"id": "1", "name": "n", "disabled": {disabled}}}]}}"#);
        let err = serde_json::from_str::<Envelope<OneOrMany<JoinedChatroom>>>(&text)
            .expect_err(&text)
            .to_string();
        assert!(err.contains(shown), "{err}");
        assert!(err.contains(r#"a bool, or "true" or "false""#), "{err}");
    }
    let err = serde_json::from_str::<JoinedChatroom>(r#"{"id":"1","name":"n","disabled":"maybe"}"#)
        .expect_err("maybe")
        .to_string();
    insta::assert_snapshot!("disabled_maybe_error", err);
}

#[test]
fn list_data_null_or_empty_is_an_empty_list() {
    for text in [r#"{"data": null}"#, r#"{"data": []}"#] {
        let envelope: Envelope<OneOrMany<ChatroomSummary>> =
            serde_json::from_str(text).expect(text);
        assert!(envelope.data.0.is_empty(), "{text}");
    }
    for bad in [r#"{"data": "x"}"#, r#"{"data": 1}"#, r#"{}"#] {
        assert!(
            serde_json::from_str::<Envelope<OneOrMany<ChatroomSummary>>>(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn chatroom_ids_stay_strings() {
    // An id too long for any integer type is kept digit for digit.
    let envelope: Envelope<CreatedChatroom> =
        serde_json::from_str(r#"{"data": {"id": "000662132711096330000000000000001"}}"#)
            .expect("decodes");
    assert_eq!(envelope.data.id, "000662132711096330000000000000001");
    // A number is not an id.
    assert!(
        serde_json::from_str::<Envelope<CreatedChatroom>>(r#"{"data": {"id": 66213271109633}}"#)
            .is_err()
    );
}
