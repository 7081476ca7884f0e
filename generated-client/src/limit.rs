//! Client-side rate limiting per operation, from the quotas in the spec. A sliding window of
//! one second plus a safety margin (the service counts one second; the margin absorbs
//! network jitter between leaving here and arriving there) holds each operation to its
//! quota, shared by all calls of one client (one app key). Waiting is async.
//!
//! The quota is exact (never more than the limit of starts in any window) and the memory is
//! bounded whatever the rate: starts are counted in at most [`BUCKETS`] buckets, each
//! counted in the window until its latest start leaves it. After the service throttles
//! anyway (429 `reach_limit`), the limiter halves its rate for a cool-down and recovers one
//! halving per quiet window.
//!
//! Two backends: this in-process limiter (the default), and with the `redis` feature the
//! windows in Redis (`limit::shared`, feature `redis`), shared by every process of one app key.

#[cfg(feature = "redis")]
pub mod shared;

use crate::operation::OperationMeta;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// How fast each operation may be called: set with
/// [`ClientBuilder::rate_limits`](crate::ClientBuilder::rate_limits). Build it with the
/// constructors and setters; the variants' fields may grow.
///
/// ```
/// use agora_chat::{Client, limit::RateLimits};
/// use std::time::Duration;
///
/// // Half of every documented quota (two processes share the app key), at most 5
/// // chatrooms created per second, and a wider safety margin for a distant server.
/// let limits = RateLimits::scaled(0.5)
///     .with("create_chatroom", 5)
///     .margin(Duration::from_millis(100));
/// let client = Client::builder()
///     .base_url("https://a41.chat.agora.io")
///     .app_key("myorg#myapp")
///     .app_token("<app token>")
///     .rate_limits(limits)
///     .build()?;
/// # let _ = client;
/// # Ok::<(), agora_chat::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RateLimits {
    /// The documented quota of each operation, scaled by a factor (1.0 = the quota).
    #[non_exhaustive]
    Documented {
        /// A factor on every quota: `+inf` (or a product past `u32::MAX`) is no limit, NaN is
        /// the quota itself, and anything at or below 0 is the minimum of 1 per second.
        scale: f64,
        /// Per-operation limits per second, by operation id, instead of the scaled quota.
        overrides: HashMap<&'static str, u32>,
        /// Added to the one-second window, for jitter between the client and the service.
        margin: Duration,
    },
    /// No client-side limit.
    Off,
}

/// The default safety margin: more than loopback or LAN jitter under load, at a cost of
/// about 4% of the quota.
pub const DEFAULT_MARGIN: Duration = Duration::from_millis(40);

/// The most buckets one operation's window keeps (its memory bound).
pub const BUCKETS: u32 = 256;

/// The deepest slowdown after throttling: an eighth of the rate.
const MAX_SLOWDOWN: u32 = 3;

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::documented()
    }
}

impl RateLimits {
    /// The documented quota of each operation (the default).
    pub fn documented() -> Self {
        Self::scaled(1.0)
    }

    /// A share of every documented quota, e.g. 0.5 when two processes share one app key.
    pub fn scaled(scale: f64) -> Self {
        RateLimits::Documented {
            scale,
            overrides: HashMap::new(),
            margin: DEFAULT_MARGIN,
        }
    }

    /// No client-side limit (the same as [`RateLimits::Off`]).
    pub fn unlimited() -> Self {
        RateLimits::Off
    }

    /// One operation's limit, per second (by operation id, e.g. `create_chatroom`);
    /// `u32::MAX` is no limit.
    pub fn with(mut self, operation: &'static str, per_sec: u32) -> Self {
        if let RateLimits::Documented { overrides, .. } = &mut self {
            overrides.insert(operation, per_sec);
        }
        self
    }

    /// The safety margin added to the one-second window ([`DEFAULT_MARGIN`] by default).
    pub fn margin(mut self, margin: Duration) -> Self {
        if let RateLimits::Documented { margin: m, .. } = &mut self {
            *m = margin;
        }
        self
    }

    /// The same limits at `share` of each quota (e.g. one process's share of a quota it
    /// shares with others).
    pub fn share(&self, share: f64) -> Self {
        match self {
            RateLimits::Documented {
                scale,
                overrides,
                margin,
            } => RateLimits::Documented {
                scale: if scale.is_nan() { share } else { scale * share },
                overrides: overrides.clone(),
                margin: *margin,
            },
            RateLimits::Off => RateLimits::Off,
        }
    }

    /// The limit per second of `op`; `None` when unlimited.
    fn per_sec(&self, op: &OperationMeta) -> Option<u32> {
        let RateLimits::Documented {
            scale, overrides, ..
        } = self
        else {
            return None;
        };
        let quota = overrides
            .get(op.id)
            .copied()
            .unwrap_or(op.rate_limit_per_sec);
        let scaled = if scale.is_nan() {
            f64::from(quota)
        } else {
            f64::from(quota) * scale
        };
        // `as` saturates (and NaN is handled above): no value panics.
        (scaled < f64::from(u32::MAX)).then(|| (scaled.floor() as u32).max(1))
    }

    fn window(&self) -> Duration {
        match self {
            RateLimits::Documented { margin, .. } => Duration::from_secs(1).saturating_add(*margin),
            RateLimits::Off => Duration::from_secs(1),
        }
    }
}

/// Starts counted together: `count` starts, the latest at `last`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    last: Instant,
    count: u32,
}

#[derive(Debug)]
struct Window {
    per_sec: u32,
    span: Duration,
    /// Starts per bucket, so that at most [`BUCKETS`] full buckets fit in a window.
    bucket_size: u32,
    /// Oldest first; every bucket but the newest is full.
    buckets: VecDeque<Bucket>,
    /// Starts in `buckets`.
    counted: u32,
    /// Halvings of the rate in force after throttling.
    slowdown: u32,
    /// When the next halving is lifted.
    calm_at: Option<Instant>,
    last_throttled: Option<Instant>,
}

/// One sliding window per operation, here or (feature `redis`) in Redis.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    windows: HashMap<&'static str, Mutex<Window>>,
    /// The origin of the offsets in the `rate-limit slot` trace events.
    epoch: Instant,
    /// The windows shared through Redis; `windows` is then unused.
    #[cfg(feature = "redis")]
    shared: Option<Box<shared::SharedLimiter>>,
}

impl RateLimiter {
    pub fn new(limits: &RateLimits, operations: &[&OperationMeta]) -> Self {
        let span = limits.window();
        let windows = operations
            .iter()
            .filter_map(|op| Some((op.id, Mutex::new(Window::new(limits.per_sec(op)?, span)))))
            .collect();
        Self {
            windows,
            epoch: Instant::now(),
            #[cfg(feature = "redis")]
            shared: None,
        }
    }

    /// The same limits kept in Redis (`scope` names the app), with a local fallback.
    #[cfg(feature = "redis")]
    pub fn with_redis(
        mut self,
        config: shared::RedisLimits,
        limits: &RateLimits,
        operations: &[&OperationMeta],
        scope: &str,
    ) -> Result<Self, shared::InvalidRedisUrl> {
        let limiter = shared::SharedLimiter::new(config, limits, operations, scope)?;
        self.shared = Some(Box::new(limiter));
        Ok(self)
    }

    /// Waits until `op` may start another request within its quota, unless that slot would
    /// start at or after `deadline`: then it is not taken and the answer is `false`, at once.
    pub async fn acquire_before(&self, op: &OperationMeta, deadline: Option<Instant>) -> bool {
        #[cfg(feature = "redis")]
        if let Some(shared) = &self.shared {
            return shared.acquire_before(op, deadline).await;
        }
        self.acquire_locally(op, deadline).await
    }

    /// [`acquire_before`](Self::acquire_before) in this process's windows. When a slot is
    /// free now, no timer is touched: a lock and constant work.
    async fn acquire_locally(&self, op: &OperationMeta, deadline: Option<Instant>) -> bool {
        let Some(window) = self.windows.get(op.id) else {
            return true;
        };
        let now = Instant::now();
        let start = lock(window).reserve(now, deadline);
        let Some(start) = start else {
            return false;
        };
        tracing::trace!(
            operation = op.id,
            slot_us = start.saturating_duration_since(self.epoch).as_micros() as u64,
            "rate-limit slot"
        );
        if start > now {
            tokio::time::sleep_until(start).await;
        }
        true
    }

    /// The service throttled `op` although the client kept its count: slow down (with
    /// Redis, every process sharing the windows does).
    pub async fn throttled(&self, op: &OperationMeta) {
        #[cfg(feature = "redis")]
        if let Some(shared) = &self.shared {
            return shared.throttled(op).await;
        }
        self.throttled_locally(op);
    }

    fn throttled_locally(&self, op: &OperationMeta) {
        if let Some(window) = self.windows.get(op.id) {
            lock(window).throttled(Instant::now());
        }
    }
}

fn lock(window: &Mutex<Window>) -> std::sync::MutexGuard<'_, Window> {
    window.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Window {
    fn new(per_sec: u32, span: Duration) -> Self {
        Self {
            per_sec,
            span,
            bucket_size: per_sec.div_ceil(BUCKETS).max(1),
            buckets: VecDeque::new(),
            counted: 0,
            slowdown: 0,
            calm_at: None,
            last_throttled: None,
        }
    }

    /// The limit in force: the quota, halved once per slowdown step.
    fn limit(&self) -> u32 {
        (self.per_sec >> self.slowdown).max(1)
    }

    /// Reserves the earliest start at or after `now` that keeps the window within the
    /// limit, unless it would be at or after `deadline` (or past the end of time).
    fn reserve(&mut self, now: Instant, deadline: Option<Instant>) -> Option<Instant> {
        self.recover(now);
        let start = self.earliest(now)?;
        if deadline.is_some_and(|deadline| start >= deadline) {
            return None;
        }
        self.take(start);
        Some(start)
    }

    /// The earliest start that keeps every window within the limit. Reservations are
    /// handed out in order, so the buckets stay sorted.
    fn earliest(&self, now: Instant) -> Option<Instant> {
        let mut start = self.buckets.back().map_or(now, |b| now.max(b.last));
        let mut counted = self.counted;
        for bucket in &self.buckets {
            // `None`: the bucket never leaves (a window past the end of time).
            let leaves = bucket.last.checked_add(self.span);
            let gone = leaves.is_some_and(|leaves| leaves <= start);
            if !gone && counted < self.limit() {
                break;
            }
            // Gone from the window by `start`, or must be before one more start fits.
            start = start.max(leaves?);
            counted -= bucket.count;
        }
        Some(start)
    }

    fn take(&mut self, start: Instant) {
        while let Some(front) = self.buckets.front() {
            match front.last.checked_add(self.span) {
                Some(leaves) if leaves <= start => {
                    self.counted -= front.count;
                    self.buckets.pop_front();
                }
                _ => break,
            }
        }
        match self.buckets.back_mut() {
            Some(back) if back.count < self.bucket_size => {
                back.count += 1;
                back.last = start;
            }
            _ => self.buckets.push_back(Bucket {
                last: start,
                count: 1,
            }),
        }
        self.counted += 1;
    }

    /// Halves the rate, at most once per window (a burst of 429s is one signal), and
    /// starts the cool-down again.
    fn throttled(&mut self, now: Instant) {
        let fresh = self
            .last_throttled
            .and_then(|at| at.checked_add(self.span))
            .is_none_or(|quiet_from| now >= quiet_from);
        if fresh {
            self.slowdown = (self.slowdown + 1).min(MAX_SLOWDOWN);
            self.last_throttled = Some(now);
        }
        self.calm_at = now.checked_add(self.span.saturating_mul(2));
    }

    /// Lifts one halving per quiet window once the cool-down is over.
    fn recover(&mut self, now: Instant) {
        if self.slowdown > 0 && self.calm_at.is_none_or(|calm| now >= calm) {
            self.slowdown -= 1;
            self.calm_at = now.checked_add(self.span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Method, Pagination};
    use futures_util::FutureExt;
    use proptest::prelude::*;

    static OP: OperationMeta = OperationMeta {
        id: "op",
        method: Method::Get,
        path: "/x",
        rate_limit_per_sec: 50,
        retry_safe: true,
        retry_observes_done: None,
        pagination: Pagination::None,
        payload: crate::operation::Payload::Data,
    };

    const SPAN: Duration = Duration::from_millis(1040);

    /// `count` reservations at `now`, in order.
    fn schedule(window: &mut Window, now: Instant, count: usize) -> Vec<Instant> {
        (0..count)
            .filter_map(|_| window.reserve(now, None))
            .collect()
    }

    /// The most starts in any window of `span` (half-open, like the service's second).
    fn busiest(starts: &[Instant], span: Duration) -> usize {
        let mut most = 0;
        for (i, first) in starts.iter().enumerate() {
            let inside = starts[i..]
                .iter()
                .take_while(|s| **s < *first + span)
                .count();
            most = most.max(inside);
        }
        most
    }

    #[test]
    fn never_more_than_the_quota_in_any_window() {
        let now = Instant::now();
        let mut window = Window::new(50, SPAN);
        let starts = schedule(&mut window, now, 500);
        assert_eq!(starts.len(), 500);
        assert_eq!(busiest(&starts, SPAN), 50);
        // 500 requests at 50/s: the first 50 at once, then 50 per window.
        assert_eq!(starts[49], now);
        assert_eq!(*starts.last().expect("starts") - now, SPAN * 9);
    }

    #[test]
    fn quotas_can_be_scaled_overridden_or_switched_off() {
        assert_eq!(RateLimits::documented().per_sec(&OP), Some(50));
        assert_eq!(RateLimits::scaled(0.5).per_sec(&OP), Some(25));
        assert_eq!(RateLimits::documented().with("op", 7).per_sec(&OP), Some(7));
        assert_eq!(RateLimits::Off.per_sec(&OP), None);
        assert_eq!(RateLimits::unlimited().per_sec(&OP), None);
        assert_eq!(RateLimits::scaled(f64::INFINITY).per_sec(&OP), None);
        assert_eq!(RateLimits::scaled(f64::NAN).per_sec(&OP), Some(50));
        assert_eq!(RateLimits::scaled(-3.0).per_sec(&OP), Some(1));
        assert_eq!(RateLimits::scaled(f64::NEG_INFINITY).per_sec(&OP), Some(1));
        assert_eq!(
            RateLimits::documented().with("op", u32::MAX).per_sec(&OP),
            None
        );
        let margin = RateLimits::documented().margin(Duration::from_millis(5));
        assert_eq!(margin.window(), Duration::from_millis(1005));
        assert_eq!(RateLimits::documented().window(), SPAN);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_asynchronously_for_a_slot() {
        let limits = RateLimits::documented().with("op", 2);
        let limiter = RateLimiter::new(&limits, &[&OP]);
        let started = Instant::now();
        for _ in 0..5 {
            assert!(limiter.acquire_before(&OP, None).await);
        }
        assert_eq!(started.elapsed(), SPAN * 2);
        // The sixth slot is free now; the seventh, a window later, is past the deadline: it
        // is refused at once and not taken.
        let deadline = Some(Instant::now() + SPAN / 2);
        assert!(limiter.acquire_before(&OP, deadline).await);
        assert!(!limiter.acquire_before(&OP, deadline).await);
        assert_eq!(started.elapsed(), SPAN * 2);
        assert!(limiter.acquire_before(&OP, None).await);
        assert_eq!(started.elapsed(), SPAN * 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_free_slot_is_taken_without_sleeping() {
        let limiter = RateLimiter::new(&RateLimits::documented(), &[&OP]);
        let started = Instant::now();
        for _ in 0..50 {
            // Ready on the first poll: no timer was armed.
            assert_eq!(limiter.acquire_before(&OP, None).now_or_never(), Some(true));
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
        // The 51st must wait, so it is not ready at once.
        assert_eq!(limiter.acquire_before(&OP, None).now_or_never(), None);
    }

    #[test]
    fn a_free_slot_needs_no_runtime_at_all() {
        // Outside any runtime a timer would panic: a free slot touches none.
        let limiter = RateLimiter::new(&RateLimits::documented(), &[&OP]);
        assert_eq!(limiter.acquire_before(&OP, None).now_or_never(), Some(true));
    }

    #[test]
    fn throttling_halves_the_rate_then_recovers_gradually() {
        let now = Instant::now();
        let mut window = Window::new(100, SPAN);
        window.throttled(now);
        // A burst of 429s in one window counts once.
        window.throttled(now + Duration::from_millis(10));
        assert_eq!(window.limit(), 50);
        let starts = schedule(&mut window, now, 60);
        assert_eq!(busiest(&starts, SPAN), 50);
        window.throttled(now + SPAN);
        assert_eq!(window.limit(), 25);
        // Quiet: one halving lifted after the cool-down, the next one window later.
        window.recover(now + SPAN * 3);
        assert_eq!(window.limit(), 50);
        window.recover(now + SPAN * 3 + SPAN / 2);
        assert_eq!(window.limit(), 50);
        window.recover(now + SPAN * 4);
        assert_eq!(window.limit(), 100);
        for _ in 0..10 {
            window.throttled(now + SPAN * 100);
        }
        assert!(window.limit() >= 100 >> MAX_SLOWDOWN);
    }

    proptest! {
        /// Any rate and any spread of arrivals: never more than the limit in any window,
        /// and never more than `BUCKETS + 1` buckets of memory.
        #[test]
        fn the_quota_is_exact_and_memory_bounded(
            per_sec in prop_oneof![1u32..=600, Just(u32::MAX - 1), 1_000u32..=5_000_000],
            gaps_us in proptest::collection::vec(0u64..40_000, 1..400),
        ) {
            let mut window = Window::new(per_sec, SPAN);
            let mut now = Instant::now();
            let mut starts = Vec::new();
            for gap in gaps_us {
                now += Duration::from_micros(gap);
                if let Some(start) = window.reserve(now, None) {
                    prop_assert!(start >= now);
                    starts.push(start);
                }
                prop_assert!(window.buckets.len() as u32 <= BUCKETS + 1);
            }
            prop_assert!(busiest(&starts, SPAN) <= per_sec as usize);
        }

        /// No configuration value panics or allocates in proportion to the rate.
        #[test]
        fn any_configuration_builds(
            scale in prop_oneof![any::<f64>(), Just(f64::INFINITY), Just(f64::NAN), Just(-0.0)],
            per_sec in any::<u32>(),
            margin_ms in any::<u64>(),
        ) {
            let limits = RateLimits::scaled(scale)
                .with("op", per_sec)
                .margin(Duration::from_millis(margin_ms));
            let limiter = RateLimiter::new(&limits, &[&OP]);
            let taken = limiter.acquire_before(&OP, None).now_or_never();
            prop_assert_eq!(taken, Some(true));
        }
    }
}
