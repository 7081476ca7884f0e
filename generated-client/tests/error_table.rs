//! The spec's error table as generated: every code's entry is reachable from the enum, and
//! unknown codes have no entry.

use agora_chat::error_code::RetryClass;
use agora_chat::types::{ERROR_CODES, ErrorCode};

#[test]
fn every_entry_belongs_to_its_code() {
    assert!(!ERROR_CODES.is_empty());
    for entry in ERROR_CODES {
        let code = ErrorCode::from_wire(entry.code);
        assert_eq!(code.info(), Some(entry), "{}", entry.code);
        assert_eq!(code.status(), entry.status);
        assert_eq!(code.exception(), entry.exception);
        assert_eq!(code.retry_class(), entry.retry);
    }
}

#[test]
fn the_table_holds_the_codes_in_spec_order_once_each() {
    let codes: Vec<&str> = ERROR_CODES.iter().map(|e| e.code).collect();
    let mut unique = codes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), codes.len());
    assert_eq!(codes.first(), Some(&"invalid_parameter"));
}

#[test]
fn an_unknown_code_has_no_entry() {
    let code = ErrorCode::from_wire("not_a_code");
    assert_eq!(code.info(), None);
    assert_eq!(code.status(), None);
    assert_eq!(code.exception(), None);
    assert_eq!(code.retry_class(), None);
}

#[test]
fn the_retry_classes_of_the_documented_status_table() {
    // The reference's status table: throttling retried, plan quota not, expired token
    // refreshed, a corrupt token a configuration error.
    let class = |wire: &str| ErrorCode::from_wire(wire).retry_class();
    assert_eq!(class("reach_limit"), Some(RetryClass::Throttled));
    assert_eq!(class("resource_limited"), Some(RetryClass::Final));
    assert_eq!(class("unauthorized"), Some(RetryClass::TokenExpired));
    assert_eq!(
        class("auth_bad_access_token"),
        Some(RetryClass::TokenInvalid)
    );
    // Its status varies (405, 413, 415, 500): the status decides.
    assert_eq!(class("web_application"), None);
    assert_eq!(ErrorCode::WebApplication.status(), None);
}
