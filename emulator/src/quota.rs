//! Server-side rate limits, as the service enforces them per app key: each
//! operation admits at most N requests whose arrivals lie within any one
//! second (a sliding window); a request over the limit is answered 429
//! `reach_limit` with the service's flat error body.
//!
//! The documented quotas are read from the client's operation metadata
//! (`OperationMeta::rate_limit_per_sec`), so the emulator and the client's own
//! limiter can never disagree about them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use agora_chat::operations::OPERATIONS;

use crate::controls::{self, Counters};

/// The length of the window the quotas are counted in.
pub const WINDOW: Duration = Duration::from_secs(1);

/// Which operations the emulator rate limits, and how tightly.
///
/// ```
/// use agora_chat_emulator::Quotas;
/// // The documented quotas, but creates limited to 5 per second.
/// let quotas = Quotas::Documented.with("create_chatroom", 5);
/// assert_eq!(quotas.limit("create_chatroom"), Some(5));
/// assert_eq!(quotas.limit("get_chatrooms"), Some(100));
/// assert_eq!(Quotas::Off.limit("get_chatrooms"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Quotas {
    /// No limits (the default).
    #[default]
    Off,
    /// The service's documented quota of every operation: create, list and
    /// joined 50 per second; details, update and delete 100 per second.
    Documented,
    /// Only these operations (by client operation id, e.g. `create_chatroom`)
    /// are limited, each to its number of requests per second. 0 refuses
    /// every request of that operation.
    PerSecond(HashMap<String, u32>),
}

impl Quotas {
    /// Only these operations are limited.
    pub fn per_second<I, K>(limits: I) -> Self
    where
        I: IntoIterator<Item = (K, u32)>,
        K: Into<String>,
    {
        let limits = limits.into_iter().map(|(op, n)| (op.into(), n));
        Quotas::PerSecond(limits.collect())
    }

    /// The same limits with `operation` limited to `per_sec` requests per
    /// second (from [`Quotas::Off`]: only that operation is limited).
    pub fn with(self, operation: impl Into<String>, per_sec: u32) -> Self {
        let mut limits = match self {
            Quotas::Off => HashMap::new(),
            Quotas::Documented => documented(),
            Quotas::PerSecond(limits) => limits,
        };
        limits.insert(operation.into(), per_sec);
        Quotas::PerSecond(limits)
    }

    /// The limit of `operation` per second; `None` when it is not limited.
    pub fn limit(&self, operation: &str) -> Option<u32> {
        match self {
            Quotas::Off => None,
            Quotas::Documented => controls::operation(operation).map(|op| op.rate_limit_per_sec),
            Quotas::PerSecond(limits) => limits.get(operation).copied(),
        }
    }

    /// Checks that every operation named is one of the client's.
    pub(crate) fn check(&self) -> Result<(), String> {
        let Quotas::PerSecond(limits) = self else {
            return Ok(());
        };
        let mut unknown: Vec<&str> = limits
            .keys()
            .map(String::as_str)
            .filter(|op| controls::operation(op).is_none())
            .collect();
        unknown.sort_unstable();
        match unknown.as_slice() {
            [] => Ok(()),
            _ => Err(format!(
                "unknown operation(s) in the quotas: {}; known: {}",
                unknown.join(", "),
                controls::operation_ids().join(", ")
            )),
        }
    }
}

fn documented() -> HashMap<String, u32> {
    let limits = OPERATIONS
        .iter()
        .map(|op| (op.id.to_owned(), op.rate_limit_per_sec));
    limits.collect()
}

/// The windows of the limited operations, and how many requests each refused.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    windows: HashMap<&'static str, Mutex<Window>>,
    throttled: Counters,
    quotas: Quotas,
}

#[derive(Debug)]
struct Window {
    per_sec: usize,
    /// Arrivals of the admitted requests of the last second, oldest first.
    arrivals: VecDeque<Instant>,
}

impl Window {
    fn admit(&mut self, now: Instant) -> bool {
        while let Some(oldest) = self.arrivals.front() {
            if now.saturating_duration_since(*oldest) < WINDOW {
                break;
            }
            self.arrivals.pop_front();
        }
        let admitted = self.arrivals.len() < self.per_sec;
        if admitted {
            self.arrivals.push_back(now);
        }
        admitted
    }
}

impl Limiter {
    /// Limits for `quotas`; operations that are not the client's are ignored
    /// ([`Quotas::check`] reports them).
    pub(crate) fn new(quotas: &Quotas) -> Self {
        let windows = OPERATIONS.iter().filter_map(|op| {
            let per_sec = usize::try_from(quotas.limit(op.id)?).unwrap_or(usize::MAX);
            let arrivals = VecDeque::with_capacity(per_sec.min(1024));
            Some((op.id, Mutex::new(Window { per_sec, arrivals })))
        });
        Self {
            windows: windows.collect(),
            throttled: Counters::default(),
            quotas: quotas.clone(),
        }
    }

    /// Whether a request of `operation` arriving now is within its quota;
    /// counts it when it is not.
    pub(crate) fn admit(&self, operation: &str) -> bool {
        let Some(window) = self.windows.get(operation) else {
            return true;
        };
        let mut window = window.lock().unwrap_or_else(PoisonError::into_inner);
        let admitted = window.admit(Instant::now());
        if !admitted {
            self.throttled.add(operation);
        }
        admitted
    }

    /// How many requests of `operation` the quota refused.
    pub(crate) fn throttled(&self, operation: &str) -> u64 {
        self.throttled.get(operation)
    }

    pub(crate) fn throttled_counts(&self) -> Vec<(&'static str, u64)> {
        self.throttled.all()
    }

    pub(crate) fn reset_throttled(&self) {
        self.throttled.reset();
    }

    /// Forgets every admitted arrival, so a reset emulator starts with full quotas.
    pub(crate) fn reset_windows(&self) {
        for window in self.windows.values() {
            let mut window = window.lock().unwrap_or_else(PoisonError::into_inner);
            window.arrivals.clear();
        }
    }

    pub(crate) fn quotas(&self) -> &Quotas {
        &self.quotas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(per_sec: usize) -> Window {
        Window {
            per_sec,
            arrivals: VecDeque::new(),
        }
    }

    #[test]
    fn reset_windows_gives_full_quotas_back() {
        let limiter = Limiter::new(&Quotas::per_second([("list_chatrooms", 0)]));
        let op = "list_chatrooms";
        // Fill the window by hand: admit() would judge by the wall clock.
        if let Some(w) = limiter.windows.get(op) {
            let mut w = w.lock().unwrap_or_else(PoisonError::into_inner);
            w.per_sec = 1;
            w.arrivals.push_back(Instant::now());
        }
        limiter.reset_windows();
        let left = limiter
            .windows
            .get(op)
            .map(|w| w.lock().map(|w| w.arrivals.len()));
        assert!(matches!(left, Some(Ok(0))));
    }

    #[test]
    fn at_most_n_arrivals_in_any_second() {
        let mut w = window(3);
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert!(w.admit(at(0)) && w.admit(at(100)) && w.admit(at(200)));
        assert!(!w.admit(at(300)), "a fourth within one second");
        assert!(!w.admit(at(999)), "still within one second of the first");
        // Refused requests do not take a place in the window.
        assert!(w.admit(at(1000)), "the first has left the window");
        assert!(!w.admit(at(1050)));
        assert!(w.admit(at(1100)) && w.admit(at(1200)));
        assert!(!w.admit(at(1999)));
    }

    #[test]
    fn zero_refuses_everything() {
        let mut w = window(0);
        assert!(!w.admit(Instant::now()));
    }

    #[test]
    fn documented_quotas_come_from_the_client() {
        let q = Quotas::Documented;
        let limits: Vec<_> = OPERATIONS
            .iter()
            .take(6)
            .map(|op| (op.id, q.limit(op.id)))
            .collect();
        // The chatroom operations, then the rest (membership and users: 100/s each).
        assert!(
            limits[6..].iter().all(|(_, limit)| *limit == Some(100)),
            "{limits:?}"
        );
        assert_eq!(
            limits[..6],
            [
                ("create_chatroom", Some(50)),
                ("list_chatrooms", Some(50)),
                ("list_joined_chatrooms", Some(50)),
                ("get_chatrooms", Some(100)),
                ("update_chatroom", Some(100)),
                ("delete_chatroom", Some(100)),
            ]
        );
        // Every other operation too, from the same metadata (e.g. the moderation calls).
        for op in OPERATIONS {
            assert_eq!(q.limit(op.id), Some(op.rate_limit_per_sec), "{}", op.id);
        }
        assert_eq!(q.limit("list_chatroom_mutes"), Some(100));
        assert_eq!(q.limit("nope"), None);
    }

    #[test]
    fn custom_limits_replace_or_add() {
        let q = Quotas::Off.with("create_chatroom", 2);
        assert_eq!(q.limit("create_chatroom"), Some(2));
        assert_eq!(q.limit("list_chatrooms"), None);
        let q = Quotas::per_second([("get_chatrooms", 7)]);
        assert_eq!(q.limit("get_chatrooms"), Some(7));
        assert!(q.check().is_ok());
        let bad = Quotas::per_second([("create_room", 1)]).check();
        assert!(bad.is_err_and(|e| e.contains("create_room")));
    }

    #[test]
    fn the_limiter_counts_refusals() {
        let limiter = Limiter::new(&Quotas::Off.with("delete_chatroom", 1));
        assert!(limiter.admit("delete_chatroom"));
        assert!(!limiter.admit("delete_chatroom"));
        assert!(limiter.admit("get_chatrooms"), "not limited");
        assert_eq!(limiter.throttled("delete_chatroom"), 1);
        limiter.reset_throttled();
        assert_eq!(limiter.throttled("delete_chatroom"), 0);
    }
}
