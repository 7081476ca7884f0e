//! The quota figure: 500 creates through the client against the emulator with the
//! documented 50/s quota enforced. Targets: zero 429s, and a total time within 10% of the
//! quota's minimum (500 / 50 = 10 s).
//!
//! `cargo bench -p agora-chat --bench quota` prints the figures; `QUOTA_BENCH_TASKS`
//! changes the number of concurrent tasks (default 16). Run as a test (without `--bench`,
//! e.g. by `cargo test --all-targets`) it only makes a few creates, to check that it works.
//!
//! The client's limiter counts a window of 1.04 s (one second and its default 40 ms margin),
//! so 500 creates take about 9.4 s: 50 at once, then 50 more every 1.04 s.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agora_chat::Client;
use agora_chat::auth::AppCredentials;
use agora_chat::limit::RateLimits;
use agora_chat::operations::CREATE_CHATROOM;
use agora_chat::types::CreateChatroom;
use agora_chat_emulator::{Emulator, Quotas};

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
const CREATES: usize = 500;
const SMOKE_CREATES: usize = 20;
const DEFAULT_TASKS: usize = 16;

fn main() -> ExitCode {
    let benching = std::env::args().any(|a| a == "--bench");
    let creates = if benching { CREATES } else { SMOKE_CREATES };
    let tasks = std::env::var("QUOTA_BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_TASKS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("quota: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(creates, tasks)) {
        Ok(figures) => {
            figures.print(benching);
            if figures.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("quota: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Figures {
    creates: usize,
    tasks: usize,
    elapsed: Duration,
    /// 429s the emulator answered (its quota's refusals).
    throttled: u64,
    /// Requests that reached the emulator beyond one per create (retries).
    extra_requests: u64,
    failed: usize,
    quota_per_sec: u32,
}

impl Figures {
    fn print(&self, benching: bool) {
        let secs = self.elapsed.as_secs_f64();
        let quota = f64::from(self.quota_per_sec);
        let rate = self.creates as f64 / secs;
        let minimum = self.creates as f64 / quota;
        // A sliding one-second window lets the first `quota` requests go at once, so the
        // last one can start (creates / quota - 1) seconds in.
        let floor = (self.creates as f64 / quota - 1.0).max(0.0);
        let within = (secs - minimum).abs() <= 0.1 * minimum;
        let mode = if benching {
            ""
        } else {
            " (test mode: a short run)"
        };
        println!(
            "quota: {} creates, {} tasks{mode}",
            self.creates, self.tasks
        );
        println!("  total time        {secs:.3} s");
        println!(
            "  achieved rate     {rate:.2}/s = {:.3} of the {}/s quota",
            rate / quota,
            self.quota_per_sec
        );
        println!(
            "  vs the minimum    {:.3} of {minimum:.1} s (creates / quota); sliding-window floor {floor:.1} s",
            secs / minimum
        );
        println!(
            "  429s              {} (emulator refusals); {} extra requests",
            self.throttled, self.extra_requests
        );
        println!("  failed creates    {}", self.failed);
        if benching {
            let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
            println!("  target zero 429s: {}", verdict(self.throttled == 0));
            println!("  target within 10% of {minimum:.0} s: {}", verdict(within));
        }
    }
}

async fn run(creates: usize, tasks: usize) -> Result<Figures, String> {
    let emu = Emulator::builder()
        .app_credentials(APP_ID, CERT)
        .quotas(Quotas::Documented)
        .start()
        .await
        .map_err(|e| format!("the emulator does not start: {e}"))?;
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_key("demo#demo")
        .allow_http(true)
        .app_credentials(AppCredentials::new(APP_ID, CERT))
        .rate_limits(RateLimits::documented())
        .build()
        .map_err(|e| format!("invalid client configuration: {e}"))?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let (client, next) = (client.clone(), Arc::clone(&next));
            tokio::spawn(async move {
                let mut failed = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= creates {
                        return failed;
                    }
                    let room = CreateChatroom::new(format!("bench {i}"), "quota", "alice");
                    if let Err(e) = client.create_chatroom(&room).await {
                        eprintln!("create {i} failed: {e}");
                        failed += 1;
                    }
                }
            })
        })
        .collect();
    let mut failed = 0;
    for worker in workers {
        failed += worker.await.map_err(|e| format!("a task failed: {e}"))?;
    }
    let elapsed = started.elapsed();
    let op = CREATE_CHATROOM.id;
    let figures = Figures {
        creates,
        tasks,
        elapsed,
        throttled: emu.throttled_count(op),
        extra_requests: emu.request_count(op).saturating_sub(creates as u64),
        failed,
        quota_per_sec: CREATE_CHATROOM.rate_limit_per_sec,
    };
    emu.shutdown().await;
    Ok(figures)
}
