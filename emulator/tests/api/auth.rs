//! AccessToken2 app tokens, the token endpoint, and token expiry by the
//! emulator's clock.

use std::sync::Arc;
use std::time::Duration;

use agora_chat::Secret;
use agora_chat::auth::access_token::{FixedClock, FixedSalt, TokenMinter};
use agora_chat_emulator::{DEFAULT_TOKEN, Emulator, ManualClock};
use serde_json::{Value, json};

use crate::common::{Api, TOKEN, assert_error, reply};

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
const OTHER_APP_ID: &str = "0123456789abcdef0123456789ABCDEF";
const OTHER_CERT: &str = "fedcba9876543210fedcba9876543210";
/// 2023-11-14T22:13:20Z, the time tokens are minted at in these tests.
const T0: u64 = 1_700_000_000;

fn minter(app_id: &str, certificate: &str) -> TokenMinter {
    TokenMinter::new(app_id, Secret::from(certificate))
        .expect("valid test credentials")
        .with_clock(Arc::new(FixedClock(T0)))
        .with_salt_source(Arc::new(FixedSalt(42)))
}

fn app_token(app_id: &str, certificate: &str, expire_secs: u32) -> String {
    let minted = minter(app_id, certificate).mint_app_token(expire_secs);
    minted.expect("mints").token.expose().to_owned()
}

/// An emulator for `APP_ID`/`CERT` whose clock stands at `T0`.
async fn start(builder: agora_chat_emulator::EmulatorBuilder) -> (Api, ManualClock) {
    let clock = ManualClock::new(T0);
    let api = Api::with(builder.clock(clock.clone())).await;
    (api, clock)
}

async fn list_with(api: &Api, token: &str) -> crate::common::Reply {
    let url = format!("{}/chatrooms", api.root);
    reply(api.http.get(url).bearer_auth(token)).await
}

#[tokio::test]
async fn minted_app_tokens_are_accepted_until_they_expire() {
    let (api, clock) = start(Emulator::builder().app_credentials(APP_ID, CERT)).await;
    let token = app_token(APP_ID, CERT, 600);
    let ok = list_with(&api, &token).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    clock.advance(Duration::from_secs(599));
    assert_eq!(list_with(&api, &token).await.status, 200);
    clock.advance(Duration::from_secs(1));
    let expired = list_with(&api, &token).await;
    assert_error(&expired, 401, "unauthorized");
    let text = expired.body["error_description"]
        .as_str()
        .unwrap_or_default();
    assert!(text.ends_with("expired access token"), "{text}");
    // Only the emulator's clock counts: a token minted "now" works again.
    let fresh = minter(APP_ID, CERT)
        .with_clock(Arc::new(FixedClock(T0 + 600)))
        .mint_app_token(60)
        .expect("mints");
    assert_eq!(list_with(&api, fresh.token.expose()).await.status, 200);
}

#[tokio::test]
async fn every_wrong_token_is_auth_bad_access_token() {
    let (api, _clock) = start(Emulator::builder().app_credentials(APP_ID, CERT)).await;
    let good = app_token(APP_ID, CERT, 600);
    // Flip one character at several places: the prefix, the base64, the end.
    let mut flipped = Vec::new();
    for at in [1, 3, 10, good.len() / 2, good.len() - 3] {
        let mut bytes = good.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        flipped.push(String::from_utf8(bytes).expect("ASCII"));
    }
    let user = minter(APP_ID, CERT)
        .mint_user_token("alice", 600)
        .expect("mints")
        .token
        .expose()
        .to_owned();
    let mut wrong = vec![
        ("other certificate", app_token(APP_ID, OTHER_CERT, 600)),
        ("other app id", app_token(OTHER_APP_ID, CERT, 600)),
        ("user token", user),
        ("default token", DEFAULT_TOKEN.to_owned()),
        ("not a token", "hello".to_owned()),
        ("only the prefix", "007".to_owned()),
    ];
    wrong.extend(flipped.into_iter().map(|t| ("flipped", t)));
    for (what, token) in &wrong {
        assert_ne!(token, &good);
        let r = list_with(&api, token).await;
        assert_error(&r, 401, "auth_bad_access_token");
        let text = r.body["error_description"].as_str().unwrap_or_default();
        assert!(text.contains("corrupt access token"), "{what}: {text}");
        assert!(
            !text.contains(token.as_str()),
            "{what}: the token is echoed"
        );
        if *what == "user token" {
            assert!(text.contains("App privilege"), "{text}");
        }
    }
    // Expiry is only reported for tokens that are otherwise valid.
    let expired_foreign = minter(APP_ID, OTHER_CERT)
        .with_clock(Arc::new(FixedClock(T0 - 10_000)))
        .mint_app_token(60)
        .expect("mints");
    let r = list_with(&api, expired_foreign.token.expose()).await;
    assert_error(&r, 401, "auth_bad_access_token");
    assert_eq!(list_with(&api, &good).await.status, 200);
}

#[tokio::test]
async fn a_static_token_can_be_accepted_alongside() {
    let builder = Emulator::builder()
        .token(TOKEN)
        .app_credentials(APP_ID, CERT);
    let (api, clock) = start(builder).await;
    let token = app_token(APP_ID, CERT, 60);
    assert_eq!(list_with(&api, TOKEN).await.status, 200);
    assert_eq!(list_with(&api, &token).await.status, 200);
    assert_eq!(list_with(&api, DEFAULT_TOKEN).await.status, 401);
    clock.advance(Duration::from_secs(3600));
    // The fixed token never expires; the minted one is reported as expired.
    assert_eq!(list_with(&api, TOKEN).await.status, 200);
    let r = list_with(&api, &token).await;
    assert_error(&r, 401, "unauthorized");
}

#[tokio::test]
async fn malformed_app_credentials_fail_to_start() {
    for (app_id, cert) in [("abc", CERT), (APP_ID, "not-hex-not-hex-not-hex-not-hex!")] {
        let err = Emulator::builder()
            .app_credentials(app_id, cert)
            .start()
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        let text = err.to_string();
        assert!(text.contains("32 hex characters"), "{text}");
        assert!(!text.contains("not-hex"), "the certificate leaked: {text}");
    }
}

async fn post_token(api: &Api, body: &Value) -> crate::common::Reply {
    let req = api
        .http
        .post(format!("{}/token", api.root))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    reply(req).await
}

fn credentials(ttl: Option<u64>) -> Value {
    let mut body = json!({
        "grant_type": "client_credentials",
        "client_id": "YXA6client",
        "client_secret": "YXA6secret",
    });
    if let Some(ttl) = ttl {
        body["ttl"] = json!(ttl);
    }
    body
}

#[tokio::test]
async fn client_credentials_issue_tokens_that_expire() {
    let builder = Emulator::builder().client_credentials("YXA6client", "YXA6secret");
    let (api, clock) = start(builder).await;
    let r = post_token(&api, &credentials(Some(120))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut keys: Vec<&str> = r
        .body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "application", "expires_in"]);
    assert_eq!(r.body["expires_in"], 120);
    assert!(
        r.body["application"]
            .as_str()
            .is_some_and(|a| a.len() == 36)
    );
    let token = r.body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(list_with(&api, &token).await.status, 200);
    // The default token still works beside the issued ones.
    assert_eq!(list_with(&api, DEFAULT_TOKEN).await.status, 200);
    clock.advance(Duration::from_secs(119));
    assert_eq!(list_with(&api, &token).await.status, 200);
    clock.advance(Duration::from_secs(1));
    let expired = list_with(&api, &token).await;
    assert_error(&expired, 401, "unauthorized");

    let default = post_token(&api, &credentials(None)).await;
    assert_eq!(default.body["expires_in"], 86_400);
    let forever = post_token(&api, &credentials(Some(0))).await;
    assert_eq!(forever.body["expires_in"], 0);
    let forever = forever.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    clock.advance(Duration::from_secs(10 * 365 * 86_400));
    assert_eq!(list_with(&api, &forever).await.status, 200);
}

#[tokio::test]
async fn the_token_endpoint_refuses_bad_requests() {
    let builder = Emulator::builder()
        .app_credentials(APP_ID, CERT)
        .client_credentials("YXA6client", "YXA6secret");
    let (api, _clock) = start(builder).await;
    let mut wrong_secret = credentials(None);
    wrong_secret["client_secret"] = json!("nope");
    let mut wrong_id = credentials(None);
    wrong_id["client_id"] = json!("nope");
    for body in [wrong_secret, wrong_id] {
        let r = post_token(&api, &body).await;
        assert_error(&r, 401, "auth_bad_access_token");
    }
    let mut grant = credentials(None);
    grant["grant_type"] = json!("password");
    let r = post_token(&api, &grant).await;
    assert_error(&r, 400, "invalid_parameter");
    assert!(
        r.body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("grant_type"))
    );
    let cases = [
        ("client_id", json!(null)),
        ("client_secret", json!(5)),
        ("ttl", json!(-1)),
        ("ttl", json!("60")),
        ("grant_type", json!(null)),
    ];
    for (key, value) in cases {
        let mut body = credentials(None);
        body[key] = value;
        let r = post_token(&api, &body).await;
        assert_error(&r, 400, "invalid_parameter");
        let text = r.body["error_description"].as_str().unwrap_or_default();
        assert!(text.contains(key), "{key}: {text}");
    }
    let r = reply(
        api.http
            .post(format!("{}/token", api.root))
            .header("Content-Type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("json_parse"))
    );
    // Issued tokens work beside AccessToken2 ones.
    let issued = post_token(&api, &credentials(None)).await;
    let issued = issued.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(list_with(&api, &issued).await.status, 200);
    assert_eq!(
        list_with(&api, &app_token(APP_ID, CERT, 60)).await.status,
        200
    );
    assert_eq!(list_with(&api, DEFAULT_TOKEN).await.status, 401);
}

#[tokio::test]
async fn without_client_credentials_the_token_endpoint_says_so() {
    let api = Api::start().await;
    let r = post_token(&api, &credentials(None)).await;
    assert_error(&r, 401, "auth_bad_access_token");
    let text = r.body["error_description"].as_str().unwrap_or_default();
    assert!(text.contains("client credentials"), "{text}");
    // The endpoint needs no bearer token, and only POST exists.
    let get = reply(api.http.get(format!("{}/token", api.root))).await;
    assert_eq!(get.status, 405);
}
