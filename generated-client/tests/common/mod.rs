//! Shared helpers of the integration tests: a recording HTTP server on loopback, a raw TCP
//! server for responses axum cannot produce, and client builders.
//!
//! Each test binary uses only part of this module.
#![allow(dead_code)]

use agora_chat::limit::RateLimits;
use agora_chat::retry::RetryPolicy;
use agora_chat::{Client, ClientBuilder};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The app token every test client sends. No output of the client may contain it.
pub const TOKEN: &str = "tok-7f3c91d2-SECRET-never-print-me";

/// An address where nothing listens (the discard port is not served here).
pub const NOWHERE: &str = "http://127.0.0.1:9";

/// A client builder for `org_name` `demo`, `app_name` `app` on a plain-HTTP base URL, with
/// one attempt per call and no client-side rate limit, so that each test sees what one
/// request gives (the retry tests set their own policy).
pub fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .org_name("demo")
        .app_name("app")
        .app_token(TOKEN)
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .connect_timeout(Duration::from_secs(2))
        // Before `timeout`: the policy holds the attempt timeout that `timeout` sets.
        .retry_policy(RetryPolicy::never())
        .timeout(Duration::from_secs(5))
}

pub fn client(base_url: &str) -> Client {
    builder(base_url).build().expect("valid test configuration")
}

/// A client that never reaches a server: any call that passes validation fails with a
/// transport error, so a validation error proves that nothing was sent.
pub fn offline_client() -> Client {
    client(NOWHERE)
}

/// The text of a file under `tests/fixtures`.
pub fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The request target as sent: the raw (still percent-encoded) path and query.
    pub target: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// Every value of the header `name` (lower case).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The only value of the header `name`; `None` when absent; panics when repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.header_values(name);
        assert!(
            values.len() <= 1,
            "header {name} sent {} times",
            values.len()
        );
        values.first().copied()
    }

    pub fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 request body")
    }
}

/// The response the server gives to every request.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Waits this long before answering.
    pub delay: Option<Duration>,
}

impl Canned {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: body.into().into_bytes(),
            delay: None,
        }
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
            delay: None,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

#[derive(Clone)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// The answers still to give; the last one is repeated.
    canned: Arc<Mutex<VecDeque<Canned>>>,
}

/// An axum server on `127.0.0.1:0` that records every request and answers `Canned`.
pub struct TestServer {
    pub addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Starts the server on the current tokio runtime.
    pub async fn start(canned: Canned) -> TestServer {
        let shared = Shared {
            requests: Arc::default(),
            canned: Arc::new(Mutex::new(VecDeque::from([canned]))),
        };
        let app = axum::Router::new()
            .fallback(record)
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        TestServer { addr, shared, task }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn client(&self) -> Client {
        client(&self.base_url())
    }

    pub fn builder(&self) -> ClientBuilder {
        builder(&self.base_url())
    }

    /// Changes the answer to the following requests.
    pub fn answer(&self, canned: Canned) {
        self.answer_in_turn(vec![canned]);
    }

    /// Answers the following requests with these, in turn; the last one is repeated.
    pub fn answer_in_turn(&self, answers: Vec<Canned>) {
        assert!(!answers.is_empty());
        *self.shared.canned.lock().expect("lock") = answers.into();
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().expect("lock").clone()
    }

    /// Removes and returns the requests so far.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.shared.requests.lock().expect("lock"))
    }

    /// The only request so far.
    pub fn only_request(&self) -> Recorded {
        let requests = self.take_requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request: {requests:#?}"
        );
        requests.into_iter().next().expect("one request")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("request body")
        .to_vec();
    shared.requests.lock().expect("lock").push(Recorded {
        method: parts.method.as_str().to_owned(),
        target,
        headers,
        body,
    });
    let canned = {
        let mut answers = shared.canned.lock().expect("lock");
        if answers.len() > 1 {
            answers.pop_front().expect("an answer")
        } else {
            answers.front().cloned().expect("an answer")
        }
    };
    if let Some(delay) = canned.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::new(Body::from(canned.body));
    *response.status_mut() = StatusCode::from_u16(canned.status).expect("status");
    for (name, value) in canned.headers {
        response.headers_mut().append(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).expect("header value"),
        );
    }
    response
}

/// A server that reads a request's head and answers with `reply` bytes as they are (for
/// chunked or stalled bodies), then keeps the connection open for `hold`.
pub async fn raw_server(
    reply: Vec<u8>,
    hold: Duration,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if socket.write_all(&reply).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                tokio::time::sleep(hold).await;
            });
        }
    });
    (addr, task)
}

/// A local port where nothing listens: bound, then released.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("local addr")
}

/// Asserts that neither `Debug` nor `Display` of `value` contains the test token.
pub fn assert_no_token<T: std::fmt::Debug + std::fmt::Display>(value: &T) {
    let debug = format!("{value:?}");
    let pretty = format!("{value:#?}");
    let display = format!("{value}");
    for text in [&debug, &pretty, &display] {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
        assert!(!text.contains("SECRET"), "part of the token leaked: {text}");
    }
}
