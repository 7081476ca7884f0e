//! Code generator for the `agora-chat` client, the emulator's server skeleton, the
//! `agora-chat` command line's subcommands and the OpenAPI document.
//!
//! `spec/*.yaml` -> [`spec`] (serde model) -> [`resolve`] (one pass: every problem, with file
//! and line, or the closed [`ir`]) -> [`emit`] (tokens per construct) ->
//! [`format`](mod@format) (prettyplease plus the `@generated` header) -> [`GeneratedFile`]s.
//!
//! Output is deterministic: it follows the order of the spec files (sorted by name) and of the
//! entries inside them.

pub mod diagnostic;
pub mod emit;
pub mod format;
pub mod ir;
pub mod load;
pub mod locate;
pub mod resolve;
pub mod spec;

use std::path::Path;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use load::SpecSource;

/// One file of generated code, with its path relative to the generated module directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

/// Generates the client's code from spec sources: parse, resolve, emit, format.
pub fn generate(sources: &[SpecSource]) -> Result<Vec<GeneratedFile>, Diagnostics> {
    generate_with(sources, emit::emit)
}

/// Generates the server skeleton (for the emulator crate) from the same spec sources.
pub fn generate_server(sources: &[SpecSource]) -> Result<Vec<GeneratedFile>, Diagnostics> {
    generate_with(sources, emit::emit_server)
}

/// The file name of the OpenAPI document [`generate_openapi`] writes.
pub const OPENAPI_FILE: &str = "agora-chat.openapi.json";

/// Generates the OpenAPI 3.1 document of the spec (one JSON file, [`OPENAPI_FILE`]).
pub fn generate_openapi(sources: &[SpecSource]) -> Result<Vec<GeneratedFile>, Diagnostics> {
    let files = load::parse_all(sources)?;
    let ir = resolve::resolve(&files)?;
    let names: Vec<&str> = sources.iter().map(|s| s.path.as_str()).collect();
    Ok(vec![GeneratedFile {
        path: OPENAPI_FILE.to_owned(),
        contents: emit::emit_openapi(&ir, &names),
    }])
}

/// Generates the command line's subcommands (for the `agora-chat-cli` crate) from the spec.
pub fn generate_cli(sources: &[SpecSource]) -> Result<Vec<GeneratedFile>, Diagnostics> {
    generate_with(sources, emit::emit_cli)
}

// Both sides share parse, resolve and format; only the emitters differ.
fn generate_with(
    sources: &[SpecSource],
    emit: fn(&ir::Ir) -> Vec<(String, proc_macro2::TokenStream)>,
) -> Result<Vec<GeneratedFile>, Diagnostics> {
    let files = load::parse_all(sources)?;
    let ir = resolve::resolve(&files)?;
    let names: Vec<&str> = sources.iter().map(|s| s.path.as_str()).collect();
    emit(&ir)
        .into_iter()
        .map(|(path, tokens)| {
            let contents = format::format_file(&names, tokens)
                .map_err(|message| Diagnostics::one(Diagnostic::new(&path, None, message)))?;
            Ok(GeneratedFile { path, contents })
        })
        .collect()
}

/// The README's Markdown table of every operation, from the same spec sources.
pub fn operations_table(sources: &[SpecSource]) -> Result<String, Diagnostics> {
    let files = load::parse_all(sources)?;
    let ir = resolve::resolve(&files)?;
    Ok(emit::operations_table(&ir))
}

/// Reads every `*.yaml` file of `dir`, sorted by name, labelled `label/<file name>`.
pub fn read_spec_dir(dir: &Path, label: &str) -> std::io::Result<Vec<SpecSource>> {
    load::read_dir(dir, label)
}
