//! Every validation boundary of the spec, through `Validate` on the request types and through
//! the client methods. The client points at an address where nothing listens: a request that
//! passes validation fails with `Error::Transport` (it was sent), one that does not fails with
//! `Error::Validation` (nothing was sent).

mod common;

use agora_chat::Error;
use agora_chat::operations::{ListChatroomsQuery, ListJoinedChatroomsQuery};
use agora_chat::types::{ChatroomId, CreateChatroom, UpdateChatroom};
use agora_chat::validate::{
    Rule, USERNAME_MAX_CHARS, UsernameProblem, Validate, ValidationError, Violation, check_username,
};
use common::offline_client;
use proptest::prelude::*;
use std::fmt::Debug;

// ---------------------------------------------------------------- helpers

fn violations<T: Validate>(value: &T) -> Vec<Violation> {
    value
        .validate()
        .err()
        .map(|e| e.violations)
        .unwrap_or_default()
}

/// The only violation of `value`.
fn only<T: Validate + Debug>(value: &T) -> Violation {
    let mut all = violations(value);
    assert_eq!(all.len(), 1, "expected one violation of {value:?}: {all:?}");
    all.remove(0)
}

fn violation(field: &str, rule: Rule) -> Violation {
    Violation {
        field: field.to_owned(),
        rule,
    }
}

fn chars_max(max: u32, actual: usize) -> Rule {
    Rule::Chars {
        min: None,
        max: Some(max),
        actual,
    }
}

/// The name rule: 1 to 128 characters.
fn name_chars(actual: usize) -> Rule {
    Rule::Chars {
        min: Some(1),
        max: Some(128),
        actual,
    }
}

fn chars_min1(actual: usize) -> Rule {
    Rule::Chars {
        min: Some(1),
        max: None,
        actual,
    }
}

fn range(min: i64, max: Option<i64>, actual: i128) -> Rule {
    Rule::Range {
        min: Some(min),
        max,
        actual,
    }
}

fn username(problem: UsernameProblem) -> Rule {
    Rule::Username { problem }
}

/// A valid request to change.
fn create() -> CreateChatroom {
    CreateChatroom::new("lobby", "Say hello", "alice")
}

/// A valid request with one change.
fn create_with(edit: impl FnOnce(&mut CreateChatroom)) -> CreateChatroom {
    let mut body = create();
    edit(&mut body);
    body
}

/// The violations of a call the client refused locally (and so never sent).
fn refused<T: Debug>(result: Result<T, Error>, operation: &str) -> Vec<Violation> {
    match result {
        Err(Error::Validation {
            operation: op,
            source: ValidationError { violations },
        }) => {
            assert_eq!(op, operation);
            assert!(!violations.is_empty());
            violations
        }
        other => panic!("expected Error::Validation from {operation}, got {other:?}"),
    }
}

/// Asserts that a call passed validation: it was sent, and failed only because nothing listens.
fn sent<T: Debug>(result: Result<T, Error>, operation: &str) {
    match result.as_ref().map_err(Error::last) {
        Err(Error::Transport {
            operation: op,
            source,
        }) => {
            assert_eq!(*op, operation);
            assert!(source.is_connect(), "{source:?}");
        }
        other => panic!("expected {operation} to be sent (Error::Transport), got {other:?}"),
    }
}

fn ids(count: usize) -> Vec<ChatroomId> {
    (0..count)
        .map(|i| ChatroomId::new(format!("6621327110{i:04}")))
        .collect()
}

// ---------------------------------------------------------------- create: text lengths

#[test]
fn name_is_1_to_128_characters() {
    assert_eq!(violations(&create_with(|b| b.name = "n".repeat(128))), []);
    assert_eq!(
        only(&create_with(|b| b.name = "n".repeat(129))),
        violation("name", name_chars(129))
    );
    assert_eq!(violations(&create_with(|b| b.name = "n".to_owned())), []);
    assert_eq!(
        only(&create_with(|b| b.name = String::new())),
        violation("name", name_chars(0))
    );
    assert_eq!(
        only(&UpdateChatroom::default().name("")),
        violation("name", name_chars(0))
    );
}

#[test]
fn name_length_counts_characters_not_bytes() {
    let name_128 = "聊".repeat(128);
    assert_eq!(name_128.len(), 384);
    assert_eq!(violations(&create_with(|b| b.name = name_128)), []);
    assert_eq!(
        only(&create_with(|b| b.name = "聊".repeat(129))),
        violation("name", name_chars(129))
    );
    // Four-byte characters too.
    assert_eq!(violations(&create_with(|b| b.name = "🦀".repeat(128))), []);
    assert_eq!(
        only(&UpdateChatroom::default().name("🦀".repeat(129))),
        violation("name", name_chars(129))
    );
}

#[test]
fn description_is_at_most_512_characters() {
    assert_eq!(
        violations(&create_with(|b| b.description = "d".repeat(512))),
        []
    );
    assert_eq!(
        only(&create_with(|b| b.description = "d".repeat(513))),
        violation("description", chars_max(512, 513))
    );
    assert_eq!(
        only(&create_with(|b| b.description = "描".repeat(513))),
        violation("description", chars_max(512, 513))
    );
    assert_eq!(
        violations(&UpdateChatroom::default().description("d".repeat(512))),
        []
    );
    assert_eq!(
        only(&UpdateChatroom::default().description("描".repeat(513))),
        violation("description", chars_max(512, 513))
    );
}

#[test]
fn custom_is_at_most_1024_characters() {
    assert_eq!(violations(&create().custom("c".repeat(1024))), []);
    assert_eq!(violations(&create().custom("é".repeat(1024))), []);
    assert_eq!(
        only(&create().custom("c".repeat(1025))),
        violation("custom", chars_max(1024, 1025))
    );
    assert_eq!(violations(&create().custom("")), []);
}

// ---------------------------------------------------------------- usernames

#[test]
fn owner_is_a_username() {
    let owner = |owner: &str| create_with(|b| b.owner = owner.to_owned());
    for good in ["a.b-c_D9", "a", "A", "9", "_", "-", ".", "user1"] {
        assert_eq!(violations(&owner(good)), [], "{good:?}");
    }
    assert_eq!(violations(&owner(&"u".repeat(64))), []);
    let cases = [
        ("u".repeat(65), UsernameProblem::TooLong { actual: 65 }),
        (String::new(), UsernameProblem::Empty),
        ("a b".to_owned(), UsernameProblem::BadChar { found: ' ' }),
        ("a@b".to_owned(), UsernameProblem::BadChar { found: '@' }),
        ("中文".to_owned(), UsernameProblem::BadChar { found: '中' }),
        ("a/b".to_owned(), UsernameProblem::BadChar { found: '/' }),
        ("a\nb".to_owned(), UsernameProblem::BadChar { found: '\n' }),
        ("é".to_owned(), UsernameProblem::BadChar { found: 'é' }),
    ];
    for (bad, problem) in cases {
        assert_eq!(
            only(&owner(&bad)),
            violation("owner", username(problem)),
            "{bad:?}"
        );
    }
    assert_eq!(USERNAME_MAX_CHARS, 64);
}

#[test]
fn every_member_is_a_username() {
    let body = create().members(["bob", "a b", "carol", "中文"]);
    assert_eq!(
        violations(&body),
        [
            violation(
                "members[1]",
                username(UsernameProblem::BadChar { found: ' ' })
            ),
            violation(
                "members[3]",
                username(UsernameProblem::BadChar { found: '中' })
            ),
        ]
    );
    assert_eq!(
        only(&create().members([String::new()])),
        violation("members[0]", username(UsernameProblem::Empty))
    );
    assert_eq!(
        only(&create().members(["u".repeat(65)])),
        violation(
            "members[0]",
            username(UsernameProblem::TooLong { actual: 65 })
        )
    );
}

#[tokio::test]
async fn joined_chatrooms_username_is_validated_before_any_io() {
    let client = offline_client();
    let query = ListJoinedChatroomsQuery::default();
    for bad in ["", "a b", "a@b", "中文", "a/b"] {
        let found = refused(
            client.list_joined_chatrooms(bad, &query).await,
            "list_joined_chatrooms",
        );
        assert_eq!(found.len(), 1, "{bad:?}: {found:?}");
        assert_eq!(found[0].field, "username", "{bad:?}");
        assert!(
            matches!(found[0].rule, Rule::Username { .. }),
            "{bad:?}: {found:?}"
        );
    }
    // `.` and `..` are valid usernames but would change the path: refused all the same.
    for dots in [".", ".."] {
        let found = refused(
            client.list_joined_chatrooms(dots, &query).await,
            "list_joined_chatrooms",
        );
        assert_eq!(found, [violation("username", Rule::DotSegment)], "{dots:?}");
        assert!(check_username(dots).is_ok());
    }
    let found = refused(
        client.list_joined_chatrooms(&"u".repeat(65), &query).await,
        "list_joined_chatrooms",
    );
    assert_eq!(
        found,
        [violation(
            "username",
            username(UsernameProblem::TooLong { actual: 65 })
        )]
    );
    for good in ["a.b-c_D9", &"u".repeat(64)] {
        sent(
            client.list_joined_chatrooms(good, &query).await,
            "list_joined_chatrooms",
        );
    }
}

// ---------------------------------------------------------------- numbers and lists

#[test]
fn maxusers_is_1_to_10000() {
    for good in [1u32, 300, 10000] {
        assert_eq!(violations(&create().maxusers(good)), [], "{good}");
        assert_eq!(
            violations(&UpdateChatroom::default().maxusers(good)),
            [],
            "{good}"
        );
    }
    for bad in [0u32, 10001, u32::MAX] {
        let expected = violation("maxusers", range(1, Some(10000), i128::from(bad)));
        assert_eq!(only(&create().maxusers(bad)), expected);
        assert_eq!(only(&UpdateChatroom::default().maxusers(bad)), expected);
    }
}

#[test]
fn members_must_not_be_empty() {
    assert_eq!(
        only(&create().members(Vec::<String>::new())),
        violation(
            "members",
            Rule::Items {
                min: Some(1),
                max: None,
                actual: 0
            }
        )
    );
    assert_eq!(violations(&create().members(["bob"])), []);
}

#[test]
fn members_are_at_most_maxusers() {
    let members = |n: usize| (0..n).map(|i| format!("user{i}")).collect::<Vec<_>>();
    assert_eq!(violations(&create().maxusers(3u32).members(members(3))), []);
    assert_eq!(
        only(&create().maxusers(3u32).members(members(4))),
        violation(
            "members",
            Rule::ItemsWithin {
                bound_field: "maxusers",
                bound: 3,
                actual: 4
            }
        )
    );
    // Without `maxusers`, the service default (1000) bounds the list.
    assert_eq!(violations(&create().members(members(1000))), []);
    assert_eq!(
        only(&create().members(members(1001))),
        violation(
            "members",
            Rule::ItemsWithin {
                bound_field: "maxusers",
                bound: 1000,
                actual: 1001
            }
        )
    );
    // A larger `maxusers` allows more.
    assert_eq!(
        violations(&create().maxusers(10000u32).members(members(1001))),
        []
    );
}

#[test]
fn every_violation_is_reported_at_once() {
    let body = CreateChatroom::new("n".repeat(129), "d".repeat(513), "a b")
        .maxusers(0u32)
        .members(["bob"])
        .custom("c".repeat(1025));
    let error = body.validate().expect_err("invalid");
    let fields: Vec<&str> = error.violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "name",
            "description",
            "owner",
            "maxusers",
            "members",
            "custom"
        ]
    );
    assert_eq!(
        error.violations[4].rule,
        Rule::ItemsWithin {
            bound_field: "maxusers",
            bound: 0,
            actual: 1
        }
    );
    insta::assert_snapshot!("create_all_violations", error.to_string());
}

#[tokio::test]
async fn create_is_validated_before_any_io() {
    let client = offline_client();
    let found = refused(
        client
            .create_chatroom(&create_with(|b| b.name = "聊".repeat(129)))
            .await,
        "create_chatroom",
    );
    assert_eq!(found, [violation("name", name_chars(129))]);
    let found = refused(
        client
            .create_chatroom(&create().members(Vec::<String>::new()))
            .await,
        "create_chatroom",
    );
    assert_eq!(found[0].field, "members");
    let err = client
        .create_chatroom(&create().maxusers(10001u32))
        .await
        .expect_err("invalid");
    // Display names the error; the rule broken is its source (shown once in a report).
    assert_eq!(err.to_string(), "create_chatroom: invalid request");
    assert_eq!(
        std::error::Error::source(&err).map(ToString::to_string),
        Some("`maxusers` must be 1 to 10000, is 10001".to_owned())
    );
    assert_eq!(err.operation(), "create_chatroom");
    assert_eq!(err.status(), None);
    sent(
        client
            .create_chatroom(&create_with(|b| b.name = "聊".repeat(128)))
            .await,
        "create_chatroom",
    );
}

// ---------------------------------------------------------------- get_chatrooms

#[tokio::test]
async fn get_chatrooms_takes_1_to_100_ids() {
    let client = offline_client();
    let items = |actual| Rule::Items {
        min: Some(1),
        max: Some(100),
        actual,
    };
    assert_eq!(
        refused(client.get_chatrooms(&ids(0)).await, "get_chatrooms"),
        [violation("chatroom_ids", items(0))]
    );
    assert_eq!(
        refused(client.get_chatrooms(&ids(101)).await, "get_chatrooms"),
        [violation("chatroom_ids", items(101))]
    );
    sent(client.get_chatrooms(&ids(1)).await, "get_chatrooms");
    sent(client.get_chatrooms(&ids(100)).await, "get_chatrooms");
}

#[tokio::test]
async fn chatroom_ids_must_not_be_empty() {
    let client = offline_client();
    let mut with_empty = ids(3);
    with_empty[2] = ChatroomId::new("");
    assert_eq!(
        refused(client.get_chatrooms(&with_empty).await, "get_chatrooms"),
        [violation("chatroom_ids[2]", chars_min1(0))]
    );
    let empty = ChatroomId::new("");
    assert_eq!(
        refused(client.delete_chatroom(&empty).await, "delete_chatroom"),
        [violation("chatroom_id", chars_min1(0))]
    );
    assert_eq!(
        refused(
            client
                .update_chatroom(&empty, &UpdateChatroom::default().maxusers(10u32))
                .await,
            "update_chatroom"
        ),
        [violation("chatroom_id", chars_min1(0))]
    );
}

// ---------------------------------------------------------------- update

#[test]
fn update_needs_at_least_one_field() {
    assert_eq!(
        only(&UpdateChatroom::default()),
        violation(
            "(request)",
            Rule::MinFields {
                min: 1,
                fields: vec!["name", "description", "maxusers"]
            }
        )
    );
    for one in [
        UpdateChatroom::default().name("n"),
        UpdateChatroom::default().description(""),
        UpdateChatroom::default().maxusers(1u32),
    ] {
        assert_eq!(violations(&one), [], "{one:?}");
    }
}

#[test]
fn update_name_and_description_must_not_contain_a_slash() {
    assert_eq!(
        only(&UpdateChatroom::default().name("a/b")),
        violation("name", Rule::ForbiddenChar { forbidden: '/' })
    );
    assert_eq!(
        only(&UpdateChatroom::default().description("/")),
        violation("description", Rule::ForbiddenChar { forbidden: '/' })
    );
    // Other separators are fine; `+` and spaces are sent as they are.
    assert_eq!(
        violations(&UpdateChatroom::default().name("a\\b ? # %2F +")),
        []
    );
    assert_eq!(
        violations(&UpdateChatroom::default().name("n".repeat(128))),
        []
    );
    assert_eq!(
        violations(&UpdateChatroom::default().name(format!("{}/", "n".repeat(128)))),
        [
            violation("name", name_chars(129)),
            violation("name", Rule::ForbiddenChar { forbidden: '/' }),
        ]
    );
}

#[tokio::test]
async fn update_is_validated_before_any_io() {
    let client = offline_client();
    let id = ChatroomId::new("66213271109633");
    let found = refused(
        client
            .update_chatroom(&id, &UpdateChatroom::default())
            .await,
        "update_chatroom",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].field, "(request)");
    let found = refused(
        client
            .update_chatroom(&id, &UpdateChatroom::default().name("a/b"))
            .await,
        "update_chatroom",
    );
    assert_eq!(
        found,
        [violation("name", Rule::ForbiddenChar { forbidden: '/' })]
    );
    sent(
        client
            .update_chatroom(&id, &UpdateChatroom::default().name("ab"))
            .await,
        "update_chatroom",
    );
}

// ---------------------------------------------------------------- queries

#[tokio::test]
async fn list_limit_is_1_to_100() {
    for good in [1u32, 100] {
        assert_eq!(
            violations(&ListChatroomsQuery::default().limit(good)),
            [],
            "{good}"
        );
    }
    for bad in [0u32, 101] {
        assert_eq!(
            only(&ListChatroomsQuery::default().limit(bad)),
            violation("limit", range(1, Some(100), i128::from(bad)))
        );
    }
    assert_eq!(
        only(&ListChatroomsQuery::default().cursor("")),
        violation("cursor", chars_min1(0))
    );
    assert_eq!(violations(&ListChatroomsQuery::default()), []);
    let client = offline_client();
    assert_eq!(
        refused(
            client
                .list_chatrooms(&ListChatroomsQuery::default().limit(101u32))
                .await,
            "list_chatrooms"
        ),
        [violation("limit", range(1, Some(100), 101))]
    );
    sent(
        client
            .list_chatrooms(&ListChatroomsQuery::default().limit(100u32))
            .await,
        "list_chatrooms",
    );
}

#[tokio::test]
async fn joined_pagesize_is_1_to_1000_and_pagenum_from_1() {
    let query = ListJoinedChatroomsQuery::default;
    for good in [1u32, 1000] {
        assert_eq!(violations(&query().pagesize(good)), [], "{good}");
    }
    for bad in [0u32, 1001] {
        assert_eq!(
            only(&query().pagesize(bad)),
            violation("pagesize", range(1, Some(1000), i128::from(bad)))
        );
    }
    assert_eq!(
        only(&query().pagenum(0u32)),
        violation("pagenum", range(1, None, 0))
    );
    assert_eq!(violations(&query().pagenum(1u32)), []);
    assert_eq!(violations(&query().pagenum(u32::MAX)), []);
    assert_eq!(
        violations(&query().pagenum(0u32).pagesize(0u32)),
        [
            violation("pagenum", range(1, None, 0)),
            violation("pagesize", range(1, Some(1000), 0)),
        ]
    );
    let client = offline_client();
    assert_eq!(
        refused(
            client
                .list_joined_chatrooms("alice", &query().pagesize(1001u32))
                .await,
            "list_joined_chatrooms"
        ),
        [violation("pagesize", range(1, Some(1000), 1001))]
    );
    // Path and query violations come in one error.
    let found = refused(
        client
            .list_joined_chatrooms("a b", &query().pagenum(0u32))
            .await,
        "list_joined_chatrooms",
    );
    let fields: Vec<&str> = found.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["username", "pagenum"]);
    sent(
        client
            .list_joined_chatrooms("alice", &query().pagenum(1u32).pagesize(1000u32))
            .await,
        "list_joined_chatrooms",
    );
}

#[tokio::test]
async fn validation_can_be_switched_off() {
    let client = common::builder(common::NOWHERE)
        .validate_requests(false)
        .build()
        .expect("valid config");
    assert!(!client.validates_requests());
    assert!(offline_client().validates_requests());
    // Invalid requests are sent (and fail only because nothing listens).
    sent(
        client.create_chatroom(&create().maxusers(0u32)).await,
        "create_chatroom",
    );
    sent(client.get_chatrooms(&ids(101)).await, "get_chatrooms");
    sent(
        client
            .update_chatroom(&ChatroomId::new("1"), &UpdateChatroom::default())
            .await,
        "update_chatroom",
    );
    sent(
        client
            .list_joined_chatrooms("a b", &ListJoinedChatroomsQuery::default().pagesize(0u32))
            .await,
        "list_joined_chatrooms",
    );
}

// ---------------------------------------------------------------- properties

/// Strings of arbitrary characters whose length is near the 128 limit.
fn near(limit: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), limit - 8..limit + 8)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Strings of username-like characters near the 64 limit, with a few others mixed in.
fn username_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(
                "abcxyzABCXYZ0189_-.".chars().collect::<Vec<_>>()
            ),
            1 => any::<char>(),
        ],
        0..70,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    /// The spec's name rule is 1 to 128 characters (`min_chars: 1` since commit 052e7f2).
    fn name_verdict_is_a_character_count(name in prop_oneof![any::<String>(), near(128)]) {
        let create_ok = !violations(&create_with(|b| b.name = name.clone()))
            .iter()
            .any(|v| v.field == "name");
        let count = name.chars().count();
        prop_assert_eq!(create_ok, (1..=128).contains(&count));
        let update_ok = UpdateChatroom::default().name(name.clone()).validate().is_ok();
        prop_assert_eq!(update_ok, (1..=128).contains(&count) && !name.contains('/'));
    }

    #[test]
    fn username_verdict_matches_the_documented_rule(value in prop_oneof![any::<String>(), username_like()]) {
        let documented = !value.is_empty()
            && value.chars().count() <= 64
            && value.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        prop_assert_eq!(check_username(&value).is_ok(), documented);
        let owner_ok = violations(&create_with(|b| b.owner = value.clone())).is_empty();
        prop_assert_eq!(owner_ok, documented);
        let member_ok = violations(&create().members([value.clone()])).is_empty();
        prop_assert_eq!(member_ok, documented);
    }

    #[test]
    fn arbitrary_text_never_panics_validation(
        name in any::<String>(),
        description in any::<String>(),
        owner in any::<String>(),
        custom in any::<String>(),
        members in prop::collection::vec(any::<String>(), 0..4),
        maxusers in any::<u32>(),
    ) {
        let body = CreateChatroom::new(name.clone(), description.clone(), owner)
            .maxusers(maxusers)
            .members(members)
            .custom(custom);
        let _ = body.validate().map_err(|e| e.to_string());
        let update = UpdateChatroom::default().name(name).description(description);
        let _ = update.validate().map_err(|e| e.to_string());
    }
}
