//! Emits what builds on an operation's plain method: for a paginated operation its
//! `PageQuery` impl and `*_page` / `*_stream` methods; for `batch`, a `*_batched` lookup of
//! any number of keys; for `bulk`, a `*_bulk` method over many values of a path parameter.

use super::docs::doc_attrs;
use super::{ident, rust_type};
use crate::ir::{Field, Ir, Operation, Ty, pascal_case};
use crate::spec::PaginationStyle;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The `PageQuery` impl of a paginated operation's query struct.
pub fn emit_page_query(op: &Operation, query: &proc_macro2::Ident) -> TokenStream {
    let Some(style) = op.pagination else {
        return TokenStream::new();
    };
    let largest = |name: &str| {
        let max = op
            .query_params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.rules.max)
            .unwrap_or(1);
        Literal::u32_unsuffixed(u32::try_from(max).unwrap_or(1))
    };
    let (next_page, largest_pages) = match style {
        PaginationStyle::Cursor => {
            let limit = largest("limit");
            (
                quote! {
                    fn next_page(&self, _items: usize, cursor: Option<&str>) -> Option<Self> {
                        crate::paginate::next_by_cursor(cursor).map(|cursor| Self { cursor: Some(cursor), ..self.clone() })
                    }

                    fn cursor(&self) -> Option<&str> {
                        self.cursor.as_deref()
                    }
                },
                quote!(Self { limit: self.limit.or(Some(#limit)), ..self }),
            )
        }
        PaginationStyle::PageNumber => {
            let pagesize = largest("pagesize");
            let default = op
                .query_params
                .iter()
                .find(|p| p.name == "pagesize")
                .and_then(|p| p.default);
            let default = default.map_or(pagesize.clone(), |d| {
                Literal::u32_unsuffixed(u32::try_from(d).unwrap_or(1))
            });
            (
                quote! {
                    fn next_page(&self, items: usize, _cursor: Option<&str>) -> Option<Self> {
                        // Without page parameters the service answers one capped list: no paging.
                        if self.pagenum.is_none() && self.pagesize.is_none() {
                            return None;
                        }
                        let pagesize = self.pagesize.unwrap_or(#default);
                        crate::paginate::next_by_number(self.pagenum.unwrap_or(1), pagesize, items)
                            .map(|pagenum| Self { pagenum: Some(pagenum), ..self.clone() })
                    }
                },
                quote!(Self { pagenum: self.pagenum.or(Some(1)), pagesize: self.pagesize.or(Some(#pagesize)), ..self }),
            )
        }
    };
    quote! {
        impl crate::paginate::PageQuery for #query {
            #next_page

            fn with_largest_pages(self) -> Self {
                #largest_pages
            }
        }
    }
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

/// The `*_page` and `*_stream` methods of a paginated operation.
pub fn emit_paged_methods(op: &Operation, query: &proc_macro2::Ident, item: &Ty) -> TokenStream {
    if op.pagination.is_none() {
        return TokenStream::new();
    }
    let (base, page, stream) = (
        ident(&op.id),
        ident(&format!("{}_page", op.id)),
        ident(&format!("{}_stream", op.id)),
    );
    let item = rust_type(item);
    let params: Vec<TokenStream> = op.path_params.iter().map(borrowed_param).collect();
    let args: Vec<_> = op.path_params.iter().map(|p| ident(&p.name)).collect();
    let owned: Vec<TokenStream> = op
        .path_params
        .iter()
        .map(|p| {
            let arg = ident(&p.name);
            match p.ty {
                Ty::String => quote!(let #arg = #arg.to_owned();),
                Ty::List(_) => quote!(let #arg = #arg.to_vec();),
                _ => quote!(let #arg = #arg.clone();),
            }
        })
        .collect();
    let meta = ident(&crate::ir::screaming_case(&op.id));
    let page_doc = doc_attrs(&format!(
        "One page of [`{id}`](Self::{id}): its items, and the query of the next page\n(`None` after the last page), which can be kept to resume later.",
        id = op.id
    ));
    let stream_doc = doc_attrs(&format!(
        "Every item of [`{id}`](Self::{id}), fetching pages lazily (with the largest page size\nunless `query` sets one). A page that would make the listing loop ends the stream with\n[`Error::Pagination`](crate::Error::Pagination); any other error ends it after that error.",
        id = op.id
    ));
    quote! {
        #page_doc
        pub async fn #page(&self, #(#params,)* query: &#query) -> Result<crate::paginate::Page<#item, #query>, crate::Error> {
            let response = self.#base(#(#args,)* query).await?;
            let next = crate::paginate::PageQuery::next_page(query, response.data.len(), response.cursor());
            Ok(crate::paginate::Page::new(response.data, next, response.meta))
        }

        #stream_doc
        pub fn #stream(&self, #(#params,)* query: #query) -> impl futures_util::Stream<Item = Result<#item, crate::Error>> + Send + 'static {
            let client = self.clone();
            #(#owned)*
            let first = crate::paginate::PageQuery::with_largest_pages(query);
            crate::paginate::stream(#meta.id, first, move |query| {
                let client = client.clone();
                #(let #args = #args.clone();)*
                async move { client.#page(#(&#args,)* &query).await }
            })
        }
    }
}

/// `*_batched`: any number of keys through a list path parameter, one answer per key.
pub fn emit_batched_method(ir: &Ir, op: &Operation) -> TokenStream {
    let Some(batch) = &op.batch else {
        return TokenStream::new();
    };
    let (Some(param), Ty::List(item)) = (
        op.path_params.iter().find(|p| p.name == batch.param),
        &op.response,
    ) else {
        return TokenStream::new();
    };
    let Ty::List(key) = &param.ty else {
        return TokenStream::new();
    };
    let (key, item) = (rust_type(key), rust_type(item));
    let (name, base, arg, field) = (
        ident(&format!("{}_batched", op.id)),
        ident(&op.id),
        ident(&param.name),
        ident(&batch.key),
    );
    let chunk = Literal::usize_unsuffixed(param.rules.max_items.map_or(1, |m| m as usize));
    let none_found = match (&batch.none_found, ir.error_code_type()) {
        (Some(code), Some(enum_name)) => {
            let (enum_name, variant) = (ident(enum_name), ident(&pascal_case(code)));
            quote!(Some(#enum_name::#variant))
        }
        _ => quote!(None),
    };
    let doc = doc_attrs(&format!(
        "[`{id}`](Self::{id}) for any number of `{param}`: duplicates removed, sent in chunks of at\nmost {chunk} with bounded concurrency, answered with one [`Lookup`](crate::bulk::Lookup) per\ndistinct key in the order given; keys the service did not return are `NotFound`.",
        id = op.id,
        param = param.name,
    ));
    quote! {
        #doc
        pub async fn #name(&self, #arg: &[#key], options: &crate::bulk::BulkOptions) -> Result<Vec<crate::bulk::Lookup<#key, #item>>, crate::Error> {
            let spec = crate::bulk::BatchSpec { chunk_size: #chunk, key_of: |item: &#item| &item.#field, none_found: #none_found };
            crate::bulk::lookup(#arg, spec, options, |chunk| async move {
                self.#base(&chunk).await.map(crate::Response::into_data)
            })
            .await
        }
    }
}

/// `*_bulk`: the operation for many values of one path parameter, one result each; a
/// paginated operation collects all pages of each value.
pub fn emit_bulk_method(
    op: &Operation,
    query: Option<&proc_macro2::Ident>,
    item: Option<&Ty>,
) -> TokenStream {
    let Some(param) = op
        .bulk
        .as_ref()
        .and_then(|name| op.path_params.iter().find(|p| p.name == *name))
    else {
        return TokenStream::new();
    };
    let value = rust_type(&param.ty);
    let (name, arg, values) = (
        ident(&format!("{}_bulk", op.id)),
        ident(&param.name),
        ident(&format!("{}s", param.name)),
    );
    let (result, call) = match (query, item, op.pagination) {
        (Some(query), Some(item), Some(_)) => {
            let stream = ident(&format!("{}_stream", op.id));
            let item = rust_type(item);
            (
                quote!(Vec<#item>),
                quote!(futures_util::TryStreamExt::try_collect(self.#stream(&#arg, #query::default())).await),
            )
        }
        _ => {
            let base = ident(&op.id);
            let (_, out, _) = super::operations::response_types(op);
            (
                quote!(crate::Response<#out>),
                quote!(self.#base(&#arg).await),
            )
        }
    };
    let doc = doc_attrs(&format!(
        "[`{id}`](Self::{id}) for many `{param}` values, with bounded concurrency and an optional\nprogress callback: one result per value, in the order given.",
        id = op.id,
        param = param.name,
    ));
    quote! {
        #doc
        pub async fn #name(&self, #values: &[#value], options: &crate::bulk::BulkOptions) -> Vec<(#value, Result<#result, crate::Error>)> {
            crate::bulk::run(#values.to_vec(), options, |#arg| async move { #call }).await
        }
    }
}
