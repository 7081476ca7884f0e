//! Emits the operations: per operation, in its spec file's module, its metadata, its query
//! struct, its plain `Client` method and the methods built on it (pages and streams, batched
//! lookups, bulk runs); and the API-wide `operations.rs` that re-exports them all.

use super::batch::{emit_batched_method, emit_bulk_method};
use super::docs::inner_doc_attrs;
use super::ident;
use super::meta::emit_meta;
use super::method::{emit_method, list_item_type};
use super::pagination::{emit_page_query, emit_paged_methods};
use super::query::emit_query_struct;
use super::signature::query_struct_name;
use crate::ir::{Ir, Operation, Ty, screaming_case};
use proc_macro2::TokenStream;
use quote::quote;

/// `<module>/operations.rs`: the operations of one spec file: their metadata and query
/// structs (with validation), which need no HTTP client.
pub fn emit_module_operations(ir: &Ir, module: usize) -> TokenStream {
    let ops: Vec<&Operation> = ir.operations_of(module).collect();
    let metas = ops.iter().map(|op| emit_meta(ir, op));
    let queries = ops.iter().map(|op| emit_query_struct(op));
    // Imports only what the file uses, so that it compiles without warnings.
    let types = ops
        .iter()
        .any(|op| op.query_params.iter().any(|p| names_declared_type(&p.ty)))
        .then(|| {
            quote!(
                use super::super::types::*;
            )
        });
    let doc = inner_doc_attrs(&format!(
        "Operations declared in `{}`: metadata for the runtime and query parameters (the\n`Client` methods are in `client.rs`).",
        ir.modules[module].spec_file
    ));
    quote! {
        #doc
        #types
        use crate::operation::{Method, OperationMeta, Pagination, Payload};

        #(#metas)*
        #(#queries)*
    }
}

/// `<module>/client.rs`: one `Client` method per operation, the methods built on it, and the
/// paging of the query structs; compiled only with the runtime's `client` feature.
pub fn emit_module_client(ir: &Ir, module: usize) -> TokenStream {
    let ops: Vec<&Operation> = ir.operations_of(module).collect();
    let page_queries = ops.iter().filter_map(|op| {
        let query = ident(&query_struct_name(op));
        let pagination = op
            .pagination
            .as_ref()
            .filter(|_| !op.query_params.is_empty())?;
        Some(emit_page_query(pagination, &query))
    });
    let methods = ops.iter().map(|op| {
        let method = emit_method(ir, op);
        let derived = emit_derived_methods(op);
        quote!(#method #derived)
    });
    let types = ops.iter().any(|op| uses_declared_types(op)).then(|| {
        quote!(
            use super::super::types::*;
        )
    });
    let doc = inner_doc_attrs(&format!(
        "The `Client` methods of the operations declared in `{}`.",
        ir.modules[module].spec_file
    ));
    quote! {
        #doc
        #types
        use super::operations::*;

        #(#page_queries)*

        impl crate::Client {
            #(#methods)*
        }
    }
}

/// `operations.rs`: every operation of the API (re-exported from the modules) and the list
/// of all their metadata.
pub fn emit_api_operations(ir: &Ir, modules: &[usize]) -> TokenStream {
    let reexports = modules.iter().map(|&m| {
        let module = ident(&ir.modules[m].name);
        quote!(pub use super::#module::operations::*;)
    });
    let all = ir
        .operations
        .iter()
        .map(|op| ident(&screaming_case(&op.id)));
    quote! {
        //! Operations: metadata for the runtime, query parameters, and one `Client` method each.
        use crate::operation::OperationMeta;
        #(#reexports)*

        /// Every operation of the spec, in spec order.
        pub const OPERATIONS: &[&OperationMeta] = &[#(&#all),*];
    }
}

/// Page, stream, batched and bulk methods built on the operation's plain method.
fn emit_derived_methods(op: &Operation) -> TokenStream {
    let query = (!op.query_params.is_empty()).then(|| ident(&query_struct_name(op)));
    let item = list_item_type(op);
    let paged = match (&query, &item, &op.pagination) {
        (Some(query), Some(item), Some(_)) => emit_paged_methods(op, query, item),
        _ => TokenStream::new(),
    };
    let batched = op
        .batch
        .as_ref()
        .map(|batch| emit_batched_method(op, batch));
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
        Ty::Newtype(_) | Ty::Named(_) | Ty::Millis(_) => true,
        Ty::List(inner) | Ty::Map(inner) => names_declared_type(inner),
        Ty::String | Ty::Bool | Ty::Int(_) | Ty::Json | Ty::Secret => false,
    }
}
