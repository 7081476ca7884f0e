//! The standalone server: start the emulator as its command line describes, load and save
//! the state file, and stop cleanly on Ctrl-C or SIGTERM. The `agora-chat-emulator` binary and
//! the `agora-chat emulator` subcommand both run this.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{self, Args, StateFile};
use crate::{AppState, DEFAULT_TOKEN, Emulator, EmulatorBuilder, Quotas, StateSnapshot};

/// Parses `argv` (without the program name) and runs the server until Ctrl-C or SIGTERM.
pub async fn main_with_args<I, S>(argv: I) -> ExitCode
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    match cli::parse_args(argv) {
        Ok(args) => run(args).await,
        // Help and version print to stdout and exit 0; usage errors to stderr and exit 2.
        Err(e) => {
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
    }
}

/// Runs the server the checked arguments describe until Ctrl-C or SIGTERM.
pub async fn run(args: Args) -> ExitCode {
    let seed = match load_state(&args.state) {
        Ok(seed) => seed,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let accepted = accepted_tokens(&args);
    let emu = match builder(&args).start().await {
        Ok(emu) => emu,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    if let Some(seed) = seed
        && let Err(e) = emu.import_state(&seed)
    {
        eprintln!("error: state file {}: {e}", shown(&args.state));
        return ExitCode::FAILURE;
    }
    announce(&emu, &args, &accepted);
    wait_for_stop().await;
    // Open requests finish before the state is saved, so the file has their effect.
    let state = emu.state().clone();
    emu.shutdown().await;
    let code = save_state(&state, &args.state);
    eprintln!("agora-chat-emulator stopped");
    code
}

// The builder the switches describe.
fn builder(args: &Args) -> EmulatorBuilder {
    let mut builder = Emulator::builder()
        .org(&args.org)
        .app(&args.app)
        .bind(args.addr)
        .quotas(args.quotas.clone())
        .log_requests(true);
    match (&args.token, &args.app_credentials) {
        (Some(token), _) => builder = builder.token(token.expose()),
        (None, None) => builder = builder.token(DEFAULT_TOKEN),
        (None, Some(_)) => {}
    }
    if let Some((app_id, certificate)) = &args.app_credentials {
        builder = builder.app_credentials(app_id.clone(), certificate.clone());
    }
    if let Some((id, secret)) = &args.client_credentials {
        builder = builder.client_credentials(id.clone(), secret.clone());
    }
    if let Some(users) = &args.users {
        builder = builder.strict_users(users.clone());
    }
    if let Some(admin) = &args.admin_token {
        builder = builder.admin_token(admin.clone());
    }
    builder
}

// stdout gets one line a script can parse; stderr the human banner and the request log.
fn announce(emu: &Emulator, args: &Args, accepted: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", emu.base_url());
    let _ = out.flush();
    let api = format!("{}/{}/{}", emu.base_url(), args.org, args.app);
    eprintln!("agora-chat-emulator listening on {api} (Ctrl-C to stop); accepting {accepted}");
    if emu.state().quotas() != &Quotas::Off {
        eprintln!("enforcing the documented quotas (429 reach_limit over them)");
    }
    if let StateFile::Persist(path) = &args.state {
        eprintln!(
            "state is written to {} on Ctrl-C or SIGTERM",
            path.display()
        );
    }
}

// `--seed` must exist; `--state` may not exist yet (the first run creates it), but its
// directory must, or the state would be lost at the end instead of refused at the start.
fn load_state(state: &StateFile) -> Result<Option<StateSnapshot>, String> {
    match state {
        StateFile::None => Ok(None),
        StateFile::Persist(path) if !path.exists() => {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            match dir {
                Some(dir) if !dir.is_dir() => Err(format!(
                    "cannot write state file {}: directory {} does not exist",
                    path.display(),
                    dir.display()
                )),
                _ => Ok(None),
            }
        }
        StateFile::Persist(path) | StateFile::Seed(path) => StateSnapshot::read_file(path)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

fn save_state(emu: &AppState, state: &StateFile) -> ExitCode {
    let StateFile::Persist(path) = state else {
        return ExitCode::SUCCESS;
    };
    match emu.export_state().write_file(path) {
        Ok(()) => {
            eprintln!("state written to {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn shown(state: &StateFile) -> String {
    match state {
        StateFile::Persist(p) | StateFile::Seed(p) => p.display().to_string(),
        StateFile::None => String::new(),
    }
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
