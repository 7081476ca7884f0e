//! Pages and streams over paginated operations. The generator emits, per paginated
//! operation, a `*_page` method (items plus the query of the next page, so a caller can
//! resume later) and a `*_stream` method built on the crate-private `stream`.

use crate::error::Error;
/// Defined beside [`Error`], which holds it; named here too, where streams use it.
pub use crate::error::PaginationError;
use crate::types::ResponseMeta;
use futures_util::{Stream, StreamExt};
use std::collections::{HashSet, VecDeque};
use std::future::Future;

/// The most pages one stream fetches: a service that never ends a listing cannot make a
/// stream loop forever (100,000 pages of 100 is ten million items).
pub const MAX_PAGES: u32 = 100_000;

/// One page of a paginated operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T, Q> {
    /// The page's items, in the service's order.
    pub items: Vec<T>,
    /// The query of the next page; `None` on the last page. Queries are plain data
    /// (serializable), so a listing can be resumed later.
    pub next: Option<Q>,
    /// The page's response metadata (request id, timestamp, cursor, count).
    pub meta: ResponseMeta,
}

impl<T, Q> Page<T, Q> {
    /// A page, e.g. to test code that consumes pages.
    pub fn new(items: Vec<T>, next: Option<Q>, meta: ResponseMeta) -> Self {
        Self { items, next, meta }
    }
}

/// The query of a paginated operation: knows how to ask for the next page.
pub(crate) trait PageQuery: Sized + Clone + Send + Sync + 'static {
    /// The query of the page after one that held `items` items and, for cursor paging,
    /// answered `cursor`; `None` when that page was the last.
    fn next_page(&self, items: usize, cursor: Option<&str>) -> Option<Self>;

    /// The same query with the largest page size the service allows where none is set.
    fn with_largest_pages(self) -> Self;

    /// The cursor this query resumes from, for cursor paging.
    fn cursor(&self) -> Option<&str> {
        None
    }
}

/// Cursor paging: the next page exists exactly when the service sent a cursor.
pub(crate) fn next_by_cursor(cursor: Option<&str>) -> Option<String> {
    cursor.filter(|c| !c.is_empty()).map(str::to_owned)
}

/// Page-number paging: a page shorter than the page size is the last.
pub(crate) fn next_by_number(pagenum: u32, pagesize: u32, items: usize) -> Option<u32> {
    // Past `u32::MAX` there is no page to ask for: the listing ends there.
    (items > 0 && items >= pagesize as usize)
        .then(|| pagenum.checked_add(1))
        .flatten()
}

struct StreamState<T, Q, F> {
    next: Option<Q>,
    items: VecDeque<T>,
    /// The items of the page before, to notice a listing that does not advance.
    previous: Vec<T>,
    pages: u32,
    cursors: HashSet<String>,
    pending: Option<Error>,
    fetch: F,
    operation: &'static str,
}

/// Items of every page, fetched lazily one page at a time, starting at `first`. A repeated
/// cursor, a page that repeats the one before it (the listing does not advance, e.g. a
/// service that ignores the page number) or more than [`MAX_PAGES`] pages ends the stream
/// with [`Error::Pagination`]; any other error ends it after that error.
pub(crate) fn stream<T, Q, F, Fut>(
    operation: &'static str,
    first: Q,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Clone + PartialEq + Send + 'static,
    Q: PageQuery,
    F: FnMut(Q) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T, Q>, Error>> + Send,
{
    stream_with_cap(operation, first, MAX_PAGES, fetch)
}

/// [`stream`] with another page cap (for tests).
fn stream_with_cap<T, Q, F, Fut>(
    operation: &'static str,
    first: Q,
    max_pages: u32,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Clone + PartialEq + Send + 'static,
    Q: PageQuery,
    F: FnMut(Q) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T, Q>, Error>> + Send,
{
    // A resumed listing must not come back to where it started.
    let cursors = next_by_cursor(first.cursor()).into_iter().collect();
    let state = StreamState {
        next: Some(first),
        items: VecDeque::new(),
        previous: Vec::new(),
        pages: 0,
        cursors,
        pending: None,
        fetch,
        operation,
    };
    futures_util::stream::unfold(state, move |mut state| async move {
        loop {
            if let Some(item) = state.items.pop_front() {
                return Some((Ok(item), state));
            }
            if let Some(err) = state.pending.take() {
                return Some((Err(err), state));
            }
            let query = state.next.take()?;
            if state.pages >= max_pages {
                return Some((
                    Err(state.fail(PaginationError::TooManyPages(max_pages))),
                    state,
                ));
            }
            state.pages += 1;
            match (state.fetch)(query).await {
                Ok(page) => state.accept(page),
                Err(err) => return Some((Err(err), state)),
            }
        }
    })
    // Fused: polling again after the end keeps answering `None` (safe in `select!`).
    .fuse()
}

impl<T: Clone + PartialEq, Q, F> StreamState<T, Q, F> {
    fn accept(&mut self, page: Page<T, Q>) {
        if !page.items.is_empty() && page.items == self.previous {
            self.next = None;
            self.pending = Some(self.fail(PaginationError::RepeatedPage(self.pages)));
            return;
        }
        self.items.extend(page.items.iter().cloned());
        self.previous = page.items;
        self.next = page.next;
        if let Some(cursor) = page.meta.cursor
            && !self.cursors.insert(cursor.clone())
        {
            self.next = None;
            self.pending = Some(self.fail(PaginationError::RepeatedCursor(cursor)));
        }
    }

    fn fail(&self, problem: PaginationError) -> Error {
        Error::Pagination {
            operation: self.operation,
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[derive(Debug, Clone, PartialEq)]
    struct Query(Option<String>);

    impl PageQuery for Query {
        fn next_page(&self, _items: usize, cursor: Option<&str>) -> Option<Self> {
            next_by_cursor(cursor).map(|c| Query(Some(c)))
        }

        fn with_largest_pages(self) -> Self {
            self
        }
    }

    #[tokio::test]
    async fn ends_with_an_error_past_the_page_cap() {
        // A service that always has a new cursor: the cap ends the listing.
        let mut page = 0u32;
        let endless = stream_with_cap("test_op", Query(None), 3, move |query: Query| {
            page += 1;
            let cursor = format!("c{page}");
            let meta = ResponseMeta {
                cursor: Some(cursor.clone()),
                ..ResponseMeta::default()
            };
            let next = query.next_page(1, Some(&cursor));
            async move {
                Ok(Page {
                    items: vec![page],
                    next,
                    meta,
                })
            }
        });
        let results: Vec<Result<u32, Error>> = endless.collect().await;
        assert_eq!(
            results
                .iter()
                .filter_map(|r| r.as_ref().ok().copied())
                .collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(matches!(
            results.last(),
            Some(Err(Error::Pagination {
                problem: PaginationError::TooManyPages(3),
                ..
            }))
        ));
        assert_eq!(results.len(), 4);
    }

    /// Pages of two numbers; `cursors[i]` is the cursor answered for page `i`.
    fn pages(cursors: &'static [Option<&'static str>]) -> impl Stream<Item = Result<u32, Error>> {
        let mut page = 0u32;
        stream("test_op", Query(None), move |query: Query| {
            let cursor = cursors.get(page as usize).copied().flatten();
            let items = vec![page * 2, page * 2 + 1];
            page += 1;
            let meta = ResponseMeta {
                cursor: cursor.map(str::to_owned),
                ..ResponseMeta::default()
            };
            let next = query.next_page(items.len(), cursor);
            async move { Ok(Page { items, next, meta }) }
        })
    }

    #[tokio::test]
    async fn yields_every_page_until_there_is_no_cursor() {
        let items: Vec<u32> = pages(&[Some("a"), Some("b"), None])
            .map(|r| r.unwrap_or(u32::MAX))
            .collect()
            .await;
        assert_eq!(items, [0, 1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn ends_with_an_error_after_a_repeated_cursor() {
        let results: Vec<Result<u32, Error>> = pages(&[Some("a"), Some("b"), Some("a"), Some("c")])
            .collect()
            .await;
        let items: Vec<u32> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(items, [0, 1, 2, 3, 4, 5]);
        assert!(matches!(
            results.last(),
            Some(Err(Error::Pagination { problem: PaginationError::RepeatedCursor(c), .. })) if c == "a"
        ));
    }

    #[test]
    fn page_numbers_stop_on_a_short_page() {
        assert_eq!(next_by_number(1, 1000, 1000), Some(2));
        assert_eq!(next_by_number(3, 1000, 345), None);
        assert_eq!(next_by_number(3, 1000, 0), None);
        assert_eq!(next_by_cursor(Some("")), None);
        assert_eq!(next_by_number(u32::MAX, 10, 10), None);
        assert_eq!(next_by_number(u32::MAX - 1, 10, 10), Some(u32::MAX));
    }
}
