//! The command line's subcommands and the OpenAPI document, generated from every fixture (each
//! a construct of the spec: field shapes, rules, paging, batch, bulk, item results, ...): the
//! generator handles every shape the IR has, not only the real spec's.

mod common;

use agora_chat_codegen::{generate_cli, generate_openapi};
use common::{common, fixture_source, fixtures_dir};

fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".yaml").map(str::to_owned)
        })
        .filter(|name| name != "common")
        .collect();
    names.sort();
    names
}

fn compact(code: &str) -> String {
    code.split_whitespace().collect()
}

/// Every fixture generates subcommands that parse as Rust, and an OpenAPI document with each
/// of its operations.
#[test]
fn every_fixture_generates_a_cli_and_an_openapi_document() {
    for name in fixture_names() {
        let sources = [common(), fixture_source(&name)];
        let cli = generate_cli(&sources)
            .unwrap_or_else(|d| panic!("fixture `{name}`: the CLI does not generate:\n{d}"));
        assert!(cli.iter().any(|f| f.path == "mod.rs"), "{name}");
        let openapi = generate_openapi(&sources)
            .unwrap_or_else(|d| panic!("fixture `{name}`: no OpenAPI document:\n{d}"));
        let document: serde_json::Value = serde_json::from_str(&openapi[0].contents).expect("JSON");
        assert_eq!(document["openapi"], "3.1.0", "{name}");
        let text = &fixture_source(&name).text;
        let ids: Vec<String> = document["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .filter_map(|item| item.as_object())
            .flat_map(|methods| methods.values())
            .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
            .collect();
        for id in &ids {
            assert!(text.contains(&format!("{id}:")), "{name}: {id}");
        }
        for generated in &cli {
            let code = compact(&generated.contents);
            for id in &ids {
                if generated.path != "mod.rs" && code.contains(&format!("client.{id}(")) {
                    assert!(code.contains("ctx.print_response(response)"), "{name}");
                }
            }
        }
    }
}

/// A comma-joined list path parameter is a repeated flag, `--from-file` drives `*_batched`.
#[test]
fn list_path_parameters_and_batches() {
    let files = generate_cli(&[common(), fixture_source("batch")]).expect("generates");
    let module = files.iter().find(|f| f.path != "mod.rs").expect("module");
    let code = compact(&module.contents);
    assert!(
        code.contains("action=clap::ArgAction::Append"),
        "{}",
        module.contents
    );
    assert!(
        code.contains("_batched(&keys,&options)"),
        "{}",
        module.contents
    );
    assert!(
        code.contains(r#"required_unless_present="from_file""#),
        "{}",
        module.contents
    );
}

/// The OpenAPI form of a comma-joined list: `simple` style, not exploded, and the extension.
#[test]
fn openapi_list_path_parameters() {
    let files =
        generate_openapi(&[common(), fixture_source("two_path_params")]).expect("generates");
    let document: serde_json::Value = serde_json::from_str(&files[0].contents).expect("JSON");
    let params: Vec<&serde_json::Value> = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("methods").values())
        .flat_map(|op| op["parameters"].as_array().expect("parameters"))
        .filter(|p| p["name"] == "usernames")
        .collect();
    assert!(!params.is_empty());
    for param in params {
        assert_eq!(param["style"], "simple");
        assert_eq!(param["explode"], false);
        assert_eq!(param["x-agora-join"], ",");
        assert_eq!(param["schema"]["type"], "array");
    }
}
