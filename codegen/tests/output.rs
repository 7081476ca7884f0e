//! Properties of the generated files as a whole: deterministic, in a stable order, marked
//! `@generated`, valid Rust, and free of code that would warn in the client crate.

mod common;

use agora_chat_codegen::{GeneratedFile, generate, read_spec_dir};
use common::{
    GENERATED_FILES, file, fixtures_dir, generate_fixture, generate_real_spec,
    generate_with_common, real_spec, source,
};

fn paths(files: &[GeneratedFile]) -> Vec<&str> {
    files.iter().map(|f| f.path.as_str()).collect()
}

/// Every fixture but `common`, by name.
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .filter(|name| name != "common")
        .collect();
    names.sort();
    names
}

#[test]
fn generating_twice_gives_identical_output() {
    assert_eq!(generate_real_spec(), generate_real_spec());
    for name in fixture_names() {
        assert_eq!(generate_fixture(&name), generate_fixture(&name), "{name}");
    }
}

#[test]
fn the_generated_files_come_in_a_fixed_order() {
    assert_eq!(paths(&generate_real_spec()), GENERATED_FILES);
    // A spec file without operations has no `operations.rs` in its module; the API-wide files
    // are always there.
    assert_eq!(
        paths(&generate_fixture("newtype")),
        [
            "mod.rs",
            "types.rs",
            "operations.rs",
            "common/mod.rs",
            "common/types.rs",
            "newtype/mod.rs",
            "newtype/types.rs",
        ]
    );
}

#[test]
fn spec_files_are_read_sorted_by_name_and_yaml_only() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("read_spec_dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the test directory can be created");
    for name in ["zebra.yaml", "apple.yaml", "notes.txt", "mango.yml"] {
        std::fs::write(dir.join(name), "types: {}\n").expect("a file can be written");
    }
    let sources = read_spec_dir(&dir, "spec").expect("the directory is readable");
    let names: Vec<&str> = sources.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(names, ["spec/apple.yaml", "spec/zebra.yaml"]);

    let real: Vec<String> = real_spec().into_iter().map(|s| s.path).collect();
    assert_eq!(real[..2], ["spec/api.yaml", "spec/chatrooms.yaml"]);
    assert!(
        real.contains(&"spec/moderation.yaml".to_owned()),
        "{real:?}"
    );
    assert!(real.is_sorted(), "{real:?}");
}

#[test]
fn items_follow_the_order_of_the_spec_not_the_alphabet() {
    let text = "\
types:
  Zebra:
    doc: Declared first.
    newtype: string
  Apple:
    doc: Declared second.
    newtype: string

operations:
  zap:
    doc: Declared first.
    source: Zap
    method: POST
    path: /zap
    response: json
    rate_limit_per_sec: 1
    retry_safe: false
  add:
    doc: Declared second.
    source: Add
    method: POST
    path: /add
    response: json
    rate_limit_per_sec: 1
    retry_safe: false
";
    let files = generate_with_common("spec/order.yaml", text).expect("the spec generates");
    let types = file(&files, "order/types.rs");
    let zebra = types.find("pub struct Zebra").expect("Zebra is emitted");
    let apple = types.find("pub struct Apple").expect("Apple is emitted");
    assert!(zebra < apple, "types are not in spec order");
    // The common module comes first, as its file is given first.
    let modules = file(&files, "mod.rs");
    assert!(modules.find("pub mod common;") < modules.find("pub mod order;"));
    assert!(
        file(&files, "operations.rs")
            .contains("pub const OPERATIONS: &[&OperationMeta] = &[&ZAP, &ADD];"),
        "operations are not in spec order"
    );
}

#[test]
fn a_doc_edit_in_the_spec_changes_the_generated_code() {
    let mut sources = real_spec();
    let chatrooms = sources
        .iter_mut()
        .find(|s| s.path == "spec/chatrooms.yaml")
        .expect("the real spec has chatrooms.yaml");
    assert!(chatrooms.text.contains("doc: Delete a chatroom."));
    chatrooms.text = chatrooms.text.replace(
        "doc: Delete a chatroom.",
        "doc: Delete a chatroom for good.",
    );
    let edited = generate(&sources).expect("the edited spec generates");
    let original = generate_real_spec();
    let operations = "chatrooms/client.rs";
    assert_ne!(file(&edited, operations), file(&original, operations));
    assert!(file(&edited, operations).contains("/// Delete a chatroom for good."));
    assert_eq!(
        file(&edited, "chatrooms/types.rs"),
        file(&original, "chatrooms/types.rs")
    );
}

/// The header every generated file starts with, naming the spec files it comes from.
fn real_spec_header() -> String {
    let names: Vec<String> = real_spec().into_iter().map(|s| s.path).collect();
    format!(
        "// @generated by `cargo xtask gen` from {}.\n\
         // Do not edit by hand: change the spec or the generator and run `cargo xtask gen`.\n\n",
        names.join(", ")
    )
}

#[test]
fn every_generated_file_of_the_real_spec_is_marked_and_parses() {
    let header = real_spec_header();
    assert!(
        header.contains("spec/api.yaml, spec/chatrooms.yaml"),
        "{header}"
    );
    for generated in generate_real_spec() {
        assert!(
            generated.contents.starts_with(&header),
            "{} does not start with the @generated header",
            generated.path
        );
        if let Err(err) = syn::parse_file(&generated.contents) {
            panic!("{} does not parse: {err}", generated.path);
        }
    }
}

#[test]
fn every_generated_file_of_every_fixture_is_marked_and_parses() {
    for name in fixture_names() {
        for generated in generate_fixture(&name) {
            let header = format!(
                "// @generated by `cargo xtask gen` from spec/common.yaml, spec/{name}.yaml.\n"
            );
            assert!(
                generated.contents.starts_with(&header),
                "{name}: {} does not start with the @generated header",
                generated.path
            );
            if let Err(err) = syn::parse_file(&generated.contents) {
                panic!("{name}: {} does not parse: {err}", generated.path);
            }
        }
    }
}

#[test]
fn the_header_names_the_spec_files_in_the_order_given() {
    let text = "\
types:
  Room:
    doc: A room.
    newtype: string
";
    let files =
        generate(&[common::common(), source("spec/rooms.yaml", text)]).expect("the spec generates");
    for generated in &files {
        assert!(
            generated.contents.starts_with(
                "// @generated by `cargo xtask gen` from spec/common.yaml, spec/rooms.yaml.\n"
            ),
            "{}",
            generated.path
        );
    }
}

/// The generated code without any whitespace, to look for token sequences.
fn squeezed(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn a_validate_impl_without_rules_uses_its_checker() {
    let empty_check = "fncheck(&self,checker:&mutcrate::validate::Checker){}";
    // `UpdateRoom` is a body without rules; `ListRoomsQuery` a query without rules.
    let body = generate_fixture("applied_flags");
    assert!(!squeezed(file(&body, "applied_flags/validate.rs")).contains(empty_check));
    let query = generate_fixture("cursor_pagination");
    assert!(!squeezed(file(&query, "cursor_pagination/operations.rs")).contains(empty_check));
}

#[test]
fn an_operation_with_nothing_to_validate_has_no_mutable_checker() {
    // `get_room` has one path parameter without rules, no query and no body.
    let files = generate_fixture("operation");
    let unused_mut = "letmutchecker=crate::validate::Checker::default();checker.finish()";
    assert!(!squeezed(file(&files, "operation/client.rs")).contains(unused_mut));
}
