//! The `sgconv` command line: everything is in the binary's `cli` module except the exit.
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

/// mimalloc instead of the system allocator: a conversion allocates and frees a few small
/// values per rule (names, ids, report entries), and glibc's malloc spent a third of a
/// 100,000-rule conversion on them. Built without transparent huge pages (`no_thp` in
/// Cargo.toml). The binary only: the library leaves the choice to the program that links it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
