//! The request journal: what arrived at the API (not at the test controls), newest kept.
//!
//! Secrets never enter it: headers are not recorded at all (so neither is `Authorization`),
//! and body fields that carry secrets (`client_secret` of the token endpoint, and any
//! `secret`, `password` or `access_token`) are replaced by [`REDACTED`].

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How many requests the journal keeps; older ones are dropped first.
pub const JOURNAL_KEPT: usize = 1_000;

/// What replaces a secret in a recorded body.
pub const REDACTED: &str = "[redacted]";

/// Body fields whose values are never recorded.
const SECRET_FIELDS: [&str; 4] = ["client_secret", "secret", "password", "access_token"];

/// A body that is not JSON is kept as text, at most this many bytes.
const TEXT_KEPT: usize = 4_096;

/// One request as the emulator saw and answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Numbers requests from 1 since start; a reset does not restart it.
    pub seq: u64,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path as sent, e.g. `/demo/demo/chatrooms`.
    pub path: String,
    /// The raw query string, without `?`; `None` when there is none.
    pub query: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The client operation id (e.g. `create_chatroom`); `None` for other paths.
    pub operation: Option<String>,
    /// The body: JSON as sent with secrets redacted, other text as a string, `None` if empty.
    pub body: Option<Value>,
}

/// The kept entries, oldest first, and the next sequence number.
#[derive(Debug, Default)]
pub(crate) struct Journal(Mutex<(VecDeque<JournalEntry>, u64)>);

impl Journal {
    fn lock(&self) -> MutexGuard<'_, (VecDeque<JournalEntry>, u64)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records an entry; its `seq` is assigned here.
    pub(crate) fn add(&self, mut entry: JournalEntry) {
        let mut guard = self.lock();
        let (entries, last) = &mut *guard;
        *last += 1;
        entry.seq = *last;
        if entries.len() >= JOURNAL_KEPT {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Every kept entry, oldest first.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        self.lock().0.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().0.clear();
    }
}

/// The body as the journal keeps it.
pub(crate) fn recorded_body(bytes: &[u8]) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut json) => {
            redact(&mut json);
            Some(json)
        }
        Err(_) => {
            let kept = &bytes[..bytes.len().min(TEXT_KEPT)];
            Some(Value::String(String::from_utf8_lossy(kept).into_owned()))
        }
    }
}

// Replaces the value of every secret field, at any depth.
fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) {
                    *field = Value::String(REDACTED.to_owned());
                } else {
                    redact(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> JournalEntry {
        JournalEntry {
            seq: 0,
            method: "GET".into(),
            path: "/".into(),
            query: None,
            status: 200,
            operation: None,
            body: None,
        }
    }

    #[test]
    fn keeps_the_newest_and_numbers_them() {
        let journal = Journal::default();
        for _ in 0..=JOURNAL_KEPT {
            journal.add(entry());
        }
        let entries = journal.entries();
        assert_eq!(entries.len(), JOURNAL_KEPT);
        assert_eq!(entries[0].seq, 2);
        journal.clear();
        journal.add(entry());
        assert_eq!(journal.entries()[0].seq, JOURNAL_KEPT as u64 + 2);
    }

    #[test]
    fn secrets_are_redacted_and_text_kept() {
        let body = br#"{"grant_type":"client_credentials","client_id":"c","client_secret":"s","x":[{"password":"p"}]}"#;
        let want = json!({"grant_type": "client_credentials", "client_id": "c",
            "client_secret": REDACTED, "x": [{"password": REDACTED}]});
        assert_eq!(recorded_body(body), Some(want));
        assert_eq!(recorded_body(b"not json"), Some(json!("not json")));
        assert_eq!(recorded_body(b""), None);
    }
}
