//! Pagination: the `PageQuery` impl of a paginated operation's query struct, and its
//! `*_page` (resumable) and `*_stream` methods. The query parameters it pages by are named by
//! the spec.

use super::docs::doc_attrs;
use super::ident;
use super::signature::borrowed_param;
use crate::ir::{Operation, Pagination, Ty, screaming_case};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

/// The `PageQuery` impl of a paginated operation's query struct.
pub fn emit_page_query(pagination: &Pagination, query: &Ident) -> TokenStream {
    let (next_page, largest_pages) = match pagination {
        Pagination::Cursor {
            size,
            cursor,
            max_size,
        } => cursor_page_query(&ident(size), &ident(cursor), *max_size),
        Pagination::PageNumber {
            number,
            size,
            max_size,
            default_size,
        } => page_number_query(&ident(number), &ident(size), *max_size, *default_size),
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

/// (`next_page` and `cursor`, the body of `with_largest_pages`) for cursor pagination.
fn cursor_page_query(size: &Ident, cursor: &Ident, max_size: u32) -> (TokenStream, TokenStream) {
    let largest = Literal::u32_unsuffixed(max_size);
    (
        quote! {
            fn next_page(&self, _items: usize, cursor: Option<&str>) -> Option<Self> {
                crate::paginate::next_by_cursor(cursor).map(|cursor| Self { #cursor: Some(cursor), ..self.clone() })
            }

            fn cursor(&self) -> Option<&str> {
                self.#cursor.as_deref()
            }
        },
        quote!(Self { #size: self.#size.or(Some(#largest)), ..self }),
    )
}

/// (`next_page`, the body of `with_largest_pages`) for page-number pagination.
fn page_number_query(
    number: &Ident,
    size: &Ident,
    max_size: u32,
    default_size: u32,
) -> (TokenStream, TokenStream) {
    let (largest, default) = (
        Literal::u32_unsuffixed(max_size),
        Literal::u32_unsuffixed(default_size),
    );
    (
        quote! {
            fn next_page(&self, items: usize, _cursor: Option<&str>) -> Option<Self> {
                // Without page parameters the service answers one capped list: no paging.
                if self.#number.is_none() && self.#size.is_none() {
                    return None;
                }
                let size = self.#size.unwrap_or(#default);
                crate::paginate::next_by_number(self.#number.unwrap_or(1), size, items)
                    .map(|next| Self { #number: Some(next), ..self.clone() })
            }
        },
        quote!(Self { #number: self.#number.or(Some(1)), #size: self.#size.or(Some(#largest)), ..self }),
    )
}

/// The `*_page` and `*_stream` methods of a paginated operation.
pub fn emit_paged_methods(op: &Operation, query: &Ident, item: &TokenStream) -> TokenStream {
    let (base, page, stream) = (
        ident(&op.id),
        ident(&format!("{}_page", op.id)),
        ident(&format!("{}_stream", op.id)),
    );
    let params: Vec<TokenStream> = op.path_params.iter().map(borrowed_param).collect();
    let args: Vec<_> = op.path_params.iter().map(|p| ident(&p.name)).collect();
    let owned: Vec<TokenStream> = op
        .path_params
        .iter()
        .map(|p| {
            let arg = ident(&p.name);
            // Owned, so the stream is `'static`; each page borrows them again.
            match &p.ty {
                Ty::List(item) if item.is_stringlike() => quote! {
                    let #arg: Vec<String> = #arg
                        .into_iter()
                        .map(|value| AsRef::<str>::as_ref(&value).to_owned())
                        .collect();
                },
                ty if ty.is_stringlike() => {
                    quote!(let #arg: String = AsRef::<str>::as_ref(&#arg).to_owned();)
                }
                Ty::List(_) => quote!(let #arg = #arg.to_vec();),
                _ => quote!(let #arg = #arg.clone();),
            }
        })
        .collect();
    let meta = ident(&screaming_case(&op.id));
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
