//! Requests the HTTP stack refuses before any route sees them (an over-long URI, huge
//! headers, a garbage request line, conflicting `Content-Length`s) still get the
//! service's flat JSON error body, with the stack's status.

use agora_chat_emulator::Emulator;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `request` as raw bytes and reads the whole answer (the server closes after it).
async fn exchange(emu: &Emulator, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut socket = TcpStream::connect(emu.addr()).await.expect("connect");
    // The server may answer and close before reading everything: a failed write is fine.
    let _ = socket.write_all(request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        socket.read_to_end(&mut answer),
    );
    let _ = read.await;
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(&answer)));
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, answer[end + 4..].to_vec())
}

#[tokio::test]
async fn refusals_of_the_http_stack_carry_the_flat_error_body() {
    let emu = Emulator::builder().start().await.expect("emulator");
    let long_uri = format!(
        "GET /demo/demo/chatrooms/{} HTTP/1.1\r\nhost: x\r\n\r\n",
        "1".repeat(70_000)
    );
    // More headers than the stack accepts, in a request small enough to be read whole
    // (a server that closes with unread bytes resets the connection, losing its answer).
    let many: String = (0..150).map(|i| format!("x-h{i}: v\r\n")).collect();
    let huge_header = format!("GET /demo/demo/chatrooms HTTP/1.1\r\nhost: x\r\n{many}\r\n");
    let cases: [(&[u8], u16); 4] = [
        (long_uri.as_bytes(), 414),
        (huge_header.as_bytes(), 431),
        (b"GARBAGE\x01 NOT HTTP\r\n\r\n", 400),
        (
            b"POST /demo/demo/chatrooms HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
            400,
        ),
    ];
    for (request, expected) in cases {
        let (status, head, body) = exchange(&emu, request).await;
        assert_eq!(status, expected, "{head}");
        let head = head.to_ascii_lowercase();
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head} {:?}",
            String::from_utf8_lossy(&body)
        );
        let json: Value = serde_json::from_slice(&body).expect("a JSON body");
        assert_eq!(json["error"], "invalid_parameter", "{json}");
        assert!(json["exception"].is_string(), "{json}");
        assert!(json["error_description"].is_string(), "{json}");
        assert!(json["timestamp"].is_i64(), "{json}");
    }
    // The server still serves after the refusals.
    let (status, _, _) = exchange(
        &emu,
        b"GET /demo/demo/chatrooms HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 401);
}
