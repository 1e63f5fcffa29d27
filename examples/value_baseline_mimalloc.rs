//! `value_baseline` with the allocator the `sgconv` binary uses (mimalloc, built once for both
//! with the features in Cargo.toml: v2, no transparent huge pages), so the README can say how
//! much of sgconv's lead over the `Value` baseline is the allocator and how much the typed
//! pipeline.
//!
//! `cargo build --release --example value_baseline_mimalloc`

#[path = "common/value_baseline.rs"]
mod common;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::run()
}
