//! `agora-chat-emulator`: run the emulator as a standalone server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use agora_chat::Secret;
use agora_chat::auth::access_token::{AppId, validate_certificate};
use agora_chat_emulator::{DEFAULT_TOKEN, Emulator, Quotas, is_username};

const USAGE: &str = "\
Usage: agora-chat-emulator [OPTIONS]

A local server that speaks the Agora Chat chatroom REST API.
The API lives under http://HOST:PORT/ORG/APP.

Options:
  --port <N>            port to listen on (default 5757; 0 picks a free one)
  --host <IP>           address to listen on (default 127.0.0.1)
  --org <NAME>          organization name (default demo)
  --app <NAME>          app name (default demo)
  --token <TOKEN>       a fixed bearer token to accept (default emulator-token,
                        unless --app-id is given)
  --app-id <HEX32>      with --app-certificate: accept AccessToken2 chat app
                        tokens for this App ID (32 hex characters)
  --app-certificate <HEX32>
                        the App Certificate tokens are signed with
  --client-id <ID>      with --client-secret: serve POST /ORG/APP/token
                        (client credentials) and accept the tokens it issues
  --client-secret <SECRET>
  --users <A,B,...>     strict mode: only these users exist
  --quotas <off|documented>
                        enforce the documented per-operation rate limits
                        (429 reach_limit over them; default off)
  -h, --help            print this help

Test controls (no token needed), outside /ORG/APP:
  GET|POST|DELETE /_emulator/faults   injected faults (JSON)
  GET|DELETE      /_emulator/requests request and 429 counts per operation
  GET             /_emulator/quotas   the quotas enforced";

#[derive(Debug, PartialEq)]
struct Args {
    addr: SocketAddr,
    org: String,
    app: String,
    /// `None`: the default token, unless app credentials are given.
    token: Option<String>,
    /// App ID and App Certificate, both checked.
    app_credentials: Option<(String, Secret)>,
    /// Client id and secret for the token endpoint.
    client_credentials: Option<(String, Secret)>,
    users: Option<Vec<String>>,
    quotas: Quotas,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 5757)),
            org: "demo".to_owned(),
            app: "demo".to_owned(),
            token: None,
            app_credentials: None,
            client_credentials: None,
            users: None,
            quotas: Quotas::Off,
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
    let accepted = accepted_tokens(&args);
    let mut builder = Emulator::builder()
        .org(&args.org)
        .app(&args.app)
        .bind(args.addr)
        .quotas(args.quotas.clone())
        .log_requests(true);
    match (args.token, &args.app_credentials) {
        (Some(token), _) => builder = builder.token(token),
        (None, None) => builder = builder.token(DEFAULT_TOKEN),
        (None, Some(_)) => {}
    }
    if let Some((app_id, certificate)) = args.app_credentials {
        builder = builder.app_credentials(app_id, certificate);
    }
    if let Some((id, secret)) = args.client_credentials {
        builder = builder.client_credentials(id, secret);
    }
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
    eprintln!("agora-chat-emulator listening on {api} (Ctrl-C to stop); accepting {accepted}");
    if emu.state().quotas() != &Quotas::Off {
        eprintln!("enforcing the documented quotas (429 reach_limit over them)");
    }
    wait_for_stop().await;
    emu.shutdown().await;
    eprintln!("agora-chat-emulator stopped");
    ExitCode::SUCCESS
}

// For the banner; never contains a secret.
fn accepted_tokens(args: &Args) -> String {
    let mut accepted = Vec::new();
    if args.token.is_some() || args.app_credentials.is_none() {
        accepted.push("the fixed bearer token".to_owned());
    }
    if let Some((app_id, _)) = &args.app_credentials {
        accepted.push(format!("AccessToken2 app tokens for App ID {app_id}"));
    }
    if args.client_credentials.is_some() {
        accepted.push(format!("tokens from POST /{}/{}/token", args.org, args.app));
    }
    accepted.join(", ")
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
    let (mut app_id, mut certificate) = (None, None);
    let (mut client_id, mut client_secret) = (None, None);
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
            "--token" => args.token = Some(non_empty(&flag, value)?),
            "--app-id" => app_id = Some(parse_app_id(&value)?),
            "--app-certificate" => certificate = Some(parse_certificate(value)?),
            "--client-id" => client_id = Some(non_empty(&flag, value)?),
            "--client-secret" => client_secret = Some(Secret::new(non_empty(&flag, value)?)),
            "--users" => args.users = Some(parse_users(&value)?),
            "--quotas" => args.quotas = parse_quotas(&value)?,
            _ => return Err(format!("unknown option '{flag}'")),
        }
    }
    args.addr = SocketAddr::new(host, port);
    args.app_credentials = both(app_id, certificate, "--app-id", "--app-certificate")?;
    args.client_credentials = both(client_id, client_secret, "--client-id", "--client-secret")?;
    Ok(Some(args))
}

// Two flags that only make sense together.
fn both<A, B>(a: Option<A>, b: Option<B>, fa: &str, fb: &str) -> Result<Option<(A, B)>, String> {
    match (a, b) {
        (Some(a), Some(b)) => Ok(Some((a, b))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(format!("{fa} needs {fb} too")),
        (None, Some(_)) => Err(format!("{fb} needs {fa} too")),
    }
}

fn parse_app_id(value: &str) -> Result<String, String> {
    AppId::new(value)
        .map(|id| id.as_str().to_owned())
        .map_err(|e| format!("--app-id: {e}"))
}

// The message never contains the certificate.
fn parse_certificate(value: String) -> Result<Secret, String> {
    let certificate = Secret::new(value);
    validate_certificate(&certificate)
        .map(|()| certificate)
        .map_err(|e| format!("--app-certificate: {e}"))
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

fn parse_quotas(value: &str) -> Result<Quotas, String> {
    match value {
        "off" => Ok(Quotas::Off),
        "documented" => Ok(Quotas::Documented),
        other => Err(format!(
            "invalid value '{other}' for --quotas: use off or documented"
        )),
    }
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
        let quotas = parse(&["--quotas", "documented"]).map(|a| a.map(|a| a.quotas));
        assert_eq!(quotas, Ok(Some(Quotas::Documented)));
        assert!(parse(&["--quotas", "on"]).is_err());
        let token = parse(&["--token", "007eJx/+a="]).map(|a| a.map(|a| a.token));
        assert_eq!(token, Ok(Some(Some("007eJx/+a=".to_owned()))));
    }

    const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
    const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

    #[test]
    fn credentials_come_in_pairs_and_are_checked() {
        let args = parse(&["--app-id", APP_ID, "--app-certificate", CERT]);
        let creds = args.map(|a| a.and_then(|a| a.app_credentials));
        assert_eq!(creds, Ok(Some((APP_ID.to_owned(), Secret::from(CERT)))));
        let args = parse(&["--client-id", "id", "--client-secret=s"]);
        let creds = args.map(|a| a.and_then(|a| a.client_credentials));
        assert_eq!(creds, Ok(Some(("id".to_owned(), Secret::from("s")))));
        assert_eq!(
            parse(&["--app-id", APP_ID]),
            Err("--app-id needs --app-certificate too".into())
        );
        assert_eq!(
            parse(&["--client-secret", "s"]),
            Err("--client-secret needs --client-id too".into())
        );
        assert_eq!(
            parse(&["--app-id", "abc", "--app-certificate", CERT]),
            Err("--app-id: invalid app id: must be exactly 32 hex characters, got 3 bytes".into())
        );
        let bad_cert = format!("{}x", &CERT[..31]);
        let err = parse(&["--app-id", APP_ID, "--app-certificate", &bad_cert]);
        let err = err.err().unwrap_or_default();
        assert!(
            err.starts_with("--app-certificate: invalid app certificate"),
            "{err}"
        );
        assert!(!err.contains(&CERT[..31]), "the certificate leaked: {err}");
        assert!(parse(&["--client-id", ""]).is_err());
    }
}
