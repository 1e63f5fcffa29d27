//! What a generic JSON-to-JSON tool pays: parse the whole input into a `serde_json::Value`
//! and write it back compactly. The yardstick for sgconv's whole-process benchmarks (README,
//! "Performance").
//!
//! `cargo build --release --example value_baseline && target/release/examples/value_baseline IN > OUT`

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: value_baseline FILE")?;
    let text = std::fs::read_to_string(path)?;
    let value: serde_json::Value = serde_json::from_str(&text)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut out, &value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
