//! Emits `operations.rs`: per operation its metadata, its query struct, and its `Client`
//! method. Methods only validate, build the path and hand a `Call` to the runtime: no HTTP,
//! auth or retry logic is generated.

use super::docs::{doc_attrs, field_doc};
use super::types::emit_struct;
use super::validate::{emit_validate_impl, field_checks};
use super::{ident, paging, rust_type};
use crate::ir::{Ir, Operation, PathPart, Struct, Ty, pascal_case, path_parts, screaming_case};
use crate::spec::{HttpMethod, PaginationStyle, ResponseCheck};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit_operations(ir: &Ir) -> TokenStream {
    let metas = ir.operations.iter().map(|op| emit_meta(ir, op));
    let all = ir
        .operations
        .iter()
        .map(|op| ident(&screaming_case(&op.id)));
    let queries = ir.operations.iter().map(|op| emit_query_struct(ir, op));
    let methods = ir.operations.iter().map(|op| {
        let method = emit_method(ir, op);
        let derived = emit_derived_methods(ir, op);
        quote!(#method #derived)
    });
    quote! {
        //! Operations: metadata for the runtime, query parameters, and one `Client` method each.
        use super::types::*;
        use crate::operation::{Method, OperationMeta, Pagination};

        #(#metas)*

        /// Every operation of the spec, in spec order.
        pub const OPERATIONS: &[&OperationMeta] = &[#(&#all),*];

        #(#queries)*

        impl crate::Client {
            #(#methods)*
        }
    }
}

fn emit_meta(ir: &Ir, op: &Operation) -> TokenStream {
    let name = ident(&screaming_case(&op.id));
    let doc = format!(
        " Metadata of [`Client::{}`](crate::Client::{}).",
        op.id, op.id
    );
    let id = &op.id;
    let method = ident(method_variant(op.method));
    let path = format!("{}{}", ir.base_path, op.path);
    let rate = op.rate_limit_per_sec;
    let retry_safe = op.retry_safe;
    let observes_done = match &op.retry_observes_done {
        Some(code) => quote!(Some(#code)),
        None => quote!(None),
    };
    let param_limits = super::limits::param_consts(&op.id, &op.path_params);
    let pagination = ident(match op.pagination {
        None => "None",
        Some(PaginationStyle::Cursor) => "Cursor",
        Some(PaginationStyle::PageNumber) => "PageNumber",
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
        };
        #param_limits
    }
}

fn method_variant(method: HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "Get",
        HttpMethod::Post => "Post",
        HttpMethod::Put => "Put",
        HttpMethod::Delete => "Delete",
    }
}

fn query_struct_name(op: &Operation) -> String {
    format!("{}Query", pascal_case(&op.id))
}

/// The query parameters of an operation as a struct, with setters, validation and pairs.
fn emit_query_struct(ir: &Ir, op: &Operation) -> TokenStream {
    if op.query_params.is_empty() {
        return TokenStream::new();
    }
    let name = query_struct_name(op);
    let doc = format!(
        "Query parameters of [`Client::{}`](crate::Client::{}).",
        op.id, op.id
    );
    let st = Struct {
        fields: op.query_params.clone(),
        min_fields: None,
        applied_flags: false,
        success_flag: None,
        tolerant: false,
    };
    let definition = emit_struct(&name, &doc, &st);
    let type_name = ident(&name);
    let validate = emit_validate_impl(ir, &type_name, &st);
    let page_query = paging::emit_page_query(op, &type_name);
    let pairs = st.fields.iter().map(|f| {
        let member = ident(&f.name);
        let wire = &f.wire;
        if f.required {
            quote!(pairs.push((#wire, self.#member.to_string()));)
        } else {
            quote!(if let Some(value) = &self.#member { pairs.push((#wire, value.to_string())); })
        }
    });
    quote! {
        #definition
        #validate
        #page_query

        impl #type_name {
            /// The parameters that are set, as query pairs in spec order.
            pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
                let mut pairs = Vec::new();
                #(#pairs)*
                pairs
            }
        }
    }
}

/// Page, stream, batched and bulk methods built on the operation's plain method.
fn emit_derived_methods(ir: &Ir, op: &Operation) -> TokenStream {
    let query = (!op.query_params.is_empty()).then(|| ident(&query_struct_name(op)));
    let item = match &op.response {
        Ty::List(item) => Some(item.as_ref()),
        _ => None,
    };
    let paged = match (&query, item) {
        (Some(query), Some(item)) => paging::emit_paged_methods(op, query, item),
        _ => TokenStream::new(),
    };
    let batched = paging::emit_batched_method(ir, op);
    let bulk = paging::emit_bulk_method(op, query.as_ref(), item);
    quote!(#paged #batched #bulk)
}

fn emit_method(ir: &Ir, op: &Operation) -> TokenStream {
    let doc = doc_attrs(&method_doc(ir, op));
    let name = ident(&op.id);
    let meta = ident(&screaming_case(&op.id));
    let params = method_params(op);
    let (wire_ty, out_ty, finish) = response_types(op);
    let validation = emit_validation(ir, op);
    let path = emit_path(op);
    let query = (!op.query_params.is_empty()).then(|| quote!(call.query = query.query_pairs();));
    let body = op.body.as_ref().map(|_| quote!(call.json_body(body)?;));
    let mutable = (query.is_some() || body.is_some()).then(|| quote!(mut));
    quote! {
        #doc
        pub async fn #name(&self, #(#params),*) -> Result<crate::Response<#out_ty>, crate::Error> {
            let op = &#meta;
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
    let mut params: Vec<TokenStream> = op.path_params.iter().map(paging::borrowed_param).collect();
    if !op.query_params.is_empty() {
        let query = ident(&query_struct_name(op));
        params.push(quote!(query: &#query));
    }
    if let Some(body) = &op.body {
        let body = ident(body);
        params.push(quote!(body: &#body));
    }
    params
}

/// (type decoded from `data`, type returned in the response, the method's last expression).
pub(super) fn response_types(op: &Operation) -> (TokenStream, TokenStream, TokenStream) {
    match (&op.response, op.check) {
        // The service may send a lone object where a list is documented.
        (Ty::List(item), _) => {
            let item = rust_type(item);
            (
                quote!(crate::response::OneOrMany<#item>),
                quote!(Vec<#item>),
                quote!(Ok(response.map(crate::response::OneOrMany::into_vec))),
            )
        }
        (ty, Some(ResponseCheck::AppliedFlags)) => {
            let ty = rust_type(ty);
            (
                ty.clone(),
                ty,
                quote!(crate::response::ensure_applied(op, response)),
            )
        }
        (ty, None) => {
            let ty = rust_type(ty);
            (ty.clone(), ty, quote!(Ok(response)))
        }
    }
}

/// Checks path parameters, query and body, all before any I/O; skipped when the client's
/// validation is switched off (the service then answers for itself).
fn emit_validation(ir: &Ir, op: &Operation) -> TokenStream {
    let params: Vec<TokenStream> = op
        .path_params
        .iter()
        .map(|p| {
            let arg = ident(&p.name);
            field_checks(ir, p, quote!(#arg), &[])
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
    let parts = path_parts(&op.path).unwrap_or_default();
    let steps = parts.iter().map(|part| match part {
        PathPart::Literal(text) => quote!(path.literal(#text);),
        PathPart::Param(name) => {
            let param = op.path_params.iter().find(|p| p.name == *name);
            let arg = ident(name);
            match param.and_then(|p| p.join.as_deref()) {
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
    let method = method_variant(op.method).to_ascii_uppercase();
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
        out.push_str(&format!("- `body`: [`{body}`].\n"));
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
    match op.pagination {
        Some(PaginationStyle::Cursor) => out.push_str(
            " Paginated by `limit` and `cursor`; the next `cursor` is in the response metadata.",
        ),
        Some(PaginationStyle::PageNumber) => {
            out.push_str(" Paginated by `pagenum` and `pagesize`; a short page is the last.")
        }
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
    out
}
