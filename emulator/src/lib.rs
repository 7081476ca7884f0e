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
//! - A missing required field is 400 `invalid_parameter`, as the service
//!   answers ("owner must be provided"); unknown create fields are ignored.
//! - `null` counts as an absent field.
//! - 405, 413 and 415 use `web_application`, like the service's JAX-RS layer.
//! - In `GET /chatrooms/{ids}`, duplicate ids are answered once, and ids that
//!   are not all digits are simply not found. An empty `cursor=` means the
//!   first page.
//! - Request bodies are checked with the client's own generated validation
//!   (`agora_chat::validate`): more members than `maxusers` is 403
//!   `exceed_limit`, any other broken rule 400 `invalid_parameter` naming
//!   every broken rule.
//!
//! Authentication (see [`EmulatorBuilder`]): a fixed token (the default),
//! AccessToken2 app tokens for an App ID + App Certificate
//! ([`EmulatorBuilder::app_credentials`]), and Easemob-style client
//! credentials at `POST /{org}/{app}/token`
//! ([`EmulatorBuilder::client_credentials`]). Token expiry follows the
//! emulator's [`Clock`] ([`ManualClock`] lets tests move it).

mod auth;
mod clock;
mod routes;
mod service_error;
mod store;
mod validate;
pub mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use agora_chat::Secret;
use axum::http::HeaderMap;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::Auth;
pub use clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use routes::router;
pub use service_error::ServiceError;
pub use store::FIRST_ID;
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
    auth: Auth,
    client_credentials: Option<auth::ClientCredentials>,
    issued: auth::IssuedTokens,
    clock: clock::SharedClock,
    store: store::Store,
    log_requests: bool,
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
    strict_users: Option<Vec<String>>,
    addr: SocketAddr,
    log_requests: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            org: "demo".to_owned(),
            app: "demo".to_owned(),
            auth: Vec::new(),
            client_credentials: None,
            clock: clock::SharedClock::default(),
            strict_users: None,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            log_requests: false,
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

    // What the routes check tokens with.
    fn effective_auth(&self) -> Auth {
        match self.auth.as_slice() {
            [] => Auth::Static(DEFAULT_TOKEN.to_owned()),
            [one] => one.clone(),
            all => Auth::AnyOf(all.to_vec()),
        }
    }

    /// Strict mode: only these users exist; any other owner, member or
    /// queried user answers 404 `resource_not_found`.
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

    /// The shared state, for embedding [`router`] in another server.
    pub fn state(&self) -> AppState {
        let shared = Shared {
            org: self.org.clone(),
            app: self.app.clone(),
            auth: self.effective_auth(),
            client_credentials: self.client_credentials.clone(),
            issued: auth::IssuedTokens::default(),
            clock: self.clock.clone(),
            store: store::Store::new(self.strict_users.clone()),
            log_requests: self.log_requests,
        };
        AppState {
            inner: Arc::new(shared),
        }
    }

    /// Binds the listener and serves in a background task. Fails with
    /// `InvalidInput` when an App ID or certificate is not 32 hex characters.
    pub async fn start(self) -> std::io::Result<Emulator> {
        self.effective_auth().validate().map_err(|e| {
            let message =
                format!("{e} (the App ID and App Certificate are 32 hex characters each)");
            std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
        })?;
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let state = self.state();
        let app = router(state.clone());
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
