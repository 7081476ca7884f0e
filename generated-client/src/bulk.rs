//! Many calls at once, with bounded concurrency and per-item results: batched lookups (ids
//! split into chunks, answered in the caller's order) and bulk operations. The client's rate
//! limiter paces the calls, so bulk work runs at the quota.

use crate::error::Error;
use futures_util::{StreamExt, TryStreamExt};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

/// How a bulk call runs.
#[derive(Clone)]
pub struct BulkOptions {
    /// Calls in flight at most.
    pub concurrency: usize,
    /// Called after each item completes.
    pub progress: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            progress: None,
        }
    }
}

impl fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOptions")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl BulkOptions {
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    pub fn progress(mut self, progress: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// Where a bulk call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    /// Items that failed; an item whose error [is already done](Error::is_already_done)
    /// (e.g. a delete whose retry found the chatroom gone) counts as done, not failed.
    pub failed: usize,
    pub total: usize,
}

/// Runs `call` for every item, at most `concurrency` at once; results in the items' order.
pub(crate) async fn run<I, T, F, Fut>(
    items: Vec<I>,
    options: &BulkOptions,
    call: F,
) -> Vec<(I, Result<T, Error>)>
where
    I: Clone,
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let total = items.len();
    let (mut done, mut failed) = (0, 0);
    let calls = items.into_iter().enumerate().map(|(index, item)| {
        let call = call(item.clone());
        async move { (index, item, call.await) }
    });
    let mut finished = Vec::with_capacity(total);
    let mut in_flight =
        futures_util::stream::iter(calls).buffer_unordered(options.concurrency.max(1));
    while let Some((index, item, result)) = in_flight.next().await {
        done += 1;
        // A write found already done (possibly by its own earlier attempt) is not a failure.
        failed += usize::from(result.as_ref().is_err_and(|err| !err.is_already_done()));
        if let Some(progress) = &options.progress {
            progress(Progress {
                done,
                failed,
                total,
            });
        }
        finished.push((index, item, result));
    }
    finished.sort_by_key(|(index, _, _)| *index);
    finished
        .into_iter()
        .map(|(_, item, result)| (item, result))
        .collect()
}

/// The answer for one key of a batched lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<K, T> {
    Found(T),
    /// The service did not return this key (it does not exist, or no longer).
    NotFound(K),
}

impl<K, T> Lookup<K, T> {
    pub fn found(&self) -> Option<&T> {
        match self {
            Lookup::Found(item) => Some(item),
            Lookup::NotFound(_) => None,
        }
    }
}

/// One item's answer in a batch response: the service's `result` flag and `reason` beside the
/// item's own fields, e.g. `{"result": false, "reason": "user: u1 doesn't exist", "user": "u1"}`.
/// `result` arrives as a bool or as the string `"success"`; both are decoded here, once for
/// every operation that answers per item.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemResult<T> {
    /// Whether the service applied the request to this item.
    #[serde(rename = "result", deserialize_with = "item_flag::deserialize")]
    pub ok: bool,
    /// Why not, when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The item's own fields (e.g. the user it is about).
    #[serde(flatten)]
    pub item: T,
}

impl<T> ItemResult<T> {
    /// The item when it was applied, or the reason it was not.
    pub fn into_result(self) -> Result<T, ItemFailure<T>> {
        if self.ok {
            Ok(self.item)
        } else {
            Err(ItemFailure {
                reason: self.reason,
                item: self.item,
            })
        }
    }
}

/// An item the service did not apply a batch request to, with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFailure<T> {
    pub reason: Option<String>,
    pub item: T,
}

/// `result`: `true`/`false`, or a string where `"success"` (and `"true"`) mean applied.
mod item_flag {
    use serde::de::{Deserializer, Error, Visitor};
    use std::fmt;

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(Flag)
    }

    struct Flag;

    impl Visitor<'_> for Flag {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a bool or a string such as \"success\"")
        }

        fn visit_bool<E: Error>(self, value: bool) -> Result<bool, E> {
            Ok(value)
        }

        fn visit_str<E: Error>(self, value: &str) -> Result<bool, E> {
            Ok(matches!(value, "success" | "true"))
        }
    }
}

/// How a batched lookup splits and matches its keys.
#[derive(Debug, Clone)]
pub(crate) struct BatchSpec<K, T> {
    pub chunk_size: usize,
    /// The key an item answers for.
    pub key_of: fn(&T) -> &K,
    /// The error code (as on the wire) the service answers when no key of a chunk exists.
    /// A wire value rather than the generated enum, so the runtime does not depend on which
    /// enum a spec names its error codes with.
    pub none_found: Option<&'static str>,
}

/// Whether `err` is the service's answer with error code `code`.
fn is_code(err: &Error, code: Option<&str>) -> bool {
    code.is_some_and(|code| err.code().is_some_and(|c| c.as_str() == code))
}

/// Looks up any number of keys: de-duplicated, split into chunks, fetched with bounded
/// concurrency; one [`Lookup`] per distinct key, in the order of first appearance.
pub(crate) async fn lookup<K, T, F, Fut>(
    keys: &[K],
    spec: BatchSpec<K, T>,
    options: &BulkOptions,
    fetch: F,
) -> Result<Vec<Lookup<K, T>>, Error>
where
    K: Clone + Eq + Hash,
    F: Fn(Vec<K>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, Error>>,
{
    let mut seen = HashSet::new();
    let unique: Vec<K> = keys
        .iter()
        .filter(|key| seen.insert(*key))
        .cloned()
        .collect();
    let chunks: Vec<Vec<K>> = unique
        .chunks(spec.chunk_size.max(1))
        .map(<[K]>::to_vec)
        .collect();
    let none_found = spec.none_found;
    let fetched: Vec<Vec<T>> = futures_util::stream::iter(chunks.into_iter().map(|chunk| {
        let call = fetch(chunk);
        async move {
            match call.await {
                Err(err) if is_code(&err, none_found) => Ok(Vec::new()),
                other => other,
            }
        }
    }))
    .buffered(options.concurrency.max(1))
    .try_collect()
    .await?;
    let mut found: HashMap<K, T> = fetched
        .into_iter()
        .flatten()
        .map(|item| ((spec.key_of)(&item).clone(), item))
        .collect();
    Ok(unique
        .into_iter()
        .map(|key| match found.remove(&key) {
            Some(item) => Lookup::Found(item),
            None => Lookup::NotFound(key),
        })
        .collect())
}

/// What a chunk's answer says about its items: the keys that succeeded (with what the
/// service answered for each) and the keys that failed, with the service's reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkAnswer<T> {
    pub succeeded: Vec<(String, T)>,
    pub failed: Vec<(String, Option<String>)>,
}

/// One item of a chunked batch, in the caller's order.
#[derive(Debug, Clone)]
pub struct ItemReport<T> {
    /// The item's key as given (e.g. the username).
    pub key: String,
    pub outcome: ItemOutcome<T>,
}

impl<T> ItemReport<T> {
    /// Whether the service applied the request to this item.
    pub fn is_done(&self) -> bool {
        matches!(self.outcome, ItemOutcome::Done(_))
    }
}

/// What happened to one item of a chunked batch.
#[derive(Debug, Clone)]
pub enum ItemOutcome<T> {
    /// The service applied it and answered this.
    Done(T),
    /// The service refused this item (HTTP 200, the rest of its chunk may have succeeded).
    Rejected { reason: Option<String> },
    /// The same key appeared earlier in the input: not sent again.
    Duplicate,
    /// The chunk's answer did not mention this item.
    NotReported,
    /// Its whole chunk failed (shared by every item of the chunk); whether the request
    /// reached the service is in the error.
    Failed(Arc<Error>),
}

/// Sends `items` in chunks of at most `chunk_size` (never more), at most
/// `options.concurrency` chunks at once; one [`ItemReport`] per item in the input order.
/// Keys are compared case-insensitively (the service stores names lower-cased): a key given
/// again is reported [`ItemOutcome::Duplicate`] and not sent twice.
pub async fn chunked<I, T, F, Fut>(
    items: &[I],
    chunk_size: usize,
    key_of: fn(&I) -> &str,
    options: &BulkOptions,
    send: F,
) -> Vec<ItemReport<T>>
where
    I: Clone,
    F: Fn(Vec<I>) -> Fut,
    Fut: Future<Output = Result<ChunkAnswer<T>, Error>>,
{
    let mut seen = HashSet::new();
    let first: Vec<bool> = items
        .iter()
        .map(|item| seen.insert(key_of(item).to_ascii_lowercase()))
        .collect();
    let unique: Vec<I> = items
        .iter()
        .zip(&first)
        .filter(|(_, first)| **first)
        .map(|(item, _)| item.clone())
        .collect();
    let total = items.len();
    let mut outcomes: HashMap<String, ItemOutcome<T>> = HashMap::new();
    let (mut done, mut failed) = (total - unique.len(), 0);
    let chunks = unique.chunks(chunk_size.max(1)).map(|chunk| {
        let keys: Vec<String> = chunk
            .iter()
            .map(|i| key_of(i).to_ascii_lowercase())
            .collect();
        let call = send(chunk.to_vec());
        async move { (keys, call.await) }
    });
    let mut answers =
        futures_util::stream::iter(chunks).buffer_unordered(options.concurrency.max(1));
    while let Some((keys, answer)) = answers.next().await {
        let settled = settle_chunk(keys, answer);
        done += settled.len();
        failed += settled
            .values()
            .filter(|o| !matches!(o, ItemOutcome::Done(_)))
            .count();
        outcomes.extend(settled);
        if let Some(progress) = &options.progress {
            progress(Progress {
                done,
                failed,
                total,
            });
        }
    }
    items
        .iter()
        .zip(first)
        .map(|(item, first)| {
            let key = key_of(item);
            let outcome = match first {
                false => ItemOutcome::Duplicate,
                true => outcomes
                    .remove(&key.to_ascii_lowercase())
                    .unwrap_or(ItemOutcome::NotReported),
            };
            ItemReport {
                key: key.to_owned(),
                outcome,
            }
        })
        .collect()
}

/// Each key of a chunk with its outcome: from the answer, or the chunk's shared error.
fn settle_chunk<T>(
    keys: Vec<String>,
    answer: Result<ChunkAnswer<T>, Error>,
) -> HashMap<String, ItemOutcome<T>> {
    let answer = match answer {
        Ok(answer) => answer,
        Err(err) => {
            let err = Arc::new(err);
            let failed = |key| (key, ItemOutcome::Failed(err.clone()));
            return keys.into_iter().map(failed).collect();
        }
    };
    let mut outcomes: HashMap<String, ItemOutcome<T>> = keys
        .into_iter()
        .map(|key| (key, ItemOutcome::NotReported))
        .collect();
    // Only keys of this chunk are taken from its answer.
    let mut settle = |key: String, outcome| {
        if let Some(slot) = outcomes.get_mut(&key.to_ascii_lowercase()) {
            *slot = outcome;
        }
    };
    for (key, reason) in answer.failed {
        settle(key, ItemOutcome::Rejected { reason });
    }
    for (key, item) in answer.succeeded {
        settle(key, ItemOutcome::Done(item));
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn lookup_dedupes_chunks_and_keeps_the_callers_order() {
        let requests = Mutex::new(Vec::new());
        let keys: Vec<u32> = vec![5, 1, 5, 9, 2, 1, 7];
        let spec = BatchSpec {
            chunk_size: 2,
            key_of: |item: &u32| item,
            none_found: None,
        };
        let results = lookup(&keys, spec, &BulkOptions::default(), |chunk: Vec<u32>| {
            requests.lock().map(|mut r| r.push(chunk.clone())).ok();
            // 9 does not exist; answers come back in another order.
            async move { Ok(chunk.into_iter().rev().filter(|k| *k != 9).collect()) }
        })
        .await;
        let expected = [
            Lookup::Found(5),
            Lookup::Found(1),
            Lookup::NotFound(9),
            Lookup::Found(2),
            Lookup::Found(7),
        ];
        assert_eq!(results.ok().as_deref(), Some(&expected[..]));
        assert_eq!(requests.lock().map(|r| r.len()).ok(), Some(3));
    }

    #[tokio::test]
    async fn chunked_never_exceeds_the_chunk_and_reports_in_input_order() {
        let sent = Mutex::new(Vec::new());
        let items: Vec<String> = (0..25)
            .map(|i| format!("u{i}"))
            .chain(["U3".to_owned()])
            .collect();
        let reports = chunked(
            &items,
            10,
            |i: &String| i.as_str(),
            &BulkOptions::default(),
            |chunk: Vec<String>| {
                sent.lock().map(|mut s| s.push(chunk.len())).ok();
                async move {
                    if chunk.iter().any(|k| k == "u20") {
                        return Err(Error::Pagination {
                            operation: "op",
                            problem: crate::paginate::PaginationError::TooManyPages(1),
                        });
                    }
                    // u1 is refused; u2 goes unmentioned; the rest succeed, in another order.
                    let succeeded = chunk
                        .iter()
                        .rev()
                        .filter(|k| !["u1", "u2"].contains(&k.as_str()));
                    Ok(ChunkAnswer {
                        succeeded: succeeded
                            .map(|k| (k.to_ascii_uppercase(), k.len()))
                            .collect(),
                        failed: vec![("u1".to_owned(), Some("exists".to_owned()))],
                    })
                }
            },
        )
        .await;
        let mut sizes = sent.lock().map(|s| s.clone()).unwrap_or_default();
        sizes.sort_unstable();
        assert_eq!(sizes, [5, 10, 10]);
        let keys: Vec<&str> = reports.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, items.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(matches!(reports[0].outcome, ItemOutcome::Done(2)));
        assert!(
            matches!(&reports[1].outcome, ItemOutcome::Rejected { reason } if reason.as_deref() == Some("exists"))
        );
        assert!(matches!(reports[2].outcome, ItemOutcome::NotReported));
        assert!(matches!(reports[22].outcome, ItemOutcome::Failed(_)));
        assert!(matches!(reports[25].outcome, ItemOutcome::Duplicate));
    }

    #[tokio::test]
    async fn run_reports_progress_and_per_item_results() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let options = BulkOptions::default().concurrency(3).progress({
            let seen = seen.clone();
            move |p| seen.lock().map(|mut s| s.push(p)).unwrap_or(())
        });
        let results = run((0..10).collect(), &options, |i: u32| async move {
            if i.is_multiple_of(4) {
                Err(Error::Pagination {
                    operation: "op",
                    problem: crate::paginate::PaginationError::TooManyPages(i),
                })
            } else {
                Ok(i * 10)
            }
        })
        .await;
        assert_eq!(
            results.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            (0..10).collect::<Vec<_>>()
        );
        assert_eq!(results.iter().filter(|(_, r)| r.is_err()).count(), 3);
        let last = seen.lock().ok().and_then(|s| s.last().copied());
        assert_eq!(
            last,
            Some(Progress {
                done: 10,
                failed: 3,
                total: 10
            })
        );
    }
}

#[cfg(test)]
mod item_result_tests {
    use super::ItemResult;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct User {
        user: String,
    }

    fn decode(json: &str) -> ItemResult<User> {
        match serde_json::from_str(json) {
            Ok(result) => result,
            Err(err) => panic!("{json}: {err}"),
        }
    }

    #[test]
    fn decodes_bool_and_string_results_with_reasons() {
        let ok = decode(r#"{"result":true,"action":"remove_member","user":"u1"}"#);
        assert!(ok.ok && ok.reason.is_none() && ok.item.user == "u1");
        let success = decode(r#"{"result":"success","user":"u2"}"#);
        assert!(success.ok);
        let failed = decode(r#"{"result":false,"reason":"not a member","user":"u3"}"#);
        let failure = failed.into_result().expect_err("result false is a failure");
        assert_eq!(failure.reason.as_deref(), Some("not a member"));
        assert_eq!(failure.item.user, "u3");
    }
}
