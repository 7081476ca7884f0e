//! Bearer token verification: a fixed token, AccessToken2 app tokens signed
//! with the app certificate, and the tokens the `/token` endpoint issues.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use agora_chat::Secret;
use agora_chat::auth::access_token::{
    AccessToken2, AppId, ChatPrivilege, Clock, SystemClock, TokenError, validate_certificate,
};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::service_error::ServiceError;

/// How the emulator decides whether a bearer token is valid.
///
/// Tokens issued by `POST /{org}/{app}/token` are accepted on top of these
/// (until they expire) whenever client credentials are configured.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// Exactly this token is accepted.
    Static(String),
    /// AccessToken2 (`007...`) chat **app** tokens for this App ID, signed
    /// with this App Certificate and not expired at the emulator's clock.
    /// Build it with [`Auth::app_certificate`] to have both values checked.
    AppCertificate {
        /// The App ID (32 hex digits) tokens must be issued for.
        app_id: String,
        /// The App Certificate (32 hex digits) tokens must be signed with.
        certificate: Secret,
    },
    /// A token any of these accepts.
    AnyOf(Vec<Auth>),
}

// By hand, so a fixed token never shows in `Debug` output (of the builder, the state, ...).
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Static(_) => f.write_str("Static(<redacted>)"),
            Auth::AppCertificate {
                app_id,
                certificate,
            } => f
                .debug_struct("AppCertificate")
                .field("app_id", app_id)
                .field("certificate", certificate)
                .finish(),
            Auth::AnyOf(all) => f.debug_tuple("AnyOf").field(all).finish(),
        }
    }
}

impl Auth {
    /// AccessToken2 verification; fails unless both values are 32 hex characters.
    pub fn app_certificate(
        app_id: impl Into<String>,
        certificate: impl Into<Secret>,
    ) -> Result<Auth, TokenError> {
        let (app_id, certificate) = (app_id.into(), certificate.into());
        AppId::new(&app_id)?;
        validate_certificate(&certificate)?;
        Ok(Auth::AppCertificate {
            app_id,
            certificate,
        })
    }

    /// Checks that every App ID and certificate inside is well formed.
    pub fn validate(&self) -> Result<(), TokenError> {
        match self {
            Auth::Static(_) => Ok(()),
            Auth::AppCertificate {
                app_id,
                certificate,
            } => {
                AppId::new(app_id)?;
                validate_certificate(certificate)
            }
            Auth::AnyOf(all) => all.iter().try_for_each(Auth::validate),
        }
    }

    /// Checks the request's `Authorization: Bearer <token>` header at the
    /// system time. The routes use [`Auth::verify`] with the emulator's clock.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ServiceError> {
        let token = bearer_token(headers).ok_or_else(ServiceError::unauthorized)?;
        self.verify(token, SystemClock.now_unix())
    }

    /// Checks one bearer token at `now_unix` (seconds since the epoch):
    /// expired tokens are 401 `unauthorized`, every other failure 401
    /// `auth_bad_access_token`.
    pub fn verify(&self, token: &str, now_unix: u64) -> Result<(), ServiceError> {
        self.judge(token, now_unix).map_err(Rejection::into_error)
    }

    fn judge(&self, token: &str, now: u64) -> Result<(), Rejection> {
        match self {
            Auth::Static(expected) if Secret::from(token) == Secret::from(expected.as_str()) => {
                Ok(())
            }
            Auth::Static(_) => Err(Rejection::Unknown),
            Auth::AppCertificate {
                app_id,
                certificate,
            } => verify_access_token(token, app_id, certificate, now),
            Auth::AnyOf(all) => {
                // The most telling reason wins: expired, then a specific
                // AccessToken2 problem, then "no such token".
                let mut worst = Rejection::Unknown;
                for auth in all {
                    match auth.judge(token, now) {
                        Ok(()) => return Ok(()),
                        Err(r) => worst = worst.max(r),
                    }
                }
                Err(worst)
            }
        }
    }
}

/// Why a token was refused, ordered from least to most telling.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rejection {
    /// No configured method knows this token.
    Unknown,
    /// An AccessToken2 (or a text claiming to be one) that fails a check.
    Invalid(String),
    /// A token that was valid until its expiry.
    Expired,
}

impl Rejection {
    pub(crate) fn into_error(self) -> ServiceError {
        match self {
            Rejection::Unknown => ServiceError::bad_access_token(),
            Rejection::Invalid(reason) => ServiceError::bad_access_token_because(reason),
            Rejection::Expired => ServiceError::expired_access_token(),
        }
    }
}

// Parse, signature, app id, privilege, then expiry: only an otherwise valid
// token can be "expired"; anything else is a corrupt or foreign token.
fn verify_access_token(
    token: &str,
    app_id: &str,
    certificate: &Secret,
    now: u64,
) -> Result<(), Rejection> {
    let invalid = |reason: String| Rejection::Invalid(reason);
    let parsed = AccessToken2::parse(token)
        .map_err(|e| invalid(format!("not an AccessToken2 app token ({e})")))?;
    parsed
        .verify(certificate)
        .map_err(|e| invalid(e.to_string()))?;
    if parsed.app_id() != app_id {
        return Err(invalid("the token is for another App ID".to_owned()));
    }
    let Some(privilege) = parsed.chat_privilege_expiry(ChatPrivilege::App) else {
        return Err(invalid(
            "not a chat app token (no chat App privilege; a user token?)".to_owned(),
        ));
    };
    let privilege_ends = u64::from(parsed.issue_ts()) + u64::from(privilege);
    if parsed.is_expired_at(now) || now >= privilege_ends {
        return Err(Rejection::Expired);
    }
    Ok(())
}

/// None when the header is missing, not text, not Bearer, or empty.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The client id and secret the token endpoint accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientCredentials {
    pub(crate) id: String,
    pub(crate) secret: Secret,
}

impl ClientCredentials {
    /// Compares both in constant time.
    pub(crate) fn matches(&self, id: &str, secret: &str) -> bool {
        let id_ok = Secret::from(id) == Secret::from(self.id.as_str());
        let secret_ok = Secret::from(secret) == self.secret;
        id_ok & secret_ok
    }
}

/// Tokens handed out by the token endpoint, each with its expiry (`None`:
/// never). Expired ones are dropped as new ones are issued.
#[derive(Debug, Default)]
pub(crate) struct IssuedTokens {
    tokens: Mutex<HashMap<String, Option<u64>>>,
    keys: RandomState,
    counter: AtomicU64,
}

impl IssuedTokens {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Option<u64>>> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh token valid until `expires_at` (`None`: forever).
    pub(crate) fn issue(&self, now: u64, expires_at: Option<u64>) -> String {
        let token = self.fresh();
        let mut tokens = self.lock();
        tokens.retain(|_, expiry| expiry.is_none_or(|e| now < e));
        tokens.insert(token.clone(), expires_at);
        token
    }

    /// `None` when this token was never issued here.
    pub(crate) fn judge(&self, token: &str, now: u64) -> Option<Result<(), Rejection>> {
        let expiry = *self.lock().get(token)?;
        let live = expiry.is_none_or(|e| now < e);
        Some(if live {
            Ok(())
        } else {
            Err(Rejection::Expired)
        })
    }

    // 128 bits from the process's randomly keyed hasher, shaped like the
    // service's `YWMt...` tokens; unguessable enough for a local emulator.
    fn fresh(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let a = self.keys.hash_one((n, 0u8));
        let b = self.keys.hash_one((n, 1u8));
        format!("YWMt{a:016x}{b:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_chat::auth::access_token::{mint_chat_app_token, mint_chat_user_token};

    const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
    const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

    fn app_token(issue_ts: u32, expire: u32) -> String {
        let token = mint_chat_app_token(APP_ID, &Secret::from(CERT), issue_ts, expire, 1);
        token.map(|t| t.expose().to_owned()).unwrap_or_default()
    }

    fn code(r: Result<(), ServiceError>) -> Result<(), &'static str> {
        r.map_err(|e| e.error)
    }

    #[test]
    fn app_certificate_checks_everything() {
        let auth = Auth::app_certificate(APP_ID, CERT).expect("valid credentials");
        let token = app_token(1000, 600);
        assert_eq!(code(auth.verify(&token, 1000)), Ok(()));
        assert_eq!(code(auth.verify(&token, 1599)), Ok(()));
        assert_eq!(code(auth.verify(&token, 1600)), Err("unauthorized"));
        let user = mint_chat_user_token(APP_ID, &Secret::from(CERT), 1000, 600, 1, "u1");
        let user = user.map(|t| t.expose().to_owned()).unwrap_or_default();
        assert_eq!(code(auth.verify(&user, 1000)), Err("auth_bad_access_token"));
        for junk in ["", "007", "nope", "007!!!!", &token[..token.len() - 4]] {
            assert_eq!(
                code(auth.verify(junk, 1000)),
                Err("auth_bad_access_token"),
                "{junk}"
            );
        }
    }

    #[test]
    fn any_of_prefers_the_most_telling_reason() {
        let auth = Auth::AnyOf(vec![
            Auth::Static("fixed".into()),
            Auth::app_certificate(APP_ID, CERT).expect("valid credentials"),
        ]);
        assert_eq!(code(auth.verify("fixed", 5000)), Ok(()));
        let expired = auth.verify(&app_token(1000, 600), 5000).err();
        assert_eq!(expired.map(|e| e.error), Some("unauthorized"));
        let other = auth.verify("other", 5000).err().map(|e| e.description);
        assert!(other.is_some_and(|d| d.contains("AccessToken2")));
    }

    #[test]
    fn credentials_are_validated() {
        assert!(Auth::app_certificate("short", CERT).is_err());
        assert!(Auth::app_certificate(APP_ID, "zz").is_err());
        let raw = Auth::AnyOf(vec![Auth::AppCertificate {
            app_id: APP_ID.into(),
            certificate: Secret::from("x"),
        }]);
        assert!(raw.validate().is_err());
        let debug = format!("{:?}", Auth::app_certificate(APP_ID, CERT));
        assert!(!debug.contains(CERT), "{debug}");
        let debug = format!(
            "{:?}",
            Auth::AnyOf(vec![Auth::Static("fixed-secret".into())])
        );
        assert_eq!(debug, "AnyOf([Static(<redacted>)])");
    }

    #[test]
    fn issued_tokens_expire() {
        let issued = IssuedTokens::default();
        let a = issued.issue(100, Some(160));
        let b = issued.issue(100, None);
        assert_ne!(a, b);
        assert!(a.starts_with("YWMt") && a.len() == 36, "{a}");
        assert_eq!(issued.judge(&a, 159), Some(Ok(())));
        assert_eq!(issued.judge(&a, 160), Some(Err(Rejection::Expired)));
        assert_eq!(issued.judge(&b, u64::MAX), Some(Ok(())));
        assert_eq!(issued.judge("YWMtnope", 100), None);
        let _ = issued.issue(200, Some(300));
        assert_eq!(issued.judge(&a, 200), None, "expired tokens are dropped");
    }
}
