//! `agora-chat-emulator`: run the emulator as a standalone server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use agora_chat_emulator::{DEFAULT_TOKEN, Emulator, is_username};

const USAGE: &str = "\
Usage: agora-chat-emulator [OPTIONS]

A local server that speaks the Agora Chat chatroom REST API.
The API lives under http://HOST:PORT/ORG/APP.

Options:
  --port <N>            port to listen on (default 5757; 0 picks a free one)
  --host <IP>           address to listen on (default 127.0.0.1)
  --org <NAME>          organization name (default demo)
  --app <NAME>          app name (default demo)
  --token <TOKEN>       the bearer token to accept (default emulator-token)
  --users <A,B,...>     strict mode: only these users exist
  -h, --help            print this help";

#[derive(Debug, PartialEq)]
struct Args {
    addr: SocketAddr,
    org: String,
    app: String,
    token: String,
    users: Option<Vec<String>>,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 5757)),
            org: "demo".to_owned(),
            app: "demo".to_owned(),
            token: DEFAULT_TOKEN.to_owned(),
            users: None,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => run(args).await,
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> ExitCode {
    let mut builder = Emulator::builder()
        .org(&args.org)
        .app(&args.app)
        .token(args.token)
        .bind(args.addr)
        .log_requests(true);
    if let Some(users) = args.users {
        builder = builder.strict_users(users);
    }
    let emu = match builder.start().await {
        Ok(emu) => emu,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let api = format!("{}/{}/{}", emu.base_url(), args.org, args.app);
    eprintln!("agora-chat-emulator listening on {api} (Ctrl-C to stop)");
    wait_for_stop().await;
    emu.shutdown().await;
    eprintln!("agora-chat-emulator stopped");
    ExitCode::SUCCESS
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    // Without a signal handler there is no clean way to be asked to stop.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// `Ok(None)` means help was asked for.
fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args::default();
    let mut port = args.addr.port();
    let mut host = args.addr.ip();
    while let Some(arg) = argv.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg, None),
        };
        let mut value = || inline.clone().or_else(|| argv.next());
        let value = value().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => port = parse_value(&flag, &value)?,
            "--host" => host = parse_value::<IpAddr>(&flag, &value)?,
            "--org" => args.org = path_segment(&flag, value)?,
            "--app" => args.app = path_segment(&flag, value)?,
            "--token" => args.token = non_empty(&flag, value)?,
            "--users" => args.users = Some(parse_users(&value)?),
            _ => return Err(format!("unknown option '{flag}'")),
        }
    }
    args.addr = SocketAddr::new(host, port);
    Ok(Some(args))
}

fn parse_value<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("invalid value '{value}' for {flag}"))
}

// Tokens are base64 and may contain '/', so only emptiness is refused.
fn non_empty(flag: &str, value: String) -> Result<String, String> {
    (!value.is_empty())
        .then_some(value)
        .ok_or_else(|| format!("{flag} must not be empty"))
}

// Org and app names are path segments of every URL.
fn path_segment(flag: &str, value: String) -> Result<String, String> {
    let ok = !value.is_empty() && !value.contains('/');
    ok.then_some(value)
        .ok_or_else(|| format!("{flag} must be non-empty and must not contain '/'"))
}

fn parse_users(list: &str) -> Result<Vec<String>, String> {
    let users: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    match users.iter().find(|u| !is_username(u)) {
        Some(bad) => Err(format!(
            "invalid username '{bad}' in --users: use 1 to 64 of a-z A-Z 0-9 _ - ."
        )),
        None => Ok(users),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_and_flags() {
        assert_eq!(parse(&[]), Ok(Some(Args::default())));
        let got = parse(&["--port", "0", "--org=o", "--app", "a", "--users", "Al, bob"]);
        let want = Args {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            org: "o".into(),
            app: "a".into(),
            users: Some(vec!["Al".into(), "bob".into()]),
            ..Args::default()
        };
        assert_eq!(got, Ok(Some(want)));
        assert_eq!(parse(&["--port", "1", "-h"]), Ok(None));
    }

    #[test]
    fn errors_are_clear() {
        assert_eq!(parse(&["--port"]), Err("--port needs a value".into()));
        assert_eq!(
            parse(&["--port", "x"]),
            Err("invalid value 'x' for --port".into())
        );
        assert_eq!(
            parse(&["--nope", "1"]),
            Err("unknown option '--nope'".into())
        );
        assert!(parse(&["--users", "a b"]).is_err());
        assert!(parse(&["--token", ""]).is_err());
        assert!(parse(&["--org", "a/b"]).is_err());
        let token = parse(&["--token", "007eJx/+a="]).map(|a| a.map(|a| a.token));
        assert_eq!(token, Ok(Some("007eJx/+a=".to_owned())));
    }
}
