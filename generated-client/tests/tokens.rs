//! App tokens end to end: the client mints AccessToken2 app tokens from App ID +
//! certificate and the emulator verifies them, each with its own clock.

use agora_chat::auth::AppCredentials;
use agora_chat::auth::RefreshPolicy;
use agora_chat::auth::access_token::SaltSource;
use agora_chat::limit::RateLimits;
use agora_chat::operations::ListChatroomsQuery;
use agora_chat::types::ErrorCode;
use agora_chat::{Client, Error};
use agora_chat_emulator::{Emulator, ManualClock};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
const OTHER_CERT: &str = "0123456789abcdef0123456789abcdef";
const START: u64 = 1_800_000_000;

/// Counts mints: every minted token takes one salt.
#[derive(Debug, Default)]
struct CountingSalt(AtomicU32);

impl SaltSource for CountingSalt {
    fn salt(&self) -> u32 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

struct Setup {
    emulator: Emulator,
    emulator_clock: ManualClock,
    client_clock: ManualClock,
    mints: Arc<CountingSalt>,
    client: Client,
}

/// Tokens live 600 s; the client refreshes only at expiry (no early refresh, no jitter),
/// so that a token the client still holds can be one the emulator already refuses.
async fn setup(certificate: &str) -> Setup {
    let emulator_clock = ManualClock::new(START);
    let emulator = Emulator::builder()
        .app_credentials(APP_ID, CERT)
        .clock(emulator_clock.clone())
        .start()
        .await
        .expect("the emulator starts");
    let client_clock = ManualClock::new(START);
    let mints = Arc::new(CountingSalt::default());
    let policy = RefreshPolicy::default()
        .with_refresh_ratio(1.0)
        .with_jitter_ratio(0.0);
    let credentials = AppCredentials::new(APP_ID, certificate)
        .lifetime(Duration::from_secs(600))
        .clock(Arc::new(client_clock.clone()))
        .salt_source(mints.clone())
        .refresh_policy(policy);
    let client = Client::builder()
        .base_url(emulator.base_url())
        .app_key("demo#demo")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .app_credentials(credentials)
        .build()
        .expect("valid client configuration");
    Setup {
        emulator,
        emulator_clock,
        client_clock,
        mints,
        client,
    }
}

async fn list(client: &Client) -> Result<usize, Error> {
    client
        .list_chatrooms(&ListChatroomsQuery::default())
        .await
        .map(|r| r.data.len())
}

#[tokio::test]
async fn one_token_serves_many_calls_until_it_is_due() {
    let s = setup(CERT).await;
    for _ in 0..20 {
        assert!(list(&s.client).await.is_ok());
    }
    s.client_clock.set(START + 599);
    s.emulator_clock.set(START + 599);
    assert!(list(&s.client).await.is_ok());
    assert_eq!(
        s.mints.0.load(Ordering::SeqCst),
        1,
        "no refresh before the refresh point"
    );
    s.client_clock.set(START + 600);
    s.emulator_clock.set(START + 600);
    assert!(list(&s.client).await.is_ok());
    assert_eq!(s.mints.0.load(Ordering::SeqCst), 2, "one refresh at expiry");
    s.emulator.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_succeeds() {
    let s = setup(CERT).await;
    assert!(list(&s.client).await.is_ok());
    // The client still holds its token (its clock says 599 s), but the emulator's clock
    // is past the expiry: one 401 `unauthorized`, one new token, and the call succeeds.
    s.client_clock.set(START + 599);
    s.emulator_clock.set(START + 601);
    assert_eq!(list(&s.client).await.ok(), Some(0));
    assert_eq!(s.mints.0.load(Ordering::SeqCst), 2);
    // The new token is cached: no further mints.
    assert!(list(&s.client).await.is_ok());
    assert_eq!(s.mints.0.load(Ordering::SeqCst), 2);
    s.emulator.shutdown().await;
}

#[tokio::test]
async fn a_wrong_certificate_fails_at_once_without_refreshing() {
    let s = setup(OTHER_CERT).await;
    let err = list(&s.client)
        .await
        .expect_err("a token signed with another certificate");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some(&ErrorCode::AuthBadAccessToken));
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        s.mints.0.load(Ordering::SeqCst),
        1,
        "a configuration error is not retried"
    );
    let shown = format!("{err:?} {err} {:?}", s.client);
    assert!(
        !shown.contains(CERT) && !shown.contains(OTHER_CERT),
        "{shown}"
    );
    s.emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_one_refresh() {
    let s = setup(CERT).await;
    assert!(list(&s.client).await.is_ok());
    s.client_clock.set(START + 700);
    s.emulator_clock.set(START + 700);
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = s.client.clone();
            tokio::spawn(async move { list(&client).await.is_ok() })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap_or(false));
    }
    assert_eq!(
        s.mints.0.load(Ordering::SeqCst),
        2,
        "exactly one mint for 100 stale callers"
    );
    s.emulator.shutdown().await;
}

#[tokio::test]
async fn client_credentials_are_exchanged_at_the_token_endpoint() {
    use agora_chat::auth::ClientCredentials;
    const SECRET: &str = "client-secret-value";
    let emulator = Emulator::builder()
        .client_credentials("client-id", SECRET)
        .start()
        .await
        .expect("the emulator starts");
    let client = |secret: &str| {
        Client::builder()
            .base_url(emulator.base_url())
            .app_key("demo#demo")
            .allow_http(true)
            .rate_limits(RateLimits::Off)
            .client_credentials(ClientCredentials::new("client-id", secret).ttl_secs(3600))
            .build()
            .expect("valid client configuration")
    };
    let good = client(SECRET);
    assert_eq!(list(&good).await.ok(), Some(0));
    assert_eq!(list(&good).await.ok(), Some(0));
    let bad = client("wrong-secret");
    let err = list(&bad).await.expect_err("wrong client credentials");
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    // Display names this error only; the HTTP status is its cause's.
    let mut report = err.to_string();
    let mut cause = std::error::Error::source(&err);
    while let Some(inner) = cause {
        report.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    assert!(report.contains("HTTP 401"), "{report}");
    let shown = format!("{err:?} {report} {good:?} {bad:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("wrong-secret"),
        "{shown}"
    );
    emulator.shutdown().await;
}
