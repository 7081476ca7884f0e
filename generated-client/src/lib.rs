//! A typed client for the Agora Chat REST API, generated from `spec/*.yaml`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use agora_chat::{Client, types::CreateChatroom};
//!
//! let client = Client::builder()
//!     .base_url("https://a41.chat.agora.io")
//!     .app_key("myorg#myapp")
//!     .app_token("<app token>")
//!     .build()?;
//! let created = client
//!     .create_chatroom(&CreateChatroom::new("lobby", "Say hello", "alice").members(["bob"]))
//!     .await?;
//! println!("created {}", created.data.id);
//! # Ok(()) }
//! ```
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
