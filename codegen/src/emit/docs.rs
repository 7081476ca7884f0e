//! Doc comments for emitted items, written from the spec.

use crate::ir::{Field, Rules, Ty};
use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc = "..."]` attributes, one per line, so prettyplease prints them as `///` lines.
pub fn doc_attrs(text: &str) -> TokenStream {
    let lines = text
        .trim_end()
        .lines()
        .map(|line| format!(" {line}").trim_end().to_owned());
    quote! { #( #[doc = #lines] )* }
}

/// `#![doc = "..."]` attributes, one per line: a file's own doc, printed as `//!` lines.
pub fn inner_doc_attrs(text: &str) -> TokenStream {
    let lines = text
        .trim_end()
        .lines()
        .map(|line| format!(" {line}").trim_end().to_owned());
    quote! { #( #![doc = #lines] )* }
}

/// A field's or parameter's doc, followed by its rules and the service's default.
pub fn field_doc(field: &Field) -> String {
    let mut doc = field.doc.trim_end().to_owned();
    let rules = describe_rules(&field.rules, &field.ty);
    if !rules.is_empty() {
        doc.push_str(&format!("\n\nValidated: {}.", rules.join("; ")));
    }
    if let Some(default) = field.default {
        doc.push_str(&format!("\n\nService default: `{default}`."));
    }
    doc
}

/// Human-readable rules, in the order the validator checks them.
pub fn describe_rules(rules: &Rules, ty: &Ty) -> Vec<String> {
    let mut out = Vec::new();
    match (rules.min_chars, rules.max_chars) {
        (Some(min), Some(max)) => out.push(format!("{min} to {max} characters")),
        (Some(1), None) => out.push("not empty".to_owned()),
        (Some(min), None) => out.push(format!("at least {min} characters")),
        (None, Some(max)) => out.push(format!("at most {max} characters")),
        (None, None) => {}
    }
    if let Some(chars) = &rules.forbid_chars {
        out.push(format!("must not contain any of `{chars}`"));
    }
    if rules.username {
        out.push("a username: 1 to 64 characters of `a-z A-Z 0-9 _ - .`".to_owned());
    }
    if rules.key_chars {
        out.push("only `a-z A-Z 0-9 _ - .`".to_owned());
    }
    match (rules.min, rules.max) {
        (Some(min), Some(max)) => out.push(format!("{min} to {max}")),
        (Some(min), None) => out.push(format!("at least {min}")),
        (None, Some(max)) => out.push(format!("at most {max}")),
        (None, None) => {}
    }
    match (rules.min_items, rules.max_items) {
        (Some(min), Some(max)) => out.push(format!("{min} to {max} items")),
        (Some(min), None) => out.push(format!("at least {min} item(s)")),
        (None, Some(max)) => out.push(format!("at most {max} items")),
        (None, None) => {}
    }
    if let Some(bound) = &rules.max_items_from {
        out.push(match bound.default {
            Some(default) => format!(
                "at most `{field}` items (`{default}` when `{field}` is unset)",
                field = bound.name
            ),
            None => format!("at most `{}` items", bound.name),
        });
    }
    if let (Some(items), Ty::List(item)) = (&rules.items, ty) {
        for rule in describe_rules(items, item) {
            out.push(format!("each item: {rule}"));
        }
    }
    if let (Some(keys), Ty::Map(_)) = (&rules.keys, ty) {
        for rule in describe_rules(keys, &Ty::String) {
            out.push(format!("each key: {rule}"));
        }
    }
    if let (Some(values), Ty::Map(value)) = (&rules.items, ty) {
        for rule in describe_rules(values, value) {
            out.push(format!("each value: {rule}"));
        }
    }
    out
}
