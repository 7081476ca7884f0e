//! The emulator's state, split by resource (chatrooms, users, moderation): every read and
//! write happens under one lock, so concurrent requests can neither lose nor
//! duplicate a write.

mod chatrooms;
mod members;
mod moderation;
mod snapshot;
mod users;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chatrooms::Room;
pub use moderation::{Force, MuteFor};
pub use snapshot::{ChatroomState, STATE_VERSION, StateError, StateSnapshot};

/// The first id handed out; ids then grow by one per create, like the
/// service's digit-string ids.
pub const FIRST_ID: u64 = 66_213_271_109_633;

/// All chatrooms and users of one app.
#[derive(Debug)]
pub struct Store {
    inner: Mutex<Inner>,
    /// `Some` in strict mode: only these (lowercase) users exist.
    strict: Option<HashSet<String>>,
}

#[derive(Debug)]
struct Inner {
    next_id: u64,
    // Keyed by id, so id order is creation order and paging by id is stable.
    rooms: BTreeMap<u64, Room>,
    users: HashSet<String>,
    // Rooms per user, by id (so "most recently joined" is approximated by room id).
    joined: HashMap<String, BTreeSet<u64>>,
    // Mutes, blocks, allow list, announcement and attributes per room; created on first use.
    moderation: HashMap<u64, moderation::Moderation>,
    // App-wide chatroom super admins, in the order they were added.
    super_admins: Vec<String>,
}

impl Inner {
    fn empty() -> Self {
        Inner {
            next_id: FIRST_ID,
            rooms: BTreeMap::new(),
            users: HashSet::new(),
            joined: HashMap::new(),
            moderation: HashMap::new(),
            super_admins: Vec::new(),
        }
    }
}

impl Store {
    /// An empty store; `strict_users` switches on strict mode.
    pub fn new(strict_users: Option<Vec<String>>) -> Self {
        let strict = strict_users.map(|u| u.iter().map(|s| s.to_ascii_lowercase()).collect());
        Self {
            inner: Mutex::new(Inner::empty()),
            strict,
        }
    }

    /// Forgets every chatroom and user; ids start again at [`FIRST_ID`].
    pub fn clear(&self) {
        *self.lock() = Inner::empty();
    }

    // Nothing panics while the lock is held, but a poisoned lock must not
    // take the server down either.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
