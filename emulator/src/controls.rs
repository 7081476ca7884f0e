//! The client operations by id, and how many requests each operation has
//! received.
//!
//! Operations are named by the client's operation ids
//! (`agora_chat::operations::OPERATIONS`), so the emulator and the client
//! cannot drift apart; the generated routes tell which operation a request is.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use agora_chat::operation::OperationMeta;
use agora_chat::operations::OPERATIONS;

/// The client operation with this id, if there is one.
pub(crate) fn operation(id: &str) -> Option<&'static OperationMeta> {
    OPERATIONS.iter().copied().find(|op| op.id == id)
}

/// Every client operation id, in the spec's order.
pub(crate) fn operation_ids() -> Vec<&'static str> {
    OPERATIONS.iter().map(|op| op.id).collect()
}

/// One counter per client operation.
#[derive(Debug)]
pub(crate) struct Counters {
    counts: Vec<(&'static str, AtomicU64)>,
}

impl Default for Counters {
    fn default() -> Self {
        let counts = OPERATIONS.iter().map(|op| (op.id, AtomicU64::new(0)));
        Self {
            counts: counts.collect(),
        }
    }
}

impl Counters {
    fn counter(&self, operation: &str) -> Option<&AtomicU64> {
        let mut found = self.counts.iter().filter(|(id, _)| *id == operation);
        found.next().map(|(_, n)| n)
    }

    /// Adds one to `operation`'s count (nothing for an unknown operation).
    pub(crate) fn add(&self, operation: &str) {
        if let Some(n) = self.counter(operation) {
            n.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The count of `operation`; 0 for an unknown operation.
    pub(crate) fn get(&self, operation: &str) -> u64 {
        self.counter(operation)
            .map_or(0, |n| n.load(Ordering::SeqCst))
    }

    /// Every operation's count, in the spec's order.
    pub(crate) fn all(&self) -> Vec<(&'static str, u64)> {
        let counts = self.counts.iter();
        counts
            .map(|(id, n)| (*id, n.load(Ordering::SeqCst)))
            .collect()
    }

    /// Sets every count back to 0.
    pub(crate) fn reset(&self) {
        self.counts
            .iter()
            .for_each(|(_, n)| n.store(0, Ordering::SeqCst));
    }
}

/// How many arrival times are kept, across all operations.
pub const ARRIVALS_KEPT: usize = 10_000;

/// The arrival times of the latest requests (at most [`ARRIVALS_KEPT`]).
#[derive(Debug, Default)]
pub(crate) struct Arrivals(Mutex<VecDeque<(&'static str, Instant)>>);

impl Arrivals {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(&'static str, Instant)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn add(&self, operation: &'static str, at: Instant) {
        let mut log = self.lock();
        if log.len() >= ARRIVALS_KEPT {
            log.pop_front();
        }
        log.push_back((operation, at));
    }

    /// The kept arrival times of `operation`, oldest first.
    pub(crate) fn of(&self, operation: &str) -> Vec<Instant> {
        let log = self.lock();
        let mine = log.iter().filter(|(op, _)| *op == operation);
        mine.map(|(_, at)| *at).collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_known_operations_only() {
        let counters = Counters::default();
        counters.add("create_chatroom");
        counters.add("create_chatroom");
        counters.add("nope");
        assert_eq!(counters.get("create_chatroom"), 2);
        assert_eq!(counters.get("nope"), 0);
        counters.reset();
        assert_eq!(counters.get("create_chatroom"), 0);
    }

    #[test]
    fn arrivals_keep_the_latest() {
        let log = Arrivals::default();
        let t0 = Instant::now();
        for _ in 0..ARRIVALS_KEPT {
            log.add("get_chatrooms", t0);
        }
        log.add("create_chatroom", t0);
        assert_eq!(log.of("get_chatrooms").len(), ARRIVALS_KEPT - 1);
        assert_eq!(log.of("create_chatroom"), [t0]);
        log.clear();
        assert!(log.of("create_chatroom").is_empty());
    }
}
