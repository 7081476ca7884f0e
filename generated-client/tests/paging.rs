//! Pagination streams, pages, batched lookups and bulk helpers, end to end.
//!
//! Against the emulator (request counts from `Emulator::request_count`): cursor streams
//! and page-number streams over thousands of chatrooms, pages followed and resumed by hand,
//! batched details and bulk deletes. Against a tiny scripted axum server: the pages the
//! emulator never sends (repeated cursors, unknown fields, a lone object as `data`).
//!
//! Rooms are created concurrently through the client (rate limits off), so the setup of
//! thousands of rooms takes well under a second per test.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use agora_chat::auth::AppCredentials;
use agora_chat::bulk::{BulkOptions, Lookup};
use agora_chat::limit::RateLimits;
use agora_chat::operations::{ListChatroomsQuery, ListJoinedChatroomsQuery};
use agora_chat::paginate::PaginationError;
use agora_chat::retry::RetryPolicy;
use agora_chat::types::{ChatroomId, ChatroomSummary, CreateChatroom, ErrorCode};
use agora_chat::{Client, Error};
use agora_chat_emulator::{Emulator, FIRST_ID};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt, TryStreamExt};
use serde_json::{Value, json};

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

/// Creates in flight at once during setup.
const SETUP_CONCURRENCY: usize = 32;

async fn start_emulator() -> Emulator {
    Emulator::builder()
        .app_credentials(APP_ID, CERT)
        .start()
        .await
        .expect("the emulator starts")
}

/// A client for the emulator's default org and app (`demo`/`demo`).
fn client_for(emu: &Emulator) -> Client {
    Client::builder()
        .base_url(emu.base_url())
        .org_name("demo")
        .app_name("demo")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .app_credentials(AppCredentials::new(APP_ID, CERT))
        .build()
        .expect("valid client configuration")
}

/// Creates every room, `SETUP_CONCURRENCY` at a time; the id of each, in `rooms`' order.
async fn create_rooms(client: &Client, rooms: Vec<CreateChatroom>) -> Vec<ChatroomId> {
    let mut created: Vec<(usize, ChatroomId)> =
        futures_util::stream::iter(rooms.into_iter().enumerate())
            .map(|(index, room)| async move {
                let created = client.create_chatroom(&room).await;
                (index, created.expect("create succeeds").data.id)
            })
            .buffer_unordered(SETUP_CONCURRENCY)
            .collect()
            .await;
    created.sort_by_key(|(index, _)| *index);
    created.into_iter().map(|(_, id)| id).collect()
}

/// `count` rooms named `room-{i}`, owned by `owner`.
async fn create_owned_rooms(client: &Client, owner: &str, count: usize) -> Vec<ChatroomId> {
    let rooms = (0..count)
        .map(|i| CreateChatroom::new(format!("room-{i}"), "paging", owner))
        .collect();
    create_rooms(client, rooms).await
}

fn numeric(id: &ChatroomId) -> u64 {
    id.as_str().parse().expect("emulator ids are digits")
}

/// Every room of the emulator, newest (largest id) first: the service's list order.
fn newest_first(emu: &Emulator) -> Vec<ChatroomId> {
    let ids: Vec<ChatroomId> = emu
        .chatroom_ids()
        .into_iter()
        .rev()
        .map(ChatroomId::new)
        .collect();
    let numbers: Vec<u64> = ids.iter().map(numeric).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] > w[1]),
        "strictly descending creation order"
    );
    ids
}

/// The ids a stream yields; panics on the first error.
async fn streamed_ids<T, S>(stream: S, id_of: fn(T) -> ChatroomId) -> Vec<ChatroomId>
where
    S: Stream<Item = Result<T, Error>>,
{
    let items: Vec<T> = stream.try_collect().await.expect("the stream succeeds");
    items.into_iter().map(id_of).collect()
}

#[track_caller]
fn assert_distinct(ids: &[ChatroomId]) {
    let distinct: HashSet<&ChatroomId> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "no id twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_yields_every_room_once_newest_first_in_the_fewest_requests() {
    let emu = start_emulator().await;
    let client = client_for(&emu);
    let created = create_owned_rooms(&client, "alice", 2_500).await;
    let expected = newest_first(&emu);
    assert_eq!(expected.len(), 2_500);
    assert_eq!(
        created.iter().collect::<HashSet<_>>(),
        expected.iter().collect::<HashSet<_>>()
    );

    // The default page size of the stream is the largest the service allows (100).
    emu.reset_request_counts();
    let ids = streamed_ids(
        client.list_chatrooms_stream(ListChatroomsQuery::default()),
        |room: ChatroomSummary| room.id,
    )
    .await;
    assert_distinct(&ids);
    assert_eq!(ids, expected);
    assert_eq!(emu.request_count("list_chatrooms"), 25);

    // A page size set by the caller is kept: ceil(2500 / 7) = 358 pages, same sequence.
    emu.reset_request_counts();
    let query = ListChatroomsQuery::default().limit(7u32);
    let ids = streamed_ids(client.list_chatrooms_stream(query), |room| room.id).await;
    assert_eq!(ids, expected);
    assert_eq!(emu.request_count("list_chatrooms"), 358);

    // Pages are fetched lazily: 150 items take two pages of 100, no more.
    emu.reset_request_counts();
    let first: Vec<ChatroomId> = client
        .list_chatrooms_stream(ListChatroomsQuery::default())
        .take(150)
        .map(|room| room.expect("the stream succeeds").id)
        .collect()
        .await;
    assert_eq!(first, expected[..150]);
    assert_eq!(emu.request_count("list_chatrooms"), 2);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_followed_by_hand_match_the_stream_and_resume_from_a_stored_query() {
    let emu = start_emulator().await;
    let client = client_for(&emu);
    create_owned_rooms(&client, "alice", 250).await;
    let expected = newest_first(&emu);

    emu.reset_request_counts();
    let mut query = ListChatroomsQuery::default().limit(30u32);
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut stored: Option<String> = None;
    loop {
        let page = client
            .list_chatrooms_page(&query)
            .await
            .expect("page succeeds");
        sizes.push(page.items.len());
        ids.extend(page.items.into_iter().map(|room| room.id));
        let Some(next) = page.next else {
            assert_eq!(page.meta.cursor, None, "the last page has no cursor");
            break;
        };
        // The next query is this one with the page's cursor.
        assert_eq!(next.limit, Some(30));
        assert_eq!(next.cursor, page.meta.cursor);
        assert!(next.cursor.as_deref().is_some_and(|c| !c.is_empty()));
        if sizes.len() == 3 {
            // Kept for later: the query after three pages, as JSON.
            let json = serde_json::to_string(&next).expect("a query serializes");
            let cursor = next.cursor.clone().unwrap_or_default();
            assert_eq!(json, format!(r#"{{"limit":30,"cursor":"{cursor}"}}"#));
            stored = Some(json);
        }
        query = next;
    }
    assert_eq!(sizes, [30, 30, 30, 30, 30, 30, 30, 30, 10]);
    assert_eq!(ids, expected);
    assert_eq!(emu.request_count("list_chatrooms"), 9);
    let query = ListChatroomsQuery::default().limit(30u32);
    let streamed = streamed_ids(client.list_chatrooms_stream(query), |room| room.id).await;
    assert_eq!(ids, streamed, "by hand and as a stream: the same sequence");

    // Resume from the stored JSON: the rest of the listing, page by page and as a stream.
    let stored = stored.expect("a query was stored after page 3");
    let restored: ListChatroomsQuery = serde_json::from_str(&stored).expect("it deserializes");
    assert_eq!(
        serde_json::to_string(&restored).ok().as_deref(),
        Some(&*stored)
    );
    let page = client
        .list_chatrooms_page(&restored)
        .await
        .expect("page succeeds");
    let page_ids: Vec<ChatroomId> = page.items.into_iter().map(|room| room.id).collect();
    assert_eq!(page_ids, expected[90..120]);
    emu.reset_request_counts();
    let rest = streamed_ids(client.list_chatrooms_stream(restored), |room| room.id).await;
    assert_eq!(rest, expected[90..]);
    assert_eq!(emu.request_count("list_chatrooms"), 6);

    // A first query serializes to nothing at all.
    let empty = serde_json::to_string(&ListChatroomsQuery::default()).ok();
    assert_eq!(empty.as_deref(), Some("{}"));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joined_stream_pages_by_number_without_duplicates() {
    let emu = start_emulator().await;
    let client = client_for(&emu);
    // Owners are members: `joiner` has joined all 2,345 rooms, most recent first.
    create_owned_rooms(&client, "joiner", 2_345).await;
    let expected = newest_first(&emu);

    emu.reset_request_counts();
    let ids = streamed_ids(
        client.list_joined_chatrooms_stream("joiner", ListJoinedChatroomsQuery::default()),
        |room| room.id,
    )
    .await;
    assert_distinct(&ids);
    assert_eq!(ids.len(), 2_345);
    assert_eq!(ids, expected);
    // Pages of 1000: 1000, 1000, 345 (a short page is the last).
    assert_eq!(emu.request_count("list_joined_chatrooms"), 3);

    emu.reset_request_counts();
    let query = ListJoinedChatroomsQuery::default().pagesize(100u32);
    let ids = streamed_ids(
        client.list_joined_chatrooms_stream("joiner", query),
        |room| room.id,
    )
    .await;
    assert_distinct(&ids);
    assert_eq!(ids, expected);
    assert_eq!(emu.request_count("list_joined_chatrooms"), 24);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_details_dedupe_chunk_and_report_missing_ids() {
    let emu = start_emulator().await;
    let client = client_for(&emu);
    let created = create_owned_rooms(&client, "alice", 1_050).await;
    let name_of: HashMap<ChatroomId, String> = created
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), format!("room-{i}")))
        .collect();

    // 1,050 distinct ids in a scrambled order (7919 is prime to 1050), and after every
    // tenth id a repeat of one seen five ids before: 1,155 ids in all.
    let distinct: Vec<ChatroomId> = (0..1_050)
        .map(|i| created[(i * 7_919) % 1_050].clone())
        .collect();
    assert_distinct(&distinct);
    let mut input = Vec::new();
    for (i, id) in distinct.iter().enumerate() {
        input.push(id.clone());
        if i % 10 == 9 {
            input.push(distinct[i - 5].clone());
        }
    }
    assert_eq!(input.len(), 1_155);

    let deleted = [
        distinct[0].clone(),
        distinct[517].clone(),
        distinct[1_049].clone(),
    ];
    for id in &deleted {
        client.delete_chatroom(id).await.expect("delete succeeds");
    }

    emu.reset_request_counts();
    let results = client
        .get_chatrooms_batched(&input, &BulkOptions::default())
        .await
        .expect("the lookup succeeds");
    // ceil(1050 / 100) chunks: duplicates are not sent.
    assert_eq!(emu.request_count("get_chatrooms"), 11);
    assert_eq!(results.len(), 1_050);
    for (id, result) in distinct.iter().zip(&results) {
        if deleted.contains(id) {
            assert_eq!(result, &Lookup::NotFound(id.clone()));
        } else {
            let room = result
                .found()
                .unwrap_or_else(|| panic!("{id} not found: {result:?}"));
            assert_eq!(&room.id, id);
            assert_eq!(Some(&room.name), name_of.get(id));
        }
    }
    let missing: Vec<&Lookup<ChatroomId, _>> = results
        .iter()
        .filter(|r| matches!(r, Lookup::NotFound(_)))
        .collect();
    assert_eq!(missing.len(), 3);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_in_which_no_id_exists_does_not_fail_the_lookup() {
    let emu = start_emulator().await;
    let client = client_for(&emu);
    let created = create_owned_rooms(&client, "alice", 150).await;
    // The whole first chunk (ids 0..100) is deleted.
    for id in &created[..100] {
        client.delete_chatroom(id).await.expect("delete succeeds");
    }
    // On its own, that chunk is a 404 from the service.
    let gone = client.get_chatrooms(&created[..100]).await;
    let err = gone.expect_err("no room of the chunk exists");
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some(&ErrorCode::ServiceResourceNotFound));

    emu.reset_request_counts();
    let results = client
        .get_chatrooms_batched(&created, &BulkOptions::default().concurrency(1))
        .await
        .expect("a chunk with no room found is not an error");
    assert_eq!(emu.request_count("get_chatrooms"), 2);
    assert_eq!(results.len(), 150);
    for (id, result) in created[..100].iter().zip(&results[..100]) {
        assert_eq!(result, &Lookup::NotFound(id.clone()));
    }
    for (id, result) in created[100..].iter().zip(&results[100..]) {
        assert_eq!(result.found().map(|room| &room.id), Some(id));
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_delete_reports_each_item_in_order_and_progress() {
    let emu = start_emulator().await;
    let client = client_for(&emu);
    let created = create_owned_rooms(&client, "alice", 50).await;
    let (doomed, kept) = created.split_at(48);

    // 48 rooms, with two ids that never existed at positions 10 and 37.
    let unknown = [
        ChatroomId::new((FIRST_ID - 1).to_string()),
        ChatroomId::new((FIRST_ID + 1_000_000).to_string()),
    ];
    let mut input = doomed.to_vec();
    input.insert(10, unknown[0].clone());
    input.insert(37, unknown[1].clone());
    assert_eq!(input.len(), 50);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let options = BulkOptions::default().concurrency(8).progress({
        let seen = seen.clone();
        move |progress| seen.lock().expect("not poisoned").push(progress)
    });
    emu.reset_request_counts();
    let results = client.delete_chatroom_bulk(&input, &options).await;

    assert_eq!(emu.request_count("delete_chatroom"), 50);
    assert_eq!(results.len(), 50);
    for (position, ((id, result), sent)) in results.iter().zip(&input).enumerate() {
        assert_eq!(
            id, sent,
            "result {position} is for the id sent at {position}"
        );
        if unknown.contains(id) {
            let err = result.as_ref().expect_err("an unknown id fails");
            assert_eq!(err.status(), Some(404), "{err}");
            assert_eq!(err.code(), Some(&ErrorCode::ServiceResourceNotFound));
        } else {
            let deleted = result.as_ref().expect("a known id is deleted");
            assert!(deleted.data.success);
            assert_eq!(&deleted.data.id, id);
        }
    }
    let failed: Vec<usize> = results
        .iter()
        .enumerate()
        .filter_map(|(i, (_, r))| r.is_err().then_some(i))
        .collect();
    assert_eq!(failed, [10, 37]);

    let seen = seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.len(), 50, "one callback per item");
    assert_eq!(
        seen.iter().map(|p| p.done).collect::<Vec<_>>(),
        (1..=50).collect::<Vec<_>>()
    );
    assert!(seen.iter().all(|p| p.total == 50));
    assert!(seen.windows(2).all(|w| w[0].failed <= w[1].failed));
    assert_eq!(
        seen.last().map(|p| (p.done, p.failed, p.total)),
        Some((50, 2, 50))
    );

    // Only the two rooms not listed are left (oldest first, like `chatroom_ids`).
    let mut left = kept.to_vec();
    left.sort_by_key(numeric);
    let left: Vec<String> = left.into_iter().map(ChatroomId::into_inner).collect();
    assert_eq!(emu.chatroom_ids(), left);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joined_bulk_returns_each_users_full_list() {
    let emu = start_emulator().await;
    let client = client_for(&emu);
    // Room i has as members the users whose count is above i.
    let users: [(&str, usize); 5] = [
        ("many", 1_001),
        ("none", 0),
        ("one", 1),
        ("page", 1_000),
        ("some", 37),
    ];
    let rooms = (0..1_001)
        .map(|i| {
            let members = users.iter().filter(|(_, count)| i < *count);
            CreateChatroom::new(format!("room-{i}"), "paging", "host")
                .members(members.map(|(user, _)| *user))
        })
        .collect();
    let created = create_rooms(&client, rooms).await;

    let usernames: Vec<String> = users.iter().map(|(user, _)| (*user).to_owned()).collect();
    emu.reset_request_counts();
    let results = client
        .list_joined_chatrooms_bulk(&usernames, &BulkOptions::default().concurrency(3))
        .await;
    // 1001: 1000 + 1; none: 0; one: 1; 1000: 1000 + 0; 37: 37.
    assert_eq!(emu.request_count("list_joined_chatrooms"), 7);

    assert_eq!(results.len(), 5);
    for ((user, result), (name, count)) in results.iter().zip(users) {
        assert_eq!(user, name);
        let mut expected: Vec<ChatroomId> = created[..count].to_vec();
        expected.sort_by_key(|id| std::cmp::Reverse(numeric(id)));
        let rooms = result.as_ref().expect("the listing succeeds");
        let ids: Vec<ChatroomId> = rooms.iter().map(|room| room.id.clone()).collect();
        assert_eq!(ids.len(), count, "{user}");
        assert_eq!(ids, expected, "{user}: most recently joined first");
    }
    emu.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// A scripted server for pages the emulator never sends.

/// Answers `GET /demo/app/chatrooms` with the scripted bodies in turn and records each
/// request's query string; 410 once the script is used up.
#[derive(Clone, Default)]
struct Script {
    bodies: Arc<Mutex<VecDeque<Value>>>,
    queries: Arc<Mutex<Vec<String>>>,
}

impl Script {
    fn queries(&self) -> Vec<String> {
        self.queries.lock().expect("not poisoned").clone()
    }
}

async fn scripted(State(script): State<Script>, request: Request) -> Response {
    let query = request.uri().query().unwrap_or_default().to_owned();
    script.queries.lock().expect("not poisoned").push(query);
    let next = script.bodies.lock().expect("not poisoned").pop_front();
    match next {
        Some(body) => axum::Json(body).into_response(),
        None => (StatusCode::GONE, "the script is used up").into_response(),
    }
}

/// Serves `bodies` on a free port; a client for it (one attempt per call, no rate limit).
async fn serve_script(bodies: Vec<Value>) -> (Client, Script) {
    let script = Script {
        bodies: Arc::new(Mutex::new(bodies.into())),
        queries: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/demo/app/chatrooms", axum::routing::get(scripted))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client::builder()
        .base_url(format!("http://{addr}"))
        .org_name("demo")
        .app_name("app")
        .app_token("scripted-token")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("valid client configuration");
    (client, script)
}

fn summary(id: &str) -> Value {
    json!({"id": id, "name": format!("room {id}"), "owner": "alice",
           "affiliations_count": 1, "disabled": false})
}

/// A list envelope as the service sends it, with `cursor` when given.
fn list_page(data: Value, cursor: Option<&str>) -> Value {
    let mut page = json!({
        "action": "get",
        "application": "8be024f0-e978-11e8-b697-5d598d5f8402",
        "applicationName": "app",
        "organization": "demo",
        "uri": "http://a1.chat.agora.io/demo/app/chatrooms",
        "path": "/chatrooms",
        "entities": [],
        "data": data,
        "timestamp": 1_700_000_000_000_i64,
        "duration": 0,
        "properties": {},
    });
    if let Some(cursor) = cursor {
        page["cursor"] = json!(cursor);
    }
    page
}

/// Everything a stream yields, errors included, until it ends.
async fn drain<T>(stream: impl Stream<Item = Result<T, Error>>) -> Vec<Result<T, Error>> {
    stream.collect().await
}

fn ok_ids(results: &[Result<ChatroomSummary, Error>]) -> Vec<&str> {
    results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|room| room.id.as_str())
        .collect()
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_stream_with_a_pagination_error() {
    let (client, script) = serve_script(vec![
        list_page(json!([summary("1"), summary("2")]), Some("a")),
        list_page(json!([summary("3"), summary("4")]), Some("b")),
        list_page(json!([summary("5"), summary("6")]), Some("a")),
        // Never asked for: the stream stops at the repeat.
        list_page(json!([summary("7")]), None),
    ])
    .await;
    let mut stream = Box::pin(client.list_chatrooms_stream(ListChatroomsQuery::default()));
    let mut results = Vec::new();
    for _ in 0..7 {
        results.push(stream.next().await.expect("an item or the error"));
    }
    // Every item of the three pages that arrived, then the error, then nothing.
    assert_eq!(ok_ids(&results), ["1", "2", "3", "4", "5", "6"]);
    assert!(results[..6].iter().all(Result::is_ok));
    match &results[6] {
        Err(Error::Pagination {
            operation,
            problem: PaginationError::RepeatedCursor(cursor),
        }) => {
            assert_eq!(*operation, "list_chatrooms");
            assert_eq!(cursor, "a");
        }
        other => panic!("expected a repeated cursor, got {other:?}"),
    }
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );
    assert_eq!(
        script.queries(),
        ["limit=100", "limit=100&cursor=a", "limit=100&cursor=b"]
    );
}

#[tokio::test]
async fn a_resumed_stream_whose_cursor_comes_back_yields_the_page_once() {
    let stuck = || list_page(json!([summary("1"), summary("2")]), Some("x"));
    let (client, script) = serve_script(vec![stuck(), stuck(), stuck()]).await;
    let resumed = ListChatroomsQuery::default().limit(2u32).cursor("x");
    let results = drain(client.list_chatrooms_stream(resumed)).await;
    assert_eq!(ok_ids(&results), ["1", "2"], "no item twice");
    assert!(matches!(
        results.last(),
        Some(Err(Error::Pagination { problem: PaginationError::RepeatedCursor(c), .. })) if c == "x"
    ));
    assert_eq!(script.queries(), ["limit=2&cursor=x"]);
}

#[tokio::test]
async fn pages_with_unknown_fields_and_a_lone_object_are_read() {
    let mut first = list_page(
        json!([
            {"id": "1", "name": "one", "owner": "alice", "disabled": "false",
             "affiliations_count": 3, "tier": "gold", "labels": ["a", "b"], "meta": {"x": 1}},
            summary("2"),
        ]),
        Some("c1"),
    );
    first["count"] = json!(2);
    first["shard"] = json!({"region": "eu", "weight": 0.5});
    first["next_features"] = json!(["streams"]);
    // The second page's `data` is one object, not an array.
    let mut lone = summary("3");
    lone["future_field"] = json!(null);
    let second = list_page(lone, Some("c2"));
    // An empty last page without a cursor ends the listing.
    let mut last = list_page(json!([]), None);
    last["count"] = json!(0);
    let (client, script) = serve_script(vec![first, second, last]).await;

    let results = drain(client.list_chatrooms_stream(ListChatroomsQuery::default())).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(ok_ids(&results), ["1", "2", "3"]);
    let first_room = results[0].as_ref().ok();
    assert_eq!(
        first_room,
        Some(
            &ChatroomSummary::new("1", "one")
                .owner("alice")
                .affiliations_count(3u32)
                .disabled(false)
        )
    );
    assert_eq!(
        script.queries(),
        ["limit=100", "limit=100&cursor=c1", "limit=100&cursor=c2"]
    );
}

#[tokio::test]
async fn an_empty_first_page_without_a_cursor_ends_the_stream() {
    let (client, script) = serve_script(vec![list_page(json!([]), None)]).await;
    let results = drain(client.list_chatrooms_stream(ListChatroomsQuery::default())).await;
    assert!(results.is_empty(), "{results:?}");
    assert_eq!(script.queries(), ["limit=100"]);

    // The page method says the same: no items, no next page.
    let (client, _script) = serve_script(vec![list_page(json!([]), None)]).await;
    let page = client
        .list_chatrooms_page(&ListChatroomsQuery::default())
        .await
        .expect("an empty page is a page");
    assert!(page.items.is_empty());
    assert_eq!(page.next, None);
}
