//! Emitters: one short function per construct, composed per generated file.

mod batch;
mod cli;
mod constants;
mod docs;
mod error_codes;
mod meta;
mod method;
mod millis;
mod openapi;
mod operations;
mod pagination;
mod query;
mod readme;
mod server;
mod signature;
mod types;
mod validate;

pub use readme::operations_table;

use crate::ir::{IntTy, Ir, Ty};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// Emits every generated file as (path relative to the generated module, tokens): the
/// API-wide `mod.rs`, `types.rs` and `operations.rs`, then for each spec file with content its
/// module `<name>/` with `mod.rs` and those of `types.rs`, `validate.rs` and `operations.rs`
/// it needs.
pub fn emit(ir: &Ir) -> Vec<(String, TokenStream)> {
    let modules: Vec<ModuleFiles> = (0..ir.modules.len())
        .map(|m| module_files(ir, m))
        .filter(|files| !files.is_empty())
        .collect();
    let with_types: Vec<usize> = modules
        .iter()
        .filter(|f| f.types.is_some())
        .map(|f| f.module)
        .collect();
    let with_operations: Vec<usize> = modules
        .iter()
        .filter(|f| f.operations.is_some())
        .map(|f| f.module)
        .collect();
    let mut files = vec![
        ("mod.rs".to_owned(), emit_mod(ir, &modules)),
        (
            "types.rs".to_owned(),
            types::emit_api_types(ir, &with_types),
        ),
        (
            "operations.rs".to_owned(),
            operations::emit_api_operations(ir, &with_operations),
        ),
    ];
    for module in modules {
        files.extend(module.into_files(ir));
    }
    files
}

/// Emits the command line's subcommand files (for the `agora-chat-cli` crate) as (path, tokens).
pub fn emit_cli(ir: &Ir) -> Vec<(String, TokenStream)> {
    cli::emit_cli(ir)
}

/// The OpenAPI 3.1 document of the spec, as JSON text.
pub fn emit_openapi(ir: &Ir, spec_files: &[&str]) -> String {
    openapi::emit_openapi(ir, spec_files)
}

/// Emits the server skeleton's files (for the emulator crate) as (path, tokens).
pub fn emit_server(ir: &Ir) -> Vec<(String, TokenStream)> {
    server::emit_server(ir)
}

/// The files of one spec file's module; each is left out when it would be empty.
struct ModuleFiles {
    module: usize,
    types: Option<TokenStream>,
    validate: Option<TokenStream>,
    operations: Option<TokenStream>,
    client: Option<TokenStream>,
}

fn module_files(ir: &Ir, module: usize) -> ModuleFiles {
    let has_types = ir.types_of(module).next().is_some();
    let has_operations = ir.operations_of(module).next().is_some();
    ModuleFiles {
        module,
        types: has_types.then(|| types::emit_module_types(ir, module)),
        validate: validate::emit_validate(ir, module),
        operations: has_operations.then(|| operations::emit_module_operations(ir, module)),
        client: has_operations.then(|| operations::emit_module_client(ir, module)),
    }
}

impl ModuleFiles {
    fn is_empty(&self) -> bool {
        self.types.is_none() && self.validate.is_none() && self.operations.is_none()
    }

    fn into_files(self, ir: &Ir) -> Vec<(String, TokenStream)> {
        let name = &ir.modules[self.module].name;
        let doc = docs::inner_doc_attrs(&format!(
            "The types and operations of `{}`.",
            ir.modules[self.module].spec_file
        ));
        let declare = |file: &Option<TokenStream>, item: TokenStream| file.as_ref().map(|_| item);
        let types = declare(
            &self.types,
            quote!(
                pub mod types;
            ),
        );
        let validate = declare(
            &self.validate,
            quote!(
                mod validate;
            ),
        );
        let operations = declare(
            &self.operations,
            quote!(
                pub mod operations;
            ),
        );
        // The methods need the HTTP client; the rest serves code without it (the emulator).
        let client = declare(
            &self.client,
            quote!(
                #[cfg(feature = "client")]
                mod client;
            ),
        );
        let mut files = vec![(
            format!("{name}/mod.rs"),
            quote! {
                #doc
                #types
                #validate
                #operations
                #client
            },
        )];
        for (file, tokens) in [
            ("types.rs", self.types),
            ("validate.rs", self.validate),
            ("operations.rs", self.operations),
            ("client.rs", self.client),
        ] {
            files.extend(tokens.map(|tokens| (format!("{name}/{file}"), tokens)));
        }
        files
    }
}

fn emit_mod(ir: &Ir, modules: &[ModuleFiles]) -> TokenStream {
    let doc = docs::inner_doc_attrs(&format!(
        "Code generated from the spec of the {}.\n\n{}\n\nOne module per spec file; `types` and `operations` gather all of them.",
        ir.title,
        ir.doc.trim_end()
    ));
    let names = modules.iter().map(|m| ident(&ir.modules[m.module].name));
    quote! {
        #doc
        #(pub mod #names;)*
        pub mod operations;
        pub mod types;
    }
}

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The Rust type of a spec type, as written inside the generated modules.
pub(crate) fn rust_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Bool => quote!(bool),
        Ty::Int(int) => int_type(*int),
        Ty::Json => quote!(serde_json::Value),
        Ty::Secret => quote!(crate::Secret),
        Ty::Newtype(named) | Ty::Named(named) | Ty::Millis(named) => {
            let name = ident(&named.name);
            quote!(#name)
        }
        Ty::List(item) => {
            let item = rust_type(item);
            quote!(Vec<#item>)
        }
        Ty::Map(value) => {
            let value = rust_type(value);
            quote!(std::collections::BTreeMap<String, #value>)
        }
    }
}

pub(crate) fn int_type(int: IntTy) -> TokenStream {
    let name = ident(int.name());
    quote!(#name)
}
