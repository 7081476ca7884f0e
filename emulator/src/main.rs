//! `agora-chat-emulator`: run the emulator as a standalone server. The command line is in
//! the library's `cli` module, the server's lifecycle in `standalone`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    agora_chat_emulator::standalone::main_with_args(std::env::args_os().skip(1)).await
}
