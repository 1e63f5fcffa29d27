//! The `sgconv` command line; everything is in [`sgconv::cli`] except the exit.
#![forbid(unsafe_code)]
// Panic audit, as in the library: nothing derived from input may panic.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

mod cli;
mod diff;

fn main() -> std::process::ExitCode {
    cli::run()
}
