//! The closed model the emitters work from, built by [`resolve`](crate::resolve): names
//! checked, type expressions parsed, references resolved (a named type is a [`TypeRef`], a
//! path parameter an index, an error code a variant), and nothing of the spec's serde model
//! left. The emitters never look anything up by name and never fall back to a default.

#[derive(Debug)]
pub struct Ir {
    pub title: String,
    pub doc: String,
    /// The API's base path, e.g. `/{org_name}/{app_name}`.
    pub base_path: String,
    /// The struct whose fields sit beside `data` in every success body.
    pub envelope: Envelope,
    /// The enum of the error body's `error` field, if it is an enum.
    pub error_code: Option<TypeId>,
    /// One module per spec file, in file order; `TypeDef::module` and `Operation::module`
    /// index this list.
    pub modules: Vec<Module>,
    /// Every type, in spec order; a [`TypeId`] indexes this list.
    pub types: Vec<TypeDef>,
    pub operations: Vec<Operation>,
}

/// The generated module of one spec file (a resource, or the API-wide conventions).
#[derive(Debug)]
pub struct Module {
    /// The module's name: the spec file's stem, e.g. `chatrooms`.
    pub name: String,
    /// The spec file, as named in diagnostics, e.g. `spec/chatrooms.yaml`.
    pub spec_file: String,
}

/// The envelope metadata struct: its name and fields.
#[derive(Debug)]
pub struct Envelope {
    pub name: String,
    pub fields: Vec<Field>,
    /// Every optional field decodes on its own (the struct's `tolerant`).
    pub tolerant: bool,
}

impl Ir {
    pub fn type_def(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }

    /// The types of module `module`, with their ids, in spec order.
    pub fn types_of(&self, module: usize) -> impl Iterator<Item = (TypeId, &TypeDef)> {
        self.types
            .iter()
            .enumerate()
            .filter(move |(_, def)| def.module == module)
            .map(|(index, def)| (TypeId(index), def))
    }

    /// The operations of module `module`, in spec order.
    pub fn operations_of(&self, module: usize) -> impl Iterator<Item = &Operation> {
        self.operations.iter().filter(move |op| op.module == module)
    }

    /// Whether any operation sends `id` as its body (every body implements `Validate`).
    pub fn is_body(&self, id: TypeId) -> bool {
        self.operations
            .iter()
            .any(|op| op.body.as_ref().is_some_and(|body| body.id == id))
    }
}

/// The index of a type in [`Ir::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub usize);

/// A resolved reference to a declared type: its index and its Rust name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    pub id: TypeId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Bool,
    Int(IntTy),
    /// Any JSON value.
    Json,
    /// A string that must never reach logs (a password): the runtime's `Secret`, sent as
    /// a plain string on the wire, redacted in `Debug`.
    Secret,
    /// A newtype over a string: string rules apply to it.
    Newtype(TypeRef),
    /// A struct, enum or one-key type.
    Named(TypeRef),
    List(Box<Ty>),
    /// A JSON object with string keys.
    Map(Box<Ty>),
    /// A declared `millis` type: integer milliseconds on the wire.
    Millis(TypeRef),
}

impl Ty {
    /// Whether string rules (characters, format) apply to values of this type.
    pub fn is_stringlike(&self) -> bool {
        matches!(self, Ty::String | Ty::Newtype(_) | Ty::Secret)
    }

    /// The item type of a list.
    pub fn list_item(&self) -> Option<&Ty> {
        match self {
            Ty::List(item) => Some(item),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntTy {
    I32,
    I64,
    U32,
    U64,
}

impl IntTy {
    pub fn name(self) -> &'static str {
        match self {
            IntTy::I32 => "i32",
            IntTy::I64 => "i64",
            IntTy::U32 => "u32",
            IntTy::U64 => "u64",
        }
    }

    pub fn range(self) -> (i128, i128) {
        match self {
            IntTy::I32 => (i32::MIN.into(), i32::MAX.into()),
            IntTy::I64 => (i64::MIN.into(), i64::MAX.into()),
            IntTy::U32 => (0, u32::MAX.into()),
            IntTy::U64 => (0, u64::MAX.into()),
        }
    }
}

#[derive(Debug)]
pub struct TypeDef {
    /// The module (spec file) that declares it.
    pub module: usize,
    pub name: String,
    pub doc: String,
    pub kind: TypeKind,
}

#[derive(Debug)]
pub enum TypeKind {
    Struct(Struct),
    /// String enum; `unknown` names the variant that keeps unknown values.
    Enum {
        variants: Vec<Variant>,
        unknown: Option<String>,
    },
    /// One-key objects `{"<key>": "<value>"}`; `unknown` keeps keys this client does not know.
    OneKey {
        variants: Vec<Variant>,
        unknown: String,
    },
    /// A newtype over a string.
    Newtype,
    /// Integer milliseconds on the wire, a duration or a timestamp in Rust, with the wire
    /// values that mean "forever" (the first is the one sent; none: no `Forever` variant).
    Millis {
        of: MillisOf,
        forever: Vec<i64>,
    },
}

/// What a `millis` type measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MillisOf {
    Duration,
    Timestamp,
}

#[derive(Debug)]
pub struct Variant {
    /// The value (enum) or key (one-key object) on the wire.
    pub wire: String,
    pub name: String,
    pub doc: String,
    /// Variants of the error code enum: what the code means (the spec's error table).
    pub error: ErrorSemantics,
}

/// An error code's entry in the spec's error table; every part may be unknown.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ErrorSemantics {
    pub status: Option<u16>,
    pub exception: Option<String>,
    pub retry: Option<RetryClass>,
}

/// What an error code means for retrying a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    Throttled,
    Transient,
    Final,
    TokenExpired,
    TokenInvalid,
}

#[derive(Debug, Clone)]
pub struct Struct {
    pub fields: Vec<Field>,
    pub min_fields: Option<u32>,
    /// Each field is a flag reporting whether a request field was applied.
    pub applied_flags: bool,
    /// The required bool field (its Rust name) whose `false` means the call did not take
    /// effect (checked like an applied flag).
    pub success_flag: Option<String>,
    /// Every optional field decodes on its own: a value of an unexpected type is dropped.
    pub tolerant: bool,
    /// The struct's one field is its whole wire form (`#[serde(transparent)]`).
    pub transparent: bool,
}

impl Struct {
    pub fn has_rules(&self) -> bool {
        self.min_fields.is_some() || self.fields.iter().any(|f| !f.rules.is_empty())
    }
}

/// A struct field or an operation parameter.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub wire: String,
    pub ty: Ty,
    pub required: bool,
    pub doc: String,
    pub default: Option<i64>,
    pub lenient: Option<Lenient>,
    /// Applied-flag fields: the request field this flag reports on.
    pub reports_on: Option<String>,
    /// List path parameters: the separator between items.
    pub join: Option<String>,
    pub rules: Rules,
}

/// How tolerant decoding is for values the service sends in more than one form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lenient {
    /// A bool that may arrive as `true` or `"true"`.
    BoolOrString,
    /// A required result flag sent as `"success"` or as a bool; written as `"success"`.
    SuccessString,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rules {
    pub min_chars: Option<u32>,
    pub max_chars: Option<u32>,
    pub forbid_chars: Option<String>,
    pub username: bool,
    /// Only `a-z A-Z 0-9 _ - .` (format `key`).
    pub key_chars: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub min_items: Option<u32>,
    pub max_items: Option<u32>,
    /// The sibling integer field that bounds the item count.
    pub max_items_from: Option<SiblingBound>,
    /// Rules of each list item or map value.
    pub items: Option<Box<Rules>>,
    /// A list of structs with rules: each item is checked by its own `Validate`.
    pub nested: bool,
    /// Rules of each map key.
    pub keys: Option<Box<Rules>>,
}

impl Rules {
    pub fn is_empty(&self) -> bool {
        *self == Rules::default()
    }
}

/// The sibling field of `max_items_from`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiblingBound {
    pub name: String,
    pub wire: String,
    pub required: bool,
    /// The service's default, used when an optional sibling is unset.
    pub default: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    /// The runtime's `Method` variant.
    pub fn variant(self) -> &'static str {
        match self {
            Method::Get => "Get",
            Method::Post => "Post",
            Method::Put => "Put",
            Method::Delete => "Delete",
        }
    }
}

#[derive(Debug)]
pub struct Operation {
    /// The module (spec file) that declares it.
    pub module: usize,
    pub id: String,
    pub doc: String,
    pub source: String,
    pub method: Method,
    /// The path template below the base path, e.g. `/chatrooms/{chatroom_id}`.
    pub path: String,
    pub segments: Vec<Segment>,
    pub path_params: Vec<Field>,
    pub query_params: Vec<Field>,
    pub body: Option<TypeRef>,
    pub response: Ty,
    /// Where the response sits in a success body.
    pub payload: Payload,
    pub pagination: Option<Pagination>,
    pub batch: Option<Batch>,
    pub bulk: Option<Bulk>,
    pub check: Option<ResponseCheck>,
    /// Each listed item comes with the service's `result` and `reason` (decoded by the
    /// runtime's `bulk::ItemResult`).
    pub item_results: bool,
    /// The list path parameter (by index) whose single item the service answers with a lone
    /// object instead of an array of one.
    pub one_item_as_object: Option<usize>,
    /// What in the body tells this operation apart from another on the same method and path.
    pub dispatch: Option<Dispatch>,
    /// The operation whose server route serves this one (no route or trait method of its own).
    pub served_by: Option<String>,
    pub rate_limit_per_sec: u32,
    pub retry_safe: bool,
    /// The error code (a checked variant of the error code enum, as on the wire) with which
    /// a retry sees that an earlier attempt of the same call already took effect.
    pub retry_observes_done: Option<String>,
    pub errors: Vec<ErrorDoc>,
}

/// A piece of an operation's path: literal text, or a path parameter by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Param(usize),
}

/// How an operation pages, with the names of its query parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pagination {
    /// A page size and a cursor; the next cursor comes beside `data`.
    Cursor {
        size: String,
        cursor: String,
        /// The largest page size.
        max_size: u32,
    },
    /// A page number (from 1) and a page size; a short page is the last.
    PageNumber {
        number: String,
        size: String,
        max_size: u32,
        /// The page size the service uses when none is sent.
        default_size: u32,
    },
}

/// `*_batched`: any number of keys through a list parameter (of the path or the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Where the keys go.
    pub source: BatchSource,
    /// The keys' parameter or field name (as on the wire), for validation messages.
    pub wire: String,
    /// The type of one key, or of one item named by its `item_key` field.
    pub item: Ty,
    /// Items that are structs: their required string field that names each (e.g. `username`).
    pub item_key: Option<String>,
    /// The spec's rules for one key, checked key by key before anything is sent.
    pub item_rules: Option<Rules>,
    /// Struct items with rules of their own: each checked by its `Validate` before sending.
    pub item_validates: bool,
    /// The most keys per request.
    pub chunk: u32,
    /// How an answer is matched to the keys.
    pub answer: BatchAnswer,
}

/// Where a batch's keys go in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchSource {
    /// A list path parameter, by index.
    Path(usize),
    /// A required list field of the body, by Rust name. When the body has other fields too
    /// (`alone` false), the batched method takes a body whose list the chunks replace.
    Body {
        body: TypeRef,
        field: String,
        alone: bool,
    },
}

/// How a batch's answer says what happened to each key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchAnswer {
    /// A lookup: the listed items that came back, matched by their `key` field; keys not
    /// answered are not found. `none_found`: the error code (a checked variant of the error
    /// code enum, as on the wire) answered when none of a request's keys exists.
    Lookup {
        key: String,
        none_found: Option<String>,
    },
    /// A write answered per item (`item_results`), matched by the item's `key` field.
    ItemResults { key: String },
    /// A write whose answer lists the keys it applied in the response field `field`.
    AppliedList { field: String },
    /// A write whose answer lists the items it applied in the response field `succeeded`
    /// (items of `applied`, named by `key`) and those it refused in `failed` (named by `key`,
    /// with the optional string `reason`).
    SucceededAndFailed {
        key: String,
        applied: TypeRef,
        succeeded: String,
        failed: String,
        reason: String,
    },
}

/// How the server picks an operation among those on one method and path, by the JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatch {
    /// The body is an object with this key (as on the wire).
    BodyHasKey(String),
    /// The body is an array.
    BodyIsArray,
}

/// Where an operation's response sits in a success body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// `data`, beside the envelope's metadata.
    Data,
    /// `entities`; a response that is not a list is its one entity.
    Entities,
    /// The whole body.
    Body,
}

impl Payload {
    /// The runtime's `Payload` variant.
    pub fn variant(self) -> &'static str {
        match self {
            Payload::Data => "Data",
            Payload::Entities => "Entities",
            Payload::Body => "Body",
        }
    }
}

/// `*_bulk`: the operation for many values of one path parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulk {
    /// The path parameter, by index.
    pub param: usize,
}

/// A check of the decoded response before the call succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseCheck {
    /// Fail with `NotApplied` when the response reports a field as not applied.
    AppliedFlags,
}

#[derive(Debug)]
pub struct ErrorDoc {
    pub status: u16,
    pub code: String,
    pub doc: String,
}

/// `reach_limit` -> `ReachLimit`.
pub fn pascal_case(snake: &str) -> String {
    snake
        .split(['_', '-', '.'])
        .filter(|part| !part.is_empty())
        .flat_map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars)
        })
        .collect()
}

/// `create_chatroom` -> `CREATE_CHATROOM`.
pub fn screaming_case(snake: &str) -> String {
    snake.to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_case() {
        assert_eq!(
            pascal_case("service_resource_not_found"),
            "ServiceResourceNotFound"
        );
        assert_eq!(screaming_case("get_chatrooms"), "GET_CHATROOMS");
    }
}
