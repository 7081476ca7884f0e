//! Emitters: one short function per construct, composed per generated file.

mod batch;
mod constants;
mod docs;
mod error_codes;
mod meta;
mod method;
mod operations;
mod pagination;
mod query;
mod signature;
mod types;
mod validate;

use crate::ir::{IntTy, Ir, Ty};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Emits every generated file as (path relative to the generated module, tokens).
pub fn emit(ir: &Ir) -> Vec<(String, TokenStream)> {
    vec![
        ("mod.rs".to_owned(), emit_mod(ir)),
        ("types.rs".to_owned(), types::emit_types(ir)),
        ("validate.rs".to_owned(), validate::emit_validate(ir)),
        ("operations.rs".to_owned(), operations::emit_operations(ir)),
    ]
}

fn emit_mod(ir: &Ir) -> TokenStream {
    let doc = docs::doc_attrs(&format!(
        "Code generated from the spec of the {}.\n\n{}",
        ir.title, ir.doc
    ));
    quote! {
        #doc
        pub mod operations;
        pub mod types;
        mod validate;
    }
}

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The Rust type of a spec type, as written inside the generated modules.
pub(crate) fn rust_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Bool => quote!(bool),
        Ty::Int(int) => int_type(*int),
        Ty::Json => quote!(serde_json::Value),
        Ty::Newtype(named) | Ty::Named(named) => {
            let name = ident(&named.name);
            quote!(#name)
        }
        Ty::List(item) => {
            let item = rust_type(item);
            quote!(Vec<#item>)
        }
        Ty::Map(value) => {
            let value = rust_type(value);
            quote!(std::collections::BTreeMap<String, #value>)
        }
    }
}

pub(crate) fn int_type(int: IntTy) -> TokenStream {
    let name = ident(int.name());
    quote!(#name)
}
