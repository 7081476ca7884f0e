//! A token cache shared by every source that fetches tokens with a lifetime: it refreshes
//! ahead of expiry (with jitter, so many clients do not refresh at once), lets one caller
//! refresh while the others wait for its result (single flight), and backs off after a
//! failed refresh instead of retrying in a hot loop. The refresh holds its lock only for a
//! bounded time: a fetch that does not end within [`FETCH_TIMEOUT`] is abandoned as a failure,
//! and a caller waiting for it gives up at its own deadline (the pipeline bounds the wait).

use super::access_token::Clock;
use super::{AuthError, BoxFuture};
use crate::secret::Secret;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// The longest a fetch may take before it is abandoned (token requests have shorter limits
/// of their own; this bounds any [`FetchToken`]).
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A token and the Unix seconds it was issued at and expires at.
#[derive(Debug, Clone)]
pub struct FetchedToken {
    /// The token itself.
    pub token: Secret,
    /// When it was issued, in Unix seconds.
    pub issued_at: u64,
    /// When it expires, in Unix seconds.
    pub expires_at: u64,
}

/// Gets a new token: minting locally, or asking a token endpoint.
pub trait FetchToken: Send + Sync + fmt::Debug {
    /// One attempt at a new token; the cache decides when to call it again.
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>>;
}

/// When a cached app token is refreshed: at `refresh_ratio` of its lifetime, minus a random
/// jitter of up to `jitter_ratio` of the lifetime; after a failed refresh, the next attempt
/// waits 1 s, 2 s, 4 s, ... up to `max_backoff_secs` (the old token is used while it is valid).
///
/// ```
/// use agora_chat::auth::{AppCredentials, RefreshPolicy};
///
/// let policy = RefreshPolicy::default()
///     .with_refresh_ratio(0.5)
///     .with_jitter_ratio(0.1)
///     .with_max_backoff_secs(30);
/// let credentials = AppCredentials::new("<app id>", "<app certificate>").refresh_policy(policy);
/// # let _ = credentials;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RefreshPolicy {
    /// The fraction of a token's lifetime after which it is refreshed (0.8 by default).
    pub refresh_ratio: f64,
    /// The largest random amount, as a fraction of the lifetime, by which a refresh comes
    /// earlier (0.05 by default), so that many clients do not refresh at once.
    pub jitter_ratio: f64,
    /// The longest wait between refresh attempts after failures (doubling from 1 s).
    pub max_backoff_secs: u64,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            refresh_ratio: 0.8,
            jitter_ratio: 0.05,
            max_backoff_secs: 60,
        }
    }
}

impl RefreshPolicy {
    /// With tokens refreshed after this fraction of their lifetime (e.g. `0.8`).
    pub fn with_refresh_ratio(mut self, refresh_ratio: f64) -> Self {
        self.refresh_ratio = refresh_ratio;
        self
    }

    /// With refreshes up to this fraction of the lifetime earlier, at random (e.g. `0.05`).
    pub fn with_jitter_ratio(mut self, jitter_ratio: f64) -> Self {
        self.jitter_ratio = jitter_ratio;
        self
    }

    /// With at most this many seconds between refresh attempts after failures.
    pub fn with_max_backoff_secs(mut self, max_backoff_secs: u64) -> Self {
        self.max_backoff_secs = max_backoff_secs;
        self
    }
}

#[derive(Debug, Clone)]
struct Cached {
    token: Secret,
    refresh_at: u64,
    expires_at: u64,
}

#[derive(Debug, Default)]
struct RefreshState {
    failures: u32,
    /// No refresh attempt before this Unix second (after failures).
    next_attempt_at: u64,
    last_error: String,
}

/// Caches the tokens of a [`FetchToken`].
pub struct CachedToken<F> {
    fetch: F,
    clock: Arc<dyn Clock>,
    policy: RefreshPolicy,
    current: Mutex<Option<Cached>>,
    refresh: tokio::sync::Mutex<RefreshState>,
}

impl<F: fmt::Debug> fmt::Debug for CachedToken<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("fetch", &self.fetch)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<F: FetchToken> CachedToken<F> {
    /// An empty cache: the first [`get`](Self::get) fetches.
    pub fn new(fetch: F, clock: Arc<dyn Clock>, policy: RefreshPolicy) -> Self {
        Self {
            fetch,
            clock,
            policy,
            current: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
        }
    }

    /// The cached token if it is fresh now (nothing to wait for), else `None`.
    pub fn ready(&self) -> Option<Secret> {
        self.fresh(self.clock.now_unix())
    }

    /// A token that is fresh now, refreshing it first when due.
    pub async fn get(&self) -> Result<Secret, AuthError> {
        if let Some(token) = self.fresh(self.clock.now_unix()) {
            return Ok(token);
        }
        // Single flight: one caller refreshes, the others wait here and then find it fresh.
        let mut state = self.refresh.lock().await;
        let now = self.clock.now_unix();
        if let Some(token) = self.fresh(now) {
            return Ok(token);
        }
        if now < state.next_attempt_at {
            return self.usable(now).ok_or_else(|| AuthError::Backoff {
                retry_in_secs: state.next_attempt_at - now,
                last_error: state.last_error.clone(),
            });
        }
        let fetched = tokio::time::timeout(FETCH_TIMEOUT, self.fetch.fetch())
            .await
            .unwrap_or(Err(AuthError::TimedOut));
        match fetched {
            Ok(fetched) => {
                *state = RefreshState::default();
                Ok(self.store(fetched))
            }
            Err(err) => {
                state.failures = state.failures.saturating_add(1);
                let backoff = 1u64
                    .checked_shl(state.failures - 1)
                    .unwrap_or(u64::MAX)
                    .min(self.policy.max_backoff_secs);
                state.next_attempt_at = now.saturating_add(backoff);
                state.last_error = err.to_string();
                tracing::warn!(error = %err, retry_in_secs = backoff, "app token refresh failed");
                // A token that has not expired yet is still better than no token.
                self.usable(now).ok_or(err)
            }
        }
    }

    /// Drops `rejected` if it is the cached token; true when a new one can be fetched.
    pub fn invalidate(&self, rejected: &Secret) -> bool {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| c.token == *rejected) {
            *current = None;
        }
        true
    }

    fn fresh(&self, now: u64) -> Option<Secret> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|c| now < c.refresh_at && now < c.expires_at)
            .map(|c| c.token.clone())
    }

    fn usable(&self, now: u64) -> Option<Secret> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|c| now < c.expires_at)
            .map(|c| c.token.clone())
    }

    fn store(&self, fetched: FetchedToken) -> Secret {
        let lifetime = fetched.expires_at.saturating_sub(fetched.issued_at) as f64;
        let jitter = lifetime * self.policy.jitter_ratio * random_unit();
        let refresh_in = (lifetime * self.policy.refresh_ratio - jitter).max(0.0) as u64;
        let cached = Cached {
            token: fetched.token.clone(),
            refresh_at: fetched.issued_at.saturating_add(refresh_in),
            expires_at: fetched.expires_at,
        };
        tracing::debug!(
            expires_at = cached.expires_at,
            refresh_at = cached.refresh_at,
            "app token refreshed"
        );
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(cached);
        fetched.token
    }
}

/// A random number in `[0, 1)`; 0 if the OS has no randomness (no jitter then).
fn random_unit() -> f64 {
    getrandom::u32().map_or(0.0, |r| f64::from(r) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

    #[derive(Debug, Default)]
    struct TestClock(AtomicU64);

    impl Clock for TestClock {
        fn now_unix(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// Counts fetches; fails while `failing` is set.
    #[derive(Debug)]
    struct Counting {
        clock: Arc<TestClock>,
        fetches: AtomicU32,
        failing: std::sync::atomic::AtomicBool,
    }

    impl FetchToken for Arc<Counting> {
        fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
            Box::pin(async move {
                let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                // Let concurrent callers pile up behind the refresh.
                tokio::task::yield_now().await;
                if self.failing.load(Ordering::SeqCst) {
                    return Err(AuthError::Source("token endpoint down".into()));
                }
                let now = self.clock.now_unix();
                Ok(FetchedToken {
                    token: Secret::new(format!("token-{n}")),
                    issued_at: now,
                    expires_at: now + 100,
                })
            })
        }
    }

    fn setup() -> (
        Arc<TestClock>,
        Arc<Counting>,
        Arc<CachedToken<Arc<Counting>>>,
    ) {
        let clock = Arc::new(TestClock(AtomicU64::new(1_000)));
        let counting = Arc::new(Counting {
            clock: clock.clone(),
            fetches: AtomicU32::new(0),
            failing: Default::default(),
        });
        let policy = RefreshPolicy {
            refresh_ratio: 0.8,
            jitter_ratio: 0.0,
            max_backoff_secs: 60,
        };
        let cache = Arc::new(CachedToken::new(counting.clone(), clock.clone(), policy));
        (clock, counting, cache)
    }

    /// The token the cache hands out now, as text.
    async fn current(cache: &CachedToken<Arc<Counting>>) -> Option<String> {
        cache.get().await.ok().map(|t| t.expose().to_owned())
    }

    fn set(clock: &TestClock, now: u64) {
        clock.0.store(now, Ordering::SeqCst);
    }

    #[tokio::test]
    async fn refreshes_at_the_refresh_point_and_not_before() {
        let (clock, counting, cache) = setup();
        assert_eq!(current(&cache).await.as_deref(), Some("token-1"));
        set(&clock, 1_079);
        assert_eq!(current(&cache).await.as_deref(), Some("token-1"));
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 1);
        set(&clock, 1_080);
        assert_eq!(current(&cache).await.as_deref(), Some("token-2"));
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_refresh_for_many_concurrent_callers() {
        let (clock, counting, cache) = setup();
        cache.get().await.ok();
        set(&clock, 1_090);
        let calls: Vec<_> = (0..100)
            .map(|_| {
                tokio::spawn({
                    let cache = cache.clone();
                    async move { cache.get().await.map(|t| t.expose().to_owned()) }
                })
            })
            .collect();
        for call in calls {
            assert_eq!(
                call.await.ok().and_then(Result::ok).as_deref(),
                Some("token-2")
            );
        }
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn backs_off_after_a_failed_refresh() {
        let (clock, counting, cache) = setup();
        cache.get().await.ok();
        counting.failing.store(true, Ordering::SeqCst);
        set(&clock, 1_090);
        // The old token is still valid: served despite the failure, with one attempt only.
        for _ in 0..10 {
            assert_eq!(current(&cache).await.as_deref(), Some("token-1"));
        }
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 2);
        // Expired once the 1 s backoff is over: one new attempt, its error returned.
        set(&clock, 1_100);
        assert!(matches!(cache.get().await, Err(AuthError::Source(_))));
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 3);
        // The backoff doubles (2 s): an error at once, without a new attempt.
        set(&clock, 1_101);
        assert!(matches!(
            cache.get().await,
            Err(AuthError::Backoff {
                retry_in_secs: 1,
                ..
            })
        ));
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 3);
        set(&clock, 1_102);
        assert!(matches!(cache.get().await, Err(AuthError::Source(_))));
        set(&clock, 1_103);
        assert!(matches!(
            cache.get().await,
            Err(AuthError::Backoff {
                retry_in_secs: 3,
                ..
            })
        ));
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 4);
        counting.failing.store(false, Ordering::SeqCst);
        set(&clock, 1_106);
        assert!(cache.get().await.is_ok());
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 5);
    }

    /// Never answers the first fetch; answers the later ones.
    #[derive(Debug, Default)]
    struct StuckOnce(AtomicU32);

    impl FetchToken for StuckOnce {
        fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if n == 0 {
                    std::future::pending::<()>().await;
                }
                Ok(FetchedToken {
                    token: Secret::new("fresh"),
                    issued_at: 1_000,
                    expires_at: 2_000,
                })
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stuck_fetch_is_abandoned_and_a_later_call_fetches_again() {
        let clock = Arc::new(TestClock(AtomicU64::new(1_000)));
        let cache = CachedToken::new(
            StuckOnce::default(),
            clock.clone(),
            RefreshPolicy::default(),
        );
        // The paused clock jumps to the fetch timeout: the stuck fetch fails, lock released.
        assert!(matches!(cache.get().await, Err(AuthError::TimedOut)));
        // After the 1 s backoff, the next call fetches again and gets a token.
        set(&clock, 1_001);
        assert_eq!(
            cache
                .get()
                .await
                .ok()
                .map(|t| t.expose().to_owned())
                .as_deref(),
            Some("fresh")
        );
    }

    #[tokio::test]
    async fn invalidation_forces_a_new_token() {
        let (_clock, counting, cache) = setup();
        let first = cache.get().await.ok();
        assert!(first.as_ref().is_some_and(|t| cache.invalidate(t)));
        assert_eq!(current(&cache).await.as_deref(), Some("token-2"));
        // Invalidating a token that is no longer cached keeps the current one.
        assert!(first.as_ref().is_some_and(|t| cache.invalidate(t)));
        assert_eq!(current(&cache).await.as_deref(), Some("token-2"));
        assert_eq!(counting.fetches.load(Ordering::SeqCst), 2);
    }
}
