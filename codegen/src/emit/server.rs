//! Emits the server skeleton, written into the emulator crate: a trait with one method per
//! operation (the server's behaviour), one typed handler per operation (extraction, the spec's
//! validation, the call, the envelope) and a router built from the spec's path templates.
//!
//! The generated code calls a small hand-written runtime in the host crate, `crate::server`
//! (extraction from raw segments, query and JSON body; the envelope; the host's per-operation
//! middleware), and the host's `crate::validate`, which re-exports the client's `Validate`,
//! `Checker` and `Field`, so the client's generated checks run unchanged on the server.
//!
//! Only [`ServerOp::new`] reads the IR: every emit function works from that small view, so
//! the emitter follows changes of the IR in one place.

use super::docs::doc_attrs;
use super::signature::query_struct_name;
use super::validate::field_checks;
use super::{ident, rust_type};
use crate::ir::{Ir, Method, Operation, Pagination, Ty, screaming_case};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// The generated server files, by path relative to the emulator's generated module.
pub fn emit_server(ir: &Ir) -> Vec<(String, TokenStream)> {
    // An operation served by another has no route, handler or trait method of its own.
    let ops: Vec<ServerOp> = ir
        .operations
        .iter()
        .filter(|op| op.served_by.is_none())
        .map(|op| ServerOp::new(ir, op))
        .collect();
    vec![
        ("mod.rs".to_owned(), emit_mod(ir)),
        ("api.rs".to_owned(), emit_api(&ops)),
    ]
}

/// What the server emitter needs to know about one operation.
struct ServerOp {
    id: String,
    doc: String,
    method: Method,
    /// The full path template, base path included, as the spec writes it.
    template: String,
    /// The route for axum: every capture named by its segment position (`{s4}`), so
    /// templates that name one segment differently (`{chatroom_id}`, `{chatroom_ids}`) share
    /// a route, and each handler reads its own parameters by position.
    route: Result<String, String>,
    path_params: Vec<PathParam>,
    query: Option<Ident>,
    body: Option<Ident>,
    response: TokenStream,
    list_response: bool,
    cursor_paged: bool,
    /// The list path parameter whose single item is answered with a lone object.
    one_item_as_object: Option<Ident>,
    /// The body key that picks this operation among those on the same method and path.
    dispatch_key: Option<String>,
    /// The spec's rules for the path parameters, as the client checks them.
    path_checks: TokenStream,
}

struct PathParam {
    name: Ident,
    wire: String,
    /// Index in `path.split('/')` of the raw request path; `None` when the template has no
    /// whole segment `{name}` (refused in the generated code).
    segment: Option<usize>,
    ty: TokenStream,
    /// The separator of a list sent as one segment.
    join: Option<String>,
}

impl ServerOp {
    fn new(ir: &Ir, op: &Operation) -> Self {
        let template = format!("{}{}", ir.base_path, op.path);
        let path_params = op
            .path_params
            .iter()
            .map(|p| PathParam {
                name: ident(&p.name),
                wire: p.name.clone(),
                segment: segment_of(&template, &p.name),
                ty: rust_type(&p.ty),
                join: p.join.clone(),
            })
            .collect();
        let path_checks = op.path_params.iter().map(|p| {
            let name = ident(&p.name);
            field_checks(p, quote!(&#name))
        });
        Self {
            id: op.id.clone(),
            doc: op.doc.clone(),
            method: op.method,
            route: route_of(&template),
            template,
            path_params,
            query: (!op.query_params.is_empty()).then(|| ident(&query_struct_name(op))),
            body: op.body.as_ref().map(|body| ident(&body.name)),
            response: server_response(op),
            list_response: matches!(op.response, Ty::List(_)),
            cursor_paged: matches!(op.pagination, Some(Pagination::Cursor { .. })),
            one_item_as_object: op
                .one_item_as_object
                .map(|index| ident(&op.path_params[index].name)),
            dispatch_key: op.dispatch_on_body_key.clone(),
            path_checks: quote!(#(#path_checks)*),
        }
    }

    fn name(&self) -> Ident {
        ident(&self.id)
    }

    fn meta(&self) -> Ident {
        ident(&screaming_case(&self.id))
    }

    /// The type the trait method answers: the spec's response, with the next page's cursor
    /// for cursor-paginated operations.
    fn answer(&self) -> TokenStream {
        let response = &self.response;
        if self.cursor_paged {
            quote!(server::Answer<#response>)
        } else {
            response.clone()
        }
    }
}

/// The type the server answers: the spec's response, each listed item wrapped in the
/// runtime's `ItemResult` (the service's `result` and `reason`) when it answers per item.
fn server_response(op: &Operation) -> TokenStream {
    match op.response.list_item() {
        Some(item) if op.item_results => {
            let item = rust_type(item);
            quote!(Vec<agora_chat::response::ItemResult<#item>>)
        }
        _ => rust_type(&op.response),
    }
}

/// `/{org}/{app}/chatrooms/{id}` -> `/{s1}/{s2}/chatrooms/{s4}`; a parameter that is only
/// part of a segment cannot be routed by position and is refused.
fn route_of(template: &str) -> Result<String, String> {
    let segments = template
        .split('/')
        .enumerate()
        .map(|(i, segment)| match segment.find('{') {
            None if !segment.contains('}') => Ok(segment.to_owned()),
            Some(0) if segment.ends_with('}') && segment.matches('{').count() == 1 => {
                Ok(format!("{{s{i}}}"))
            }
            _ => Err(format!(
                "path `{template}`: a parameter must be a whole segment, not `{segment}`"
            )),
        });
    Ok(segments.collect::<Result<Vec<_>, _>>()?.join("/"))
}

/// The index of `{name}` in `template.split('/')`.
fn segment_of(template: &str, name: &str) -> Option<usize> {
    let whole = format!("{{{name}}}");
    template.split('/').position(|segment| segment == whole)
}

fn emit_mod(ir: &Ir) -> TokenStream {
    let doc = doc_attrs(&format!(
        "The server skeleton generated from the spec of the {}: the `Api` trait (one method \
         per operation), typed handlers and the router.",
        ir.title
    ));
    quote! {
        #doc
        pub mod api;
    }
}

fn emit_api(ops: &[ServerOp]) -> TokenStream {
    let methods = ops.iter().map(emit_trait_method);
    let handlers = ops.iter().map(emit_handler);
    let dispatchers = emit_dispatchers(ops);
    let router = emit_router(ops);
    quote! {
        //! One trait method per operation, one typed handler per operation, and the router.
        use agora_chat::operations::*;
        use agora_chat::types::*;
        use axum::extract::State;
        use crate::ServiceError;
        use crate::server;

        /// The server's behaviour: one method per operation of the spec, given the typed and
        /// already validated path parameters, query and body. Everything else (routing,
        /// extraction, validation, the envelope) is generated.
        pub trait Api: server::WireQuirks + Clone + Send + Sync + 'static {
            #(#methods)*
        }

        #router

        #(#handlers)*

        #dispatchers
    }
}

fn emit_trait_method(op: &ServerOp) -> TokenStream {
    let doc = doc_attrs(&format!(
        "{}\n\n`{} {}`",
        op.doc.trim_end(),
        method_name(op.method),
        op.template
    ));
    let name = op.name();
    let params = op.path_params.iter().map(|p| {
        let (name, ty) = (&p.name, &p.ty);
        quote!(#name: #ty)
    });
    let query = op.query.as_ref().map(|q| quote!(query: #q));
    let body = op.body.as_ref().map(|b| quote!(body: #b));
    let args = params.chain(query).chain(body);
    let answer = op.answer();
    quote! {
        #doc
        fn #name(&self, #(#args),*)
            -> impl std::future::Future<Output = Result<#answer, ServiceError>> + Send;
    }
}

/// The router: one route per distinct path, each method tagged with its operation.
fn emit_router(ops: &[ServerOp]) -> TokenStream {
    let mut routes: Vec<(&str, Vec<&ServerOp>)> = Vec::new();
    let mut refused = Vec::new();
    for op in ops {
        match &op.route {
            Ok(route) => match routes.iter_mut().find(|(r, _)| r == route) {
                Some((_, same)) => same.push(op),
                None => routes.push((route, vec![op])),
            },
            Err(message) => refused.push(quote!(compile_error!(#message);)),
        }
    }
    let routes = routes.iter().map(|(route, ops)| emit_route(route, ops));
    quote! {
        #(#refused)*

        /// Every operation's route, from the spec's path templates. Captures are named by
        /// segment position (`{s4}`); each handler reads its parameters by position from the
        /// raw path. `layer` is the host's per-operation middleware; it runs after the request
        /// is tagged with its operation (a `&'static OperationMeta` extension).
        pub fn routes<A: Api>(
            layer: impl Fn(axum::routing::MethodRouter<A>) -> axum::routing::MethodRouter<A>,
        ) -> axum::Router<A> {
            axum::Router::new()
                #(#routes)*
        }
    }
}

fn emit_route(route: &str, ops: &[&ServerOp]) -> TokenStream {
    let mut methods = same_method_groups(ops).into_iter().map(|group| {
        let op = default_of(&group);
        let verb = ident(&method_name(op.method).to_ascii_lowercase());
        let meta = op.meta();
        let handler = match group.len() {
            1 => op.name(),
            _ => dispatcher_name(op),
        };
        quote!(server::operation(axum::routing::#verb(#handler::<A>), &#meta, &layer))
    });
    let first = methods.next();
    let rest = methods.map(|method| quote!(.merge(#method)));
    quote!(.route(#route, #first #(#rest)*))
}

/// The operations of one route, grouped by method, in spec order.
fn same_method_groups<'a>(ops: &[&'a ServerOp]) -> Vec<Vec<&'a ServerOp>> {
    let mut groups: Vec<Vec<&ServerOp>> = Vec::new();
    for op in ops {
        match groups.iter_mut().find(|g| g[0].method == op.method) {
            Some(group) => group.push(op),
            None => groups.push(vec![op]),
        }
    }
    groups
}

/// The operation a shared method and path runs when no dispatch key is in the body (the
/// resolver checks that exactly one has none).
fn default_of<'a>(group: &[&'a ServerOp]) -> &'a ServerOp {
    group
        .iter()
        .find(|op| op.dispatch_key.is_none())
        .unwrap_or(&group[0])
}

fn dispatcher_name(op: &ServerOp) -> Ident {
    ident(&format!("dispatch_{}", op.id))
}

/// Handlers for methods and paths shared by several operations: each picks its operation by
/// the keys of the JSON body. Requests are counted, limited and faulted under the default
/// operation, as routing tags them before the body is read.
fn emit_dispatchers(ops: &[ServerOp]) -> TokenStream {
    let mut by_route: Vec<(&str, Vec<&ServerOp>)> = Vec::new();
    for op in ops {
        let Ok(route) = &op.route else { continue };
        match by_route.iter_mut().find(|(r, _)| r == route) {
            Some((_, same)) => same.push(op),
            None => by_route.push((route, vec![op])),
        }
    }
    let groups = by_route
        .iter()
        .flat_map(|(_, ops)| same_method_groups(ops))
        .filter(|group| group.len() > 1);
    let dispatchers = groups.map(|group| emit_dispatcher(&group));
    quote!(#(#dispatchers)*)
}

fn emit_dispatcher(group: &[&ServerOp]) -> TokenStream {
    let default = default_of(group);
    let (name, fallback) = (dispatcher_name(default), default.name());
    let picks = group.iter().filter_map(|op| {
        let key = op.dispatch_key.as_ref()?;
        let handler = op.name();
        Some(quote! {
            let (request, has_key) = match server::body_has_key(request, #key).await {
                Ok(checked) => checked,
                Err(response) => return response,
            };
            if has_key {
                return #handler::<A>(State(api), request).await;
            }
        })
    });
    let doc = format!(
        " `{} {}`: the operation whose dispatch key the JSON body has, else [`Api::{}`].",
        method_name(default.method),
        default.template,
        default.id
    );
    quote! {
        #[doc = #doc]
        async fn #name<A: Api>(State(api): State<A>, request: server::Request) -> server::Response {
            #(#picks)*
            #fallback::<A>(State(api), request).await
        }
    }
}

fn emit_handler(op: &ServerOp) -> TokenStream {
    let doc = format!(
        " `{} {}`: extracts and checks the request, then calls [`Api::{}`].",
        method_name(op.method),
        op.template,
        op.id
    );
    let (name, meta) = (op.name(), op.meta());
    let path = op.path_params.iter().map(emit_path_param);
    let query = op
        .query
        .as_ref()
        .map(|q| quote!(let query: #q = server::query(&parts)?;));
    let body = op.body.as_ref().map(|b| {
        quote! {
            let body: #b =
                server::json_body(&parts, payload, api.refuses_unknown_fields(&#meta)).await?;
        }
    });
    let payload = if op.body.is_some() {
        quote!(payload)
    } else {
        quote!(_)
    };
    let checks = emit_checks(op);
    let call = emit_call(op);
    let (lone_init, lone_set, lone_arg) = match &op.one_item_as_object {
        Some(list) => (
            quote!(let mut lone = false;),
            quote!(lone = #list.len() == 1;),
            quote!(, lone),
        ),
        None => (TokenStream::new(), TokenStream::new(), TokenStream::new()),
    };
    let respond = match (&op.one_item_as_object, op.list_response) {
        (Some(_), _) => quote!(server::respond_one_or_list),
        (None, true) => quote!(server::respond_list),
        (None, false) => quote!(server::respond),
    };
    quote! {
        #[doc = #doc]
        async fn #name<A: Api>(State(api): State<A>, request: server::Request) -> server::Response {
            let (parts, #payload) = request.into_parts();
            #lone_init
            let answer = async {
                #(#path)*
                #lone_set
                #query
                #body
                #checks
                #call
            }
            .await;
            #respond(&parts, answer, api.wire_data(&#meta) #lone_arg)
        }
    }
}

/// Names the generated handler binds itself; a path parameter cannot take them.
const HANDLER_LOCALS: [&str; 9] = [
    "api", "request", "parts", "payload", "answer", "query", "body", "checker", "lone",
];

fn emit_path_param(p: &PathParam) -> TokenStream {
    let (name, ty, wire) = (&p.name, &p.ty, &p.wire);
    if HANDLER_LOCALS.contains(&wire.as_str()) {
        let message = format!("path parameter `{wire}` clashes with a local of the handler");
        return quote!(compile_error!(#message););
    }
    let Some(segment) = p.segment else {
        let message = format!("path parameter `{wire}` is not a whole segment of the path");
        return quote!(compile_error!(#message););
    };
    match &p.join {
        Some(join) => quote!(let #name: #ty = server::path_list(&parts, #segment, #wire, #join)?;),
        None => quote!(let #name: #ty = server::path_param(&parts, #segment, #wire)?;),
    }
}

/// The spec's rules on path parameters, query and body, every violation reported at once.
fn emit_checks(op: &ServerOp) -> TokenStream {
    let query = op
        .query
        .as_ref()
        .map(|_| quote!(crate::validate::Validate::check(&query, &mut checker);));
    let body = op
        .body
        .as_ref()
        .map(|_| quote!(crate::validate::Validate::check(&body, &mut checker);));
    if op.path_checks.is_empty() && query.is_none() && body.is_none() {
        return TokenStream::new();
    }
    let path = &op.path_checks;
    quote! {
        let mut checker = crate::validate::Checker::default();
        #path
        #query
        #body
        server::finish(checker)?;
    }
}

fn emit_call(op: &ServerOp) -> TokenStream {
    let name = op.name();
    let params = op.path_params.iter().map(|p| p.name.clone());
    let query = op.query.as_ref().map(|_| ident("query"));
    let body = op.body.as_ref().map(|_| ident("body"));
    let args = params.chain(query).chain(body);
    if op.cursor_paged {
        quote!(api.#name(#(#args),*).await)
    } else {
        quote!(api.#name(#(#args),*).await.map(server::Answer::new))
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_captures_by_position() {
        let route = route_of("/{org}/{app}/chatrooms/{chatroom_ids}");
        assert_eq!(route.as_deref(), Ok("/{s1}/{s2}/chatrooms/{s4}"));
        let literal = route_of("/{org}/{app}/chatrooms/super_admin");
        assert_eq!(literal.as_deref(), Ok("/{s1}/{s2}/chatrooms/super_admin"));
        assert!(route_of("/rooms/{a},{b}").is_err());
        assert!(route_of("/rooms/x{a}").is_err());
        assert_eq!(
            segment_of("/{org}/{app}/users/{username}", "username"),
            Some(4)
        );
    }
}
