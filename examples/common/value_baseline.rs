//! The `Value` baseline's work, shared by `value_baseline` and `value_baseline_mimalloc`.

use std::io::Write;

/// Parse the file named by the first argument into a `serde_json::Value` and write it back
/// compactly to stdout.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
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
