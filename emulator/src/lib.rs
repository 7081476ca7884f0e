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

mod auth;
mod routes;
mod service_error;
mod store;
mod validate;
pub mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::Auth;
pub use routes::router;
pub use service_error::ServiceError;
pub use store::FIRST_ID;
pub use validate::is_username;

/// The token accepted when none is configured.
pub const DEFAULT_TOKEN: &str = "emulator-token";

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
        self.inner.store.ids().into_iter().map(|id| id.0).collect()
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub(crate) fn store(&self) -> &store::Store {
        &self.inner.store
    }

    pub(crate) fn log_requests(&self) -> bool {
        self.inner.log_requests
    }
}

/// Configures and starts an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    org: String,
    app: String,
    auth: Auth,
    strict_users: Option<Vec<String>>,
    addr: SocketAddr,
    log_requests: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            org: "demo".to_owned(),
            app: "demo".to_owned(),
            auth: Auth::Static(DEFAULT_TOKEN.to_owned()),
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

    /// The one bearer token accepted (default [`DEFAULT_TOKEN`]).
    pub fn token(self, token: impl Into<String>) -> Self {
        self.auth(Auth::Static(token.into()))
    }

    /// How bearer tokens are verified.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
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
            auth: self.auth.clone(),
            store: store::Store::new(self.strict_users.clone()),
            log_requests: self.log_requests,
        };
        AppState {
            inner: Arc::new(shared),
        }
    }

    /// Binds the listener and serves in a background task.
    pub async fn start(self) -> std::io::Result<Emulator> {
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
