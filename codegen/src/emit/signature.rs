//! How an operation's arguments are written: the name of its query struct and each path
//! parameter as a generic argument that takes what a caller has at hand (`&str`, `String`,
//! the newtype, or any iterator of those for a list), normalized once at the top of the
//! method. Shared by the plain method and the methods built on it.

use super::{ident, rust_type};
use crate::ir::{Field, Operation, Ty, pascal_case};
use proc_macro2::TokenStream;
use quote::quote;

/// `list_chatrooms` -> `ListChatroomsQuery`.
pub fn query_struct_name(op: &Operation) -> String {
    format!("{}Query", pascal_case(&op.id))
}

/// A path parameter as an argument: `impl AsRef<str>` for a string-like value (`"123"`,
/// a `String`, the newtype or a reference to one), `impl IntoIterator<Item = impl AsRef<str>>`
/// for a list of them (an array of literals, a slice, a `Vec`), `&T` otherwise.
pub fn borrowed_param(p: &Field) -> TokenStream {
    let name = ident(&p.name);
    let ty = match &p.ty {
        Ty::List(item) if item.is_stringlike() => {
            quote!(impl IntoIterator<Item = impl AsRef<str>>)
        }
        Ty::List(item) => {
            let item = rust_type(item);
            quote!(&[#item])
        }
        ty if ty.is_stringlike() => quote!(impl AsRef<str>),
        other => {
            let ty = rust_type(other);
            quote!(&#ty)
        }
    };
    quote!(#name: #ty)
}

/// Rebinds a path parameter taken by [`borrowed_param`] to a borrowed `&str`, or a list of
/// them to a `Vec` of the caller's own items (references stay references: no string is
/// copied): what validation and the path then see. Empty for other types.
pub fn normalize_param(p: &Field) -> TokenStream {
    let name = ident(&p.name);
    match &p.ty {
        Ty::List(item) if item.is_stringlike() => {
            quote! {
                let #name: Vec<_> = #name.into_iter().collect();
            }
        }
        ty if ty.is_stringlike() => quote!(let #name: &str = AsRef::<str>::as_ref(&#name);),
        _ => TokenStream::new(),
    }
}

/// [`normalize_param`] for every path parameter of an operation.
pub fn normalize_params(op: &Operation) -> TokenStream {
    op.path_params.iter().map(normalize_param).collect()
}

/// An argument that takes many values of a path parameter (`*_bulk`, `*_batched`): any
/// iterator of `impl AsRef<str>` for a string-like `ty`, a slice otherwise.
pub fn many_values_param(name: &proc_macro2::Ident, ty: &Ty) -> TokenStream {
    if ty.is_stringlike() {
        quote!(#name: impl IntoIterator<Item = impl AsRef<str>>)
    } else {
        let ty = rust_type(ty);
        quote!(#name: &[#ty])
    }
}

/// Rebinds a [`many_values_param`] to an owned `Vec` of the parameter's own type.
pub fn collect_values(name: &proc_macro2::Ident, ty: &Ty) -> TokenStream {
    let rust = rust_type(ty);
    if !ty.is_stringlike() {
        return quote!(let #name: Vec<#rust> = #name.to_vec(););
    }
    quote! {
        let #name: Vec<#rust> = #name
            .into_iter()
            .map(|value| <#rust>::from(AsRef::<str>::as_ref(&value)))
            .collect();
    }
}
