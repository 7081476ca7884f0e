//! The `OperationMeta` constant of each operation: what the runtime knows about it.

use super::ident;
use crate::ir::{Ir, Operation, Pagination, screaming_case};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit_meta(ir: &Ir, op: &Operation) -> TokenStream {
    let name = ident(&screaming_case(&op.id));
    let doc = format!(
        " Metadata of [`Client::{}`](crate::Client::{}).",
        op.id, op.id
    );
    let id = &op.id;
    let method = ident(op.method.variant());
    let path = format!("{}{}", ir.base_path, op.path);
    let rate = op.rate_limit_per_sec;
    let retry_safe = op.retry_safe;
    let observes_done = match &op.retry_observes_done {
        Some(code) => quote!(Some(#code)),
        None => quote!(None),
    };
    let payload = ident(op.payload.variant());
    let param_limits = super::constants::param_consts(&op.id, &op.path_params);
    let pagination = ident(match op.pagination {
        None => "None",
        Some(Pagination::Cursor { .. }) => "Cursor",
        Some(Pagination::PageNumber { .. }) => "PageNumber",
    });
    quote! {
        #[doc = #doc]
        pub const #name: OperationMeta = OperationMeta {
            id: #id,
            method: Method::#method,
            path: #path,
            rate_limit_per_sec: #rate,
            retry_safe: #retry_safe,
            retry_observes_done: #observes_done,
            pagination: Pagination::#pagination,
            payload: Payload::#payload,
        };
        #param_limits
    }
}
