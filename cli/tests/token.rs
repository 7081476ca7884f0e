//! `agora-chat token mint` and `token inspect`: a minted app token is accepted by the emulator
//! in app-credentials mode; inspection shows the grant, never the signature or certificate.

mod common;

use common::{APP_ID, CERTIFICATE, Emulator, ok, run};
use serde_json::json;

fn credentials() -> Vec<(&'static str, String)> {
    vec![
        ("AGORA_CHAT_APP_ID", APP_ID.to_owned()),
        ("AGORA_CHAT_APP_CERTIFICATE", CERTIFICATE.to_owned()),
    ]
}

#[test]
fn a_minted_app_token_is_accepted_by_the_emulator() {
    let emu = Emulator::start(
        &["--app-id", APP_ID],
        &[("AGORA_EMULATOR_APP_CERTIFICATE", CERTIFICATE)],
    );
    let token = ok(&["token", "mint", "--lifetime", "1h"], &credentials());
    let token = token.trim().to_owned();
    assert!(token.starts_with("007"), "{token}");
    let mut env: Vec<(&str, String)> = emu.env();
    env.retain(|(k, _)| *k != "AGORA_CHAT_APP_TOKEN");
    env.push(("AGORA_CHAT_APP_TOKEN", token.clone()));
    let listed = run(&["chatrooms", "list", "--json"], &env, "");
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(listed.stdout.trim(), "[]");
    // The fixed token is not accepted in this mode: the app token did the work.
    let fixed = run(&["chatrooms", "list"], &Emulator::env(&emu), "");
    assert_eq!(fixed.code, 4, "{}", fixed.stderr);

    let details = run(&["token", "inspect", &token, "--json"], &[], "");
    assert_eq!(details.code, 0, "{}", details.stderr);
    let details: serde_json::Value = serde_json::from_str(&details.stdout).expect("JSON");
    assert_eq!(details["app_id"], json!(APP_ID));
    assert_eq!(details["kind"], json!("app"));
    assert_eq!(details["expire_secs"], json!(3600));
    let issued = details["issued_at"].as_u64().expect("issued_at");
    assert_eq!(details["expires_at"].as_u64(), Some(issued + 3600));
    assert_eq!(details["services"][0]["service"], json!("chat"));
    assert_eq!(
        details["services"][0]["privileges"][0]["privilege"],
        json!("app")
    );
    let from_stdin = run(&["token", "inspect", "-"], &[], &token);
    assert_eq!(from_stdin.code, 0, "{}", from_stdin.stderr);
    assert!(
        from_stdin
            .stdout
            .contains(&format!("app_id          {APP_ID}")),
        "{}",
        from_stdin.stdout
    );
    assert!(!from_stdin.stdout.contains(CERTIFICATE));
    assert!(!from_stdin.stdout.to_ascii_lowercase().contains("signature"));
}

#[test]
fn a_user_token_and_its_fields() {
    let minted = run(
        &[
            "token",
            "mint",
            "--user",
            "alice",
            "--lifetime",
            "10m",
            "--json",
        ],
        &credentials(),
        "",
    );
    assert_eq!(minted.code, 0, "{}", minted.stderr);
    let minted: serde_json::Value = serde_json::from_str(&minted.stdout).expect("JSON");
    assert_eq!(minted["kind"], json!("user"));
    let expires = minted["expires_at"].as_u64().expect("expires_at");
    assert_eq!(minted["issued_at"].as_u64().map(|t| t + 600), Some(expires));
    let token = minted["token"].as_str().expect("token");
    let details = run(&["token", "inspect", token, "--json"], &[], "");
    let details: serde_json::Value = serde_json::from_str(&details.stdout).expect("JSON");
    assert_eq!(details["chat_user_id"], json!("alice"));
    assert_eq!(
        details["services"][0]["privileges"][0]["privilege"],
        json!("user")
    );
}

#[test]
fn a_bad_certificate_is_refused_without_being_echoed() {
    let bad = "5CFd2fd1755d40ecb72977518be15dZZ";
    let env = vec![
        ("AGORA_CHAT_APP_ID", APP_ID.to_owned()),
        ("AGORA_CHAT_APP_CERTIFICATE", bad.to_owned()),
    ];
    let refused = run(&["token", "mint"], &env, "");
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("certificate"), "{}", refused.stderr);
    assert!(!refused.stderr.contains(&bad[..20]), "{}", refused.stderr);
    let garbage = run(&["token", "inspect", "007garbage"], &[], "");
    assert_eq!(garbage.code, 3, "{}", garbage.stderr);
}
