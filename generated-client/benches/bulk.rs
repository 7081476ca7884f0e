//! The bulk-details figure: details of 10,000 ids through `get_chatrooms_batched` against the
//! emulator with its documented quotas on (details: 100/s per app key). Targets: zero 429s,
//! and a sustained rate of at least 95% of the quota.
//!
//! 10,000 ids are 100 requests of 100 ids: exactly one quota window, so one lookup shows
//! only that a whole window passes without a 429. The sustained rate is measured over
//! `ROUNDS` lookups in a row (1,000 requests), where the limiter, not the service, sets the
//! pace.
//!
//! `cargo bench -p agora-chat --bench bulk` prints the figures. Run as a test (without
//! `--bench`) it makes one small lookup, to check that it works.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use agora_chat::Client;
use agora_chat::auth::AppCredentials;
use agora_chat::bulk::{BulkOptions, Lookup};
use agora_chat::limit::RateLimits;
use agora_chat::operations::GET_CHATROOMS;
use agora_chat::types::{ChatroomId, CreateChatroom};
use agora_chat_emulator::{Emulator, Quotas};
use futures_util::StreamExt;

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
const IDS: usize = 10_000;
const ROUNDS: usize = 10;

struct Run {
    ids: usize,
    rounds: usize,
}

fn main() -> ExitCode {
    let benching = std::env::args().any(|a| a == "--bench");
    let run = if benching {
        Run {
            ids: IDS,
            rounds: ROUNDS,
        }
    } else {
        Run {
            ids: 300,
            rounds: 1,
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bulk: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(measure(&run)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bulk: {e}");
            ExitCode::FAILURE
        }
    }
}

fn client(emu: &Emulator, limits: RateLimits) -> Result<Client, String> {
    Client::builder()
        .base_url(emu.base_url())
        .app_key("demo#demo")
        .allow_http(true)
        .app_credentials(AppCredentials::new(APP_ID, CERT))
        .rate_limits(limits)
        .build()
        .map_err(|e| format!("invalid client configuration: {e}"))
}

/// Creates `count` rooms quickly: the setup is not measured, so creates are not throttled.
async fn create_rooms(client: &Client, count: usize) -> Result<Vec<ChatroomId>, String> {
    let creates = futures_util::stream::iter(0..count)
        .map(|i| async move {
            let room = CreateChatroom::new(format!("bulk {i}"), "details", "alice");
            client.create_chatroom(&room).await.map(|r| r.data.id)
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    creates
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("setup create failed: {e}"))
}

async fn measure(run: &Run) -> Result<(), String> {
    // Documented quotas for every operation but create, which only the setup uses.
    let quotas = Quotas::Documented.with("create_chatroom", 1_000_000);
    let emu = Emulator::builder()
        .app_credentials(APP_ID, CERT)
        .quotas(quotas)
        .start()
        .await
        .map_err(|e| format!("the emulator does not start: {e}"))?;
    let ids = create_rooms(&client(&emu, RateLimits::Off)?, run.ids).await?;
    let client = client(&emu, RateLimits::documented())?;
    let options = BulkOptions::default();
    let op = GET_CHATROOMS.id;
    emu.reset_request_counts();
    let mut windows = Vec::new();
    let started = Instant::now();
    for _ in 0..run.rounds {
        let round = Instant::now();
        let found = client
            .get_chatrooms_batched(&ids, &options)
            .await
            .map_err(|e| format!("lookup failed: {e}"))?;
        let missing = found
            .iter()
            .filter(|l| matches!(l, Lookup::NotFound(_)))
            .count();
        if found.len() != ids.len() || missing != 0 {
            return Err(format!(
                "{} results, {missing} missing, for {} ids",
                found.len(),
                ids.len()
            ));
        }
        windows.push(round.elapsed());
    }
    let elapsed = started.elapsed();
    print(run, op, &emu, elapsed, &windows);
    emu.shutdown().await;
    Ok(())
}

fn print(run: &Run, op: &str, emu: &Emulator, elapsed: Duration, rounds: &[Duration]) {
    let requests = emu.request_count(op);
    let quota = f64::from(GET_CHATROOMS.rate_limit_per_sec);
    let secs = elapsed.as_secs_f64();
    // The first window is free (a sliding window lets `quota` requests go at once), so the
    // sustained rate counts the requests after it over the time after it.
    let sustained = (requests as f64 - quota).max(0.0)
        / (secs - rounds.first().map_or(0.0, Duration::as_secs_f64)).max(f64::EPSILON);
    println!(
        "bulk details: {} ids x {} rounds, {} concurrent requests",
        run.ids,
        run.rounds,
        BulkOptions::default().concurrency
    );
    println!(
        "  first lookup      {:.3} s ({} requests)",
        rounds.first().map_or(0.0, Duration::as_secs_f64),
        run.ids.div_ceil(100)
    );
    println!("  total             {secs:.3} s, {requests} requests");
    if run.rounds > 1 {
        println!(
            "  sustained rate    {sustained:.1}/s = {:.3} of the {quota}/s quota (after the first window)",
            sustained / quota
        );
    }
    println!("  429s              {}", emu.throttled_count(op));
}
