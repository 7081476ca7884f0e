//! Value rules for request bodies and paths. The rules themselves are the
//! client's generated validation (from the same spec), so the emulator cannot
//! accept what the client refuses or the other way round; this module only
//! turns a [`ValidationError`] into the service's error, and lends the client's `Validate`,
//! `Checker` and `Field` to the generated server code.

use agora_chat::validate::{Rule, ValidationError, Violation, check_username};

// The generated server code checks with the client's rules through these paths, as the
// client's own generated code does (`crate::validate::Checker`, ...).
pub use agora_chat::validate::{Checker, Field, Validate};

use crate::service_error::ServiceError;

/// True for 1..=64 characters of `a-z A-Z 0-9 _ - .` (the client's rule).
pub fn is_username(s: &str) -> bool {
    check_username(s).is_ok()
}

/// More members than `maxusers` is 403 `exceed_limit`, as the service
/// answers; every other broken rule is 400 `invalid_parameter`, which wins
/// when both kinds are present (the request is malformed either way).
pub(crate) fn service_error(err: &ValidationError) -> ServiceError {
    if let Some(refusal) = over_length_refusal(err) {
        return refusal;
    }
    let is_limit = |v: &&Violation| matches!(v.rule, Rule::ItemsWithin { .. });
    let (limits, params): (Vec<&Violation>, Vec<&Violation>) =
        err.violations.iter().partition(is_limit);
    if params.is_empty() && !limits.is_empty() {
        ServiceError::exceed_limit(describe(&limits))
    } else {
        ServiceError::invalid_parameter(describe(&params))
    }
}

/// Fields whose over-long value the service refuses with 403 `forbidden_op` and its own
/// message, not 400 (the reference's "announce info length exceeds limit!").
const OVER_LENGTH_FORBIDDEN: &[(&str, &str)] =
    &[("announcement", "announce info length exceeds limit!")];

fn over_length_refusal(err: &ValidationError) -> Option<ServiceError> {
    let [only] = err.violations.as_slice() else {
        return None;
    };
    let too_long =
        matches!(only.rule, Rule::Chars { max: Some(max), actual, .. } if actual > max as usize);
    let (_, text) = OVER_LENGTH_FORBIDDEN
        .iter()
        .find(|(field, _)| *field == only.field)?;
    too_long.then(|| ServiceError::forbidden_op(*text))
}

fn describe(violations: &[&Violation]) -> String {
    let texts: Vec<String> = violations.iter().map(ToString::to_string).collect();
    texts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{CreateChatroom, UpdateChatroom};

    // What the generated handlers do with a body.
    fn check<T: Validate>(body: &T) -> Result<(), ServiceError> {
        body.validate().map_err(|e| service_error(&e))
    }

    fn create() -> CreateChatroom {
        CreateChatroom::new("n", "", "Alice")
    }

    fn code(r: Result<(), ServiceError>) -> Result<(), &'static str> {
        r.map_err(|e| e.error)
    }

    #[test]
    fn usernames() {
        assert!(is_username("a.B-c_9"));
        assert!(is_username(&"x".repeat(64)));
        assert!(!is_username(&"x".repeat(65)));
        assert!(!is_username(""));
        assert!(!is_username("a b"));
        assert!(!is_username("é"));
    }

    #[test]
    fn lengths_count_characters() {
        let mut req = create();
        req.name = "é".repeat(128);
        assert!(check(&req).is_ok());
        req.name = "é".repeat(129);
        assert_eq!(code(check(&req)), Err("invalid_parameter"));
        req.name = String::new();
        assert_eq!(code(check(&req)), Err("invalid_parameter"));
    }

    #[test]
    fn members_over_maxusers_is_exceed_limit() {
        let req = create().maxusers(1u32).members(["b", "c"]);
        let err = check(&req).err();
        assert_eq!(err.as_ref().map(|e| e.error), Some("exceed_limit"));
        let text = err.map(|e| e.description).unwrap_or_default();
        assert!(
            text.contains("`members`") && text.contains("maxusers"),
            "{text}"
        );
        let empty = create().maxusers(1u32).members(Vec::<String>::new());
        assert_eq!(code(check(&empty)), Err("invalid_parameter"));
        // A malformed request is 400 even when it also has too many members.
        let both = create().maxusers(1u32).members(["b", "c d"]);
        let err = check(&both).err();
        assert_eq!(err.as_ref().map(|e| e.error), Some("invalid_parameter"));
        let text = err.map(|e| e.description).unwrap_or_default();
        assert!(
            text.contains("members[1]") && !text.contains("maxusers"),
            "{text}"
        );
    }

    #[test]
    fn every_violation_is_described() {
        let req = CreateChatroom::new("x".repeat(129), "d", "bad name").maxusers(0u32);
        let text = check(&req).err().map(|e| e.description).unwrap_or_default();
        for field in ["`name`", "`owner`", "`maxusers`"] {
            assert!(text.contains(field), "{text}");
        }
    }

    #[test]
    fn update_rules() {
        assert!(check(&UpdateChatroom::default()).is_err());
        assert!(check(&UpdateChatroom::default().name("a/b")).is_err());
        assert!(check(&UpdateChatroom::default().maxusers(0u32)).is_err());
        assert!(check(&UpdateChatroom::default().description("")).is_ok());
    }
}
