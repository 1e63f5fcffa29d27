//! What a generic JSON-to-JSON tool pays: parse the whole input into a `serde_json::Value`
//! and write it back compactly. The yardstick for sgconv's whole-process benchmarks (README,
//! "Performance").
//!
//! `cargo build --release --example value_baseline && target/release/examples/value_baseline IN > OUT`

#[path = "common/value_baseline.rs"]
mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::run()
}
