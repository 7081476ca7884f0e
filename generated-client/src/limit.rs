//! Client-side rate limiting per operation, from the quotas in the spec. A sliding window of
//! one second (the way the service counts) holds each operation to its quota, shared by all
//! calls of one client (one app key). Waiting is async.

use crate::operation::OperationMeta;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// How fast each operation may be called.
#[derive(Debug, Clone, PartialEq)]
pub enum RateLimits {
    /// The documented quota of each operation, scaled by a factor (1.0 = the quota).
    Documented {
        scale: f64,
        overrides: HashMap<&'static str, u32>,
    },
    /// No client-side limit.
    Off,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::documented()
    }
}

impl RateLimits {
    pub fn documented() -> Self {
        RateLimits::Documented {
            scale: 1.0,
            overrides: HashMap::new(),
        }
    }

    /// A share of every documented quota, e.g. 0.5 when two processes share one app key.
    pub fn scaled(scale: f64) -> Self {
        RateLimits::Documented {
            scale,
            overrides: HashMap::new(),
        }
    }

    /// One operation's limit, per second (by operation id, e.g. `create_chatroom`).
    pub fn with(mut self, operation: &'static str, per_sec: u32) -> Self {
        if let RateLimits::Documented { overrides, .. } = &mut self {
            overrides.insert(operation, per_sec);
        }
        self
    }

    fn per_sec(&self, op: &OperationMeta) -> Option<u32> {
        match self {
            RateLimits::Off => None,
            RateLimits::Documented { scale, overrides } => {
                let quota = overrides
                    .get(op.id)
                    .copied()
                    .unwrap_or(op.rate_limit_per_sec);
                Some(((f64::from(quota) * scale).floor() as u32).max(1))
            }
        }
    }
}

/// The window is a little longer than a second so that requests which leave exactly one
/// second apart cannot arrive inside one second of each other.
const WINDOW: Duration = Duration::from_millis(1010);

#[derive(Debug)]
struct Window {
    per_sec: usize,
    /// Start times of the latest `per_sec` requests (granted, possibly in the future).
    starts: VecDeque<Instant>,
}

/// One sliding window per operation.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    windows: HashMap<&'static str, Mutex<Window>>,
}

impl RateLimiter {
    pub fn new(limits: &RateLimits, operations: &[&OperationMeta]) -> Self {
        let windows = operations
            .iter()
            .filter_map(|op| {
                let per_sec = limits.per_sec(op)? as usize;
                Some((
                    op.id,
                    Mutex::new(Window {
                        per_sec,
                        starts: VecDeque::with_capacity(per_sec),
                    }),
                ))
            })
            .collect();
        Self { windows }
    }

    /// Waits until `op` may start another request within its quota, unless that slot would
    /// start at or after `deadline`: then it is not taken and the answer is `false`, at once.
    pub async fn acquire_before(&self, op: &OperationMeta, deadline: Option<Instant>) -> bool {
        let Some(window) = self.windows.get(op.id) else {
            return true;
        };
        let start = {
            let mut window = window.lock().unwrap_or_else(PoisonError::into_inner);
            window.reserve(Instant::now(), deadline)
        };
        match start {
            Some(start) => {
                tokio::time::sleep_until(start).await;
                true
            }
            None => false,
        }
    }
}

impl Window {
    /// Reserves the earliest start at or after `now` that keeps the window within quota,
    /// unless it would be at or after `deadline`.
    fn reserve(&mut self, now: Instant, deadline: Option<Instant>) -> Option<Instant> {
        let full = self.starts.len() >= self.per_sec;
        let earliest = match self.starts.front() {
            Some(oldest) if full => now.max(*oldest + WINDOW),
            _ => now,
        };
        // Reservations are handed out in order, so the deque stays sorted.
        let start = self
            .starts
            .back()
            .map_or(earliest, |last| earliest.max(*last));
        if deadline.is_some_and(|deadline| start >= deadline) {
            return None;
        }
        if full {
            self.starts.pop_front();
        }
        self.starts.push_back(start);
        Some(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Method, Pagination};

    static OP: OperationMeta = OperationMeta {
        id: "op",
        method: Method::Get,
        path: "/x",
        rate_limit_per_sec: 50,
        retry_safe: true,
        pagination: Pagination::None,
    };

    #[test]
    fn never_more_than_the_quota_in_any_window() {
        let limiter = RateLimiter::new(&RateLimits::documented(), &[&OP]);
        let now = Instant::now();
        let starts: Vec<Instant> = {
            let mut window = limiter
                .windows
                .get("op")
                .map(|w| w.lock().unwrap_or_else(PoisonError::into_inner))
                .expect("window");
            (0..500).filter_map(|_| window.reserve(now, None)).collect()
        };
        for (i, start) in starts.iter().enumerate().skip(50) {
            assert!(
                *start >= starts[i - 50] + WINDOW,
                "request {i} starts too early"
            );
        }
        // 500 requests at 50/s: ten windows, the last starting about nine seconds in.
        let span = *starts.last().expect("starts") - now;
        assert!(
            span >= Duration::from_secs(9) && span < Duration::from_millis(9200),
            "{span:?}"
        );
    }

    #[test]
    fn quotas_can_be_scaled_overridden_or_switched_off() {
        assert_eq!(RateLimits::documented().per_sec(&OP), Some(50));
        assert_eq!(RateLimits::scaled(0.5).per_sec(&OP), Some(25));
        assert_eq!(RateLimits::documented().with("op", 7).per_sec(&OP), Some(7));
        assert_eq!(RateLimits::Off.per_sec(&OP), None);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_asynchronously_for_a_slot() {
        let limits = RateLimits::documented().with("op", 2);
        let limiter = RateLimiter::new(&limits, &[&OP]);
        let started = Instant::now();
        for _ in 0..5 {
            assert!(limiter.acquire_before(&OP, None).await);
        }
        assert_eq!(started.elapsed(), WINDOW * 2);
        // The sixth slot is free now; the seventh, a window later, is past the deadline: it
        // is refused at once and not taken.
        let deadline = Some(Instant::now() + WINDOW / 2);
        assert!(limiter.acquire_before(&OP, deadline).await);
        assert!(!limiter.acquire_before(&OP, deadline).await);
        assert_eq!(started.elapsed(), WINDOW * 2);
        assert!(limiter.acquire_before(&OP, None).await);
        assert_eq!(started.elapsed(), WINDOW * 3);
    }
}
