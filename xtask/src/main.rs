//! Project automation: `cargo xtask <task>`. Argument parsing is std-only on purpose: xtask
//! must build fast and never pull dependencies into the workspace.

mod codegen;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  gen            regenerate the generated code (client, emulator skeleton, CLI) and the
                 OpenAPI document (emulator/openapi/) from spec/*.yaml
  gen --check    write nothing; fail if the generated files are stale or extra";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen"] => codegen::write(),
        ["gen", "--check"] => codegen::check(),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(format!("unknown arguments: {args:?}\n\n{USAGE}")),
    };
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
