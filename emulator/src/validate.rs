//! Value rules for request bodies: one function per body, so each can later
//! delegate to the client's generated validation.

use crate::service_error::ServiceError;
use crate::wire::{CreateChatroom, UpdateChatroom};

pub const NAME_MAX: usize = 128;
pub const DESCRIPTION_MAX: usize = 512;
pub const CUSTOM_MAX: usize = 1024;
pub const MAXUSERS_MIN: u32 = 1;
pub const MAXUSERS_MAX: u32 = 10_000;
pub const MAXUSERS_DEFAULT: u32 = 1000;
const USERNAME_MAX: usize = 64;

/// True for 1..=64 characters of `a-z A-Z 0-9 _ - .`.
pub fn is_username(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    !s.is_empty() && s.len() <= USERNAME_MAX && s.chars().all(ok)
}

/// Checks a username and returns its canonical (lowercase) form.
pub fn username(field: &str, s: &str) -> Result<String, ServiceError> {
    if is_username(s) {
        return Ok(s.to_ascii_lowercase());
    }
    Err(ServiceError::invalid_parameter(format!(
        "{field} '{s}' is not a valid username: 1 to 64 characters of a-z, A-Z, 0-9, '_', '-', '.'"
    )))
}

/// Rules for `POST /chatrooms` beyond the JSON shape.
pub fn check_create(req: &CreateChatroom) -> Result<(), ServiceError> {
    text("name", &req.name, 1, NAME_MAX)?;
    text("description", &req.description, 0, DESCRIPTION_MAX)?;
    username("owner", &req.owner)?;
    let maxusers = req.maxusers.unwrap_or(MAXUSERS_DEFAULT);
    maxusers_range(maxusers)?;
    if let Some(custom) = &req.custom {
        text("custom", custom, 0, CUSTOM_MAX)?;
    }
    match &req.members {
        Some(members) => check_members(members, maxusers),
        None => Ok(()),
    }
}

/// Rules for `PUT /chatrooms/{id}` beyond the JSON shape.
pub fn check_update(req: &UpdateChatroom) -> Result<(), ServiceError> {
    if req.name.is_none() && req.description.is_none() && req.maxusers.is_none() {
        return Err(ServiceError::invalid_parameter(
            "at least one of name, description, maxusers must be provided",
        ));
    }
    if let Some(name) = &req.name {
        text("name", name, 1, NAME_MAX)?;
        no_slash("name", name)?;
    }
    if let Some(description) = &req.description {
        text("description", description, 0, DESCRIPTION_MAX)?;
        no_slash("description", description)?;
    }
    req.maxusers.map_or(Ok(()), maxusers_range)
}

fn check_members(members: &[String], maxusers: u32) -> Result<(), ServiceError> {
    if members.is_empty() {
        return Err(ServiceError::invalid_parameter("members must not be empty"));
    }
    for m in members {
        username("members", m)?;
    }
    if members.len() > maxusers as usize {
        return Err(ServiceError::exceed_limit(format!(
            "members count {} exceeds maxusers {maxusers}",
            members.len()
        )));
    }
    Ok(())
}

// Lengths count characters, not bytes, as the service documents.
fn text(field: &str, value: &str, min: usize, max: usize) -> Result<(), ServiceError> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(ServiceError::invalid_parameter(format!(
            "{field} must be {min} to {max} characters long, got {len}"
        )));
    }
    Ok(())
}

fn no_slash(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.contains('/') {
        return Err(ServiceError::invalid_parameter(format!(
            "{field} must not contain '/'"
        )));
    }
    Ok(())
}

fn maxusers_range(maxusers: u32) -> Result<(), ServiceError> {
    if !(MAXUSERS_MIN..=MAXUSERS_MAX).contains(&maxusers) {
        return Err(ServiceError::invalid_parameter(format!(
            "maxusers must be between {MAXUSERS_MIN} and {MAXUSERS_MAX}, got {maxusers}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create() -> CreateChatroom {
        CreateChatroom {
            name: "n".into(),
            description: String::new(),
            owner: "Alice".into(),
            maxusers: None,
            members: None,
            custom: None,
        }
    }

    #[test]
    fn usernames() {
        assert!(is_username("a.B-c_9"));
        assert!(is_username(&"x".repeat(64)));
        assert!(!is_username(&"x".repeat(65)));
        assert!(!is_username(""));
        assert!(!is_username("a b"));
        assert!(!is_username("é"));
        assert_eq!(username("owner", "AlIce").ok(), Some("alice".to_owned()));
    }

    #[test]
    fn lengths_count_characters() {
        let mut req = create();
        req.name = "é".repeat(128);
        assert!(check_create(&req).is_ok());
        req.name = "é".repeat(129);
        assert_eq!(
            check_create(&req).map_err(|e| e.error),
            Err("invalid_parameter")
        );
    }

    #[test]
    fn members_over_maxusers_is_exceed_limit() {
        let mut req = create();
        req.maxusers = Some(1);
        req.members = Some(vec!["b".into(), "c".into()]);
        assert_eq!(check_create(&req).map_err(|e| e.error), Err("exceed_limit"));
        req.members = Some(vec![]);
        assert_eq!(
            check_create(&req).map_err(|e| e.error),
            Err("invalid_parameter")
        );
    }

    #[test]
    fn update_rules() {
        let empty = UpdateChatroom::default();
        assert!(check_update(&empty).is_err());
        let slash = UpdateChatroom {
            name: Some("a/b".into()),
            ..UpdateChatroom::default()
        };
        assert!(check_update(&slash).is_err());
        let zero = UpdateChatroom {
            maxusers: Some(0),
            ..UpdateChatroom::default()
        };
        assert!(check_update(&zero).is_err());
    }
}
