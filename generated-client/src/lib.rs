//! A typed client for the Agora Chat REST API, generated from `spec/*.yaml`.
//!
//! Build one [`Client`] per app and share it (clones share connections, tokens, rate
//! limits and the retry budget). Every operation of the spec is a method on it: requests are
//! checked against the spec's rules before anything is sent, calls are paced by the
//! documented quotas, transient failures are retried, and every failure is one [`Error`].
//!
//! ```no_run
//! use agora_chat::{Client, Error, types::{CreateChatroom, ErrorCode}};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .base_url("https://a41.chat.agora.io")
//!     .app_key("myorg#myapp")
//!     .app_token("<app token>")
//!     .build()?;
//!
//! let lobby = CreateChatroom::new("lobby", "Say hello", "alice").members(["bob"]);
//! match client.create_chatroom(&lobby).await {
//!     Ok(created) => println!("created {}", created.data.id),
//!     // The service's own error code, when it answered with one.
//!     Err(err) if err.code() == Some(&ErrorCode::ResourceNotFound) => {
//!         eprintln!("the owner or a member is not a user of this app");
//!     }
//!     // Rules of the spec are checked before anything is sent.
//!     Err(Error::Validation { source, .. }) => eprintln!("invalid request: {source}"),
//!     Err(err) => return Err(err.into()),
//! }
//! # Ok(()) }
//! ```
//!
//! Configuration can also come from the environment ([`Client::from_env`]); the app token
//! can be minted locally from the App ID and App Certificate
//! ([`auth::AppCredentials`]) or fetched with client credentials
//! ([`auth::ClientCredentials`]).
//!
//! # Listing everything
//!
//! Paged operations have a `_page` method (one page and the query of the next) and a
//! `_stream` method that fetches pages lazily:
//!
//! ```no_run
//! use agora_chat::{Client, operations::ListChatroomsQuery};
//! use futures_util::TryStreamExt;
//!
//! # async fn demo(client: &Client) -> Result<(), agora_chat::Error> {
//! let rooms: Vec<_> = client
//!     .list_chatrooms_stream(ListChatroomsQuery::default())
//!     .try_collect()
//!     .await?;
//! println!("{} chatrooms", rooms.len());
//! # Ok(()) }
//! ```
//!
//! # Many items at once
//!
//! `_batched` methods take any number of keys, split them into requests the service
//! accepts, and report on every item; one failed request never hides what the others did:
//!
//! ```no_run
//! use agora_chat::{Client, bulk::BulkOptions};
//!
//! # async fn demo(client: &Client) {
//! let reports = client
//!     .add_chatroom_members_batched("262144", ["bob", "carol", "dave"], &BulkOptions::default())
//!     .await;
//! for report in &reports {
//!     if !report.outcome.is_applied() {
//!         eprintln!("{}: {}", report.key, report.outcome.reason().unwrap_or_default());
//!     }
//! }
//! # }
//! ```
//!
//! # Errors
//!
//! [`Error`] says what failed and keeps what a caller needs to decide: the HTTP status
//! ([`Error::status`]), the service's code ([`Error::code`]), whether the request may have
//! reached the service ([`Error::delivery`]), and after retries the last attempt's error:
//!
//! ```
//! use agora_chat::{Error, retry::StopReason};
//!
//! fn explain(err: &Error) -> String {
//!     match err {
//!         // A retried delete whose retry found the chatroom gone: the effect is in place.
//!         err if err.is_already_done() => "done (by an earlier attempt)".to_owned(),
//!         Error::RetriesExhausted { reason: StopReason::Deadline, last, .. } => {
//!             format!("gave up at the deadline; last error: {last}")
//!         }
//!         err => match (err.status(), err.code()) {
//!             (Some(status), Some(code)) => format!("HTTP {status} {code}"),
//!             _ => err.to_string(),
//!         },
//!     }
//! }
//! # let _ = explain;
//! ```
//!
//! To test your own error handling, build the service's errors with [`ApiError::new`].
//! Retries and pacing are configured with [`retry::RetryPolicy`] and [`limit::RateLimits`].
//!
//! Layout: [`generated`](crate::types) code (types, validation, one method per operation)
//! over a small hand-written runtime: [`client`](Client) (config), [`auth`] (token sources),
//! `orchestrator` (the call pipeline: token, rate limit, send, classify, retry, decode),
//! `transport` (HTTP through reqwest only), [`retry`] and [`limit`] (the pipeline's
//! decisions), [`response`] (envelope decoding), [`error`] (one error type), [`paginate`]
//! and [`bulk`] (pages, streams, many calls), [`validate`] (the rules' checker).

// Everything public is documented, the generated code included (its docs come from the spec).
#![deny(missing_docs)]

// Without the `client` feature: the generated types, validation and operation metadata, the
// error table, the AccessToken2 codec (`auth::access_token`), `Secret` and the decoding
// helpers the types use. Everything that sends requests needs the feature.
pub mod auth;
#[cfg(feature = "client")]
pub mod bulk;
#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
pub mod error;
pub mod error_code;
#[cfg(feature = "client")]
pub mod limit;
pub mod operation;
#[cfg(feature = "client")]
mod orchestrator;
#[cfg(feature = "client")]
pub mod paginate;
#[cfg(feature = "client")]
mod raw;
#[cfg(feature = "client")]
mod request;
pub mod response;
#[cfg(feature = "client")]
pub mod retry;
pub mod secret;
pub mod time;
#[cfg(feature = "client")]
mod tls;
#[cfg(feature = "client")]
mod transport;
pub mod validate;
#[cfg(feature = "client")]
mod watchdog;
mod wrapped;

// Formatted by prettyplease when generated; rustfmt must not reformat it. Every generated
// public item carries rustdoc from the spec.
#[rustfmt::skip]
mod generated;

// The generator's per-construct fixtures, compiled against this runtime by the test crate
// `codegen/fixture-crate`, which builds this file with `--cfg agora_chat_fixtures`.
#[cfg(agora_chat_fixtures)]
#[rustfmt::skip]
include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// The crate README's Rust examples are compiled as doctests (the README is in the
/// package; the workspace README's are compiled by `agora-chat-quickstart`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "client")]
pub use client::{Client, ClientBuilder, ConfigError};
#[cfg(feature = "client")]
pub use error::{ApiError, Error, RawBody};
pub use generated::{operations, types};
#[cfg(feature = "client")]
pub use raw::RawRequest;
#[cfg(feature = "client")]
pub use response::Response;
pub use secret::Secret;
#[cfg(feature = "client")]
pub use tls::install_default_tls_provider;
#[cfg(feature = "client")]
pub use wrapped::HttpError;
pub use wrapped::JsonError;
