//! `revault-auth`: obtain, use and watch revault-api tokens from the command
//! line, run the emulator, or watch a live demo. See `revault-auth --help`
//! and [`cli`] for the subcommands.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
