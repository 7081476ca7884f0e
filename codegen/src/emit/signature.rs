//! How an operation's arguments are written: the name of its query struct and each path
//! parameter as a borrowed argument. Shared by the plain method and the methods built on it.

use super::{ident, rust_type};
use crate::ir::{Field, Operation, Ty, pascal_case};
use proc_macro2::TokenStream;
use quote::quote;

/// `list_chatrooms` -> `ListChatroomsQuery`.
pub fn query_struct_name(op: &Operation) -> String {
    format!("{}Query", pascal_case(&op.id))
}

/// A path parameter as a borrowed argument: `&str`, `&Name` or `&[Item]`.
pub fn borrowed_param(p: &Field) -> TokenStream {
    let name = ident(&p.name);
    let ty = match &p.ty {
        Ty::List(item) => {
            let item = rust_type(item);
            quote!(&[#item])
        }
        Ty::String => quote!(&str),
        other => {
            let ty = rust_type(other);
            quote!(&#ty)
        }
    };
    quote!(#name: #ty)
}
