//! Several real client processes creating chatrooms against one emulator with the documented
//! quotas, with or without the Redis-shared rate limits. Used by the `shared_quota` test
//! (asserts no failures and no 429s) and the `shared_quota` benchmark (the figures).
//!
//! The binary that includes this module is also the worker: [`worker_main`] runs when it
//! is started with `--worker`, so the processes are real processes of one build.

use std::process::{Command, ExitCode, Stdio};
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

/// What one run is.
#[derive(Debug, Clone)]
pub struct Plan {
    pub processes: usize,
    pub creates_per_process: usize,
    /// Creates in flight at once in each process (the "8 at a time").
    pub concurrency: usize,
    /// The Redis URL every process shares its limits through; `None`: each paces alone.
    pub redis_url: Option<String>,
    /// The limiter's safety margin over the one-second window; `None`: the default (40 ms).
    pub margin: Option<Duration>,
}

/// What a run measured.
#[derive(Debug)]
pub struct Figures {
    pub created: usize,
    pub failed: usize,
    /// 429s the emulator answered.
    pub throttled: u64,
    /// Create requests the emulator received (retries included).
    pub requests: u64,
    pub elapsed: Duration,
    /// The most creates the emulator admitted within any one second.
    pub busiest_second: usize,
    pub quota_per_sec: u32,
}

impl Figures {
    /// Creates per second over the whole run (process start-up included).
    pub fn rate(&self) -> f64 {
        self.created as f64 / self.elapsed.as_secs_f64()
    }

    pub fn print(&self, label: &str) {
        let quota = f64::from(self.quota_per_sec);
        println!("{label}");
        println!(
            "  created {} / failed {} in {:.3} s",
            self.created,
            self.failed,
            self.elapsed.as_secs_f64()
        );
        println!(
            "  combined rate {:.2}/s = {:.3} of the {}/s quota; busiest second {} creates",
            self.rate(),
            self.rate() / quota,
            self.quota_per_sec,
            self.busiest_second
        );
        println!(
            "  429s {} (emulator refusals); {} create requests in all",
            self.throttled, self.requests
        );
    }
}

/// Starts the emulator (documented quotas) on loopback, runs `plan.processes` workers of
/// the current executable, waits for them all and collects the figures.
pub fn run(plan: &Plan) -> Result<Figures, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("no runtime: {e}"))?;
    let emulator = runtime
        .block_on(
            Emulator::builder()
                .app_credentials(APP_ID, CERT)
                .quotas(Quotas::Documented)
                .start(),
        )
        .map_err(|e| format!("the emulator does not start: {e}"))?;
    let exe = std::env::current_exe().map_err(|e| format!("no current executable: {e}"))?;
    let started = Instant::now();
    let children: Vec<_> = (0..plan.processes)
        .map(|index| {
            let mut command = Command::new(&exe);
            command
                .arg("--worker")
                .arg(emulator.base_url())
                .arg(plan.redis_url.as_deref().unwrap_or("-"))
                .arg(plan.creates_per_process.to_string())
                .arg(plan.concurrency.to_string())
                .arg(index.to_string())
                .arg(plan.margin.map_or(0, |m| m.as_millis()).to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            command
                .spawn()
                .map_err(|e| format!("cannot start worker {index}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut created = 0;
    let mut failed = 0;
    for child in children {
        let output = child
            .wait_with_output()
            .map_err(|e| format!("a worker was lost: {e}"))?;
        let (ok, bad) = parse_report(&String::from_utf8_lossy(&output.stdout))?;
        created += ok;
        failed += bad;
    }
    let elapsed = started.elapsed();
    let op = CREATE_CHATROOM.id;
    let figures = Figures {
        created,
        failed,
        throttled: emulator.throttled_count(op),
        requests: emulator.request_count(op),
        elapsed,
        busiest_second: busiest_second(&emulator.arrivals(op)),
        quota_per_sec: CREATE_CHATROOM.rate_limit_per_sec,
    };
    runtime.block_on(emulator.shutdown());
    Ok(figures)
}

/// `created=N failed=M`, the last line a worker prints.
fn parse_report(stdout: &str) -> Result<(usize, usize), String> {
    let line = stdout.lines().rev().find(|l| l.starts_with("created="));
    let line = line.ok_or_else(|| format!("a worker printed no report: {stdout:?}"))?;
    let mut numbers = line
        .split_whitespace()
        .filter_map(|field| field.split_once('=')?.1.parse::<usize>().ok());
    match (numbers.next(), numbers.next()) {
        (Some(created), Some(failed)) => Ok((created, failed)),
        _ => Err(format!("a worker's report is malformed: {line:?}")),
    }
}

/// The most arrivals within any one second (the service's window), arrivals in order.
fn busiest_second(arrivals: &[std::time::Instant]) -> usize {
    let mut most = 0;
    let mut first = 0;
    for (last, at) in arrivals.iter().enumerate() {
        while at.saturating_duration_since(arrivals[first]) >= Duration::from_secs(1) {
            first += 1;
        }
        most = most.max(last + 1 - first);
    }
    most
}

/// A worker process: `--worker BASE_URL REDIS_URL|- CREATES CONCURRENCY INDEX MARGIN_MS`.
/// Creates the chatrooms through a client with the default configuration (plus the Redis
/// URL, and the margin unless it is 0) and prints `created=N failed=M`; failures are
/// described on stderr.
pub fn worker_main(args: &[String]) -> ExitCode {
    let [base_url, redis_url, creates, concurrency, index, margin_ms] = args else {
        eprintln!("usage: --worker BASE_URL REDIS_URL|- CREATES CONCURRENCY INDEX MARGIN_MS");
        return ExitCode::FAILURE;
    };
    let numbers = (
        creates.parse::<usize>(),
        concurrency.parse::<usize>(),
        margin_ms.parse::<u64>(),
    );
    let (Ok(creates), Ok(concurrency), Ok(margin_ms)) = numbers else {
        eprintln!("worker: CREATES, CONCURRENCY and MARGIN_MS must be numbers");
        return ExitCode::FAILURE;
    };
    let margin = (margin_ms > 0).then(|| Duration::from_millis(margin_ms));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("worker: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The client's warnings (e.g. Redis unavailable, pacing locally) go to stderr.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
    let redis_url = (redis_url != "-").then_some(redis_url.as_str());
    let shape = Shape {
        creates,
        concurrency,
        margin,
    };
    let result = runtime.block_on(create_all(base_url, redis_url, shape, index));
    match result {
        Ok((created, failed)) => {
            println!("created={created} failed={failed}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("worker {index}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How one worker creates.
struct Shape {
    creates: usize,
    concurrency: usize,
    margin: Option<Duration>,
}

async fn create_all(
    base_url: &str,
    redis_url: Option<&str>,
    shape: Shape,
    index: &str,
) -> Result<(usize, usize), String> {
    let Shape {
        creates,
        concurrency,
        margin,
    } = shape;
    let mut builder = Client::builder()
        .base_url(base_url)
        .app_key("demo#demo")
        .allow_http(true)
        .app_credentials(AppCredentials::new(APP_ID, CERT));
    if let Some(url) = redis_url {
        builder = builder.redis_url(url);
    }
    if let Some(margin) = margin {
        builder = builder.rate_limits(RateLimits::documented().margin(margin));
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (client, next, index) = (client.clone(), Arc::clone(&next), index.to_owned());
            tokio::spawn(async move {
                let (mut created, mut failed) = (0, 0);
                while next.fetch_add(1, Ordering::SeqCst) < creates {
                    let room = CreateChatroom::new(format!("p{index}"), "shared quota", "alice");
                    match client.create_chatroom(&room).await {
                        Ok(_) => created += 1,
                        Err(e) => {
                            eprintln!("worker {index}: a create failed: {e}");
                            failed += 1;
                        }
                    }
                }
                (created, failed)
            })
        })
        .collect();
    let (mut created, mut failed) = (0, 0);
    for task in tasks {
        let (ok, bad) = task.await.map_err(|e| format!("a task failed: {e}"))?;
        created += ok;
        failed += bad;
    }
    Ok((created, failed))
}
