//! Every chatroom operation through the `agora-chat` binary against the emulator (started by
//! `agora-chat emulator`), in table and JSON output, with exit codes by error class.

mod common;

use common::{Emulator, json, ok, run};
use serde_json::json;

fn create(env: &[(&str, String)], name: &str) -> String {
    let created = json(
        &[
            "chatrooms",
            "create",
            "--name",
            name,
            "--description",
            "d",
            "--owner",
            "alice",
            "--member",
            "bob",
            "--member",
            "carol",
        ],
        env,
    );
    created["id"].as_str().expect("an id").to_owned()
}

#[test]
fn create_in_json_and_table() {
    let emu = Emulator::start(&[], &[]);
    let env = emu.env();
    let id = create(&env, "lobby");
    assert!(id.chars().all(|c| c.is_ascii_digit()), "{id}");
    let table = ok(
        &[
            "chatrooms",
            "create",
            "--name",
            "hall",
            "--description",
            "",
            "--owner",
            "alice",
        ],
        &env,
    );
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["KEY", "VALUE"]
    );
    assert!(lines[1].starts_with("id "), "{table}");
    // The whole body as JSON, a flag laid over it.
    let created = json(
        &[
            "chatrooms",
            "create",
            "--body-json",
            r#"{"name": "x", "description": "d", "owner": "alice", "maxusers": 10}"#,
            "--name",
            "from-flag",
        ],
        &env,
    );
    let new_id = created["id"].as_str().expect("id").to_owned();
    let details = json(&["chatrooms", "get", "--chatroom-id", &new_id], &env);
    assert_eq!(details[0]["name"], json!("from-flag"));
    assert_eq!(details[0]["maxusers"], json!(10));
}

#[test]
fn list_pages_and_streams() {
    let emu = Emulator::start(&[], &[]);
    let env = emu.env();
    for name in ["a", "b", "c"] {
        create(&env, name);
    }
    let page = run(&["chatrooms", "list", "--limit", "2", "--json"], &env, "");
    assert_eq!(page.code, 0, "{}", page.stderr);
    let items: serde_json::Value = serde_json::from_str(&page.stdout).expect("JSON");
    assert_eq!(items.as_array().map(Vec::len), Some(2));
    assert!(
        page.stderr.contains("more: repeat with --cursor"),
        "{}",
        page.stderr
    );
    // --all --json: JSON lines, one chatroom each.
    let lines = ok(
        &["chatrooms", "list", "--limit", "1", "--all", "--json"],
        &env,
    );
    let names: Vec<String> = lines
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .map(|item| item["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["c", "b", "a"]);
    let table = ok(&["chatrooms", "list", "--all"], &env);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header[0], "ID");
    assert!(
        header.contains(&"NAME") && header.contains(&"OWNER"),
        "{table}"
    );
    assert_eq!(table.lines().count(), 4, "{table}");
}

#[test]
fn joined_chatrooms_one_user_and_many_from_stdin() {
    let emu = Emulator::start(&[], &[]);
    let env = emu.env();
    let id = create(&env, "lobby");
    let joined = json(&["chatrooms", "list-joined", "--username", "bob"], &env);
    assert_eq!(joined[0]["id"], json!(id));
    let table = ok(
        &["chatrooms", "list-joined", "--username", "carol", "--all"],
        &env,
    );
    assert!(
        table.lines().nth(1).is_some_and(|l| l.starts_with(&id)),
        "{table}"
    );
    let bulk = run(
        &["chatrooms", "list-joined", "--from-file", "-", "--json"],
        &env,
        "bob\n# comment\n\ncarol\n",
    );
    assert_eq!(bulk.code, 0, "{}", bulk.stderr);
    let results: serde_json::Value = serde_json::from_str(&bulk.stdout).expect("JSON");
    assert_eq!(results[0]["key"], json!("bob"));
    assert_eq!(results[1]["key"], json!("carol"));
    assert_eq!(results[1]["ok"], json!(true));
    assert_eq!(results[1]["result"][0]["id"], json!(id));
    // Not a terminal: no progress bar on stderr.
    assert!(!bulk.stderr.contains('['), "{}", bulk.stderr);
}

#[test]
fn get_one_many_and_missing() {
    let emu = Emulator::start(&[], &[]);
    let env = emu.env();
    let first = create(&env, "one");
    let second = create(&env, "two");
    let both = json(
        &[
            "chatrooms",
            "get",
            "--chatroom-id",
            &first,
            "--chatroom-id",
            &second,
        ],
        &env,
    );
    assert_eq!(both.as_array().map(Vec::len), Some(2));
    assert_eq!(both[0]["owner"], json!("alice"));
    let table = ok(&["chatrooms", "get", "--chatroom-id", &first], &env);
    assert!(
        table.lines().nth(1).is_some_and(|l| l.starts_with(&first)),
        "{table}"
    );
    let file = std::env::temp_dir().join(format!("agora-chat-ids-{}", std::process::id()));
    std::fs::write(&file, format!("{first}\n999\n")).expect("ids written");
    let path = file.to_string_lossy().into_owned();
    let batched = run(
        &["chatrooms", "get", "--from-file", &path, "--json"],
        &env,
        "",
    );
    let _ = std::fs::remove_file(&file);
    assert_eq!(
        batched.code, 5,
        "a missing id is not found: {}",
        batched.stderr
    );
    let found: serde_json::Value = serde_json::from_str(&batched.stdout).expect("JSON");
    assert_eq!(found[0]["id"], json!(first));
    assert!(
        batched.stderr.contains("not found: 999"),
        "{}",
        batched.stderr
    );
    let missing = run(&["chatrooms", "get", "--chatroom-id", "12345"], &env, "");
    assert_eq!(missing.code, 5, "{}", missing.stderr);
}

#[test]
fn update_in_json_and_table() {
    let emu = Emulator::start(&[], &[]);
    let env = emu.env();
    let id = create(&env, "lobby");
    let flags = json(
        &[
            "chatrooms",
            "update",
            "--chatroom-id",
            &id,
            "--name",
            "hall",
            "--maxusers",
            "50",
        ],
        &env,
    );
    assert_eq!(flags, json!({"groupname": true, "maxusers": true}));
    let table = ok(
        &[
            "chatrooms",
            "update",
            "--chatroom-id",
            &id,
            "--description",
            "new",
        ],
        &env,
    );
    insta::assert_snapshot!(table, @r"
    KEY          VALUE
    description  true
    ");
    // No field at all: refused by the generated validation before any request (exit 3).
    let none = run(&["chatrooms", "update", "--chatroom-id", &id], &env, "");
    assert_eq!(none.code, 3, "{}", none.stderr);
    let slash = run(
        &["chatrooms", "update", "--chatroom-id", &id, "--name", "a/b"],
        &env,
        "",
    );
    assert_eq!(slash.code, 3, "{}", slash.stderr);
}

#[test]
fn delete_one_and_many() {
    let emu = Emulator::start(&[], &[]);
    let env = emu.env();
    let ids: Vec<String> = ["a", "b", "c"].iter().map(|n| create(&env, n)).collect();
    let deleted = json(&["chatrooms", "delete", "--chatroom-id", &ids[0]], &env);
    assert_eq!(deleted, json!({"success": true, "id": ids[0]}));
    let table = ok(&["chatrooms", "delete", "--chatroom-id", &ids[1]], &env);
    assert!(table.contains("success  true"), "{table}");
    let bulk = run(
        &["chatrooms", "delete", "--from-file", "-"],
        &env,
        &format!("{}\n{}\n", ids[2], ids[0]),
    );
    // The second was deleted already: one failure, not found.
    assert_eq!(bulk.code, 5, "{}", bulk.stderr);
    let header: Vec<&str> = bulk
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["KEY", "OK", "RESULT", "ERROR"]);
    assert!(bulk.stderr.contains("1 of 2 failed"), "{}", bulk.stderr);
}

#[test]
fn errors_exit_by_class_without_secrets() {
    let emu = Emulator::start(&[], &[]);
    let env = emu.env();
    // Validation, locally: a bad username (exit 3).
    let bad = run(
        &[
            "chatrooms",
            "create",
            "--name",
            "n",
            "--description",
            "",
            "--owner",
            "a b",
        ],
        &env,
        "",
    );
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(bad.stderr.contains("owner"), "{}", bad.stderr);
    // Usage: a required flag missing (clap, exit 2), a value of the wrong type.
    assert_eq!(
        run(&["chatrooms", "create", "--name", "n"], &env, "").code,
        2
    );
    assert_eq!(
        run(&["chatrooms", "list", "--limit", "x"], &env, "").code,
        2
    );
    // Auth: a token the emulator refuses (exit 4); the token is not echoed.
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| *k != "AGORA_CHAT_APP_TOKEN");
    wrong.push(("AGORA_CHAT_APP_TOKEN", "wrong-secret-token".to_owned()));
    let refused = run(&["chatrooms", "list"], &wrong, "");
    assert_eq!(refused.code, 4, "{}", refused.stderr);
    assert!(
        !refused.stderr.contains("wrong-secret-token"),
        "{}",
        refused.stderr
    );
    // Usage: no credentials at all (exit 2).
    let mut none = env.clone();
    none.retain(|(k, _)| *k != "AGORA_CHAT_APP_TOKEN");
    let missing = run(&["chatrooms", "list"], &none, "");
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no credentials"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_profile_supplies_the_connection() {
    let emu = Emulator::start(&[], &[]);
    let config =
        std::env::temp_dir().join(format!("agora-chat-config-{}.json", std::process::id()));
    let profile = json!({"profiles": {"local": {
        "base_url": emu.base_url, "org_name": "demo", "app_name": "demo",
        "app_token": common::TOKEN, "allow_http": true,
    }}});
    std::fs::write(&config, profile.to_string()).expect("config written");
    let path = config.to_string_lossy().into_owned();
    let listed = run(
        &[
            "--config",
            &path,
            "--profile",
            "local",
            "chatrooms",
            "list",
            "--json",
        ],
        &[],
        "",
    );
    let unknown = run(
        &["--config", &path, "--profile", "prod", "chatrooms", "list"],
        &[],
        "",
    );
    let _ = std::fs::remove_file(&config);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(listed.stdout.trim(), "[]");
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no profile 'prod'"),
        "{}",
        unknown.stderr
    );
}
