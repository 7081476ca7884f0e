//! The user calls end to end (client against the emulator over loopback HTTP), their
//! request bodies and documented answers (snapshotted), and their validation. State is
//! checked through other operations: register, then get and list show the user; strict
//! mode accepts them in rooms; delete, then they are gone from get, details and joined lists.

use std::time::Duration;

use agora_chat::auth::AppCredentials;
use agora_chat::bulk::{BulkOptions, ItemOutcome};
use agora_chat::limit::RateLimits;
use agora_chat::operations::{ListJoinedChatroomsQuery, ListUsersQuery};
use agora_chat::retry::{Jitter, RetryPolicy};
use agora_chat::types::{
    Affiliation, CreateChatroom, Envelope, NewUser, NewUsers, RegisterUsersResult, User,
};
use agora_chat::{Client, Error};
use agora_chat_emulator::{Emulator, EmulatorBuilder, Fault};
use futures_util::TryStreamExt;
use serde_json::{Value, json};

const ORG: &str = "users-org";
const APP: &str = "users-app";
const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
const PASSWORD: &str = "pw-Very-Secret-77";

fn emulator() -> EmulatorBuilder {
    Emulator::builder()
        .org(ORG)
        .app(APP)
        .app_credentials(APP_ID, CERT)
}

async fn start(builder: EmulatorBuilder) -> Emulator {
    builder.start().await.expect("the emulator starts")
}

fn client_for(emu: &Emulator) -> Client {
    Client::builder()
        .base_url(emu.base_url())
        .org_name(ORG)
        .app_name(APP)
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .app_credentials(AppCredentials::new(APP_ID, CERT))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(20))
                .deadline(Some(Duration::from_secs(30)))
                .attempt_timeout(Duration::from_secs(5))
                .jitter(Jitter::None),
        )
        .build()
        .expect("valid client configuration")
}

fn user(name: &str) -> NewUser {
    NewUser::new(name, PASSWORD)
}

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.username.as_str()).collect()
}

/// The JSON the client sends for `body`, with the password replaced (snapshots never hold
/// a secret); the wire value is checked separately.
fn redacted_wire<T: serde::Serialize>(body: &T) -> Value {
    let mut value = serde_json::to_value(body).expect("serializable");
    let users = match &mut value {
        Value::Array(items) => items.iter_mut().collect::<Vec<_>>(),
        one => vec![one],
    };
    for u in users {
        assert_eq!(u["password"], PASSWORD, "the password is sent as is");
        u["password"] = json!("[password]");
    }
    value
}

// ---------------------------------------------------------------- end to end

#[tokio::test]
async fn registered_users_are_found_by_get_and_list() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let created = client
        .register_user(&user("Alice").nickname("Al"))
        .await
        .expect("registered")
        .data;
    assert_eq!(created.username, "alice");
    assert_eq!(created.activated, Some(true));
    for name in ["bob", "carol"] {
        client.register_user(&user(name)).await.expect("registered");
    }
    let found = client.get_user("ALICE").await.expect("found").data;
    assert_eq!(found.nickname.as_deref(), Some("Al"));
    assert_eq!(found.uuid, created.uuid);
    let page = client
        .list_users(&ListUsersQuery::default().limit(2u32))
        .await
        .expect("a page");
    assert_eq!(names(&page.data), ["alice", "bob"]);
    assert!(page.cursor().is_some());
    let all: Vec<User> = client
        .list_users_stream(ListUsersQuery::default().limit(1u32))
        .try_collect()
        .await
        .expect("every page");
    assert_eq!(names(&all), ["alice", "bob", "carol"]);
    let again = client.register_user(&user("alice")).await;
    let code = again
        .err()
        .and_then(|e| e.code().map(|c| c.as_str().to_owned()));
    assert_eq!(code.as_deref(), Some("duplicate_unique_property_exists"));
}

#[tokio::test]
async fn strict_mode_accepts_registered_users_as_owner_and_member() {
    let emu = start(emulator().strict_users(["seed"])).await;
    let client = client_for(&emu);
    let room = CreateChatroom::new("lobby", "", "owner1").members(["member1", "seed"]);
    let refused = client.create_chatroom(&room).await;
    assert_eq!(refused.err().and_then(|e| e.status()), Some(404));
    let batch = NewUsers::new(vec![user("owner1"), user("member1")]);
    let answer = client
        .register_users(&batch)
        .await
        .expect("registered")
        .data;
    assert_eq!(
        names(&answer.entities.unwrap_or_default()),
        ["owner1", "member1"]
    );
    assert_eq!(answer.data, Some(vec![]));
    let id = client
        .create_chatroom(&room)
        .await
        .expect("created")
        .data
        .id;
    let details = client.get_chatrooms(&[id]).await.expect("details").data;
    assert_eq!(details[0].owner.as_deref(), Some("owner1"));
    assert_eq!(details[0].affiliations_count, Some(3));
}

#[tokio::test]
async fn a_deleted_user_is_gone_from_get_rooms_and_joined_lists() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let batch = NewUsers::new(vec![user("owner1"), user("leaver"), user("stayer")]);
    client.register_users(&batch).await.expect("registered");
    let kept = CreateChatroom::new("kept", "", "owner1").members(["leaver", "stayer"]);
    let kept = client
        .create_chatroom(&kept)
        .await
        .expect("created")
        .data
        .id;
    let owned = CreateChatroom::new("owned", "", "leaver").members(["stayer"]);
    let owned = client
        .create_chatroom(&owned)
        .await
        .expect("created")
        .data
        .id;

    let deleted = client.delete_user("leaver").await.expect("deleted").data;
    assert_eq!(deleted.username, "leaver");
    let gone = client.get_user("leaver").await.err();
    assert_eq!(gone.as_ref().and_then(Error::status), Some(404));
    let details = client
        .get_chatrooms(std::slice::from_ref(&kept))
        .await
        .expect("details");
    let room = &details.data[0];
    assert_eq!(room.affiliations_count, Some(2));
    let members = room.affiliations.clone().unwrap_or_default();
    assert!(
        !members.contains(&Affiliation::Member("leaver".into())),
        "{members:?}"
    );
    // The room the user owned is deleted with them (documented by the service).
    let owned_gone = client.get_chatrooms(&[owned]).await.err();
    assert_eq!(owned_gone.as_ref().and_then(Error::status), Some(404));
    let joined = client
        .list_joined_chatrooms("stayer", &ListJoinedChatroomsQuery::default())
        .await
        .expect("joined")
        .data;
    assert_eq!(
        joined.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        [kept]
    );
    let left = client
        .list_joined_chatrooms("leaver", &ListJoinedChatroomsQuery::default())
        .await
        .expect("joined")
        .data;
    assert!(left.is_empty(), "{left:?}");
    let all: Vec<User> = client
        .list_users_stream(ListUsersQuery::default())
        .try_collect()
        .await
        .expect("users");
    assert_eq!(names(&all), ["owner1", "stayer"]);
}

#[tokio::test]
async fn a_register_whose_answer_was_lost_is_already_done_on_retry() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let fault = Fault::drop_connection().after_processing();
    emu.faults().push("register_user", fault).expect("a fault");
    let err = client
        .register_user(&user("dana"))
        .await
        .expect_err("already done");
    assert!(err.is_already_done(), "{err:?}");
    assert!(
        client.get_user("dana").await.is_ok(),
        "the first attempt registered dana"
    );
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_is_already_done_on_retry() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    client
        .register_user(&user("erin"))
        .await
        .expect("registered");
    let fault = Fault::drop_connection().after_processing();
    emu.faults().push("delete_user", fault).expect("a fault");
    let err = client.delete_user("erin").await.expect_err("already done");
    assert!(err.is_already_done(), "{err:?}");
}

#[tokio::test]
async fn two_hundred_fifty_users_go_in_chunks_of_sixty_reported_in_input_order() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    client
        .register_user(&user("u0007"))
        .await
        .expect("registered");
    emu.clear_journal();
    let mut users: Vec<NewUser> = (0..250).map(|i| user(&format!("u{i:04}"))).collect();
    users[249] = user("U0003"); // the same name as item 3, in another case
    let reports = client
        .register_users_batched(&users, &BulkOptions::default().concurrency(2))
        .await;
    assert_eq!(reports.len(), 250);
    let keys: Vec<&str> = reports.iter().map(|r| r.key.username.as_str()).collect();
    let given: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(keys, given, "one report per item, in input order");
    let done = reports.iter().filter(|r| r.outcome.is_applied()).count();
    assert_eq!(done, 248);
    match &reports[7].outcome {
        ItemOutcome::Refused(failure) => {
            assert_eq!(failure.reason.as_deref(), Some("the u0007 already exists"))
        }
        other => panic!("u0007: {other:?}"),
    }
    assert!(matches!(reports[249].outcome, ItemOutcome::Duplicate));
    let sizes: Vec<usize> = emu
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/users"))
        .map(|e| {
            e.body
                .as_ref()
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 249);
    assert!(sizes.iter().all(|n| (1..=60).contains(n)), "{sizes:?}");
    assert_eq!(sizes.len(), 5, "{sizes:?}");
    let journal = format!("{:?}", emu.journal());
    assert!(!journal.contains(PASSWORD), "the journal redacts passwords");
    let all: Vec<User> = client
        .list_users_stream(ListUsersQuery::default().limit(100u32))
        .try_collect()
        .await
        .expect("users");
    assert_eq!(all.len(), 249);
}

#[tokio::test]
async fn a_chunk_that_fails_as_a_whole_fails_each_of_its_items() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    // register_users shares its route (and so its fault queue) with register_user.
    emu.faults()
        .push("register_user", Fault::status(503).times(10))
        .expect("a fault");
    let users: Vec<NewUser> = (0..3).map(|i| user(&format!("f{i}"))).collect();
    let reports = client
        .register_users_batched(&users, &BulkOptions::default())
        .await;
    assert_eq!(reports.len(), 3);
    for report in &reports {
        match &report.outcome {
            ItemOutcome::Failed(err) => assert_eq!(err.status(), Some(503)),
            other => panic!("{}: {other:?}", report.key.username),
        }
    }
}

// ---------------------------------------------------------------- validation and secrets

#[tokio::test]
async fn bad_users_are_refused_before_any_io_and_passwords_never_show() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .org_name(ORG)
        .app_name(APP)
        .app_token("t")
        .allow_http(true)
        .build()
        .expect("config");
    let bad = NewUser::new("no spaces", "x".repeat(65)).nickname("n".repeat(101));
    let err = client.register_user(&bad).await.expect_err("invalid");
    let text = with_causes(&err);
    for field in ["username", "password", "nickname"] {
        assert!(text.contains(field), "{text}");
    }
    assert!(!text.contains(&"x".repeat(65)), "{text}");
    let too_many = NewUsers::new((0..61).map(|i| user(&format!("v{i}"))).collect::<Vec<_>>());
    let err = client
        .register_users(&too_many)
        .await
        .expect_err("over the limit");
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    let nested = NewUsers::new(vec![user("ok"), NewUser::new("ok2", "")]);
    let err = client
        .register_users(&nested)
        .await
        .expect_err("an empty password");
    assert!(with_causes(&err).contains("users[1].password"), "{err}");
    let debug = format!("{:?} {:?}", user("z"), NewUsers::new(vec![user("z")]));
    assert!(!debug.contains(PASSWORD), "{debug}");
}

// ---------------------------------------------------------------- payloads

#[test]
fn register_bodies_match_the_reference() {
    let one = NewUser::new("user1", PASSWORD);
    insta::assert_json_snapshot!("users_register_one_request", redacted_wire(&one));
    let many = NewUsers::new(vec![
        NewUser::new("user1", PASSWORD),
        NewUser::new("user2", PASSWORD).nickname("Two"),
    ]);
    let wire = redacted_wire(&many);
    assert!(wire.is_array(), "the batch body is a JSON array");
    insta::assert_json_snapshot!("users_register_many_request", wire);
}

/// Decodes a documented answer the way the client does for a `payload: entities` call.
fn entities<T: serde::de::DeserializeOwned>(text: &str) -> T {
    let mut value: Value = serde_json::from_str(text).expect("JSON");
    serde_json::from_value(value["entities"].take()).expect("entities decode")
}

const REGISTER_ONE: &str = r#"{"action":"post","path":"/users","entities":[{"uuid":"0ffe2d80-...","type":"user","created":1542795196504,
 "modified":1542795196504,"username":"user1","activated":true}],"timestamp":1542795196515,"duration":0}"#;
const REGISTER_MANY: &str = r#"{"action":"post","entities":[{"username":"user1","activated":true},{"username":"user2","activated":true}],
 "data":[{"username":"user3","registerUserFailReason":"the user3 already exists"}]}"#;
const GET_ONE: &str = r#"{"action":"get","path":"/users","entities":[{"uuid":"0ffe2d80-...","type":"user","created":1542795196504,
 "modified":1542795196504,"username":"user1","activated":true,"nickname":"testuser"}],"count":1}"#;
const LIST: &str = r#"{"action":"get","params":{"limit":["2"]},"entities":[{"username":"user1"},{"username":"user2"}],
 "cursor":"LTgzNDAxMjM3OToxTEFnNE9sNEVlaVQ0UEdhdmJNR2tB","count":2}"#;

#[test]
fn documented_answers_decode() {
    let one: Vec<User> = entities(REGISTER_ONE);
    insta::assert_debug_snapshot!("users_register_one_response", one);
    let many: RegisterUsersResult = serde_json::from_str(REGISTER_MANY).expect("decodes");
    insta::assert_debug_snapshot!("users_register_many_response", many);
    let got: Vec<User> = entities(GET_ONE);
    insta::assert_debug_snapshot!("users_get_response", got);
    let listed: Vec<User> = entities(LIST);
    insta::assert_debug_snapshot!("users_list_response", listed);
    let meta: Envelope<Value> =
        serde_json::from_value(json!({"data": null, "cursor": "c"})).expect("the envelope");
    assert_eq!(meta.cursor.as_deref(), Some("c"));
}

/// The error's message and its causes' (`Display` of an error never repeats its source).
fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
