//! Emits `validate.rs`: request validation from the spec's rules, checked before any I/O.

use super::ident;
use crate::ir::{Field, Ir, Rules, Struct, Ty, TypeKind};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit_validate(ir: &Ir) -> TokenStream {
    // Every body type implements `Validate`, so operations can check any body the same way.
    let is_body = |name: &str| {
        ir.operations
            .iter()
            .any(|op| op.body.as_deref() == Some(name))
    };
    let impls = ir.types.iter().filter_map(|def| match &def.kind {
        TypeKind::Struct(st) if st.has_rules() || is_body(&def.name) => {
            Some(emit_validate_impl(ir, &ident(&def.name), st))
        }
        _ => None,
    });
    quote! {
        //! Request validation, from the rules of the spec.
        use super::types::*;
        #(#impls)*
    }
}

/// `impl Validate for T`: every field's rules, then the struct's own.
pub(crate) fn emit_validate_impl(ir: &Ir, name: &proc_macro2::Ident, st: &Struct) -> TokenStream {
    let fields: Vec<TokenStream> = st
        .fields
        .iter()
        .map(|f| {
            let member = ident(&f.name);
            field_checks(ir, f, quote!(&self.#member), &st.fields)
        })
        .filter(|checks| !checks.is_empty())
        .collect();
    let min_fields = st.min_fields.map(|min| {
        let set = st.fields.iter().filter(|f| !f.required).map(|f| {
            let wire = &f.wire;
            let member = ident(&f.name);
            quote!((#wire, self.#member.is_some()))
        });
        quote!(checker.min_fields(&[#(#set),*], #min);)
    });
    // A type without rules still implements `Validate`, with nothing to check.
    let checker = if fields.is_empty() && min_fields.is_none() {
        quote!(_checker)
    } else {
        quote!(checker)
    };
    quote! {
        impl crate::validate::Validate for #name {
            fn check(&self, #checker: &mut crate::validate::Checker) {
                #(#fields)*
                #min_fields
            }
        }
    }
}

/// The checks of one field or parameter; `value` is an expression of type `&T` (or
/// `&Option<T>` when the field is optional). `siblings` resolves `max_items_from`.
pub(crate) fn field_checks(
    ir: &Ir,
    field: &Field,
    value: TokenStream,
    siblings: &[Field],
) -> TokenStream {
    let checks = value_checks(ir, &field.wire, &field.ty, &field.rules, siblings);
    if checks.is_empty() {
        return TokenStream::new();
    }
    if field.required {
        quote! { { let value = #value; #checks } }
    } else {
        quote! { if let Some(value) = #value { #checks } }
    }
}

/// Checks of a value bound as `value: &T`.
fn value_checks(ir: &Ir, wire: &str, ty: &Ty, rules: &Rules, siblings: &[Field]) -> TokenStream {
    let field = quote!(#wire);
    let mut out = text_checks(ir, &field, ty, rules);
    if let Ty::Int(_) = ty
        && (rules.min.is_some() || rules.max.is_some())
    {
        let (min, max) = (opt(rules.min), opt(rules.max));
        out.extend(quote!(checker.range(#field, i128::from(*value), #min, #max);));
    }
    if let Ty::List(item) = ty {
        out.extend(list_checks(ir, wire, item, rules, siblings));
    }
    out
}

/// Character count, forbidden characters and the username format, for string-like values.
fn text_checks(ir: &Ir, field: &TokenStream, ty: &Ty, rules: &Rules) -> TokenStream {
    if !ir.is_stringlike(ty) {
        return TokenStream::new();
    }
    let text = quote!(AsRef::<str>::as_ref(value));
    let mut out = TokenStream::new();
    if rules.min_chars.is_some() || rules.max_chars.is_some() {
        let (min, max) = (opt(rules.min_chars), opt(rules.max_chars));
        out.extend(quote!(checker.chars(#field, #text, #min, #max);));
    }
    if let Some(chars) = &rules.forbid_chars {
        out.extend(quote!(checker.forbid_chars(#field, #text, #chars);));
    }
    if rules.username {
        out.extend(quote!(checker.username(#field, #text);));
    }
    out
}

fn list_checks(ir: &Ir, wire: &str, item: &Ty, rules: &Rules, siblings: &[Field]) -> TokenStream {
    let mut out = TokenStream::new();
    if rules.min_items.is_some() || rules.max_items.is_some() {
        let (min, max) = (opt(rules.min_items), opt(rules.max_items));
        out.extend(quote!(checker.items(#wire, value.len(), #min, #max);));
    }
    if let Some((sibling, default)) = &rules.max_items_from {
        let bound = sibling_bound(siblings, sibling, *default);
        let sibling_wire = siblings
            .iter()
            .find(|f| f.name == *sibling)
            .map_or(sibling.as_str(), |f| f.wire.as_str());
        out.extend(quote!(checker.items_within(#wire, value.len(), #sibling_wire, #bound);));
    }
    if let Some(items) = &rules.items {
        let field = quote!(crate::validate::Field::item(#wire, index));
        let checks = text_checks(ir, &field, item, items);
        out.extend(quote! {
            for (index, value) in value.iter().enumerate() { #checks }
        });
    }
    out
}

/// The value of the sibling integer field that bounds a list, or its default when unset.
fn sibling_bound(siblings: &[Field], sibling: &str, default: i64) -> TokenStream {
    let member = ident(sibling);
    let required = siblings.iter().any(|f| f.name == sibling && f.required);
    // The default only matters (and is only documented) for an optional sibling.
    if required {
        quote!(i128::from(self.#member))
    } else {
        let default = proc_macro2::Literal::i128_unsuffixed(i128::from(default));
        quote!(self.#member.map_or(#default, i128::from))
    }
}

fn opt<T: quote::ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(value) => quote!(Some(#value)),
        None => quote!(None),
    }
}
