//! The call pipeline: for each attempt a token, a rate-limit slot and the request (all
//! within the call's deadline), then classification, retry with backoff, budget and
//! deadline, and decoding. One non-generic function over bytes (generic only at the decode
//! step), so adding operations does not multiply compile time.

use crate::Client;
use crate::auth::AuthError;
use crate::error::{ApiError, Delivery, Error};
use crate::error_code::RetryClass;
use crate::operation::OperationMeta;
use crate::request::Call;
use crate::response::{RawResponse, Response, decode, decode_error};
use crate::retry::{
    Class, Outcome, RetryPolicy, StopReason, classify, is_quota_throttle, may_retry, stop_reason,
};
use crate::secret::Secret;
use crate::transport::{self, Failure};
use crate::validate::Rule;
use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use std::time::Duration;
use tokio::time::Instant;
use tracing::Instrument;

impl Client {
    /// Runs one call: rate limit, token, send, classify, retry, decode. One span per call.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        call: Call,
    ) -> Result<Response<T>, Error> {
        let op = call.op;
        let span = tracing::debug_span!(
            "agora_chat.call",
            operation = op.id,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        // Entering and leaving a span nobody listens to still costs a call per poll (with
        // tracing's `log` feature, which axum and tower turn on, a check of the logger).
        if span.is_disabled() {
            return decode(op, self.run(&call, &span).await?, call.expected_items);
        }
        let started = Instant::now();
        let raw = self.run(&call, &span).instrument(span.clone()).await;
        span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        decode(op, raw?, call.expected_items)
    }

    /// The retry loop: attempts until one is final, or the attempt limit, the deadline or
    /// the retry budget stops it.
    async fn run(&self, call: &Call, span: &tracing::Span) -> Result<RawResponse, Error> {
        let (op, policy) = (call.op, self.retry_policy());
        let deadline = after(Instant::now(), policy.deadline);
        let mut history = History::default();
        loop {
            history.attempts = history.attempts.saturating_add(1);
            let outcome = self.attempt(call, policy, deadline).await;
            record_attempt(span, history.attempts, &outcome);
            if let (Err(Error::DeadlineExceeded { .. }), Some(last)) =
                (&outcome, history.previous.take())
            {
                history.attempts -= 1;
                return Err(history.stop(StopReason::Deadline).error(op, last));
            }
            let class = classify(view(&outcome));
            self.observe(op, class, &outcome).await;
            let quota_throttle = is_quota_throttle(status(&outcome), class);
            history.delivery = history.delivery.max(outcome_delivery(&outcome));
            if !may_retry(op, class) || policy.max_attempts <= 1 {
                return history.finish(op, outcome);
            }
            let delay = policy.delay(history.attempts, retry_after(&outcome));
            let failure = match outcome {
                Ok(raw) => return Ok(raw),
                Err(err) => err,
            };
            let (attempts, now) = (history.attempts, Instant::now());
            let budget = &self.inner.budget;
            if let Some(reason) = stop_reason(
                policy,
                attempts,
                quota_throttle,
                deadline,
                now,
                delay,
                budget,
            ) {
                return Err(history.stop(reason).error(op, failure));
            }
            tracing::debug!(
                operation = op.id,
                attempt = history.attempts,
                delay_ms = delay.as_millis() as u64,
                ?class,
                "retrying"
            );
            history.may_be_processed |= class == Class::Transient { not_sent: false };
            history.previous = Some(failure);
            tokio::time::sleep(delay).await;
        }
    }

    /// Feeds an attempt's class to the retry budget and the rate limiter.
    async fn observe(
        &self,
        op: &OperationMeta,
        class: Class,
        outcome: &Result<RawResponse, Error>,
    ) {
        if class == Class::Final && outcome.is_ok() {
            self.inner.budget.record_success();
        }
        if class == Class::Throttled {
            // The service counted more than the client did: slow down by itself.
            self.inner.limiter.throttled(op).await;
        }
    }

    /// One attempt: a token, then a slot of the operation's rate limit, then the request,
    /// all within the call's deadline; the token also within the attempt's time limit. A
    /// token the service reports as expired is replaced once and the request sent again
    /// (it was not processed). Answers of 300 and above become errors here, decoded once.
    async fn attempt(
        &self,
        call: &Call,
        policy: &RetryPolicy,
        deadline: Option<Instant>,
    ) -> Result<RawResponse, Error> {
        let op = call.op;
        let limit = earliest(
            deadline,
            after(Instant::now(), Some(policy.attempt_timeout)),
        );
        let token = self.token(op, limit, deadline).await?;
        let failure = match self.send_paced(call, policy, deadline, &token).await? {
            raw if raw.status < 300 => return Ok(raw),
            raw => decode_error(op, raw),
        };
        if is_expired_token(&failure) && self.inner.tokens.invalidate(&token) {
            tracing::debug!(
                operation = op.id,
                "app token expired; retrying with a new one"
            );
            let token = self.token(op, limit, deadline).await?;
            return match self.send_paced(call, policy, deadline, &token).await? {
                raw if raw.status < 300 => Ok(raw),
                raw => Err(decode_error(op, raw)),
            };
        }
        Err(failure)
    }

    /// A token by `limit`. Waiting for one (a refresh in flight, a slow source) ends there:
    /// at the call's deadline as [`Error::DeadlineExceeded`], at the attempt's time limit as
    /// a token timeout (retried like a connection that failed: nothing was sent).
    async fn token(
        &self,
        op: &'static OperationMeta,
        limit: Option<Instant>,
        deadline: Option<Instant>,
    ) -> Result<Secret, Error> {
        // A token at hand (fixed, or cached and fresh) costs no boxed future and no timer.
        if let Some(token) = self.inner.tokens.ready() {
            return Ok(token);
        }
        let mut fetch = self.inner.tokens.token();
        // A source without `ready` may still answer on the first poll: then no timer is
        // made (creating and dropping one takes the runtime's timer lock, shared by every
        // concurrent call).
        let result = match (&mut fetch).now_or_never() {
            Some(ready) => ready,
            None => token_within(fetch, op, limit, deadline).await?,
        };
        result.map_err(|source| Error::Auth {
            operation: op.id,
            source,
        })
    }

    /// Waits for a rate-limit slot (taken last, right before sending, so a slow token
    /// cannot push requests into the next window), then sends within the deadline.
    async fn send_paced(
        &self,
        call: &Call,
        policy: &RetryPolicy,
        deadline: Option<Instant>,
        token: &Secret,
    ) -> Result<RawResponse, Error> {
        let operation = call.op.id;
        if !self.inner.limiter.acquire_before(call.op, deadline).await {
            return Err(Error::DeadlineExceeded { operation });
        }
        let remaining = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        if remaining.is_some_and(|left| left.is_zero()) {
            return Err(Error::DeadlineExceeded { operation });
        }
        let timeout = remaining.map_or(policy.attempt_timeout, |left| {
            left.min(policy.attempt_timeout)
        });
        self.send(call, timeout, token).await
    }

    async fn send(
        &self,
        call: &Call,
        timeout: Duration,
        token: &Secret,
    ) -> Result<RawResponse, Error> {
        let op = call.op;
        let started = Instant::now();
        let request = transport::Request {
            method: op.method.to_http(),
            url: self.url(call)?,
            may_follow_redirects: self.inner.may_follow_redirects,
            bearer: Some(token),
            body: call.body.as_ref(),
            timeout,
            watchdog: &self.inner.watchdog,
            max_body: self.inner.max_response_bytes,
        };
        let answer = transport::send(&self.inner.http, request)
            .await
            .map_err(|failure| transport_error(op.id, failure))?;
        tracing::debug!(
            operation = op.id,
            status = answer.status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "agora-chat call"
        );
        Ok(RawResponse {
            status: answer.status,
            body: answer.body,
            retry_after: answer.retry_after,
        })
    }

    /// The request's URL: the API root joined with the path and query, encoded in one
    /// string sized for the path (queries are short). Joining copies the root's scheme and
    /// host instead of parsing them again, and parses the already-encoded path and query
    /// without changing them; growing a `Url` piece by piece (`set_path`) reallocated a long
    /// path (100 ids) several times, which under concurrent calls cost more in the allocator
    /// than the rest of building the request.
    fn url(&self, call: &Call) -> Result<reqwest::Url, Error> {
        let root = &self.inner.api_root;
        let mut target = String::with_capacity(root.path().len() + call.path.len());
        target.push_str(root.path());
        target.push_str(&call.path);
        if !call.query.is_empty() || !call.extra_query.is_empty() {
            target.push('?');
            let start = target.len();
            target = form_urlencoded::Serializer::for_suffix(target, start)
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())))
                .extend_pairs(call.extra_query.iter().map(|(k, v)| (k, v)))
                .finish();
        }
        // The only way joining an encoded absolute path can fail: more than 4 GiB.
        root.join(&target).map_err(|_| {
            Error::violation(
                call.op,
                "path",
                Rule::UrlTooLong {
                    actual: target.len(),
                },
            )
        })
    }
}

/// Waits for a token fetch that was not ready at once, by `limit`.
async fn token_within(
    fetch: crate::auth::BoxFuture<'_, Result<Secret, AuthError>>,
    op: &'static OperationMeta,
    limit: Option<Instant>,
    deadline: Option<Instant>,
) -> Result<Result<Secret, AuthError>, Error> {
    Ok(match limit {
        Some(limit) => match tokio::time::timeout_at(limit, fetch).await {
            Ok(result) => result,
            Err(_) if deadline == Some(limit) => {
                return Err(Error::DeadlineExceeded { operation: op.id });
            }
            Err(_) => Err(AuthError::TimedOut),
        },
        None => fetch.await,
    })
}

/// `start + span`, or `None` (no limit) when there is no span or the sum does not fit.
fn after(start: Instant, span: Option<Duration>) -> Option<Instant> {
    span.and_then(|span| start.checked_add(span))
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// On the call's own span (not whatever span is current, which may be the caller's).
fn record_attempt(span: &tracing::Span, attempt: u32, outcome: &Result<RawResponse, Error>) {
    if span.is_disabled() {
        return;
    }
    span.record("attempt", attempt);
    match outcome {
        Ok(raw) => span.record("status", raw.status),
        Err(err) => span.record("status", err.status()),
    };
}

/// The HTTP status of an attempt's answer, if it got one.
fn status(outcome: &Result<RawResponse, Error>) -> Option<u16> {
    match outcome {
        Ok(raw) => Some(raw.status),
        Err(Error::Api(api)) => Some(api.status),
        Err(_) => None,
    }
}

fn retry_after(outcome: &Result<RawResponse, Error>) -> Option<Duration> {
    match outcome {
        Err(Error::Api(api)) => api.retry_after,
        _ => None,
    }
}

/// An answer whose code the spec's error table classes as an expired token (401
/// `unauthorized`) asks for one new token; a token the table classes as invalid
/// (`auth_bad_access_token`) is a configuration error and is returned as it is.
fn is_expired_token(failure: &Error) -> bool {
    let Error::Api(api) = failure else {
        return false;
    };
    api.code().is_some_and(|code| {
        code.retry_class() == Some(RetryClass::TokenExpired)
            && code
                .status()
                .is_none_or(|documented| documented == api.status)
    })
}

/// What the attempts so far add up to.
#[derive(Debug, Default)]
struct History {
    attempts: u32,
    delivery: Delivery,
    /// An earlier attempt may have been processed although it failed (no answer, a
    /// server error): a retry may observe its effect.
    may_be_processed: bool,
    /// The failure of the attempt before, reported if the deadline stops the next one.
    previous: Option<Error>,
}

impl History {
    fn stop(&self, reason: StopReason) -> Stop {
        Stop {
            attempts: self.attempts,
            reason,
            delivery: self.delivery,
        }
    }

    /// The result of a call that will not be retried: as it came on the first attempt;
    /// after retries, a failure reports every attempt (the last answer stays reachable), or
    /// [`Error::AlreadyDone`] when the retry observed an earlier attempt's effect.
    fn finish(
        &self,
        op: &'static OperationMeta,
        outcome: Result<RawResponse, Error>,
    ) -> Result<RawResponse, Error> {
        match outcome {
            Err(Error::Api(api)) if self.may_be_processed && observes_done(op, &api) => {
                Err(Error::AlreadyDone {
                    operation: op.id,
                    attempts: self.attempts,
                    last: Box::new(Error::Api(api)),
                })
            }
            Err(err) if self.attempts > 1 => Err(self.stop(StopReason::Final).error(op, err)),
            other => other,
        }
    }
}

/// Whether `api` is the answer by which a retry of `op` sees its own earlier effect.
fn observes_done(op: &OperationMeta, api: &ApiError) -> bool {
    op.retry_observes_done
        .is_some_and(|code| api.code().is_some_and(|got| got.as_str() == code))
}

/// How a retried call ended.
#[derive(Debug, Clone, Copy)]
struct Stop {
    attempts: u32,
    reason: StopReason,
    delivery: Delivery,
}

impl Stop {
    fn error(self, op: &OperationMeta, last: Error) -> Error {
        Error::RetriesExhausted {
            operation: op.id,
            attempts: self.attempts,
            reason: self.reason,
            delivery: self.delivery,
            last: Box::new(last),
        }
    }
}

/// What classification needs to know of an attempt's outcome.
fn view(outcome: &Result<RawResponse, Error>) -> Outcome<'_> {
    match outcome {
        Ok(raw) => Outcome::Response {
            status: raw.status,
            code: None,
        },
        Err(Error::Api(api)) => Outcome::Response {
            status: api.status,
            code: api.code(),
        },
        // No token in the attempt's time: nothing was sent.
        Err(Error::Auth {
            source: AuthError::TimedOut,
            ..
        }) => Outcome::ConnectFailed,
        // A request that could not be built (e.g. a token that is no header value) was not sent.
        Err(Error::Transport { source, .. }) if source.is_builder() => Outcome::Other,
        Err(Error::Transport { source, .. } | Error::Timeout { source, .. })
            if source.is_connect() =>
        {
            Outcome::ConnectFailed
        }
        Err(Error::Timeout { .. }) => Outcome::TimedOut,
        Err(Error::Transport { .. }) => Outcome::Broken,
        Err(_) => Outcome::Other,
    }
}

fn outcome_delivery(outcome: &Result<RawResponse, Error>) -> Delivery {
    match outcome {
        Ok(_) => Delivery::Answered,
        Err(err) => err.delivery(),
    }
}

fn transport_error(operation: &'static str, failure: Failure) -> Error {
    match failure {
        Failure::Http(source) if source.is_timeout() => Error::Timeout {
            operation,
            source: crate::HttpError::new(source),
        },
        Failure::Http(source) => Error::Transport {
            operation,
            source: crate::HttpError::new(source),
        },
        Failure::TimedOut(limit) => Error::Timeout {
            operation,
            source: crate::HttpError::timed_out(limit),
        },
        Failure::TooLarge { status, limit } => Error::ResponseTooLarge {
            operation,
            status,
            limit,
        },
        Failure::Redirect(redirect) => Error::Redirect {
            operation,
            redirect,
        },
    }
}
