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
use users::Registry;

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
    // Users registered through the API (and strict mode's users), in registration order.
    registered: Registry,
    // Rooms per user, by id (so "most recently joined" is approximated by room id).
    joined: HashMap<String, BTreeSet<u64>>,
    // Mutes, blocks, allow list, announcement and attributes per room; created on first use.
    moderation: HashMap<u64, moderation::Moderation>,
    // App-wide chatroom super admins, in the order they were added.
    super_admins: Vec<String>,
}

impl Inner {
    /// No chatrooms; registered users are strict mode's only (`seed`).
    fn empty(seed: Option<&HashSet<String>>) -> Self {
        let mut registered = Registry::default();
        let mut seed: Vec<&String> = seed.into_iter().flatten().collect();
        seed.sort();
        for user in seed {
            registered.seed(user);
        }
        Inner {
            next_id: FIRST_ID,
            rooms: BTreeMap::new(),
            users: HashSet::new(),
            registered,
            joined: HashMap::new(),
            moderation: HashMap::new(),
            super_admins: Vec::new(),
        }
    }
}

impl Store {
    /// An empty store; `strict_users` switches on strict mode.
    pub fn new(strict_users: Option<Vec<String>>) -> Self {
        let strict: Option<HashSet<String>> =
            strict_users.map(|u| u.iter().map(|s| s.to_ascii_lowercase()).collect());
        Self {
            inner: Mutex::new(Inner::empty(strict.as_ref())),
            strict,
        }
    }

    /// Forgets every chatroom and user (strict mode's users are registered again); ids
    /// start again at [`FIRST_ID`].
    pub fn clear(&self) {
        *self.lock() = Inner::empty(self.strict.as_ref());
    }

    // Nothing panics while the lock is held, but a poisoned lock must not
    // take the server down either.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
