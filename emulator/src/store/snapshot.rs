//! The whole state as a versioned JSON document: export, and import (seeding) with every
//! value checked, so a hand-written or stale file is refused with a message, never a panic.
//!
//! Version 1:
//!
//! ```json
//! {"version": 1,
//!  "next_id": 66213271109635,
//!  "chatrooms": [
//!    {"id": "66213271109633", "name": "room", "description": "d", "owner": "alice",
//!     "members": ["bob"], "maxusers": 200, "custom": "", "created": 1700000000000}]}
//! ```
//!
//! `next_id` (the id the next create gets) may be left out: one past the largest id, or
//! [`FIRST_ID`] without chatrooms. `members`, `maxusers` (200), `custom` ("") and
//! `created` (0) may be left out too. Users exist through their chatrooms; credentials,
//! counts, faults and the journal are not part of the state.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::chatrooms::{Room, members_of};
use super::{FIRST_ID, Inner, Store};
use crate::validate::is_username;
use crate::wire::CreateChatroom;

/// The version of the state document this emulator writes and reads.
pub const STATE_VERSION: u32 = 1;

/// The whole state of one app: every chatroom, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSnapshot {
    /// Always [`STATE_VERSION`].
    pub version: u32,
    /// The id the next create gets.
    #[serde(default)]
    pub next_id: Option<u64>,
    /// Every chatroom, with its members and roles.
    pub chatrooms: Vec<ChatroomState>,
    /// The app's chatroom super admins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub super_admins: Vec<String>,
}

/// One chatroom in a [`StateSnapshot`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatroomState {
    /// Digits, as the service's ids.
    pub id: String,
    /// The chatroom's name.
    pub name: String,
    /// The chatroom's description.
    pub description: String,
    /// The owner's username.
    pub owner: String,
    /// Without the owner.
    #[serde(default)]
    pub members: Vec<String>,
    /// Members with the admin role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admins: Vec<String>,
    /// The most members allowed (the service's default when absent).
    #[serde(default = "default_maxusers")]
    pub maxusers: u32,
    /// Free-form extension data (`custom`), at most 1,024 characters.
    #[serde(default)]
    pub custom: String,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub created: i64,
}

fn default_maxusers() -> u32 {
    CreateChatroom::MAXUSERS_DEFAULT
}

/// Why a state document was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError(pub String);

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StateError {}

impl StateSnapshot {
    /// Reads a state document from JSON text.
    pub fn from_json(text: &str) -> Result<Self, StateError> {
        serde_json::from_str(text).map_err(|e| StateError(format!("not a state document: {e}")))
    }
}

impl Store {
    /// The whole state, chatrooms oldest first.
    pub fn export(&self) -> StateSnapshot {
        let inner = self.lock();
        let rooms = inner.rooms.iter().map(|(id, room)| room.state(*id));
        StateSnapshot {
            version: STATE_VERSION,
            next_id: Some(inner.next_id),
            chatrooms: rooms.collect(),
            super_admins: inner.super_admins.clone(),
        }
    }

    /// Replaces the whole state with `snapshot`, or changes nothing when any value is wrong.
    pub fn import(&self, snapshot: &StateSnapshot) -> Result<(), StateError> {
        let fresh = self.build(snapshot)?;
        *self.lock() = fresh;
        Ok(())
    }

    // The state the snapshot describes, checked as the API checks a create.
    fn build(&self, snapshot: &StateSnapshot) -> Result<Inner, StateError> {
        if snapshot.version != STATE_VERSION {
            let v = snapshot.version;
            return Err(StateError(format!(
                "unsupported state version {v}: this emulator reads version {STATE_VERSION}"
            )));
        }
        let mut rooms = BTreeMap::new();
        for (i, room) in snapshot.chatrooms.iter().enumerate() {
            let (id, built) = self
                .room(room)
                .map_err(|e| StateError(format!("chatrooms[{i}]: {e}")))?;
            if rooms.insert(id, built).is_some() {
                return Err(StateError(format!("chatrooms[{i}]: duplicate id {id}")));
            }
        }
        let after_last = rooms.keys().next_back().map_or(FIRST_ID, |id| id + 1);
        let next_id = snapshot.next_id.unwrap_or(after_last);
        if next_id < after_last {
            return Err(StateError(format!(
                "next_id {next_id} must be greater than every chatroom id"
            )));
        }
        let mut inner = Inner::empty(None);
        // The state document holds chatrooms only: registered users stay as they are.
        inner.registered = self.lock().registered.clone();
        // Inserted in id order, so memberships are in join order as after creates.
        for (id, room) in rooms {
            inner.next_id = id;
            inner.insert(room);
        }
        inner.next_id = next_id;
        inner.super_admins = self.super_admins_of(snapshot)?;
        Ok(inner)
    }

    fn super_admins_of(&self, snapshot: &StateSnapshot) -> Result<Vec<String>, StateError> {
        let mut admins: Vec<String> = Vec::new();
        for (i, user) in snapshot.super_admins.iter().enumerate() {
            let user = user.to_ascii_lowercase();
            if !is_username(&user) {
                return Err(StateError(format!(
                    "super_admins[{i}]: invalid username '{user}'"
                )));
            }
            if !admins.contains(&user) {
                admins.push(user);
            }
        }
        Ok(admins)
    }

    fn room(&self, state: &ChatroomState) -> Result<(u64, Room), String> {
        let id = parse_id(&state.id)?;
        let owner = state.owner.to_ascii_lowercase();
        let members = members_of(&owner, &state.members);
        for user in std::iter::once(&owner).chain(&members) {
            if !is_username(user) {
                return Err(format!(
                    "invalid username '{user}': use 1 to 64 of a-z A-Z 0-9 _ - ."
                ));
            }
            self.require_user(user).map_err(|e| e.description)?;
        }
        let mut admins: Vec<String> = Vec::new();
        for admin in state.admins.iter().map(|a| a.to_ascii_lowercase()) {
            if !members.contains(&admin) {
                return Err(format!("admin '{admin}' must be a member (not the owner)"));
            }
            if !admins.contains(&admin) {
                admins.push(admin);
            }
        }
        let room = Room {
            name: state.name.clone(),
            description: state.description.clone(),
            owner,
            members,
            admins,
            maxusers: state.maxusers,
            custom: state.custom.clone(),
            created: state.created,
        };
        if room.count() > room.maxusers {
            return Err(format!(
                "{} members and owner exceed maxusers {}",
                room.count(),
                room.maxusers
            ));
        }
        Ok((id, room))
    }
}

// Ids are digit strings, as the service's.
fn parse_id(id: &str) -> Result<u64, String> {
    let digits = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    let parsed = digits.then(|| id.parse::<u64>().ok()).flatten();
    parsed
        .filter(|n| *n < u64::MAX)
        .ok_or_else(|| format!("invalid id '{id}': use digits"))
}

impl Room {
    fn state(&self, id: u64) -> ChatroomState {
        ChatroomState {
            id: id.to_string(),
            name: self.name.clone(),
            description: self.description.clone(),
            owner: self.owner.clone(),
            members: self.members.clone(),
            admins: self.admins.clone(),
            maxusers: self.maxusers,
            custom: self.custom.clone(),
            created: self.created,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::CreateChatroom;

    fn seeded() -> Store {
        let store = Store::new(None);
        let req = CreateChatroom::new("r", "d", "Alice").members(["bob"]);
        assert!(store.create(&req, 7).is_ok());
        assert!(store.create(&req, 8).is_ok());
        store
    }

    #[test]
    fn export_then_import_round_trips() {
        let store = seeded();
        let snapshot = store.export();
        let other = Store::new(None);
        assert_eq!(other.import(&snapshot), Ok(()));
        assert_eq!(other.export(), snapshot);
        assert_eq!(other.joined("bob", 0, 10), store.joined("bob", 0, 10));
        let text = serde_json::to_string(&snapshot).unwrap_or_default();
        assert_eq!(StateSnapshot::from_json(&text), Ok(snapshot));
    }

    #[test]
    fn bad_documents_are_refused_and_change_nothing() {
        let store = seeded();
        let before = store.export();
        let bad = |text: &str| {
            let snapshot = StateSnapshot::from_json(text)?;
            store.import(&snapshot)
        };
        let err = |text: &str| bad(text).err().map(|e| e.0).unwrap_or_default();
        assert!(err(r#"{"version": 2, "chatrooms": []}"#).contains("unsupported state version 2"));
        assert!(err("[").contains("not a state document"));
        assert!(err(r#"{"version": 1, "chatrooms": [], "x": 1}"#).contains("unknown field"));
        let room = |id: &str, owner: &str| {
            format!(r#"{{"id": "{id}", "name": "n", "description": "d", "owner": "{owner}"}}"#)
        };
        let doc =
            |rooms: &[String]| format!(r#"{{"version": 1, "chatrooms": [{}]}}"#, rooms.join(","));
        assert!(err(&doc(&[room("x1", "a")])).contains("chatrooms[0]: invalid id 'x1'"));
        assert!(err(&doc(&[room("5", "a b")])).contains("invalid username 'a b'"));
        assert!(
            err(&doc(&[room("5", "a"), room("5", "b")])).contains("chatrooms[1]: duplicate id 5")
        );
        let next = r#"{"version": 1, "next_id": 3, "chatrooms": [{"id": "5", "name": "n", "description": "d", "owner": "a"}]}"#;
        assert!(err(next).contains("next_id 3"));
        assert_eq!(store.export(), before);
        assert_eq!(bad(&doc(&[room("5", "a")])), Ok(()));
        assert_eq!(store.export().next_id, Some(6));
    }

    #[test]
    fn strict_mode_checks_imported_users() {
        let store = Store::new(Some(vec!["alice".into()]));
        let snapshot = seeded().export();
        let err = store
            .import(&snapshot)
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(err.contains("bob"), "{err}");
    }
}
