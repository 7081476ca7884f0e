//! The spec's numbers as constants — defaults, ranges, lengths, item counts — so that code
//! which must agree with the spec (the emulator, callers sizing their input) reads them
//! instead of repeating them.

use super::{ident, int_type};
use crate::ir::{Field, Ty};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// Associated constants for the numbers of `fields` (inside an `impl` block).
pub fn field_consts(fields: &[Field]) -> TokenStream {
    fields
        .iter()
        .map(|f| field_limits(&f.name.to_ascii_uppercase(), f))
        .collect()
}

/// Free constants for the numbers of an operation's path parameters, prefixed by the
/// operation (e.g. `GET_CHATROOMS_CHATROOM_IDS_MAX_ITEMS`).
pub fn param_consts(operation: &str, params: &[Field]) -> TokenStream {
    params
        .iter()
        .map(|p| field_limits(&format!("{}_{}", operation, p.name).to_ascii_uppercase(), p))
        .collect()
}

fn field_limits(prefix: &str, field: &Field) -> TokenStream {
    let rules = &field.rules;
    let mut out = TokenStream::new();
    if let Ty::Int(int) = field.ty {
        let ty = int_type(int);
        for (suffix, value, what) in [
            ("DEFAULT", field.default, "The service's default"),
            ("MIN", rules.min, "The smallest value allowed"),
            ("MAX", rules.max, "The largest value allowed"),
        ] {
            if let Some(value) = value {
                out.extend(constant(
                    prefix,
                    suffix,
                    &ty,
                    Literal::i64_unsuffixed(value),
                    what,
                    &field.name,
                ));
            }
        }
    }
    let usize_ty = quote!(usize);
    let counts = [
        (
            "MIN_CHARS",
            rules.min_chars,
            "The fewest characters allowed",
        ),
        ("MAX_CHARS", rules.max_chars, "The most characters allowed"),
        ("MIN_ITEMS", rules.min_items, "The fewest items allowed"),
        ("MAX_ITEMS", rules.max_items, "The most items allowed"),
    ];
    let map_rules = match field.ty {
        Ty::Map(_) => [rules.keys.as_deref(), rules.items.as_deref()],
        _ => [None, None],
    };
    let entries = [
        (
            "KEY_MAX_CHARS",
            map_rules[0].and_then(|r| r.max_chars),
            "The most characters allowed in each key",
        ),
        (
            "VALUE_MAX_CHARS",
            map_rules[1].and_then(|r| r.max_chars),
            "The most characters allowed in each value",
        ),
    ];
    for (suffix, value, what) in counts.into_iter().chain(entries) {
        if let Some(value) = value {
            out.extend(constant(
                prefix,
                suffix,
                &usize_ty,
                Literal::u32_unsuffixed(value),
                what,
                &field.name,
            ));
        }
    }
    out
}

fn constant(
    prefix: &str,
    suffix: &str,
    ty: &TokenStream,
    value: Literal,
    what: &str,
    field: &str,
) -> TokenStream {
    let name = ident(&format!("{prefix}_{suffix}"));
    let doc = format!(" {what} for `{field}`.");
    quote! {
        #[doc = #doc]
        pub const #name: #ty = #value;
    }
}
