//! The emulator's clock: it decides when tokens expire. Response timestamps
//! (`timestamp`, `created`) always use the system time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

pub use agora_chat::auth::access_token::{Clock, FixedClock, SystemClock};

/// A clock that stands still until told to move; clones share one time, so a
/// test can keep a clone and advance the emulator's clock from outside.
///
/// ```
/// use agora_chat_emulator::{Clock, ManualClock};
/// let clock = ManualClock::new(1_700_000_000);
/// let shared = clock.clone();
/// shared.advance(std::time::Duration::from_secs(60));
/// assert_eq!(clock.now_unix(), 1_700_000_060);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at `now_unix` seconds since the Unix epoch.
    pub fn new(now_unix: u64) -> Self {
        Self(Arc::new(AtomicU64::new(now_unix)))
    }

    /// A clock at the current system time.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now_unix())
    }

    /// Moves the clock to `now_unix`.
    pub fn set(&self, now_unix: u64) {
        self.0.store(now_unix, Ordering::SeqCst);
    }

    /// Moves the clock forward by whole seconds of `by` (saturating).
    pub fn advance(&self, by: Duration) {
        let secs = by.as_secs();
        // The closure always returns Some, so this cannot fail.
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(secs))
            });
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Any clock, shareable and printable (for the builder's `Debug`).
#[derive(Clone)]
pub(crate) struct SharedClock(pub(crate) Arc<dyn Clock>);

impl SharedClock {
    pub(crate) fn now_unix(&self) -> u64 {
        self.0.now_unix()
    }
}

impl Default for SharedClock {
    fn default() -> Self {
        Self(Arc::new(SystemClock))
    }
}

impl fmt::Debug for SharedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock(now_unix = {})", self.now_unix())
    }
}

/// The configured clock plus an offset the test controls move (`set`, `advance`), so the
/// clock can be moved from outside the process (over HTTP) whatever clock was configured.
#[derive(Debug, Clone, Default)]
pub(crate) struct ControlledClock {
    base: SharedClock,
    offset_secs: Arc<AtomicI64>,
}

impl ControlledClock {
    pub(crate) fn new(base: SharedClock) -> Self {
        Self {
            base,
            offset_secs: Arc::default(),
        }
    }

    /// The configured clock's time plus the offset, in `0..=u64::MAX`.
    pub(crate) fn now_unix(&self) -> u64 {
        let base = i128::from(self.base.now_unix());
        let now = base + i128::from(self.offset_secs.load(Ordering::SeqCst));
        u64::try_from(now.max(0)).unwrap_or(u64::MAX)
    }

    /// Moves the clock so that it reads `now_unix` now (it keeps running with the base).
    pub(crate) fn set(&self, now_unix: u64) {
        let offset = i128::from(now_unix) - i128::from(self.base.now_unix());
        let offset = i64::try_from(offset).unwrap_or(if offset < 0 { i64::MIN } else { i64::MAX });
        self.offset_secs.store(offset, Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs` (saturating).
    pub(crate) fn advance(&self, secs: u64) {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        // The closure always returns Some, so this cannot fail.
        let _ = self
            .offset_secs
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(secs))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_shared_and_saturates() {
        let clock = ManualClock::new(10);
        let other = clock.clone();
        other.advance(Duration::from_millis(2_999));
        assert_eq!(clock.now_unix(), 12);
        clock.set(u64::MAX - 1);
        other.advance(Duration::from_secs(5));
        assert_eq!(clock.now_unix(), u64::MAX);
    }

    #[test]
    fn controlled_clock_moves_any_base() {
        let base = ManualClock::new(100);
        let clock = ControlledClock::new(SharedClock(Arc::new(base.clone())));
        clock.advance(5);
        assert_eq!(clock.now_unix(), 105);
        base.advance(Duration::from_secs(1));
        assert_eq!(clock.now_unix(), 106, "the base keeps running");
        clock.set(50);
        assert_eq!(clock.now_unix(), 50);
        // Far moves saturate instead of wrapping or panicking.
        clock.advance(u64::MAX);
        clock.advance(u64::MAX);
        assert!(clock.now_unix() > 1 << 62);
        clock.set(0);
        assert_eq!(clock.now_unix(), 0);
    }
}
