//! A raw HTTP harness: no client library, only reqwest and a TCP socket.

use std::time::{SystemTime, UNIX_EPOCH};

use agora_chat::types::ErrorCode;
use agora_chat_emulator::{Emulator, EmulatorBuilder};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const TOKEN: &str = "secret-token";

/// The create body from the source doc, verbatim.
pub const DOC_CREATE: &str = r#"{
   "name": "testchatroom1",
   "description": "test",
   "maxusers": 300,
   "owner": "user1",
   "members": [
     "user2"
   ]
 }"#;

/// The update body from the source doc, verbatim.
pub const DOC_UPDATE: &str = r#"{
   "name": "testchatroom",
   "description": "test",
   "maxusers": 300
 }"#;

pub struct Api {
    pub emu: Emulator,
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT/demo/demo`
    pub root: String,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Api {
    pub async fn start() -> Api {
        Self::with(Emulator::builder().token(TOKEN)).await
    }

    pub async fn with(builder: EmulatorBuilder) -> Api {
        let emu = builder.start().await.expect("emulator starts");
        let root = format!("{}/demo/demo", emu.base_url());
        Api {
            emu,
            http: http(),
            root,
        }
    }

    /// `path` is below `/demo/demo`; a body is sent as JSON.
    pub async fn send(&self, method: Method, path: &str, body: Option<&str>) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.root))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_owned());
        }
        reply(req).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &str) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a room and returns its id.
    pub async fn create(&self, name: &str, owner: &str, members: &[&str]) -> String {
        let mut body = json!({"name": name, "description": "d", "owner": owner});
        if !members.is_empty() {
            body["members"] = json!(members);
        }
        let r = self.post("/chatrooms", &body.to_string()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["data"]["id"].as_str().expect("id").to_owned()
    }

    /// A request written byte for byte on a fresh connection, for paths
    /// an URL library would normalise (such as `..`).
    pub async fn raw(&self, request_line: &str) -> Reply {
        let mut socket = tokio::net::TcpStream::connect(self.emu.addr())
            .await
            .expect("connect");
        let req = format!(
            "{request_line}\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n",
            self.emu.addr()
        );
        socket.write_all(req.as_bytes()).await.expect("write");
        let mut text = String::new();
        socket.read_to_string(&mut text).await.expect("read");
        parse_raw(&text)
    }
}

pub async fn reply(req: reqwest::RequestBuilder) -> Reply {
    reply_of(req.send().await.expect("request is answered")).await
}

pub async fn reply_of(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let bytes = res.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)));
    Reply { status, body }
}

// Only for `Connection: close` answers with a JSON body.
fn parse_raw(text: &str) -> Reply {
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let body = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    Reply { status, body }
}

pub fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(since.as_millis()).expect("fits")
}

/// Asserts the service's flat error body: exactly its five fields, the status given
/// (`web_application`'s varies), and the exception class of the spec's error table.
pub fn assert_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let code = ErrorCode::from_wire(error);
    let info = code
        .info()
        .unwrap_or_else(|| panic!("`{error}` is in the error table"));
    if let Some(documented) = info.status {
        assert_eq!(status, documented, "the table's status of `{error}`");
    }
    let exception = info.exception.expect("the table names an exception class");
    let obj = r.body.as_object().expect("error body is an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let want = [
        "duration",
        "error",
        "error_description",
        "exception",
        "timestamp",
    ];
    assert_eq!(keys, want, "{}", r.body);
    assert_eq!(r.body["error"], error, "{}", r.body);
    assert_eq!(r.body["exception"], exception);
    assert_eq!(r.body["duration"], 0);
    let ts = r.body["timestamp"].as_i64().expect("timestamp");
    assert!((now_ms() - ts).abs() < 60_000, "timestamp {ts}");
    let text = r.body["error_description"].as_str().expect("description");
    assert!(!text.is_empty());
}

/// The ids in `data`, in order.
pub fn ids(r: &Reply) -> Vec<String> {
    let data = r.body["data"].as_array().expect("data is an array");
    data.iter()
        .map(|d| d["id"].as_str().expect("string id").to_owned())
        .collect()
}

/// A plain HTTP client for raw requests. In a workspace test run reqwest's TLS is the client
/// crate's `rustls-no-provider`, which panics without a process-wide provider: install ring
/// first (never replacing one already installed).
pub fn http() -> reqwest::Client {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::new()
}
