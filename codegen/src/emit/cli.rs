//! The `agora-chat` command line's subcommands (crate `agora-chat-cli`, `cli/src/generated/`):
//! one clap subcommand per operation, grouped by spec file, with one typed flag per path
//! parameter, query parameter and body field, help from the spec's docs, and a `run` that
//! builds the request through serde and calls the client's generated method (so the
//! client's generated validation checks every flag). Body fields whose shape has no natural
//! flag take JSON; `--body-json`/`--body-file` give the whole body. Paginated operations get
//! `--all` (stream every page), bulk and batched ones `--from-file` (keys from a file or stdin).
//!
//! The generated code leans on the crate's hand-written `crate::run` (context, decoding,
//! output); it never names a specific operation there.

use super::docs::field_doc;
use super::ident;
use crate::ir::{BatchAnswer, BatchSource, Field, IntTy, Ir, Operation, Ty, TypeKind, pascal_case};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::BTreeSet;

/// Flags every command may have besides the spec's: never used for a spec field.
const RESERVED: [&str; 7] = [
    "json",
    "all",
    "from-file",
    "body-json",
    "body-file",
    "help",
    "version",
];

/// Emits `mod.rs` (the resource enum) and one file per spec file with operations.
pub fn emit_cli(ir: &Ir) -> Vec<(String, TokenStream)> {
    let modules: Vec<usize> = (0..ir.modules.len())
        .filter(|m| ir.operations_of(*m).next().is_some())
        .collect();
    let mut files = vec![("mod.rs".to_owned(), emit_mod(ir, &modules))];
    for module in modules {
        let name = &ir.modules[module].name;
        files.push((format!("{name}.rs"), emit_module(ir, module)));
    }
    files
}

fn emit_mod(ir: &Ir, modules: &[usize]) -> TokenStream {
    let doc = super::docs::inner_doc_attrs(&format!(
        "The subcommands generated from the spec of the {}: one group per spec file, one\nsubcommand per operation.",
        ir.title
    ));
    let names: Vec<_> = modules
        .iter()
        .map(|m| ident(&ir.modules[*m].name))
        .collect();
    let variants: Vec<_> = modules
        .iter()
        .map(|m| ident(&pascal_case(&ir.modules[*m].name)))
        .collect();
    let commands: Vec<String> = modules
        .iter()
        .map(|m| kebab(&ir.modules[*m].name))
        .collect();
    let abouts: Vec<String> = modules
        .iter()
        .map(|m| format!("Operations of `{}`", ir.modules[*m].spec_file))
        .collect();
    quote! {
        #doc
        #(pub mod #names;)*

        /// A resource: the operations of one spec file.
        #[derive(Debug, clap::Subcommand)]
        pub enum Resource {
            #(
                #[command(name = #commands, about = #abouts)]
                #variants {
                    #[command(subcommand)]
                    command: #names::Command,
                },
            )*
        }

        impl Resource {
            /// Runs the chosen operation.
            pub async fn run(self, ctx: &crate::run::Ctx) -> Result<(), crate::run::CliError> {
                match self {
                    #(Resource::#variants { command } => command.run(ctx).await,)*
                }
            }
        }
    }
}

fn emit_module(ir: &Ir, module: usize) -> TokenStream {
    let doc = super::docs::inner_doc_attrs(&format!(
        "The subcommands of the operations declared in `{}`.",
        ir.modules[module].spec_file
    ));
    let ops: Vec<&Operation> = ir.operations_of(module).collect();
    let names = command_names(ir, module, &ops);
    let variants: Vec<_> = ops.iter().map(|op| ident(&pascal_case(&op.id))).collect();
    let structs: Vec<_> = ops.iter().map(|op| ident(&args_name(op))).collect();
    let abouts: Vec<String> = ops.iter().map(|op| first_line(&op.doc)).collect();
    let long_abouts: Vec<String> = ops.iter().map(|op| long_about(op)).collect();
    let args: Vec<TokenStream> = ops.iter().map(|op| emit_args(ir, op)).collect();
    quote! {
        #doc

        /// The operations of this spec file.
        #[derive(Debug, clap::Subcommand)]
        pub enum Command {
            #(
                #[command(name = #names, about = #abouts, long_about = #long_abouts)]
                #variants(#structs),
            )*
        }

        impl Command {
            /// Runs the chosen operation.
            pub async fn run(self, ctx: &crate::run::Ctx) -> Result<(), crate::run::CliError> {
                match self {
                    #(Command::#variants(args) => args.run(ctx).await,)*
                }
            }
        }

        #(#args)*
    }
}

/// `create_chatroom` in `chatrooms` -> `create`: the operation id without the words naming
/// the resource; the whole id (kebab-case) when that leaves nothing or is not unique.
fn command_names(ir: &Ir, module: usize, ops: &[&Operation]) -> Vec<String> {
    let resource = &ir.modules[module].name;
    let singular = singular(resource).unwrap_or(resource);
    let short: Vec<String> = ops
        .iter()
        .map(|op| {
            op.id
                .split('_')
                .filter(|word| *word != resource && *word != singular)
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect();
    short
        .iter()
        .zip(ops)
        .map(|(name, op)| {
            let unique = short.iter().filter(|other| *other == name).count() == 1;
            if name.is_empty() || !unique {
                kebab(&op.id)
            } else {
                name.clone()
            }
        })
        .collect()
}

fn args_name(op: &Operation) -> String {
    format!("{}Args", pascal_case(&op.id))
}

fn first_line(doc: &str) -> String {
    doc.lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_owned()
}

/// The operation's doc, what the service answers and its call facts.
fn long_about(op: &Operation) -> String {
    let mut text = op.doc.trim_end().to_owned();
    text.push_str(&format!(
        "\n\n{} {} (operation `{}`); rate limit {}/s; {}.",
        op.method.variant().to_ascii_uppercase(),
        op.path,
        op.id,
        op.rate_limit_per_sec,
        if op.retry_safe {
            "retried on transient failures"
        } else {
            "not retry safe: never retried after it may have reached the service"
        }
    ));
    if !op.errors.is_empty() {
        text.push_str("\n\nErrors:");
        for error in &op.errors {
            text.push_str(&format!(
                "\n  {} {}: {}",
                error.status,
                error.code,
                error.doc.trim_end()
            ));
        }
    }
    text
}

/// Where a flag's value goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Path,
    Query,
    Body,
}

/// One spec field as a flag.
struct Flag<'a> {
    field: &'a Field,
    place: Place,
    /// The Rust field of the args struct.
    member: proc_macro2::Ident,
    long: String,
    alias: Option<String>,
    kind: FlagKind,
}

/// How a flag's value is typed on the command line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FlagKind {
    Text,
    Int(IntTy),
    Bool,
    /// JSON for shapes without a natural flag (objects, maps, nested lists, any JSON).
    Json,
}

impl FlagKind {
    fn of(ir: &Ir, ty: &Ty) -> FlagKind {
        match ty {
            Ty::String | Ty::Newtype(_) | Ty::Secret => FlagKind::Text,
            Ty::Bool => FlagKind::Bool,
            Ty::Int(int) => FlagKind::Int(*int),
            Ty::Named(named) => match ir.type_def(named.id).kind {
                TypeKind::Enum { .. } | TypeKind::Newtype => FlagKind::Text,
                _ => FlagKind::Json,
            },
            // Milliseconds (a duration or a timestamp, or a "forever" value) as JSON numbers.
            Ty::Json | Ty::List(_) | Ty::Map(_) | Ty::Millis(_) => FlagKind::Json,
        }
    }

    fn value_type(self) -> TokenStream {
        match self {
            FlagKind::Text => quote!(String),
            FlagKind::Int(int) => super::int_type(int),
            FlagKind::Bool => quote!(bool),
            FlagKind::Json => quote!(serde_json::Value),
        }
    }
}

/// A list of scalars is a repeated flag; anything else one flag.
fn flag_shape(ir: &Ir, ty: &Ty) -> (FlagKind, bool) {
    match ty {
        Ty::List(item) => match FlagKind::of(ir, item) {
            FlagKind::Json => (FlagKind::Json, false),
            scalar => (scalar, true),
        },
        other => (FlagKind::of(ir, other), false),
    }
}

fn flags<'a>(ir: &'a Ir, op: &'a Operation) -> Vec<(Flag<'a>, bool)> {
    let body_fields: &[Field] = match op.body.as_ref().map(|b| &ir.type_def(b.id).kind) {
        Some(TypeKind::Struct(s)) => &s.fields,
        _ => &[],
    };
    let fields = op
        .path_params
        .iter()
        .map(|f| (f, Place::Path))
        .chain(op.query_params.iter().map(|f| (f, Place::Query)))
        .chain(body_fields.iter().map(|f| (f, Place::Body)));
    let mut taken: BTreeSet<String> = RESERVED.iter().map(|r| (*r).to_owned()).collect();
    let mut out = Vec::new();
    for (field, place) in fields {
        let (kind, repeated) = flag_shape(ir, &field.ty);
        let mut long = kebab(&field.name);
        // A name taken by another flag gets its place, then `-field`, until it is free.
        if taken.contains(&long) {
            long = format!("{}-{long}", place_word(place));
        }
        while taken.contains(&long) {
            long.push_str("-field");
        }
        let mut alias = None;
        if repeated
            && let Some(one) = singular(&long).map(str::to_owned)
            && !taken.contains(&one)
        {
            alias = Some(std::mem::replace(&mut long, one));
        }
        taken.insert(long.clone());
        taken.extend(alias.clone());
        let member = ident(&format!("{}_{}", place_word(place), field.name));
        out.push((
            Flag {
                field,
                place,
                member,
                long,
                alias,
                kind,
            },
            repeated,
        ));
    }
    out
}

fn place_word(place: Place) -> &'static str {
    match place {
        Place::Path => "path",
        Place::Query => "query",
        Place::Body => "body",
    }
}

/// The arguments struct of one operation and its `run`.
fn emit_args(ir: &Ir, op: &Operation) -> TokenStream {
    let name = ident(&args_name(op));
    let doc = super::docs::doc_attrs(&format!("The flags of `{}`.", op.id));
    let flags = flags(ir, op);
    let keyed = keys_param(op);
    let members: Vec<TokenStream> = flags
        .iter()
        .map(|(flag, repeated)| emit_member(ir, op, flag, *repeated, keyed))
        .collect();
    let mut extra = Vec::new();
    if op.pagination.is_some() {
        extra.push(quote! {
            /// Stream every page (JSON lines with --json); the page flags set the first page
            #[arg(long = "all")]
            all: bool,
        });
    }
    if let Some(index) = keyed {
        let help = format!(
            "Read the {} values from PATH, one per line (`-`: standard input); one call per chunk or value, progress on a terminal",
            op.path_params[index].wire
        );
        extra.push(quote! {
            #[arg(long = "from-file", value_name = "PATH", help = #help)]
            from_file: Option<std::path::PathBuf>,
        });
    }
    if op.body.is_some() {
        extra.push(quote! {
            #[command(flatten)]
            body: crate::run::BodyArgs,
        });
    }
    let run = emit_run(op, &flags, keyed);
    quote! {
        #doc
        #[derive(Debug, clap::Args)]
        pub struct #name {
            #(#members)*
            #(#extra)*
        }

        impl #name {
            /// Builds the request from the flags, calls the operation and prints the answer.
            pub async fn run(self, ctx: &crate::run::Ctx) -> Result<(), crate::run::CliError> {
                #run
            }
        }
    }
}

/// The path parameter that can be read from a file: the bulk one, or the batched lookup's
/// list (a batched write's keys are the call's own list argument).
fn keys_param(op: &Operation) -> Option<usize> {
    op.bulk
        .as_ref()
        .map(|b| b.param)
        .or(op
            .batch
            .as_ref()
            .and_then(|b| match (&b.source, &b.answer) {
                (BatchSource::Path(index), BatchAnswer::Lookup { .. }) => Some(*index),
                _ => None,
            }))
}

fn emit_member(
    ir: &Ir,
    op: &Operation,
    flag: &Flag,
    repeated: bool,
    keyed: Option<usize>,
) -> TokenStream {
    let field = flag.field;
    let member = &flag.member;
    let long = &flag.long;
    let value_ty = flag.kind.value_type();
    let value_name = value_name(ir, field, flag.kind);
    let help = first_line(&field.doc);
    let long_help = field_doc(field);
    let alias = flag
        .alias
        .as_ref()
        .map(|alias| quote!(visible_alias = #alias,));
    let parser =
        (flag.kind == FlagKind::Json).then(|| quote!(value_parser = crate::run::parse_json,));
    let is_key =
        flag.place == Place::Path && keyed.is_some_and(|k| std::ptr::eq(&op.path_params[k], field));
    let required = match (flag.place, is_key) {
        (_, true) => quote!(required_unless_present = "from_file",),
        (Place::Path, false) => quote!(required = true,),
        (Place::Query, false) if field.required => quote!(required = true,),
        (Place::Body, false) if field.required => {
            quote!(required_unless_present_any = ["whole_body_json", "whole_body_file"],)
        }
        _ => quote!(),
    };
    let ty = if repeated {
        quote!(Vec<#value_ty>)
    } else {
        quote!(Option<#value_ty>)
    };
    let action = if repeated {
        quote!(action = clap::ArgAction::Append,)
    } else {
        quote!()
    };
    quote! {
        #[arg(long = #long, #alias value_name = #value_name, help = #help, long_help = #long_help, #required #action #parser)]
        #member: #ty,
    }
}

fn value_name(ir: &Ir, field: &Field, kind: FlagKind) -> String {
    let item = field.ty.list_item().unwrap_or(&field.ty);
    let username = field.rules.username
        || field
            .rules
            .items
            .as_ref()
            .is_some_and(|items| items.username);
    match kind {
        FlagKind::Int(_) => "N".to_owned(),
        FlagKind::Bool => "true|false".to_owned(),
        FlagKind::Json => "JSON".to_owned(),
        FlagKind::Text if username => "USERNAME".to_owned(),
        FlagKind::Text => match item {
            Ty::Newtype(named) => crate::ir::screaming_case(&snake(&named.name)),
            Ty::Named(named) => match &ir.type_def(named.id).kind {
                TypeKind::Enum { variants, .. } => variants
                    .iter()
                    .map(|v| v.wire.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
                _ => "TEXT".to_owned(),
            },
            _ => "TEXT".to_owned(),
        },
    }
}

/// The body of `run`: path values, query, body, then the call in the mode the flags chose.
fn emit_run(op: &Operation, flags: &[(Flag, bool)], keyed: Option<usize>) -> TokenStream {
    let mut path_bindings = Vec::new();
    let mut key_binding = None;
    let mut query_puts = Vec::new();
    let mut body_puts = Vec::new();
    let path_flags = flags.iter().filter(|(f, _)| f.place == Place::Path);
    for (index, (flag, _)) in path_flags.enumerate() {
        let (member, wire) = (&flag.member, &flag.field.wire);
        let local = ident(&flag.field.name);
        let ty = qualified_type(&flag.field.ty);
        let binding = quote! {
            let #local: #ty = crate::run::decode_value(#wire, serde_json::json!(self.#member))?;
        };
        // The keyed parameter is bound after the `--from-file` branch, which does not need it.
        if keyed == Some(index) {
            key_binding = Some(binding);
        } else {
            path_bindings.push(binding);
        }
    }
    for (flag, repeated) in flags {
        let (member, wire) = (&flag.member, &flag.field.wire);
        let put = if *repeated {
            quote!(crate::run::put_list(&mut fields, #wire, self.#member);)
        } else {
            quote!(crate::run::put(&mut fields, #wire, self.#member);)
        };
        match flag.place {
            Place::Path => {}
            Place::Query => query_puts.push(put),
            Place::Body => body_puts.push(put),
        }
    }
    let query = (!op.query_params.is_empty()).then(|| {
        let name = ident(&format!("{}Query", pascal_case(&op.id)));
        quote! {
            let mut fields = serde_json::Map::new();
            #(#query_puts)*
            let query: agora_chat::operations::#name =
                crate::run::decode_value("query", serde_json::Value::Object(fields))?;
        }
    });
    let body = op.body.as_ref().map(|body| {
        let body_ty = ident(&body.name);
        quote! {
            let mut fields = serde_json::Map::new();
            #(#body_puts)*
            let body: agora_chat::types::#body_ty = self.body.decode(fields)?;
        }
    });
    let path_args: Vec<TokenStream> = op
        .path_params
        .iter()
        .map(|p| {
            let local = ident(&p.name);
            quote!(&#local)
        })
        .collect();
    let mut args = path_args.clone();
    if query.is_some() {
        args.push(quote!(&query));
    }
    if body.is_some() {
        args.push(quote!(&body));
    }
    let method = ident(&op.id);
    let paged = op.pagination.as_ref().map(|_| {
        let stream = ident(&format!("{}_stream", op.id));
        let mut stream_args = path_args.clone();
        stream_args.push(quote!(query));
        quote! {
            if self.all {
                return ctx.print_stream(client.#stream(#(#stream_args),*)).await;
            }
        }
    });
    let keyed_branch = keyed.map(|index| {
        let call = emit_keyed(op, index);
        quote! {
            if let Some(path) = &self.from_file {
                let keys = crate::run::read_keys(path)?;
                #call
            }
        }
    });
    quote! {
        let client = ctx.client()?;
        #(#path_bindings)*
        #query
        #body
        #keyed_branch
        #key_binding
        #paged
        let response = client.#method(#(#args),*).await?;
        ctx.print_response(response)
    }
}

/// The call for keys read from a file: `*_bulk` (one call per key) or `*_batched` (chunks).
fn emit_keyed(op: &Operation, index: usize) -> TokenStream {
    let param = &op.path_params[index];
    let key_ty = qualified_type(param.ty.list_item().unwrap_or(&param.ty));
    let wire = &param.wire;
    let mut args: Vec<TokenStream> = op
        .path_params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i == index {
                quote!(&keys)
            } else {
                let local = ident(&p.name);
                quote!(&#local)
            }
        })
        .collect();
    let decode = quote! {
        let keys: Vec<#key_ty> = crate::run::decode_keys(#wire, keys)?;
        let options = ctx.bulk_options(keys.len());
    };
    if op.batch.is_some() {
        let method = ident(&format!("{}_batched", op.id));
        return quote! {
            #decode
            let lookups = client.#method(#(#args,)* &options).await?;
            return ctx.print_lookups(lookups);
        };
    }
    let method = ident(&format!("{}_bulk", op.id));
    // A paginated bulk collects every page of each key; otherwise the query and body go along.
    if op.pagination.is_none() {
        if !op.query_params.is_empty() {
            args.push(quote!(&query));
        }
        if op.body.is_some() {
            args.push(quote!(&body));
        }
    }
    quote! {
        #decode
        let results = client.#method(#(#args,)* &options).await;
        return ctx.print_bulk(results);
    }
}

/// The Rust type of a spec type, as the CLI crate names it (through `agora_chat::types`).
fn qualified_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Bool => quote!(bool),
        Ty::Int(int) => super::int_type(*int),
        Ty::Json => quote!(serde_json::Value),
        Ty::Secret => quote!(agora_chat::Secret),
        Ty::Newtype(named) | Ty::Named(named) | Ty::Millis(named) => {
            let name = ident(&named.name);
            quote!(agora_chat::types::#name)
        }
        Ty::List(item) => {
            let item = qualified_type(item);
            quote!(Vec<#item>)
        }
        Ty::Map(value) => {
            let value = qualified_type(value);
            quote!(std::collections::BTreeMap<String, #value>)
        }
    }
}

/// `joined_chatrooms` -> `joined-chatrooms`.
fn kebab(snake: &str) -> String {
    snake.replace('_', "-")
}

/// `ChatroomId` -> `chatroom_id`.
fn snake(pascal: &str) -> String {
    let mut out = String::new();
    for (i, c) in pascal.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `members` -> `member`; `None` when the word is not a plain plural.
fn singular(word: &str) -> Option<&str> {
    word.strip_suffix('s')
        .filter(|stem| stem.len() > 1 && !stem.ends_with('s'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_cases() {
        assert_eq!(singular("members"), Some("member"));
        assert_eq!(singular("chatroom-ids"), Some("chatroom-id"));
        assert_eq!(singular("address"), None);
        assert_eq!(singular("s"), None);
        assert_eq!(snake("ChatroomId"), "chatroom_id");
        assert_eq!(kebab("list_joined"), "list-joined");
    }
}
