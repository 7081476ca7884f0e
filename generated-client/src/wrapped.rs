//! Our own types around the errors of the HTTP client and the JSON codec, so that their
//! major versions are not part of this crate's API. Each keeps the questions callers ask
//! (was it a connection failure? where in the JSON?) and the underlying error's own causes.

use std::error::Error as StdError;
use std::fmt;

/// A failure of the HTTP layer: connecting, TLS, the protocol, or reading the body.
///
/// `Display` is the failure itself; the underlying causes (e.g. "Connection refused") are
/// its [`source`](std::error::Error::source) chain.
#[cfg(feature = "client")]
pub struct HttpError {
    inner: HttpInner,
}

#[cfg(feature = "client")]
enum HttpInner {
    Reqwest(reqwest::Error),
    /// The TLS stack could not be set up (only when the client is built).
    Tls(crate::tls::TlsSetupError),
    /// No whole answer within the attempt's time limit.
    TimedOut(std::time::Duration),
}

#[cfg(feature = "client")]
impl HttpError {
    pub(crate) fn new(error: reqwest::Error) -> Self {
        Self {
            inner: HttpInner::Reqwest(error),
        }
    }

    pub(crate) fn tls(error: crate::tls::TlsSetupError) -> Self {
        Self {
            inner: HttpInner::Tls(error),
        }
    }

    pub(crate) fn timed_out(limit: std::time::Duration) -> Self {
        Self {
            inner: HttpInner::TimedOut(limit),
        }
    }

    fn reqwest(&self) -> Option<&reqwest::Error> {
        match &self.inner {
            HttpInner::Reqwest(error) => Some(error),
            HttpInner::Tls(_) | HttpInner::TimedOut(_) => None,
        }
    }

    /// No connection could be made (refused, unreachable, DNS, TLS handshake): the request
    /// was not sent.
    pub fn is_connect(&self) -> bool {
        self.reqwest().is_some_and(reqwest::Error::is_connect)
    }

    /// The attempt's time limit passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner, HttpInner::TimedOut(_))
            || self.reqwest().is_some_and(reqwest::Error::is_timeout)
    }

    /// The request could not even be built (e.g. an invalid URL or header), or the HTTP
    /// client could not be set up: nothing was sent.
    pub fn is_builder(&self) -> bool {
        match &self.inner {
            HttpInner::Reqwest(error) => error.is_builder(),
            HttpInner::Tls(_) => true,
            HttpInner::TimedOut(_) => false,
        }
    }
}

#[cfg(feature = "client")]
impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            HttpInner::Reqwest(error) => fmt::Debug::fmt(error, f),
            HttpInner::Tls(error) => fmt::Debug::fmt(error, f),
            HttpInner::TimedOut(limit) => f.debug_tuple("TimedOut").field(limit).finish(),
        }
    }
}

#[cfg(feature = "client")]
impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            HttpInner::Reqwest(error) => fmt::Display::fmt(error, f),
            HttpInner::Tls(error) => fmt::Display::fmt(error, f),
            HttpInner::TimedOut(limit) => write!(f, "no whole answer within {limit:?}"),
        }
    }
}

#[cfg(feature = "client")]
impl StdError for HttpError {
    /// The wrapped error's own cause: its message is already this error's `Display`.
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.inner {
            HttpInner::Reqwest(error) => error.source(),
            HttpInner::Tls(_) | HttpInner::TimedOut(_) => None,
        }
    }
}

/// JSON that could not be encoded or decoded, with where in the text it went wrong.
pub struct JsonError(serde_json::Error);

impl JsonError {
    // Only the client's calls and token exchange wrap JSON errors.
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn new(error: serde_json::Error) -> Self {
        Self(error)
    }

    /// The 1-based line of the problem (0 when it is not about a position in the text).
    pub fn line(&self) -> usize {
        self.0.line()
    }

    /// The 1-based column of the problem (0 when it is not about a position in the text).
    pub fn column(&self) -> usize {
        self.0.column()
    }

    /// The text is not JSON at all.
    pub fn is_syntax(&self) -> bool {
        self.0.is_syntax()
    }

    /// Valid JSON of the wrong shape (a missing field, a field of another type).
    pub fn is_data(&self) -> bool {
        self.0.is_data()
    }

    /// The text ended in the middle of a value.
    pub fn is_eof(&self) -> bool {
        self.0.is_eof()
    }
}

impl fmt::Debug for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for JsonError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}
