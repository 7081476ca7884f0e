//! Issue 18's figure: 4 client processes creating 100 chatrooms each (8 at a time) against
//! one emulator with the documented quotas (create: 50/s), first sharing their rate limits
//! through a real Redis, then each pacing only itself (the default), for comparison.
//!
//! `cargo bench -p agora-chat --features redis --bench shared_quota` prints both runs. Run
//! as a test (without `--bench`) it makes a short shared run, to check that it works.
//! Needs `redis-server` on the PATH.

#[path = "../tests/redis_server/mod.rs"]
mod redis_server;
#[path = "../tests/shared_quota_run/mod.rs"]
mod shared_quota_run;

use std::process::ExitCode;

use redis_server::RedisServer;
use shared_quota_run::{Plan, run, worker_main};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--worker") {
        return worker_main(&args[at + 1..]);
    }
    let benching = args.iter().any(|a| a == "--bench");
    let redis = RedisServer::start();
    let shared = Plan {
        processes: 4,
        creates_per_process: if benching { 100 } else { 10 },
        concurrency: 8,
        redis_url: Some(redis.url()),
        margin: None,
    };
    let mut runs = vec![("4 processes, limits shared through Redis", shared.clone())];
    if benching {
        let alone = Plan {
            redis_url: None,
            ..shared
        };
        runs.push(("4 processes, each pacing itself (no Redis)", alone));
    }
    for (label, plan) in runs {
        match run(&plan) {
            Ok(figures) => figures.print(label),
            Err(e) => {
                eprintln!("shared_quota: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
