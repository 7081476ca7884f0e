//! Many calls at once, with bounded concurrency and per-item results: batched lookups (ids
//! split into chunks, answered in the caller's order) and bulk operations. The client's rate
//! limiter paces the calls, so bulk work runs at the quota.

use crate::error::Error;
pub use crate::response::{ItemFailure, ItemResult};
use futures_util::{StreamExt, TryStreamExt};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

/// How a bulk call runs: how many requests are in flight at once, and who hears about
/// progress. Build it with [`BulkOptions::default`] and the setters.
///
/// ```
/// use agora_chat::bulk::BulkOptions;
///
/// let options = BulkOptions::default()
///     .concurrency(4)
///     .progress(|p| eprintln!("{}/{} done, {} failed", p.done, p.total, p.failed));
/// # let _ = options;
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct BulkOptions {
    /// Calls in flight at most (8 by default; 0 counts as 1). The rate limiter still paces
    /// them.
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
    /// With at most `concurrency` requests in flight.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// With `progress` called after each item (for a batched write: each request)
    /// completes. It runs inside the bulk call: keep it short and non-blocking.
    pub fn progress(mut self, progress: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// Where a bulk call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Items completed so far, failed ones included.
    pub done: usize,
    /// Items that failed; an item whose error [is already done](Error::is_already_done)
    /// (e.g. a delete whose retry found the chatroom gone) counts as done, not failed.
    pub failed: usize,
    /// Items in the whole call.
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
    /// The service returned this item for the key.
    Found(T),
    /// The service did not return this key (it does not exist, or no longer).
    NotFound(K),
}

impl<K, T> Lookup<K, T> {
    /// The item, when the key was found.
    pub fn found(&self) -> Option<&T> {
        match self {
            Lookup::Found(item) => Some(item),
            Lookup::NotFound(_) => None,
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

/// The outcome for one item of a batched write (add or remove many users, register many).
#[derive(Debug, Clone)]
pub enum ItemOutcome<T> {
    /// The service applied the request to this item; its answer for the item.
    Applied(T),
    /// The service answered for this item and did not apply it, with its reason (and its
    /// answer for the item, when the answer carries one).
    Refused(ItemFailure<T>),
    /// An item named like an earlier one of the input but carrying more than its name (a
    /// user to register): not sent; only the earlier one was.
    Duplicate,
    /// The request carrying this item succeeded, but its answer did not mention the item.
    Unreported,
    /// The request carrying this item failed as a whole (other chunks are unaffected); the
    /// error is shared by every item of that request.
    Failed(Arc<Error>),
}

impl<T> ItemOutcome<T> {
    /// Whether the service applied the request to this item.
    pub fn is_applied(&self) -> bool {
        matches!(self, ItemOutcome::Applied(_))
    }

    /// Why the item was not applied: the service's reason, or the failed request's error.
    pub fn reason(&self) -> Option<String> {
        match self {
            ItemOutcome::Applied(_) => None,
            ItemOutcome::Refused(failure) => failure.reason.clone(),
            ItemOutcome::Duplicate => Some("named like an earlier item".to_owned()),
            ItemOutcome::Unreported => Some("not in the service's answer".to_owned()),
            ItemOutcome::Failed(err) => Some(err.to_string()),
        }
    }
}

/// One input item of a batched write and what happened to it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ItemReport<K, T> {
    /// The item as the caller gave it (a name, or a struct named by one of its fields).
    pub key: K,
    /// What happened to it.
    pub outcome: ItemOutcome<T>,
}

/// What one request of a batched write answered, item by item, each by its key (matched to
/// the caller's items by the runtime, ignoring ASCII case).
pub(crate) type ChunkAnswer<K, T> = Vec<(K, ItemOutcome<T>)>;

/// Per-item results (`{"result": .., "reason": .., "user": ..}`) matched by their key field.
pub(crate) fn by_item_results<K: Clone, T>(
    results: Vec<ItemResult<T>>,
    key_of: fn(&T) -> &K,
) -> ChunkAnswer<K, T> {
    let outcome = |result: ItemResult<T>| match result.into_result() {
        Ok(item) => ItemOutcome::Applied(item),
        Err(failure) => ItemOutcome::Refused(failure),
    };
    results
        .into_iter()
        .map(|result| (key_of(&result.item).clone(), outcome(result)))
        .collect()
}

/// An answer that lists the keys it applied (e.g. `newmembers`): those are applied, the
/// others of the request are left [`ItemOutcome::Unreported`].
pub(crate) fn by_applied_list<K>(applied: Vec<K>) -> ChunkAnswer<K, ()> {
    applied
        .into_iter()
        .map(|key| (key, ItemOutcome::Applied(())))
        .collect()
}

/// An answer that lists the items it applied in one field and the keys it refused, with
/// their reasons, in another (register many users: `entities` and `data`).
pub(crate) fn by_succeeded_and_failed<T>(
    succeeded: Vec<T>,
    key_of: fn(&T) -> &str,
    failed: impl IntoIterator<Item = (String, Option<String>)>,
) -> ChunkAnswer<String, T> {
    let refused = failed.into_iter().map(|(key, reason)| {
        let failure = ItemFailure { reason, item: None };
        (key, ItemOutcome::Refused(failure))
    });
    let applied = succeeded
        .into_iter()
        .map(|item| (key_of(&item).to_owned(), ItemOutcome::Applied(item)));
    refused.chain(applied).collect()
}

/// What a repeated key of the input gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeats {
    /// The keys are the items (names): a repeat is the same request, and shares the outcome
    /// of the first.
    ShareOutcome,
    /// The items carry more than their key: a repeat is [`ItemOutcome::Duplicate`].
    AreDuplicates,
}

/// How a batched write splits, checks and sends its items.
pub(crate) struct WriteSpec<K, C, F> {
    /// The most items per request (the service's limit; where sources disagree, the smaller).
    pub chunk_size: usize,
    /// The item's key: what the answer names it by (compared ignoring ASCII case).
    pub key_of: fn(&K) -> &str,
    /// What a repeated key gets.
    pub repeats: Repeats,
    /// The spec's rules for one item (its index in the input, the item); an item that breaks
    /// them is reported [`ItemOutcome::Failed`] with the validation error and never sent.
    pub check: C,
    /// Sends one request for a chunk of valid items.
    pub send: F,
}

/// Applies a write to any number of items: each checked on its own, repeated keys sent once,
/// the rest split into requests of at most `chunk_size`, sent with bounded concurrency; one
/// [`ItemReport`] per input item, in the input order (a repeat as [`WriteSpec::repeats`]
/// says). A request that fails marks only its own items [`ItemOutcome::Failed`]: what other
/// requests did is never lost. Keys are matched to the answer ignoring ASCII case, as the
/// service lower-cases usernames; an answer's keys outside its request are ignored.
pub(crate) async fn apply<K, A, T, C, F, Fut>(
    items: &[K],
    spec: WriteSpec<K, C, F>,
    options: &BulkOptions,
) -> Vec<ItemReport<K, T>>
where
    K: Clone,
    A: AsRef<str>,
    T: Clone,
    C: Fn(usize, &K) -> Result<(), Error>,
    F: Fn(Vec<K>) -> Fut,
    Fut: Future<Output = Result<ChunkAnswer<A, T>, Error>>,
{
    let WriteSpec {
        chunk_size,
        key_of,
        repeats,
        check,
        send,
    } = spec;
    let folded = |item: &K| key_of(item).to_ascii_lowercase();
    let mut seen = HashSet::new();
    let mut outcomes: HashMap<String, ItemOutcome<T>> = HashMap::new();
    let mut first = Vec::with_capacity(items.len());
    let mut unique: Vec<K> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        first.push(seen.insert(folded(item)));
        if !first[index] {
            continue;
        }
        match check(index, item) {
            Ok(()) => unique.push(item.clone()),
            Err(err) => {
                outcomes.insert(folded(item), ItemOutcome::Failed(Arc::new(err)));
            }
        }
    }
    let chunks: Vec<Vec<K>> = unique
        .chunks(chunk_size.max(1))
        .map(<[K]>::to_vec)
        .collect();
    let total = seen.len();
    let (mut done, mut failed) = (outcomes.len(), outcomes.len());
    let requests = chunks.into_iter().map(|chunk| {
        let keys: Vec<String> = chunk.iter().map(folded).collect();
        let call = send(chunk);
        async move { (keys, call.await) }
    });
    let mut in_flight =
        futures_util::stream::iter(requests).buffer_unordered(options.concurrency.max(1));
    while let Some((keys, answer)) = in_flight.next().await {
        record_chunk(&keys, answer, &mut outcomes);
        done += keys.len();
        failed += keys
            .iter()
            .filter(|key| outcomes.get(*key).is_some_and(|o| !o.is_applied()))
            .count();
        if let Some(progress) = &options.progress {
            progress(Progress {
                done,
                failed,
                total,
            });
        }
    }
    let outcome = |item: &K, first: bool| match (first, repeats) {
        (false, Repeats::AreDuplicates) => ItemOutcome::Duplicate,
        _ => outcomes
            .get(&folded(item))
            .cloned()
            .unwrap_or(ItemOutcome::Unreported),
    };
    items
        .iter()
        .zip(first)
        .map(|(item, first)| ItemReport {
            key: item.clone(),
            outcome: outcome(item, first),
        })
        .collect()
}

/// Records one request's outcome for each of its (folded) keys.
fn record_chunk<A: AsRef<str>, T>(
    keys: &[String],
    answer: Result<ChunkAnswer<A, T>, Error>,
    outcomes: &mut HashMap<String, ItemOutcome<T>>,
) {
    match answer {
        Ok(answered) => {
            let mut answered: HashMap<String, ItemOutcome<T>> = answered
                .into_iter()
                .map(|(key, outcome)| (key.as_ref().to_ascii_lowercase(), outcome))
                .collect();
            for key in keys {
                let outcome = answered.remove(key).unwrap_or(ItemOutcome::Unreported);
                outcomes.insert(key.clone(), outcome);
            }
        }
        Err(err) => {
            let err = Arc::new(err);
            for key in keys {
                outcomes.insert(key.clone(), ItemOutcome::Failed(err.clone()));
            }
        }
    }
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
mod apply_tests {
    use super::*;
    use std::sync::Mutex;

    fn invalid(key: &str) -> Error {
        Error::Pagination {
            operation: "op",
            problem: crate::paginate::PaginationError::TooManyPages(key.len() as u32),
        }
    }

    #[tokio::test]
    async fn chunks_checks_and_reports_every_input_item_in_order() {
        let sent = Mutex::new(Vec::new());
        let mut keys: Vec<String> = (0..250).map(|i| format!("u{i}")).collect();
        keys.insert(3, "U1".to_owned()); // a duplicate, another case
        keys.push("bad!".to_owned());
        let spec = WriteSpec {
            chunk_size: 60,
            key_of: String::as_str,
            repeats: Repeats::ShareOutcome,
            check: |_, key: &String| match key.contains('!') {
                true => Err(invalid(key)),
                false => Ok(()),
            },
            send: |chunk: Vec<String>| {
                sent.lock().map(|mut s| s.push(chunk.clone())).ok();
                async move {
                    if chunk.iter().any(|k| k == "u200") {
                        return Err(invalid("chunk"));
                    }
                    // u7 refused with a reason; u8 left out of the answer.
                    Ok(chunk
                        .into_iter()
                        .filter(|k| k != "u8")
                        .map(|k| match k.as_str() {
                            "u7" => (
                                k.clone(),
                                ItemOutcome::Refused(ItemFailure {
                                    reason: Some("not a member".into()),
                                    item: Some(()),
                                }),
                            ),
                            _ => (k.to_ascii_uppercase(), ItemOutcome::Applied(())),
                        })
                        .collect())
                }
            },
        };
        let report = apply(&keys, spec, &BulkOptions::default().concurrency(2)).await;
        let sizes: Vec<usize> = sent
            .lock()
            .map(|s| s.iter().map(Vec::len).collect())
            .unwrap_or_default();
        assert_eq!(sizes.iter().sum::<usize>(), 250);
        assert!(sizes.iter().all(|n| *n <= 60), "{sizes:?}");
        assert_eq!(report.len(), keys.len());
        let order: Vec<&str> = report.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(order, keys.iter().map(String::as_str).collect::<Vec<_>>());
        let outcome = |key: &str| &report[keys.iter().position(|k| k == key).unwrap_or(0)].outcome;
        assert!(outcome("u0").is_applied() && outcome("U1").is_applied());
        assert_eq!(outcome("u7").reason().as_deref(), Some("not a member"));
        assert!(matches!(outcome("u8"), ItemOutcome::Unreported));
        assert!(matches!(outcome("u200"), ItemOutcome::Failed(_)));
        assert!(matches!(outcome("u179"), ItemOutcome::Applied(())));
        assert!(matches!(outcome("bad!"), ItemOutcome::Failed(_)));
    }

    #[derive(Debug, Clone, PartialEq)]
    struct Item {
        name: String,
        note: u32,
    }

    fn name_of(item: &Item) -> &str {
        &item.name
    }

    #[tokio::test]
    async fn items_named_by_a_field_take_succeeded_and_failed_lists() {
        let sent = Mutex::new(Vec::new());
        let mut items: Vec<Item> = (0..25)
            .map(|i| Item {
                name: format!("u{i}"),
                note: i,
            })
            .collect();
        items.push(Item {
            name: "U3".to_owned(),
            note: 99,
        });
        let spec = WriteSpec {
            chunk_size: 10,
            key_of: name_of,
            repeats: Repeats::AreDuplicates,
            check: |_, _: &Item| Ok(()),
            send: |chunk: Vec<Item>| {
                sent.lock().map(|mut s| s.push(chunk.len())).ok();
                async move {
                    if chunk.iter().any(|i| i.name == "u20") {
                        return Err(invalid("chunk"));
                    }
                    // u1 is refused; u2 goes unmentioned; the rest succeed, in another order.
                    let succeeded = chunk
                        .iter()
                        .rev()
                        .filter(|i| !["u1", "u2"].contains(&i.name.as_str()))
                        .map(|i| Item {
                            name: i.name.to_ascii_uppercase(),
                            note: i.note,
                        });
                    let failed = [("u1".to_owned(), Some("exists".to_owned()))];
                    Ok(by_succeeded_and_failed(
                        succeeded.collect(),
                        name_of,
                        failed,
                    ))
                }
            },
        };
        let reports = apply(&items, spec, &BulkOptions::default()).await;
        let mut sizes = sent.lock().map(|s| s.clone()).unwrap_or_default();
        sizes.sort_unstable();
        assert_eq!(sizes, [5, 10, 10]);
        let given: Vec<&Item> = reports.iter().map(|r| &r.key).collect();
        assert_eq!(given, items.iter().collect::<Vec<_>>());
        assert!(matches!(&reports[0].outcome, ItemOutcome::Applied(i) if i.note == 0));
        assert_eq!(reports[1].outcome.reason().as_deref(), Some("exists"));
        assert!(matches!(reports[2].outcome, ItemOutcome::Unreported));
        assert!(matches!(reports[22].outcome, ItemOutcome::Failed(_)));
        assert!(matches!(reports[25].outcome, ItemOutcome::Duplicate));
    }
}
