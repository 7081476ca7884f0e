//! Exit codes by error class, and the error every command returns. Messages come from the
//! client's errors and this crate's own; none of them holds a token or a certificate.

use std::process::ExitCode;

/// The class of a failure; each has its own exit code (documented in `--help` and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// 1: anything else (e.g. the service did not apply a change).
    Other,
    /// 2: bad command line or configuration (also clap's own errors).
    Usage,
    /// 3: a value broke a documented rule (checked locally, or 400 from the service).
    Validation,
    /// 4: no usable credentials, or the token was refused (401).
    Auth,
    /// 5: the resource does not exist (404).
    NotFound,
    /// 6: over the rate limit (429), retries exhausted.
    Throttled,
    /// 7: network failure, timeout or 5xx, retries exhausted.
    Transient,
}

/// The exit codes, for `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other failure (e.g. the service did not apply a change)
  2  usage: bad flags, configuration or input file
  3  validation: a value broke a documented rule (locally, or HTTP 400)
  4  auth: no usable credentials, or the token was refused (HTTP 401)
  5  not found (HTTP 404)
  6  throttled (HTTP 429) after retries
  7  transient: network failure, timeout or HTTP 5xx after retries";

impl ExitClass {
    pub fn code(self) -> u8 {
        match self {
            ExitClass::Other => 1,
            ExitClass::Usage => 2,
            ExitClass::Validation => 3,
            ExitClass::Auth => 4,
            ExitClass::NotFound => 5,
            ExitClass::Throttled => 6,
            ExitClass::Transient => 7,
        }
    }

    /// The class of a client error.
    pub fn of(err: &agora_chat::Error) -> ExitClass {
        use agora_chat::Error;
        match err {
            Error::Validation { .. } => ExitClass::Validation,
            Error::Auth { .. } => ExitClass::Auth,
            Error::RetriesExhausted { last, .. } => ExitClass::of(last),
            Error::Transport { .. } | Error::Timeout { .. } | Error::DeadlineExceeded { .. } => {
                ExitClass::Transient
            }
            Error::Api(_) => err.status().map_or(ExitClass::Other, ExitClass::of_status),
            _ => ExitClass::Other,
        }
    }

    fn of_status(status: u16) -> ExitClass {
        match status {
            400 => ExitClass::Validation,
            401 => ExitClass::Auth,
            404 => ExitClass::NotFound,
            429 => ExitClass::Throttled,
            500..=599 => ExitClass::Transient,
            _ => ExitClass::Other,
        }
    }
}

/// A failed command: its class and what to tell the user.
#[derive(Debug)]
pub struct CliError {
    pub class: ExitClass,
    pub message: String,
}

impl CliError {
    pub fn new(class: ExitClass, message: String) -> Self {
        Self { class, message }
    }

    /// Prints `error: ...` to stderr and gives the exit code.
    pub fn report(&self) -> ExitCode {
        eprintln!("error: {}", self.message);
        ExitCode::from(self.class.code())
    }
}

impl From<agora_chat::Error> for CliError {
    fn from(err: agora_chat::Error) -> Self {
        CliError::new(ExitClass::of(&err), with_causes(&err))
    }
}

/// `error: cause: its cause`: each error of the chain once (Display of each never repeats
/// its source), so the user sees why, not only what.
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_their_class() {
        let classes: Vec<u8> = [400, 401, 403, 404, 429, 503]
            .into_iter()
            .map(|s| ExitClass::of_status(s).code())
            .collect();
        assert_eq!(classes, [3, 4, 1, 5, 6, 7]);
    }

    #[test]
    fn every_code_is_documented() {
        for class in [
            ExitClass::Other,
            ExitClass::Usage,
            ExitClass::Validation,
            ExitClass::Auth,
            ExitClass::NotFound,
            ExitClass::Throttled,
            ExitClass::Transient,
        ] {
            let line = format!("  {}  ", class.code());
            assert!(EXIT_CODES_HELP.contains(&line), "{class:?}");
        }
    }
}
