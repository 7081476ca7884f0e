//! Emits `operations.rs`: per operation its metadata, its query struct, its plain `Client`
//! method and the methods built on it (pages and streams, batched lookups, bulk runs).

use super::batch::{emit_batched_method, emit_bulk_method};
use super::ident;
use super::meta::emit_meta;
use super::method::emit_method;
use super::pagination::emit_paged_methods;
use super::query::emit_query_struct;
use super::signature::query_struct_name;
use crate::ir::{Ir, Operation, Ty, screaming_case};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit_operations(ir: &Ir) -> TokenStream {
    let metas = ir.operations.iter().map(|op| emit_meta(ir, op));
    let all = ir
        .operations
        .iter()
        .map(|op| ident(&screaming_case(&op.id)));
    let queries = ir.operations.iter().map(emit_query_struct);
    let methods = ir.operations.iter().map(|op| {
        let method = emit_method(ir, op);
        let derived = emit_derived_methods(op);
        quote!(#method #derived)
    });
    // Imports only what the file uses, so that it compiles without warnings.
    let types = ir.operations.iter().any(uses_declared_types).then(|| {
        quote!(
            use super::types::*;
        )
    });
    let runtime = if ir.operations.is_empty() {
        quote!(
            use crate::operation::OperationMeta;
        )
    } else {
        quote!(
            use crate::operation::{Method, OperationMeta, Pagination};
        )
    };
    quote! {
        //! Operations: metadata for the runtime, query parameters, and one `Client` method each.
        #types
        #runtime

        #(#metas)*

        /// Every operation of the spec, in spec order.
        pub const OPERATIONS: &[&OperationMeta] = &[#(&#all),*];

        #(#queries)*

        impl crate::Client {
            #(#methods)*
        }
    }
}

/// Page, stream, batched and bulk methods built on the operation's plain method.
fn emit_derived_methods(op: &Operation) -> TokenStream {
    let query = (!op.query_params.is_empty()).then(|| ident(&query_struct_name(op)));
    let item = op.response.list_item();
    let paged = match (&query, item, &op.pagination) {
        (Some(query), Some(item), Some(_)) => emit_paged_methods(op, query, item),
        _ => TokenStream::new(),
    };
    let batched = match (&op.batch, item) {
        (Some(batch), Some(item)) => emit_batched_method(op, batch, item),
        _ => TokenStream::new(),
    };
    let bulk = op
        .bulk
        .as_ref()
        .map(|bulk| emit_bulk_method(op, bulk, query.as_ref()));
    quote!(#paged #batched #bulk)
}

/// Whether the operation's code names a type of `types.rs`: its body, a parameter or
/// response type.
fn uses_declared_types(op: &Operation) -> bool {
    op.body.is_some()
        || names_declared_type(&op.response)
        || op
            .path_params
            .iter()
            .chain(&op.query_params)
            .any(|p| names_declared_type(&p.ty))
}

fn names_declared_type(ty: &Ty) -> bool {
    match ty {
        Ty::Newtype(_) | Ty::Named(_) => true,
        Ty::List(inner) | Ty::Map(inner) => names_declared_type(inner),
        Ty::String | Ty::Bool | Ty::Int(_) | Ty::Json => false,
    }
}
