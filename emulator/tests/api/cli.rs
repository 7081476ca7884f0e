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
    assert!(err.contains("invalid value 'nope' for --port"), "{err}");
}

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Server { child, lines }
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
    let http = reqwest::Client::new();
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
        err.contains("--app-id: invalid app id: must be exactly 32 hex characters"),
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
    let http = reqwest::Client::new();
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
    let http = reqwest::Client::new();
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
