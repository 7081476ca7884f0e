//! Client overhead: the same call through the generated client and through a hand-written
//! minimal reqwest call, against one loopback server answering a fixed response, in one
//! run. Calls: details of 100 ids, and create. Target: our median within 5% of the baseline.
//!
//! The client runs with its documented rate limits off (the quota, not the client, would
//! set the pace) and a fixed token; validation, path encoding, envelope decoding and the
//! retry pipeline all run as in production.

mod support;

use agora_chat::Client;
use agora_chat::limit::RateLimits;
use agora_chat::types::{ChatroomId, CreateChatroom};
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use support::{CREATED_BODY, HandCreated, HandDetail, HandResponse, details_body};
use tokio::runtime::Runtime;

const TOKEN: &str = "bench-token";

/// Starts a server that answers every details call with 100 rooms and every create with an
/// id; returns its base URL.
fn serve(runtime: &Runtime) -> String {
    let details: &'static [u8] = Vec::leak(details_body(100));
    let app = Router::new()
        .route(
            "/bench/app/chatrooms/{ids}",
            get(move || async move { ([(CONTENT_TYPE, "application/json")], details) }),
        )
        .route(
            "/bench/app/chatrooms",
            post(|| async { ([(CONTENT_TYPE, "application/json")], CREATED_BODY) }),
        );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap_or_else(|err| panic!("bind: {err}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|err| panic!("addr: {err}"));
    runtime.spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn ids() -> Vec<ChatroomId> {
    (0..100)
        .map(|i| ChatroomId::new(format!("{}", 66_213_271_109_633u64 + i)))
        .collect()
}

/// What a minimal hand-written client does for the same details call.
async fn hand_details(
    http: &reqwest::Client,
    base: &str,
    ids: &[ChatroomId],
) -> HandResponse<Vec<HandDetail>> {
    let joined: Vec<&str> = ids.iter().map(ChatroomId::as_str).collect();
    let url = format!("{base}/bench/app/chatrooms/{}", joined.join("%2C"));
    let response = http
        .get(url)
        .bearer_auth(TOKEN)
        .header("Accept", "application/json")
        .send()
        .await;
    let bytes = response.unwrap_or_else(|err| panic!("{err}")).bytes().await;
    serde_json::from_slice(&bytes.unwrap_or_default()).unwrap_or_else(|err| panic!("{err}"))
}

async fn hand_create(
    http: &reqwest::Client,
    base: &str,
    body: &CreateChatroom,
) -> HandResponse<HandCreated> {
    let body = serde_json::to_vec(body).unwrap_or_default();
    let response = http
        .post(format!("{base}/bench/app/chatrooms"))
        .bearer_auth(TOKEN)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let bytes = response.bytes().await.unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_else(|err| panic!("{err}"))
}

fn overhead(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap_or_else(|err| panic!("runtime: {err}"));
    let base = serve(&runtime);
    let client = Client::builder()
        .base_url(&base)
        .app_key("bench#app")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .app_token(TOKEN)
        .build()
        .unwrap_or_else(|err| panic!("client: {err}"));
    let http = reqwest::Client::new();
    let ids = ids();
    let create =
        CreateChatroom::new("bench room", "a benchmark room", "alice").members(["bob", "carol"]);

    let mut group = c.benchmark_group("details_100_ids");
    group.bench_function("generated", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(client.get_chatrooms(&ids).await.map(|r| r.data.len())) })
    });
    group.bench_function("hand_written", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(hand_details(&http, &base, &ids).await.data.len()) })
    });
    group.finish();

    let mut group = c.benchmark_group("create");
    group.bench_function("generated", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(client.create_chatroom(&create).await.map(|r| r.data.id)) })
    });
    group.bench_function("hand_written", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(hand_create(&http, &base, &create).await.data.id) })
    });
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
