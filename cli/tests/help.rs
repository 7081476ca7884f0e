//! The help output, snapshotted: it comes from the spec's docs, so a changed doc shows here.

mod common;

use common::run;

fn help(args: &[&str]) -> String {
    let run = run(args, &[], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(&["--help"]));
}

#[test]
fn resource_help() {
    insta::assert_snapshot!(help(&["chatrooms", "--help"]));
}

#[test]
fn operation_help() {
    insta::assert_snapshot!("create", help(&["chatrooms", "create", "--help"]));
    insta::assert_snapshot!("list", help(&["chatrooms", "list", "--help"]));
    insta::assert_snapshot!("get", help(&["chatrooms", "get", "--help"]));
}

#[test]
fn token_help() {
    insta::assert_snapshot!("mint", help(&["token", "mint", "--help"]));
    insta::assert_snapshot!("inspect", help(&["token", "inspect", "--help"]));
}

#[test]
fn emulator_takes_the_emulator_flags() {
    let text = help(&["emulator", "--help"]);
    for flag in [
        "--port <N>",
        "--app-id <HEX32>",
        "--quotas <QUOTAS>",
        "--state <FILE>",
    ] {
        assert!(text.contains(flag), "{flag} missing: {text}");
    }
    assert!(text.contains("/_emulator/openapi.json"), "{text}");
}

#[test]
fn completions_cover_every_command() {
    let script = help(&["completions", "bash"]);
    for word in [
        "chatrooms",
        "list-joined",
        "--from-file",
        "token",
        "inspect",
    ] {
        assert!(script.contains(word), "{word} missing");
    }
    assert_eq!(run(&["completions", "tcsh"], &[], "").code, 2);
}
