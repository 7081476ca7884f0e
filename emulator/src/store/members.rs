//! Chatroom membership: members, admins, ownership and the app-wide super admins, kept
//! consistent with the rooms' details and every user's joined list.
//!
//! The API other resources hook into:
//! - `Inner::remove_user_everywhere` (in this module): a deleted user leaves every room
//!   (rooms they own are deleted, as the service documents); `Store::delete_user` calls it
//!   under the same lock that unregisters the user.
//! - [`Store::is_member`]: whether a user is in a room (owner included).
//! - `Inner::leave` (in this module): the one place a member leaves a room (removal, block,
//!   user deletion); what else must go when a member leaves (their auto-deleted attributes,
//!   allow-list entry) belongs there.
//!
//! Every function takes already lower-cased usernames (the routes lower-case them, as the
//! service stores ids in lower case).

use super::{Inner, Store};
use crate::service_error::ServiceError;
use crate::wire::Affiliation;

/// Admins per room at most (owner + admins <= 100).
pub const MAX_ADMINS: usize = 99;

/// The outcome for one user of a batch removal: `Err` carries the service's reason.
pub type ItemOutcome = (String, Result<(), String>);

impl Store {
    /// One page of a room's affiliations, the owner first, then members in join order.
    pub fn member_page(
        &self,
        room: u64,
        skip: usize,
        take: usize,
    ) -> Result<Vec<Affiliation>, ServiceError> {
        let inner = self.lock();
        let room = inner.room(room)?;
        let owner = std::iter::once(Affiliation::Owner(room.owner.clone()));
        let members = room.members.iter().cloned().map(Affiliation::Member);
        Ok(owner.chain(members).skip(skip).take(take).collect())
    }

    /// Whether `user` is in room `room` (the owner is).
    #[allow(dead_code, reason = "the hook the moderation operations use")]
    pub fn is_member(&self, room: u64, user: &str) -> bool {
        let inner = self.lock();
        inner.rooms.get(&room).is_some_and(|r| r.has(user))
    }

    /// Adds users to a room, all or none: an unknown user is 404, more than `maxusers`
    /// in all is 403. Users already in the room count as added. Answers every user now
    /// in the room among `users`, in the order given.
    pub fn add_members(&self, room: u64, users: &[String]) -> Result<Vec<String>, ServiceError> {
        users.iter().try_for_each(|u| self.require_user(u))?;
        let mut inner = self.lock();
        inner.room(room)?;
        // All or none: a blocked user fails the whole request.
        users
            .iter()
            .try_for_each(|u| inner.refuse_blocked(room, u))?;
        let existing = inner.room(room)?;
        let mut new: Vec<&String> = users.iter().filter(|u| !existing.has(u)).collect();
        new.dedup();
        let fits = existing.count() as usize + new.len() <= existing.maxusers as usize;
        if !fits {
            return Err(ServiceError::forbidden_op(format!(
                "can not join this group, reason:member list is full! maxusers {}",
                existing.maxusers
            )));
        }
        for user in users {
            inner.join(room, user);
        }
        Ok(users.to_vec())
    }

    /// Removes one member; the owner cannot be removed.
    pub fn remove_member(&self, room: u64, user: &str) -> Result<(), ServiceError> {
        let mut inner = self.lock();
        inner.removable(room, user)?;
        inner.leave(room, user);
        Ok(())
    }

    /// Removes several members, each on its own: a user that cannot be removed gets the
    /// service's reason, the others are removed.
    pub fn remove_members(
        &self,
        room: u64,
        users: &[String],
    ) -> Result<Vec<ItemOutcome>, ServiceError> {
        let mut inner = self.lock();
        inner.room(room)?;
        let mut outcomes = Vec::with_capacity(users.len());
        for user in users {
            let outcome = match inner.removable(room, user) {
                Ok(()) => {
                    inner.leave(room, user);
                    Ok(())
                }
                Err(_) if inner.rooms.get(&room).is_some_and(|r| r.owner == *user) => {
                    Err("forbidden operation on group owner!".to_owned())
                }
                Err(_) => Err(format!("user: {user} doesn't exist in group: {room}")),
            };
            outcomes.push((user.clone(), outcome));
        }
        Ok(outcomes)
    }

    /// The admins of a room, in the order they were made admins.
    pub fn admins(&self, room: u64) -> Result<Vec<String>, ServiceError> {
        Ok(self.lock().room(room)?.admins.clone())
    }

    /// Makes a member an admin (again is fine); not the owner, at most [`MAX_ADMINS`].
    pub fn add_admin(&self, room: u64, user: &str) -> Result<(), ServiceError> {
        self.require_user(user)?;
        let mut inner = self.lock();
        let r = inner.room_mut(room)?;
        if r.owner == user {
            return Err(owner_refused());
        }
        if !r.members.iter().any(|m| m == user) {
            return Err(ServiceError::resource_not_found(format!(
                "user: {user} doesn't exist in group: {room}"
            )));
        }
        if r.admins.iter().any(|a| a == user) {
            return Ok(());
        }
        if r.admins.len() >= MAX_ADMINS {
            return Err(ServiceError::forbidden_op("admin count exceeds limit"));
        }
        r.admins.push(user.to_owned());
        Ok(())
    }

    /// Takes the admin role from a user, who stays a member.
    pub fn remove_admin(&self, room: u64, user: &str) -> Result<(), ServiceError> {
        self.require_user(user)?;
        let mut inner = self.lock();
        let r = inner.room_mut(room)?;
        let Some(at) = r.admins.iter().position(|a| a == user) else {
            return Err(ServiceError::forbidden_op(format!(
                "user:{user} is not admin of group:{room}"
            )));
        };
        r.admins.remove(at);
        Ok(())
    }

    /// Makes a member the owner; the old owner becomes a member (the new owner stops being
    /// an admin, the owner is more).
    pub fn transfer_owner(&self, room: u64, new_owner: &str) -> Result<(), ServiceError> {
        self.require_user(new_owner)?;
        let mut inner = self.lock();
        let r = inner.room_mut(room)?;
        if r.owner == new_owner {
            return Err(ServiceError::forbidden_op(
                "new owner and old owner are the same",
            ));
        }
        let Some(at) = r.members.iter().position(|m| m == new_owner) else {
            return Err(ServiceError::forbidden_op(format!(
                "User: {new_owner} doesn't exist in group: {room}."
            )));
        };
        r.members.remove(at);
        r.admins.retain(|a| a != new_owner);
        let old = std::mem::replace(&mut r.owner, new_owner.to_owned());
        r.members.insert(0, old);
        Ok(())
    }

    /// One page of the app's super admins, in the order they were added.
    pub fn super_admins(&self, skip: usize, take: usize) -> Vec<String> {
        let inner = self.lock();
        inner
            .super_admins
            .iter()
            .skip(skip)
            .take(take)
            .cloned()
            .collect()
    }

    /// Makes a user a super admin (again is fine).
    pub fn add_super_admin(&self, user: &str) -> Result<(), ServiceError> {
        self.require_user(user)?;
        let mut inner = self.lock();
        if !inner.super_admins.iter().any(|s| s == user) {
            inner.super_admins.push(user.to_owned());
        }
        Ok(())
    }

    /// Takes the super admin role from a user; one without it is not an error.
    pub fn remove_super_admin(&self, user: &str) -> Result<(), ServiceError> {
        self.require_user(user)?;
        self.lock().super_admins.retain(|s| s != user);
        Ok(())
    }
}

fn owner_refused() -> ServiceError {
    ServiceError::forbidden_op("forbidden operation on group owner!")
}

impl Inner {
    fn room(&self, id: u64) -> Result<&super::chatrooms::Room, ServiceError> {
        self.rooms
            .get(&id)
            .ok_or_else(ServiceError::service_resource_not_found)
    }

    fn room_mut(&mut self, id: u64) -> Result<&mut super::chatrooms::Room, ServiceError> {
        self.rooms
            .get_mut(&id)
            .ok_or_else(ServiceError::service_resource_not_found)
    }

    /// `user` joins room `room` (which exists); a member already is left as is.
    fn join(&mut self, room: u64, user: &str) {
        let Some(r) = self.rooms.get_mut(&room) else {
            return;
        };
        if r.has(user) {
            return;
        }
        r.members.push(user.to_owned());
        self.users.insert(user.to_owned());
        self.joined.entry(user.to_owned()).or_default().insert(room);
    }

    /// Whether `user` can be removed from `room`: a member, not the owner.
    fn removable(&self, room: u64, user: &str) -> Result<(), ServiceError> {
        let r = self.room(room)?;
        if r.owner == user {
            return Err(owner_refused());
        }
        if !r.members.iter().any(|m| m == user) {
            return Err(ServiceError::forbidden_op(format!(
                "users [{user}] are not members of this group!"
            )));
        }
        Ok(())
    }

    /// The one way a member leaves a room: out of the members and the admins, and the room
    /// out of their joined list. (Hook for what else goes when a member leaves.)
    pub(super) fn leave(&mut self, room: u64, user: &str) {
        if let Some(r) = self.rooms.get_mut(&room) {
            r.members.retain(|m| m != user);
            r.admins.retain(|a| a != user);
        }
        if let Some(rooms) = self.joined.get_mut(user) {
            rooms.remove(&room);
        }
        self.member_left(room, user);
    }

    /// A deleted user leaves every room (through [`Inner::leave`]) and loses the super admin
    /// role; rooms they own are deleted (the service documents this). The ids deleted.
    pub(super) fn remove_user_everywhere(&mut self, user: &str) -> Vec<u64> {
        self.super_admins.retain(|s| s != user);
        let rooms: Vec<u64> = self
            .joined
            .get(user)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        let mut deleted = Vec::new();
        for room in rooms {
            if self.rooms.get(&room).is_some_and(|r| r.owner == user) {
                self.drop_room(room);
                deleted.push(room);
            } else {
                self.leave(room, user);
            }
        }
        self.joined.remove(user);
        deleted
    }

    /// Deletes a room and takes it out of every affiliated user's joined list.
    pub(super) fn drop_room(&mut self, room: u64) -> Option<super::chatrooms::Room> {
        let removed = self.rooms.remove(&room)?;
        self.moderation.remove(&room);
        for user in std::iter::once(&removed.owner).chain(&removed.members) {
            if let Some(rooms) = self.joined.get_mut(user) {
                rooms.remove(&room);
            }
        }
        Some(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FIRST_ID;
    use crate::wire::CreateChatroom;

    fn store_with_room(maxusers: u32) -> Store {
        let store = Store::new(None);
        let req = CreateChatroom::new("r", "d", "alice")
            .members(["bob"])
            .maxusers(maxusers);
        assert!(store.create(&req, 1).is_ok());
        store
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn added_members_show_in_details_and_joined_lists() {
        let store = store_with_room(10);
        let added = store.add_members(FIRST_ID, &names(&["carol", "bob", "dave"]));
        assert_eq!(added, Ok(names(&["carol", "bob", "dave"])));
        let detail = &store.details(&[FIRST_ID])[0];
        assert_eq!(detail.affiliations_count, Some(4));
        assert_eq!(store.joined("carol", 0, 10).len(), 1);
        assert!(store.is_member(FIRST_ID, "dave"));
    }

    #[test]
    fn maxusers_is_enforced_on_add() {
        let store = store_with_room(3);
        let err = store
            .add_members(FIRST_ID, &names(&["c", "d"]))
            .map_err(|e| e.error);
        assert_eq!(err, Err("forbidden_op"));
        assert_eq!(
            store.add_members(FIRST_ID, &names(&["c"])),
            Ok(names(&["c"]))
        );
    }

    #[test]
    fn the_owner_cannot_be_removed_and_removed_admins_lose_the_role() {
        let store = store_with_room(10);
        let owner = store
            .remove_member(FIRST_ID, "alice")
            .map_err(|e| e.description);
        assert_eq!(owner, Err("forbidden operation on group owner!".to_owned()));
        assert!(store.add_admin(FIRST_ID, "bob").is_ok());
        assert!(store.remove_member(FIRST_ID, "bob").is_ok());
        assert_eq!(store.admins(FIRST_ID), Ok(vec![]));
        assert!(store.joined("bob", 0, 10).is_empty());
        let not_member = store.add_admin(FIRST_ID, "bob").map_err(|e| e.error);
        assert_eq!(not_member, Err("resource_not_found"));
    }

    #[test]
    fn batch_removal_reports_each_user() {
        let store = store_with_room(10);
        let out = store.remove_members(FIRST_ID, &names(&["bob", "zed", "alice"]));
        let out = out.unwrap_or_default();
        assert_eq!(out[0], ("bob".to_owned(), Ok(())));
        assert!(
            out[1]
                .1
                .as_ref()
                .is_err_and(|r| r.contains("doesn't exist in group"))
        );
        assert!(out[2].1.as_ref().is_err_and(|r| r.contains("owner")));
    }

    #[test]
    fn transfer_swaps_owner_and_member() {
        let store = store_with_room(10);
        assert!(store.add_admin(FIRST_ID, "bob").is_ok());
        assert!(store.transfer_owner(FIRST_ID, "bob").is_ok());
        let page = store.member_page(FIRST_ID, 0, 10);
        let want = vec![
            Affiliation::Owner("bob".into()),
            Affiliation::Member("alice".into()),
        ];
        assert_eq!(page, Ok(want));
        assert_eq!(store.admins(FIRST_ID), Ok(vec![]));
        let same = store.transfer_owner(FIRST_ID, "bob").map_err(|e| e.error);
        assert_eq!(same, Err("forbidden_op"));
    }

    #[test]
    fn a_removed_user_leaves_every_room_and_their_rooms_go() {
        let store = store_with_room(10);
        let other = CreateChatroom::new("r2", "d", "bob").members(["alice"]);
        assert!(store.create(&other, 1).is_ok());
        assert!(store.add_super_admin("bob").is_ok());
        assert_eq!(
            store.lock().remove_user_everywhere("bob"),
            vec![FIRST_ID + 1]
        );
        assert!(!store.is_member(FIRST_ID, "bob"));
        assert_eq!(store.joined("alice", 0, 10).len(), 1);
        assert!(store.super_admins(0, 10).is_empty());
    }
}
