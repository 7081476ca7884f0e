//! The attempts' time limits, kept by one timer per client instead of one per attempt.
//!
//! A tokio timer per attempt takes the runtime's timer lock when it is armed and again when
//! it is dropped, and arming one while no other timer is pending wakes the I/O driver. Under
//! 64 concurrent calls that cost 5 to 20% of the throughput (issue 17). Here an attempt
//! writes its deadline and waker into the client's table, and one task per client and
//! runtime, the ticker, sleeps until the earliest deadline and wakes the attempts whose time
//! is up. An attempt checks its own deadline whenever it is polled, so it ends at its
//! deadline, not at the ticker's next look.
//!
//! The ticker runs on the runtime of the attempt that started it; an attempt on another
//! runtime keeps a tokio timer of its own (an idle current-thread runtime would never run
//! the ticker for it). When the ticker's runtime shuts down, the attempts still waiting are
//! woken and start a ticker on their own runtime. With no attempt for [`LINGER`] the ticker
//! ends; the next attempt starts a new one.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::runtime::{Handle, Id};
use tokio::time::{Instant, Sleep};

/// How long the ticker outlives the last attempt.
const LINGER: Duration = Duration::from_secs(30);

/// The time limit passed before the future finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Elapsed;

/// A client's table of attempt deadlines (cheap to create: the ticker starts with the first
/// attempt).
#[derive(Default)]
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Bumped when a ticker ends with attempts still waiting: they register again.
    generation: AtomicU64,
}

#[derive(Default)]
struct State {
    waiters: Vec<Option<Waiter>>,
    free: Vec<usize>,
    ticker: Option<Ticker>,
    /// Numbers the tickers, so an ended one cannot clear its successor.
    tickers_started: u64,
}

struct Waiter {
    deadline: Instant,
    waker: Waker,
}

struct Ticker {
    serial: u64,
    runtime: Id,
    /// When the ticker next looks at the table.
    target: Instant,
    /// The ticker's task, to wake when an earlier deadline arrives.
    waker: Option<Waker>,
    /// An attempt registered since the ticker last looked.
    busy: bool,
}

impl std::fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchdog").finish_non_exhaustive()
    }
}

impl Watchdog {
    /// Runs `future` until `deadline`; `Err(Elapsed)` once the deadline has passed.
    pub(crate) async fn within<F: Future>(
        &self,
        deadline: Instant,
        future: F,
    ) -> Result<F::Output, Elapsed> {
        let mut future = pin!(future);
        let mut limit = Limit {
            shared: &self.shared,
            deadline,
            how: How::Unregistered,
        };
        poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Ok(output));
            }
            limit.poll_elapsed(cx).map(|()| Err(Elapsed))
        })
        .await
    }

    /// Whether a ticker is running (for tests).
    #[cfg(test)]
    fn ticking(&self) -> bool {
        self.shared.lock().ticker.is_some()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; a poisoned table is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One attempt's deadline.
struct Limit<'a> {
    shared: &'a Arc<Shared>,
    deadline: Instant,
    how: How,
}

enum How {
    Unregistered,
    Registered {
        slot: usize,
        waker: Waker,
        generation: u64,
    },
    /// On another runtime than the ticker's: a tokio timer of its own.
    Own(Pin<Box<Sleep>>),
}

impl Limit<'_> {
    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let How::Own(sleep) = &mut self.how {
            return sleep.as_mut().poll(cx);
        }
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let generation = self.shared.generation.load(Ordering::Acquire);
        match &mut self.how {
            How::Registered {
                waker,
                generation: seen,
                ..
            } if *seen == generation && waker.will_wake(cx.waker()) => Poll::Pending,
            _ => self.register(cx, generation),
        }
    }

    /// Writes (or updates) this attempt's entry and makes sure a ticker will look at it.
    fn register(&mut self, cx: &mut Context<'_>, generation: u64) -> Poll<()> {
        let Ok(runtime) = Handle::try_current() else {
            return self.own_timer(cx);
        };
        let waker = cx.waker().clone();
        let slot = match &self.how {
            How::Registered { slot, .. } => Some(*slot),
            _ => None,
        };
        let entry = Waiter {
            deadline: self.deadline,
            waker: waker.clone(),
        };
        let (slot, start) = {
            let mut state = self.shared.lock();
            let Some(start) = state.watch(runtime.id(), self.deadline) else {
                drop(state);
                return self.own_timer(cx);
            };
            (state.put(slot, entry), start)
        };
        self.how = How::Registered {
            slot,
            waker,
            generation,
        };
        // Outside the lock: a task dropped at once (its runtime shutting down) takes it.
        match start {
            Start::Wake(ticker) => ticker.into_iter().for_each(Waker::wake),
            Start::Spawn(serial) => {
                runtime.spawn(tick(Arc::downgrade(self.shared), serial, self.deadline));
                // A runtime that is shutting down drops the task at once.
                if !self.shared.lock().ticking(serial) {
                    return self.own_timer(cx);
                }
            }
        }
        Poll::Pending
    }

    fn own_timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.deregister();
        let mut sleep = Box::pin(tokio::time::sleep_until(self.deadline));
        let poll = sleep.as_mut().poll(cx);
        self.how = How::Own(sleep);
        poll
    }

    fn deregister(&mut self) {
        if let How::Registered { slot, .. } = std::mem::replace(&mut self.how, How::Unregistered) {
            self.shared.lock().remove(slot);
        }
    }
}

impl Drop for Limit<'_> {
    fn drop(&mut self) {
        self.deregister();
    }
}

/// What makes sure a ticker looks at a new entry in time.
enum Start {
    /// The ticker runs on this runtime; wake it (when given) to look earlier.
    Wake(Option<Waker>),
    /// No ticker ran: one is to be spawned with this serial.
    Spawn(u64),
}

impl State {
    /// Makes sure a ticker on `runtime` will look at the table by `deadline`; `None` when
    /// the ticker runs on another runtime.
    fn watch(&mut self, runtime: Id, deadline: Instant) -> Option<Start> {
        match &mut self.ticker {
            Some(ticker) if ticker.runtime != runtime => None,
            Some(ticker) => {
                ticker.busy = true;
                if deadline < ticker.target {
                    ticker.target = deadline;
                    return Some(Start::Wake(ticker.waker.take()));
                }
                Some(Start::Wake(None))
            }
            None => {
                self.tickers_started += 1;
                self.ticker = Some(Ticker {
                    serial: self.tickers_started,
                    runtime,
                    target: deadline,
                    waker: None,
                    busy: true,
                });
                Some(Start::Spawn(self.tickers_started))
            }
        }
    }

    fn ticking(&self, serial: u64) -> bool {
        self.ticker.as_ref().is_some_and(|t| t.serial == serial)
    }

    /// Writes `waiter` into its slot, or a free one.
    fn put(&mut self, slot: Option<usize>, waiter: Waiter) -> usize {
        if let Some(slot) = slot.or_else(|| self.free.pop())
            && let Some(entry) = self.waiters.get_mut(slot)
        {
            *entry = Some(waiter);
            return slot;
        }
        self.waiters.push(Some(waiter));
        self.waiters.len() - 1
    }

    fn remove(&mut self, slot: usize) {
        if let Some(entry) = self.waiters.get_mut(slot)
            && entry.take().is_some()
        {
            self.free.push(slot);
        }
    }

    /// The ticker's look at `now`: the wakers of the attempts whose time is up, and whether
    /// the ticker goes on (it ends after a whole [`LINGER`] without attempts).
    fn expire(&mut self, serial: u64, now: Instant) -> (Vec<Waker>, bool) {
        let Some(ticker) = self.ticker.as_mut().filter(|t| t.serial == serial) else {
            return (Vec::new(), false);
        };
        let mut expired = Vec::new();
        let mut next: Option<Instant> = None;
        for waiter in self.waiters.iter().flatten() {
            if waiter.deadline <= now {
                expired.push(waiter.waker.clone());
            } else {
                next = Some(next.map_or(waiter.deadline, |next| next.min(waiter.deadline)));
            }
        }
        let waiting = self.free.len() < self.waiters.len();
        let going_on = next.is_some() || waiting || ticker.busy;
        ticker.busy = false;
        ticker.target = next.unwrap_or(now + LINGER);
        if !going_on {
            self.ticker = None;
        }
        (expired, going_on)
    }

    /// The ticker `serial` ended without `expire` ending it (its runtime shut down): every
    /// waiting attempt is woken to register again.
    fn orphaned(&mut self, serial: u64) -> Vec<Waker> {
        if !self.ticking(serial) {
            return Vec::new();
        }
        self.ticker = None;
        let waiters = self.waiters.iter().flatten();
        waiters.map(|waiter| waiter.waker.clone()).collect()
    }
}

/// The ticker: sleeps until the table's earliest deadline (or an earlier one registered
/// meanwhile), wakes the attempts whose time is up, and ends when the client is gone or
/// idle.
async fn tick(shared: Weak<Shared>, serial: u64, first: Instant) {
    let _orphaned = OnDrop {
        shared: shared.clone(),
        serial,
    };
    let mut sleep = pin!(tokio::time::sleep_until(first));
    loop {
        if !poll_fn(|cx| wait(&shared, serial, sleep.as_mut(), cx)).await {
            return;
        }
        let Some(table) = shared.upgrade() else {
            return;
        };
        let (expired, going_on) = table.lock().expire(serial, Instant::now());
        expired.into_iter().for_each(Waker::wake);
        if !going_on {
            return;
        }
    }
}

/// One poll of the ticker's sleep, moved to the current target first. `Ready(false)`: the
/// client is gone or another ticker took over.
fn wait(
    shared: &Weak<Shared>,
    serial: u64,
    mut sleep: Pin<&mut Sleep>,
    cx: &mut Context<'_>,
) -> Poll<bool> {
    let Some(table) = shared.upgrade() else {
        return Poll::Ready(false);
    };
    let mut state = table.lock();
    let Some(ticker) = state.ticker.as_mut().filter(|t| t.serial == serial) else {
        return Poll::Ready(false);
    };
    if ticker.target != sleep.deadline() {
        sleep.as_mut().reset(ticker.target);
    }
    if !ticker
        .waker
        .as_ref()
        .is_some_and(|w| w.will_wake(cx.waker()))
    {
        ticker.waker = Some(cx.waker().clone());
    }
    drop(state);
    sleep.poll(cx).map(|()| true)
}

/// Wakes the waiting attempts when the ticker is dropped without ending by itself.
struct OnDrop {
    shared: Weak<Shared>,
    serial: u64,
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        let Some(table) = self.shared.upgrade() else {
            return;
        };
        let orphans = table.lock().orphaned(self.serial);
        if !orphans.is_empty() {
            table.generation.fetch_add(1, Ordering::Release);
        }
        orphans.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::pending;

    fn paused() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap_or_else(|err| panic!("runtime: {err}"))
    }

    /// How long after `start` an attempt that never finishes ends.
    async fn ends_after(watchdog: &Watchdog, start: Instant, limit: Duration) -> Duration {
        let result = watchdog.within(start + limit, pending::<()>()).await;
        assert_eq!(result, Err(Elapsed));
        start.elapsed()
    }

    #[test]
    fn an_attempt_ends_exactly_at_its_deadline() {
        paused().block_on(async {
            let watchdog = Watchdog::default();
            let took = ends_after(&watchdog, Instant::now(), Duration::from_secs(5)).await;
            assert_eq!(took, Duration::from_secs(5));
        });
    }

    #[test]
    fn a_finished_future_is_returned_and_leaves_the_table() {
        paused().block_on(async {
            let watchdog = Watchdog::default();
            let deadline = Instant::now() + Duration::from_secs(5);
            let slow = async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                7
            };
            assert_eq!(watchdog.within(deadline, slow).await, Ok(7));
            let state = watchdog.shared.lock();
            assert_eq!(state.waiters.len(), 1, "one attempt registered");
            assert!(state.waiters.iter().all(Option::is_none), "and left");
        });
    }

    /// Deadlines registered in any order each end on time: an earlier one than the ticker's
    /// current target makes it look earlier. One ticker serves them all.
    #[test]
    fn concurrent_deadlines_in_any_order_each_end_on_time() {
        paused().block_on(async {
            let watchdog = Watchdog::default();
            let start = Instant::now();
            let limits = [7, 3, 9, 1, 5, 3].map(Duration::from_secs);
            let attempts = limits.map(|limit| ends_after(&watchdog, start, limit));
            let took = futures_util::future::join_all(attempts).await;
            assert_eq!(took, limits);
            assert_eq!(watchdog.shared.lock().tickers_started, 1);
        });
    }

    /// The ticker already sleeps towards a later deadline when an earlier one arrives.
    #[test]
    fn an_earlier_deadline_wakes_the_sleeping_ticker() {
        paused().block_on(async {
            let watchdog = Watchdog::default();
            let start = Instant::now();
            let long = ends_after(&watchdog, start, Duration::from_secs(10));
            let short = async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                ends_after(&watchdog, Instant::now(), Duration::from_secs(2)).await
            };
            let (long, short) = tokio::join!(long, short);
            assert_eq!(
                (long, short),
                (Duration::from_secs(10), Duration::from_secs(2))
            );
        });
    }

    #[test]
    fn the_ticker_ends_when_idle_and_the_next_attempt_starts_another() {
        paused().block_on(async {
            let watchdog = Watchdog::default();
            let deadline = Instant::now() + Duration::from_secs(60);
            assert_eq!(watchdog.within(deadline, async {}).await, Ok(()));
            // `async {}` is ready at once: nothing registered, no ticker.
            assert!(!watchdog.ticking());
            let limit = Duration::from_secs(2);
            ends_after(&watchdog, Instant::now(), limit).await;
            assert!(watchdog.ticking());
            tokio::time::sleep(LINGER * 3).await;
            assert!(!watchdog.ticking(), "idle for a whole LINGER");
            let took = ends_after(&watchdog, Instant::now(), limit).await;
            assert_eq!(took, limit);
            assert_eq!(watchdog.shared.lock().tickers_started, 2);
        });
    }

    #[test]
    fn the_ticker_ends_with_its_client() {
        paused().block_on(async {
            let watchdog = Watchdog::default();
            ends_after(&watchdog, Instant::now(), Duration::from_secs(1)).await;
            let table = Arc::downgrade(&watchdog.shared);
            drop(watchdog);
            tokio::task::yield_now().await;
            assert!(
                table.upgrade().is_none(),
                "the ticker holds no strong reference"
            );
        });
    }

    /// An idle current-thread runtime never runs its ticker: an attempt on another runtime
    /// must not rely on it. (Were it to, its paused runtime would have no timer to advance
    /// to, and the outer 10 s limit would end the test.)
    #[test]
    fn an_attempt_on_another_runtime_keeps_its_own_timer() {
        let watchdog = Watchdog::default();
        let idle = paused();
        idle.block_on(async {
            let slow = tokio::time::sleep(Duration::from_millis(1));
            let deadline = Instant::now() + Duration::from_secs(60);
            assert_eq!(watchdog.within(deadline, slow).await, Ok(()));
        });
        assert!(watchdog.ticking(), "the ticker waits on the idle runtime");
        paused().block_on(async {
            let limit = Duration::from_secs(5);
            let attempt = ends_after(&watchdog, Instant::now(), limit);
            let took = tokio::time::timeout(Duration::from_secs(10), attempt).await;
            assert_eq!(took, Ok(limit));
        });
        drop(idle);
    }

    #[test]
    fn a_new_runtime_gets_a_new_ticker_when_the_old_one_is_gone() {
        let watchdog = Watchdog::default();
        paused().block_on(async {
            ends_after(&watchdog, Instant::now(), Duration::from_secs(1)).await;
        });
        // That runtime is dropped, and its ticker with it.
        assert!(!watchdog.ticking());
        paused().block_on(async {
            let limit = Duration::from_secs(3);
            assert_eq!(ends_after(&watchdog, Instant::now(), limit).await, limit);
        });
        assert_eq!(watchdog.shared.lock().tickers_started, 2);
    }
}
