//! The escape hatch: a request to an endpoint the spec does not model yet, through the same
//! pipeline as every generated method (token, rate limit, retries, error decoding).

use crate::error::Error;
use crate::operation::{Method, OperationMeta, Pagination, Payload};
use crate::request::{Call, PathBuilder};
use crate::{Client, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The metadata of a raw request: retried only when its method is idempotent, and under no
/// client-side quota unless [`RawRequest::operation`] names one.
static RAW_GET: OperationMeta = raw_meta(Method::Get, true);
static RAW_POST: OperationMeta = raw_meta(Method::Post, false);
static RAW_PUT: OperationMeta = raw_meta(Method::Put, true);
static RAW_DELETE: OperationMeta = raw_meta(Method::Delete, true);

const fn raw_meta(method: Method, retry_safe: bool) -> OperationMeta {
    OperationMeta {
        id: "raw",
        method,
        path: "",
        rate_limit_per_sec: 0,
        retry_safe,
        retry_observes_done: None,
        pagination: Pagination::None,
        // A raw answer is read like most calls: its `data` beside the envelope.
        payload: Payload::Data,
    }
}

fn meta_for(method: Method) -> &'static OperationMeta {
    match method {
        Method::Get => &RAW_GET,
        Method::Post => &RAW_POST,
        Method::Put => &RAW_PUT,
        Method::Delete => &RAW_DELETE,
    }
}

impl Client {
    /// A request to an endpoint the spec does not model yet, sent like every generated
    /// call: with the client's token, rate limits, retries and error decoding. `path` is
    /// below `/{org_name}/{app_name}` (e.g. `/chatrooms/123/users`); each of its segments is
    /// percent-encoded, so a value cannot change the path's shape, and an empty, `.` or `..`
    /// segment is an [`Error::Validation`] from `send`.
    ///
    /// ```no_run
    /// # async fn demo(client: &agora_chat::Client) -> Result<(), agora_chat::Error> {
    /// use agora_chat::operation::Method;
    ///
    /// let answer = client
    ///     .raw(Method::Get, "/chatrooms")
    ///     .query("limit", 10)
    ///     .send::<serde_json::Value>()
    ///     .await?;
    /// println!("{} ({:?})", answer.data, answer.meta.cursor);
    /// # Ok(()) }
    /// ```
    pub fn raw(&self, method: Method, path: &str) -> RawRequest<'_> {
        let op = meta_for(method);
        RawRequest {
            client: self,
            call: Call::new(op, String::new()),
            path: encode_path(op, path),
            body: Ok(None),
        }
    }
}

/// A request built by [`Client::raw`]; nothing is sent until [`send`](Self::send).
#[derive(Debug)]
#[must_use = "a raw request does nothing until `send` is awaited"]
pub struct RawRequest<'a> {
    client: &'a Client,
    call: Call,
    /// The encoded path, or why it cannot be sent (reported by `send`).
    path: Result<String, Error>,
    /// The encoded body, or why it could not be encoded (reported by `send`).
    body: Result<Option<bytes::Bytes>, Error>,
}

impl RawRequest<'_> {
    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.call.extra_query.push((name.into(), value.to_string()));
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        self.body = self.call.json_body(body).map(|()| self.call.body.take());
        self
    }

    /// Treats the request as this operation for quotas, retry safety and the operation
    /// named in errors: e.g. an endpoint that shares a documented quota.
    pub fn operation(mut self, operation: &'static OperationMeta) -> Self {
        self.call.op = operation;
        self
    }

    /// Sends the request and decodes the success envelope's payload as `T` (use
    /// `serde_json::Value` for any JSON); a non-2xx answer is an [`Error::Api`].
    pub async fn send<T: DeserializeOwned>(self) -> Result<Response<T>, Error> {
        let mut call = self.call;
        call.path = self.path?;
        call.body = self.body?;
        self.client.execute::<T>(call).await
    }
}

/// Each segment percent-encoded, and refused when empty, `.` or `..` (which would change
/// the path's shape). A leading and a trailing `/` are optional.
fn encode_path(op: &'static OperationMeta, path: &str) -> Result<String, Error> {
    let mut builder = PathBuilder::new(op);
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    for segment in trimmed.split('/') {
        builder.literal("/");
        builder.segment("path", segment)?;
    }
    Ok(builder.finish().path)
}

#[cfg(test)]
mod tests {
    use super::{RAW_GET, encode_path};

    #[test]
    fn paths_keep_their_shape() {
        let path = |p: &str| encode_path(&RAW_GET, p).ok();
        assert_eq!(
            path("/chatrooms/1/users").as_deref(),
            Some("/chatrooms/1/users")
        );
        assert_eq!(path("chatrooms/").as_deref(), Some("/chatrooms"));
        assert_eq!(
            path("/users/a b?x#y").as_deref(),
            Some("/users/a%20b%3Fx%23y")
        );
        assert_eq!(path("/../other"), None);
        assert_eq!(path("/a//b"), None);
    }
}
