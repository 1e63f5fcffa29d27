//! `sgconv diff`: the semantic difference of two groups from any providers.
//!
//! Exit codes: 0 the documents allow the same packets, 1 they differ, 2 usage error or an
//! input that cannot be read (so "differ" is never confused with "broken").

use std::path::PathBuf;
use std::process::ExitCode;

use sgconv::report::{Report, Verdict};
use sgconv::semantics::{self, Difference};
use sgconv::{Format, ProviderId};

use crate::cli::{fail, read_input, write_stdout};

/// How `diff` prints.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Lines for people.
    Text,
    /// One JSON object.
    Json,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// The first document's provider.
    #[arg(long, value_name = "PROVIDER")]
    from: ProviderId,
    /// The first document.
    #[arg(value_name = "FILE_A")]
    file_a: PathBuf,
    /// The second document's provider.
    #[arg(long, value_name = "PROVIDER")]
    to: ProviderId,
    /// The second document.
    #[arg(value_name = "FILE_B")]
    file_b: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Input format of both files [default: detected from the first character].
    #[arg(long, value_enum)]
    input_format: Option<Format>,
}

fn load(
    path: &std::path::Path,
    provider: ProviderId,
    format: Option<Format>,
) -> Result<sgconv::Document, String> {
    let text = read_input(Some(path))?;
    let mut report = Report::new(provider, provider);
    sgconv::import(&text, provider, format, &mut report)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Run `sgconv diff`.
pub fn run(args: &DiffArgs) -> ExitCode {
    let a = match load(&args.file_a, args.from, args.input_format) {
        Ok(d) => d,
        Err(e) => return fail(e, 2),
    };
    let b = match load(&args.file_b, args.to, args.input_format) {
        Ok(d) => d,
        Err(e) => return fail(e, 2),
    };
    let differences = semantics::compare_documents(&a, &b);
    let side =
        |v: Verdict| -> Vec<&Difference> { differences.iter().filter(|d| d.change == v).collect() };
    let (only_a, only_b) = (side(Verdict::Narrowed), side(Verdict::Widened));
    let text = match args.format {
        DiffFormat::Json => {
            let list = |ds: &[&Difference]| -> Vec<serde_json::Value> {
                ds.iter()
                    .map(|d| serde_json::json!({"group": d.group, "packets": d.packets}))
                    .collect()
            };
            let value = serde_json::json!({
                "equal": differences.is_empty(),
                "from": args.from,
                "to": args.to,
                "groups": [a.groups.len(), b.groups.len()],
                "only_in_from": list(&only_a),
                "only_in_to": list(&only_b),
            });
            let mut t = serde_json::to_string_pretty(&value).unwrap_or_default();
            t.push('\n');
            t
        }
        DiffFormat::Text => {
            let mut t = String::new();
            if a.groups.len() != b.groups.len() {
                t.push_str(&format!(
                    "note: {} group(s) against {} group(s); a missing group allows nothing\n",
                    a.groups.len(),
                    b.groups.len()
                ));
            }
            if differences.is_empty() {
                t.push_str("equal: both allow exactly the same packets\n");
            }
            for d in &only_a {
                t.push_str(&format!(
                    "- group {}: {} (only {} allows)\n",
                    d.group, d.packets, args.from
                ));
            }
            for d in &only_b {
                t.push_str(&format!(
                    "+ group {}: {} (only {} allows)\n",
                    d.group, d.packets, args.to
                ));
            }
            t
        }
    };
    if let Err(e) = write_stdout(text.as_bytes()) {
        return fail(e, 2);
    }
    if differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
