//! The client and its configuration: builder, app key, environment.

use crate::auth::access_token::{TokenError, TokenMinter};
use crate::auth::{AppCredentials, AuthError, ClientCredentials, StaticToken, TokenSource};
use crate::limit::{RateLimiter, RateLimits};
use crate::request::encode_segment;
use crate::retry::{RetryBudget, RetryPolicy};
use crate::secret::Secret;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A client for one app (`org_name#app_name`). Cheap to clone: clones share one connection
/// pool and one token source.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    /// A per-call retry policy, from [`Client::with_retry`].
    pub(crate) retry_override: Option<Arc<RetryPolicy>>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    /// `https://host/{org_name}/{app_name}`, with org and app percent-encoded.
    pub api_root: reqwest::Url,
    /// The HTTP client is the user's and may follow redirects (see `transport::Request`).
    pub may_follow_redirects: bool,
    pub tokens: Arc<dyn TokenSource>,
    pub validate: bool,
    pub max_response_bytes: usize,
    pub retry: RetryPolicy,
    pub budget: RetryBudget,
    pub limiter: RateLimiter,
    /// The attempts' time limits.
    pub watchdog: crate::watchdog::Watchdog,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_root", &self.inner.api_root.as_str())
            .field("tokens", &self.inner.tokens)
            .field("validate", &self.inner.validate)
            .field("retry", self.retry_policy())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder for a client. With the default `rustls-ring` feature it also installs ring as
    /// rustls's process-wide crypto provider when the application has not chosen one, so a
    /// `reqwest::Client` built after this call (for
    /// [`http_client`](ClientBuilder::http_client)) can speak TLS.
    ///
    /// ```
    /// use agora_chat::Client;
    /// use std::time::Duration;
    ///
    /// let client = Client::builder()
    ///     .base_url("https://a41.chat.agora.io")
    ///     .app_key("myorg#myapp")
    ///     .app_token("<app token>")
    ///     .timeout(Duration::from_secs(10))
    ///     .build()?;
    /// assert_eq!(client.api_root(), "https://a41.chat.agora.io/myorg/myapp");
    /// # Ok::<(), agora_chat::ConfigError>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        crate::tls::install_default_tls_provider();
        ClientBuilder::default()
    }

    /// Configures a client from the environment:
    /// `AGORA_CHAT_BASE_URL`; `AGORA_CHAT_APP_KEY` (`org#app`) or `AGORA_CHAT_ORG_NAME` +
    /// `AGORA_CHAT_APP_NAME`; `AGORA_CHAT_APP_TOKEN`; and `AGORA_CHAT_ALLOW_HTTP=1` to allow a
    /// plain-HTTP base URL (local servers only). Instead of a fixed token,
    /// `AGORA_CHAT_APP_ID` + `AGORA_CHAT_APP_CERTIFICATE` mint app tokens locally.
    ///
    /// An empty variable counts as unset. An error names the variable and shows its value
    /// unless it is a secret (the token and the certificate).
    ///
    /// ```no_run
    /// // e.g. AGORA_CHAT_BASE_URL=https://a41.chat.agora.io AGORA_CHAT_APP_KEY=myorg#myapp
    /// //      AGORA_CHAT_APP_TOKEN=...
    /// let client = match agora_chat::Client::from_env() {
    ///     Ok(client) => client,
    ///     Err(err) => {
    ///         // Display names the variable and, unless it is a secret, its value.
    ///         eprintln!("bad configuration: {err}");
    ///         std::process::exit(2);
    ///     }
    /// };
    /// # let _ = client;
    /// ```
    pub fn from_env() -> Result<Client, ConfigError> {
        ClientBuilder::from_vars(|name| std::env::var(name).ok())?.build()
    }

    /// The root every path is appended to: `{base_url}/{org_name}/{app_name}`.
    pub fn api_root(&self) -> &str {
        self.inner.api_root.as_str()
    }

    /// The same client (same connections, tokens, rate limits and retry budget) with another
    /// retry policy, for the calls made through it: `client.with_retry(RetryPolicy::never())`.
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        Client {
            inner: self.inner.clone(),
            retry_override: Some(Arc::new(policy)),
        }
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        self.retry_override.as_deref().unwrap_or(&self.inner.retry)
    }

    /// Whether requests are validated before they are sent (on by default).
    pub fn validates_requests(&self) -> bool {
        self.inner.validate
    }
}

/// How the client gets its tokens; resolved in `build`, which has the HTTP client.
#[derive(Debug)]
enum Tokens {
    Source(Arc<dyn TokenSource>),
    App(AppCredentials),
    Client(ClientCredentials),
}

/// Builds a [`Client`]. Required: a base URL, the app (its key, its org and app names, or its
/// App ID), and a token.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: Option<String>,
    app_key: Option<String>,
    org_name: Option<String>,
    app_name: Option<String>,
    app_id: Option<String>,
    tokens: Option<Tokens>,
    allow_http: bool,
    validate: bool,
    connect_timeout: Duration,
    /// Set by `timeout`, applied over the retry policy in `build` (so the order of the two
    /// calls does not matter).
    attempt_timeout: Option<Duration>,
    retry: RetryPolicy,
    budget: RetryBudget,
    rate_limits: RateLimits,
    /// The rate limits' windows in Redis, shared with other processes (feature `redis`).
    #[cfg(feature = "redis")]
    redis: Option<crate::limit::shared::RedisLimits>,
    max_response_bytes: usize,
    http: Option<reqwest::Client>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: None,
            app_key: None,
            org_name: None,
            app_name: None,
            app_id: None,
            tokens: None,
            allow_http: false,
            validate: true,
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: None,
            retry: RetryPolicy::default(),
            budget: RetryBudget::default(),
            rate_limits: RateLimits::default(),
            #[cfg(feature = "redis")]
            redis: None,
            max_response_bytes: 32 * 1024 * 1024,
            http: None,
        }
    }
}

impl ClientBuilder {
    /// E.g. `https://a41.chat.agora.io` (no org or app in it).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// `org_name#app_name`, as shown in the console.
    pub fn app_key(mut self, app_key: impl Into<String>) -> Self {
        self.app_key = Some(app_key.into());
        self
    }

    /// The org name, with [`app_name`](Self::app_name): the two halves of the app key, for
    /// when they are configured apart. Use either both or [`app_key`](Self::app_key).
    pub fn org_name(mut self, org_name: impl Into<String>) -> Self {
        self.org_name = Some(org_name.into());
        self
    }

    /// The app name, with [`org_name`](Self::org_name).
    pub fn app_name(mut self, app_name: impl Into<String>) -> Self {
        self.app_name = Some(app_name.into());
        self
    }

    /// The app's App ID, as an alternative to `app_key`: calls then go to the second
    /// base-path form of the service, `{base_url}/app-id/{app_id}/...`, instead of
    /// `{base_url}/{org_name}/{app_name}/...`.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// A fixed app token.
    pub fn app_token(self, token: impl Into<Secret>) -> Self {
        self.token_source(StaticToken::new(token))
    }

    /// App ID + App Certificate: tokens are minted locally and refreshed before expiry.
    pub fn app_credentials(mut self, credentials: AppCredentials) -> Self {
        self.tokens = Some(Tokens::App(credentials));
        self
    }

    /// A client id + secret, exchanged at `{base_url}/{org_name}/{app_name}/token`.
    pub fn client_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.tokens = Some(Tokens::Client(credentials));
        self
    }

    /// Any source of tokens (a secrets manager, a shared cache...).
    pub fn token_source(mut self, source: impl TokenSource + 'static) -> Self {
        self.tokens = Some(Tokens::Source(Arc::new(source)));
        self
    }

    /// Allows a plain `http://` base URL, for local servers such as the emulator.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Switches request validation off, e.g. to see what the service itself answers.
    pub fn validate_requests(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// The time limit for opening a connection (TCP and TLS), 5 s by default. Ignored with
    /// [`http_client`](Self::http_client), whose own settings apply.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The time limit of one attempt, from sending to the end of the response body: the
    /// `attempt_timeout` of the retry policy, whether set before or after
    /// [`retry_policy`](Self::retry_policy).
    ///
    /// The limits of a client's attempts are kept by one timer task, spawned on the tokio
    /// runtime of its first call and ended 30 s after its last call or with the client (an
    /// attempt on another runtime keeps a timer of its own), instead of a timer per request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Retries, backoff, attempt timeout and the overall deadline of each call (a
    /// [`timeout`](Self::timeout) set on the builder wins over the policy's).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry budget shared by all calls (pass one budget to several clients to share it).
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.budget = budget;
        self
    }

    /// Client-side rate limits per operation (the documented quotas by default).
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// Shares the rate limits with every process that uses the same Redis server and app:
    /// the windows are kept in Redis at `url` (`redis://host:port/db`) instead of in this
    /// process, with the default [`RedisLimits`](crate::limit::shared::RedisLimits)
    /// settings. Use it when several processes call the service with one app key.
    #[cfg(feature = "redis")]
    pub fn redis_url(self, url: impl Into<String>) -> Self {
        self.redis_limits(crate::limit::shared::RedisLimits::new(url))
    }

    /// [`redis_url`](Self::redis_url) with every setting: the fallback share, the Redis
    /// timeout, the recheck interval and the shared penalty after a 429.
    #[cfg(feature = "redis")]
    pub fn redis_limits(mut self, limits: crate::limit::shared::RedisLimits) -> Self {
        self.redis = Some(limits);
        self
    }

    /// The largest response body accepted, in bytes (32 MiB by default).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Uses this `reqwest` client (its timeouts and TLS settings) instead of building one.
    /// Redirects are refused whatever its redirect policy: bodies are sent so that it
    /// cannot repeat them, and an answer from another URL is an [`Error::Redirect`](crate::Error::Redirect).
    /// The token exchange of client credentials always uses a client of its own.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the configuration and builds the client. Nothing is sent: a wrong token or an
    /// unreachable host shows up on the first call.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when something required is missing (base URL, app, token), the
    /// base URL is not an absolute `https://` URL (or `http://` without
    /// [`allow_http`](Self::allow_http)), the app key or names are malformed, the app
    /// credentials cannot mint tokens, or the HTTP client cannot be built.
    ///
    /// ```
    /// use agora_chat::{Client, ConfigError};
    ///
    /// let err = Client::builder()
    ///     .base_url("https://a41.chat.agora.io")
    ///     .app_key("no-hash-sign")
    ///     .app_token("<app token>")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, ConfigError::InvalidAppKey));
    /// ```
    pub fn build(mut self) -> Result<Client, ConfigError> {
        if let Some(timeout) = self.attempt_timeout {
            self.retry.attempt_timeout = timeout;
        }
        let app_path = self.app_path()?;
        let base = parse_base_url(self.base_url.as_deref(), self.allow_http)?;
        let api_root = api_root(&base, &app_path)?;
        let limiter = self.limiter(&api_root)?;
        let may_follow_redirects = self.http.is_some();
        let http = match self.http {
            Some(http) => http,
            None if base.scheme() == "https" && !crate::tls::HAS_TLS => {
                return Err(ConfigError::NoTls);
            }
            None => crate::transport::build_http(self.connect_timeout, self.allow_http)
                .map_err(ConfigError::HttpClient)?,
        };
        let tokens: Arc<dyn TokenSource> = match self.tokens.ok_or(ConfigError::MissingToken)? {
            Tokens::Source(source) => source,
            Tokens::App(credentials) => Arc::new(
                credentials
                    .into_source()
                    .map_err(ConfigError::Credentials)?,
            ),
            Tokens::Client(credentials) => {
                let mut token_url = api_root.clone();
                token_url.set_path(&format!("{}/token", api_root.path()));
                Arc::new(
                    credentials
                        .into_source(token_url, self.allow_http)
                        .map_err(ConfigError::HttpClient)?,
                )
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                api_root,
                may_follow_redirects,
                tokens,
                validate: self.validate,
                max_response_bytes: self.max_response_bytes,
                retry: self.retry,
                budget: self.budget,
                limiter,
                watchdog: crate::watchdog::Watchdog::default(),
            }),
            retry_override: None,
        })
    }

    /// The limiter of the configured rate limits: in this process, or shared in Redis by
    /// all clients of the app at `api_root`.
    fn limiter(&self, api_root: &reqwest::Url) -> Result<RateLimiter, ConfigError> {
        let operations = crate::operations::OPERATIONS;
        let limiter = RateLimiter::new(&self.rate_limits, operations);
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.redis {
            let scope = api_root.as_str();
            return limiter
                .with_redis(redis.clone(), &self.rate_limits, operations, scope)
                .map_err(ConfigError::Redis);
        }
        let _ = api_root;
        Ok(limiter)
    }

    /// The two path segments that name the app: `[org_name, app_name]`, or
    /// `["app-id", app_id]`.
    fn app_path(&self) -> Result<[String; 2], ConfigError> {
        match &self.app_id {
            Some(_)
                if self.app_key.is_some() || self.org_name.is_some() || self.app_name.is_some() =>
            {
                Err(ConfigError::ConflictingApp)
            }
            Some(app_id) => {
                check_name("app_id", app_id)?;
                Ok(["app-id".to_owned(), app_id.clone()])
            }
            None => self.org_and_app().map(|(org, app)| [org, app]),
        }
    }

    fn org_and_app(&self) -> Result<(String, String), ConfigError> {
        let (org, app) = match (&self.app_key, &self.org_name, &self.app_name) {
            (Some(key), None, None) => split_app_key(key)?,
            (None, Some(org), Some(app)) => (org.clone(), app.clone()),
            (None, _, _) => return Err(ConfigError::MissingApp),
            (Some(_), _, _) => return Err(ConfigError::ConflictingApp),
        };
        check_name("org_name", &org)?;
        check_name("app_name", &app)?;
        Ok((org, app))
    }

    /// The builder the environment describes (see [`Client::from_env`]).
    /// Each value is checked here, so that an error names the variable it came from.
    pub(crate) fn from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientBuilder, ConfigError> {
        // An empty (or blank) variable counts as unset, as shells make unsetting awkward.
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let mut builder = Client::builder();
        builder.allow_http = match var("AGORA_CHAT_ALLOW_HTTP").as_deref() {
            None | Some("0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => {
                return Err(ConfigError::InvalidEnv {
                    var: "AGORA_CHAT_ALLOW_HTTP",
                    value: other.to_owned(),
                    expected: "1, true, 0 or false",
                });
            }
        };
        let base_url =
            var("AGORA_CHAT_BASE_URL").ok_or(ConfigError::MissingEnv("AGORA_CHAT_BASE_URL"))?;
        parse_base_url(Some(&base_url), builder.allow_http)
            .map_err(|err| err.caused_by_env("AGORA_CHAT_BASE_URL", Some(&base_url)))?;
        builder.base_url = Some(base_url);
        builder.app_key = checked_var(&var, "AGORA_CHAT_APP_KEY", |key| {
            split_app_key(key).and_then(|(org, app)| {
                check_name("org_name", &org)?;
                check_name("app_name", &app)
            })
        })?;
        builder.org_name = checked_var(&var, "AGORA_CHAT_ORG_NAME", |v| check_name("org_name", v))?;
        builder.app_name = checked_var(&var, "AGORA_CHAT_APP_NAME", |v| check_name("app_name", v))?;
        builder.tokens = Some(tokens_from_vars(&var)?);
        redis_from_vars(builder, &var)
    }
}

/// `AGORA_CHAT_REDIS_URL` shares the rate limits through Redis; a build without the `redis`
/// feature refuses it rather than pace each process alone when the operator asked to share.
fn redis_from_vars(
    builder: ClientBuilder,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<ClientBuilder, ConfigError> {
    match var("AGORA_CHAT_REDIS_URL").filter(|url| !url.is_empty()) {
        None => Ok(builder),
        #[cfg(feature = "redis")]
        Some(url) => Ok(builder.redis_url(url)),
        #[cfg(not(feature = "redis"))]
        Some(_) => Err(ConfigError::RedisUnsupported),
    }
}

/// A variable's value when set, after `check` accepted it.
fn checked_var(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    check: impl Fn(&str) -> Result<(), ConfigError>,
) -> Result<Option<String>, ConfigError> {
    let Some(value) = var(name) else {
        return Ok(None);
    };
    check(&value).map_err(|err| err.caused_by_env(name, Some(&value)))?;
    Ok(Some(value))
}

/// A fixed token wins; otherwise App ID + App Certificate (checked here: the App ID is
/// shown in an error, the certificate never).
fn tokens_from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Tokens, ConfigError> {
    if let Some(token) = var("AGORA_CHAT_APP_TOKEN") {
        return Ok(Tokens::Source(Arc::new(StaticToken::new(token))));
    }
    match (var("AGORA_CHAT_APP_ID"), var("AGORA_CHAT_APP_CERTIFICATE")) {
        (Some(app_id), Some(certificate)) => {
            let certificate = Secret::from(certificate);
            if let Err(err) = TokenMinter::new(&app_id, certificate.clone()) {
                let (name, value) = match err {
                    TokenError::InvalidAppId(_) => ("AGORA_CHAT_APP_ID", Some(app_id.as_str())),
                    _ => ("AGORA_CHAT_APP_CERTIFICATE", None),
                };
                let err = ConfigError::Credentials(AuthError::Mint(err));
                return Err(err.caused_by_env(name, value));
            }
            Ok(Tokens::App(AppCredentials::new(app_id, certificate)))
        }
        (Some(_), None) => Err(ConfigError::MissingEnv("AGORA_CHAT_APP_CERTIFICATE")),
        (None, Some(_)) => Err(ConfigError::MissingEnv("AGORA_CHAT_APP_ID")),
        (None, None) => Err(ConfigError::MissingEnv(
            "AGORA_CHAT_APP_TOKEN (or AGORA_CHAT_APP_ID + AGORA_CHAT_APP_CERTIFICATE)",
        )),
    }
}

fn split_app_key(key: &str) -> Result<(String, String), ConfigError> {
    match key.split_once('#') {
        Some((org, app)) if !org.is_empty() && !app.is_empty() && !app.contains('#') => {
            Ok((org.to_owned(), app.to_owned()))
        }
        _ => Err(ConfigError::InvalidAppKey),
    }
}

fn check_name(which: &'static str, name: &str) -> Result<(), ConfigError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.chars().any(|c| c.is_whitespace() || c.is_control());
    if bad {
        Err(ConfigError::InvalidName { which })
    } else {
        Ok(())
    }
}

fn parse_base_url(url: Option<&str>, allow_http: bool) -> Result<reqwest::Url, ConfigError> {
    let url = url.ok_or(ConfigError::MissingBaseUrl)?;
    // `host:port` parses as a URL whose scheme is the host: catch the missing `https://`
    // before the parser gives a misleading answer.
    if !url.contains("://") {
        return Err(ConfigError::InvalidBaseUrl(format!(
            "`{url}` has no scheme; write `https://{url}` (or `http://` for a local server)"
        )));
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|err| ConfigError::InvalidBaseUrl(err.to_string()))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return Err(ConfigError::InsecureBaseUrl),
        other => {
            return Err(ConfigError::InvalidBaseUrl(format!(
                "unsupported scheme `{other}` (expected `https`)"
            )));
        }
    }
    if parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(ConfigError::InvalidBaseUrl(
            "must not have credentials, a query or a fragment".to_owned(),
        ));
    }
    Ok(parsed)
}

fn api_root(base: &reqwest::Url, app_path: &[String; 2]) -> Result<reqwest::Url, ConfigError> {
    let mut root = base.clone();
    let prefix = base.path().trim_end_matches('/');
    let [first, second] = app_path;
    root.set_path(&format!(
        "{prefix}/{}/{}",
        encode_segment(first),
        encode_segment(second)
    ));
    Ok(root)
}

/// Why a client could not be configured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No base URL was set.
    #[error("no base URL: set one with `base_url` (e.g. https://a41.chat.agora.io)")]
    MissingBaseUrl,
    /// The base URL is not an absolute `http(s)://` URL; the string says why.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(String),
    #[error(
        "the base URL is plain http://; the service is HTTPS only (use `allow_http(true)` for a local server)"
    )]
    /// The base URL is `http://` and [`ClientBuilder::allow_http`] was not set.
    InsecureBaseUrl,
    /// Neither an app key, nor org and app names, nor an App ID was set.
    #[error("no app: set `app_key` (org#app), both `org_name` and `app_name`, or `app_id`")]
    MissingApp,
    /// More than one way of naming the app was set (app key, org + app names, App ID).
    #[error("set one of `app_key`, `org_name` + `app_name` and `app_id`, not both")]
    ConflictingApp,
    /// The app key is not `org_name#app_name`.
    #[error("invalid app key: expected `org_name#app_name`")]
    InvalidAppKey,
    #[error("invalid {which}: must be non-empty, without whitespace, and not `.` or `..`")]
    /// An org name, app name or App ID that cannot be a path segment.
    InvalidName {
        /// Which one: `"org_name"`, `"app_name"` or `"app_id"`.
        which: &'static str,
    },
    /// No token, credentials or token source was set.
    #[error(
        "no credentials: set `app_token`, `app_credentials`, `client_credentials` or `token_source`"
    )]
    MissingToken,
    /// The app credentials cannot mint tokens (e.g. an App ID that is not 32 hex digits).
    #[error("invalid credentials")]
    Credentials(#[source] AuthError),
    /// A variable [`Client::from_env`] needs is unset or empty.
    #[error("environment variable {0} is not set (or is empty)")]
    MissingEnv(&'static str),
    /// A variable [`Client::from_env`] reads has a value it does not understand.
    #[error("environment variable {var} must be {expected}, not {value:?}")]
    InvalidEnv {
        /// The variable's name.
        var: &'static str,
        /// Its value (never a secret).
        value: String,
        /// What it may be.
        expected: &'static str,
    },
    /// The value of an environment variable is invalid: the `source` says why. Its value is
    /// shown unless it is a secret.
    #[error("environment variable {var}{}", shown_value(.value.as_deref()))]
    Env {
        /// The variable's name.
        var: &'static str,
        /// Its value; `None` for a secret.
        value: Option<String>,
        /// What is wrong with it.
        #[source]
        source: Box<ConfigError>,
    },
    /// The HTTP client could not be built (e.g. its TLS stack could not be set up).
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] crate::HttpError),
    /// The Redis URL of the shared rate limits is not one Redis accepts.
    #[cfg(feature = "redis")]
    #[error(transparent)]
    Redis(crate::limit::shared::InvalidRedisUrl),
    /// `AGORA_CHAT_REDIS_URL` is set but this build cannot share rate limits through Redis:
    /// refused rather than pace each process alone when the operator asked to share.
    #[error(
        "environment variable AGORA_CHAT_REDIS_URL is set, but this build of agora-chat has no `redis` feature"
    )]
    RedisUnsupported,
    /// The base URL is `https://` but this build has no TLS stack.
    #[error(
        "this build of agora-chat has no TLS: enable its `rustls-ring` (default), `aws-lc-rs` or `native-tls` feature"
    )]
    NoTls,
}

impl ConfigError {
    /// This error, as caused by the value of environment variable `var`.
    fn caused_by_env(self, var: &'static str, value: Option<&str>) -> ConfigError {
        ConfigError::Env {
            var,
            value: value.map(str::to_owned),
            source: Box::new(self),
        }
    }
}

fn shown_value(value: Option<&str>) -> String {
    match value {
        Some(value) => format!("={value:?}"),
        None => " (value not shown: a secret)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn builder() -> ClientBuilder {
        Client::builder()
            .base_url("https://a41.chat.agora.io")
            .app_token("t")
    }

    #[test]
    fn builds_the_api_root_from_an_app_key() {
        let client = builder().app_key("org#app").build().expect("valid config");
        assert_eq!(client.api_root(), "https://a41.chat.agora.io/org/app");
        let client = builder().org_name("o r").app_name("a/b").build();
        assert!(matches!(
            client,
            Err(ConfigError::InvalidName { which: "org_name" })
        ));
        let client = builder()
            .org_name("org")
            .app_name("a/b")
            .build()
            .expect("valid config");
        assert_eq!(client.api_root(), "https://a41.chat.agora.io/org/a%2Fb");
    }

    #[test]
    fn builds_the_api_root_from_an_app_id() {
        let client = builder().app_id("abc123").build().expect("valid config");
        assert_eq!(client.api_root(), "https://a41.chat.agora.io/app-id/abc123");
        let both = builder().app_id("abc123").app_key("org#app").build();
        assert!(matches!(both, Err(ConfigError::ConflictingApp)));
        let empty = builder().app_id("").build();
        assert!(matches!(
            empty,
            Err(ConfigError::InvalidName { which: "app_id" })
        ));
    }

    #[test]
    fn refuses_bad_configuration() {
        let err = |b: ClientBuilder| b.build().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(builder().app_key("orgapp")).contains("org_name#app_name"));
        assert!(err(builder().app_key("org#")).contains("org_name#app_name"));
        assert!(err(builder()).contains("no app"));
        assert!(err(builder().app_key("o#a").org_name("o")).contains("not both"));
        assert!(
            err(builder().app_key("o#a").base_url("http://localhost:1")).contains("HTTPS only")
        );
        assert!(err(builder().app_key("o#a").base_url("ftp://x")).contains("unsupported scheme"));
        assert!(err(builder().app_key("o#a").base_url("https://u:p@x")).contains("credentials"));
        assert!(
            err(Client::builder().base_url("https://x").app_key("o#a")).contains("no credentials")
        );
        assert!(
            builder()
                .app_key("o#a")
                .base_url("http://127.0.0.1:1")
                .allow_http(true)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn reads_the_environment() {
        let vars: HashMap<&str, &str> = HashMap::from([
            ("AGORA_CHAT_BASE_URL", "http://127.0.0.1:5757/"),
            ("AGORA_CHAT_ORG_NAME", "demo"),
            ("AGORA_CHAT_APP_NAME", "app"),
            ("AGORA_CHAT_APP_TOKEN", "very-secret-token"),
            ("AGORA_CHAT_ALLOW_HTTP", "1"),
        ]);
        let get = |name: &str| vars.get(name).map(|v| v.to_string());
        let client = ClientBuilder::from_vars(get)
            .and_then(ClientBuilder::build)
            .expect("valid env");
        assert_eq!(client.api_root(), "http://127.0.0.1:5757/demo/app");
        let debug = format!("{client:?}");
        assert!(!debug.contains("very-secret-token"), "{debug}");
        let with_certificate = |name: &str| match name {
            "AGORA_CHAT_APP_TOKEN" => None,
            "AGORA_CHAT_APP_ID" => Some("970CA35de60c44645bbae8a215061b33".to_owned()),
            "AGORA_CHAT_APP_CERTIFICATE" => Some("5CFd2fd1755d40ecb72977518be15d3b".to_owned()),
            other => get(other),
        };
        let client = ClientBuilder::from_vars(with_certificate).and_then(ClientBuilder::build);
        let debug = format!("{client:?}");
        assert!(
            client.is_ok() && !debug.contains("5CFd2fd1755d40ecb72977518be15d3b"),
            "{debug}"
        );
        let bad_certificate =
            AppCredentials::new("970CA35de60c44645bbae8a215061b33", "not-hex-secret");
        let message = builder()
            .app_key("o#a")
            .app_credentials(bad_certificate)
            .build()
            .err();
        let message = message.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("invalid credentials") && !message.contains("not-hex-secret"),
            "{message}"
        );
        let missing = ClientBuilder::from_vars(|_| None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            missing.as_deref(),
            Some("environment variable AGORA_CHAT_BASE_URL is not set (or is empty)")
        );
    }

    #[test]
    fn reads_the_redis_url_from_the_environment() {
        let with_redis = |url: &'static str| {
            move |name: &str| match name {
                "AGORA_CHAT_BASE_URL" => Some("http://127.0.0.1:5757/".to_owned()),
                "AGORA_CHAT_APP_KEY" => Some("demo#app".to_owned()),
                "AGORA_CHAT_APP_TOKEN" => Some("token".to_owned()),
                "AGORA_CHAT_ALLOW_HTTP" => Some("1".to_owned()),
                "AGORA_CHAT_REDIS_URL" => Some(url.to_owned()),
                _ => None,
            }
        };
        let empty = ClientBuilder::from_vars(with_redis("")).and_then(ClientBuilder::build);
        assert!(empty.is_ok(), "{empty:?}");
        let url = "redis://:redis-password@127.0.0.1:6399/0";
        let shared = ClientBuilder::from_vars(with_redis(url)).and_then(ClientBuilder::build);
        #[cfg(feature = "redis")]
        {
            let debug = format!("{shared:?}");
            assert!(
                shared.is_ok() && !debug.contains("redis-password"),
                "{debug}"
            );
            let bad = ClientBuilder::from_vars(with_redis("http://nope"))
                .and_then(ClientBuilder::build)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(bad.starts_with("invalid Redis URL"), "{bad}");
        }
        #[cfg(not(feature = "redis"))]
        {
            let refused = shared.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(refused.contains("AGORA_CHAT_REDIS_URL"), "{refused}");
        }
    }
}
