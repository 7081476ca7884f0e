//! The resolved model the emitters work from: names checked, type expressions parsed,
//! parameters split by location. [`lower`] runs only on specs that passed [`check`](crate::check).

use crate::load::LoadedSpec;
use crate::spec::{
    BatchSpec, FieldSpec, Format, HttpMethod, ItemRuleSpec, Lenient, OperationSpec,
    PaginationStyle, ParamLocation, ResponseCheck, RetryClass, TypeSpec,
};

#[derive(Debug)]
pub struct Ir {
    pub title: String,
    pub doc: String,
    pub base_path: String,
    pub envelope: String,
    pub error_body: String,
    pub types: Vec<TypeDef>,
    pub operations: Vec<Operation>,
}

impl Ir {
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The enum type of the error body's `error` field.
    pub fn error_code_type(&self) -> Option<&str> {
        let TypeKind::Struct(body) = &self.type_def(&self.error_body)?.kind else {
            return None;
        };
        match &body.fields.iter().find(|f| f.name == "error")?.ty {
            Ty::Named(name) => Some(name),
            _ => None,
        }
    }

    /// Whether `ty` is a string or a newtype over a string (string rules apply to it).
    pub fn is_stringlike(&self, ty: &Ty) -> bool {
        match ty {
            Ty::String => true,
            Ty::Named(name) => {
                matches!(
                    self.type_def(name).map(|t| &t.kind),
                    Some(TypeKind::Newtype(Ty::String))
                )
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Bool,
    Int(IntTy),
    /// Any JSON value.
    Json,
    Named(String),
    List(Box<Ty>),
    /// A JSON object with string keys.
    Map(Box<Ty>),
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

/// Parses a spec type expression: `string`, `bool`, `i32`, `i64`, `u32`, `u64`, `json`,
/// `[T]` (a list), `{T}` (an object with string keys), or a type name.
pub fn parse_type(expr: &str) -> Result<Ty, String> {
    let expr = expr.trim();
    if let Some(inner) = expr.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
        return parse_type(inner).map(|t| Ty::List(Box::new(t)));
    }
    if let Some(inner) = expr.strip_prefix('{').and_then(|e| e.strip_suffix('}')) {
        return parse_type(inner).map(|t| Ty::Map(Box::new(t)));
    }
    Ok(match expr {
        "string" => Ty::String,
        "bool" => Ty::Bool,
        "i32" => Ty::Int(IntTy::I32),
        "i64" => Ty::Int(IntTy::I64),
        "u32" => Ty::Int(IntTy::U32),
        "u64" => Ty::Int(IntTy::U64),
        "json" => Ty::Json,
        name if is_type_name(name) => Ty::Named(name.to_owned()),
        other => return Err(format!("`{other}` is not a type expression")),
    })
}

pub(crate) fn is_type_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

#[derive(Debug)]
pub struct TypeDef {
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
    /// One-key objects `{"<key>": "<value>"}`.
    OneKey {
        variants: Vec<Variant>,
        unknown: Option<String>,
    },
    Newtype(Ty),
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

#[derive(Debug, Clone)]
pub struct Struct {
    pub fields: Vec<Field>,
    pub min_fields: Option<u32>,
    pub applied_flags: bool,
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
    pub flag_for: Option<String>,
    pub join: Option<String>,
    pub rules: Rules,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rules {
    pub min_chars: Option<u32>,
    pub max_chars: Option<u32>,
    pub forbid_chars: Option<String>,
    pub username: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub min_items: Option<u32>,
    pub max_items: Option<u32>,
    /// The sibling field that bounds the item count, and that field's default.
    pub max_items_from: Option<(String, i64)>,
    pub items: Option<Box<Rules>>,
}

impl Rules {
    pub fn is_empty(&self) -> bool {
        *self == Rules::default()
    }
}

#[derive(Debug)]
pub struct Operation {
    pub id: String,
    pub doc: String,
    pub source: String,
    pub method: HttpMethod,
    pub path: String,
    pub path_params: Vec<Field>,
    pub query_params: Vec<Field>,
    pub body: Option<String>,
    pub response: Ty,
    pub pagination: Option<PaginationStyle>,
    pub batch: Option<BatchSpec>,
    pub bulk: Option<String>,
    pub check: Option<ResponseCheck>,
    pub rate_limit_per_sec: u32,
    pub retry_safe: bool,
    pub errors: Vec<ErrorDoc>,
}

#[derive(Debug)]
pub struct ErrorDoc {
    pub status: u16,
    pub code: String,
    pub doc: String,
}

/// A piece of a path template: literal text or a `{parameter}`.
#[derive(Debug, PartialEq, Eq)]
pub enum PathPart<'a> {
    Literal(&'a str),
    Param(&'a str),
}

/// Splits `/a/{b}/c` into its parts; `Err` names the first malformed brace.
pub fn path_parts(template: &str) -> Result<Vec<PathPart<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| format!("unclosed `{{` in path `{template}`"))?;
        if open > 0 {
            parts.push(PathPart::Literal(&rest[..open]));
        }
        parts.push(PathPart::Param(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unmatched `}}` in path `{template}`"));
    }
    if !rest.is_empty() {
        parts.push(PathPart::Literal(rest));
    }
    Ok(parts)
}

/// Lowers checked spec files into the IR.
pub fn lower(files: &[LoadedSpec]) -> Ir {
    let api = files.iter().find_map(|f| f.spec.api.as_ref());
    let all_types = files.iter().flat_map(|f| f.spec.types.iter());
    let all_operations = files.iter().flat_map(|f| f.spec.operations.iter());
    Ir {
        title: api.map(|a| a.title.clone()).unwrap_or_default(),
        doc: api.map(|a| a.doc.clone()).unwrap_or_default(),
        base_path: api.map(|a| a.base_path.clone()).unwrap_or_default(),
        envelope: api.map(|a| a.envelope.clone()).unwrap_or_default(),
        error_body: api.map(|a| a.error_body.clone()).unwrap_or_default(),
        types: all_types
            .map(|(name, spec)| lower_type(name, spec))
            .collect(),
        operations: all_operations
            .map(|(id, spec)| lower_operation(id, spec))
            .collect(),
    }
}

fn lower_type(name: &str, spec: &TypeSpec) -> TypeDef {
    let kind = if let Some(fields) = &spec.fields {
        TypeKind::Struct(Struct {
            fields: lower_fields(fields.iter()),
            min_fields: spec.min_fields,
            applied_flags: spec.applied_flags,
        })
    } else if let Some(variants) = &spec.variants {
        TypeKind::Enum {
            variants: variants
                .iter()
                .map(|(wire, v)| Variant {
                    error: ErrorSemantics {
                        status: v.status,
                        exception: v.exception.clone(),
                        retry: v.retry,
                    },
                    ..variant(wire, &pascal_case(wire), &v.doc)
                })
                .collect(),
            unknown: spec.unknown.clone(),
        }
    } else if let Some(keys) = &spec.one_key {
        TypeKind::OneKey {
            variants: keys
                .iter()
                .map(|(wire, v)| variant(wire, &v.variant, &v.doc))
                .collect(),
            unknown: spec.unknown.clone(),
        }
    } else {
        TypeKind::Newtype(
            parse_type(spec.newtype.as_deref().unwrap_or("string")).unwrap_or(Ty::String),
        )
    };
    TypeDef {
        name: name.to_owned(),
        doc: spec.doc.clone(),
        kind,
    }
}

fn variant(wire: &str, name: &str, doc: &str) -> Variant {
    Variant {
        wire: wire.to_owned(),
        name: name.to_owned(),
        doc: doc.to_owned(),
        error: ErrorSemantics::default(),
    }
}

fn lower_fields<'a>(fields: impl Iterator<Item = (&'a String, &'a FieldSpec)>) -> Vec<Field> {
    let fields: Vec<_> = fields.collect();
    fields
        .iter()
        .map(|&(name, spec)| {
            let bound = spec.max_items_from.as_ref().map(|sibling| {
                let default = fields
                    .iter()
                    .find(|(n, _)| *n == sibling)
                    .and_then(|(_, f)| f.default);
                (sibling.clone(), default.unwrap_or(i64::MAX))
            });
            lower_field(name, spec, bound)
        })
        .collect()
}

fn lower_field(name: &str, spec: &FieldSpec, max_items_from: Option<(String, i64)>) -> Field {
    Field {
        name: name.to_owned(),
        wire: spec.wire.clone().unwrap_or_else(|| name.to_owned()),
        ty: parse_type(&spec.ty).unwrap_or(Ty::Json),
        // A path parameter is always required.
        required: spec.required || spec.location == Some(ParamLocation::Path),
        doc: spec.doc.clone(),
        default: spec.default,
        lenient: spec.lenient,
        flag_for: spec.flag_for.clone(),
        join: spec.join.clone(),
        rules: Rules {
            min_chars: spec.min_chars,
            max_chars: spec.max_chars,
            forbid_chars: spec.forbid_chars.clone(),
            username: spec.format == Some(Format::Username),
            min: spec.min,
            max: spec.max,
            min_items: spec.min_items,
            max_items: spec.max_items,
            max_items_from,
            items: spec.items.as_ref().map(|items| Box::new(item_rules(items))),
        },
    }
}

fn item_rules(spec: &ItemRuleSpec) -> Rules {
    Rules {
        min_chars: spec.min_chars,
        max_chars: spec.max_chars,
        forbid_chars: spec.forbid_chars.clone(),
        username: spec.format == Some(Format::Username),
        ..Rules::default()
    }
}

fn lower_operation(id: &str, spec: &OperationSpec) -> Operation {
    let params_at = |location| {
        lower_fields(
            spec.params
                .iter()
                .filter(move |(_, p)| p.location == Some(location)),
        )
    };
    Operation {
        id: id.to_owned(),
        doc: spec.doc.clone(),
        source: spec.source.clone(),
        method: spec.method,
        path: spec.path.clone(),
        path_params: params_at(ParamLocation::Path),
        query_params: params_at(ParamLocation::Query),
        body: spec.body.clone(),
        response: parse_type(&spec.response).unwrap_or(Ty::Json),
        pagination: spec.pagination,
        batch: spec.batch.clone(),
        bulk: spec.bulk.clone(),
        check: spec.check,
        rate_limit_per_sec: spec.rate_limit_per_sec,
        retry_safe: spec.retry_safe,
        errors: spec
            .errors
            .iter()
            .map(|e| ErrorDoc {
                status: e.status,
                code: e.code.clone(),
                doc: e.doc.clone(),
            })
            .collect(),
    }
}

/// `reach_limit` -> `ReachLimit`.
pub fn pascal_case(snake: &str) -> String {
    snake
        .split(['_', '-', '.'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
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
    fn parses_type_expressions() {
        assert_eq!(
            parse_type("[ChatroomId]"),
            Ok(Ty::List(Box::new(Ty::Named("ChatroomId".into()))))
        );
        assert_eq!(
            parse_type("{[string]}"),
            Ok(Ty::Map(Box::new(Ty::List(Box::new(Ty::String)))))
        );
        assert!(parse_type("[string").is_err());
        assert!(parse_type("chatroom").is_err());
    }

    #[test]
    fn splits_path_templates() {
        assert_eq!(
            path_parts("/users/{username}/joined_chatrooms"),
            Ok(vec![
                PathPart::Literal("/users/"),
                PathPart::Param("username"),
                PathPart::Literal("/joined_chatrooms"),
            ])
        );
        assert!(path_parts("/chatrooms/{id").is_err());
        assert!(path_parts("/chatrooms/id}").is_err());
    }

    #[test]
    fn converts_case() {
        assert_eq!(
            pascal_case("service_resource_not_found"),
            "ServiceResourceNotFound"
        );
        assert_eq!(screaming_case("get_chatrooms"), "GET_CHATROOMS");
    }
}
