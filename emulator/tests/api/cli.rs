//! The binary: help, argument errors, request logging and Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::reply;

const BIN: &str = env!("CARGO_BIN_EXE_agora-chat-emulator");

#[test]
fn help_exits_zero_and_bad_arguments_exit_two() {
    let help = Command::new(BIN).arg("--help").output().expect("runs");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--users"));
    let bad = Command::new(BIN)
        .args(["--port", "nope"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("invalid value 'nope' for '--port <N>'"),
        "{err}"
    );
}

/// The binary with no AGORA_EMULATOR_* variable from the caller's environment.
fn bin() -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AGORA_EMULATOR_") {
            command.env_remove(name);
        }
    }
    command
}

#[test]
fn version_help_and_an_unknown_switch_behave_as_users_expect() {
    let version = bin().arg("--version").output().expect("runs");
    assert!(version.status.success());
    let text = String::from_utf8_lossy(&version.stdout);
    assert_eq!(
        text.trim(),
        format!("agora-chat-emulator {}", env!("CARGO_PKG_VERSION"))
    );
    let short = bin().arg("-h").output().expect("runs");
    assert!(short.status.success());
    let help = bin().arg("--help").output().expect("runs");
    assert!(help.status.success() && help.stderr.is_empty());
    insta::assert_snapshot!("help", String::from_utf8_lossy(&help.stdout));
    let unknown = bin().arg("--prot").arg("1").output().expect("runs");
    assert_eq!(unknown.status.code(), Some(2));
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("unexpected argument '--prot' found"), "{err}");
    assert!(err.contains("For more information, try '--help'."), "{err}");
    assert!(unknown.stdout.is_empty());
}

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    out_lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Self::start_with(args, &[])
    }

    fn start_with(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = bin()
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        let stderr = child.stderr.take().expect("stderr");
        let stdout = child.stdout.take().expect("stdout");
        let (out_tx, out_lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = out_tx.send(line);
            }
        });
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Server {
            child,
            lines,
            out_lines,
        }
    }

    /// The base URL from the `listening on` line on stdout.
    fn base_url(&self) -> String {
        let wait = || self.out_lines.recv_timeout(Duration::from_secs(10));
        let line = tokio::task::block_in_place(wait).expect("a line on stdout");
        let url = line.strip_prefix("listening on ");
        url.unwrap_or_else(|| panic!("not a listening line: {line}"))
            .to_owned()
    }

    fn line(&self) -> String {
        let wait = || self.lines.recv_timeout(Duration::from_secs(10));
        tokio::task::block_in_place(wait).expect("a line on stderr")
    }

    fn interrupt_and_wait(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_logs_each_request_and_stops_on_ctrl_c() {
    let mut server = Server::start(&["--port", "0", "--token", "t", "--users", "alice"]);
    let banner = server.line();
    let api = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {banner}"))
        .to_owned();
    assert!(api.ends_with("/demo/demo"), "{banner}");
    let http = crate::common::http();
    let r = reply(
        http.get(format!("{api}/users/bob/joined_chatrooms"))
            .bearer_auth("t"),
    )
    .await;
    assert_eq!(r.status, 404, "strict mode from --users");
    let log = server.line();
    let fields: Vec<&str> = log.split_whitespace().collect();
    assert_eq!(
        fields[..3],
        ["GET", "/demo/demo/users/bob/joined_chatrooms", "404"],
        "{log}"
    );
    assert!(fields[3].ends_with("ms"), "{log}");
    assert!(server.interrupt_and_wait(), "clean exit on SIGINT");
}

#[test]
fn malformed_app_credentials_exit_two_with_a_clear_message() {
    let cert = "5CFd2fd1755d40ecb72977518be15d3b";
    let bad = Command::new(BIN)
        .args(["--app-id", "xyz", "--app-certificate", cert])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("invalid app id: must be exactly 32 hex characters"),
        "{err}"
    );
    let lonely = Command::new(BIN)
        .args(["--client-id", "c"])
        .output()
        .expect("runs");
    assert_eq!(lonely.status.code(), Some(2));
    let err = String::from_utf8_lossy(&lonely.stderr);
    assert!(
        err.contains("--client-id needs --client-secret too"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_credentials_and_client_credentials_from_flags() {
    use agora_chat::Secret;
    use agora_chat::auth::access_token::TokenMinter;

    let (app_id, cert) = (
        "970CA35de60c44645bbae8a215061b33",
        "5CFd2fd1755d40ecb72977518be15d3b",
    );
    let args = [
        "--port",
        "0",
        "--app-id",
        app_id,
        "--app-certificate",
        cert,
        "--client-id",
        "cid",
        "--client-secret",
        "csecret",
    ];
    let server = Server::start(&args);
    let banner = server.line();
    let api = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {banner}"))
        .to_owned();
    assert!(
        banner.contains("accepting AccessToken2 app tokens for App ID 970CA35de60c44645bbae8a215061b33, tokens from POST /demo/demo/token"),
        "{banner}"
    );
    assert!(
        !banner.contains(cert) && !banner.contains("csecret"),
        "{banner}"
    );
    let http = crate::common::http();
    let minted = TokenMinter::new(app_id, Secret::from(cert))
        .and_then(|m| m.mint_app_token(600))
        .expect("mints");
    let list = format!("{api}/chatrooms");
    let ok = reply(http.get(&list).bearer_auth(minted.token.expose())).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let default = reply(http.get(&list).bearer_auth("emulator-token")).await;
    assert_eq!(default.status, 401, "no default token beside --app-id");
    let body = r#"{"grant_type":"client_credentials","client_id":"cid","client_secret":"csecret"}"#;
    let issued = reply(
        http.post(format!("{api}/token"))
            .header("Content-Type", "application/json")
            .body(body),
    )
    .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let token = issued.body["access_token"].as_str().expect("token");
    assert_eq!(reply(http.get(&list).bearer_auth(token)).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_from_a_flag_and_faults_over_the_admin_endpoint() {
    let server = Server::start(&["--port", "0", "--token", "t", "--quotas", "documented"]);
    let banner = server.line();
    let api = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {banner}"))
        .to_owned();
    let notice = server.line();
    assert!(notice.contains("documented quotas"), "{notice}");
    let root = api.trim_end_matches("/demo/demo");
    let http = crate::common::http();
    let quotas = reply(http.get(format!("{root}/_emulator/quotas"))).await;
    assert_eq!(quotas.body["quotas"]["create_chatroom"], 50);
    let fault = r#"{"operation": "list_chatrooms", "fault": "status", "status": 503}"#;
    let queued = reply(
        http.post(format!("{root}/_emulator/faults"))
            .header("Content-Type", "application/json")
            .body(fault),
    )
    .await;
    assert_eq!(queued.status, 200, "{}", queued.body);
    let list = format!("{api}/chatrooms");
    let answered = http
        .get(&list)
        .bearer_auth("t")
        .send()
        .await
        .expect("answered");
    assert_eq!(answered.status().as_u16(), 503);
    assert_eq!(reply(http.get(&list).bearer_auth("t")).await.status, 200);
    let counts = reply(http.get(format!("{root}/_emulator/requests"))).await;
    assert_eq!(counts.body["requests"]["list_chatrooms"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_is_saved_on_sigterm_and_seeds_the_next_run() {
    let dir = std::env::temp_dir().join(format!("emu-cli-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("state.json");
    let path = file.to_string_lossy().into_owned();
    let mut server = Server::start(&["--port", "0", "--token", "t", "--state", &path]);
    let base = server.base_url();
    let http = crate::common::http();
    let create = r#"{"name": "kept", "description": "d", "owner": "alice"}"#;
    let created = reply(
        http.post(format!("{base}/demo/demo/chatrooms"))
            .bearer_auth("t")
            .header("Content-Type", "application/json")
            .body(create),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let sent = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    assert!(sent.is_ok_and(|s| s.success()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let saved = std::fs::read_to_string(&file).expect("the state file was written");
    assert!(saved.contains("\"kept\""), "{saved}");
    assert!(!saved.contains("\"t\""), "no token in the state file");
    let seeded = Server::start(&["--port", "0", "--seed", &path]);
    let base = seeded.base_url();
    let listed = reply(
        http.get(format!("{base}/demo/demo/chatrooms"))
            .bearer_auth("emulator-token"),
    )
    .await;
    assert_eq!(listed.body["data"][0]["name"], "kept", "{}", listed.body);
    drop(seeded);
    std::fs::write(&file, "{\"version\": 1, \"chatrooms\": 3}").expect("writes");
    let bad = bin()
        .args(["--port", "0", "--seed", &path])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("state.json") && err.contains("invalid type"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_from_the_environment_and_the_admin_token() {
    let env = [
        ("AGORA_EMULATOR_TOKEN", "envtok"),
        ("AGORA_EMULATOR_ADMIN_TOKEN", "adm"),
    ];
    let server = Server::start_with(&["--port", "0"], &env);
    let base = server.base_url();
    let http = crate::common::http();
    let list = format!("{base}/demo/demo/chatrooms");
    assert_eq!(
        reply(http.get(&list).bearer_auth("envtok")).await.status,
        200
    );
    let info = format!("{base}/_emulator/info");
    let denied = reply(http.get(&info)).await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.body["error"], "unauthorized");
    let info = reply(http.get(&info).bearer_auth("adm")).await;
    assert_eq!(info.body["admin_token"], true);
    let health = reply(http.get(format!("{base}/_emulator/health"))).await;
    assert_eq!(health.status, 200);
}
