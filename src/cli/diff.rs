//! `sgconv diff`: the semantic difference of two documents from any providers.
//!
//! Exit codes: 0 the documents allow the same packets, 1 they differ, 2 usage error or an
//! input that cannot be read (so "differ" is never confused with "broken"), 3 parts of an
//! input were not read (unless `--allow-unread`: then they count as different).

use std::path::PathBuf;
use std::process::ExitCode;

use sgconv::{DiffSide, Options, ProviderId};

use super::args::{ImportArgs, ProviderArg};
use super::infer;
use super::io::{fail, read_input, write_stdout};

/// How `diff` prints.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    /// Lines for people.
    Text,
    /// One JSON object.
    Json,
}

#[derive(clap::Args)]
pub(crate) struct DiffArgs {
    /// The first document's provider [default: the one provider that reads it whole].
    #[arg(long, value_enum, value_name = "PROVIDER")]
    from: Option<ProviderArg>,
    /// The first document.
    #[arg(value_name = "FILE_A")]
    file_a: PathBuf,
    /// The second document's provider [default: the one provider that reads it whole].
    #[arg(long, value_enum, value_name = "PROVIDER")]
    to: Option<ProviderArg>,
    /// The second document.
    #[arg(value_name = "FILE_B")]
    file_b: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    #[command(flatten)]
    input: ImportArgs,
    /// Compare although parts of an input were not read (they are listed; the documents then
    /// never count as equal).
    #[arg(long)]
    allow_unread: bool,
}

/// Run `sgconv diff`.
pub(crate) fn run(args: &DiffArgs) -> ExitCode {
    let read = |p: &std::path::Path| read_input(Some(p)).map_err(|e| fail(e, 2));
    let (a, b) = match (read(&args.file_a), read(&args.file_b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let options = Options::default()
        .with_input_format(args.input.format.map(|f| f.0))
        .with_import(args.input.import_options());
    let infer = |given, text: &str, flag, path: &std::path::Path| {
        infer::provider(given, text, &options, flag, &path.display().to_string())
    };
    let (from, to) = match (
        infer(args.from, &a, "--from", &args.file_a),
        infer(args.to, &b, "--to", &args.file_b),
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => return fail(e, 2),
    };
    let d = match sgconv::diff(&a, from, &b, to, &options) {
        Ok(d) => d,
        Err(e) => return fail(e, 2),
    };
    let text = match args.format {
        DiffFormat::Json => {
            let mut value = serde_json::to_value(&d).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert("from".into(), from.name().into());
                map.insert("to".into(), to.name().into());
            }
            let mut t = serde_json::to_string_pretty(&value).unwrap_or_default();
            t.push('\n');
            t
        }
        DiffFormat::Text => text(&d, from, to),
    };
    if let Err(e) = write_stdout(text.as_bytes()) {
        return fail(e, 2);
    }
    if !d.unread.is_empty() && !args.allow_unread {
        return ExitCode::from(3);
    }
    if d.equal {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn text(d: &sgconv::Diff, from: ProviderId, to: ProviderId) -> String {
    let mut t = String::new();
    for e in &d.unread {
        t.push_str(&format!(
            "unread: {}: {}\n",
            e.path.as_deref().unwrap_or("?"),
            e.message
        ));
    }
    for p in &d.pairs {
        let name = |i: Option<usize>| i.map_or_else(|| "-".to_owned(), |i| i.to_string());
        let label = p
            .label
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let by = match p.by {
            sgconv::Pairing::Id => "paired by id",
            sgconv::Pairing::Name => "paired by name",
            sgconv::Pairing::Position => "paired by position",
            _ => "only on one side; the missing group allows nothing",
        };
        t.push_str(&format!(
            "group {} ~ group {}{label}: {by}\n",
            name(p.a),
            name(p.b)
        ));
        if p.stateful_differs {
            t.push_str("  stateful on one side only: the stateful one also allows the replies of every flow it allows\n");
        }
        for b in &p.differences {
            let (sign, who) = match b.side {
                DiffSide::OnlyInA => ('-', from.name()),
                _ => ('+', to.name()),
            };
            t.push_str(&format!("  {sign} {} (only {who} allows)\n", b.packets));
        }
    }
    if d.equal {
        t.push_str("equal: both allow exactly the same packets\n");
    } else if d.same_packets() {
        t.push_str("not proven equal: parts of an input were not read\n");
    }
    t
}
