//! Sending one call over HTTP: the non-generic part of the pipeline, so adding operations
//! does not multiply compile time.

use crate::Client;
use crate::error::Error;
use crate::request::Call;
use crate::response::{RawResponse, Response, decode};
use crate::secret::Secret;
use crate::types::{ErrorBody, ErrorCode};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

const JSON: &str = "application/json";

pub(crate) fn build_http(
    connect_timeout: Duration,
    timeout: Duration,
    allow_http: bool,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .https_only(!allow_http)
        .user_agent(concat!("agora-chat-rust/", env!("CARGO_PKG_VERSION")))
        .build()
}

impl Client {
    /// Runs one call: token, send, decode. A token the service reports as expired is
    /// replaced once and the call sent again (the service did not process it).
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        call: Call,
    ) -> Result<Response<T>, Error> {
        let op = call.op;
        let (raw, token) = self.send(&call).await?;
        if is_expired_token(&raw) && self.inner.tokens.invalidate(&token) {
            tracing::debug!(
                operation = op.id,
                "app token expired; retrying with a new one"
            );
            let (raw, _) = self.send(&call).await?;
            return decode(op, raw);
        }
        decode(op, raw)
    }

    async fn send(&self, call: &Call) -> Result<(RawResponse, Secret), Error> {
        let op = call.op;
        let started = Instant::now();
        let token = self
            .inner
            .tokens
            .token()
            .await
            .map_err(|source| Error::Auth {
                operation: op.id,
                source,
            })?;
        let mut request = self
            .inner
            .http
            .request(op.method.to_http(), self.url(call))
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
        Ok((
            RawResponse {
                status,
                body,
                retry_after,
            },
            token,
        ))
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
