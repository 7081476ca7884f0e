//! A local HTTP server that speaks the Agora Chat chatroom REST API the way the
//! real service does: same paths under `/{org}/{app}`, same success envelope,
//! same flat error bodies and status codes.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emu = agora_chat_emulator::Emulator::builder()
//!     .org("demo")
//!     .app("demo")
//!     .token("secret-token")
//!     .start()
//!     .await?;
//! let api = format!("{}/demo/demo/chatrooms", emu.base_url());
//! # let _ = api;
//! emu.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Choices where the service's documentation is silent:
//! - Checks run in this order: org/app (404), token (401), route and method
//!   (404/405), content type (415), size (413), JSON (400 `json_parse`), values.
//! - Path, query and body are read into the client's generated types (serde)
//!   by the generated server skeleton ([`generated::api`]): a missing field or
//!   a value of the wrong type is 400 `invalid_parameter` naming the field
//!   (the service words it "owner must be provided"); unknown create fields
//!   are ignored, unknown update fields refused.
//! - `null` counts as an absent field.
//! - A list in a path segment (`/chatrooms/{ids}`) is split on `,` and on
//!   `%2C`/`%2c`; empty items are ignored.
//! - 405, 413 and 415 use `web_application`, like the service's JAX-RS layer.
//! - In `GET /chatrooms/{ids}`, duplicate ids are answered once, and ids that
//!   are not all digits are simply not found. An empty `cursor=` is 400
//!   `invalid_parameter`, like any malformed cursor (the client refuses it too).
//! - Path parameters, queries and bodies are checked with the client's own generated validation
//!   (`agora_chat::validate`): more members than `maxusers` is 403
//!   `exceed_limit`, any other broken rule 400 `invalid_parameter` naming
//!   every broken rule.
//!
//! Base paths: the API is served under `/{org}/{app}` and, when an App ID
//! is known ([`EmulatorBuilder::app_id`], or the App ID of
//! [`EmulatorBuilder::app_credentials`]), also under `/app-id/{app_id}`,
//! the second form of the service's base URL, with the same state.
//!
//! Authentication (see [`EmulatorBuilder`]): a fixed token (the default),
//! AccessToken2 app tokens for an App ID + App Certificate
//! ([`EmulatorBuilder::app_credentials`]), and Easemob-style client
//! credentials at `POST /{org}/{app}/token`
//! ([`EmulatorBuilder::client_credentials`]). Token expiry follows the
//! emulator's [`Clock`] ([`ManualClock`] lets tests move it).
//!
//! # Test controls
//!
//! Operations are named by the client's operation ids
//! (`agora_chat::operations::OPERATIONS`): `create_chatroom`,
//! `list_chatrooms`, `list_joined_chatrooms`, `get_chatrooms`,
//! `update_chatroom`, `delete_chatroom`.
//!
//! - **Request counts**: [`Emulator::request_count`] counts every request
//!   that reached an operation's route of this app, whatever the answer
//!   (rejected tokens, injected faults and 429s included);
//!   [`Emulator::arrivals`] gives their arrival times, e.g. to measure a
//!   client's backoff; [`Emulator::reset_request_counts`] starts again.
//! - **Quotas** ([`EmulatorBuilder::quotas`], `--quotas documented`; off by
//!   default): at most N requests of an operation whose arrivals lie within
//!   any one second; the next is answered 429 with the service's flat body
//!   `{"error":"reach_limit",...,"error_description":"This request has reached
//!   api limit"}`. [`Quotas::Documented`] takes the numbers from the client's
//!   operation metadata (create, list and joined 50/s; details, update and
//!   delete 100/s); [`Quotas::per_second`] and [`Quotas::with`] set others.
//!   Quotas are checked after the token: refused requests, and requests with
//!   a bad token, do not use them up. [`Emulator::throttled_count`] counts the
//!   429s they gave.
//! - **Faults** ([`Emulator::faults`], [`Fault`]): the next N calls of an
//!   operation answer a status (with a body and headers such as
//!   `Retry-After`), wait before answering, close the connection without an
//!   answer, answer 200 with malformed JSON, or cut the answer's body short.
//!   Each fault applies before processing (the call has no effect) or after
//!   it (the call takes effect, then its answer is replaced or lost). Faults
//!   are used up in order, one per call, as calls arrive; they come before
//!   the token check and the quotas.
//!
//! # The admin endpoint
//!
//! The same controls over HTTP, under `/_emulator` (a path the real service
//! does not have; no service token needed; JSON in and out):
//!
//! | request | effect and answer |
//! |---|---|
//! | `POST /_emulator/faults` | queues one fault object, or an array of them (all or none): `{"faults": [..]}`, every queued fault |
//! | `GET /_emulator/faults` | `{"faults": [..]}`, next first for each operation |
//! | `DELETE /_emulator/faults[?operation=ID]` | removes all queued faults, or one operation's |
//! | `GET /_emulator/requests` | `{"requests": {"create_chatroom": 3, ..}, "throttled": {..}}` |
//! | `DELETE /_emulator/requests` | sets the counts back to 0 |
//! | `GET /_emulator/quotas` | `{"quotas": {"create_chatroom": 50, ..}}` (limited operations only) |
//! | `GET /_emulator/health` | `{"status": "ok"}` (never needs the admin token) |
//! | `GET /_emulator/openapi.json` | the OpenAPI 3.1 document of the API (never needs the admin token) |
//! | `GET /_emulator/info` | [`Info`]: name, version, org, app, auth modes, quotas on/off |
//! | `POST /_emulator/reset[?scope=counts]` | [`Reset`]: everything (chatrooms, counts, quota windows, faults, journal) or the counts only |
//! | `GET /_emulator/state` | the whole state, a [`StateSnapshot`] document (version [`STATE_VERSION`]) |
//! | `PUT /_emulator/state` | replaces the whole state with the document sent (all or nothing); answers it |
//! | `GET /_emulator/journal` | `{"requests": [..]}`: [`JournalEntry`]s, oldest first, newest [`JOURNAL_KEPT`] kept |
//! | `DELETE /_emulator/journal` | empties the journal |
//! | `GET /_emulator/clock` | `{"now_unix": N}`, the clock token expiry is judged by |
//! | `POST /_emulator/clock` | `{"now_unix": N}` sets it, `{"advance_secs": N}` moves it forward |
//!
//! With [`EmulatorBuilder::admin_token`] (`--admin-token`), every control but `health` answers
//! 401 `unauthorized` without `Authorization: Bearer <admin token>`. The same controls are
//! methods of [`Emulator`] and [`AppState`]: [`Emulator::info`], [`Emulator::reset`],
//! [`Emulator::export_state`], [`Emulator::import_state`], [`Emulator::journal`],
//! [`Emulator::clear_journal`], [`Emulator::now_unix`], [`Emulator::set_clock`],
//! [`Emulator::advance_clock`], and `Emulator::client` (feature `client`) for a ready client.
//!
//! A fault object:
//!
//! ```json
//! {"operation": "create_chatroom",
//!  "fault": "status",
//!  "status": 503,
//!  "body": "<html>busy</html>",
//!  "headers": {"Retry-After": "1"},
//!  "delay_ms": 0,
//!  "when": "before",
//!  "times": 3}
//! ```
//!
//! `fault` is one of `status` (needs `status`), `delay` (the normal answer,
//! `delay_ms` late), `drop` (close the connection unanswered), `malformed`
//! (200 with broken JSON) and `truncated` (the head and half the body, then
//! close). `body` is sent as it is when a string, as JSON otherwise; `when`
//! is `before` (default) or `after` processing; `delay_ms` (default 0) waits
//! before answering with any fault; `times` defaults to 1. Unknown fields,
//! operations, statuses or header names are refused with 400
//! `invalid_parameter`.

// Everything public is documented (the generated server code included).
#![deny(missing_docs)]

mod auth;
pub mod cli;
mod clock;
mod controls;
pub mod faults;
mod handle;
// Formatted by prettyplease when generated; rustfmt must not reformat it.
#[rustfmt::skip]
/// Code generated from the spec: the server skeleton (`Api` trait, typed handlers, router).
pub mod generated;
mod journal;
mod link;
mod quota;
mod routes;
pub mod server;
mod service_error;
pub mod standalone;
mod state_file;
mod store;
mod validate;
pub mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use agora_chat::Secret;
use axum::http::HeaderMap;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::Auth;
pub use clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use controls::ARRIVALS_KEPT;
pub use faults::{Fault, FaultError, Faults};
pub use handle::{Info, Reset};
pub use journal::{JOURNAL_KEPT, JournalEntry, REDACTED};
pub use quota::Quotas;
pub use routes::router;
pub use service_error::ServiceError;
pub use store::{ChatroomState, FIRST_ID, STATE_VERSION, StateError, StateSnapshot};
pub use validate::is_username;

/// The token accepted when no other authentication is configured.
pub const DEFAULT_TOKEN: &str = "emulator-token";

/// Lifetime of a token from `POST /{org}/{app}/token` sent without `ttl`.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 86_400;

/// Milliseconds since the Unix epoch, as the service stamps responses.
pub(crate) fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Everything the routes share; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    org: String,
    app: String,
    /// Serves `/app-id/{app_id}` too, when set.
    app_id: Option<String>,
    auth: Auth,
    client_credentials: Option<auth::ClientCredentials>,
    issued: auth::IssuedTokens,
    clock: clock::ControlledClock,
    store: store::Store,
    journal: journal::Journal,
    /// When set, the control endpoints need it as a bearer token.
    admin_token: Option<Secret>,
    log_requests: bool,
    requests: controls::Counters,
    arrivals: controls::Arrivals,
    limiter: quota::Limiter,
    faults: Faults,
}

impl AppState {
    /// The organization name the API lives under.
    pub fn org(&self) -> &str {
        &self.inner.org
    }

    /// The app name the API lives under.
    pub fn app(&self) -> &str {
        &self.inner.app
    }

    /// The App ID whose base path `/app-id/{app_id}` is served beside
    /// `/{org}/{app}`, with the same state; `None` when only the latter is.
    pub fn app_id(&self) -> Option<&str> {
        self.inner.app_id.as_deref()
    }

    /// The rest of `path` below one of this app's base paths (`/{org}/{app}`
    /// or `/app-id/{app_id}`), each matched as whole segments.
    pub(crate) fn below_app<'a>(&self, path: &'a str) -> Option<&'a str> {
        below(path, self.org(), self.app()).or_else(|| below(path, "app-id", self.app_id()?))
    }

    /// How many chatrooms exist now.
    pub fn chatroom_count(&self) -> usize {
        self.inner.store.count()
    }

    /// Every chatroom id, oldest first.
    pub fn chatroom_ids(&self) -> Vec<String> {
        let ids = self.inner.store.ids().into_iter();
        ids.map(wire::ChatroomId::into_inner).collect()
    }

    /// The emulator's clock, in seconds since the Unix epoch.
    pub fn now_unix(&self) -> u64 {
        self.inner.clock.now_unix()
    }

    /// Checks the request's bearer token: issued by the token endpoint and
    /// not expired, or accepted by the configured [`Auth`].
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<(), ServiceError> {
        let token = auth::bearer_token(headers).ok_or_else(ServiceError::unauthorized)?;
        let now = self.now_unix();
        match self.inner.issued.judge(token, now) {
            Some(verdict) => verdict.map_err(auth::Rejection::into_error),
            None => self.inner.auth.verify(token, now),
        }
    }

    /// Trades client credentials for a token valid `ttl` seconds
    /// ([`DEFAULT_TOKEN_TTL_SECS`] when `None`, forever when 0).
    pub(crate) fn issue_token(
        &self,
        client_id: &str,
        client_secret: &str,
        ttl: Option<u64>,
    ) -> Result<(String, u64), ServiceError> {
        let Some(expected) = &self.inner.client_credentials else {
            return Err(ServiceError::bad_credentials(
                "no client credentials are configured on this emulator \
                 (EmulatorBuilder::client_credentials, or --client-id and --client-secret)",
            ));
        };
        if !expected.matches(client_id, client_secret) {
            return Err(ServiceError::bad_credentials(
                "invalid client_id or client_secret",
            ));
        }
        let ttl = ttl.unwrap_or(DEFAULT_TOKEN_TTL_SECS);
        let now = self.now_unix();
        let expires_at = (ttl > 0).then(|| now.saturating_add(ttl));
        Ok((self.inner.issued.issue(now, expires_at), ttl))
    }

    /// How many requests reached the route of the client operation
    /// `operation` (e.g. `create_chatroom`), whatever the answer: rejected
    /// tokens, injected faults and 429s included. 0 for an unknown id.
    pub fn request_count(&self, operation: &str) -> u64 {
        self.inner.requests.get(operation)
    }

    /// Every operation's request count, in the spec's order.
    pub fn request_counts(&self) -> Vec<(&'static str, u64)> {
        self.inner.requests.all()
    }

    /// When the requests of `operation` arrived, oldest first: the latest
    /// requests of all operations, at most [`ARRIVALS_KEPT`] in all, are
    /// kept. Useful to measure a client's backoff between attempts.
    pub fn arrivals(&self, operation: &str) -> Vec<Instant> {
        self.inner.arrivals.of(operation)
    }

    /// Sets every request count, and every [throttled
    /// count](Self::throttled_count), back to 0, and forgets the
    /// [arrivals](Self::arrivals).
    pub fn reset_request_counts(&self) {
        self.inner.requests.reset();
        self.inner.arrivals.clear();
        self.inner.limiter.reset_throttled();
    }

    /// How many requests of `operation` the [quotas](EmulatorBuilder::quotas)
    /// answered 429 `reach_limit` (injected faults not included).
    pub fn throttled_count(&self, operation: &str) -> u64 {
        self.inner.limiter.throttled(operation)
    }

    /// Every operation's throttled count, in the spec's order.
    pub fn throttled_counts(&self) -> Vec<(&'static str, u64)> {
        self.inner.limiter.throttled_counts()
    }

    /// The quotas enforced.
    pub fn quotas(&self) -> &Quotas {
        self.inner.limiter.quotas()
    }

    /// The faults waiting to be injected; push more at any time.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    pub(crate) fn limiter(&self) -> &quota::Limiter {
        &self.inner.limiter
    }

    pub(crate) fn count_request(&self, operation: &'static str) {
        self.inner.requests.add(operation);
        self.inner.arrivals.add(operation, Instant::now());
    }

    pub(crate) fn store(&self) -> &store::Store {
        &self.inner.store
    }

    pub(crate) fn log_requests(&self) -> bool {
        self.inner.log_requests
    }
}

/// Configures and starts an [`Emulator`].
///
/// Authentication: with nothing configured, [`DEFAULT_TOKEN`] is the one
/// token accepted. [`token`](Self::token) and
/// [`app_credentials`](Self::app_credentials) each add a way in (a later call
/// of the same kind replaces the earlier one), so both can be accepted side
/// by side; once either is set, [`DEFAULT_TOKEN`] is no longer accepted.
/// [`auth`](Self::auth) replaces all of them. Tokens from the token endpoint
/// ([`client_credentials`](Self::client_credentials)) are accepted as well.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    org: String,
    app: String,
    /// Empty means [`DEFAULT_TOKEN`].
    auth: Vec<Auth>,
    client_credentials: Option<auth::ClientCredentials>,
    clock: clock::SharedClock,
    admin_token: Option<Secret>,
    strict_users: Option<Vec<String>>,
    app_id: Option<String>,
    addr: SocketAddr,
    log_requests: bool,
    quotas: Quotas,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            org: "demo".to_owned(),
            app: "demo".to_owned(),
            auth: Vec::new(),
            client_credentials: None,
            clock: clock::SharedClock::default(),
            admin_token: None,
            strict_users: None,
            app_id: None,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            log_requests: false,
            quotas: Quotas::Off,
        }
    }
}

impl EmulatorBuilder {
    /// Organization name (default `demo`).
    pub fn org(mut self, org: impl Into<String>) -> Self {
        self.org = org.into();
        self
    }

    /// App name (default `demo`).
    pub fn app(mut self, app: impl Into<String>) -> Self {
        self.app = app.into();
        self
    }

    /// Accepts this fixed bearer token (default [`DEFAULT_TOKEN`]).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth.retain(|a| !matches!(a, Auth::Static(_)));
        self.auth.push(Auth::Static(token.into()));
        self
    }

    /// Accepts AccessToken2 chat app tokens for this App ID, signed with this
    /// App Certificate (each 32 hex characters; [`start`](Self::start) fails
    /// with `InvalidInput` otherwise), until they expire at the emulator's
    /// clock.
    pub fn app_credentials(
        mut self,
        app_id: impl Into<String>,
        certificate: impl Into<Secret>,
    ) -> Self {
        self.auth
            .retain(|a| !matches!(a, Auth::AppCertificate { .. }));
        self.auth.push(Auth::AppCertificate {
            app_id: app_id.into(),
            certificate: certificate.into(),
        });
        self
    }

    /// Serves `POST /{org}/{app}/token` for this client id and secret; the
    /// tokens it issues are accepted until they expire at the emulator's clock.
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        self.client_credentials = Some(auth::ClientCredentials {
            id: client_id.into(),
            secret: client_secret.into(),
        });
        self
    }

    /// How bearer tokens are verified; replaces [`token`](Self::token) and
    /// [`app_credentials`](Self::app_credentials).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = vec![auth];
        self
    }

    /// The clock token expiry is judged by (default: the system clock). Keep
    /// a clone of a [`ManualClock`] to move time in tests.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = clock::SharedClock(Arc::new(clock));
        self
    }

    /// Also serves the API under `/app-id/{app_id}` (the base path of Agora's
    /// current API reference), with the same state. By default the App ID of
    /// [`app_credentials`](Self::app_credentials) is served there, if set.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    // The App ID served under `/app-id/`: set explicitly, or the credentials' one.
    fn effective_app_id(&self) -> Option<String> {
        let from_credentials = self.auth.iter().find_map(|auth| match auth {
            Auth::AppCertificate { app_id, .. } => Some(app_id.clone()),
            _ => None,
        });
        self.app_id.clone().or(from_credentials)
    }

    /// Protects the control endpoints (`/_emulator/...`, except `health`): they then answer
    /// 401 `unauthorized` without `Authorization: Bearer <admin token>`.
    pub fn admin_token(mut self, token: impl Into<Secret>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    // What the routes check tokens with.
    fn effective_auth(&self) -> Auth {
        match self.auth.as_slice() {
            [] => Auth::Static(DEFAULT_TOKEN.to_owned()),
            [one] => one.clone(),
            all => Auth::AnyOf(all.to_vec()),
        }
    }

    /// Strict mode: only these users (and the users registered through the API) exist;
    /// any other owner, member or queried user answers 404 `resource_not_found`.
    pub fn strict_users<I, S>(mut self, users: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.strict_users = Some(users.into_iter().map(Into::into).collect());
        self
    }

    /// Listen on 127.0.0.1 at this port (0 picks a free one, the default).
    pub fn port(mut self, port: u16) -> Self {
        self.addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        self
    }

    /// Listen on this address.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Write one line per request (method, path, status, elapsed) to stderr.
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Enforces per-operation rate limits, as the service does (default
    /// [`Quotas::Off`]): a request over its operation's quota within any one
    /// second is answered 429 `reach_limit`. [`start`](Self::start) fails
    /// with `InvalidInput` when a limit names an unknown operation.
    pub fn quotas(mut self, quotas: Quotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// The shared state, for embedding [`router`] in another server.
    pub fn state(&self) -> AppState {
        let shared = Shared {
            org: self.org.clone(),
            app: self.app.clone(),
            app_id: self.effective_app_id(),
            auth: self.effective_auth(),
            client_credentials: self.client_credentials.clone(),
            issued: auth::IssuedTokens::default(),
            clock: clock::ControlledClock::new(self.clock.clone()),
            store: store::Store::new(self.strict_users.clone()),
            journal: journal::Journal::default(),
            admin_token: self.admin_token.clone(),
            log_requests: self.log_requests,
            requests: controls::Counters::default(),
            arrivals: controls::Arrivals::default(),
            limiter: quota::Limiter::new(&self.quotas),
            faults: Faults::default(),
        };
        AppState {
            inner: Arc::new(shared),
        }
    }

    /// Binds the listener and serves in a background task. Fails with
    /// `InvalidInput` when an App ID or certificate is not 32 hex characters,
    /// or a quota names an unknown operation.
    pub async fn start(self) -> std::io::Result<Emulator> {
        let invalid =
            |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
        self.effective_auth().validate().map_err(|e| {
            invalid(format!(
                "{e} (the App ID and App Certificate are 32 hex characters each)"
            ))
        })?;
        self.quotas.check().map_err(invalid)?;
        let listener = link::LinkListener(tokio::net::TcpListener::bind(self.addr).await?);
        let addr = axum::serve::Listener::local_addr(&listener)?;
        let state = self.state();
        // Each connection's `Link` lets the faults close it or cut it short.
        let app = router(state.clone()).into_make_service_with_connect_info::<link::Link>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // A dropped sender also ends the wait, so Drop stops the server too.
            let signal = async {
                let _ = stopped.await;
            };
            let served = axum::serve(listener, app).with_graceful_shutdown(signal);
            if let Err(e) = served.await {
                tracing::warn!(error = %e, "emulator server stopped with an error");
            }
        });
        tracing::debug!(%addr, "emulator listening");
        Ok(Emulator {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A running emulator. Stops on [`Emulator::shutdown`] or when dropped.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// A builder with the defaults: org `demo`, app `demo`, token
    /// [`DEFAULT_TOKEN`], any well-formed user, a free port on 127.0.0.1.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; the API lives
    /// under `/{org}/{app}` below it.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (inspection helpers live there too).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// How many chatrooms exist now.
    pub fn chatroom_count(&self) -> usize {
        self.state.chatroom_count()
    }

    /// Every chatroom id, oldest first.
    pub fn chatroom_ids(&self) -> Vec<String> {
        self.state.chatroom_ids()
    }

    /// The emulator's clock, in seconds since the Unix epoch.
    pub fn now_unix(&self) -> u64 {
        self.state.now_unix()
    }

    /// How many requests reached the route of the client operation
    /// `operation` (an id of `agora_chat::operations::OPERATIONS`, e.g.
    /// `create_chatroom`), whatever the answer: rejected tokens, injected
    /// faults and 429s included. 0 for an unknown id.
    pub fn request_count(&self, operation: &str) -> u64 {
        self.state.request_count(operation)
    }

    /// Sets every request count, and every throttled count, back to 0.
    pub fn reset_request_counts(&self) {
        self.state.reset_request_counts();
    }

    /// How many requests of `operation` the quotas answered 429 `reach_limit`.
    pub fn throttled_count(&self, operation: &str) -> u64 {
        self.state.throttled_count(operation)
    }

    /// When the kept requests of `operation` arrived, oldest first (see
    /// [`AppState::arrivals`]).
    pub fn arrivals(&self, operation: &str) -> Vec<Instant> {
        self.state.arrivals(operation)
    }

    /// The faults waiting to be injected: `emu.faults().push("create_chatroom",
    /// Fault::status(503).times(3))`.
    pub fn faults(&self) -> &Faults {
        self.state.faults()
    }

    /// Stops accepting connections and waits for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // A panicked or cancelled server task has nothing left to stop.
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

// The rest of `path` when it starts with `/{first}/{second}` as a whole segment pair.
fn below<'a>(path: &'a str, first: &str, second: &str) -> Option<&'a str> {
    let rest = path.strip_prefix('/')?.strip_prefix(first)?;
    let rest = rest.strip_prefix('/')?.strip_prefix(second)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The crate README's Rust examples are compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
