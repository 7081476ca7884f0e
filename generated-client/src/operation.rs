//! What the runtime knows about an operation. The generator emits one [`OperationMeta`] per
//! operation of the spec; nothing in the runtime names a specific operation.

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: reads; retried on transient failures.
    Get,
    /// `POST`: creates; retried only when the operation is marked retry-safe.
    Post,
    /// `PUT`: updates and replaces.
    Put,
    /// `DELETE`: removes.
    Delete,
}

impl Method {
    /// The method as on the wire, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    #[cfg(feature = "client")]
    pub(crate) fn to_http(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// How an operation pages through its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pagination {
    /// One answer; no paging.
    None,
    /// `limit` + `cursor`; the next cursor comes in the response metadata.
    Cursor,
    /// `pagenum` + `pagesize`; a short page is the last.
    PageNumber,
}

/// Where an operation's answer sits in a success body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payload {
    /// `data`, beside the envelope's metadata (most calls).
    Data,
    /// `entities`, beside the metadata (user calls); a single answer is the one entity.
    Entities,
    /// The whole body, e.g. `entities` and `data` together.
    Body,
}

/// Static facts about one operation, from the spec: one constant per operation in
/// [`operations`](crate::operations) (e.g. `operations::CREATE_CHATROOM`) and all of them in
/// `operations::OPERATIONS`. Read-only for users: only the generated code builds them, and
/// fields may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OperationMeta {
    /// The operation id, e.g. `create_chatroom`.
    pub id: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The documented path template, e.g. `/{org_name}/{app_name}/chatrooms`.
    pub path: &'static str,
    /// The service's documented quota for this operation, per app key.
    pub rate_limit_per_sec: u32,
    /// Whether repeating the request cannot apply it twice.
    pub retry_safe: bool,
    /// The `error` code with which a retry observes that an earlier attempt of the same
    /// call already took effect (e.g. a delete retried after a lost answer gets
    /// `service_resource_not_found`). After an attempt that may have been processed, this
    /// answer becomes [`Error::AlreadyDone`](crate::Error::AlreadyDone) instead of a failure.
    pub retry_observes_done: Option<&'static str>,
    /// How the operation pages through its results.
    pub pagination: Pagination,
    /// Where the answer sits in a success body.
    pub payload: Payload,
}
