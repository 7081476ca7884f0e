//! Methods over many values of a path parameter: `*_batched` looks up any number of keys
//! through a list path parameter (chunked), `*_bulk` runs the operation once per value.

use super::docs::doc_attrs;
use super::method::{list_item_type, response_types};
use super::signature::{borrowed_param, query_struct_name};
use super::validate::item_checks;
use super::{ident, rust_type};
use crate::ir::{Batch, BatchAnswer, BatchSource, Bulk, Operation, screaming_case};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

/// `*_batched`: any number of keys through the batch's list parameter, chunked by its
/// `max_items`, the other arguments fixed: a lookup answers one [`Lookup`] per key, a write one
/// `ItemReport` per key.
pub fn emit_batched_method(op: &Operation, batch: &Batch) -> TokenStream {
    match &batch.answer {
        BatchAnswer::Lookup { key, none_found } => {
            let BatchSource::Path(param) = batch.source else {
                return TokenStream::new();
            };
            match list_item_type(op) {
                Some(item) => emit_lookup(op, batch, param, key, none_found.as_deref(), &item),
                None => TokenStream::new(),
            }
        }
        BatchAnswer::ItemResults { key } => {
            let Some(item) = op.response.list_item() else {
                return TokenStream::new();
            };
            let item = rust_type(item);
            let field = ident(key);
            let answer = quote!(crate::bulk::by_item_results(response.into_data(), |item: &#item| &item.#field));
            emit_write(op, batch, &item, answer)
        }
        BatchAnswer::AppliedList { field } => {
            let field = ident(field);
            let answer = quote!(crate::bulk::by_applied_list(response.into_data().#field));
            emit_write(op, batch, &quote!(()), answer)
        }
    }
}

/// A lookup: duplicates removed, one [`Lookup`](crate::bulk::Lookup) per distinct key.
fn emit_lookup(
    op: &Operation,
    batch: &Batch,
    param_index: usize,
    key: &str,
    none_found: Option<&str>,
    item: &TokenStream,
) -> TokenStream {
    let param = &op.path_params[param_index];
    let key_ty = rust_type(&batch.item);
    let (name, base, arg, field) = (
        ident(&format!("{}_batched", op.id)),
        ident(&op.id),
        ident(&param.name),
        ident(key),
    );
    let (params, args) = fixed_arguments(op, batch, &key_ty);
    let chunk = Literal::usize_unsuffixed(batch.chunk as usize);
    let none_found = match none_found {
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
        pub async fn #name(&self, #(#params,)* options: &crate::bulk::BulkOptions) -> Result<Vec<crate::bulk::Lookup<#key_ty, #item>>, crate::Error> {
            let spec = crate::bulk::BatchSpec { chunk_size: #chunk, key_of: |item: &#item| &item.#field, none_found: #none_found };
            crate::bulk::lookup(#arg, spec, options, |chunk| async move {
                self.#base(#(#args),*).await.map(crate::Response::into_data)
            })
            .await
        }
    }
}

/// A write: every key checked on its own, chunks sent with bounded concurrency, one
/// `ItemReport` per input key in input order; `answer` turns a chunk's `response` into
/// per-key outcomes.
fn emit_write(
    op: &Operation,
    batch: &Batch,
    outcome: &TokenStream,
    answer: TokenStream,
) -> TokenStream {
    let key_ty = rust_type(&batch.item);
    let name = ident(&format!("{}_batched", op.id));
    let base = ident(&op.id);
    let keys = ident(keys_name(op, batch));
    let meta = ident(&screaming_case(&op.id));
    let (params, args) = fixed_arguments(op, batch, &key_ty);
    let chunk = Literal::usize_unsuffixed(batch.chunk as usize);
    let check = item_check(batch, &key_ty, &meta);
    let body = chunk_body(batch);
    let doc = doc_attrs(&format!(
        "[`{id}`](Self::{id}) for any number of `{keys}`: each checked on its own (one that breaks a\nrule is reported, not sent), duplicates sent once, the rest in requests of at most {chunk}\nwith bounded concurrency. One [`ItemReport`](crate::bulk::ItemReport) per key given, in\nthe order given: applied, refused with the service's reason, or the error of its request\n(a failed request never hides what the others did).",
        id = op.id,
        keys = batch.wire,
    ));
    quote! {
        #doc
        pub async fn #name(&self, #(#params,)* options: &crate::bulk::BulkOptions) -> Vec<crate::bulk::ItemReport<#key_ty, #outcome>> {
            let spec = crate::bulk::WriteSpec {
                chunk_size: #chunk,
                check: #check,
                send: |chunk: Vec<#key_ty>| async move {
                    #body
                    let response = self.#base(#(#args),*).await?;
                    Ok(#answer)
                },
            };
            crate::bulk::apply(#keys, spec, options).await
        }
    }
}

/// The Rust name of the keys' argument: the list path parameter or the body field.
fn keys_name<'a>(op: &'a Operation, batch: &'a Batch) -> &'a str {
    match &batch.source {
        BatchSource::Path(index) => &op.path_params[*index].name,
        BatchSource::Body { field, .. } => field,
    }
}

/// `|index, value| -> Result<(), Error>`: the spec's rules for one key.
fn item_check(batch: &Batch, key_ty: &TokenStream, meta: &Ident) -> TokenStream {
    let checks = batch
        .item_rules
        .as_ref()
        .map(|rules| item_checks(&batch.wire, &batch.item, rules))
        .unwrap_or_default();
    if checks.is_empty() {
        return quote!(|_: usize, _: &#key_ty| Ok(()));
    }
    quote! {
        |index: usize, value: &#key_ty| {
            let mut checker = crate::validate::Checker::default();
            #checks
            checker.finish().map_err(|source| crate::Error::validation(&#meta, source))
        }
    }
}

/// The body of one chunk's request, for keys that go in the body.
fn chunk_body(batch: &Batch) -> TokenStream {
    let BatchSource::Body { body, field, alone } = &batch.source else {
        return TokenStream::new();
    };
    let (body_ty, field) = (ident(&body.name), ident(field));
    if *alone {
        quote!(let body = #body_ty { #field: chunk };)
    } else {
        quote! {
            let mut body = body.clone();
            body.#field = chunk;
        }
    }
}

/// The batched method's parameters and the plain method's arguments: the keys' list path
/// parameter becomes the keys (the chunk in the call), every other argument stays fixed; a
/// body whose only field holds the keys is built per chunk instead of taken.
fn fixed_arguments(
    op: &Operation,
    batch: &Batch,
    key_ty: &TokenStream,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut params = Vec::new();
    let mut args = Vec::new();
    for (index, p) in op.path_params.iter().enumerate() {
        let name = ident(&p.name);
        if batch.source == BatchSource::Path(index) {
            params.push(quote!(#name: &[#key_ty]));
            args.push(quote!(&chunk));
        } else {
            params.push(borrowed_param(p));
            args.push(quote!(#name));
        }
    }
    if !op.query_params.is_empty() {
        let query = ident(&query_struct_name(op));
        params.push(quote!(query: &#query));
        args.push(quote!(query));
    }
    match (&op.body, &batch.source) {
        (Some(_), BatchSource::Body { field, alone, .. }) => {
            let field = ident(field);
            params.push(quote!(#field: &[#key_ty]));
            if !*alone {
                let body_ty = op.body.as_ref().map(|b| ident(&b.name));
                params.push(quote!(body: &#body_ty));
            }
            args.push(quote!(&body));
        }
        (Some(body), _) => {
            let body_ty = ident(&body.name);
            params.push(quote!(body: &#body_ty));
            args.push(quote!(body));
        }
        (None, _) => {}
    }
    (params, args)
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
    for (index, p) in op.path_params.iter().enumerate() {
        if index == bulk.param {
            params.push(quote!(#values: &[#value]));
            args.push(quote!(&#arg));
        } else {
            params.push(borrowed_param(p));
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
            crate::bulk::run(#values.to_vec(), options, |#arg| async move { #call }).await
        }
    }
}
