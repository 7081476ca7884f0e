//! The binary's command line (clap, derive API): every switch, its environment variable for
//! secrets (so they stay out of `ps`), and the long help that documents the control and
//! fault JSON shapes. Values are checked here, so `main` only runs what was asked. Public so
//! that the `agora-chat` command line's `emulator` subcommand takes the very same flags.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::{Quotas, is_username};
use agora_chat::Secret;
use agora_chat::auth::access_token::{AppId, validate_certificate};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, ValueEnum};

/// What `--help` adds after the switches: the controls and the JSON they take.
pub const CONTROLS_HELP: &str = r#"The API lives under http://HOST:PORT/ORG/APP. On start, one line
"listening on http://HOST:PORT" goes to stdout (the API and log lines go to stderr).

Test controls, outside /ORG/APP (JSON in and out; with --admin-token, every control but
health and openapi.json needs "Authorization: Bearer <admin token>", else 401 unauthorized):
  GET    /_emulator/health                 {"status": "ok"}
  GET    /_emulator/openapi.json           the OpenAPI 3.1 document of the API (public)
  GET    /_emulator/info                   {"name", "version", "org", "app", "auth": [..],
                                            "quotas": bool, "admin_token": bool, "state_version": 1}
  POST   /_emulator/reset[?scope=counts]   forget everything (chatrooms, counts, quota
                                            windows, faults, journal; ids restart; the
                                            clock and issued tokens stay) or the counts only
  GET    /_emulator/state                  the state document (below)
  PUT    /_emulator/state                  replace the state with a document (all or nothing)
  GET    /_emulator/journal                {"requests": [{"seq", "method", "path", "query",
                                            "status", "operation", "body"}]}, oldest first,
                                            newest 1000 kept; no headers; secrets redacted
  DELETE /_emulator/journal                empty it
  GET    /_emulator/clock                  {"now_unix": N}: the clock token expiry uses
  POST   /_emulator/clock                  {"now_unix": N} sets it, {"advance_secs": N} moves it
  GET|POST|DELETE /_emulator/faults        injected faults (below); DELETE takes ?operation=ID
  GET|DELETE      /_emulator/requests      {"requests": {"create_chatroom": 3, ..}, "throttled": {..}}
  GET             /_emulator/quotas        {"quotas": {"create_chatroom": 50, ..}}

State document (GET/PUT /_emulator/state, --state, --seed), version 1:
  {"version": 1, "next_id": 66213271109634,
   "chatrooms": [{"id": "66213271109633", "name": "room", "description": "d",
                  "owner": "alice", "members": ["bob"], "maxusers": 200,
                  "custom": "", "created": 1700000000000}]}
  next_id, members, maxusers, custom and created may be left out. No credentials.

Fault (POST /_emulator/faults: one object or an array, all or none):
  {"operation": "create_chatroom", "fault": "status", "status": 503,
   "body": "<html>busy</html>", "headers": {"Retry-After": "1"},
   "delay_ms": 0, "when": "before", "times": 3}
  fault: status (needs status) | delay (answer delay_ms late) | drop (close unanswered)
       | malformed (200, broken JSON) | truncated (half the body, then close)
  when: before (default; no effect) | after (the call takes effect, its answer is lost)
  Operations: create_chatroom, list_chatrooms, list_joined_chatrooms, get_chatrooms,
  update_chatroom, delete_chatroom.

For a test suite in any language: start the binary with --port 0, read the
"listening on" line from stdout, poll GET /_emulator/health, POST /_emulator/reset
between tests, and stop it with SIGTERM or Ctrl-C."#;

/// A local server that speaks the Agora Chat chatroom REST API, for tests and demos.
// Public so that other command lines (the `agora-chat emulator` subcommand) take the same
// flags by flattening it; `Cli::into_args` checks them. (A `///` line here would show in --help.)
#[derive(Debug, Parser)]
#[command(
    name = "agora-chat-emulator",
    version,
    about = "A local server that speaks the Agora Chat chatroom REST API, for tests and demos",
    long_about = None,
    after_long_help = CONTROLS_HELP
)]
pub struct Cli {
    /// Port to listen on (0 picks a free one)
    #[arg(long, value_name = "N", default_value_t = 5757)]
    port: u16,
    /// Address to listen on
    #[arg(long, value_name = "IP", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Organization name
    #[arg(long, value_name = "NAME", default_value = "demo", value_parser = path_segment)]
    org: String,
    /// App name
    #[arg(long, value_name = "NAME", default_value = "demo", value_parser = path_segment)]
    app: String,
    /// A fixed bearer token to accept (default emulator-token, unless --app-id is given)
    #[arg(long, value_name = "TOKEN", env = "AGORA_EMULATOR_TOKEN", hide_env_values = true, value_parser = non_empty)]
    token: Option<String>,
    /// With --app-certificate: accept AccessToken2 chat app tokens for this App ID (32 hex), and
    /// serve the API under /app-id/APP_ID too
    #[arg(long, value_name = "HEX32", env = "AGORA_EMULATOR_APP_ID", hide_env_values = true, value_parser = parse_app_id)]
    app_id: Option<String>,
    /// The App Certificate app tokens are signed with (32 hex)
    #[arg(
        long,
        value_name = "HEX32",
        env = "AGORA_EMULATOR_APP_CERTIFICATE",
        hide_env_values = true
    )]
    app_certificate: Option<String>,
    /// With --client-secret: serve POST /ORG/APP/token and accept the tokens it issues
    #[arg(long, value_name = "ID", env = "AGORA_EMULATOR_CLIENT_ID", hide_env_values = true, value_parser = non_empty)]
    client_id: Option<String>,
    /// The client secret of --client-id
    #[arg(long, value_name = "SECRET", env = "AGORA_EMULATOR_CLIENT_SECRET", hide_env_values = true, value_parser = non_empty)]
    client_secret: Option<String>,
    /// Strict mode: only these users (and users registered with POST /users) exist
    #[arg(long, value_name = "A,B,...", value_parser = parse_users)]
    users: Option<Users>,
    /// Enforce the documented per-operation rate limits (429 reach_limit over them)
    #[arg(long, value_enum, default_value_t = QuotasArg::Off)]
    quotas: QuotasArg,
    /// Protect the control endpoints (/_emulator/..., except health) with this bearer token
    #[arg(long, value_name = "TOKEN", env = "AGORA_EMULATOR_ADMIN_TOKEN", hide_env_values = true, value_parser = non_empty)]
    admin_token: Option<String>,
    /// Load the state from FILE at start (if it exists) and write it back on Ctrl-C/SIGTERM
    #[arg(long, value_name = "FILE", conflicts_with = "seed")]
    state: Option<PathBuf>,
    /// Load the state from FILE at start; never written
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum QuotasArg {
    Off,
    Documented,
}

/// A list of usernames; a newtype so clap takes `--users a,b` as one value.
#[derive(Debug, Clone, PartialEq)]
struct Users(Vec<String>);

/// Where the state comes from and whether it is written back.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum StateFile {
    /// Neither `--state` nor `--seed`: start empty, write nothing.
    #[default]
    None,
    /// `--state`: loaded when it exists, written back on a clean stop.
    Persist(PathBuf),
    /// `--seed`: loaded, never written.
    Seed(PathBuf),
}

/// The checked command line.
#[derive(Debug, PartialEq)]
pub struct Args {
    /// `--addr`: where to listen.
    pub addr: SocketAddr,
    /// `--org`: the org name served.
    pub org: String,
    /// `--app`: the app name served.
    pub app: String,
    /// `None`: the default token, unless app credentials are given.
    pub token: Option<Secret>,
    /// App ID and App Certificate, both checked.
    pub app_credentials: Option<(String, Secret)>,
    /// Client id and secret for the token endpoint.
    pub client_credentials: Option<(String, Secret)>,
    /// `--users`: strict mode with only these users; `None`: every user exists.
    pub users: Option<Vec<String>>,
    /// `--quotas`: whether the documented rate limits are enforced.
    pub quotas: Quotas,
    /// `--admin-token`: the bearer token the control endpoints require, if any.
    pub admin_token: Option<Secret>,
    /// `--state` or `--seed`: where the state comes from and whether it is written back.
    pub state: StateFile,
}

/// Parses the arguments (without the program name); help, version and errors come back as
/// a `clap::Error` to print and exit with (0 for help and version, 2 for errors).
pub fn parse_args<I, S>(argv: I) -> Result<Args, clap::Error>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let name = std::iter::once(std::ffi::OsString::from("agora-chat-emulator"));
    let cli = Cli::try_parse_from(name.chain(argv.into_iter().map(Into::into)))?;
    cli.into_args()
        .map_err(|message| Cli::command().error(ErrorKind::ArgumentConflict, message))
}

impl Cli {
    /// Checks the flags that depend on each other (pairs of credentials, the certificate).
    pub fn into_args(self) -> Result<Args, String> {
        let certificate = self.app_certificate.map(parse_certificate).transpose()?;
        let client_secret = self.client_secret.map(Secret::new);
        let state = match (self.state, self.seed) {
            (Some(path), _) => StateFile::Persist(path),
            (None, Some(path)) => StateFile::Seed(path),
            (None, None) => StateFile::None,
        };
        Ok(Args {
            addr: SocketAddr::new(self.host, self.port),
            org: self.org,
            app: self.app,
            token: self.token.map(Secret::new),
            app_credentials: both(self.app_id, certificate, "--app-id", "--app-certificate")?,
            client_credentials: both(
                self.client_id,
                client_secret,
                "--client-id",
                "--client-secret",
            )?,
            users: self.users.map(|Users(u)| u),
            quotas: match self.quotas {
                QuotasArg::Off => Quotas::Off,
                QuotasArg::Documented => Quotas::Documented,
            },
            admin_token: self.admin_token.map(Secret::new),
            state,
        })
    }
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
        .map_err(|e| e.to_string())
}

// Checked after parsing, because clap's own message would quote the value: this one never
// contains the certificate.
fn parse_certificate(value: String) -> Result<Secret, String> {
    let certificate = Secret::new(value);
    validate_certificate(&certificate)
        .map(|()| certificate)
        .map_err(|e| format!("--app-certificate: {e}"))
}

// Tokens are base64 and may contain '/', so only emptiness is refused.
fn non_empty(value: &str) -> Result<String, String> {
    (!value.is_empty())
        .then(|| value.to_owned())
        .ok_or_else(|| "must not be empty".to_owned())
}

// Org and app names are path segments of every URL.
fn path_segment(value: &str) -> Result<String, String> {
    let ok = !value.is_empty() && !value.contains('/');
    ok.then(|| value.to_owned())
        .ok_or_else(|| "must be non-empty and must not contain '/'".to_owned())
}

fn parse_users(list: &str) -> Result<Users, String> {
    let users: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    match users.iter().find(|u| !is_username(u)) {
        Some(bad) => Err(format!(
            "invalid username '{bad}': use 1 to 64 of a-z A-Z 0-9 _ - ."
        )),
        None => Ok(Users(users)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().copied()).map_err(|e| e.to_string())
    }

    fn defaults() -> Args {
        Args {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 5757)),
            org: "demo".into(),
            app: "demo".into(),
            token: None,
            app_credentials: None,
            client_credentials: None,
            users: None,
            quotas: Quotas::Off,
            admin_token: None,
            state: StateFile::None,
        }
    }

    #[test]
    fn defaults_and_flags() {
        assert_eq!(parse(&[]), Ok(defaults()));
        let got = parse(&["--port", "0", "--org=o", "--app", "a", "--users", "Al, bob"]);
        let want = Args {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            org: "o".into(),
            app: "a".into(),
            users: Some(vec!["Al".into(), "bob".into()]),
            ..defaults()
        };
        assert_eq!(got, Ok(want));
        let state = parse(&["--state", "s.json"]).map(|a| a.state);
        assert_eq!(state, Ok(StateFile::Persist("s.json".into())));
        let seed = parse(&["--seed", "s.json"]).map(|a| a.state);
        assert_eq!(seed, Ok(StateFile::Seed("s.json".into())));
        assert!(parse(&["--seed", "a", "--state", "b"]).is_err());
        let admin = parse(&["--admin-token", "x"]).map(|a| a.admin_token);
        assert_eq!(admin, Ok(Some(Secret::from("x"))));
    }

    #[test]
    fn help_and_version_are_not_errors_of_use() {
        let kind = |args: &[&str]| parse_args(args.iter().copied()).err().map(|e| e.kind());
        assert_eq!(kind(&["--port", "1", "-h"]), Some(ErrorKind::DisplayHelp));
        assert_eq!(kind(&["--version"]), Some(ErrorKind::DisplayVersion));
        assert_eq!(kind(&["--nope"]), Some(ErrorKind::UnknownArgument));
    }

    #[test]
    fn errors_are_clear() {
        let err = |args: &[&str]| parse(args).err().unwrap_or_default();
        assert!(err(&["--port"]).contains("a value is required for '--port <N>'"));
        assert!(err(&["--port", "x"]).contains("invalid value 'x' for '--port <N>'"));
        assert!(err(&["--nope", "1"]).contains("unexpected argument '--nope'"));
        assert!(err(&["--users", "a b"]).contains("invalid username 'a b'"));
        assert!(err(&["--token", ""]).contains("must not be empty"));
        assert!(err(&["--org", "a/b"]).contains("must not contain '/'"));
        let quotas = parse(&["--quotas", "documented"]).map(|a| a.quotas);
        assert_eq!(quotas, Ok(Quotas::Documented));
        assert!(parse(&["--quotas", "on"]).is_err());
        let token = parse(&["--token", "007eJx/+a="]).map(|a| a.token);
        assert_eq!(token, Ok(Some(Secret::from("007eJx/+a="))));
    }

    const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
    const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

    #[test]
    fn credentials_come_in_pairs_and_are_checked() {
        let creds =
            parse(&["--app-id", APP_ID, "--app-certificate", CERT]).map(|a| a.app_credentials);
        assert_eq!(creds, Ok(Some((APP_ID.to_owned(), Secret::from(CERT)))));
        let creds =
            parse(&["--client-id", "id", "--client-secret=s"]).map(|a| a.client_credentials);
        assert_eq!(creds, Ok(Some(("id".to_owned(), Secret::from("s")))));
        let err = |args: &[&str]| parse(args).err().unwrap_or_default();
        assert!(err(&["--app-id", APP_ID]).contains("--app-id needs --app-certificate too"));
        assert!(err(&["--client-secret", "s"]).contains("--client-secret needs --client-id too"));
        let bad_id = err(&["--app-id", "abc", "--app-certificate", CERT]);
        assert!(
            bad_id.contains("invalid app id: must be exactly 32 hex characters"),
            "{bad_id}"
        );
        let bad_cert = format!("{}x", &CERT[..31]);
        let msg = err(&["--app-id", APP_ID, "--app-certificate", &bad_cert]);
        assert!(
            msg.contains("--app-certificate: invalid app certificate"),
            "{msg}"
        );
        assert!(!msg.contains(&CERT[..31]), "the certificate leaked: {msg}");
        assert!(parse(&["--client-id", ""]).is_err());
    }
}
