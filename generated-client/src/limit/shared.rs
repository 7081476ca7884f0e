//! The Redis rate-limit backend (feature `redis`): the per-operation sliding windows of one
//! app key kept in Redis, so that every process configured with the same Redis URL and app
//! shares the service's quotas instead of each pacing only itself.
//!
//! One Lua script decides a slot atomically in one round trip, on Redis's clock: it forgets
//! starts older than the window, reserves the earliest start that keeps the window within
//! the limit (spaced evenly: see `RESERVE`) and answers how long to wait for it (the
//! caller sleeps that long: no polling).
//! A `reach_limit` 429 seen by any process sets a short shared penalty that halves the
//! operation's limit for every process. When Redis is slow or down, calls pace themselves
//! on a local limiter at a share of the quota (a `tracing` warning says so) and go back to
//! Redis once it answers again; no call waits for Redis past its deadline.

use super::{RateLimiter, RateLimits};
use crate::operation::OperationMeta;
use crate::secret::Secret;
use redis::aio::MultiplexedConnection;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// Reserves the earliest start within the limit, on Redis's clock, or refuses when the
/// wait would reach `max_wait_us` (-1: no deadline). Answers the wait in µs, or -1.
///
/// Starts are also spaced by at least window / limit: a burst of a whole window's quota
/// from many processes would queue at the service and arrive spread out, the late ones
/// in the next window with the next burst (measured: 429s at 4 processes); evenly spaced
/// starts arrive as they were scheduled, and the rate is the same.
///
/// KEYS[1]: the operation's starts (a sorted set, score = start in µs); KEYS[2]: its
/// penalty flag. ARGV: limit, window in µs, max_wait_us, a unique member name.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then
  limit = math.max(1, math.floor(limit / 2))
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
local start = now
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  start = math.max(start, tonumber(last[2]) + math.floor(span / limit))
end
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local gate = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  start = math.max(start, tonumber(gate[2]) + span)
end
local wait = start - now
local max_wait = tonumber(ARGV[3])
if max_wait >= 0 and wait >= max_wait then
  return -1
end
redis.call('ZADD', KEYS[1], start, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil((wait + span) / 1000) + 1)
return wait
";

/// How the client shares its rate limits through Redis. The URL may hold a password: it
/// never appears in `Debug` output or logs.
#[derive(Clone)]
pub struct RedisLimits {
    url: Secret,
    fallback_share: f64,
    timeout: Duration,
    recheck: Duration,
    penalty: Duration,
}

impl fmt::Debug for RedisLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimits")
            .field("url", &self.url)
            .field("fallback_share", &self.fallback_share)
            .field("timeout", &self.timeout)
            .field("recheck", &self.recheck)
            .field("penalty", &self.penalty)
            .finish()
    }
}

impl RedisLimits {
    /// Shares the quotas through the Redis server at `url` (`redis://host:port/db`).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: Secret::new(url),
            fallback_share: 0.25,
            timeout: Duration::from_millis(250),
            recheck: Duration::from_secs(1),
            penalty: Duration::from_secs(2),
        }
    }

    /// The share of each quota this process uses on its own while Redis is unreachable
    /// (0.25 by default; `1 / N` when N processes share the app key).
    pub fn fallback_share(mut self, share: f64) -> Self {
        self.fallback_share = share;
        self
    }

    /// The longest a slot decision waits for Redis before the local fallback decides
    /// (250 ms by default); never past the call's deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long after a failure Redis is tried again (1 s by default).
    pub fn recheck_after(mut self, recheck: Duration) -> Self {
        self.recheck = recheck;
        self
    }

    /// How long a `reach_limit` 429 halves the operation's limit for every process
    /// (2 s by default).
    pub fn penalty(mut self, penalty: Duration) -> Self {
        self.penalty = penalty;
        self
    }
}

/// A URL Redis cannot use; its text is left out, as it may hold a password.
#[derive(Debug, thiserror::Error)]
#[error("invalid Redis URL ({kind:?}): expected redis://[:password@]host[:port][/db]")]
pub struct InvalidRedisUrl {
    kind: redis::ErrorKind,
}

/// The keys of one operation in Redis.
#[derive(Debug)]
struct Keys {
    starts: String,
    penalty: String,
}

/// Whether Redis is answering, as far as this process knows.
#[derive(Debug, Clone, Copy)]
enum Health {
    Up,
    /// Down; tried again by the first call at or after `recheck_at`.
    Down {
        recheck_at: Instant,
    },
}

/// Who decided a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Redis: wait this long, then start.
    Shared(Duration),
    /// Redis: no slot before the deadline.
    Refused,
    /// Redis did not answer in time: the local fallback decides.
    Fallback,
}

/// The windows of every limited operation, in Redis; a local limiter for when it is down.
pub(crate) struct SharedLimiter {
    client: redis::Client,
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    script: redis::Script,
    limits: HashMap<&'static str, (u32, Keys)>,
    span_us: u64,
    config: RedisLimits,
    fallback: RateLimiter,
    health: Mutex<Health>,
    /// Names this process's reservations apart from every other process's.
    member_prefix: String,
    sequence: AtomicU64,
}

impl fmt::Debug for SharedLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedLimiter")
            .field("config", &self.config)
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

impl SharedLimiter {
    /// Windows in Redis for the operations `limits` limits; `scope` names the app (its
    /// API root), so that only clients of the same app share them. Connects lazily.
    pub fn new(
        config: RedisLimits,
        limits: &RateLimits,
        operations: &[&OperationMeta],
        scope: &str,
    ) -> Result<Self, InvalidRedisUrl> {
        let client = redis::Client::open(config.url.expose())
            .map_err(|e| InvalidRedisUrl { kind: e.kind() })?;
        let keys = |op: &str| Keys {
            // One hash tag per operation: both keys of a script in one Redis Cluster slot.
            starts: format!("agora-chat:limit:{{{scope}|{op}}}"),
            penalty: format!("agora-chat:penalty:{{{scope}|{op}}}"),
        };
        let per_op = operations
            .iter()
            .filter_map(|op| Some((op.id, (limits.per_sec(op)?, keys(op.id)))))
            .collect();
        let fallback = RateLimiter::new(&limits.share(config.fallback_share), operations);
        Ok(Self {
            client,
            connection: tokio::sync::Mutex::new(None),
            script: redis::Script::new(RESERVE),
            limits: per_op,
            span_us: u64::try_from(limits.window().as_micros()).unwrap_or(u64::MAX),
            config,
            fallback,
            health: Mutex::new(Health::Up),
            member_prefix: format!(
                "{:08x}",
                getrandom::u32().unwrap_or_else(|_| fallback_salt())
            ),
            sequence: AtomicU64::new(0),
        })
    }

    /// Waits until `op` may start within the shared quota, unless that start would be at
    /// or after `deadline` (then `false`, at once). Redis decides when it answers in time;
    /// otherwise the local fallback does.
    pub async fn acquire_before(&self, op: &OperationMeta, deadline: Option<Instant>) -> bool {
        match self.decide(op, deadline).await {
            Decision::Shared(wait) => {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                true
            }
            Decision::Refused => false,
            Decision::Fallback => self.fallback.acquire_locally(op, deadline).await,
        }
    }

    /// The decision for one slot of `op`, taken in Redis when it is up (or due a recheck)
    /// and answers by the earlier of the Redis timeout and `deadline`.
    pub(crate) async fn decide(&self, op: &OperationMeta, deadline: Option<Instant>) -> Decision {
        let Some((limit, keys)) = self.limits.get(op.id) else {
            return Decision::Shared(Duration::ZERO);
        };
        let now = Instant::now();
        if !self.may_try_redis(now) {
            return Decision::Fallback;
        }
        let max_wait = deadline.map(|d| d.saturating_duration_since(now));
        // Redis gets its timeout, but at most half the time left: the fallback then still
        // has the other half to decide within the deadline.
        let own_limit = now.checked_add(self.config.timeout);
        let call_limit = max_wait.and_then(|left| now.checked_add(left / 2));
        let answer_by = earliest(own_limit, call_limit);
        let reserve = self.reserve(*limit, keys, max_wait);
        let answer = match answer_by {
            Some(by) => tokio::time::timeout_at(by, reserve).await.ok(),
            None => Some(reserve.await),
        };
        let answer = match answer {
            Some(answer) => answer,
            // Cut short by the call's deadline, not Redis's timeout: no verdict on Redis.
            None if answer_by != own_limit => return Decision::Fallback,
            None => Err(RedisFailure::TimedOut),
        };
        match answer {
            Ok(wait_us) => {
                self.mark_up();
                u64::try_from(wait_us).map_or(Decision::Refused, |us| {
                    Decision::Shared(Duration::from_micros(us))
                })
            }
            Err(failure) => {
                self.mark_down(op, &failure);
                Decision::Fallback
            }
        }
    }

    /// One script call: the wait in µs, or -1 when refused.
    async fn reserve(
        &self,
        limit: u32,
        keys: &Keys,
        max_wait: Option<Duration>,
    ) -> Result<i64, RedisFailure> {
        let mut connection = self.connection().await?;
        let max_wait_us = max_wait.map_or(-1, |w| i64::try_from(w.as_micros()).unwrap_or(i64::MAX));
        let member = format!(
            "{}:{}",
            self.member_prefix,
            self.sequence.fetch_add(1, Ordering::Relaxed)
        );
        let answer = self
            .script
            .key(&keys.starts)
            .key(&keys.penalty)
            .arg(limit)
            .arg(self.span_us)
            .arg(max_wait_us)
            .arg(member)
            .invoke_async(&mut connection)
            .await;
        answer.map_err(|e| self.failed(e))
    }

    /// The service throttled `op` anyway: every process slows down for the penalty (and
    /// this process's fallback too). Bounded by the Redis timeout; a failure is logged.
    pub async fn throttled(&self, op: &OperationMeta) {
        self.fallback.throttled_locally(op);
        let Some((_, keys)) = self.limits.get(op.id) else {
            return;
        };
        if !self.may_try_redis(Instant::now()) {
            return;
        }
        let penalty_ms = u64::try_from(self.config.penalty.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let set = async {
            let mut connection = self.connection().await?;
            redis::cmd("SET")
                .arg(&keys.penalty)
                .arg(1)
                .arg("PX")
                .arg(penalty_ms)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| self.failed(e))
        };
        let result = tokio::time::timeout(self.config.timeout, set)
            .await
            .unwrap_or(Err(RedisFailure::TimedOut));
        if let Err(failure) = result {
            self.mark_down(op, &failure);
        }
    }

    /// The connection, opened on first use or after a failure dropped it.
    async fn connection(&self) -> Result<MultiplexedConnection, RedisFailure> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = self
            .client
            .get_multiplexed_async_connection()
            .await
            .map_err(RedisFailure::Redis)?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// A Redis error; a broken connection is dropped, so the next try reconnects.
    fn failed(&self, error: redis::RedisError) -> RedisFailure {
        let broken = error.is_connection_dropped() || error.is_io_error() || error.is_timeout();
        if broken && let Ok(mut slot) = self.connection.try_lock() {
            *slot = None;
        }
        RedisFailure::Redis(error)
    }

    /// Whether to ask Redis now: it is up, or down and due a recheck (which this call
    /// claims, so that other calls keep using the fallback meanwhile).
    fn may_try_redis(&self, now: Instant) -> bool {
        let mut health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        match *health {
            Health::Up => true,
            Health::Down { recheck_at } if now >= recheck_at => {
                let next = now.checked_add(self.config.recheck).unwrap_or(recheck_at);
                *health = Health::Down { recheck_at: next };
                true
            }
            Health::Down { .. } => false,
        }
    }

    fn mark_up(&self) {
        let mut health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        if let Health::Down { .. } = *health {
            tracing::info!("Redis rate limiter answers again: sharing the quotas through it");
        }
        *health = Health::Up;
    }

    /// Switches to the local fallback until the next recheck; says so once per outage.
    fn mark_down(&self, op: &OperationMeta, failure: &RedisFailure) {
        let was_up = {
            let mut health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
            let was_up = matches!(*health, Health::Up);
            let recheck_at = Instant::now().checked_add(self.config.recheck);
            if let Some(recheck_at) = recheck_at {
                *health = Health::Down { recheck_at };
            }
            was_up
        };
        if was_up {
            tracing::warn!(
                operation = op.id,
                error = %failure,
                fallback_share = self.config.fallback_share,
                "Redis rate limiter unavailable: pacing locally at a share of the quota until it answers again"
            );
        } else {
            tracing::debug!(operation = op.id, error = %failure, "Redis rate limiter still unavailable");
        }
        if matches!(failure, RedisFailure::TimedOut) {
            // A connection that did not answer in time may be stuck: start afresh (unless
            // another call holds it, connecting anew already).
            if let Ok(mut slot) = self.connection.try_lock() {
                *slot = None;
            }
        }
    }
}

/// Why Redis could not decide.
#[derive(Debug, thiserror::Error)]
enum RedisFailure {
    #[error("no answer in time")]
    TimedOut,
    #[error("{0}")]
    Redis(redis::RedisError),
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A process-unique-enough salt when the OS has no randomness to give.
fn fallback_salt() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos ^ std::process::id()
}

/// The real `redis-server` the tests start (shared with the integration tests).
#[cfg(test)]
#[path = "../../tests/redis_server/mod.rs"]
mod redis_server;

#[cfg(test)]
mod tests {
    //! Against a real `redis-server` started per test (see `tests/redis_server`). Each
    //! limiter stands for one process: its own connection and reservation names.
    use super::*;
    use crate::operation::{Method, Pagination, Payload};
    use std::io::Write;
    use std::sync::Arc;

    use super::redis_server::RedisServer;

    static OP: OperationMeta = OperationMeta {
        id: "op",
        method: Method::Post,
        path: "/x",
        rate_limit_per_sec: 50,
        retry_safe: false,
        retry_observes_done: None,
        pagination: Pagination::None,
        payload: Payload::Data,
    };

    /// 4 per window; a window of 31 s so that no test depends on how fast it runs.
    fn limits() -> RateLimits {
        RateLimits::documented()
            .with("op", 4)
            .margin(Duration::from_secs(30))
    }

    fn process(config: RedisLimits) -> SharedLimiter {
        SharedLimiter::new(config, &limits(), &[&OP], "http://emulator/demo/app")
            .expect("a valid Redis URL")
    }

    fn wait_of(decision: Decision) -> Duration {
        match decision {
            Decision::Shared(wait) => wait,
            other => panic!("Redis did not decide: {other:?}"),
        }
    }

    /// Everything the tracing subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            String::from_utf8_lossy(&bytes).into_owned()
        }

        fn install(&self) -> tracing::subscriber::DefaultGuard {
            let writer = self.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::INFO)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_default(subscriber)
        }
    }

    /// A second connection, for what a test does to Redis behind the limiters' backs.
    async fn control(server: &RedisServer) -> MultiplexedConnection {
        let client = redis::Client::open(server.url()).expect("url");
        client
            .get_multiplexed_async_connection()
            .await
            .expect("control connection")
    }

    #[tokio::test]
    async fn processes_share_one_window() {
        let server = RedisServer::start();
        let (a, b) = (
            process(RedisLimits::new(server.url())),
            process(RedisLimits::new(server.url())),
        );
        // 4 slots a window between both processes, spaced evenly (a window / 4); the
        // fifth waits for the first to leave the window, whichever process asks.
        let mut waits = Vec::new();
        for limiter in [&a, &b, &a, &b, &b] {
            waits.push(wait_of(limiter.decide(&OP, None).await));
        }
        assert_eq!(waits[0], Duration::ZERO);
        assert!(waits[1] > Duration::from_secs(5), "{waits:?}");
        assert!(waits.windows(2).all(|w| w[0] < w[1]), "{waits:?}");
        assert!(waits[4] > Duration::from_secs(25), "{waits:?}");
        // A wait past the deadline is refused and takes nothing: still 5 starts in Redis.
        let soon = Some(Instant::now() + Duration::from_secs(5));
        assert_eq!(a.decide(&OP, soon).await, Decision::Refused);
        let mut connection = control(&server).await;
        let starts: u64 = redis::cmd("ZCARD")
            .arg(&a.limits["op"].1.starts)
            .query_async(&mut connection)
            .await
            .expect("ZCARD");
        assert_eq!(starts, 5);
    }

    #[tokio::test]
    async fn a_429_in_one_process_halves_the_limit_for_all() {
        let server = RedisServer::start();
        let penalty = Duration::from_secs(60);
        let a = process(RedisLimits::new(server.url()).penalty(penalty));
        let b = process(RedisLimits::new(server.url()));
        a.throttled(&OP).await;
        // B never saw a 429 and gets 2 slots of 4 a window (spaced by half a window), then
        // waits for the first to leave it.
        assert_eq!(wait_of(b.decide(&OP, None).await), Duration::ZERO);
        let second = wait_of(b.decide(&OP, None).await);
        assert!(second > Duration::from_secs(12), "{second:?}");
        let third = wait_of(b.decide(&OP, None).await);
        assert!(third > Duration::from_secs(25), "{third:?}");
        // The penalty is short: it expires by itself in Redis.
        let mut connection = control(&server).await;
        let key = &b.limits["op"].1.penalty;
        let ttl: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut connection)
            .await
            .expect("PTTL");
        assert!(ttl > 0 && ttl <= 60_000, "{ttl}");
    }

    #[tokio::test]
    async fn down_falls_back_with_a_warning_and_comes_back() {
        let captured = Captured::default();
        let _guard = captured.install();
        let mut server = RedisServer::start();
        let port = server.port();
        let config = RedisLimits::new(server.url()).recheck_after(Duration::ZERO);
        let limiter = process(config.fallback_share(0.5));
        assert_eq!(wait_of(limiter.decide(&OP, None).await), Duration::ZERO);
        server.stop();
        assert_eq!(limiter.decide(&OP, None).await, Decision::Fallback);
        assert!(captured.text().contains("Redis rate limiter unavailable"));
        // The fallback paces at its share: 2 of the 4 slots, then it would wait.
        let deadline = Some(Instant::now() + Duration::from_secs(10));
        assert!(limiter.acquire_before(&OP, deadline).await);
        assert!(limiter.acquire_before(&OP, deadline).await);
        assert!(!limiter.acquire_before(&OP, deadline).await);
        // One warning per outage, however many calls it touches.
        assert_eq!(captured.text().matches("unavailable").count(), 1);
        let _server = RedisServer::start_on(port);
        assert_eq!(wait_of(limiter.decide(&OP, None).await), Duration::ZERO);
        assert!(captured.text().contains("answers again"));
    }

    #[tokio::test]
    async fn slow_redis_never_holds_a_call_past_its_deadline() {
        let captured = Captured::default();
        let _guard = captured.install();
        let server = RedisServer::start();
        let config = RedisLimits::new(server.url()).timeout(Duration::from_millis(500));
        let limiter = process(config.recheck_after(Duration::from_secs(3600)));
        assert_eq!(wait_of(limiter.decide(&OP, None).await), Duration::ZERO);
        // Redis stops answering (every command is held for 60 s).
        let mut connection = control(&server).await;
        redis::cmd("CLIENT")
            .arg("PAUSE")
            .arg(60_000)
            .arg("ALL")
            .query_async::<()>(&mut connection)
            .await
            .expect("CLIENT PAUSE");
        // The deadline is 8 s away: Redis gets its 500 ms, then the fallback decides.
        let deadline = Instant::now() + Duration::from_secs(8);
        assert!(limiter.acquire_before(&OP, Some(deadline)).await);
        assert!(Instant::now() < deadline);
        assert!(captured.text().contains("Redis rate limiter unavailable"));
        // Until the recheck, calls go straight to the fallback.
        assert_eq!(
            limiter.decide(&OP, Some(deadline)).await,
            Decision::Fallback
        );

        // A deadline shorter than the Redis timeout: Redis gets half the time left.
        let limiter = process(RedisLimits::new(server.url()).timeout(Duration::from_secs(30)));
        let deadline = Instant::now() + Duration::from_secs(4);
        assert!(limiter.acquire_before(&OP, Some(deadline)).await);
        assert!(Instant::now() < deadline);
    }
}
