//! Retry decisions: an ordered classification of each attempt's outcome, full-jitter
//! exponential backoff with a cap, an attempt limit, an overall deadline, and a retry budget
//! shared by all calls of a client so that a failing service is not multiplied by retries.
//! A 429 `reach_limit` is the quota speaking, not a failing service: within a deadline it
//! is retried until the deadline, whatever the attempt limit and the budget.

use crate::error_code::RetryClass;
use crate::operation::OperationMeta;
use crate::types::ErrorCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What an attempt's outcome means for retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// The service throttled the request (429 `reach_limit`, 503): it was not processed.
    Throttled,
    /// A failure that may pass (500, 502, 504, 408, a reset, a timeout); `not_sent` when the
    /// connection failed before the request could be sent.
    Transient { not_sent: bool },
    /// Success, or a failure that a retry cannot fix (other 4xx, 429 `resource_limited`).
    Final,
}

/// The outcome of one attempt, as far as classification needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome<'a> {
    /// An answer: its status and, for a failure, the service's `error` code (the error
    /// body is decoded once, by the pipeline, and shared).
    Response {
        status: u16,
        code: Option<&'a ErrorCode>,
    },
    ConnectFailed,
    TimedOut,
    /// Any other transport failure after the request may have been sent (e.g. a reset).
    Broken,
    /// A failure retrying cannot fix (no token, a response too large).
    Other,
}

/// Classifies an outcome. An answer is judged by the retry class the spec's error table gives
/// its `error` code, when the answer's status is the one the table gives that code; otherwise
/// (no code, a code the table leaves to the status, an unexpected pairing such as a gateway's
/// 503) by its status alone.
pub(crate) fn classify(outcome: Outcome<'_>) -> Class {
    match outcome {
        Outcome::ConnectFailed => Class::Transient { not_sent: true },
        Outcome::TimedOut | Outcome::Broken => Class::Transient { not_sent: false },
        Outcome::Other => Class::Final,
        Outcome::Response { status, code } => {
            code_class(status, code).unwrap_or_else(|| status_class(status))
        }
    }
}

/// The class the spec's error table gives `code` at `status`.
fn code_class(status: u16, code: Option<&ErrorCode>) -> Option<Class> {
    let code = code?;
    if code.status().is_some_and(|documented| documented != status) {
        return None;
    }
    Some(match code.retry_class()? {
        RetryClass::Throttled => Class::Throttled,
        RetryClass::Transient => Class::Transient { not_sent: false },
        // A token the service rejects is handled by the pipeline (one refresh), not retried.
        RetryClass::Final | RetryClass::TokenExpired | RetryClass::TokenInvalid => Class::Final,
    })
}

/// The class of an answer the table says nothing about: throttling (429, and 503, which the
/// service also uses for it), transient server and gateway failures, everything else final.
fn status_class(status: u16) -> Class {
    match status {
        429 | 503 => Class::Throttled,
        408 | 500 | 502 | 504 => Class::Transient { not_sent: false },
        _ => Class::Final,
    }
}

/// Whether an operation may be retried after this class of failure: operations that are
/// not retry safe (create) only when the request provably was not processed.
pub(crate) fn may_retry(op: &OperationMeta, class: Class) -> bool {
    match class {
        Class::Final => false,
        Class::Throttled | Class::Transient { not_sent: true } => true,
        Class::Transient { not_sent: false } => op.retry_safe,
    }
}

/// Whether an attempt's answer is the quota throttling (429, classed [`Class::Throttled`]):
/// the request was not processed and the service is well, so only the deadline bounds its
/// retries. A 503 is not: it may be a failing service.
pub(crate) fn is_quota_throttle(status: Option<u16>, class: Class) -> bool {
    status == Some(429) && class == Class::Throttled
}

/// Why a failed attempt is not retried, if it is not: the attempt limit, the deadline
/// (the retry would start at or after it) or the budget. A quota throttle under a deadline
/// is bounded by the deadline alone and takes nothing from the budget; without a deadline
/// the attempt limit and budget still bound it. `now` is injected, for tests.
pub(crate) fn stop_reason(
    policy: &RetryPolicy,
    attempts: u32,
    quota_throttle: bool,
    deadline: Option<tokio::time::Instant>,
    now: tokio::time::Instant,
    delay: Duration,
    budget: &RetryBudget,
) -> Option<StopReason> {
    let deadline_decides = quota_throttle && deadline.is_some();
    if !deadline_decides && attempts >= policy.max_attempts {
        Some(StopReason::MaxAttempts)
    } else if deadline
        .is_some_and(|deadline| now.checked_add(delay).is_none_or(|at| at >= deadline))
    {
        Some(StopReason::Deadline)
    } else if !deadline_decides && !budget.try_withdraw() {
        Some(StopReason::Budget)
    } else {
        None
    }
}

/// How delays are randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Jitter {
    /// A uniform delay in `[0, backoff]` (AWS's "full jitter"): spreads retries of many clients.
    Full,
    /// Exactly the exponential backoff; for tests and single callers.
    None,
}

/// Retry settings of a client, or of one call via [`Client::with_retry`](crate::Client::with_retry).
///
/// Build it from [`RetryPolicy::default`] (4 attempts, 200 ms doubling backoff capped at
/// 10 s, full jitter, 30 s per attempt, 60 s per call) or [`RetryPolicy::never`] and the
/// setters; fields may be added, so it cannot be written as a struct literal.
///
/// ```
/// use agora_chat::{Client, retry::RetryPolicy};
/// use std::time::Duration;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .base_delay(Duration::from_millis(100))
///     .deadline(Some(Duration::from_secs(20)));
/// let client = Client::builder()
///     .base_url("https://a41.chat.agora.io")
///     .app_key("myorg#myapp")
///     .app_token("<app token>")
///     .retry_policy(policy)
///     .build()?;
/// // One call that must not be repeated: same client, no retries.
/// let once = client.with_retry(RetryPolicy::never());
/// # let _ = once;
/// # Ok::<(), agora_chat::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The longest single wait, also for a `Retry-After` the service sends.
    pub max_delay: Duration,
    /// The time limit of the whole call, retries and waits included.
    pub deadline: Option<Duration>,
    /// The time limit of one attempt.
    pub attempt_timeout: Duration,
    /// How each backoff is randomised ([`Jitter::Full`] by default).
    pub jitter: Jitter,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            deadline: Some(Duration::from_secs(60)),
            attempt_timeout: Duration::from_secs(30),
            jitter: Jitter::Full,
        }
    }
}

impl RetryPolicy {
    /// No retries (one attempt).
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// With `attempts` attempts in all, the first included (1 = never retry).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// With this backoff before the first retry (it doubles with each retry).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// With this longest single wait.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// With this time limit for the whole call (`None`: only the attempts' limits).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// With this time limit for one attempt.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// With this way of randomising delays.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The wait before retry number `retry` (1-based), honouring `retry_after` within the cap.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let factor = 2u32
            .checked_pow(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let backoff = self.base_delay.saturating_mul(factor).min(self.max_delay);
        match self.jitter {
            Jitter::None => backoff,
            // `mul_f64` would panic when the product rounds past `Duration::MAX`.
            Jitter::Full => Duration::try_from_secs_f64(backoff.as_secs_f64() * random_unit())
                .unwrap_or(backoff),
        }
    }
}

fn random_unit() -> f64 {
    getrandom::u32().map_or(1.0, |r| f64::from(r) / f64::from(u32::MAX))
}

/// Why retrying stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// [`RetryPolicy::max_attempts`] attempts were made.
    MaxAttempts,
    /// The next retry would start at or after the call's [`RetryPolicy::deadline`].
    Deadline,
    /// The client's retry budget is drained: the service is failing for many calls.
    Budget,
    /// After retries, an answer that retrying cannot fix (e.g. a 404).
    Final,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopReason::MaxAttempts => "attempt limit reached",
            StopReason::Deadline => "deadline reached",
            StopReason::Budget => "retry budget drained",
            StopReason::Final => "final answer",
        })
    }
}

/// A token bucket of retries shared by all calls of a client: each retry takes one token,
/// each success gives back `refill_per_success`.
///
/// Lock-free: the tokens are an `f64` in an atomic, and a success on a full budget (the
/// common case) only reads it, so concurrent calls do not contend on it.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    /// The tokens left, as `f64` bits.
    state: Arc<AtomicU64>,
    capacity: f64,
    refill_per_success: f64,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self::new(20.0, 0.1)
    }
}

impl RetryBudget {
    /// A full budget of `capacity` retries, refilled by `refill_per_success` (a fraction
    /// of a retry) on each successful call. The default is 20 and 0.1: once drained, one
    /// retry per ten successes.
    pub fn new(capacity: f64, refill_per_success: f64) -> Self {
        Self {
            state: Arc::new(AtomicU64::new(capacity.to_bits())),
            capacity,
            refill_per_success,
        }
    }

    /// A budget that never runs out.
    pub fn unlimited() -> Self {
        Self::new(f64::INFINITY, 0.0)
    }

    /// Takes one retry from the budget; false when it is drained.
    pub fn try_withdraw(&self) -> bool {
        self.update(|tokens| (tokens >= 1.0).then_some(tokens - 1.0))
    }

    /// Gives back `refill_per_success` after a successful call, up to the capacity.
    pub fn record_success(&self) {
        let (refill, capacity) = (self.refill_per_success, self.capacity);
        self.update(|tokens| (tokens < capacity).then(|| (tokens + refill).min(capacity)));
    }

    /// Retries left.
    pub fn available(&self) -> f64 {
        f64::from_bits(self.state.load(Ordering::Relaxed))
    }

    /// Applies `change` to the tokens atomically; `None` from it leaves them as they are
    /// (without a write). True when they changed.
    fn update(&self, change: impl Fn(f64) -> Option<f64>) -> bool {
        self.state
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                change(f64::from_bits(bits)).map(f64::to_bits)
            })
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Method, Pagination};

    const fn op(retry_safe: bool) -> OperationMeta {
        OperationMeta {
            id: "op",
            method: Method::Post,
            path: "/x",
            rate_limit_per_sec: 1,
            retry_safe,
            retry_observes_done: None,
            pagination: Pagination::None,
            payload: crate::operation::Payload::Data,
        }
    }

    fn response(status: u16, body: &str) -> Class {
        let code = serde_json::from_str::<crate::types::ErrorBody>(body)
            .ok()
            .and_then(|b| b.error);
        classify(Outcome::Response {
            status,
            code: code.as_ref(),
        })
    }

    #[test]
    fn classifies_in_order() {
        assert_eq!(
            response(429, r#"{"error":"reach_limit"}"#),
            Class::Throttled
        );
        assert_eq!(response(429, ""), Class::Throttled);
        assert_eq!(
            response(429, r#"{"error":"resource_limited"}"#),
            Class::Final
        );
        assert_eq!(response(503, "<html>"), Class::Throttled);
        for status in [408, 500, 502, 504] {
            assert_eq!(response(status, ""), Class::Transient { not_sent: false });
        }
        for status in [200, 400, 401, 403, 404, 405, 413, 415] {
            assert_eq!(response(status, ""), Class::Final);
        }
        assert_eq!(
            classify(Outcome::ConnectFailed),
            Class::Transient { not_sent: true }
        );
        assert_eq!(
            classify(Outcome::TimedOut),
            Class::Transient { not_sent: false }
        );
        assert_eq!(
            classify(Outcome::Broken),
            Class::Transient { not_sent: false }
        );
    }

    #[test]
    fn follows_the_spec_error_table_at_its_status() {
        for info in crate::types::ERROR_CODES {
            let code = crate::types::ErrorCode::from_wire(info.code);
            let Some(status) = info.status else { continue };
            let expected = match info.retry {
                Some(RetryClass::Throttled) => Class::Throttled,
                Some(RetryClass::Transient) => Class::Transient { not_sent: false },
                Some(_) => Class::Final,
                None => status_class(status),
            };
            let outcome = Outcome::Response {
                status,
                code: Some(&code),
            };
            assert_eq!(classify(outcome), expected, "{}", info.code);
        }
        // A code at a status the table does not give it is judged by the status.
        let throttled = crate::types::ErrorCode::ReachLimit;
        let at = |status| {
            classify(Outcome::Response {
                status,
                code: Some(&throttled),
            })
        };
        assert_eq!(at(400), Class::Final);
        assert_eq!(at(502), Class::Transient { not_sent: false });
    }

    #[test]
    fn retries_unsafe_operations_only_when_not_processed() {
        let (safe, create) = (op(true), op(false));
        assert!(may_retry(&create, Class::Throttled));
        assert!(may_retry(&create, Class::Transient { not_sent: true }));
        assert!(!may_retry(&create, Class::Transient { not_sent: false }));
        assert!(may_retry(&safe, Class::Transient { not_sent: false }));
        assert!(!may_retry(&safe, Class::Final));
    }

    #[test]
    fn backs_off_exponentially_within_the_cap() {
        let policy = RetryPolicy {
            jitter: Jitter::None,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let delays: Vec<u128> = (1..=6)
            .map(|retry| policy.delay(retry, None).as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(
            policy.delay(1, Some(Duration::from_millis(300))),
            Duration::from_millis(300)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(30))),
            Duration::from_secs(1)
        );
        let full = RetryPolicy {
            jitter: Jitter::Full,
            ..policy
        };
        assert!((0..100).all(|_| full.delay(3, None) <= Duration::from_millis(400)));
    }

    proptest::proptest! {
        /// No policy value and no server `Retry-After` panics, and the cap always holds.
        #[test]
        fn any_policy_and_retry_after_give_a_delay_within_the_cap(
            base_ns in proptest::prelude::any::<u64>(),
            base_secs in proptest::prelude::any::<u64>(),
            max_secs in proptest::prelude::any::<u64>(),
            retry in proptest::prelude::any::<u32>(),
            retry_after in proptest::option::of(proptest::prelude::any::<u64>()),
            full in proptest::prelude::any::<bool>(),
        ) {
            let policy = RetryPolicy {
                base_delay: Duration::new(base_secs, (base_ns % 1_000_000_000) as u32),
                max_delay: Duration::from_secs(max_secs),
                jitter: if full { Jitter::Full } else { Jitter::None },
                ..RetryPolicy::default()
            };
            let delay = policy.delay(retry, retry_after.map(Duration::from_secs));
            proptest::prop_assert!(delay <= policy.max_delay);
        }
    }

    #[test]
    fn quota_throttles_are_bounded_by_the_deadline_not_the_budget() {
        use tokio::time::Instant;
        let policy = RetryPolicy::default();
        let budget = RetryBudget::new(0.0, 0.0);
        let start = Instant::now();
        let deadline = Some(start + Duration::from_secs(60));
        let delay = Duration::from_secs(1);
        // A drained budget and 100 attempts: the quota's 429 is still retried in time.
        for attempts in [1, 4, 100] {
            let now = start + Duration::from_secs(u64::from(attempts) / 4);
            let stop = stop_reason(&policy, attempts, true, deadline, now, delay, &budget);
            assert_eq!(stop, None, "attempt {attempts}");
        }
        // The deadline decides: a retry that would start at or after it is not made.
        let late = start + Duration::from_secs(59);
        let stop = stop_reason(&policy, 100, true, deadline, late, delay, &budget);
        assert_eq!(stop, Some(StopReason::Deadline));
        // Other failures still meet the attempt limit and the budget.
        let stop = stop_reason(&policy, 4, false, deadline, start, delay, &budget);
        assert_eq!(stop, Some(StopReason::MaxAttempts));
        let stop = stop_reason(&policy, 1, false, deadline, start, delay, &budget);
        assert_eq!(stop, Some(StopReason::Budget));
        // Without a deadline nothing but the attempt limit and budget bounds a throttle.
        let stop = stop_reason(&policy, 4, true, None, start, delay, &budget);
        assert_eq!(stop, Some(StopReason::MaxAttempts));
        let stop = stop_reason(&policy, 1, true, None, start, delay, &budget);
        assert_eq!(stop, Some(StopReason::Budget));
    }

    #[test]
    fn only_a_429_is_the_quota() {
        assert!(is_quota_throttle(Some(429), Class::Throttled));
        assert!(!is_quota_throttle(Some(503), Class::Throttled));
        assert!(!is_quota_throttle(Some(429), Class::Final));
        assert!(!is_quota_throttle(
            None,
            Class::Transient { not_sent: true }
        ));
    }

    #[test]
    fn concurrent_withdrawals_never_overdraw_the_budget() {
        let budget = RetryBudget::new(100.0, 0.0);
        let granted: usize = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| (0..50).filter(|_| budget.try_withdraw()).count()))
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
        });
        assert_eq!(granted, 100);
        assert_eq!(budget.available(), 0.0);
    }

    #[test]
    fn budget_drains_and_refills() {
        let budget = RetryBudget::new(2.0, 0.5);
        assert!(budget.try_withdraw() && budget.try_withdraw());
        assert!(!budget.try_withdraw());
        budget.record_success();
        assert!(!budget.try_withdraw());
        budget.record_success();
        assert!(budget.try_withdraw());
        (0..10).for_each(|_| budget.record_success());
        assert_eq!(budget.available(), 2.0);
    }
}
