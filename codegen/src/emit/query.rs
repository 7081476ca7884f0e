//! The query struct of an operation: its parameters with setters, validation, and the query
//! pairs sent (its `PageQuery` impl, which needs the HTTP client's runtime, is in the
//! module's `client.rs`).

use super::ident;
use super::signature::query_struct_name;
use super::types::emit_struct;
use super::validate::emit_validate_impl;
use crate::ir::{Operation, Struct};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit_query_struct(op: &Operation) -> TokenStream {
    if op.query_params.is_empty() {
        return TokenStream::new();
    }
    let name = query_struct_name(op);
    let doc = format!(
        "Query parameters of [`Client::{}`](crate::Client::{}).",
        op.id, op.id
    );
    let st = Struct {
        fields: op.query_params.clone(),
        min_fields: None,
        applied_flags: false,
        success_flag: None,
        tolerant: false,
        transparent: false,
    };
    let definition = emit_struct(&name, &doc, &st);
    let type_name = ident(&name);
    let validate = emit_validate_impl(&type_name, &st);
    let pairs = st.fields.iter().map(|f| {
        let member = ident(&f.name);
        let wire = &f.wire;
        if f.required {
            quote!(pairs.push((#wire, self.#member.to_string()));)
        } else {
            quote!(if let Some(value) = &self.#member { pairs.push((#wire, value.to_string())); })
        }
    });
    quote! {
        #definition
        #validate

        impl #type_name {
            /// The parameters that are set, as query pairs in spec order.
            pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
                let mut pairs = Vec::new();
                #(#pairs)*
                pairs
            }
        }
    }
}
