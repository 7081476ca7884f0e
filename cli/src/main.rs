//! `agora-chat`: the Agora Chat REST API from a terminal. One subcommand per operation of the
//! spec (generated into `generated/` by `cargo xtask gen`), grouped by resource; token minting
//! and inspection; the emulator; shell completions. Exit codes by error class (`exit`).

mod config;
mod exit;
mod output;
mod run;
mod token;

// Formatted by prettyplease when generated; rustfmt must not reformat it.
#[rustfmt::skip]
mod generated;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::ConnectionArgs;
use crate::exit::{CliError, EXIT_CODES_HELP, ExitClass};
use crate::output::Output;

/// The Agora Chat REST API from a terminal: one subcommand per operation of the spec
/// What `--help` adds after the flags (the exit codes follow, from `exit`).
const AFTER_HELP: &str = concat!(
    "Connection settings come from flags, then the environment (the AGORA_CHAT_* variables\n",
    "shown above, as for Client::from_env), then a profile of the config file\n",
    "(<config dir>/agora-chat/config.json, e.g. ~/.config/agora-chat/config.json):\n",
    "  {\"profiles\": {\"default\": {\"base_url\": \"https://a41.chat.agora.io\",\n",
    "                \"app_key\": \"org#app\", \"app_token\": \"...\"}}}\n",
    "Profile keys: base_url, app_key, org_name, app_name, app_token, app_id,\n",
    "app_certificate, allow_http. Secrets are never printed.\n\n",
    "Output: a table, or --json (one JSON document; JSON lines with --all).",
);

/// The Agora Chat REST API from a terminal: one subcommand per operation of the spec
#[derive(Parser)]
#[command(name = "agora-chat", version)]
struct Cli {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Print JSON instead of a table (JSON lines for --all)
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Resource(generated::Resource),
    /// Mint or inspect AccessToken2 chat tokens
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Run the emulator (the same flags as agora-chat-emulator)
    #[command(after_long_help = agora_chat_emulator::cli::CONTROLS_HELP)]
    Emulator(EmulatorArgs),
    /// Print a shell completion script (e.g. `agora-chat completions bash > ~/.local/share/bash-completion/completions/agora-chat`)
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args)]
struct EmulatorArgs {
    #[command(flatten)]
    flags: agora_chat_emulator::cli::Cli,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match parse_cli(std::env::args_os()) {
        Ok(cli) => cli,
        // Help and version exit 0 on stdout; usage errors exit 2 on stderr.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let output = if cli.json {
        Output::Json
    } else {
        Output::Table
    };
    match cli.command {
        Command::Resource(resource) => {
            let ctx = run::Ctx::new(cli.connection.client(), output);
            finish(resource.run(&ctx).await)
        }
        Command::Token { command } => {
            finish(token::run(command, cli.json).and_then(|text| print(&text)))
        }
        Command::Emulator(args) => match args.flags.into_args() {
            Ok(args) => agora_chat_emulator::standalone::run(args).await,
            Err(message) => CliError::new(ExitClass::Usage, message).report(),
        },
        Command::Completions { shell } => {
            let mut command = command();
            clap_complete::generate(shell, &mut command, "agora-chat", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

/// The command line, with the long help's closing text.
fn command() -> clap::Command {
    Cli::command().after_long_help(format!("{AFTER_HELP}\n\n{EXIT_CODES_HELP}"))
}

fn parse_cli(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, clap::Error> {
    let matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

fn finish(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => err.report(),
    }
}

fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(ExitClass::Other, format!("cannot write output: {e}")))
}
