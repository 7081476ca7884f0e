//! The client's cost against a hand-written floor, measured in one interleaved run: the
//! same calls through a minimal hand-written reqwest client (one `reqwest::Client`, the whole
//! envelope in plain serde structs, see `support`) and through ours, with limits off and
//! with the default configuration, against one loopback server answering fixed bodies.
//!
//! `cargo bench -p agora-chat --bench overhead` prints every figure as a ratio to the
//! hand-written client (the median over rounds of per-round ratios, with the quartiles of
//! those ratios), as table rows for BENCHMARKS.md:
//! - **hot**: the hand-written client and ours with limits off, call after call, alternating
//!   call by call (the order flips every call) so that noise on a shared machine hits both;
//! - **under the quota**: new clients each round; after unmeasured calls warm the machine,
//!   hand-written, limits off and the default configuration (the documented quotas on)
//!   call back to back in turns (each turn one call of each, the six orders in rotation),
//!   the default client three quarters of its quota in all: every slot is free, so this is
//!   the limiter's cost when it need not wait, on a busy machine;
//! - **after pauses**: the same turns with a pause after each, spaced so that the default
//!   client stays at 91% of its quota in any window: every turn's first call finds the
//!   machine idle (its threads parked, its caches cold), as a lightly loaded service does;
//! - **throughput**: 64 concurrent tasks calling for a fixed time, hand-written and ours
//!   with limits off in the order A B B A within each round (A alternates by round); the
//!   figure is requests per second.
//!
//! Every round gets new clients (new connections), so where their tasks land among the
//! runtime's threads is drawn again each round instead of once per run. With
//! `OVERHEAD_CALIBRATE=1` a second hand-written client takes the place of ours with limits
//! off: the figures then show the harness's own noise (ideally 1.00).
//!
//! Targets (issue 17): hot ≤ 1.02, default configuration under the quota ≤ 1.05,
//! throughput ≥ 0.97.
//!
//! Run as a test (without `--bench`, as `cargo test --all-targets` does) it makes a few
//! calls of each kind, to check that the comparison works.

mod support;

use agora_chat::Client;
use agora_chat::limit::{DEFAULT_MARGIN, RateLimits};
use agora_chat::operations::{CREATE_CHATROOM, GET_CHATROOMS};
use agora_chat::types::{ChatroomId, CreateChatroom};
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::{CREATED_BODY, HandCreated, HandDetail, HandResponse, details_body};
use tokio::runtime::Runtime;

const TOKEN: &str = "bench-token";

/// How much to measure.
struct Plan {
    rounds: usize,
    /// Calls of each client per hot round.
    hot_calls: usize,
    paced_rounds: usize,
    /// Turns per paced round (a multiple of six, see [`ORDERS`]).
    paced_turns: usize,
    throughput_rounds: usize,
    /// How long each side calls in one throughput round.
    window: Duration,
    tasks: usize,
}

const FULL: Plan = Plan {
    rounds: 21,
    hot_calls: 200,
    paced_rounds: 9,
    paced_turns: 42,
    throughput_rounds: 15,
    window: Duration::from_millis(250),
    tasks: 64,
};

/// A few calls of each kind, when run as a test.
const SMOKE: Plan = Plan {
    rounds: 1,
    hot_calls: 3,
    paced_rounds: 1,
    paced_turns: 3,
    throughput_rounds: 1,
    window: Duration::from_millis(20),
    tasks: 4,
};

#[derive(Debug, Clone, Copy)]
enum Call {
    Details,
    Create,
}

impl Call {
    fn name(self) -> &'static str {
        match self {
            Call::Details => "details of 100 ids (24 KB)",
            Call::Create => "create",
        }
    }

    /// The operation's documented quota, per second.
    fn quota(self) -> u32 {
        match self {
            Call::Details => GET_CHATROOMS.rate_limit_per_sec,
            Call::Create => CREATE_CHATROOM.rate_limit_per_sec,
        }
    }

    /// How many calls of a new default client a hot round makes: three quarters of the
    /// quota (a multiple of six, see [`ORDERS`]), so with its warm-up call the client stays
    /// under 80% of the quota and its limiter never makes it wait.
    fn burst(self) -> usize {
        (self.quota() as usize * 3 / 4) / ORDERS.len() * ORDERS.len()
    }

    /// A spacing that keeps the default client at 91% of the operation's quota in any
    /// window of its limiter (one second and the default margin).
    fn paced_gap(self) -> Duration {
        (Duration::from_secs(1) + DEFAULT_MARGIN).mul_f64(1.1) / self.quota()
    }
}

/// The clients, numbered for the arrays of their times.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Hand = 0,
    Off = 1,
    Default = 2,
}

/// The clients compared. Every round gets new ones (new connections): where a connection's
/// tasks land among the runtime's threads favours one client or the other by several
/// percent for as long as the connection lives, so a fixed set would carry one draw of that
/// into every round of a run.
struct Clients {
    hand: reqwest::Client,
    /// `OVERHEAD_CALIBRATE=1`: a second hand-written client stands in for ours with limits
    /// off, so the comparison of two equal clients shows the harness's own bias (should be
    /// 1.00).
    calibration: Option<reqwest::Client>,
    off: Client,
    default: Client,
}

impl Clients {
    fn new(base: &str) -> Self {
        let ours = |limits: RateLimits| {
            Client::builder()
                .base_url(base)
                .app_key("bench#app")
                .allow_http(true)
                .rate_limits(limits)
                .app_token(TOKEN)
                .build()
                .unwrap_or_else(|err| panic!("client: {err}"))
        };
        Self {
            off: ours(RateLimits::Off),
            default: ours(RateLimits::default()),
            hand: reqwest::Client::new(),
            calibration: std::env::var_os("OVERHEAD_CALIBRATE").map(|_| reqwest::Client::new()),
        }
    }
}

/// The server's address and the inputs of the calls.
struct Fixture {
    base: String,
    ids: Vec<ChatroomId>,
    create: CreateChatroom,
}

impl Fixture {
    fn new(runtime: &Runtime) -> Self {
        Self {
            base: serve(runtime),
            ids: (0..100)
                .map(|i| ChatroomId::new(format!("{}", 66_213_271_109_633u64 + i)))
                .collect(),
            create: CreateChatroom::new("bench room", "a benchmark room", "alice")
                .members(["bob", "carol"]),
        }
    }

    /// New clients, the hand-written one and ours with limits off each with `connections`
    /// warm connections (opened by as many concurrent calls of each kind); the default
    /// configuration with one (more would wait for its quota).
    async fn clients(self: &Arc<Self>, connections: usize) -> Arc<Clients> {
        let clients = Arc::new(Clients::new(&self.base));
        for who in [Who::Hand, Who::Off, Who::Default] {
            let connections = if who == Who::Default { 1 } else { connections };
            let calls: Vec<_> = (0..connections.max(1))
                .map(|_| {
                    let (fixture, clients) = (Arc::clone(self), Arc::clone(&clients));
                    tokio::spawn(async move {
                        for call in [Call::Details, Call::Create] {
                            fixture.call(&clients, call, who).await;
                        }
                    })
                })
                .collect();
            for call in calls {
                call.await.unwrap_or_else(|err| panic!("warm-up: {err}"));
            }
        }
        clients
    }

    /// One call; every answer is checked, so a failing side cannot look fast.
    async fn call(&self, clients: &Clients, call: Call, who: Who) -> usize {
        let ours = match (who, &clients.calibration) {
            (Who::Hand, _) => return self.hand_call(&clients.hand, call).await,
            (Who::Off, Some(twin)) => return self.hand_call(twin, call).await,
            (Who::Off, None) => &clients.off,
            (Who::Default, _) => &clients.default,
        };
        let got = match call {
            Call::Details => ours.get_chatrooms(&self.ids).await.map(|r| r.data.len()),
            Call::Create => ours
                .create_chatroom(&self.create)
                .await
                .map(|r| r.data.id.as_str().len()),
        };
        got.unwrap_or_else(|err| panic!("{call:?} {who:?}: {err}"))
    }

    async fn hand_call(&self, hand: &reqwest::Client, call: Call) -> usize {
        match call {
            Call::Details => hand_details(hand, &self.base, &self.ids).await.data.len(),
            Call::Create => hand_create(hand, &self.base, &self.create)
                .await
                .data
                .id
                .len(),
        }
    }

    async fn timed(&self, clients: &Clients, call: Call, who: Who) -> Duration {
        let started = Instant::now();
        black_box(self.call(clients, call, who).await);
        started.elapsed()
    }
}

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

/// What a minimal hand-written client does for the details call.
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
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let bytes = response.bytes().await.unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_else(|err| panic!("{err}"))
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

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn median_of(durations: &[Duration]) -> f64 {
    median(
        &mut durations
            .iter()
            .map(Duration::as_secs_f64)
            .collect::<Vec<_>>(),
    )
}

/// Per-round ratios (ours / hand-written), summarised as `median [q1..q3]`.
#[derive(Debug, Default)]
struct Ratios {
    ratios: Vec<f64>,
    /// The hand-written side of each round (seconds per call, or requests per second).
    floor: Vec<f64>,
}

impl Ratios {
    fn push(&mut self, ours: f64, hand: f64) {
        self.ratios.push(ours / hand);
        self.floor.push(hand);
    }

    fn show(&self) -> String {
        let mut sorted = self.ratios.clone();
        let mid = median(&mut sorted);
        let at = |q: usize| sorted[(sorted.len() - 1) * q / 4];
        format!("**{mid:.3}** [{:.3}..{:.3}]", at(1), at(3))
    }

    fn floor(&self) -> f64 {
        median(&mut self.floor.clone())
    }
}

/// Hot: hand-written and limits off, alternating call by call.
async fn hot(fixture: &Arc<Fixture>, call: Call, plan: &Plan) -> Ratios {
    let mut ratios = Ratios::default();
    for _ in 0..plan.rounds {
        let clients = fixture.clients(1).await;
        let (mut hand, mut off) = (Vec::new(), Vec::new());
        for i in 0..plan.hot_calls {
            let order = if i % 2 == 0 {
                [Who::Hand, Who::Off]
            } else {
                [Who::Off, Who::Hand]
            };
            for who in order {
                let took = fixture.timed(&clients, call, who).await;
                match who {
                    Who::Hand => hand.push(took),
                    _ => off.push(took),
                }
            }
        }
        ratios.push(median_of(&off), median_of(&hand));
    }
    ratios
}

/// The six orders of the three clients: over a multiple of six calls each client is at each
/// place, and after each other client, equally often (the first call after a pause is the
/// slowest, so an uneven share of first places biases a median by several percent).
const ORDERS: [[Who; 3]; 6] = {
    use Who::{Default as D, Hand as H, Off as O};
    [
        [H, O, D],
        [O, D, H],
        [D, H, O],
        [H, D, O],
        [D, O, H],
        [O, H, D],
    ]
};

/// The three clients' call times, one call of each per turn in the rotating orders, with
/// `pause` after every turn. Returns their medians, indexed by [`Who`].
async fn rotating(
    fixture: &Arc<Fixture>,
    clients: &Clients,
    call: Call,
    turns: usize,
    pause: Duration,
) -> [f64; 3] {
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut next = tokio::time::Instant::now();
    for turn in 0..turns {
        for who in ORDERS[turn % ORDERS.len()] {
            times[who as usize].push(fixture.timed(clients, call, who).await);
        }
        if !pause.is_zero() {
            next += pause;
            tokio::time::sleep_until(next).await;
        }
    }
    times.map(|t| median_of(&t))
}

/// Under the quota, hot: in each round, after unmeasured calls of the two clients without
/// a limiter warm the machine, the three clients call back to back, the default one
/// [`Call::burst`] times. Each round's clients are new, so each default client's limiter
/// sees only its round's calls, under the quota: every slot is free. Returns (limits off,
/// default).
async fn under_quota(fixture: &Arc<Fixture>, call: Call, plan: &Plan) -> (Ratios, Ratios) {
    let (mut off_ratios, mut default_ratios) = (Ratios::default(), Ratios::default());
    for _ in 0..plan.rounds {
        let clients = fixture.clients(1).await;
        for _ in 0..plan.hot_calls / 4 {
            for who in [Who::Hand, Who::Off] {
                black_box(fixture.call(&clients, call, who).await);
            }
        }
        let turns = call.burst().min(plan.hot_calls);
        let [hand, off, default] = rotating(fixture, &clients, call, turns, Duration::ZERO).await;
        off_ratios.push(off, hand);
        default_ratios.push(default, hand);
    }
    (off_ratios, default_ratios)
}

/// After idle pauses: one call of each client per [`Call::paced_gap`], so the machine
/// rests between turns (every turn's first call wakes it). Returns (limits off, default).
async fn paced(fixture: &Arc<Fixture>, call: Call, plan: &Plan) -> (Ratios, Ratios) {
    let (mut off_ratios, mut default_ratios) = (Ratios::default(), Ratios::default());
    for _ in 0..plan.paced_rounds {
        let clients = fixture.clients(1).await;
        let turns = plan.paced_turns;
        let [hand, off, default] = rotating(fixture, &clients, call, turns, call.paced_gap()).await;
        off_ratios.push(off, hand);
        default_ratios.push(default, hand);
    }
    (off_ratios, default_ratios)
}

/// Requests per second of `tasks` tasks calling for `window`.
async fn requests_per_sec(
    fixture: &Arc<Fixture>,
    clients: &Arc<Clients>,
    call: Call,
    who: Who,
    plan: &Plan,
) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let end = started + plan.window;
    let tasks: Vec<_> = (0..plan.tasks)
        .map(|_| {
            let (fixture, done) = (Arc::clone(fixture), Arc::clone(&done));
            let clients = Arc::clone(clients);
            tokio::spawn(async move {
                while Instant::now() < end {
                    black_box(fixture.call(&clients, call, who).await);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap_or_else(|err| panic!("task: {err}"));
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Throughput: in each round hand-written and limits off call in the order A B B A (which
/// of the two is A alternates by round), and the round's ratio is B's requests over A's
/// summed, so a machine that slows down or speeds up during a round weighs on both alike.
async fn throughput(fixture: &Arc<Fixture>, call: Call, plan: &Plan) -> Ratios {
    let mut ratios = Ratios::default();
    for round in 0..plan.throughput_rounds {
        let clients = &fixture.clients(plan.tasks).await;
        let (first, second) = if round % 2 == 0 {
            (Who::Hand, Who::Off)
        } else {
            (Who::Off, Who::Hand)
        };
        let (mut hand, mut off) = (0.0, 0.0);
        for who in [first, second, second, first] {
            let rate = requests_per_sec(fixture, clients, call, who, plan).await;
            match who {
                Who::Hand => hand += rate,
                _ => off += rate,
            }
        }
        ratios.push(off / 2.0, hand / 2.0);
    }
    ratios
}

async fn run(fixture: Arc<Fixture>, plan: &Plan) {
    // Warm up: allocator and caches settled.
    drop(fixture.clients(plan.tasks).await);
    tokio::time::sleep(Duration::from_secs(2).min(plan.window * 10)).await;
    println!(
        "| call | hand-written | ours, limits off (hot) | ours, limits off (hot, turns) | ours, default config (hot, under the quota) | ours, limits off (after pauses) | ours, default config (after pauses) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for call in [Call::Details, Call::Create] {
        let hot = hot(&fixture, call, plan).await;
        let (turns_off, under_quota) = under_quota(&fixture, call, plan).await;
        let (paced_off, paced_default) = paced(&fixture, call, plan).await;
        println!(
            "| {} | 1.00 ({:.1} µs) | {} | {} | {} | {} | {} |",
            call.name(),
            hot.floor() * 1e6,
            hot.show(),
            turns_off.show(),
            under_quota.show(),
            paced_off.show(),
            paced_default.show(),
        );
    }
    println!();
    println!(
        "| {} concurrent tasks, requests/s | hand-written | ours, limits off |",
        plan.tasks
    );
    println!("|---|---|---|");
    for call in [Call::Details, Call::Create] {
        let ratios = throughput(&fixture, call, plan).await;
        println!(
            "| {} | 1.00 ({:.0}/s) | {} |",
            call.name(),
            ratios.floor(),
            ratios.show()
        );
    }
}

/// What `OVERHEAD_ONLY` asks for.
struct Only {
    call: Call,
    who: Who,
    calls: usize,
    tasks: usize,
    /// After each call (one task only): the machine idles as in the paced mode.
    pause: Duration,
}

/// `OVERHEAD_ONLY=details:off:2000` (call `details` or `create`; client `hand`, `off` or
/// `default`; a number of calls; optionally `:64`, that many concurrent tasks sharing the
/// calls, and then `:20`, a pause of that many milliseconds after each call of a single
/// task) makes only those calls and prints nothing: for a profiler such as
/// `valgrind --tool=callgrind` or `perf`, whose counts of two such runs (same calls,
/// different client) compare the clients exactly.
fn only(spec: &str) -> Option<Only> {
    let mut parts = spec.split(':');
    let call = match parts.next()? {
        "details" => Call::Details,
        "create" => Call::Create,
        _ => return None,
    };
    let who = match parts.next()? {
        "hand" => Who::Hand,
        "off" => Who::Off,
        "default" => Who::Default,
        _ => return None,
    };
    let calls = parts.next()?.parse().ok()?;
    let tasks = parts.next().map_or(Some(1), |n| n.parse().ok())?;
    let pause_ms = parts.next().map_or(Some(0), |n| n.parse().ok())?;
    let pause = Duration::from_millis(pause_ms);
    (tasks <= 1 || pause.is_zero()).then_some(Only {
        call,
        who,
        calls,
        tasks,
        pause,
    })
}

/// The calls `only` asks for, shared by its tasks (one: in the calling task).
async fn only_calls(fixture: Arc<Fixture>, only: Only) {
    let Only {
        call,
        who,
        calls,
        tasks,
        pause,
    } = only;
    let clients = fixture.clients(1).await;
    if tasks <= 1 {
        for _ in 0..calls {
            black_box(fixture.call(&clients, call, who).await);
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        return;
    }
    let tasks: Vec<_> = (0..tasks)
        .map(|task| {
            let (fixture, clients) = (Arc::clone(&fixture), Arc::clone(&clients));
            let share = calls / tasks + usize::from(task < calls % tasks);
            tokio::spawn(async move {
                for _ in 0..share {
                    black_box(fixture.call(&clients, call, who).await);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap_or_else(|err| panic!("task: {err}"));
    }
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let plan = if benching { &FULL } else { &SMOKE };
    let runtime = Runtime::new().unwrap_or_else(|err| panic!("runtime: {err}"));
    let fixture = Arc::new(Fixture::new(&runtime));
    match std::env::var("OVERHEAD_ONLY") {
        Ok(spec) => {
            let only = only(&spec).unwrap_or_else(|| {
                panic!("OVERHEAD_ONLY={spec}: not call:client:count[:tasks[:pause_ms]]")
            });
            runtime.block_on(only_calls(fixture, only));
        }
        Err(_) => runtime.block_on(run(fixture, plan)),
    }
}
