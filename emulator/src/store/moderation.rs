//! Moderation state of each chatroom: mutes (expiring on the emulator's clock), the mute-all
//! flag, the block list, the allow list, the announcement and custom attributes with their
//! owners. Kept beside the rooms, dropped with them, and tied to membership by two hooks:
//! [`Inner::refuse_blocked`] (a blocked user cannot be added) and [`Inner::member_left`]
//! (a leaving member's auto-delete attributes and allow-list entry go).

use std::collections::{BTreeMap, BTreeSet};

use super::members::ItemOutcome;
use super::{Inner, Store};
use crate::service_error::ServiceError;
use crate::wire::{AttributesResult, AutoDelete, DeleteAttributes, MuteExpiry, SetAttributes};

/// The most attributes a chatroom holds (documented).
pub const MAX_ATTRIBUTES_PER_ROOM: usize = 100;

/// One room's moderation state.
#[derive(Debug, Clone, Default)]
pub(super) struct Moderation {
    /// User -> end of the mute in Unix ms; `None` is forever.
    mutes: BTreeMap<String, Option<i64>>,
    mute_all: bool,
    blocks: BTreeSet<String>,
    allowed: BTreeSet<String>,
    announcement: String,
    attributes: BTreeMap<String, Attribute>,
}

impl Moderation {
    /// Whether the whole room is muted (its details show it).
    pub(super) fn mute_all(&self) -> bool {
        self.mute_all
    }
}

#[derive(Debug, Clone)]
struct Attribute {
    value: String,
    owner: String,
    /// Deleted when the owner leaves the room.
    auto_delete: bool,
}

/// How long a mute lasts, as the store keeps it: milliseconds, or forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuteFor {
    Millis(i64),
    Forever,
}

/// Whether ownership is checked (set, delete) or overridden (force set, force delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Force {
    No,
    Yes,
}

impl Inner {
    /// The moderation state of an existing room (404 for a room that does not exist).
    fn moderation_mut(&mut self, room: u64) -> Result<&mut Moderation, ServiceError> {
        if !self.rooms.contains_key(&room) {
            return Err(ServiceError::service_resource_not_found());
        }
        Ok(self.moderation.entry(room).or_default())
    }

    fn is_member_of(&self, room: u64, user: &str) -> bool {
        self.rooms.get(&room).is_some_and(|r| r.has(user))
    }

    fn is_owner(&self, room: u64, user: &str) -> bool {
        self.rooms.get(&room).is_some_and(|r| r.owner == user)
    }

    /// Membership hook: a blocked user cannot be added to the room (403, as the service's
    /// "is in the blacklist").
    pub(super) fn refuse_blocked(&self, room: u64, user: &str) -> Result<(), ServiceError> {
        let blocked = self
            .moderation
            .get(&room)
            .is_some_and(|m| m.blocks.contains(user));
        if blocked {
            let text = format!("user {user} is in the blacklist of chatroom {room}");
            return Err(ServiceError::forbidden_op(text));
        }
        Ok(())
    }

    /// Membership hook: `user` left `room` (removed, blocked or deleted). Their auto-delete
    /// attributes and allow-list entry go; mutes stay (documented).
    pub(super) fn member_left(&mut self, room: u64, user: &str) {
        if let Some(m) = self.moderation.get_mut(&room) {
            m.attributes
                .retain(|_, a| !(a.auto_delete && a.owner == user));
            m.allowed.remove(user);
        }
    }

    /// 403 unless `user` is a member other than the owner.
    fn require_non_owner_member(&self, room: u64, user: &str) -> Result<(), ServiceError> {
        if self.is_owner(room, user) {
            return Err(ServiceError::forbidden_op(
                "forbidden operation on group owner!",
            ));
        }
        if !self.is_member_of(room, user) {
            let text = format!("users [{user}] are not members of this group!");
            return Err(ServiceError::forbidden_op(text));
        }
        Ok(())
    }
}

impl Store {
    /// The room's mutes that have not ended at `now_ms`, by username; ended ones are dropped.
    pub fn mutes(&self, room: u64, now_ms: i64) -> Result<Vec<(String, MuteExpiry)>, ServiceError> {
        let mut inner = self.lock();
        let m = inner.moderation_mut(room)?;
        m.mutes.retain(|_, end| end.is_none_or(|end| end > now_ms));
        Ok(m.mutes
            .iter()
            .map(|(u, end)| (u.clone(), expiry(*end)))
            .collect())
    }

    /// Mutes members (all of them, or none: a non-member or the owner fails the request);
    /// muting a muted user replaces the end. Answers each user's end, in request order.
    pub fn mute(
        &self,
        room: u64,
        users: &[String],
        duration: MuteFor,
        now_ms: i64,
    ) -> Result<Vec<(String, MuteExpiry)>, ServiceError> {
        let mut inner = self.lock();
        inner.moderation_mut(room)?;
        let users = lowercase(users);
        for user in &users {
            inner.require_non_owner_member(room, user)?;
        }
        let end = match duration {
            MuteFor::Millis(ms) => Some(now_ms.saturating_add(ms)),
            MuteFor::Forever => None,
        };
        let m = inner.moderation_mut(room)?;
        for user in &users {
            m.mutes.insert(user.clone(), end);
        }
        Ok(users.into_iter().map(|u| (u, expiry(end))).collect())
    }

    /// Ends the mutes of `users` (not muted: nothing to do, still a success).
    pub fn unmute(&self, room: u64, users: &[String]) -> Result<Vec<String>, ServiceError> {
        let mut inner = self.lock();
        let m = inner.moderation_mut(room)?;
        let users = lowercase(users);
        for user in &users {
            m.mutes.remove(user);
        }
        Ok(users)
    }

    /// Sets the room's mute-all flag; answers the flag now.
    pub fn set_mute_all(&self, room: u64, mute: bool) -> Result<bool, ServiceError> {
        let mut inner = self.lock();
        inner.moderation_mut(room)?.mute_all = mute;
        Ok(mute)
    }

    /// The blocked users, in name order.
    pub fn blocks(&self, room: u64) -> Result<Vec<String>, ServiceError> {
        let mut inner = self.lock();
        Ok(inner.moderation_mut(room)?.blocks.iter().cloned().collect())
    }

    /// Blocks a member: they leave the room (and their joined list) and stay out.
    pub fn block(&self, room: u64, user: &str) -> Result<(), ServiceError> {
        let mut inner = self.lock();
        inner.moderation_mut(room)?;
        let user = user.to_ascii_lowercase();
        inner.require_non_owner_member(room, &user)?;
        inner.leave(room, &user);
        inner.moderation_mut(room)?.blocks.insert(user);
        Ok(())
    }

    /// Blocks each user on its own: per-user outcome (the reason when it failed).
    pub fn block_each(
        &self,
        room: u64,
        users: &[String],
    ) -> Result<Vec<ItemOutcome>, ServiceError> {
        self.lock().moderation_mut(room)?;
        let outcome = |user: String| {
            let result = self.block(room, &user).map_err(|e| {
                if self.lock().is_owner(room, &user) {
                    e.description
                } else {
                    format!("user: {user} doesn't exist in chatroom: {room}")
                }
            });
            (user, result)
        };
        Ok(lowercase(users).into_iter().map(outcome).collect())
    }

    /// Unblocks users: per user, whether they were blocked. They are not added back.
    pub fn unblock(
        &self,
        room: u64,
        users: &[String],
    ) -> Result<Vec<(String, bool)>, ServiceError> {
        self.remove_each(room, users, |m| &mut m.blocks)
    }

    /// The allow list, in name order.
    pub fn allowlist(&self, room: u64) -> Result<Vec<String>, ServiceError> {
        let mut inner = self.lock();
        Ok(inner
            .moderation_mut(room)?
            .allowed
            .iter()
            .cloned()
            .collect())
    }

    /// Allow-lists a member (403 for a non-member).
    pub fn allow(&self, room: u64, user: &str) -> Result<(), ServiceError> {
        let mut inner = self.lock();
        inner.moderation_mut(room)?;
        let user = user.to_ascii_lowercase();
        if !inner.is_member_of(room, &user) {
            let text = format!("users [{user}] are not members of this group!");
            return Err(ServiceError::forbidden_op(text));
        }
        inner.moderation_mut(room)?.allowed.insert(user);
        Ok(())
    }

    /// Allow-lists each user on its own: per-user outcome (the reason when it failed).
    pub fn allow_each(
        &self,
        room: u64,
        users: &[String],
    ) -> Result<Vec<ItemOutcome>, ServiceError> {
        self.lock().moderation_mut(room)?;
        let outcome = |user: String| {
            let result = self.allow(room, &user).map_err(|e| e.description);
            (user, result)
        };
        Ok(lowercase(users).into_iter().map(outcome).collect())
    }

    /// Takes users off the allow list: per user, whether they were on it.
    pub fn disallow(
        &self,
        room: u64,
        users: &[String],
    ) -> Result<Vec<(String, bool)>, ServiceError> {
        self.remove_each(room, users, |m| &mut m.allowed)
    }

    /// Removes users from one of a room's name lists: per user, whether they were on it.
    fn remove_each(
        &self,
        room: u64,
        users: &[String],
        list: fn(&mut Moderation) -> &mut BTreeSet<String>,
    ) -> Result<Vec<(String, bool)>, ServiceError> {
        let mut inner = self.lock();
        let names = list(inner.moderation_mut(room)?);
        let users = lowercase(users).into_iter();
        Ok(users.map(|u| (u.clone(), names.remove(&u))).collect())
    }

    /// The announcement; empty when none was set.
    pub fn announcement(&self, room: u64) -> Result<String, ServiceError> {
        let mut inner = self.lock();
        Ok(inner.moderation_mut(room)?.announcement.clone())
    }

    /// Replaces the announcement (its length is checked by the spec's rules first).
    pub fn set_announcement(&self, room: u64, text: &str) -> Result<(), ServiceError> {
        let mut inner = self.lock();
        text.clone_into(&mut inner.moderation_mut(room)?.announcement);
        Ok(())
    }

    /// The attributes among `keys` (every one when `keys` is empty); unknown keys are absent.
    pub fn attributes(
        &self,
        room: u64,
        keys: &[String],
    ) -> Result<BTreeMap<String, String>, ServiceError> {
        let mut inner = self.lock();
        let m = inner.moderation_mut(room)?;
        let wanted = |key: &String| keys.is_empty() || keys.contains(key);
        let found = m.attributes.iter().filter(|(k, _)| wanted(k));
        Ok(found.map(|(k, a)| (k.clone(), a.value.clone())).collect())
    }

    /// Sets attributes as `user`, a member (401 `MetadataException` otherwise). Per key: a
    /// key another user owns fails unless forced (then it passes to `user`); a new key
    /// past [`MAX_ATTRIBUTES_PER_ROOM`] fails.
    pub fn set_attributes(
        &self,
        room: u64,
        user: &str,
        req: &SetAttributes,
        force: Force,
    ) -> Result<AttributesResult, ServiceError> {
        let mut inner = self.lock();
        inner.moderation_mut(room)?;
        let user = user.to_ascii_lowercase();
        if !inner.is_member_of(room, &user) {
            return Err(ServiceError::metadata("user is not in chatroom"));
        }
        let auto_delete = !matches!(req.auto_delete, Some(AutoDelete::NoDelete));
        let m = inner.moderation_mut(room)?;
        let mut outcome = KeyOutcome::default();
        for (key, value) in &req.metadata {
            match m.attributes.get(key) {
                Some(a) if a.owner != user && force == Force::No => {
                    outcome.fail(key, format!("properties key '{key}' is not part of you"));
                    continue;
                }
                None if m.attributes.len() >= MAX_ATTRIBUTES_PER_ROOM => {
                    let text = format!(
                        "size of metadata for chatroom {room} exceeds {MAX_ATTRIBUTES_PER_ROOM} keys"
                    );
                    outcome.fail(key, text);
                    continue;
                }
                _ => {}
            }
            let attribute = Attribute {
                value: value.clone(),
                owner: user.clone(),
                auto_delete,
            };
            m.attributes.insert(key.clone(), attribute);
            outcome.succeed(key);
        }
        Ok(outcome.into_result())
    }

    /// Deletes attributes as `user`. Unforced: `user` must be a member (401) and may only
    /// delete its own keys; forced: any key, whoever `user` is. Absent keys fail per key.
    pub fn delete_attributes(
        &self,
        room: u64,
        user: &str,
        req: &DeleteAttributes,
        force: Force,
    ) -> Result<AttributesResult, ServiceError> {
        let mut inner = self.lock();
        inner.moderation_mut(room)?;
        let user = user.to_ascii_lowercase();
        if force == Force::No && !inner.is_member_of(room, &user) {
            return Err(ServiceError::metadata("user is not in chatroom"));
        }
        let m = inner.moderation_mut(room)?;
        let mut outcome = KeyOutcome::default();
        for key in &req.keys {
            match m.attributes.get(key) {
                None => outcome.fail(key, format!("properties key '{key}' does not exist")),
                Some(a) if a.owner != user && force == Force::No => {
                    outcome.fail(key, format!("properties key '{key}' is not part of you"));
                }
                Some(_) => {
                    m.attributes.remove(key);
                    outcome.succeed(key);
                }
            }
        }
        Ok(outcome.into_result())
    }
}

/// The per-key answer of the attribute calls, built key by key.
#[derive(Debug, Default)]
struct KeyOutcome {
    success: Vec<String>,
    errors: BTreeMap<String, String>,
}

impl KeyOutcome {
    fn succeed(&mut self, key: &str) {
        self.success.push(key.to_owned());
    }

    fn fail(&mut self, key: &str, reason: String) {
        self.errors.insert(key.to_owned(), reason);
    }

    fn into_result(self) -> AttributesResult {
        AttributesResult::default()
            .success_keys(self.success)
            .error_keys(self.errors)
    }
}

fn expiry(end: Option<i64>) -> MuteExpiry {
    let at = end.and_then(agora_chat::time::timestamp_from_millis);
    at.map_or(MuteExpiry::Forever, MuteExpiry::At)
}

// Lowercased and deduplicated, in request order.
fn lowercase(users: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let lower = users.iter().map(|u| u.to_ascii_lowercase());
    lower.filter(|u| seen.insert(u.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FIRST_ID;
    use crate::wire::CreateChatroom;

    const ROOM: u64 = FIRST_ID;

    fn store() -> Store {
        let store = Store::new(None);
        let req = CreateChatroom::new("room", "d", "owner").members(["bob", "carol"]);
        assert!(store.create(&req, 1).is_ok());
        store
    }

    fn names(users: &[&str]) -> Vec<String> {
        users.iter().map(|u| (*u).to_owned()).collect()
    }

    fn code<T>(r: Result<T, ServiceError>) -> Option<&'static str> {
        r.err().map(|e| e.error)
    }

    #[test]
    fn a_timed_mute_ends_on_the_clock_and_forever_does_not() {
        let store = store();
        let muted = store.mute(ROOM, &names(&["Bob"]), MuteFor::Millis(600_000), 1_000);
        let end = agora_chat::time::timestamp_from_millis(601_000).map(MuteExpiry::At);
        assert_eq!(muted.ok(), end.map(|e| vec![("bob".to_owned(), e)]));
        assert!(
            store
                .mute(ROOM, &names(&["carol"]), MuteFor::Forever, 1_000)
                .is_ok()
        );
        let listed = |now| store.mutes(ROOM, now).map(|m| m.len());
        assert_eq!(listed(600_999), Ok(2));
        assert_eq!(listed(601_000), Ok(1), "the mute ends at its expiry");
        assert_eq!(
            store.mutes(ROOM, i64::MAX).map(|m| m[0].1),
            Ok(MuteExpiry::Forever)
        );
    }

    #[test]
    fn mutes_need_members_other_than_the_owner() {
        let store = store();
        let mute = |u| store.mute(ROOM, &names(&[u]), MuteFor::Forever, 0);
        assert_eq!(code(mute("dave")), Some("forbidden_op"));
        assert_eq!(code(mute("owner")), Some("forbidden_op"));
        assert_eq!(
            code(store.mute(ROOM + 1, &[], MuteFor::Forever, 0)),
            Some("service_resource_not_found")
        );
        assert_eq!(store.unmute(ROOM, &names(&["bob"])), Ok(names(&["bob"])));
    }

    #[test]
    fn a_blocked_member_leaves_and_cannot_be_added_back() {
        let store = store();
        assert!(store.block(ROOM, "BOB").is_ok());
        assert_eq!(store.blocks(ROOM), Ok(names(&["bob"])));
        assert!(store.joined("bob", 0, 10).is_empty());
        let members = store.details(&[ROOM])[0].affiliations_count;
        assert_eq!(members, Some(2));
        assert_eq!(
            code(store.lock().refuse_blocked(ROOM, "bob")),
            Some("forbidden_op")
        );
        assert_eq!(
            code(store.block(ROOM, "bob")),
            Some("forbidden_op"),
            "no longer a member"
        );
        assert_eq!(code(store.block(ROOM, "owner")), Some("forbidden_op"));
        let unblock = || store.unblock(ROOM, &names(&["bob"]));
        assert_eq!(unblock(), Ok(vec![("bob".to_owned(), true)]));
        assert_eq!(unblock(), Ok(vec![("bob".to_owned(), false)]));
        assert!(store.lock().refuse_blocked(ROOM, "bob").is_ok());
        assert!(
            store.joined("bob", 0, 10).is_empty(),
            "unblocking does not re-add"
        );
    }

    #[test]
    fn block_each_reports_per_user() {
        let store = store();
        let outcome = store.block_each(ROOM, &names(&["dave", "carol", "owner"]));
        let outcome = outcome.unwrap_or_default();
        let reasons: Vec<Option<&str>> = outcome
            .iter()
            .map(|(_, r)| r.as_ref().err().map(String::as_str))
            .collect();
        let dave = format!("user: dave doesn't exist in chatroom: {ROOM}");
        let want = [
            Some(dave.as_str()),
            None,
            Some("forbidden operation on group owner!"),
        ];
        assert_eq!(reasons, want);
    }

    #[test]
    fn the_allow_list_holds_members_only() {
        let store = store();
        assert!(store.allow(ROOM, "bob").is_ok());
        assert_eq!(code(store.allow(ROOM, "dave")), Some("forbidden_op"));
        assert_eq!(store.allowlist(ROOM), Ok(names(&["bob"])));
        let removed = store.disallow(ROOM, &names(&["bob", "dave"]));
        assert_eq!(
            removed,
            Ok(vec![("bob".into(), true), ("dave".into(), false)])
        );
    }

    fn set(pairs: &[(&str, &str)]) -> SetAttributes {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        SetAttributes::new(map)
    }

    #[test]
    fn attribute_ownership_follows_the_setter_and_force_overrides() {
        let store = store();
        let r = store.set_attributes(ROOM, "bob", &set(&[("k", "1")]), Force::No);
        assert_eq!(r.map(|r| r.success_keys), Ok(Some(names(&["k"]))));
        let r = store.set_attributes(ROOM, "carol", &set(&[("k", "2")]), Force::No);
        let errors = r.ok().and_then(|r| r.error_keys).unwrap_or_default();
        assert!(errors["k"].contains("is not part of you"), "{errors:?}");
        let r = store.set_attributes(ROOM, "carol", &set(&[("k", "3")]), Force::Yes);
        assert!(r.is_ok());
        let del = DeleteAttributes::new(names(&["k"]));
        let r = store.delete_attributes(ROOM, "bob", &del, Force::No);
        assert!(
            r.ok()
                .and_then(|r| r.error_keys)
                .is_some_and(|e| e.contains_key("k"))
        );
        let all = store.attributes(ROOM, &[]).unwrap_or_default();
        assert_eq!(all.get("k").map(String::as_str), Some("3"));
        let r = store.delete_attributes(ROOM, "admin", &del, Force::Yes);
        assert_eq!(r.map(|r| r.success_keys), Ok(Some(names(&["k"]))));
        let outsider = store.set_attributes(ROOM, "dave", &set(&[("k", "1")]), Force::Yes);
        assert_eq!(code(outsider), Some("MetadataException"));
    }

    #[test]
    fn leaving_drops_auto_delete_attributes_only() {
        let store = store();
        let keep = set(&[("kept", "1")]).auto_delete(AutoDelete::NoDelete);
        assert!(store.set_attributes(ROOM, "bob", &keep, Force::No).is_ok());
        assert!(
            store
                .set_attributes(ROOM, "bob", &set(&[("gone", "1")]), Force::No)
                .is_ok()
        );
        assert!(store.allow(ROOM, "bob").is_ok());
        assert!(store.block(ROOM, "bob").is_ok());
        let keys: Vec<String> = store
            .attributes(ROOM, &[])
            .unwrap_or_default()
            .into_keys()
            .collect();
        assert_eq!(keys, names(&["kept"]));
        assert_eq!(store.allowlist(ROOM), Ok(vec![]));
    }

    #[test]
    fn a_room_holds_at_most_100_attributes() {
        let store = store();
        for batch in 0..10 {
            let pairs: Vec<(String, String)> = (0..10)
                .map(|i| (format!("k{batch}_{i}"), "v".to_owned()))
                .collect();
            let req = SetAttributes::new(pairs.into_iter().collect::<BTreeMap<_, _>>());
            assert!(store.set_attributes(ROOM, "bob", &req, Force::No).is_ok());
        }
        let r = store.set_attributes(ROOM, "bob", &set(&[("one_more", "v")]), Force::No);
        let errors = r.ok().and_then(|r| r.error_keys).unwrap_or_default();
        assert!(errors["one_more"].contains("exceeds"), "{errors:?}");
        let r = store.set_attributes(ROOM, "bob", &set(&[("k0_0", "new")]), Force::No);
        assert_eq!(
            r.map(|r| r.success_keys),
            Ok(Some(names(&["k0_0"]))),
            "updates still work"
        );
    }
}
