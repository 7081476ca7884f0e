//! Users: registration, lookup, the user list, deletion (which takes the user out of every
//! chatroom), strict mode, and the chatrooms each user has joined.
//!
//! Registered users are the users that exist: in strict mode only they (strict mode's own
//! users are registered from the start) may own or join a chatroom; otherwise any
//! well-formed username is accepted, as before.

use std::collections::{BTreeMap, HashMap};

use super::Store;
use crate::service_error::ServiceError;
use crate::wire::{JoinedChatroom, NewUser, RegisterFailure, RegisterUsersResult, User};

/// The registered users, in registration order (the user list's order).
#[derive(Debug, Clone, Default)]
pub(super) struct Registry {
    next_seq: u64,
    // Registration number -> username; the list pages by registration number.
    order: BTreeMap<u64, String>,
    by_name: HashMap<String, Record>,
}

#[derive(Debug, Clone)]
struct Record {
    seq: u64,
    created: i64,
    nickname: Option<String>,
}

/// One page of the user list, oldest registrations first.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    pub items: Vec<User>,
    /// The registration number of this page's last user, when more users follow.
    pub next: Option<u64>,
}

impl Registry {
    /// Registers strict mode's user `username` (lower-case) at time 0.
    pub(super) fn seed(&mut self, username: &str) {
        self.add(username, 0, None);
    }

    fn add(&mut self, username: &str, now: i64, nickname: Option<String>) -> User {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, username.to_owned());
        let record = Record {
            seq,
            created: now,
            nickname,
        };
        let user = record.user(username);
        self.by_name.insert(username.to_owned(), record);
        user
    }

    fn contains(&self, username: &str) -> bool {
        self.by_name.contains_key(username)
    }

    fn user(&self, username: &str) -> Option<User> {
        self.by_name.get(username).map(|r| r.user(username))
    }

    fn remove(&mut self, username: &str) -> Option<User> {
        let record = self.by_name.remove(username)?;
        self.order.remove(&record.seq);
        Some(record.user(username))
    }
}

impl Record {
    fn user(&self, username: &str) -> User {
        let user = User::new(username)
            .uuid(uuid_of(self.seq))
            .entity_type("user")
            .created(self.created)
            .modified(self.created)
            .activated(true);
        match &self.nickname {
            Some(nickname) => user.nickname(nickname.clone()),
            None => user,
        }
    }
}

// A UUID-shaped id, stable per registration number.
fn uuid_of(seq: u64) -> String {
    let hex = format!("{seq:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl Store {
    /// Fails with 404 `resource_not_found` for a user strict mode does not know (strict
    /// mode knows its own users and the users registered through the API).
    pub fn require_user(&self, username: &str) -> Result<(), ServiceError> {
        let known = self.strict.is_none() || self.lock().registered.contains(username);
        match known {
            true => Ok(()),
            false => Err(ServiceError::user_not_found(username)),
        }
    }

    /// Registers one checked user; 400 `duplicate_unique_property_exists` if the
    /// (lower-cased) name exists.
    pub fn register(&self, user: &NewUser, now: i64) -> Result<User, ServiceError> {
        let username = user.username.to_ascii_lowercase();
        let mut inner = self.lock();
        if inner.registered.contains(&username) {
            return Err(ServiceError::user_exists(&username));
        }
        Ok(inner.registered.add(&username, now, user.nickname.clone()))
    }

    /// Registers checked users: the same name twice fails the whole request; names that
    /// exist are reported one by one in `data`, the others created (HTTP 200).
    pub fn register_many(
        &self,
        users: &[NewUser],
        now: i64,
    ) -> Result<RegisterUsersResult, ServiceError> {
        let names: Vec<String> = users
            .iter()
            .map(|u| u.username.to_ascii_lowercase())
            .collect();
        if let Some(twice) = names
            .iter()
            .enumerate()
            .find(|(i, name)| names[..*i].contains(name))
        {
            return Err(ServiceError::same_user_twice(twice.1));
        }
        let mut inner = self.lock();
        let (mut created, mut failed) = (Vec::new(), Vec::new());
        for (user, name) in users.iter().zip(names) {
            if inner.registered.contains(&name) {
                let reason = format!("the {name} already exists");
                failed.push(RegisterFailure::new(name).reason(reason));
            } else {
                created.push(inner.registered.add(&name, now, user.nickname.clone()));
            }
        }
        Ok(RegisterUsersResult::default()
            .entities(created)
            .data(failed))
    }

    /// The registered user `username` (lower-case), if any.
    pub fn user(&self, username: &str) -> Option<User> {
        self.lock().registered.user(username)
    }

    /// Up to `limit` users registered after number `after` (from the first when `None`).
    pub fn users(&self, limit: usize, after: Option<u64>) -> UserPage {
        let inner = self.lock();
        let start = after.map_or(0, |after| after.saturating_add(1));
        let mut rest = inner.registered.order.range(start..);
        let page: Vec<(&u64, &String)> = rest.by_ref().take(limit).collect();
        let more = rest.next().is_some();
        UserPage {
            next: page.last().map(|(seq, _)| **seq).filter(|_| more),
            items: page
                .into_iter()
                .filter_map(|(_, name)| inner.registered.user(name))
                .collect(),
        }
    }

    /// Deletes the registered user `username` (lower-case) and takes them out of every
    /// chatroom; 404 `service_resource_not_found` when there is no such user.
    pub fn delete_user(&self, username: &str) -> Result<User, ServiceError> {
        let mut inner = self.lock();
        let user = inner
            .registered
            .remove(username)
            .ok_or_else(ServiceError::service_resource_not_found)?;
        // Membership goes the one way every membership goes (rooms they own are deleted).
        inner.remove_user_everywhere(username);
        inner.users.remove(username);
        Ok(user)
    }

    /// The rooms `username` is in, most recently joined first, after skipping `skip`.
    pub fn joined(&self, username: &str, skip: usize, take: usize) -> Vec<JoinedChatroom> {
        let inner = self.lock();
        let Some(ids) = inner.joined.get(username) else {
            return Vec::new();
        };
        let rooms = ids.iter().rev().skip(skip).take(take);
        let found = rooms.filter_map(|id| inner.rooms.get(id).map(|r| (id, r)));
        found.map(|(id, r)| r.joined(*id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::CreateChatroom;

    #[test]
    fn strict_mode_rejects_unknown_users() {
        let store = Store::new(Some(vec!["Alice".into()]));
        let req = CreateChatroom::new("room", "d", "alice").members(["bob"]);
        let err = store.create(&req, 1).map_err(|e| e.error);
        assert_eq!(err, Err("resource_not_found"));
        assert_eq!(store.count(), 0);
    }

    #[test]
    fn strict_mode_accepts_registered_users_until_deleted() {
        let store = Store::new(Some(vec!["alice".into()]));
        let bob = NewUser::new("Bob", "pw");
        assert_eq!(
            store.register(&bob, 5).map(|u| u.username).ok().as_deref(),
            Some("bob")
        );
        let req = CreateChatroom::new("room", "d", "alice").members(["bob"]);
        assert!(store.create(&req, 1).is_ok());
        assert!(store.delete_user("bob").is_ok());
        let err = store.create(&req, 1).map_err(|e| e.error);
        assert_eq!(err, Err("resource_not_found"));
    }

    #[test]
    fn registering_twice_is_refused_and_batches_report_per_user() {
        let store = Store::new(None);
        assert!(store.register(&NewUser::new("u1", "p"), 1).is_ok());
        let again = store
            .register(&NewUser::new("U1", "p"), 2)
            .map_err(|e| e.error);
        assert_eq!(again.err(), Some("duplicate_unique_property_exists"));
        let batch = [NewUser::new("u1", "p"), NewUser::new("u2", "p")];
        let result = store.register_many(&batch, 3).ok();
        let created = result
            .as_ref()
            .and_then(|r| r.entities.clone())
            .unwrap_or_default();
        let failed = result.and_then(|r| r.data).unwrap_or_default();
        assert_eq!(
            created
                .iter()
                .map(|u| u.username.as_str())
                .collect::<Vec<_>>(),
            ["u2"]
        );
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].reason.as_deref(), Some("the u1 already exists"));
        let twice = [NewUser::new("u3", "p"), NewUser::new("U3", "q")];
        let err = store.register_many(&twice, 4).map_err(|e| e.error);
        assert_eq!(err.err(), Some("duplicate_unique_property_exists"));
        assert!(store.user("u3").is_none());
    }

    #[test]
    fn users_page_in_registration_order_and_deleting_an_owner_deletes_the_room() {
        let store = Store::new(None);
        for name in ["c", "a", "b"] {
            assert!(store.register(&NewUser::new(name, "p"), 1).is_ok());
        }
        let first = store.users(2, None);
        let names: Vec<&str> = first.items.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["c", "a"]);
        let second = store.users(2, first.next);
        assert_eq!(second.items.len(), 1);
        assert_eq!(second.next, None);
        let owned = store.create(&CreateChatroom::new("r1", "", "a").members(["b"]), 1);
        let joined = store.create(&CreateChatroom::new("r2", "", "b").members(["a", "c"]), 1);
        assert!(owned.is_ok() && joined.is_ok());
        assert!(store.delete_user("a").is_ok());
        assert_eq!(store.count(), 1, "the room `a` owned is deleted");
        assert!(store.joined("b", 0, 10).iter().all(|r| r.name == "r2"));
        assert!(store.joined("a", 0, 10).is_empty());
        let err = store.delete_user("a").map_err(|e| e.error);
        assert_eq!(err.err(), Some("service_resource_not_found"));
    }
}
