//! Sending one call over HTTP: the non-generic part of the pipeline, so adding operations
//! does not multiply compile time.

use crate::Client;
use crate::error::Delivery;
use crate::error::Error;
use crate::operation::OperationMeta;
use crate::request::Call;
use crate::response::decode_error;
use crate::response::{RawResponse, Response, decode};
use crate::retry::{Class, Outcome, RetryPolicy, StopReason, classify, may_retry};
use crate::secret::Secret;
use crate::types::{ErrorBody, ErrorCode};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::time::Duration;
use tokio::time::Instant;
use tracing::Instrument;

const JSON: &str = "application/json";

pub(crate) fn build_http(
    connect_timeout: Duration,
    allow_http: bool,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .https_only(!allow_http)
        .user_agent(concat!("agora-chat-rust/", env!("CARGO_PKG_VERSION")))
        .build()
}

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
        let started = Instant::now();
        let raw = self
            .execute_with_retries(&call)
            .instrument(span.clone())
            .await;
        span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        decode(op, raw?)
    }

    async fn execute_with_retries(&self, call: &Call) -> Result<RawResponse, Error> {
        let (op, policy, budget) = (call.op, self.retry_policy(), &self.inner.budget);
        let deadline = policy.deadline.map(|limit| Instant::now() + limit);
        let mut delivery = Delivery::NotSent;
        let mut attempt: u32 = 0;
        // The failure of the attempt before, reported if the deadline stops the next one.
        let mut previous: Option<Error> = None;
        loop {
            attempt = attempt.saturating_add(1);
            let outcome = self.attempt(call, policy, deadline).await;
            let span = tracing::Span::current();
            span.record("attempt", attempt);
            if let Ok(raw) = &outcome {
                span.record("status", raw.status);
            }
            if let (Err(Error::DeadlineExceeded { .. }), Some(last)) = (&outcome, previous.take()) {
                let stop = Stop {
                    attempts: attempt - 1,
                    reason: StopReason::Deadline,
                    delivery,
                };
                return Err(stop.error(op, last));
            }
            delivery = delivery.max(outcome_delivery(&outcome));
            let class = classify(view(&outcome));
            if class == Class::Final && outcome.as_ref().is_ok_and(|raw| raw.status < 300) {
                budget.record_success();
            }
            if !may_retry(op, class) || policy.max_attempts <= 1 {
                return finish(
                    op,
                    outcome,
                    Stop {
                        attempts: attempt,
                        reason: StopReason::Final,
                        delivery,
                    },
                );
            }
            let delay = policy.delay(
                attempt,
                outcome.as_ref().ok().and_then(|raw| raw.retry_after),
            );
            let reason = if attempt >= policy.max_attempts {
                Some(StopReason::MaxAttempts)
            } else if deadline.is_some_and(|deadline| Instant::now() + delay >= deadline) {
                Some(StopReason::Deadline)
            } else if !budget.try_withdraw() {
                Some(StopReason::Budget)
            } else {
                None
            };
            let failure = outcome.map_or_else(|err| err, |raw| decode_error(op, raw));
            if let Some(reason) = reason {
                return Err(Stop {
                    attempts: attempt,
                    reason,
                    delivery,
                }
                .error(op, failure));
            }
            tracing::debug!(
                operation = op.id,
                attempt,
                delay_ms = delay.as_millis() as u64,
                ?class,
                "retrying"
            );
            previous = Some(failure);
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: a token, then a slot of the operation's rate limit, then the request,
    /// all within the call's deadline. A token the service reports as expired is replaced
    /// once and the request sent again (it was not processed).
    async fn attempt(
        &self,
        call: &Call,
        policy: &RetryPolicy,
        deadline: Option<Instant>,
    ) -> Result<RawResponse, Error> {
        let token = self.token(call.op.id).await?;
        let raw = self.send_paced(call, policy, deadline, &token).await?;
        if is_expired_token(&raw) && self.inner.tokens.invalidate(&token) {
            tracing::debug!(
                operation = call.op.id,
                "app token expired; retrying with a new one"
            );
            let token = self.token(call.op.id).await?;
            return self.send_paced(call, policy, deadline, &token).await;
        }
        Ok(raw)
    }

    async fn token(&self, operation: &'static str) -> Result<Secret, Error> {
        self.inner
            .tokens
            .token()
            .await
            .map_err(|source| Error::Auth { operation, source })
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
        let mut request = self
            .inner
            .http
            .request(op.method.to_http(), self.url(call))
            .timeout(timeout)
            .bearer_auth(token.expose())
            .header(ACCEPT, JSON);
        if let Some(body) = &call.body {
            request = request.header(CONTENT_TYPE, JSON).body(body.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|source| transport_error(op.id, source))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let body = self.read_body(op.id, status, response).await?;
        tracing::debug!(
            operation = op.id,
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "agora-chat call"
        );
        Ok(RawResponse {
            status,
            body,
            retry_after,
        })
    }

    fn url(&self, call: &Call) -> reqwest::Url {
        let mut url = self.inner.api_root.clone();
        let path = format!("{}{}", self.inner.api_root.path(), call.path);
        url.set_path(&path);
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// Reads the body, refusing more than the configured limit instead of exhausting memory.
    async fn read_body(
        &self,
        operation: &'static str,
        status: u16,
        mut response: reqwest::Response,
    ) -> Result<bytes::Bytes, Error> {
        let limit = self.inner.max_response_bytes;
        let too_large = || Error::ResponseTooLarge {
            operation,
            status,
            limit,
        };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|source| transport_error(operation, source))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// A 401 `unauthorized` means the token expired (or was missing); `auth_bad_access_token`
/// means wrong credentials and is returned as it is.
fn is_expired_token(raw: &RawResponse) -> bool {
    raw.status == 401
        && serde_json::from_slice::<ErrorBody>(&raw.body)
            .is_ok_and(|body| body.error == Some(ErrorCode::Unauthorized))
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

/// The result of a call that will not be retried: as it came on the first attempt; after
/// retries, a failure reports every attempt (the last answer stays reachable).
fn finish(
    op: &'static OperationMeta,
    outcome: Result<RawResponse, Error>,
    stop: Stop,
) -> Result<RawResponse, Error> {
    match outcome {
        Ok(raw) if stop.attempts > 1 && raw.status >= 300 => {
            Err(stop.error(op, decode_error(op, raw)))
        }
        Err(err) if stop.attempts > 1 => Err(stop.error(op, err)),
        other => other,
    }
}

/// What classification needs to know of an attempt's outcome.
fn view(outcome: &Result<RawResponse, Error>) -> Outcome<'_> {
    match outcome {
        Ok(raw) => Outcome::Response {
            status: raw.status,
            body: &raw.body,
        },
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

fn transport_error(operation: &'static str, source: reqwest::Error) -> Error {
    if source.is_timeout() {
        Error::Timeout { operation, source }
    } else {
        Error::Transport { operation, source }
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by this service).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}
