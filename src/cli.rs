//! The command line: argument parsing, files and pipes, exit codes. stdout carries data
//! only; the human summary, the report (with `--report -`) and errors go to stderr.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sgconv::fit::{Ordering, Protocols};
use sgconv::model::Action;
use sgconv::{Error, Format, Options, ProviderId};

/// Convert cloud security-group rules between providers, and say what could not be carried.
#[derive(Parser)]
#[command(name = "sgconv", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert a document from one provider's shape to another's.
    Convert(ConvertArgs),
    /// Compare what two groups allow (any providers): exit 0 equal, 1 different, 2 usage or
    /// bad input.
    Diff(crate::diff::DiffArgs),
    /// List the providers and what each can express.
    Providers {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct ConvertArgs {
    /// The source provider.
    #[arg(long, value_name = "PROVIDER")]
    from: ProviderId,
    /// The target provider.
    #[arg(long, value_name = "PROVIDER")]
    to: ProviderId,
    /// The input file; `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    input: Option<PathBuf>,
    /// Write the output here (atomically, only on success) instead of stdout.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Input format [default: detected from the first character].
    #[arg(long, value_enum)]
    input_format: Option<Format>,
    /// Write the full report as JSON to FILE (`-` for stderr), whatever the outcome.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Refuse (exit 3) when the result would deny traffic the source allowed.
    #[arg(long)]
    strict: bool,
    /// Accept a result that allows traffic the source denied.
    #[arg(long)]
    allow_widen: bool,
    /// Target group id for exports whose rules name their group (Huawei).
    #[arg(long, value_name = "ID")]
    target_group: Option<String>,
    /// Inbound default policy for input that holds rules without their group (a Scaleway rule
    /// list); a group in the input takes precedence.
    #[arg(long, value_enum, value_name = "POLICY")]
    inbound_default: Option<Policy>,
    /// Outbound default policy for input that holds rules without their group.
    #[arg(long, value_enum, value_name = "POLICY")]
    outbound_default: Option<Policy>,
    /// The most rules lowering deny rules / accept defaults into an allow-only target may
    /// produce per group [default: the target's rule quota].
    #[arg(long, value_name = "N")]
    rule_budget: Option<usize>,
    /// Do not re-import the output to compare packet sets (verdict from entries only).
    #[arg(long)]
    no_verify: bool,
    /// Do not print the human summary on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Print counts (rules in/out, expansion factor, report entries) and the time of each
    /// stage on stderr.
    #[arg(long)]
    stats: bool,
}

/// A group default policy, in Scaleway's words.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Policy {
    /// Let packets no rule matches through.
    Accept,
    /// Drop packets no rule matches.
    Drop,
}

impl From<Policy> for Action {
    fn from(p: Policy) -> Action {
        match p {
            Policy::Accept => Action::Allow,
            Policy::Drop => Action::Deny,
        }
    }
}

/// Parse the arguments, run, and map the outcome to an exit code: 0 converted, 1 bad input
/// or I/O, 2 usage, 3 refused.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Convert(args) => convert(&args),
        Command::Diff(args) => crate::diff::run(&args),
        Command::Providers { json } => providers(json),
    }
}

pub(crate) fn fail(message: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("sgconv: error: {message}");
    ExitCode::from(code)
}

fn convert(args: &ConvertArgs) -> ExitCode {
    let text = match read_input(args.input.as_deref()) {
        Ok(text) => text,
        Err(e) => return fail(e, 1),
    };
    let options = Options {
        input_format: args.input_format,
        allow_widen: args.allow_widen,
        strict: args.strict,
        import: sgconv::ImportOptions {
            default_inbound: args.inbound_default.map(Action::from),
            default_outbound: args.outbound_default.map(Action::from),
        },
        export: sgconv::ExportOptions {
            target_group: args.target_group.clone(),
        },
        rule_budget: args.rule_budget,
        no_verify: args.no_verify,
    };
    let result = sgconv::convert_owned(text, args.from, args.to, &options);
    let report = match &result {
        Ok(c) => Some(&c.report),
        Err(Error::Refused { report, .. }) => Some(report.as_ref()),
        Err(_) => None,
    };
    if let Some(report) = report {
        if let Some(path) = &args.report
            && let Err(e) = write_report(path, report)
        {
            return fail(e, 1);
        }
        if !args.quiet {
            eprint!("{report}");
        }
    }
    let mut converted = match result {
        Ok(c) => c,
        Err(e) => return fail(&e, e.exit_code()),
    };
    let start = std::time::Instant::now();
    let yaml;
    let text = match args.format {
        Format::Json => converted.output.as_json(),
        Format::Yaml => match converted.render(args.format) {
            Ok(t) => {
                yaml = t;
                yaml.as_str()
            }
            Err(e) => return fail(&e, e.exit_code()),
        },
    };
    let written = match args.output.as_deref() {
        Some(path) if path != Path::new("-") => write_atomically(path, text.as_bytes()),
        _ => write_stdout(text.as_bytes()),
    };
    converted.stats.stage("write", start);
    if args.stats {
        eprint!("{}", converted.stats);
    }
    // The process ends here: freeing a whole account's output and report piece by piece
    // would cost more than the rest of the write (the operating system takes it back).
    std::mem::forget(converted);
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, 1),
    }
}

pub(crate) fn read_input(path: Option<&Path>) -> Result<String, String> {
    let mut bytes = Vec::new();
    match path {
        None => io::stdin()
            .read_to_end(&mut bytes)
            .map(|_| ())
            .map_err(|e| format!("reading stdin: {e}"))?,
        Some(p) if p == Path::new("-") => io::stdin()
            .read_to_end(&mut bytes)
            .map(|_| ())
            .map_err(|e| format!("reading stdin: {e}"))?,
        Some(p) => bytes = std::fs::read(p).map_err(|e| format!("reading {}: {e}", p.display()))?,
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the input is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn write_report(path: &Path, report: &sgconv::Report) -> Result<(), String> {
    let mut json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    json.push('\n');
    if path == Path::new("-") {
        io::stderr()
            .write_all(json.as_bytes())
            .map_err(|e| format!("writing the report: {e}"))
    } else {
        write_atomically(path, json.as_bytes())
    }
}

/// Write to a temporary file beside `path`, then rename: readers never see a partial file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// [`write_atomically`] with what `render` writes (buffered).
fn write_atomically_with(
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.sgconv-{}.tmp", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|file| {
            let mut out = io::BufWriter::with_capacity(1 << 16, file);
            render(&mut out)?;
            out.flush()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Write to stdout; a closed pipe (`sgconv ... | head`) ends quietly, like ripgrep.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    write_stdout_with(|out| out.write_all(bytes))
}

/// [`write_stdout`] with what `render` writes (buffered).
pub(crate) fn write_stdout_with(
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match render(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing stdout: {e}")),
        _ => Ok(()),
    }
}

fn providers(json: bool) -> ExitCode {
    let rows: Vec<serde_json::Value> = ProviderId::ALL
        .iter()
        .map(|id| {
            let p = id.provider();
            let c = p.capabilities();
            serde_json::json!({
                "name": id.name(),
                "about": p.about(),
                "deny": c.deny,
                "ordering": match c.ordering {
                    Ordering::None => "none".to_string(),
                    Ordering::Priority { min, max } => format!("priority {min}-{max}"),
                    Ordering::Position => "position".to_string(),
                },
                "default_allow": c.default_allow,
                "stateless": c.stateless,
                "protocols": match c.protocols {
                    Protocols::All => "all 0-255".to_string(),
                    Protocols::Only(list) => format!("{} named", list.len()),
                },
                "port_ranges_per_rule": if c.port_ranges_per_rule == usize::MAX { "any".to_string() } else { c.port_ranges_per_rule.to_string() },
                "icmp_type_code": c.icmp_type_code,
                "remote_group": c.remote_group,
                "address_group": c.address_group,
                "descriptions": c.description.is_some(),
                "max_rules": c.max_rules,
            })
        })
        .collect();
    let text = if json {
        let mut t = serde_json::to_string_pretty(&rows).unwrap_or_default();
        t.push('\n');
        t
    } else {
        table(&rows)
    };
    match write_stdout(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, 1),
    }
}

fn table(rows: &[serde_json::Value]) -> String {
    let cols = [
        "name",
        "deny",
        "ordering",
        "default_allow",
        "stateless",
        "protocols",
        "port_ranges_per_rule",
        "icmp_type_code",
        "remote_group",
        "address_group",
        "descriptions",
        "max_rules",
    ];
    let cell = |row: &serde_json::Value, col: &str| match &row[col] {
        serde_json::Value::Bool(true) => "yes".to_string(),
        serde_json::Value::Bool(false) => "no".to_string(),
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let mut out = String::new();
    out.push_str(&format!("| {} |\n", cols.join(" | ")));
    out.push_str(&format!(
        "|{}|\n",
        cols.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    ));
    for row in rows {
        let cells: Vec<String> = cols.iter().map(|c| cell(row, c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}
