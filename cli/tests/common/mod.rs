//! Shared by the CLI's integration tests: run the `agora-chat` binary, and start the emulator
//! through it (`agora-chat emulator --port 0`), killed when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_agora-chat");
pub const TOKEN: &str = "emulator-token";
pub const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
pub const CERTIFICATE: &str = "5CFd2fd1755d40ecb72977518be15d3b";

/// An emulator process started through `agora-chat emulator`.
pub struct Emulator {
    child: Child,
    pub base_url: String,
}

impl Emulator {
    pub fn start(extra: &[&str], env: &[(&str, &str)]) -> Emulator {
        let mut command = Command::new(BIN);
        command
            .args(["emulator", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        clean_env(&mut command);
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("agora-chat emulator starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the listening line");
        let base_url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Emulator { child, base_url }
    }

    /// The environment of a client of this emulator (fixed token).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AGORA_CHAT_BASE_URL", self.base_url.clone()),
            ("AGORA_CHAT_ORG_NAME", "demo".to_owned()),
            ("AGORA_CHAT_APP_NAME", "demo".to_owned()),
            ("AGORA_CHAT_ALLOW_HTTP", "1".to_owned()),
            ("AGORA_CHAT_APP_TOKEN", TOKEN.to_owned()),
        ]
    }

    /// `GET path` on the emulator, over a plain socket: (status line, body).
    pub fn get(&self, path: &str) -> (String, String) {
        let addr = self.base_url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connects");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("request sent");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stream, &mut text).expect("answer read");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        (
            head.lines().next().unwrap_or_default().to_owned(),
            body.to_owned(),
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// No setting from the machine running the tests leaks in: no AGORA_* variables, no config.
pub fn clean_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AGORA_") {
            command.env_remove(name);
        }
    }
    command.env(
        "AGORA_CHAT_CONFIG",
        "/nonexistent/agora-chat-test-config.json",
    );
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `agora-chat ARGS` with `env` (after `clean_env`) and `stdin`.
pub fn run(args: &[&str], env: &[(&str, String)], stdin: &str) -> Run {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    clean_env(&mut command);
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let mut child = command.spawn().expect("agora-chat runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin written");
    }
    let output = child.wait_with_output().expect("agora-chat finishes");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Like [`run`], and the command must succeed.
pub fn ok(args: &[&str], env: &[(&str, String)]) -> String {
    let run = run(args, env, "");
    assert_eq!(run.code, 0, "agora-chat {args:?} failed: {}", run.stderr);
    run.stdout
}

/// Like [`ok`] with `--json`, parsed.
pub fn json(args: &[&str], env: &[(&str, String)]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = ok(&all, env);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}
