//! A string that must never reach logs: app certificates, minted tokens.
//!
//! [`Secret`] redacts itself in `Debug` and `Display`; [`Secret::expose`] is the only
//! way to read the value, so every read is visible at the call site.

use std::fmt;
use std::sync::Arc;

/// A redacting wrapper around a sensitive string.
///
/// `Debug` prints `Secret(***)` and `Display` prints `***`. Equality is compared in
/// constant time with respect to the contents (the length is not hidden).
/// The value is not zeroized on drop. Clones share the value: every call clones its token.
#[derive(Clone, Default)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a sensitive value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// Returns the sensitive value. Keep the result out of logs and error messages.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(Arc::from(value))
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(Arc::from(value))
    }
}

/// Serialized as the plain string: a request body must carry the value (e.g. a password
/// on registration). Only `Debug` and `Display` redact; keep serialized bodies out of logs.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::from)
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

/// Compares without an early exit so the time taken does not reveal where the
/// first differing byte is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold back into an early exit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = Secret::from("5CFd2fd1755d40ecb72977518be15d3b");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:#?}"), "Secret(***)");
        assert_eq!(secret.expose(), "5CFd2fd1755d40ecb72977518be15d3b");
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(Secret::from("abc"), Secret::from(String::from("abc")));
        assert_ne!(Secret::from("abc"), Secret::from("abd"));
        assert_ne!(Secret::from("abc"), Secret::from("abcd"));
        assert_eq!(Secret::default(), Secret::new(""));
    }

    #[test]
    fn serde_carries_the_value_and_debug_hides_it() {
        let secret = Secret::from("pw-1");
        assert_eq!(
            serde_json::to_string(&secret).ok().as_deref(),
            Some("\"pw-1\"")
        );
        let back: Secret = serde_json::from_str("\"pw-1\"").unwrap_or_default();
        assert_eq!(back, secret);
        assert!(!format!("{back:?}").contains("pw-1"));
    }

    #[test]
    fn clone_keeps_value() {
        let secret = Secret::new("value");
        assert_eq!(secret.clone().expose(), "value");
    }
}
