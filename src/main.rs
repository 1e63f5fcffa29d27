//! The `sgconv` command line; everything is in [`sgconv::cli`] except the exit.
#![forbid(unsafe_code)]

mod cli;
mod diff;

fn main() -> std::process::ExitCode {
    cli::run()
}
