//! The small languages inside spec strings: type expressions, path templates and names.

use crate::ir::IntTy;

/// A type expression as written, before its names are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    String,
    Bool,
    Int(IntTy),
    Json,
    /// A string that must never reach logs (a password): `crate::Secret`.
    Secret,
    Named(String),
    List(Box<TypeExpr>),
    Map(Box<TypeExpr>),
}

/// Parses a spec type expression: `string`, `bool`, `i32`, `i64`, `u32`, `u64`, `json`, `secret`,
/// `[T]` (a list), `{T}` (an object with string keys), or a type name.
pub fn parse_type(expr: &str) -> Result<TypeExpr, String> {
    let expr = expr.trim();
    if let Some(inner) = expr.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
        return parse_type(inner).map(|t| TypeExpr::List(Box::new(t)));
    }
    if let Some(inner) = expr.strip_prefix('{').and_then(|e| e.strip_suffix('}')) {
        return parse_type(inner).map(|t| TypeExpr::Map(Box::new(t)));
    }
    Ok(match expr {
        "string" => TypeExpr::String,
        "bool" => TypeExpr::Bool,
        "i32" => TypeExpr::Int(IntTy::I32),
        "i64" => TypeExpr::Int(IntTy::I64),
        "u32" => TypeExpr::Int(IntTy::U32),
        "u64" => TypeExpr::Int(IntTy::U64),
        "json" => TypeExpr::Json,
        "secret" => TypeExpr::Secret,
        name if is_pascal_case(name) => TypeExpr::Named(name.to_owned()),
        other => return Err(format!("`{other}` is not a type expression")),
    })
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

fn is_pascal_case(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A type name the spec may declare: `Self` parses as a name but cannot be one.
pub fn is_type_name(name: &str) -> bool {
    is_pascal_case(name) && name != "Self"
}

/// A field, parameter or operation name: snake_case and not a Rust keyword.
pub fn is_field_name(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
        "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while", "yield",
        // Reserved for future use: also refused by the compiler.
        "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof",
        "unsized", "virtual",
    ];
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !KEYWORDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_type_expressions() {
        assert_eq!(
            parse_type("[ChatroomId]"),
            Ok(TypeExpr::List(Box::new(TypeExpr::Named(
                "ChatroomId".into()
            ))))
        );
        assert_eq!(
            parse_type("{[string]}"),
            Ok(TypeExpr::Map(Box::new(TypeExpr::List(Box::new(
                TypeExpr::String
            )))))
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
}
