//! Resilience end to end: the client's retries, backoff, deadline, budget, timeouts and
//! rate limiter against the emulator's injected faults and quotas, over real HTTP on
//! loopback.
//!
//! Each test starts its own emulator and counts what reached it
//! (`Emulator::request_count`), so a retry that should not happen, or one that should but
//! does not, shows up as a wrong count. No test asserts how long something took (a loaded
//! machine stretches every wait): timing is checked on what the client decided, read from
//! its trace events (the delay before each retry, the offset of each rate-limit slot).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_chat::auth::{AppCredentials, AuthError, BoxFuture, TokenSource};
use agora_chat::error::Delivery;
use agora_chat::limit::RateLimits;
use agora_chat::retry::{Jitter, RetryBudget, RetryPolicy, StopReason};
use agora_chat::types::{ChatroomId, CreateChatroom, ErrorCode, UpdateChatroom};
use agora_chat::{Client, ClientBuilder, Error, Secret};
use agora_chat_emulator::{Emulator, EmulatorBuilder, Fault, Quotas};

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

const CREATE: &str = "create_chatroom";
const DETAILS: &str = "get_chatrooms";
const UPDATE: &str = "update_chatroom";
const DELETE: &str = "delete_chatroom";

fn emulator() -> EmulatorBuilder {
    Emulator::builder().app_credentials(APP_ID, CERT)
}

async fn start(builder: EmulatorBuilder) -> Emulator {
    builder.start().await.expect("the emulator starts")
}

/// Four attempts, 10 ms doubling to at most 200 ms, no jitter, a 5 s attempt timeout and a
/// 30 s deadline (generous: a loaded machine must not turn a slow answer into a timeout).
fn fast_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(200))
        .deadline(Some(Duration::from_secs(30)))
        .attempt_timeout(Duration::from_secs(5))
        .jitter(Jitter::None)
}

/// The client's decisions, from its trace events on the test's thread (so the tests that
/// read them run on a current-thread runtime).
#[derive(Clone, Default)]
struct Decisions(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Decisions {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut text = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Decisions {
    /// Records every trace event of this thread until the guard is dropped.
    fn record() -> (Decisions, tracing::subscriber::DefaultGuard) {
        let decisions = Decisions::default();
        let writer = decisions.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (decisions, tracing::subscriber::set_default(subscriber))
    }

    /// The values of `field` in the events whose line contains `marker`, in order.
    fn values(&self, marker: &str, field: &str) -> Vec<u64> {
        let text = self
            .0
            .lock()
            .map(|t| String::from_utf8_lossy(&t).into_owned());
        let text = text.unwrap_or_default();
        let key = format!(" {field}=");
        text.lines()
            .filter(|line| line.contains(marker))
            .filter_map(|line| {
                let rest = &line[line.find(&key)? + key.len()..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
            .collect()
    }

    /// The index of the first event line containing `marker`.
    fn first_line(&self, marker: &str) -> Option<usize> {
        let text = self
            .0
            .lock()
            .map(|t| String::from_utf8_lossy(&t).into_owned());
        text.unwrap_or_default()
            .lines()
            .position(|line| line.contains(marker))
    }

    /// The delay decided before each retry, in milliseconds.
    fn retry_delays_ms(&self) -> Vec<u64> {
        self.values("orchestrator: retrying", "delay_ms")
    }

    /// The start of each rate-limit slot of `operation`, in microseconds from the client's
    /// creation, sorted.
    fn slots_us(&self, operation: &str) -> Vec<u64> {
        let marker = format!("rate-limit slot operation=\"{operation}\"");
        let mut slots = self.values(&marker, "slot_us");
        slots.sort_unstable();
        slots
    }
}

/// The default window of the client's limiter: one second and the 40 ms margin.
const WINDOW_US: u64 = 1_040_000;

/// The most slots in any window of `WINDOW_US` (half-open, like the service's second).
fn busiest(slots: &[u64]) -> usize {
    let inside = |(i, first): (usize, &u64)| {
        slots[i..]
            .iter()
            .take_while(|s| **s < first + WINDOW_US)
            .count()
    };
    slots.iter().enumerate().map(inside).max().unwrap_or(0)
}

/// A client of `emu` minting app tokens, with `policy`, an unlimited retry budget and no
/// client-side rate limit.
fn builder(emu: &Emulator, policy: RetryPolicy) -> ClientBuilder {
    Client::builder()
        .base_url(emu.base_url())
        .app_key("demo#demo")
        .allow_http(true)
        .app_credentials(AppCredentials::new(APP_ID, CERT))
        .rate_limits(RateLimits::Off)
        .retry_budget(RetryBudget::unlimited())
        .retry_policy(policy)
}

fn client(emu: &Emulator, policy: RetryPolicy) -> Client {
    builder(emu, policy)
        .build()
        .expect("valid client configuration")
}

fn inject(emu: &Emulator, operation: &str, fault: Fault) {
    emu.faults()
        .push(operation, fault)
        .expect("a valid fault for a known operation");
}

fn room(name: &str) -> CreateChatroom {
    CreateChatroom::new(name, "resilience", "alice").members(["bob"])
}

async fn create(client: &Client, name: &str) -> Result<ChatroomId, Error> {
    client.create_chatroom(&room(name)).await.map(|r| r.data.id)
}

async fn details(client: &Client, id: &ChatroomId) -> Result<usize, Error> {
    client
        .get_chatrooms(std::slice::from_ref(id))
        .await
        .map(|r| r.data.len())
}

/// Creates one room with a client that does not retry, then forgets the request.
async fn existing_room(emu: &Emulator) -> ChatroomId {
    let id = create(&client(emu, RetryPolicy::never()), "existing")
        .await
        .expect("the room is created");
    emu.reset_request_counts();
    id
}

fn exhausted(err: &Error) -> Option<(StopReason, u32)> {
    match err {
        Error::RetriesExhausted {
            reason, attempts, ..
        } => Some((*reason, *attempts)),
        _ => None,
    }
}

// Throttling: retried with growing delays.

#[tokio::test]
async fn reach_limit_three_times_then_success_backs_off_exponentially() {
    let emu = start(emulator()).await;
    inject(&emu, CREATE, Fault::reach_limit().times(3));
    let client = client(&emu, fast_policy());
    let (decisions, _recording) = Decisions::record();
    let created = create(&client, "throttled").await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(emu.request_count(CREATE), 4, "three retries");
    assert_eq!(emu.chatroom_count(), 1);
    // Jitter::None: exactly 10, 20 and 40 ms before the retries.
    assert_eq!(decisions.retry_delays_ms(), [10, 20, 40]);
}

#[tokio::test]
async fn a_503_is_throttling_and_retried_even_for_a_create() {
    let emu = start(emulator()).await;
    inject(&emu, CREATE, Fault::status(503).times(2));
    let created = create(&client(&emu, fast_policy()), "gateway").await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(emu.request_count(CREATE), 3);
    assert_eq!(emu.chatroom_count(), 1);
}

// Where retrying stops: attempts, deadline, budget.

#[tokio::test]
async fn a_503_forever_stops_at_the_attempt_limit() {
    let emu = start(emulator()).await;
    let id = existing_room(&emu).await;
    inject(&emu, DETAILS, Fault::status(503).times(1000));
    let policy = fast_policy().max_attempts(3);
    let err = details(&client(&emu, policy), &id)
        .await
        .expect_err("503 every time");
    assert_eq!(
        exhausted(&err),
        Some((StopReason::MaxAttempts, 3)),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3);
    assert_eq!(emu.request_count(DETAILS), 3);
    assert_eq!(err.status(), Some(503), "the last answer is kept");
    assert_eq!(err.delivery(), Delivery::Answered);
}

#[tokio::test]
async fn a_503_forever_stops_at_the_deadline_first_when_it_is_short() {
    let emu = start(emulator()).await;
    let id = existing_room(&emu).await;
    inject(&emu, DETAILS, Fault::status(503).times(1000));
    // Waits of 50, 100, 200, 200... ms: the 300 ms deadline comes long before 100 attempts.
    let deadline = Duration::from_millis(300);
    let policy = fast_policy()
        .max_attempts(100)
        .base_delay(Duration::from_millis(50))
        .deadline(Some(deadline));
    let (decisions, _recording) = Decisions::record();
    let err = details(&client(&emu, policy), &id)
        .await
        .expect_err("503 every time");
    let (reason, attempts) = exhausted(&err).expect("retries exhausted");
    assert_eq!(reason, StopReason::Deadline, "{err:?}");
    assert!((1..100).contains(&attempts), "{attempts} attempts");
    assert_eq!(
        u64::from(attempts),
        emu.request_count(DETAILS),
        "the error reports the attempts made"
    );
    // Only waits that end before the deadline were decided.
    let waited: u64 = decisions.retry_delays_ms().iter().sum();
    assert!(waited < deadline.as_millis() as u64, "{waited} ms of waits");
}

#[tokio::test]
async fn a_drained_budget_stops_retries_for_every_call() {
    let emu = start(emulator()).await;
    let id = existing_room(&emu).await;
    inject(&emu, DETAILS, Fault::status(503).times(1000));
    // Three retries in all, none given back (refill 0).
    let budget = RetryBudget::new(3.0, 0.0);
    let policy = fast_policy().max_attempts(10);
    let client = builder(&emu, policy)
        .retry_budget(budget.clone())
        .build()
        .expect("valid client configuration");

    let first = details(&client, &id).await.expect_err("503 every time");
    assert_eq!(
        exhausted(&first),
        Some((StopReason::Budget, 4)),
        "{first:?}"
    );
    assert_eq!(
        emu.request_count(DETAILS),
        4,
        "one attempt and three retries"
    );
    assert_eq!(budget.available(), 0.0);

    for _ in 0..3 {
        let other = details(&client, &id).await.expect_err("503 every time");
        assert_eq!(
            exhausted(&other),
            Some((StopReason::Budget, 1)),
            "{other:?}"
        );
    }
    assert_eq!(
        emu.request_count(DETAILS),
        4 + 3,
        "no retries once the budget is drained"
    );
}

// Retry-After.

#[tokio::test]
async fn retry_after_is_honoured() {
    let emu = start(emulator()).await;
    inject(
        &emu,
        CREATE,
        Fault::reach_limit().header("Retry-After", "1"),
    );
    let policy = fast_policy().max_delay(Duration::from_secs(5));
    let (decisions, _recording) = Decisions::record();
    let created = create(&client(&emu, policy), "later").await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(emu.request_count(CREATE), 2);
    assert_eq!(decisions.retry_delays_ms(), [1000], "the 1 s asked for");
}

#[tokio::test]
async fn retry_after_is_capped_by_the_longest_delay() {
    let emu = start(emulator()).await;
    inject(
        &emu,
        CREATE,
        Fault::reach_limit().header("Retry-After", "1"),
    );
    // The backoff alone would wait 10 ms: a wait near 150 ms shows the header was read
    // and capped.
    let policy = fast_policy().max_delay(Duration::from_millis(150));
    let (decisions, _recording) = Decisions::record();
    let created = create(&client(&emu, policy), "capped").await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(emu.request_count(CREATE), 2);
    assert_eq!(
        decisions.retry_delays_ms(),
        [150],
        "the cap, not the 10 ms backoff"
    );
}

// Creates: retried only when provably not processed.

#[tokio::test]
async fn a_create_whose_answer_is_lost_after_processing_is_not_retried() {
    let emu = start(emulator()).await;
    inject(&emu, CREATE, Fault::drop_connection().after_processing());
    let err = create(&client(&emu, fast_policy()), "lost")
        .await
        .expect_err("the connection closed unanswered");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(err.delivery(), Delivery::Unknown);
    assert_eq!(err.attempts(), 1);
    assert_eq!(emu.request_count(CREATE), 1);
    assert_eq!(emu.chatroom_count(), 1, "exactly one room");
}

#[tokio::test]
async fn a_create_whose_answer_is_cut_short_is_not_retried() {
    let emu = start(emulator()).await;
    inject(&emu, CREATE, Fault::truncated().after_processing());
    let err = create(&client(&emu, fast_policy()), "cut")
        .await
        .expect_err("the body was cut short");
    assert_eq!(err.delivery(), Delivery::Unknown, "{err:?}");
    assert_eq!(emu.request_count(CREATE), 1);
    assert_eq!(emu.chatroom_count(), 1);
}

#[tokio::test]
async fn a_create_throttled_before_processing_is_retried_once_and_made_once() {
    let emu = start(emulator()).await;
    inject(&emu, CREATE, Fault::reach_limit());
    let created = create(&client(&emu, fast_policy()), "again").await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(emu.request_count(CREATE), 2);
    assert_eq!(emu.chatroom_count(), 1, "exactly one room");
}

#[tokio::test]
async fn a_dropped_connection_on_a_details_call_is_retried() {
    let emu = start(emulator()).await;
    let id = existing_room(&emu).await;
    inject(&emu, DETAILS, Fault::drop_connection());
    let found = details(&client(&emu, fast_policy()), &id).await;
    assert_eq!(found.ok(), Some(1));
    assert_eq!(emu.request_count(DETAILS), 2);
}

// Final answers.

#[tokio::test]
async fn final_answers_are_never_retried() {
    let emu = start(emulator()).await;
    let id = existing_room(&emu).await;
    let client = client(&emu, fast_policy());
    let cases = [
        (Fault::status(400), 400, ErrorCode::InvalidParameter),
        (Fault::status(403), 403, ErrorCode::ForbiddenOp),
        (Fault::status(404), 404, ErrorCode::ServiceResourceNotFound),
        (Fault::resource_limited(), 429, ErrorCode::ResourceLimited),
    ];
    for (fault, status, code) in cases {
        emu.reset_request_counts();
        // A second fault would answer a retry, so a retry cannot hide.
        inject(&emu, DETAILS, fault.times(2));
        let err = details(&client, &id).await.expect_err("a final answer");
        assert_eq!(err.status(), Some(status), "{err:?}");
        assert_eq!(err.code(), Some(&code), "{err:?}");
        assert_eq!(err.attempts(), 1, "{err:?}");
        assert!(matches!(err, Error::Api(_)), "not wrapped: {err:?}");
        assert_eq!(emu.request_count(DETAILS), 1, "HTTP {status} was retried");
        emu.faults().clear();
    }
}

// Server errors: retried when the operation is retry safe, not for a create.

#[tokio::test]
async fn server_errors_are_retried_on_get_put_and_delete() {
    let emu = start(emulator()).await;
    let client = client(&emu, fast_policy());
    for status in [500, 502, 504] {
        let id = existing_room(&emu).await;
        for op in [DETAILS, UPDATE, DELETE] {
            inject(&emu, op, Fault::status(status));
        }
        assert_eq!(
            details(&client, &id).await.ok(),
            Some(1),
            "GET after {status}"
        );
        let update = UpdateChatroom::default().name(format!("renamed {status}"));
        let updated = client.update_chatroom(&id, &update).await;
        assert!(updated.is_ok(), "PUT after {status}: {updated:?}");
        let deleted = client.delete_chatroom(&id).await;
        assert!(deleted.is_ok(), "DELETE after {status}: {deleted:?}");
        for op in [DETAILS, UPDATE, DELETE] {
            assert_eq!(emu.request_count(op), 2, "{op} after {status}");
        }
    }
    assert_eq!(emu.chatroom_count(), 0);
}

#[tokio::test]
async fn server_errors_on_a_create_are_not_retried() {
    let emu = start(emulator()).await;
    let client = client(&emu, fast_policy());
    for status in [500, 502, 504] {
        emu.reset_request_counts();
        inject(&emu, CREATE, Fault::status(status).times(2));
        let err = create(&client, "maybe").await.expect_err("a server error");
        assert_eq!(err.status(), Some(status), "{err:?}");
        assert_eq!(err.attempts(), 1);
        assert_eq!(
            emu.request_count(CREATE),
            1,
            "create retried after {status}"
        );
        emu.faults().clear();
    }
    assert_eq!(emu.chatroom_count(), 0);
}

#[tokio::test]
async fn a_retried_call_that_ends_on_a_final_answer_reports_every_attempt() {
    let emu = start(emulator()).await;
    let id = existing_room(&emu).await;
    inject(&emu, DETAILS, Fault::status(503));
    inject(&emu, DETAILS, Fault::status(404));
    let err = details(&client(&emu, fast_policy()), &id)
        .await
        .expect_err("503, then 404");
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert_eq!(emu.request_count(DETAILS), 2);
    assert_eq!(err.attempts(), 2, "attempts() = 1 after a retry: {err:?}");
}

// Per-call override.

#[tokio::test]
async fn a_per_call_policy_overrides_the_clients() {
    let emu = start(emulator()).await;
    let id = existing_room(&emu).await;
    inject(&emu, DETAILS, Fault::status(503));
    let client = client(&emu, fast_policy());
    let err = details(&client.with_retry(RetryPolicy::never()), &id)
        .await
        .expect_err("one attempt, answered 503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.attempts(), 1);
    assert_eq!(emu.request_count(DETAILS), 1);
    // The client itself still retries.
    inject(&emu, DETAILS, Fault::status(503));
    assert_eq!(details(&client, &id).await.ok(), Some(1));
    assert_eq!(emu.request_count(DETAILS), 3);
}

// Attempt timeouts.

#[tokio::test]
async fn a_slow_details_call_times_out_and_is_retried() {
    let emu = start(emulator()).await;
    let id = existing_room(&emu).await;
    inject(&emu, DETAILS, Fault::delay(Duration::from_millis(800)));
    let policy = fast_policy().attempt_timeout(Duration::from_millis(200));
    let (decisions, _recording) = Decisions::record();
    assert_eq!(details(&client(&emu, policy), &id).await.ok(), Some(1));
    assert_eq!(emu.request_count(DETAILS), 2);
    // One retry, decided after the first attempt timed out (not after the slow answer).
    assert_eq!(decisions.retry_delays_ms(), [10]);
    let classes = decisions.values("class=Transient { not_sent: false }", "attempt");
    assert_eq!(classes, [1], "the first attempt timed out");
}

#[tokio::test]
async fn a_slow_create_times_out_and_is_not_retried() {
    let emu = start(emulator()).await;
    let slow = Duration::from_millis(400);
    inject(&emu, CREATE, Fault::delay(slow).after_processing());
    let policy = fast_policy().attempt_timeout(Duration::from_millis(100));
    let err = create(&client(&emu, policy), "slow")
        .await
        .expect_err("timed out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.delivery(), Delivery::Unknown);
    assert_eq!(emu.request_count(CREATE), 1);
    // The create was processed exactly once.
    tokio::time::sleep(slow).await;
    assert_eq!(emu.chatroom_count(), 1);
}

#[tokio::test]
async fn a_call_does_not_wait_for_the_limiter_past_its_deadline() {
    let emu = start(emulator()).await;
    let policy = fast_policy().deadline(Some(Duration::from_millis(600)));
    let client = builder(&emu, policy)
        .rate_limits(RateLimits::documented().with(CREATE, 1))
        .build()
        .expect("valid client configuration");
    let (decisions, _recording) = Decisions::record();
    assert!(create(&client, "first").await.is_ok());
    // The next slot is 1.04 s away, after the call's 600 ms deadline: refused at once, no
    // slot taken (no wait of the limiter's own).
    let err = create(&client, "second")
        .await
        .expect_err("no slot before the deadline");
    assert!(matches!(err, Error::DeadlineExceeded { .. }), "{err:?}");
    assert_eq!(
        decisions.slots_us(CREATE).len(),
        1,
        "a slot past the deadline was taken"
    );
    assert_eq!(err.delivery(), Delivery::NotSent, "{err:?}");
    assert_eq!(emu.request_count(CREATE), 1, "sent with no time left");
    assert_eq!(emu.chatroom_count(), 1);
}

// The client's rate limiter against the emulator's quotas.

const BURST: usize = 120;
const TASKS: usize = 8;

/// `BURST` creates from `TASKS` tasks; the results in no particular order.
async fn burst(client: &Client) -> Vec<Result<ChatroomId, Error>> {
    let client = Arc::new(client.clone());
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let client = Arc::clone(&client);
            tokio::spawn(async move {
                let mut results = Vec::new();
                for i in (t..BURST).step_by(TASKS) {
                    results.push(create(&client, &format!("burst {i}")).await);
                }
                results
            })
        })
        .collect();
    let mut all = Vec::with_capacity(BURST);
    for task in tasks {
        all.extend(task.await.expect("the task finishes"));
    }
    all
}

/// A client of `emu` with the documented rate limits and retries enough to ride out a 429
/// that a loaded machine's jitter may still cause.
fn paced_client(emu: &Emulator) -> Client {
    let policy = fast_policy().max_attempts(10);
    builder(emu, policy)
        .rate_limits(RateLimits::documented())
        .build()
        .expect("valid client configuration")
}

#[tokio::test]
async fn the_clients_limiter_keeps_a_burst_within_the_documented_quota() {
    let emu = start(emulator().quotas(Quotas::Documented)).await;
    let client = paced_client(&emu);
    let (decisions, _recording) = Decisions::record();
    let results = burst(&client).await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(emu.chatroom_count(), BURST, "each create made once");
    // What the limiter decided: a slot per request sent, never more than the quota of 50
    // in any window, so 120 creates span more than two windows.
    let slots = decisions.slots_us(CREATE);
    assert_eq!(slots.len() as u64, emu.request_count(CREATE));
    assert_eq!(busiest(&slots), 50, "{slots:?}");
    let span = slots.last().copied().unwrap_or(0) - slots.first().copied().unwrap_or(0);
    assert!(span >= 2 * WINDOW_US, "{slots:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_limiter_the_same_burst_meets_the_quota() {
    // The control for the test above: the quota is really enforced.
    let emu = start(emulator().quotas(Quotas::Documented)).await;
    let results = burst(&client(&emu, RetryPolicy::never())).await;
    let throttled = results
        .iter()
        .filter(|r| {
            r.as_ref()
                .err()
                .and_then(Error::code)
                .is_some_and(|c| *c == ErrorCode::ReachLimit)
        })
        .count();
    assert!(throttled > 0, "120 creates at once all passed a 50/s quota");
    assert_eq!(emu.throttled_count(CREATE), throttled as u64);
    assert_eq!(emu.chatroom_count(), BURST - throttled);
}

/// A fixed token that takes until `ready_at` to arrive: a slow first fetch that every
/// early caller waits for, as with a token endpoint that answers slowly.
#[derive(Debug)]
struct SlowFirstToken {
    ready_at: tokio::time::Instant,
}

const SLOW_TOKEN: &str = "slow-token";

impl TokenSource for SlowFirstToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(async move {
            tokio::time::sleep_until(self.ready_at).await;
            tracing::info!("slow token ready");
            Ok(Secret::new(SLOW_TOKEN))
        })
    }
}

#[tokio::test]
async fn a_slow_token_does_not_push_requests_into_the_next_window() {
    let emu = start(
        Emulator::builder()
            .token(SLOW_TOKEN)
            .quotas(Quotas::Documented),
    )
    .await;
    let policy = fast_policy().max_attempts(10);
    let client = builder(&emu, policy)
        .token_source(SlowFirstToken {
            ready_at: tokio::time::Instant::now() + Duration::from_millis(150),
        })
        .rate_limits(RateLimits::documented())
        .build()
        .expect("valid client configuration");
    let (decisions, _recording) = Decisions::record();
    // If 16 tasks took their slots at once and then waited 150 ms for the token, the 51st
    // create's slot would come a window after theirs but only about 0.9 s after they
    // reached the server. The slots must be taken after the token.
    let creates = 70;
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut ok = 0;
                for i in (t..creates).step_by(16) {
                    ok += usize::from(create(&client, &format!("slow {i}")).await.is_ok());
                }
                ok
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        ok += task.await.expect("the task finishes");
    }
    assert_eq!(ok, creates, "every create succeeds (429s are retried)");
    let token = decisions.first_line("slow token ready");
    let slot = decisions.first_line("rate-limit slot");
    assert!(
        token.is_some() && token < slot,
        "a slot was taken before the token"
    );
    assert!(busiest(&decisions.slots_us(CREATE)) <= 50);
}
