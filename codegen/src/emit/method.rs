//! The plain `Client` method of an operation. It only validates, builds the path and hands a
//! `Call` to the runtime: no HTTP, auth or retry logic is generated.

use super::docs::{doc_attrs, field_doc};
use super::signature::{borrowed_param, normalize_params, query_struct_name};
use super::validate::field_checks;
use super::{ident, rust_type};
use crate::ir::{
    BatchAnswer, Ir, Operation, Pagination, Payload, ResponseCheck, Segment, Ty, screaming_case,
};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit_method(ir: &Ir, op: &Operation) -> TokenStream {
    let doc = doc_attrs(&method_doc(ir, op));
    let name = ident(&op.id);
    let meta = ident(&screaming_case(&op.id));
    let params = method_params(op);
    let (wire_ty, out_ty, finish) = response_types(op);
    let validation = emit_validation(op);
    let path = emit_path(op);
    let query = (!op.query_params.is_empty()).then(|| quote!(call.query = query.query_pairs();));
    let body = op.body.as_ref().map(|_| quote!(call.json_body(body)?;));
    let mutable = (query.is_some() || body.is_some()).then(|| quote!(mut));
    let normalize = normalize_params(op);
    quote! {
        #doc
        pub async fn #name(&self, #(#params),*) -> Result<crate::Response<#out_ty>, crate::Error> {
            let op = &#meta;
            #normalize
            #validation
            #path
            let #mutable call = crate::request::Call::new(op, path.finish());
            #query
            #body
            let response = self.execute::<#wire_ty>(call).await?;
            #finish
        }
    }
}

fn method_params(op: &Operation) -> Vec<TokenStream> {
    let mut params: Vec<TokenStream> = op.path_params.iter().map(borrowed_param).collect();
    if !op.query_params.is_empty() {
        let query = ident(&query_struct_name(op));
        params.push(quote!(query: &#query));
    }
    if let Some(body) = &op.body {
        let body = ident(&body.name);
        params.push(quote!(body: &#body));
    }
    params
}

/// The Rust type of one listed item of the response: the spec's item type, wrapped in the
/// runtime's `ItemResult` when the service answers per item.
pub fn list_item_type(op: &Operation) -> Option<TokenStream> {
    let item = rust_type(op.response.list_item()?);
    Some(if op.item_results {
        quote!(crate::bulk::ItemResult<#item>)
    } else {
        item
    })
}

/// (type decoded from `data`, type returned in the response, the method's last expression).
pub fn response_types(op: &Operation) -> (TokenStream, TokenStream, TokenStream) {
    match (list_item_type(op), op.check) {
        // One entity arrives as a list of one.
        (None, None) if op.payload == Payload::Entities => {
            let ty = rust_type(&op.response);
            (
                quote!(crate::response::Single<#ty>),
                ty,
                quote!(Ok(response.map(crate::response::Single::into_inner))),
            )
        }
        // The service may send a lone object where a list is documented (and answers one
        // item of a list path parameter with an object, several with an array).
        (Some(item), _) => (
            quote!(crate::response::OneOrMany<#item>),
            quote!(Vec<#item>),
            quote!(Ok(response.map(crate::response::OneOrMany::into_vec))),
        ),
        (None, Some(ResponseCheck::AppliedFlags)) => {
            let ty = rust_type(&op.response);
            (
                ty.clone(),
                ty,
                quote!(crate::response::ensure_applied(op, response)),
            )
        }
        (None, None) => {
            let ty = rust_type(&op.response);
            (ty.clone(), ty, quote!(Ok(response)))
        }
    }
}

/// Checks path parameters, query and body, all before any I/O; skipped when the client's
/// validation is switched off (the service then answers for itself).
fn emit_validation(op: &Operation) -> TokenStream {
    let params: Vec<TokenStream> = op
        .path_params
        .iter()
        .map(|p| {
            // Normalized: a `&str`, or an owned `Vec` of a list.
            let arg = ident(&p.name);
            match p.ty {
                Ty::List(_) => field_checks(p, quote!(&#arg)),
                _ => field_checks(p, quote!(#arg)),
            }
        })
        .filter(|checks| !checks.is_empty())
        .collect();
    let query = (!op.query_params.is_empty())
        .then(|| quote!(crate::validate::Validate::check(query, &mut checker);));
    let body = op
        .body
        .as_ref()
        .map(|_| quote!(crate::validate::Validate::check(body, &mut checker);));
    if params.is_empty() && query.is_none() && body.is_none() {
        return TokenStream::new();
    }
    quote! {
        if self.validates_requests() {
            let mut checker = crate::validate::Checker::default();
            #(#params)*
            #query
            #body
            checker.finish().map_err(|source| crate::Error::validation(op, source))?;
        }
    }
}

/// Builds the path; every parameter is percent-encoded and cannot change the path's shape.
fn emit_path(op: &Operation) -> TokenStream {
    let steps = op.segments.iter().map(|segment| match segment {
        Segment::Literal(text) => quote!(path.literal(#text);),
        Segment::Param(index) => {
            let param = &op.path_params[*index];
            let (name, arg) = (&param.name, ident(&param.name));
            match param.join.as_deref() {
                Some(separator) => {
                    quote!(path.list(#name, #arg.iter().map(AsRef::<str>::as_ref), #separator)?;)
                }
                None => quote!(path.segment(#name, AsRef::<str>::as_ref(#arg))?;),
            }
        }
    });
    quote! {
        let mut path = crate::request::PathBuilder::new(op);
        #(#steps)*
    }
}

fn method_doc(ir: &Ir, op: &Operation) -> String {
    let method = op.method.variant().to_ascii_uppercase();
    let mut doc = format!(
        "{}\n\n`{method} {}{}` (source section: “{}”).\n",
        op.doc.trim_end(),
        ir.base_path,
        op.path,
        op.source
    );
    let params = params_doc(op);
    if !params.is_empty() {
        doc.push_str(&format!("\n# Parameters\n{params}"));
    }
    doc.push_str(&format!("\n# Limits\n{}\n", limits_doc(op)));
    doc.push_str(&format!("\n# Errors\n{}", errors_doc(op)));
    doc
}

fn params_doc(op: &Operation) -> String {
    let mut out = String::new();
    for p in &op.path_params {
        out.push_str(&format!("- `{}`: {}\n", p.name, one_line(&field_doc(p))));
    }
    if !op.query_params.is_empty() {
        out.push_str(&format!("- `query`: [`{}`].\n", query_struct_name(op)));
    }
    if let Some(body) = &op.body {
        out.push_str(&format!("- `body`: [`{}`].\n", body.name));
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn limits_doc(op: &Operation) -> String {
    let mut out = format!(
        "Rate limit: {} requests per second per app key.",
        op.rate_limit_per_sec
    );
    out.push_str(if op.retry_safe {
        " Safe to retry."
    } else {
        " Not safe to retry once the request may have reached the service."
    });
    let write_batch = op
        .batch
        .as_ref()
        .filter(|batch| !matches!(batch.answer, BatchAnswer::Lookup { .. }));
    if let Some(batch) = write_batch {
        out.push_str(&format!(
            " At most {} items per request: [`{id}_batched`](Self::{id}_batched) sends any number in chunks.",
            batch.chunk,
            id = op.id
        ));
    }
    match &op.pagination {
        Some(Pagination::Cursor { size, cursor, .. }) => out.push_str(&format!(
            " Paginated by `{size}` and `{cursor}`; the next `{cursor}` is in the response metadata."
        )),
        Some(Pagination::PageNumber { number, size, .. }) => out.push_str(&format!(
            " Paginated by `{number}` and `{size}`; a short page is the last."
        )),
        None => {}
    }
    out
}

fn errors_doc(op: &Operation) -> String {
    let mut out = String::from(
        "[`Error::Validation`](crate::Error::Validation) before any I/O when a parameter breaks a rule of the spec.\n",
    );
    if !op.errors.is_empty() {
        out.push_str(
            "The service's documented errors arrive as [`Error::Api`](crate::Error::Api):\n",
        );
    }
    for e in &op.errors {
        out.push_str(&format!(
            "- `{} {}`: {}\n",
            e.status,
            e.code,
            one_line(&e.doc)
        ));
    }
    if op.check == Some(ResponseCheck::AppliedFlags) {
        out.push_str("\n[`Error::NotApplied`](crate::Error::NotApplied) when the service reports a field as not applied.\n");
    }
    if let Some(code) = &op.retry_observes_done {
        out.push_str(&format!(
            "\n[`Error::AlreadyDone`](crate::Error::AlreadyDone) when a retry is answered `{code}` after an earlier attempt may have been processed: the call's effect may be its own.\n"
        ));
    }
    out
}
