//! The serde model of `spec/*.yaml`: exactly what a spec file may say, nothing resolved yet.
//!
//! Every struct denies unknown fields, so a typo in a key fails generation instead of being
//! silently ignored.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// One spec file. The API-wide `api` section must appear in exactly one file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    pub api: Option<ApiSpec>,
    #[serde(default)]
    pub types: OrderedMap<TypeSpec>,
    #[serde(default)]
    pub operations: OrderedMap<OperationSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    pub title: String,
    pub doc: String,
    pub base_path: String,
    pub auth: AuthScheme,
    /// The struct whose fields sit beside `data` in every success body.
    pub envelope: String,
    /// The struct of a failure body.
    pub error_body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthScheme {
    Bearer,
}

/// A named type. Exactly one of `struct`, `enum`, `one_key`, `newtype` and `millis` must be given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    pub doc: String,
    #[serde(rename = "struct")]
    pub fields: Option<OrderedMap<FieldSpec>>,
    #[serde(rename = "enum")]
    pub variants: Option<OrderedMap<VariantSpec>>,
    pub one_key: Option<OrderedMap<OneKeySpec>>,
    pub newtype: Option<String>,
    /// A time in integer milliseconds on the wire (a duration or a Unix timestamp), with
    /// the wire values that mean "forever".
    pub millis: Option<MillisSpec>,
    /// For `enum` and `one_key`: the variant that keeps values this client does not know.
    pub unknown: Option<String>,
    /// For request structs: how many optional fields must be set at least.
    pub min_fields: Option<u32>,
    /// For response structs of `bool` flags where `false` means "not applied".
    #[serde(default)]
    pub applied_flags: bool,
    /// For response structs: the required `bool` field that reports whether the call took
    /// effect; `false` fails the call like a false applied flag (`check: applied_flags`).
    pub success_flag: Option<String>,
    /// For structs decoded from the service's metadata: every optional field decodes on
    /// its own, and a value of an unexpected type is dropped instead of failing the body.
    #[serde(default)]
    pub tolerant: bool,
    /// For structs of exactly one required field: on the wire the struct is that field's
    /// value alone (e.g. a body that is a JSON array).
    #[serde(default)]
    pub transparent: bool,
}

/// `millis`: what the integer milliseconds measure, and which values mean "forever".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MillisSpec {
    pub of: MillisOf,
    /// Wire values that mean "forever"; the first is the one sent. Empty: no "forever".
    #[serde(default)]
    pub forever: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MillisOf {
    /// A length of time (`std::time::Duration`).
    Duration,
    /// A point in time, as Unix milliseconds (`std::time::SystemTime`).
    Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    pub doc: String,
    /// The Rust name, where the PascalCase of the wire value does not read well (e.g.
    /// `NO_DELETE` -> `NoDelete`).
    pub variant: Option<String>,
    /// Error code enum only: the HTTP status the service answers with this code (absent when
    /// it varies with the request).
    pub status: Option<u16>,
    /// Error code enum only: the service's exception class sent beside this code.
    pub exception: Option<String>,
    /// Error code enum only: what this code means for retrying (absent when it depends on the
    /// status).
    pub retry: Option<RetryClass>,
}

/// What an error code means for retrying a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryClass {
    /// The service throttled the request and did not process it: back off and retry.
    Throttled,
    /// A failure that may pass: retry when the operation is retry safe.
    Transient,
    /// A retry cannot fix it.
    Final,
    /// The token expired: rebuild it once and retry.
    TokenExpired,
    /// The token is corrupt or not for this app: a configuration error, never retried.
    TokenInvalid,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneKeySpec {
    pub variant: String,
    pub doc: String,
}

/// A struct field or an operation parameter, with its constraints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(rename = "type")]
    pub ty: String,
    pub doc: String,
    #[serde(default)]
    pub required: bool,
    /// The name on the wire, where it differs from the Rust name.
    pub wire: Option<String>,
    /// Parameters only: where the parameter goes.
    #[serde(rename = "in")]
    pub location: Option<ParamLocation>,
    /// List path parameters only: the separator between items.
    pub join: Option<String>,
    /// The service's default, for docs and for `max_items_from`.
    pub default: Option<i64>,
    /// How tolerant decoding is for values the service sends in more than one form.
    pub lenient: Option<Lenient>,
    /// Applied-flag fields only: the request field this flag reports on.
    pub flag_for: Option<String>,
    // Validation rules, inline (serde's `flatten` would defeat `deny_unknown_fields`).
    pub min_chars: Option<u32>,
    pub max_chars: Option<u32>,
    pub forbid_chars: Option<String>,
    pub format: Option<Format>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub min_items: Option<u32>,
    pub max_items: Option<u32>,
    /// The list may hold at most as many items as this sibling integer field (or its default).
    pub max_items_from: Option<String>,
    /// Rules for each item of a list, or each value of a map.
    pub items: Option<ItemRuleSpec>,
    /// Maps only: rules for each key.
    pub keys: Option<ItemRuleSpec>,
}

/// Rules for each item of a list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRuleSpec {
    pub min_chars: Option<u32>,
    pub max_chars: Option<u32>,
    pub forbid_chars: Option<String>,
    pub format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// 1 to 64 characters of `a-z A-Z 0-9 _ - .`.
    Username,
    /// Only characters of `a-z A-Z 0-9 _ - .` (the length is up to `min_chars`/`max_chars`).
    Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lenient {
    /// A bool that may arrive as `true` or `"true"`.
    BoolOrString,
    /// A result flag sent as the string `"success"` or as a bool; written as `"success"`.
    SuccessString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    Path,
    Query,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    pub doc: String,
    /// The section of the source document that describes the operation.
    pub source: String,
    pub method: HttpMethod,
    pub path: String,
    #[serde(default)]
    pub params: OrderedMap<FieldSpec>,
    pub body: Option<String>,
    pub response: String,
    /// Where the response sits in a success body: beside the metadata as `data` (the
    /// default), in `entities` (user calls), or the whole body (several payload fields).
    pub payload: Option<Payload>,
    pub pagination: Option<PaginationSpec>,
    /// `*_batched`: any number of keys (or body items) through a list parameter, in chunks
    /// of its `max_items`: lookups, or writes reported item by item.
    pub batch: Option<BatchSpec>,
    /// A bulk method over many values of this path parameter.
    pub bulk: Option<String>,
    pub check: Option<ResponseCheck>,
    /// The response lists one result per item: the service's `result` (true, false or
    /// `"success"`) and `reason` beside each item's fields.
    #[serde(default)]
    pub item_results: bool,
    /// The service answers a list path parameter holding one item with a lone object, and
    /// several with an array (the client decodes both; the emulator answers the same way).
    #[serde(default)]
    pub one_item_as_object: bool,
    /// This operation shares its method and path with another one; the server picks it when
    /// the JSON body passes this test (the other, without `dispatch`, is the default).
    pub dispatch: Option<DispatchSpec>,
    /// The server has no route of its own for this operation: the named operation, on the
    /// same method and path shape, serves it (a lone name in a list path parameter).
    pub served_by: Option<String>,
    pub rate_limit_per_sec: u32,
    pub retry_safe: bool,
    /// The error code with which a retry sees that an earlier attempt of the same call
    /// already took effect (a delete retried after a lost answer gets "not found").
    pub retry_observes_done: Option<String>,
    #[serde(default)]
    pub errors: Vec<ErrorSpec>,
}

/// Where an operation's response sits in a success body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    /// `data`, beside the envelope's metadata.
    Data,
    /// `entities`, beside the metadata; a response that is not a list is its one entity.
    Entities,
    /// The whole body: the response struct names the payload fields it reads.
    Body,
}

/// How the server tells an operation apart from another on the same method and path: give
/// exactly one of the two.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchSpec {
    /// The JSON body is an object with this key (as on the wire).
    pub body_has_key: Option<String>,
    /// The JSON body is an array (a `transparent` body over a list).
    #[serde(default)]
    pub body_is_array: bool,
}

/// Splits any number of keys into requests of at most `max_items` of the list parameter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSpec {
    /// The list path parameter that carries the keys, or the body's one list field.
    pub param: String,
    /// The field of each response item that holds its key (lookups, `item_results` and
    /// `succeeded`/`failed`); when the list holds structs, also the field naming each item.
    pub key: Option<String>,
    /// Lookups: the error code the service answers when none of a request's keys exists.
    pub none_found: Option<String>,
    /// Writes whose answer is a struct listing the keys it applied: that list field.
    pub applied: Option<String>,
    /// Writes whose answer lists the items applied in one response field (`succeeded`) and
    /// those refused in another (`failed`), each refused item with the string field `reason`.
    pub succeeded: Option<String>,
    pub failed: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum HttpMethod {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "DELETE")]
    Delete,
}

/// How an operation pages, and the names of the query parameters it pages by.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginationSpec {
    pub style: PaginationStyle,
    /// The page size parameter (optional `u32` with a `max`: the largest page).
    pub size: String,
    /// `cursor` style: the cursor parameter (optional string).
    pub cursor: Option<String>,
    /// `page_number` style: the page number parameter (optional `u32`, from 1).
    pub number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaginationStyle {
    /// A page size and a cursor; the next cursor comes beside `data`.
    Cursor,
    /// A page number and a page size; a short page is the last.
    PageNumber,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseCheck {
    /// Fail the call when the response reports a field as not applied.
    AppliedFlags,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    pub status: u16,
    pub code: String,
    pub doc: String,
}

/// A YAML mapping that keeps the spec's order (so output is deterministic and follows the
/// author's order) and refuses duplicate keys.
#[derive(Debug)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = OrderedMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, V)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    entries.push((key, value));
                }
                Ok(OrderedMap(entries))
            }
        }

        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}
