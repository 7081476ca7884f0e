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
use crate::ir::{Ir, Method, Operation, Pagination, Ty, TypeKind, screaming_case};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// The generated server files, by path relative to the emulator's generated module.
pub fn emit_server(ir: &Ir) -> Vec<(String, TokenStream)> {
    let ops: Vec<ServerOp> = ir
        .operations
        .iter()
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
    /// The body is a JSON array (a transparent struct over a list).
    body_is_array: bool,
    response: TokenStream,
    list_response: bool,
    cursor_paged: bool,
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
            body_is_array: op.body.as_ref().is_some_and(
                |body| matches!(&ir.type_def(body.id).kind, TypeKind::Struct(st) if st.transparent),
            ),
            response: rust_type(&op.response),
            list_response: matches!(op.response, Ty::List(_)),
            cursor_paged: matches!(op.pagination, Some(Pagination::Cursor { .. })),
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
    let router = emit_router(ops);
    let dispatchers = shared_routes(ops)
        .into_iter()
        .map(|ops| emit_dispatcher(&ops));
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

        #(#dispatchers)*

        #(#handlers)*
    }
}

/// Operations that share a route and a method (the service tells them apart by their body),
/// grouped; each group is served by one dispatcher.
fn shared_routes(ops: &[ServerOp]) -> Vec<Vec<&ServerOp>> {
    let mut groups: Vec<Vec<&ServerOp>> = Vec::new();
    for op in ops.iter().filter(|op| op.route.is_ok()) {
        let same = |other: &&ServerOp| other.route == op.route && other.method == op.method;
        match groups.iter_mut().find(|g| g.first().is_some_and(same)) {
            Some(group) => group.push(op),
            None => groups.push(vec![op]),
        }
    }
    groups.retain(|g| g.len() > 1);
    groups
}

/// `dispatch_a_or_b`: the handler of operations that share a route and a method.
fn dispatcher_name(ops: &[&ServerOp]) -> Ident {
    let names: Vec<&str> = ops.iter().map(|op| op.id.as_str()).collect();
    ident(&format!("dispatch_{}", names.join("_or_")))
}

/// Picks, by the body's JSON shape, the one operation whose body is an array or the one
/// whose body is an object; anything else cannot be told apart and does not compile. The
/// request is then tagged with the chosen operation.
fn emit_dispatcher(ops: &[&ServerOp]) -> TokenStream {
    let array: Vec<&&ServerOp> = ops.iter().filter(|op| op.body_is_array).collect();
    let object: Vec<&&ServerOp> = ops
        .iter()
        .filter(|op| !op.body_is_array && op.body.is_some())
        .collect();
    let name = dispatcher_name(ops);
    let ([array], [object]) = (array.as_slice(), object.as_slice()) else {
        let message = format!(
            "operations {} share a route and a method: only one with an array body and one with an object body can",
            ops.iter()
                .map(|op| op.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return quote!(compile_error!(#message););
    };
    let (array_name, array_meta) = (array.name(), array.meta());
    let (object_name, object_meta) = (object.name(), object.meta());
    let doc = format!(
        " `{} {}`: [`Api::{}`] for an array body, [`Api::{}`] otherwise.",
        method_name(object.method),
        object.template,
        array.id,
        object.id
    );
    quote! {
        #[doc = #doc]
        async fn #name<A: Api>(state: State<A>, request: server::Request) -> server::Response {
            let (mut request, is_array) = match server::body_is_array(request).await {
                Ok(peeked) => peeked,
                Err(refused) => return axum::response::IntoResponse::into_response(refused),
            };
            if is_array {
                request.extensions_mut().insert(&#array_meta);
                #array_name::<A>(state, request).await
            } else {
                request.extensions_mut().insert(&#object_meta);
                #object_name::<A>(state, request).await
            }
        }
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

/// Operations sharing the route and a method go to their dispatcher, tagged with the first
/// of them for the host's middleware (quotas, faults and counts see that operation).
fn emit_route(route: &str, ops: &[&ServerOp]) -> TokenStream {
    let mut verbs: Vec<Vec<&ServerOp>> = Vec::new();
    for op in ops {
        match verbs.iter_mut().find(|v| v[0].method == op.method) {
            Some(same) => same.push(op),
            None => verbs.push(vec![op]),
        }
    }
    let mut methods = verbs.iter().map(|same| {
        let first = same[0];
        let verb = ident(&method_name(first.method).to_ascii_lowercase());
        let meta = first.meta();
        let name = if same.len() > 1 {
            dispatcher_name(same)
        } else {
            first.name()
        };
        quote!(server::operation(axum::routing::#verb(#name::<A>), &#meta, &layer))
    });
    let first = methods.next();
    let rest = methods.map(|method| quote!(.merge(#method)));
    quote!(.route(#route, #first #(#rest)*))
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
    let array = op.body_is_array;
    let body = op.body.as_ref().map(|b| {
        quote! {
            let body: #b = server::json_body(
                &parts, payload, api.refuses_unknown_fields(&#meta), #array,
            ).await?;
        }
    });
    let payload = if op.body.is_some() {
        quote!(payload)
    } else {
        quote!(_)
    };
    let checks = emit_checks(op);
    let call = emit_call(op);
    let respond = if op.list_response {
        quote!(server::respond_list)
    } else {
        quote!(server::respond)
    };
    quote! {
        #[doc = #doc]
        async fn #name<A: Api>(State(api): State<A>, request: server::Request) -> server::Response {
            let (parts, #payload) = request.into_parts();
            let answer = async {
                #(#path)*
                #query
                #body
                #checks
                #call
            }
            .await;
            #respond(&parts, &#meta, answer, api.wire_data(&#meta))
        }
    }
}

/// Names the generated handler binds itself; a path parameter cannot take them.
const HANDLER_LOCALS: [&str; 8] = [
    "api", "request", "parts", "payload", "answer", "query", "body", "checker",
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
