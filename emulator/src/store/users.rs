//! Users: strict mode, and the chatrooms each user has joined.

use super::Store;
use crate::service_error::ServiceError;
use crate::wire::JoinedChatroom;

impl Store {
    /// Fails with 404 `resource_not_found` for a user strict mode does not know.
    pub fn require_user(&self, username: &str) -> Result<(), ServiceError> {
        match &self.strict {
            Some(users) if !users.contains(username) => Err(ServiceError::user_not_found(username)),
            _ => Ok(()),
        }
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
}
