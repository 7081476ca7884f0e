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

fn assert_named_snapshot(name: &str, contents: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, contents);
    });
}

/// Snapshots the files `paths` of fixture `name`'s own module (`<name>/<path>`), as
/// `<name>__<file stem>`. The items of `common.yaml` live in their own module and the
/// API-wide files, so each snapshot shows its construct only (the `common` snapshots show
/// the rest).
fn snapshot_fixture(name: &str, paths: &[&str]) {
    let files = generate_fixture(name);
    for path in paths {
        let contents = file(&files, &format!("{name}/{path}"));
        assert_reprints_unchanged(contents);
        let stem = path.trim_end_matches(".rs");
        assert_named_snapshot(&format!("{name}__{stem}"), contents);
    }
}

/// Re-printing must not change the code, so the snapshot shows exactly what prettyplease made.
fn assert_reprints_unchanged(contents: &str) {
    let (_header, code) = contents
        .split_once("\n\n")
        .expect("a generated file starts with its header and a blank line");
    let parsed = syn::parse_file(code).expect("generated code parses");
    assert_eq!(
        prettyplease::unparse(&parsed),
        code,
        "re-printing changed the code"
    );
}

/// `chatrooms/types.rs` -> `chatrooms__types`.
fn snapshot_name(prefix: &str, path: &str) -> String {
    format!(
        "{prefix}__{}",
        path.trim_end_matches(".rs").replace('/', "__")
    )
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
    applied_flags: ["types.rs", "validate.rs", "operations.rs", "client.rs"],
    min_fields: ["types.rs", "validate.rs"],
    operation: ["operations.rs", "client.rs"],
    list_path_param: ["operations.rs", "client.rs"],
    two_path_params: ["operations.rs", "client.rs"],
    cursor_pagination: ["operations.rs", "client.rs"],
    page_number_pagination: ["operations.rs", "client.rs"],
    batch: ["operations.rs", "client.rs"],
    bulk: ["operations.rs", "client.rs"],
    item_results: ["operations.rs", "client.rs"],
    batch_body: ["types.rs", "client.rs"],
    dispatch: ["types.rs", "client.rs"],
    rule_max_chars: ["types.rs", "validate.rs"],
    rule_min_chars: ["types.rs", "validate.rs"],
    rule_forbid_chars: ["types.rs", "validate.rs"],
    rule_format_username: ["types.rs", "validate.rs"],
    rule_int_range: ["types.rs", "validate.rs"],
    rule_item_count: ["types.rs", "validate.rs"],
    rule_max_items_from: ["types.rs", "validate.rs"],
    rule_items: ["types.rs", "validate.rs"],
    millis: ["types.rs", "validate.rs"],
    map_rules: ["types.rs", "validate.rs"],
}

/// The common header alone: the module files, the API-wide files (with the envelope) and the
/// `common` module (the error body and the error table).
#[test]
fn common() {
    let files = agora_chat_codegen::generate(&[common::common()])
        .unwrap_or_else(|diagnostics| panic!("common.yaml does not generate:\n{diagnostics}"));
    for generated in &files {
        assert_named_snapshot(
            &snapshot_name("common", &generated.path),
            &generated.contents,
        );
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
        assert_named_snapshot(
            &snapshot_name("real_spec", &generated.path),
            &generated.contents,
        );
    }
}
