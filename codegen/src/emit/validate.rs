//! Emits `<module>/validate.rs`: request validation from the spec's rules, checked before any I/O.

use super::ident;
use crate::ir::{Field, Ir, Rules, SiblingBound, Struct, Ty, TypeKind};
use proc_macro2::TokenStream;
use quote::quote;

/// `<module>/validate.rs`: `Validate` for the module's structs that have rules or are sent as
/// a body (so operations can check any body the same way); `None` when there is none.
pub fn emit_validate(ir: &Ir, module: usize) -> Option<TokenStream> {
    let impls: Vec<TokenStream> = ir
        .types_of(module)
        .filter_map(|(id, def)| match &def.kind {
            TypeKind::Struct(st) if st.has_rules() || ir.is_body(id) => {
                Some(emit_validate_impl(&ident(&def.name), st))
            }
            _ => None,
        })
        .collect();
    (!impls.is_empty()).then(|| {
        quote! {
            //! Request validation, from the rules of the spec.
            use super::types::*;
            #(#impls)*
        }
    })
}

/// `impl Validate for T`: every field's rules, then the struct's own.
pub(crate) fn emit_validate_impl(name: &proc_macro2::Ident, st: &Struct) -> TokenStream {
    let fields: Vec<TokenStream> = st
        .fields
        .iter()
        .map(|f| {
            let member = ident(&f.name);
            field_checks(f, quote!(&self.#member))
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
/// `&Option<T>` when the field is optional).
pub(crate) fn field_checks(field: &Field, value: TokenStream) -> TokenStream {
    let checks = value_checks(&field.wire, &field.ty, &field.rules);
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
fn value_checks(wire: &str, ty: &Ty, rules: &Rules) -> TokenStream {
    let field = quote!(#wire);
    let mut out = text_checks(&field, ty, rules);
    if let Ty::Int(_) = ty
        && (rules.min.is_some() || rules.max.is_some())
    {
        let (min, max) = (opt(rules.min), opt(rules.max));
        out.extend(quote!(checker.range(#field, i128::from(*value), #min, #max);));
    }
    if let Ty::Millis(_) = ty
        && (rules.min.is_some() || rules.max.is_some())
    {
        // "Forever" has no finite milliseconds and is never out of range.
        let (min, max) = (opt(rules.min), opt(rules.max));
        out.extend(quote! {
            if let Some(millis) = value.finite_millis() {
                checker.range(#field, i128::from(millis), #min, #max);
            }
        });
    }
    if let Ty::List(item) = ty {
        out.extend(list_checks(wire, item, rules));
    }
    if let Ty::Map(value) = ty {
        out.extend(map_checks(wire, value, rules));
    }
    out
}

/// A map's entry count, then each key's and each value's rules, named by the key.
fn map_checks(wire: &str, value: &Ty, rules: &Rules) -> TokenStream {
    let mut out = TokenStream::new();
    if rules.min_items.is_some() || rules.max_items.is_some() {
        let (min, max) = (opt(rules.min_items), opt(rules.max_items));
        out.extend(quote!(checker.items(#wire, value.len(), #min, #max);));
    }
    let key_checks = rules.keys.as_ref().map(|keys| {
        let field = quote!(crate::validate::Field::key(#wire, key));
        let checks = text_checks(&field, &Ty::String, keys);
        quote!({ let value = key; #checks })
    });
    let value_checks = rules.items.as_ref().map(|items| {
        let field = quote!(crate::validate::Field::value(#wire, key));
        text_checks(&field, value, items)
    });
    if key_checks.is_some() || value_checks.is_some() {
        out.extend(quote! {
            for (key, value) in value.iter() { #key_checks #value_checks }
        });
    }
    out
}

/// Character count, forbidden characters and the username format, for string-like values.
fn text_checks(field: &TokenStream, ty: &Ty, rules: &Rules) -> TokenStream {
    if !ty.is_stringlike() {
        return TokenStream::new();
    }
    // A secret is read only where a rule needs its text.
    let text = if *ty == Ty::Secret {
        quote!(crate::Secret::expose(value))
    } else {
        quote!(AsRef::<str>::as_ref(value))
    };
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
    if rules.key_chars {
        out.extend(quote!(checker.key_chars(#field, #text);));
    }
    out
}

/// The checks of one item of a list, bound as `value: &T` beside its `index`; empty when the
/// items have no rules.
pub(crate) fn item_checks(wire: &str, item: &Ty, rules: &Rules) -> TokenStream {
    let field = quote!(crate::validate::Field::item(#wire, index));
    text_checks(&field, item, rules)
}

fn list_checks(wire: &str, item: &Ty, rules: &Rules) -> TokenStream {
    let mut out = TokenStream::new();
    if rules.min_items.is_some() || rules.max_items.is_some() {
        let (min, max) = (opt(rules.min_items), opt(rules.max_items));
        out.extend(quote!(checker.items(#wire, value.len(), #min, #max);));
    }
    if let Some(sibling) = &rules.max_items_from {
        let bound = sibling_bound(sibling);
        let sibling_wire = &sibling.wire;
        out.extend(quote!(checker.items_within(#wire, value.len(), #sibling_wire, #bound);));
    }
    if rules.nested {
        out.extend(quote! {
            for (index, item) in value.iter().enumerate() {
                checker.within(crate::validate::Field::item(#wire, index), |checker| {
                    crate::validate::Validate::check(item, checker)
                });
            }
        });
    }
    if let Some(items) = &rules.items {
        let field = quote!(crate::validate::Field::item(#wire, index));
        let checks = text_checks(&field, item, items);
        out.extend(quote! {
            for (index, value) in value.iter().enumerate() { #checks }
        });
    }
    out
}

/// The value of the sibling integer field that bounds a list: its default when an optional
/// sibling is unset, and no bound when it has no default either.
fn sibling_bound(sibling: &SiblingBound) -> TokenStream {
    let member = ident(&sibling.name);
    if sibling.required {
        return quote!(i128::from(self.#member));
    }
    let default = match sibling.default {
        Some(default) => {
            let default = proc_macro2::Literal::i128_unsuffixed(i128::from(default));
            quote!(#default)
        }
        None => quote!(i128::MAX),
    };
    quote!(self.#member.map_or(#default, i128::from))
}

fn opt<T: quote::ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(value) => quote!(Some(#value)),
        None => quote!(None),
    }
}
