//! Helpers shared by the integration tests of the generator.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use agora_chat_codegen::{
    Diagnostics, GeneratedFile, SpecSource, generate, generate_server, read_spec_dir,
};
use std::path::{Path, PathBuf};

/// The generated files of the real spec, by path, as `generate` names them.
pub const GENERATED_FILES: [&str; 25] = [
    "mod.rs",
    "types.rs",
    "operations.rs",
    "api/mod.rs",
    "api/types.rs",
    "chatrooms/mod.rs",
    "chatrooms/types.rs",
    "chatrooms/validate.rs",
    "chatrooms/operations.rs",
    "chatrooms/client.rs",
    "members/mod.rs",
    "members/types.rs",
    "members/validate.rs",
    "members/operations.rs",
    "members/client.rs",
    "moderation/mod.rs",
    "moderation/types.rs",
    "moderation/validate.rs",
    "moderation/operations.rs",
    "moderation/client.rs",
    "users/mod.rs",
    "users/types.rs",
    "users/validate.rs",
    "users/operations.rs",
    "users/client.rs",
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures_dir() -> PathBuf {
    manifest_dir().join("tests/fixtures")
}

/// A spec source with the name diagnostics will report, e.g. `spec/broken.yaml`.
pub fn source(path: &str, text: &str) -> SpecSource {
    SpecSource {
        path: path.to_owned(),
        text: text.to_owned(),
    }
}

/// `tests/fixtures/common.yaml`: the `api` section, envelope and error body every fixture uses.
pub fn common() -> SpecSource {
    fixture_source("common")
}

/// `tests/fixtures/<name>.yaml`, reported as `spec/<name>.yaml`.
pub fn fixture_source(name: &str) -> SpecSource {
    let path = fixtures_dir().join(format!("{name}.yaml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    source(&format!("spec/{name}.yaml"), &text)
}

/// Generates the code of a fixture, together with the common header.
pub fn generate_fixture(name: &str) -> Vec<GeneratedFile> {
    generate(&[common(), fixture_source(name)])
        .unwrap_or_else(|diagnostics| panic!("fixture `{name}` does not generate:\n{diagnostics}"))
}

/// Generates the server skeleton of a fixture, together with the common header.
pub fn generate_server_fixture(name: &str) -> Vec<GeneratedFile> {
    generate_server(&[common(), fixture_source(name)])
        .unwrap_or_else(|diagnostics| panic!("fixture `{name}` does not generate:\n{diagnostics}"))
}

/// Generates a spec given as text (reported as `path`), behind the common header.
pub fn generate_with_common(path: &str, text: &str) -> Result<Vec<GeneratedFile>, Diagnostics> {
    generate(&[common(), source(path, text)])
}

/// The real spec, `../spec/*.yaml`, labelled `spec/<file>` like `cargo xtask gen` does.
pub fn real_spec() -> Vec<SpecSource> {
    let dir = manifest_dir().join("../spec");
    read_spec_dir(Path::new(&dir), "spec")
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
}

pub fn generate_real_spec() -> Vec<GeneratedFile> {
    generate(&real_spec())
        .unwrap_or_else(|diagnostics| panic!("the real spec does not generate:\n{diagnostics}"))
}

/// The contents of the generated file at `path`.
pub fn file<'a>(files: &'a [GeneratedFile], path: &str) -> &'a str {
    files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.contents.as_str())
        .unwrap_or_else(|| panic!("no generated file `{path}`"))
}
