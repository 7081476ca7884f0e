//! Methods over many values of a path parameter: `*_batched` looks up any number of keys
//! through a list path parameter (chunked), `*_bulk` runs the operation once per value.

use super::docs::doc_attrs;
use super::method::{list_item_type, response_types};
use super::signature::{borrowed_param, collect_values, many_values_param, normalize_param};
use super::{ident, rust_type};
use crate::ir::{Batch, Bulk, Chunked, Operation};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

/// `*_batched`: any number of keys through a list path parameter, chunked by its
/// `max_items`, the other path parameters fixed; one answer per key, in the order given.
pub fn emit_batched_method(op: &Operation, batch: &Batch, item: &TokenStream) -> TokenStream {
    let param = &op.path_params[batch.param];
    let Some(key_ty) = param.ty.list_item() else {
        return TokenStream::new();
    };
    let key = rust_type(key_ty);
    let (name, base, arg, field) = (
        ident(&format!("{}_batched", op.id)),
        ident(&op.id),
        ident(&param.name),
        ident(&batch.key),
    );
    let mut params = Vec::new();
    let mut args = Vec::new();
    let mut normalize = TokenStream::new();
    for (index, p) in op.path_params.iter().enumerate() {
        if index == batch.param {
            params.push(many_values_param(&arg, key_ty));
            normalize.extend(collect_values(&arg, key_ty));
            args.push(quote!(&chunk));
        } else {
            params.push(borrowed_param(p));
            normalize.extend(normalize_param(p));
            let fixed = ident(&p.name);
            args.push(quote!(#fixed));
        }
    }
    // A per-item result keeps the item's own fields (and so its key) in `item`.
    let key_of = if op.item_results {
        quote!(&item.item.#field)
    } else {
        quote!(&item.#field)
    };
    let chunk = Literal::usize_unsuffixed(batch.chunk as usize);
    let none_found = match &batch.none_found {
        Some(code) => quote!(Some(#code)),
        None => quote!(None),
    };
    let doc = doc_attrs(&format!(
        "[`{id}`](Self::{id}) for any number of `{param}`: duplicates removed, sent in chunks of at\nmost {chunk} with bounded concurrency, answered with one [`Lookup`](crate::bulk::Lookup) per\ndistinct key in the order given; keys the service did not return are `NotFound`.",
        id = op.id,
        param = param.name,
    ));
    quote! {
        #doc
        pub async fn #name(&self, #(#params,)* options: &crate::bulk::BulkOptions) -> Result<Vec<crate::bulk::Lookup<#key, #item>>, crate::Error> {
            #normalize
            let spec = crate::bulk::BatchSpec { chunk_size: #chunk, key_of: |item: &#item| #key_of, none_found: #none_found };
            crate::bulk::lookup(&#arg, spec, options, |chunk| async move {
                self.#base(#(#args),*).await.map(crate::Response::into_data)
            })
            .await
        }
    }
}

/// `*_bulk`: the operation for many values of one path parameter, the other arguments fixed;
/// one result per value. A paginated operation collects all pages of each value.
pub fn emit_bulk_method(op: &Operation, bulk: &Bulk, query: Option<&Ident>) -> TokenStream {
    let param = &op.path_params[bulk.param];
    let value = rust_type(&param.ty);
    let (name, arg, values) = (
        ident(&format!("{}_bulk", op.id)),
        ident(&param.name),
        ident(&format!("{}s", param.name)),
    );
    let mut params = Vec::new();
    let mut args = Vec::new();
    let mut normalize = TokenStream::new();
    for (index, p) in op.path_params.iter().enumerate() {
        if index == bulk.param {
            params.push(many_values_param(&values, &param.ty));
            normalize.extend(collect_values(&values, &param.ty));
            args.push(quote!(&#arg));
        } else {
            params.push(borrowed_param(p));
            normalize.extend(normalize_param(p));
            let fixed = ident(&p.name);
            args.push(quote!(#fixed));
        }
    }
    let (result, call) = match (query, list_item_type(op), &op.pagination) {
        (Some(query), Some(item), Some(_)) => {
            let stream = ident(&format!("{}_stream", op.id));
            (
                quote!(Vec<#item>),
                quote!(futures_util::TryStreamExt::try_collect(self.#stream(#(#args,)* #query::default())).await),
            )
        }
        _ => {
            if let Some(query) = query {
                params.push(quote!(query: &#query));
                args.push(quote!(query));
            }
            if let Some(body) = &op.body {
                let body = ident(&body.name);
                params.push(quote!(body: &#body));
                args.push(quote!(body));
            }
            let base = ident(&op.id);
            let (_, out, _) = response_types(op);
            (
                quote!(crate::Response<#out>),
                quote!(self.#base(#(#args),*).await),
            )
        }
    };
    let doc = doc_attrs(&format!(
        "[`{id}`](Self::{id}) for many `{param}` values, the other arguments fixed, with bounded\nconcurrency and an optional progress callback: one result per value, in the order given.",
        id = op.id,
        param = param.name,
    ));
    quote! {
        #doc
        pub async fn #name(&self, #(#params,)* options: &crate::bulk::BulkOptions) -> Vec<(#value, Result<#result, crate::Error>)> {
            #normalize
            crate::bulk::run(#values, options, |#arg| async move { #call }).await
        }
    }
}

/// `*_chunked`: any number of items of the operation's list body, in chunks of at most its
/// `max_items`, reported item by item in the order given.
pub fn emit_chunked_method(op: &Operation, chunked: &Chunked) -> TokenStream {
    let Some(body) = &op.body else {
        return TokenStream::new();
    };
    let (name, base) = (ident(&format!("{}_chunked", op.id)), ident(&op.id));
    let (body, item) = (ident(&body.name), ident(&chunked.item.name));
    let (list, key) = (ident(&chunked.list_field), ident(&chunked.key));
    let (succeeded, failed, reason) = (
        ident(&chunked.succeeded),
        ident(&chunked.failed),
        ident(&chunked.reason),
    );
    let done = ident(&chunked.done.name);
    let chunk = Literal::usize_unsuffixed(chunked.chunk as usize);
    let doc = doc_attrs(&format!(
        "[`{id}`](Self::{id}) for any number of items: sent in chunks of at most {chunk} (never\nover the service's limit) with bounded concurrency, reported item by item in the order\ngiven, matched by `{key}` (case-insensitively). A name given twice is sent once; the\nrepeat is reported as a duplicate. A chunk that fails as a whole fails each of its items\nwith the same error.",
        id = op.id,
        chunk = chunked.chunk,
        key = chunked.key,
    ));
    quote! {
        #doc
        pub async fn #name(
            &self,
            #list: &[#item],
            options: &crate::bulk::BulkOptions,
        ) -> Vec<crate::bulk::ItemReport<#done>> {
            fn key_of(item: &#item) -> &str {
                item.#key.as_str()
            }
            crate::bulk::chunked(#list, #chunk, key_of, options, |chunk| async move {
                let answer = self.#base(&#body::new(chunk)).await?.into_data();
                Ok(crate::bulk::ChunkAnswer {
                    succeeded: answer.#succeeded.into_iter().flatten().map(|item| (item.#key.clone(), item)).collect(),
                    failed: answer.#failed.into_iter().flatten().map(|item| (item.#key, item.#reason)).collect(),
                })
            })
            .await
        }
    }
}
