//! HTTP through reqwest, and nothing else: build a client that follows no redirect, send one
//! request within a time limit, read its body within a size limit, and refuse a redirect
//! (also one a user-supplied client followed). The call pipeline is in `orchestrator`.

use crate::secret::Secret;
use crate::watchdog::Watchdog;
use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};
use std::time::Duration;

const JSON: &str = "application/json";

/// A client for the API and the token endpoint. It follows no redirect: the service never
/// redirects, and a redirect could carry a body or credentials to another origin.
/// Its TLS stack is the one the crate's features select (`crate::tls`).
pub(crate) fn build_http(
    connect_timeout: Duration,
    allow_http: bool,
) -> Result<reqwest::Client, crate::HttpError> {
    let builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .https_only(!allow_http)
        .user_agent(concat!("agora-chat-rust/", env!("CARGO_PKG_VERSION")));
    crate::tls::configure(builder)
        .map_err(crate::HttpError::tls)?
        .build()
        .map_err(crate::HttpError::new)
}

/// One request to send.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub method: reqwest::Method,
    pub url: reqwest::Url,
    /// The HTTP client may follow redirects (one the user supplied): an answer from another
    /// URL than `url` is then refused. A client built here follows none.
    pub may_follow_redirects: bool,
    pub bearer: Option<&'a Secret>,
    /// A JSON body.
    pub body: Option<&'a Bytes>,
    /// From sending to the end of the body.
    pub timeout: Duration,
    /// Keeps the time limit (one timer per client, not one per request).
    pub watchdog: &'a Watchdog,
    /// The largest body accepted.
    pub max_body: usize,
}

/// An answer, read whole within the limit; never a redirect.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Bytes,
    pub retry_after: Option<Duration>,
}

/// Why no answer could be had.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Sending, or reading the body, failed.
    Http(reqwest::Error),
    /// No whole answer within the time limit.
    TimedOut(Duration),
    /// The body is longer than the limit.
    TooLarge { status: u16, limit: usize },
    /// The answer is a redirect (or a user-supplied client followed one).
    Redirect(Redirect),
}

/// A redirect that was refused: where it pointed, as an origin only (a path or query may
/// hold secrets and is never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Redirect {
    /// The 3xx status; `None` when a user-supplied HTTP client followed the redirect itself.
    pub status: Option<u16>,
    /// `scheme://host[:port]` of the target; `None` when there was no valid `Location`.
    pub origin: Option<String>,
}

impl std::fmt::Display for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "HTTP {status} redirect")?,
            None => f.write_str("a redirect (followed by the HTTP client)")?,
        }
        match &self.origin {
            Some(origin) => write!(f, " to {origin}"),
            None => f.write_str(" without a valid Location"),
        }
    }
}

/// Sends `request` and reads its answer within `request.max_body` bytes, all within
/// `request.timeout`.
pub(crate) async fn send(http: &reqwest::Client, request: Request<'_>) -> Result<Answer, Failure> {
    let (watchdog, timeout) = (request.watchdog, request.timeout);
    let Some(deadline) = tokio::time::Instant::now().checked_add(timeout) else {
        return exchange(http, request).await;
    };
    match watchdog.within(deadline, exchange(http, request)).await {
        Ok(answer) => answer,
        Err(crate::watchdog::Elapsed) => Err(Failure::TimedOut(timeout)),
    }
}

/// Sends `request` and reads its answer, without a time limit.
async fn exchange(http: &reqwest::Client, request: Request<'_>) -> Result<Answer, Failure> {
    // Kept to compare with the answer's URL only when the client may have followed a
    // redirect: a 1.6 KB copy per call otherwise.
    let sent_to = request.may_follow_redirects.then(|| request.url.clone());
    let mut builder = http
        .request(request.method, request.url)
        .header(ACCEPT, JSON);
    if let Some(token) = request.bearer {
        builder = builder.bearer_auth(token.expose());
    }
    if let Some(body) = request.body {
        builder = builder.header(CONTENT_TYPE, JSON).body(unrepeatable(body));
    }
    let response = builder.send().await.map_err(Failure::Http)?;
    refuse_redirect(sent_to.as_ref(), &response)?;
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let body = read_bounded(response, request.max_body).await?;
    Ok(Answer {
        status,
        body,
        retry_after,
    })
}

/// A body reqwest cannot send twice: even a user-supplied client that follows redirects
/// then stops at a 307/308 instead of re-sending the body to the new location. The bytes
/// are shared, not copied.
fn unrepeatable(body: &Bytes) -> reqwest::Body {
    reqwest::Body::wrap(http_body_util::Full::new(body.clone()))
}

/// A 3xx, or an answer from another URL than `sent_to` (a redirect followed by a client
/// that may follow them; `None` for a client built here, which follows none).
fn refuse_redirect(
    sent_to: Option<&reqwest::Url>,
    response: &reqwest::Response,
) -> Result<(), Failure> {
    if response.status().is_redirection() {
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| response.url().join(value).ok());
        return Err(Failure::Redirect(Redirect {
            status: Some(response.status().as_u16()),
            origin: location.as_ref().map(origin),
        }));
    }
    if sent_to.is_some_and(|sent_to| response.url() != sent_to) {
        return Err(Failure::Redirect(Redirect {
            status: None,
            origin: Some(origin(response.url())),
        }));
    }
    Ok(())
}

/// `scheme://host:port`, the port always shown.
fn origin(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// Reads the body, refusing more than `limit` bytes instead of exhausting memory. A body
/// that arrives in one chunk is kept as it is; a longer one is gathered into a buffer
/// sized from `Content-Length` (within the limit), so it is copied once, without regrowth.
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Result<Bytes, Failure> {
    let status = response.status().as_u16();
    let too_large = Failure::TooLarge { status, limit };
    let expected = response.content_length();
    if expected.is_some_and(|len| len > limit as u64) {
        return Err(too_large);
    }
    let Some(first) = response.chunk().await.map_err(Failure::Http)? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large);
    }
    let Some(second) = response.chunk().await.map_err(Failure::Http)? else {
        return Ok(first);
    };
    // Within `limit` (checked above), so the capacity is bounded by it as well.
    let capacity = expected.map_or(0, |len| len as usize);
    let mut body =
        bytes::BytesMut::with_capacity(capacity.max(first.len() + second.len()).min(limit));
    let mut next = Some(second);
    body.extend_from_slice(&first);
    while let Some(chunk) = next {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
        next = response.chunk().await.map_err(Failure::Http)?;
    }
    Ok(body.freeze())
}

/// `Retry-After` in seconds (the HTTP-date form is not used by this service).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_names_scheme_host_and_port_only() {
        let url = |s: &str| reqwest::Url::parse(s).expect("url");
        assert_eq!(
            origin(&url("https://u:p@evil.example/path?secret=1#f")),
            "https://evil.example:443"
        );
        assert_eq!(origin(&url("http://127.0.0.1:81/x")), "http://127.0.0.1:81");
        let redirect = Redirect {
            status: Some(307),
            origin: Some("https://evil.example:443".into()),
        };
        assert_eq!(
            redirect.to_string(),
            "HTTP 307 redirect to https://evil.example:443"
        );
    }
}
