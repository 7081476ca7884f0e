//! Tracing: one span per call with the operation, attempt, status and elapsed time, and no
//! secret anywhere in the output, also when a token is refreshed after a 401.

use agora_chat::Client;
use agora_chat::auth::AppCredentials;
use agora_chat::auth::RefreshPolicy;
use agora_chat::limit::RateLimits;
use agora_chat::operations::ListChatroomsQuery;
use agora_chat::types::CreateChatroom;
use agora_chat_emulator::{Emulator, ManualClock};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing_subscriber::fmt::format::FmtSpan;

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
const START: u64 = 1_800_000_000;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

/// A subscriber up to `level` that writes span closes and events to the returned buffer,
/// the default for this thread while the guard lives.
fn capture(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

#[tokio::test(flavor = "current_thread")]
async fn one_span_per_call_and_no_secret() {
    let (captured, _guard) = capture(tracing::Level::TRACE);

    let emulator_clock = ManualClock::new(START);
    let emulator = Emulator::builder()
        .app_credentials(APP_ID, CERT)
        .clock(emulator_clock.clone())
        .start()
        .await
        .expect("the emulator starts");
    let client_clock = ManualClock::new(START);
    let credentials = AppCredentials::new(APP_ID, CERT)
        .lifetime(Duration::from_secs(600))
        .clock(Arc::new(client_clock.clone()))
        .refresh_policy(
            RefreshPolicy::default()
                .with_refresh_ratio(1.0)
                .with_jitter_ratio(0.0),
        );
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_key("demo#demo")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .app_credentials(credentials)
        .build()
        .expect("valid client configuration");

    let created = client
        .create_chatroom(&CreateChatroom::new("traced", "d", "alice"))
        .await;
    assert!(created.is_ok(), "{created:?}");
    // Expired at the emulator, not yet at the client: a 401, a refresh and a second send.
    client_clock.set(START + 599);
    emulator_clock.set(START + 601);
    let listed = client.list_chatrooms(&ListChatroomsQuery::default()).await;
    assert!(listed.is_ok(), "{listed:?}");
    emulator.shutdown().await;

    let output = captured.text();
    let closes: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("agora_chat.call") && line.contains("close"))
        .collect();
    assert_eq!(closes.len(), 2, "one span per call:\n{output}");
    assert!(
        closes[0].contains("operation=\"create_chatroom\"") && closes[0].contains("status=200"),
        "{output}"
    );
    assert!(
        closes[1].contains("operation=\"list_chatrooms\"") && closes[1].contains("attempt=1"),
        "{output}"
    );
    assert!(
        closes.iter().all(|line| line.contains("elapsed_ms=")),
        "{output}"
    );
    assert!(
        output.contains("app token expired; retrying with a new one"),
        "{output}"
    );
    // No certificate, no token (AccessToken2 tokens start with "007eJ"), no bearer header.
    for secret in [CERT, "007eJ", "Bearer"] {
        assert!(!output.contains(secret), "`{secret}` was logged:\n{output}");
    }
}

/// With the client's debug span filtered out, the attempt and status are recorded nowhere:
/// not on whatever span the caller has entered (which may have fields of those names).
#[tokio::test(flavor = "current_thread")]
async fn a_filtered_out_call_span_leaves_the_callers_span_alone() {
    use tracing::Instrument;
    let (captured, _guard) = capture(tracing::Level::INFO);
    let emulator = Emulator::builder()
        .start()
        .await
        .expect("the emulator starts");
    let client = emulator.client().expect("a client of the emulator");
    let handler = tracing::info_span!(
        "handler",
        attempt = tracing::field::Empty,
        status = tracing::field::Empty
    );
    let created = client
        .create_chatroom(&CreateChatroom::new("traced", "d", "alice"))
        .instrument(handler)
        .await;
    assert!(created.is_ok(), "{created:?}");
    emulator.shutdown().await;

    let output = captured.text();
    let close = output
        .lines()
        .find(|line| line.contains("handler") && line.contains("close"))
        .unwrap_or_else(|| panic!("the caller's span closed:\n{output}"));
    assert!(
        !close.contains("status=") && !close.contains("attempt="),
        "{close}"
    );
    assert!(!output.contains("agora_chat.call"), "{output}");
}
