//! End to end: the client against the emulator, over real HTTP on loopback.
//!
//! Every operation, its success and each error the emulator can produce through the
//! client, pagination, escaping, partial updates and concurrency. Each test starts its own
//! emulator on a free port, so the tests run in parallel.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use agora_chat::auth::AppCredentials;
use agora_chat::auth::access_token::{FixedClock, FixedSalt, TokenMinter};
use agora_chat::limit::RateLimits;
use agora_chat::operations::{ListChatroomsQuery, ListJoinedChatroomsQuery};
use agora_chat::types::{
    Affiliation, ChatroomDetail, ChatroomId, CreateChatroom, ErrorCode, UpdateChatroom,
};
use agora_chat::{Client, ClientBuilder, Error, Secret};
use agora_chat_emulator::{Emulator, EmulatorBuilder, ManualClock};

const ORG: &str = "e2e-org";
const APP: &str = "e2e-app";
/// The emulator verifies AccessToken2 app tokens for these credentials; the client mints
/// them (no static token in the default path).
const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

/// The emulator every test starts from: org/app above, App ID + certificate.
fn emulator() -> EmulatorBuilder {
    Emulator::builder()
        .org(ORG)
        .app(APP)
        .app_credentials(APP_ID, CERT)
}

async fn start(builder: EmulatorBuilder) -> Emulator {
    builder.start().await.expect("the emulator starts")
}

/// The one place the test client is configured, authentication included.
///
/// Client-side rate limits are off: the emulator has no quotas, and 1,000 creates at the
/// documented 50/s would take 20 s.
fn client_builder_for(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .base_url(emu.base_url())
        .org_name(ORG)
        .app_name(APP)
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .app_credentials(AppCredentials::new(APP_ID, CERT))
}

fn client_for(emu: &Emulator) -> Client {
    client_builder_for(emu)
        .build()
        .expect("valid client configuration")
}

/// Like [`client_for`], with client-side validation off: the emulator answers instead.
fn unvalidated_client_for(emu: &Emulator) -> Client {
    client_builder_for(emu)
        .validate_requests(false)
        .build()
        .expect("valid client configuration")
}

fn room(name: &str, owner: &str) -> CreateChatroom {
    CreateChatroom::new(name, "a room", owner)
}

async fn create(client: &Client, req: &CreateChatroom) -> ChatroomId {
    let created = client.create_chatroom(req).await;
    created.expect("create succeeds").data.id
}

async fn detail(client: &Client, id: &ChatroomId) -> ChatroomDetail {
    let found = client.get_chatrooms(std::slice::from_ref(id)).await;
    let mut rooms = found.expect("details succeed").data;
    assert_eq!(rooms.len(), 1);
    rooms.remove(0)
}

/// Asserts a typed API error with every field of the service's body.
#[track_caller]
fn assert_api(err: &Error, status: u16, code: ErrorCode, description: &str) {
    assert_eq!(err.status(), Some(status), "{err}");
    assert_eq!(err.code(), Some(&code), "{err}");
    assert_eq!(err.attempts(), 1, "{err}");
    let api = err
        .api()
        .unwrap_or_else(|| panic!("not an API error: {err:?}"));
    assert_eq!(api.status, status);
    // The exception class is the spec's, from the generated error table.
    assert!(
        code.exception().is_some(),
        "{code} has no exception class in the table"
    );
    assert_eq!(api.exception(), code.exception(), "{err}");
    let text = api.description().unwrap_or_default();
    assert!(
        text.contains(description),
        "{description:?} not in {text:?}"
    );
    assert!(
        api.raw_body.is_none(),
        "the body was the service's JSON: {err}"
    );
    assert!(api.body.timestamp.is_some_and(|t| t > 0));
    assert_eq!(api.body.duration, Some(0));
}

/// The client-side validation error of a call that sent nothing.
#[track_caller]
fn validation(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Validation { source, .. }) => source.to_string(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[track_caller]
fn api_err<T: std::fmt::Debug>(result: Result<T, Error>) -> Error {
    match result {
        Err(err @ Error::Api(_)) => err,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_operation_round_trips() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);

    let req = CreateChatroom::new("lobby", "Say hello", "Alice")
        .maxusers(300u32)
        .members(["bob", "Carol"])
        .custom("ext");
    let created = client.create_chatroom(&req).await.expect("create");
    assert_eq!(created.status, 200);
    assert_eq!(created.meta.organization.as_deref(), Some(ORG));
    assert_eq!(created.meta.application_name.as_deref(), Some(APP));
    assert_eq!(created.meta.action.as_deref(), Some("post"));
    let id = created.data.id;
    assert!(id.as_str().bytes().all(|b| b.is_ascii_digit()), "{id}");
    let other = create(&client, &room("second", "dave")).await;

    let listed = client
        .list_chatrooms(&ListChatroomsQuery::default())
        .await
        .expect("list");
    let ids: Vec<&str> = listed.data.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [other.as_str(), id.as_str()], "newest first");
    let lobby = &listed.data[1];
    assert_eq!(lobby.name, "lobby");
    assert_eq!(lobby.owner.as_deref(), Some("alice"));
    assert_eq!(lobby.affiliations_count, Some(3));
    assert_eq!(lobby.disabled, Some(false));
    assert_eq!(listed.meta.count, Some(2));
    assert_eq!(listed.cursor(), None);

    // The joined route sends `disabled` as the string "false"; the client decodes it.
    let joined = client
        .list_joined_chatrooms("CAROL", &ListJoinedChatroomsQuery::default())
        .await
        .expect("joined");
    assert_eq!(joined.data.len(), 1);
    assert_eq!(joined.data[0].id, id);
    assert_eq!(joined.data[0].name, "lobby");
    assert_eq!(joined.data[0].disabled, Some(false));

    let details = detail(&client, &id).await;
    assert_eq!(details.name, "lobby");
    assert_eq!(details.description.as_deref(), Some("Say hello"));
    assert_eq!(details.maxusers, Some(300));
    assert_eq!(details.owner.as_deref(), Some("alice"));
    assert_eq!(details.custom.as_deref(), Some("ext"));
    assert_eq!(details.affiliations_count, Some(3));
    let want = [
        Affiliation::Owner("alice".into()),
        Affiliation::Member("bob".into()),
        Affiliation::Member("carol".into()),
    ];
    assert_eq!(details.affiliations.as_deref(), Some(&want[..]));
    assert!(details.created.is_some_and(|c| c > 1_600_000_000_000));

    let update = UpdateChatroom::default()
        .name("renamed")
        .description("new words")
        .maxusers(500u32);
    let updated = client.update_chatroom(&id, &update).await.expect("update");
    let flags = &updated.data;
    assert_eq!(
        (flags.groupname, flags.description, flags.maxusers),
        (Some(true), Some(true), Some(true))
    );
    let details = detail(&client, &id).await;
    assert_eq!(details.name, "renamed");
    assert_eq!(details.description.as_deref(), Some("new words"));
    assert_eq!(details.maxusers, Some(500));
    let only_name = UpdateChatroom::default().name("again");
    let flags = client
        .update_chatroom(&id, &only_name)
        .await
        .expect("update")
        .data;
    assert_eq!(
        (flags.groupname, flags.description, flags.maxusers),
        (Some(true), None, None)
    );

    let deleted = client.delete_chatroom(&id).await.expect("delete");
    assert!(deleted.data.success);
    assert_eq!(deleted.data.id, id);
    assert_eq!(emu.chatroom_ids(), [other.as_str()]);
    let gone = api_err(client.get_chatrooms(std::slice::from_ref(&id)).await);
    assert_api(&gone, 404, ErrorCode::ServiceResourceNotFound, "");
    let joined = client
        .list_joined_chatrooms("carol", &ListJoinedChatroomsQuery::default())
        .await
        .expect("joined");
    assert!(joined.data.is_empty());
}

#[tokio::test]
async fn each_emulator_error_arrives_typed_with_its_fields() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let unknown = ChatroomId::new("66213271109999");

    // 404 service_resource_not_found: unknown chatrooms, for each chatroom call.
    let not_found = "Service resource not found";
    let errors = [
        api_err(client.get_chatrooms(std::slice::from_ref(&unknown)).await),
        api_err(
            client
                .update_chatroom(&unknown, &UpdateChatroom::default().name("x"))
                .await,
        ),
        api_err(client.delete_chatroom(&unknown).await),
    ];
    let operations = ["get_chatrooms", "update_chatroom", "delete_chatroom"];
    for (err, operation) in errors.iter().zip(operations) {
        assert_api(err, 404, ErrorCode::ServiceResourceNotFound, not_found);
        assert_eq!(err.operation(), operation);
    }

    // 400 invalid_parameter that passes the client's rules: a cursor the server never issued.
    let query = ListChatroomsQuery::default().cursor("zz");
    let err = api_err(client.list_chatrooms(&query).await);
    assert_api(
        &err,
        400,
        ErrorCode::InvalidParameter,
        "invalid cursor 'zz'",
    );

    // 413 web_application: a valid create whose body is over the service's 5 KB.
    let members: Vec<String> = (0..100).map(|i| format!("{i:0>64}")).collect();
    let big = room("big", "owner").members(members);
    let err = api_err(client.create_chatroom(&big).await);
    assert_api(&err, 413, ErrorCode::WebApplication, "HTTP 413");

    // 403 exceed_limit: only reachable with validation off (the client checks it first).
    let crowded = room("crowded", "owner").maxusers(1u32).members(["a", "b"]);
    let err = api_err(unvalidated_client_for(&emu).create_chatroom(&crowded).await);
    assert_api(
        &err,
        403,
        ErrorCode::ExceedLimit,
        "`members` must have at most",
    );

    // 404 organization_application_not_found: an app the emulator does not serve.
    let elsewhere = client_builder_for(&emu)
        .app_name("other-app")
        .build()
        .expect("client");
    let err = api_err(
        elsewhere
            .list_chatrooms(&ListChatroomsQuery::default())
            .await,
    );
    // The answer names the org/app the request asked for (issue 15).
    let text = "Could not find application for e2e-org/other-app";
    assert_api(&err, 404, ErrorCode::OrganizationApplicationNotFound, text);

    // 401 auth_bad_access_token: a token the emulator does not know.
    let stranger = client_builder_for(&emu)
        .app_token("not-the-token")
        .build()
        .expect("client");
    let err = api_err(
        stranger
            .list_chatrooms(&ListChatroomsQuery::default())
            .await,
    );
    assert_api(
        &err,
        401,
        ErrorCode::AuthBadAccessToken,
        "corrupt access token",
    );
    assert_eq!(emu.chatroom_count(), 0, "no failed call created anything");
}

#[tokio::test]
async fn unknown_users_in_strict_mode_are_resource_not_found() {
    let emu = start(emulator().strict_users(["alice", "bob"])).await;
    let client = client_for(&emu);
    let err = api_err(client.create_chatroom(&room("r", "carol")).await);
    let text = "username carol doesn't exist!";
    assert_api(&err, 404, ErrorCode::ResourceNotFound, text);
    let with_stranger = room("r", "alice").members(["bob", "Carol"]);
    let err = api_err(client.create_chatroom(&with_stranger).await);
    assert_api(&err, 404, ErrorCode::ResourceNotFound, text);
    let query = ListJoinedChatroomsQuery::default();
    let err = api_err(client.list_joined_chatrooms("carol", &query).await);
    assert_api(&err, 404, ErrorCode::ResourceNotFound, text);
    create(&client, &room("r", "ALICE").members(["bob"])).await;
    let joined = client.list_joined_chatrooms("Bob", &query).await;
    assert_eq!(joined.expect("joined").data.len(), 1);
}

#[tokio::test]
async fn expired_app_tokens_are_unauthorized() {
    const T0: u64 = 1_700_000_000;
    let clock = ManualClock::new(T0);
    let emu = start(emulator().clock(clock.clone())).await;
    let minted = TokenMinter::new(APP_ID, Secret::from(CERT))
        .expect("credentials")
        .with_clock(Arc::new(FixedClock(T0)))
        .with_salt_source(Arc::new(FixedSalt(7)))
        .mint_app_token(300)
        .expect("mints");
    let client = client_builder_for(&emu)
        .app_token(minted.token)
        .build()
        .expect("client");
    let query = ListChatroomsQuery::default();
    assert_eq!(
        client.list_chatrooms(&query).await.expect("valid").status,
        200
    );
    clock.advance(Duration::from_secs(300));
    // A fixed token cannot be replaced, so the 401 comes back as it is.
    let err = api_err(client.list_chatrooms(&query).await);
    assert_api(&err, 401, ErrorCode::Unauthorized, "expired access token");
    // A user token is not an app token.
    let user = TokenMinter::new(APP_ID, Secret::from(CERT))
        .and_then(|m| m.mint_user_token("alice", 300))
        .expect("mints");
    let user = client_builder_for(&emu)
        .app_token(user.token)
        .build()
        .expect("client");
    let err = api_err(user.list_chatrooms(&query).await);
    assert_api(&err, 401, ErrorCode::AuthBadAccessToken, "App privilege");
}

/// With validation off, each client-side rule is sent and the emulator answers. For body
/// rules the emulator runs the same generated validation, so its description is exactly
/// the client's message.
#[tokio::test]
async fn without_validation_the_server_answers_every_rule() {
    let emu = start(emulator()).await;
    let checked = client_for(&emu);
    let client = unvalidated_client_for(&emu);
    let id = create(&client, &room("kept", "owner").members(["m1", "m2"])).await;

    let long = |n: usize| "x".repeat(n);
    let creates = [
        room("", "o"),
        room(&long(129), "o"),
        CreateChatroom::new("n", long(513), "o"),
        room("n", "bad name"),
        room("n", &long(65)),
        room("n", "o").maxusers(0u32),
        room("n", "o").maxusers(10_001u32),
        room("n", "o").members(Vec::<String>::new()),
        room("n", "o").members(["ok", "a/b"]),
        room("n", "o").custom(long(1025)),
        room("", "bad name").maxusers(0u32),
    ];
    for req in &creates {
        let client_says = validation(checked.create_chatroom(req).await);
        let err = api_err(client.create_chatroom(req).await);
        assert_api(&err, 400, ErrorCode::InvalidParameter, "");
        assert_eq!(
            err.api().and_then(|a| a.description()),
            Some(client_says.as_str())
        );
    }
    let crowded = room("n", "o").maxusers(2u32).members(["a", "b", "c"]);
    let client_says = validation(checked.create_chatroom(&crowded).await);
    let err = api_err(client.create_chatroom(&crowded).await);
    assert_api(&err, 403, ErrorCode::ExceedLimit, &client_says);
    // Without maxusers the service's default of 1,000 bounds the members.
    let members: Vec<String> = (0..1001).map(|i| format!("u{i}")).collect();
    let too_many = room("n", "o").members(members);
    let client_says = validation(checked.create_chatroom(&too_many).await);
    assert!(client_says.contains("(1000)"), "{client_says}");
    let err = api_err(client.create_chatroom(&too_many).await);
    // Over 5 KB, the body is refused before it is read.
    assert_eq!(
        (err.status(), err.code()),
        (Some(413), Some(&ErrorCode::WebApplication))
    );

    let updates = [
        UpdateChatroom::default(),
        UpdateChatroom::default().name(""),
        UpdateChatroom::default().name("a/b"),
        UpdateChatroom::default().name(long(129)),
        UpdateChatroom::default().description("a/b"),
        UpdateChatroom::default().description(long(513)),
        UpdateChatroom::default().maxusers(0u32),
        UpdateChatroom::default().maxusers(10_001u32),
    ];
    for req in &updates {
        let client_says = validation(checked.update_chatroom(&id, req).await);
        let err = api_err(client.update_chatroom(&id, req).await);
        assert_api(&err, 400, ErrorCode::InvalidParameter, "");
        assert_eq!(
            err.api().and_then(|a| a.description()),
            Some(client_says.as_str())
        );
    }
    assert_eq!(
        detail(&client, &id).await.name,
        "kept",
        "no refused update applied"
    );

    // Query and path rules: the emulator checks them with the client's generated validation.
    for limit in [0u32, 101] {
        let query = ListChatroomsQuery::default().limit(limit);
        validation(checked.list_chatrooms(&query).await);
        let err = api_err(client.list_chatrooms(&query).await);
        let text = format!("`limit` must be 1 to 100, is {limit}");
        assert_api(&err, 400, ErrorCode::InvalidParameter, &text);
    }
    // An empty cursor: refused by the client, and by the emulator when validation is off.
    let empty_cursor = ListChatroomsQuery::default().cursor("");
    validation(checked.list_chatrooms(&empty_cursor).await);
    let err = client
        .list_chatrooms(&empty_cursor)
        .await
        .expect_err("an empty cursor");
    assert_eq!(err.code(), Some(&ErrorCode::InvalidParameter));

    let joined_cases = [
        (
            "bad name",
            ListJoinedChatroomsQuery::default(),
            "`username`",
        ),
        ("a/b", ListJoinedChatroomsQuery::default(), "`username`"),
        ("é", ListJoinedChatroomsQuery::default(), "`username`"),
        (&long(65), ListJoinedChatroomsQuery::default(), "`username`"),
        (
            "m1",
            ListJoinedChatroomsQuery::default().pagenum(0u32),
            "pagenum",
        ),
        (
            "m1",
            ListJoinedChatroomsQuery::default().pagesize(0u32),
            "pagesize",
        ),
        (
            "m1",
            ListJoinedChatroomsQuery::default().pagesize(1001u32),
            "pagesize",
        ),
    ];
    for (user, query, field) in &joined_cases {
        validation(checked.list_joined_chatrooms(user, query).await);
        let err = api_err(client.list_joined_chatrooms(user, query).await);
        assert_api(&err, 400, ErrorCode::InvalidParameter, field);
    }

    let many: Vec<ChatroomId> = (0..101).map(|i| ChatroomId::new(i.to_string())).collect();
    validation(checked.get_chatrooms(&many).await);
    let err = api_err(client.get_chatrooms(&many).await);
    let text = "`chatroom_ids` must have 1 to 100 items, has 101";
    assert_api(&err, 400, ErrorCode::InvalidParameter, text);
    // An empty id inside the list is dropped by the server.
    let with_empty = [id.clone(), ChatroomId::new("")];
    validation(checked.get_chatrooms(&with_empty).await);
    let found = client.get_chatrooms(&with_empty).await.expect("details");
    assert_eq!(found.data.len(), 1);

    // Values that would change the path are never sent, validation or not.
    let empty = ChatroomId::new("");
    let query = ListJoinedChatroomsQuery::default();
    validation(client.get_chatrooms(Vec::<&str>::new()).await);
    validation(client.delete_chatroom(&empty).await);
    validation(
        client
            .update_chatroom(&empty, &UpdateChatroom::default().name("x"))
            .await,
    );
    validation(client.list_joined_chatrooms("", &query).await);
    validation(client.list_joined_chatrooms("..", &query).await);
    assert_eq!(emu.chatroom_ids(), [id.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_pagination_lists_250_rooms_once_newest_first() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let mut created = Vec::new();
    for i in 0..250 {
        created.push(create(&client, &room(&format!("room{i}"), "owner")).await);
    }
    let mut seen: Vec<ChatroomId> = Vec::new();
    let mut query = ListChatroomsQuery::default().limit(7u32);
    let mut pages = 0;
    loop {
        let page = client.list_chatrooms(&query).await.expect("page");
        pages += 1;
        assert_eq!(page.meta.count, Some(page.data.len() as u64));
        // `Response::cursor()` is the envelope's top-level `cursor`.
        let cursor = page.cursor().map(str::to_owned);
        assert_eq!(cursor, page.meta.cursor);
        seen.extend(page.data.into_iter().map(|r| r.id));
        match cursor {
            Some(cursor) => {
                assert_eq!(seen.len() % 7, 0, "full pages until the last");
                query = query.cursor(cursor);
            }
            None => break,
        }
    }
    assert_eq!(pages, 250usize.div_ceil(7));
    let unique: HashSet<&ChatroomId> = seen.iter().collect();
    assert_eq!(
        (seen.len(), unique.len()),
        (250, 250),
        "every room exactly once"
    );
    let newest_first: Vec<ChatroomId> = created.into_iter().rev().collect();
    assert_eq!(seen, newest_first);
}

#[tokio::test]
async fn joined_pagination_by_pagenum_and_pagesize() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let mut joined = Vec::new();
    for i in 0..23 {
        let owner = format!("owner{i}");
        joined.push(create(&client, &room(&format!("r{i}"), &owner).members(["Pager"])).await);
        create(&client, &room("elsewhere", &owner)).await;
    }
    let newest_first: Vec<ChatroomId> = joined.into_iter().rev().collect();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for pagenum in 1u32.. {
        let query = ListJoinedChatroomsQuery::default()
            .pagenum(pagenum)
            .pagesize(5u32);
        let page = client
            .list_joined_chatrooms("pager", &query)
            .await
            .expect("page");
        sizes.push(page.data.len());
        let short = page.data.len() < 5;
        seen.extend(page.data.into_iter().map(|r| r.id));
        if short {
            break;
        }
    }
    assert_eq!(sizes, [5, 5, 5, 5, 3]);
    assert_eq!(seen, newest_first);
    let past_the_end = ListJoinedChatroomsQuery::default()
        .pagenum(6u32)
        .pagesize(5u32);
    let page = client.list_joined_chatrooms("pager", &past_the_end).await;
    assert!(page.expect("page").data.is_empty());
    let all = client
        .list_joined_chatrooms("PAGER", &ListJoinedChatroomsQuery::default())
        .await
        .expect("all");
    let ids: Vec<ChatroomId> = all.data.into_iter().map(|r| r.id).collect();
    assert_eq!(ids, newest_first);
}

#[tokio::test]
async fn details_of_100_ids_in_one_call() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push(create(&client, &room(&format!("d{i}"), "owner")).await);
    }
    ids.reverse();
    let found = client.get_chatrooms(&ids).await.expect("details");
    assert_eq!(found.meta.count, Some(100));
    let got: Vec<&ChatroomId> = found.data.iter().map(|d| &d.id).collect();
    assert_eq!(got, ids.iter().collect::<Vec<_>>(), "in request order");
    assert!(
        found
            .data
            .iter()
            .all(|d| d.owner.as_deref() == Some("owner"))
    );
    let mut too_many = ids.clone();
    too_many.push(ChatroomId::new("1"));
    let message = validation(client.get_chatrooms(&too_many).await);
    assert!(message.contains("chatroom_ids"), "{message}");
}

#[tokio::test]
async fn ids_that_need_escaping_are_not_found_and_reach_no_other_route() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let id = create(&client, &room("target", "owner").members(["member"])).await;
    let real = id.as_str();
    let odd = [
        format!("../chatrooms/{real}"),
        format!("{real}/../{real}"),
        format!("../../{ORG}/{APP}/chatrooms/{real}"),
        "../users/member/joined_chatrooms".to_owned(),
        format!("{real}?name=x"),
        format!("{real}#x"),
        format!("{real} "),
        format!("{real}/"),
        format!("%2E%2E/{real}"),
        format!("{real}%2F"),
        "a/b".to_owned(),
        "聊天".to_owned(),
        "1 2".to_owned(),
        "-1".to_owned(),
        "99999999999999999999999999".to_owned(),
    ];
    for raw in &odd {
        let odd_id = ChatroomId::new(raw.as_str());
        let errors = [
            api_err(client.get_chatrooms(std::slice::from_ref(&odd_id)).await),
            api_err(
                client
                    .update_chatroom(&odd_id, &UpdateChatroom::default().name("hijacked"))
                    .await,
            ),
            api_err(client.delete_chatroom(&odd_id).await),
        ];
        for err in &errors {
            assert_api(err, 404, ErrorCode::ServiceResourceNotFound, "");
        }
        assert_eq!(emu.chatroom_ids(), [real], "{raw}: the room is untouched");
    }
    // Dot segments cannot be sent at all.
    for dots in [".", ".."] {
        let dots = ChatroomId::new(dots);
        validation(client.delete_chatroom(&dots).await);
        validation(client.get_chatrooms(std::slice::from_ref(&dots)).await);
    }
    let kept = detail(&client, &id).await;
    assert_eq!(kept.name, "target");
    assert_eq!(kept.affiliations_count, Some(2));
}

#[tokio::test]
async fn an_update_not_fully_applied_is_not_applied_error() {
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let id = create(&client, &room("r", "owner").members(["a", "b", "c"])).await;
    let update = UpdateChatroom::default()
        .maxusers(3u32)
        .description("applied");
    match client.update_chatroom(&id, &update).await {
        Err(Error::NotApplied {
            operation,
            fields,
            meta,
            ..
        }) => {
            assert_eq!(operation, "update_chatroom");
            assert_eq!(fields, ["maxusers"]);
            assert_eq!(meta.action.as_deref(), Some("put"));
        }
        other => panic!("expected NotApplied, got {other:?}"),
    }
    let room = detail(&client, &id).await;
    assert_eq!(
        room.maxusers,
        Some(1000),
        "maxusers below the member count is refused"
    );
    assert_eq!(
        room.description.as_deref(),
        Some("applied"),
        "the rest applies"
    );
    let fits = UpdateChatroom::default().maxusers(4u32);
    let flags = client.update_chatroom(&id, &fits).await.expect("fits").data;
    assert_eq!(flags.maxusers, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_creates_are_all_listed() {
    const TASKS: usize = 16;
    const CREATES: usize = 1000;
    let emu = start(emulator()).await;
    let client = client_for(&emu);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let client = client.clone();
        let n = CREATES / TASKS + usize::from(t < CREATES % TASKS);
        tasks.push(tokio::spawn(async move {
            let mut made = Vec::with_capacity(n);
            for i in 0..n {
                let req = room(&format!("t{t}-{i}"), &format!("user{t}"));
                made.push(create(&client, &req).await);
            }
            made
        }));
    }
    let mut created = HashSet::new();
    for task in tasks {
        created.extend(task.await.expect("task finishes"));
    }
    assert_eq!(created.len(), CREATES);

    let mut listed = Vec::new();
    let mut query = ListChatroomsQuery::default().limit(100u32);
    loop {
        let page = client.list_chatrooms(&query).await.expect("page");
        let cursor = page.cursor().map(str::to_owned);
        listed.extend(page.data.into_iter().map(|r| r.id));
        match cursor {
            Some(cursor) => query = query.cursor(cursor),
            None => break,
        }
    }
    assert_eq!(listed.len(), CREATES);
    let listed_set: HashSet<ChatroomId> = listed.into_iter().collect();
    assert_eq!(listed_set, created);
    assert_eq!(emu.chatroom_count(), CREATES);
}

/// The second base-path form: a client configured with the App ID instead of the app key
/// reaches the same app, and the same chatrooms, under `/app-id/{app_id}`.
#[tokio::test]
async fn the_app_id_base_path_serves_the_same_app() {
    let emu = start(emulator()).await;
    let by_key = client_for(&emu);
    let by_id = Client::builder()
        .base_url(emu.base_url())
        .app_id(APP_ID)
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .app_credentials(AppCredentials::new(APP_ID, CERT))
        .build()
        .expect("valid client configuration");
    assert_eq!(
        by_id.api_root(),
        format!("{}/app-id/{APP_ID}", emu.base_url())
    );
    let id = by_id
        .create_chatroom(&room("by-app-id", "owner"))
        .await
        .expect("create under /app-id/")
        .data
        .id;
    let seen = by_key
        .get_chatrooms(std::slice::from_ref(&id))
        .await
        .expect("details under /{org}/{app}");
    assert_eq!(seen.data[0].name, "by-app-id");
    let listed = by_id
        .list_chatrooms(&ListChatroomsQuery::default())
        .await
        .expect("list under /app-id/");
    assert_eq!(listed.data.len(), 1);
    by_id
        .delete_chatroom(&id)
        .await
        .expect("delete under /app-id/");
    assert_eq!(emu.chatroom_count(), 0);

    // Another App ID is another (unknown) app.
    let stranger = Client::builder()
        .base_url(emu.base_url())
        .app_id("0123456789abcdef0123456789abcdef")
        .allow_http(true)
        .app_credentials(AppCredentials::new(APP_ID, CERT))
        .build()
        .expect("valid client configuration");
    let err = api_err(
        stranger
            .list_chatrooms(&ListChatroomsQuery::default())
            .await,
    );
    assert_api(&err, 404, ErrorCode::OrganizationApplicationNotFound, "");
}
