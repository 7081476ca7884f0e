//! Chatrooms: create, list, details, update, delete.

use std::collections::HashSet;

use super::{Inner, Store};
use crate::service_error::ServiceError;
use crate::wire::{
    Affiliation, ChatroomDetail, ChatroomId, ChatroomSummary, CreateChatroom, JoinedChatroom,
    UpdateChatroom, UpdateResult,
};

#[derive(Debug, Clone)]
pub(super) struct Room {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) owner: String,
    pub(super) members: Vec<String>,
    /// Members with the admin role, in the order they got it.
    pub(super) admins: Vec<String>,
    pub(super) maxusers: u32,
    pub(super) custom: String,
    pub(super) created: i64,
}

/// One page of the chatroom list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<ChatroomSummary>,
    /// The last id of this page when older rooms remain.
    pub next: Option<u64>,
}

impl Store {
    /// Creates a room from an already checked request.
    pub fn create(&self, req: &CreateChatroom, now: i64) -> Result<ChatroomId, ServiceError> {
        let owner = req.owner.to_ascii_lowercase();
        let members = members_of(&owner, req.members.as_deref().unwrap_or_default());
        self.require_user(&owner)?;
        members.iter().try_for_each(|m| self.require_user(m))?;
        let room = Room {
            name: req.name.clone(),
            description: req.description.clone(),
            owner,
            members,
            admins: Vec::new(),
            maxusers: req.maxusers.unwrap_or(CreateChatroom::MAXUSERS_DEFAULT),
            custom: req.custom.clone().unwrap_or_default(),
            created: now,
        };
        Ok(ChatroomId::new(self.lock().insert(room).to_string()))
    }

    /// Up to `limit` rooms older than `before` (all rooms when `None`), newest first.
    pub fn list(&self, limit: usize, before: Option<u64>) -> Page {
        let inner = self.lock();
        let mut older = inner.rooms.range(..before.unwrap_or(u64::MAX)).rev();
        let page: Vec<(&u64, &Room)> = older.by_ref().take(limit).collect();
        let more = older.next().is_some();
        Page {
            next: page.last().map(|(id, _)| **id).filter(|_| more),
            items: page.into_iter().map(|(id, r)| r.summary(*id)).collect(),
        }
    }

    /// Details of the rooms among `ids` that exist, in the order given.
    pub fn details(&self, ids: &[u64]) -> Vec<ChatroomDetail> {
        let inner = self.lock();
        let found = ids
            .iter()
            .filter_map(|id| inner.rooms.get(id).map(|r| (id, r)));
        let detail = |(id, r): (&u64, &Room)| {
            let detail = r.detail(*id);
            // The details show `mute` once the whole room has been muted (?).
            match inner.moderation.get(id).map(|m| m.mute_all()) {
                Some(mute) => detail.mute(mute),
                None => detail,
            }
        };
        found.map(detail).collect()
    }

    /// Applies an already checked update.
    pub fn update(&self, id: u64, req: &UpdateChatroom) -> Result<UpdateResult, ServiceError> {
        let mut inner = self.lock();
        let room = inner
            .rooms
            .get_mut(&id)
            .ok_or_else(ServiceError::service_resource_not_found)?;
        Ok(room.apply(req))
    }

    /// Removes a room and every user's membership of it.
    pub fn delete(&self, id: u64) -> Result<(), ServiceError> {
        let mut inner = self.lock();
        match inner.drop_room(id) {
            Some(_) => Ok(()),
            None => Err(ServiceError::service_resource_not_found()),
        }
    }

    /// How many rooms exist.
    pub fn count(&self) -> usize {
        self.lock().rooms.len()
    }

    /// Every room id, oldest first.
    pub fn ids(&self) -> Vec<ChatroomId> {
        let inner = self.lock();
        inner
            .rooms
            .keys()
            .map(|id| ChatroomId::new(id.to_string()))
            .collect()
    }
}

impl Inner {
    pub(super) fn insert(&mut self, room: Room) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        for user in room.affiliations() {
            self.users.insert(user.clone());
            self.joined.entry(user.clone()).or_default().insert(id);
        }
        self.rooms.insert(id, room);
        id
    }
}

// Lowercased, deduplicated members without the owner, in request order.
pub(super) fn members_of(owner: &str, members: &[String]) -> Vec<String> {
    let mut seen = HashSet::from([owner.to_owned()]);
    let lower = members.iter().map(|m| m.to_ascii_lowercase());
    lower.filter(|m| seen.insert(m.clone())).collect()
}

impl Room {
    fn affiliations(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.owner).chain(&self.members)
    }

    /// Whether `user` is the owner or a member.
    pub(super) fn has(&self, user: &str) -> bool {
        self.owner == user || self.members.iter().any(|m| m == user)
    }

    pub(super) fn count(&self) -> u32 {
        u32::try_from(1 + self.members.len()).unwrap_or(u32::MAX)
    }

    fn summary(&self, id: u64) -> ChatroomSummary {
        ChatroomSummary::new(id.to_string(), self.name.clone())
            .owner(self.owner.clone())
            .affiliations_count(self.count())
            .disabled(false)
    }

    pub(super) fn joined(&self, id: u64) -> JoinedChatroom {
        JoinedChatroom::new(id.to_string(), self.name.clone()).disabled(false)
    }

    fn detail(&self, id: u64) -> ChatroomDetail {
        let members = self.members.iter().cloned().map(Affiliation::Member);
        let owner = std::iter::once(Affiliation::Owner(self.owner.clone()));
        ChatroomDetail::new(id.to_string(), self.name.clone())
            .description(self.description.clone())
            .membersonly(false)
            .allowinvites(false)
            .maxusers(self.maxusers)
            .owner(self.owner.clone())
            .created(self.created)
            .custom(self.custom.clone())
            .affiliations_count(self.count())
            .affiliations(owner.chain(members))
            .public(true)
    }

    // A maxusers below the current member count is refused (false), the
    // other fields still apply, as the service reports per field.
    fn apply(&mut self, req: &UpdateChatroom) -> UpdateResult {
        if let Some(name) = &req.name {
            self.name.clone_from(name);
        }
        if let Some(description) = &req.description {
            self.description.clone_from(description);
        }
        let count = self.count();
        let maxusers = req.maxusers.map(|m| {
            let fits = m >= count;
            if fits {
                self.maxusers = m;
            }
            fits
        });
        let mut result = UpdateResult::default();
        if req.name.is_some() {
            result = result.groupname(true);
        }
        if req.description.is_some() {
            result = result.description(true);
        }
        match maxusers {
            Some(applied) => result.maxusers(applied),
            None => result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FIRST_ID;

    fn req(owner: &str, members: &[&str]) -> CreateChatroom {
        CreateChatroom::new("room", "d", owner).members(members.iter().copied())
    }

    #[test]
    fn affiliations_are_deduplicated_and_lowercased() {
        let store = Store::new(None);
        let r = req("Alice", &["bob", "BOB", "alice"]);
        let id = store.create(&r, 1).map(ChatroomId::into_inner);
        assert_eq!(id.as_deref(), Ok("66213271109633"));
        let d = store.details(&[FIRST_ID]);
        let want = vec![
            Affiliation::Owner("alice".into()),
            Affiliation::Member("bob".into()),
        ];
        assert_eq!(d[0].affiliations, Some(want));
        assert_eq!(d[0].affiliations_count, Some(2));
    }

    #[test]
    fn list_pages_by_id() {
        let store = Store::new(None);
        for _ in 0..5 {
            assert!(store.create(&req("a", &["b"]), 1).is_ok());
        }
        let first = store.list(2, None);
        assert_eq!(first.next, Some(FIRST_ID + 3));
        assert!(store.create(&req("a", &["b"]), 1).is_ok());
        let second = store.list(2, first.next);
        let ids: Vec<_> = second.items.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(
            ids,
            [(FIRST_ID + 2).to_string(), (FIRST_ID + 1).to_string()]
        );
        assert_eq!(store.list(2, second.next).next, None);
    }

    #[test]
    fn maxusers_below_count_is_not_applied() {
        let store = Store::new(None);
        assert!(store.create(&req("a", &["b", "c"]), 1).is_ok());
        let update = UpdateChatroom::default().name("x").maxusers(2u32);
        let result = store.update(FIRST_ID, &update);
        let want = UpdateResult::default().groupname(true).maxusers(false);
        assert_eq!(result, Ok(want));
        assert_eq!(
            store.details(&[FIRST_ID])[0].maxusers,
            Some(CreateChatroom::MAXUSERS_DEFAULT)
        );
    }

    #[test]
    fn delete_leaves_memberships() {
        let store = Store::new(None);
        assert!(store.create(&req("a", &["b"]), 1).is_ok());
        assert_eq!(store.joined("b", 0, 10).len(), 1);
        assert!(store.delete(FIRST_ID).is_ok());
        assert!(store.joined("b", 0, 10).is_empty());
        assert!(store.delete(FIRST_ID).is_err());
    }
}
