//! Snapshots of the generated code.
//!
//! One fixture per construct (`tests/fixtures/<name>.yaml`, generated behind
//! `tests/fixtures/common.yaml`) with the generated file(s) that construct shapes, and every
//! generated file of the real spec (`../spec`), so that any change of the output — a doc
//! string edited in the spec included — shows up as a snapshot diff to review.
//!
//! Update with `INSTA_UPDATE=always cargo test -p agora-chat-codegen --test snapshots` (or
//! `cargo insta review`), then read the diff.

mod common;

use common::{GENERATED_FILES, file, fixtures_dir, generate_fixture, generate_real_spec};

/// Items that come from `common.yaml`; they are left out of the fixtures' snapshots so that
/// each one shows its construct only (the `common` snapshot shows them).
const COMMON_ITEMS: [&str; 5] = ["Meta", "ErrorBody", "ErrorCode", "Envelope", "ERROR_CODES"];

fn assert_named_snapshot(name: &str, contents: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, contents);
    });
}

/// Snapshots the files `paths` generated from fixture `name`, as `<name>__<file stem>`.
fn snapshot_fixture(name: &str, paths: &[&str]) {
    let files = generate_fixture(name);
    for path in paths {
        let contents = without_common_items(file(&files, path));
        let stem = path.trim_end_matches(".rs");
        assert_named_snapshot(&format!("{name}__{stem}"), &contents);
    }
}

/// The generated file without the items of `common.yaml`, formatted exactly as generated.
fn without_common_items(contents: &str) -> String {
    let (header, code) = contents
        .split_once("\n\n")
        .expect("a generated file starts with its header and a blank line");
    let mut parsed = syn::parse_file(code).expect("generated code parses");
    // Re-printing must not change the code, so the snapshot shows the generated text itself.
    assert_eq!(
        prettyplease::unparse(&parsed),
        code,
        "re-printing changed the code"
    );
    parsed.items.retain(|item| !is_common_item(item));
    format!("{header}\n\n{}", prettyplease::unparse(&parsed))
}

fn is_common_item(item: &syn::Item) -> bool {
    let ident = match item {
        syn::Item::Struct(item) => &item.ident,
        syn::Item::Enum(item) => &item.ident,
        syn::Item::Const(item) => &item.ident,
        syn::Item::Impl(item) => match &*item.self_ty {
            syn::Type::Path(path) => match path.path.segments.last() {
                Some(segment) => &segment.ident,
                None => return false,
            },
            _ => return false,
        },
        _ => return false,
    };
    COMMON_ITEMS.iter().any(|name| ident == name)
}

/// One test per fixture, and the list of all of them (checked against `tests/fixtures`).
macro_rules! fixture_snapshots {
    ($($name:ident: [$($path:literal),+ $(,)?],)+) => {
        const SNAPSHOTTED_FIXTURES: &[&str] = &[$(stringify!($name)),+];
        $(
            #[test]
            fn $name() {
                snapshot_fixture(stringify!($name), &[$($path),+]);
            }
        )+
    };
}

fixture_snapshots! {
    plain_struct: ["types.rs"],
    optional_fields: ["types.rs"],
    wire_rename: ["types.rs"],
    closed_enum: ["types.rs"],
    open_enum: ["types.rs"],
    one_key: ["types.rs"],
    one_key_unknown: ["types.rs"],
    newtype: ["types.rs"],
    lenient: ["types.rs"],
    applied_flags: ["types.rs", "validate.rs", "operations.rs"],
    min_fields: ["types.rs", "validate.rs"],
    operation: ["operations.rs"],
    list_path_param: ["operations.rs"],
    cursor_pagination: ["operations.rs"],
    page_number_pagination: ["operations.rs"],
    batch: ["operations.rs"],
    bulk: ["operations.rs"],
    rule_max_chars: ["types.rs", "validate.rs"],
    rule_min_chars: ["types.rs", "validate.rs"],
    rule_forbid_chars: ["types.rs", "validate.rs"],
    rule_format_username: ["types.rs", "validate.rs"],
    rule_int_range: ["types.rs", "validate.rs"],
    rule_item_count: ["types.rs", "validate.rs"],
    rule_max_items_from: ["types.rs", "validate.rs"],
    rule_items: ["types.rs", "validate.rs"],
}

/// The common header alone: the envelope, the error body and the module file.
#[test]
fn common() {
    let files = agora_chat_codegen::generate(&[common::common()])
        .unwrap_or_else(|diagnostics| panic!("common.yaml does not generate:\n{diagnostics}"));
    for path in ["mod.rs", "types.rs"] {
        let stem = path.trim_end_matches(".rs");
        assert_named_snapshot(&format!("common__{stem}"), file(&files, path));
    }
}

#[test]
fn every_fixture_has_a_snapshot_test() {
    let mut fixtures: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .filter(|name| name != "common")
        .collect();
    fixtures.sort();
    let mut tested: Vec<&str> = SNAPSHOTTED_FIXTURES.to_vec();
    tested.sort_unstable();
    assert_eq!(fixtures, tested);
}

/// Every generated file of the real spec, as `real_spec__<file stem>`.
#[test]
fn real_spec() {
    let files = generate_real_spec();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, GENERATED_FILES);
    for generated in &files {
        let stem = generated.path.trim_end_matches(".rs");
        assert_named_snapshot(&format!("real_spec__{stem}"), &generated.contents);
    }
}
