//! Error reports read well: walking `source()` from the top error, each cause appears
//! exactly once (no `Display` repeats its source), and the cause that matters (e.g. the
//! refused connection behind a retried call) is in the chain.

use agora_chat::auth::AppCredentials;
use agora_chat::limit::RateLimits;
use agora_chat::retry::RetryPolicy;
use agora_chat::types::CreateChatroom;
use agora_chat::{Client, Error};
use std::error::Error as StdError;
use std::time::Duration;

/// The `Display` of an error and of each of its sources, top first.
fn chain(err: &(dyn StdError + 'static)) -> Vec<String> {
    let mut out = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        out.push(cause.to_string());
        source = cause.source();
    }
    out
}

/// No level's message contains a deeper level's message: a report prints each cause once.
fn assert_each_cause_once(chain: &[String]) {
    for (index, outer) in chain.iter().enumerate() {
        for inner in &chain[index + 1..] {
            assert!(
                !outer.contains(inner.as_str()),
                "{outer:?} repeats its cause {inner:?}; chain: {chain:#?}"
            );
        }
    }
}

/// Nothing listens on port 9 of loopback: every attempt is refused.
fn refused_client(policy: RetryPolicy) -> Client {
    Client::builder()
        .base_url("http://127.0.0.1:9")
        .app_key("demo#app")
        .app_token("t")
        .allow_http(true)
        .rate_limits(RateLimits::Off)
        .retry_policy(policy)
        .build()
        .expect("valid configuration")
}

#[tokio::test]
async fn retries_exhausted_keeps_the_last_attempts_error_as_its_source() {
    let policy = RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(2));
    let err = refused_client(policy)
        .delete_chatroom("1")
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, Error::RetriesExhausted { .. }), "{err:?}");
    let chain = chain(&err);
    assert_each_cause_once(&chain);
    assert!(chain[1].contains("transport error"), "{chain:#?}");
    assert!(
        chain.iter().any(|cause| cause.contains("refused")),
        "the refused connection is lost: {chain:#?}"
    );
}

#[tokio::test]
async fn a_single_transport_error_reports_each_cause_once() {
    let err = refused_client(RetryPolicy::never())
        .get_chatrooms(["1", "2"])
        .await
        .expect_err("nothing listens");
    let chain = chain(&err);
    assert_each_cause_once(&chain);
    assert_eq!(chain[0], "get_chatrooms: transport error");
}

#[tokio::test]
async fn a_validation_error_reports_the_rule_once() {
    let err = refused_client(RetryPolicy::never())
        .create_chatroom(&CreateChatroom::new("x".repeat(129), "d", "alice"))
        .await
        .expect_err("invalid");
    let chain = chain(&err);
    assert_each_cause_once(&chain);
    assert_eq!(chain[0], "create_chatroom: invalid request");
    assert!(chain[1].contains("129"), "{chain:#?}");
}

#[test]
fn configuration_errors_report_each_cause_once() {
    let bad_certificate = Client::builder()
        .base_url("https://a41.chat.agora.io")
        .app_key("demo#app")
        .app_credentials(AppCredentials::new(
            "0123456789abcdef0123456789abcdef",
            "abc",
        ))
        .build()
        .expect_err("a 3-character certificate");
    let chain = chain(&bad_certificate);
    assert_each_cause_once(&chain);
    assert_eq!(chain.len(), 3, "{chain:#?}");
    assert!(
        !chain.iter().any(|c| c.contains("abc")),
        "secret shown: {chain:#?}"
    );

    let no_scheme = Client::builder()
        .base_url("a41.chat.agora.io")
        .app_key("demo#app")
        .app_token("t")
        .build()
        .expect_err("no scheme");
    assert!(
        no_scheme.to_string().contains("https://a41.chat.agora.io"),
        "{no_scheme}"
    );
}
