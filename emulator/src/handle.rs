//! The test controls on the in-process handle ([`AppState`], and [`Emulator`] which hands
//! them on): info, reset, state export and import, the request journal and the clock. The
//! admin routes (`/_emulator/...`) call exactly these, so both ways behave the same.

use std::time::Duration;

use serde::Serialize;

use crate::journal::JournalEntry;
use crate::store::{STATE_VERSION, StateError, StateSnapshot};
use crate::{AppState, Auth, Emulator, Quotas};

/// What a running emulator is: `GET /_emulator/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Info {
    /// `agora-chat-emulator`.
    pub name: &'static str,
    /// This crate's version.
    pub version: &'static str,
    /// The org name served.
    pub org: String,
    /// The app name served.
    pub app: String,
    /// The ways a bearer token is accepted: `token` (a fixed token), `app_token`
    /// (AccessToken2 for an App ID), `client_credentials` (tokens from `POST /ORG/APP/token`).
    pub auth: Vec<&'static str>,
    /// Whether per-operation quotas are enforced.
    pub quotas: bool,
    /// Whether the control endpoints need the admin token.
    pub admin_token: bool,
    /// The state document version export writes and import reads.
    pub state_version: u32,
}

/// What [`AppState::reset`] forgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reset {
    /// Chatrooms and users (ids start again at [`FIRST_ID`](crate::FIRST_ID)), request and
    /// throttled counts, arrivals, the quotas' windows (full quotas again), queued faults
    /// and the journal. The clock, the
    /// configuration and tokens already issued stay, so a client keeps working.
    #[default]
    All,
    /// Only the request and throttled counts and the arrivals.
    Counts,
}

impl AppState {
    /// Name, version, org/app, auth modes, quotas on or off.
    pub fn info(&self) -> Info {
        let mut auth = auth_modes(&self.inner.auth);
        if self.inner.client_credentials.is_some() {
            auth.push("client_credentials");
        }
        Info {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            org: self.org().to_owned(),
            app: self.app().to_owned(),
            auth,
            quotas: self.quotas() != &Quotas::Off,
            admin_token: self.inner.admin_token.is_some(),
            state_version: STATE_VERSION,
        }
    }

    /// Forgets what `what` names (see [`Reset`]).
    pub fn reset(&self, what: Reset) {
        self.reset_request_counts();
        if what == Reset::All {
            self.inner.store.clear();
            self.inner.limiter.reset_windows();
            self.inner.faults.clear();
            self.inner.journal.clear();
        }
    }

    /// The whole state (chatrooms, hence users) as a versioned document; no credentials.
    pub fn export_state(&self) -> StateSnapshot {
        self.inner.store.export()
    }

    /// Replaces the whole state with `snapshot`; on error nothing changed.
    pub fn import_state(&self, snapshot: &StateSnapshot) -> Result<(), StateError> {
        self.inner.store.import(snapshot)
    }

    /// The requests the API received (not the control endpoints), oldest first; at most
    /// [`JOURNAL_KEPT`](crate::JOURNAL_KEPT), the newest.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.inner.journal.entries()
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.inner.journal.clear();
    }

    /// Moves the emulator's clock to `now_unix` seconds since the Unix epoch; it then keeps
    /// running with the configured clock.
    pub fn set_clock(&self, now_unix: u64) {
        self.inner.clock.set(now_unix);
    }

    /// Moves the emulator's clock forward by the whole seconds of `by`.
    pub fn advance_clock(&self, by: Duration) {
        self.inner.clock.advance(by.as_secs());
    }

    pub(crate) fn record(&self, entry: JournalEntry) {
        self.inner.journal.add(entry);
    }

    pub(crate) fn admin_token(&self) -> Option<&agora_chat::Secret> {
        self.inner.admin_token.as_ref()
    }
}

fn auth_modes(auth: &Auth) -> Vec<&'static str> {
    match auth {
        Auth::Static(_) => vec!["token"],
        Auth::AppCertificate { .. } => vec!["app_token"],
        Auth::AnyOf(all) => all.iter().flat_map(auth_modes).collect(),
    }
}

impl Emulator {
    /// Whether the server still runs (the in-process twin of `GET /_emulator/health`).
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// See [`AppState::info`].
    pub fn info(&self) -> Info {
        self.state.info()
    }

    /// See [`AppState::reset`].
    pub fn reset(&self, what: Reset) {
        self.state.reset(what);
    }

    /// See [`AppState::export_state`].
    pub fn export_state(&self) -> StateSnapshot {
        self.state.export_state()
    }

    /// See [`AppState::import_state`].
    pub fn import_state(&self, snapshot: &StateSnapshot) -> Result<(), StateError> {
        self.state.import_state(snapshot)
    }

    /// See [`AppState::journal`].
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.journal()
    }

    /// See [`AppState::clear_journal`].
    pub fn clear_journal(&self) {
        self.state.clear_journal();
    }

    /// See [`AppState::set_clock`].
    pub fn set_clock(&self, now_unix: u64) {
        self.state.set_clock(now_unix);
    }

    /// See [`AppState::advance_clock`].
    pub fn advance_clock(&self, by: Duration) {
        self.state.advance_clock(by);
    }

    /// A client configured for this emulator: its base URL, `ORG#APP` app key, plain HTTP
    /// allowed, and credentials it accepts (its fixed token, else app tokens minted from
    /// its App ID and Certificate, else its client credentials).
    #[cfg(feature = "client")]
    pub fn client(&self) -> Result<agora_chat::Client, agora_chat::ConfigError> {
        let builder = agora_chat::Client::builder()
            .base_url(self.base_url())
            .org_name(self.state.org())
            .app_name(self.state.app())
            .allow_http(true);
        self.state.with_credentials(builder).build()
    }
}

#[cfg(feature = "client")]
impl AppState {
    fn with_credentials(&self, builder: agora_chat::ClientBuilder) -> agora_chat::ClientBuilder {
        use agora_chat::auth::{AppCredentials, ClientCredentials};
        let auth = &self.inner.auth;
        if let Some(token) = first_static(auth) {
            return builder.app_token(token);
        }
        if let Some((app_id, certificate)) = first_app_certificate(auth) {
            return builder.app_credentials(AppCredentials::new(app_id, certificate.clone()));
        }
        match &self.inner.client_credentials {
            Some(c) => builder.client_credentials(ClientCredentials::new(&c.id, c.secret.clone())),
            None => builder,
        }
    }
}

#[cfg(feature = "client")]
fn first_static(auth: &Auth) -> Option<String> {
    match auth {
        Auth::Static(token) => Some(token.clone()),
        Auth::AppCertificate { .. } => None,
        Auth::AnyOf(all) => all.iter().find_map(first_static),
    }
}

#[cfg(feature = "client")]
fn first_app_certificate(auth: &Auth) -> Option<(&str, &agora_chat::Secret)> {
    match auth {
        Auth::Static(_) => None,
        Auth::AppCertificate {
            app_id,
            certificate,
        } => Some((app_id, certificate)),
        Auth::AnyOf(all) => all.iter().find_map(first_app_certificate),
    }
}
