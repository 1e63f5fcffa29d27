//! `sgconv lint`: findings about what groups allow, as text, JSON or SARIF.
//!
//! Exit codes (as `sgconv diff`): 0 no finding at or above `--fail-on`, 1 some, 2 usage error
//! or an input that cannot be read. stdout carries the findings only.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use sgconv::lint::{Finding, LintConfig, Linted, PortCheck, Severity};
use sgconv::{Options, ProviderId};

use super::args::{ImportArgs, ProviderArg};
use super::infer;
use super::io::{fail, read_input, write_stdout_with};

/// How `lint` prints.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LintFormat {
    /// Lines for people, by severity.
    Text,
    /// One JSON object.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
}

/// A severity on the command line.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// Never fail on findings.
    Never,
}

impl FailOn {
    fn library(self) -> sgconv::lint::FailOn {
        match self {
            FailOn::Info => sgconv::lint::FailOn::Info,
            FailOn::Low => sgconv::lint::FailOn::Low,
            FailOn::Medium => sgconv::lint::FailOn::Medium,
            FailOn::High => sgconv::lint::FailOn::High,
            FailOn::Critical => sgconv::lint::FailOn::Critical,
            FailOn::Never => sgconv::lint::FailOn::Never,
        }
    }
}

#[derive(clap::Args)]
pub(crate) struct LintArgs {
    /// The documents' provider [default: the one provider that reads each whole; all must
    /// be the same].
    #[arg(long, value_enum, value_name = "PROVIDER")]
    from: Option<ProviderArg>,
    /// The documents (`-` reads stdin).
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// Exit 1 when a finding at or above this severity exists [default: the config's
    /// fail_on, else low].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,
    /// A JSON or YAML file: sensitive ports, trusted ranges, severities or off per check,
    /// fail_on, quota (see the README's lint section); the flags add to it or override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More sensitive ports, comma-separated: `tcp/8080,udp/53,tcp/9000-9100`.
    #[arg(long, value_name = "PORTS", value_delimiter = ',', value_parser = PortCheck::parse)]
    ports: Vec<PortCheck>,
    /// A range that counts as not public (besides RFC 1918, RFC 4193, loopback and
    /// link-local); repeatable.
    #[arg(long, value_name = "CIDR")]
    trusted: Vec<sgconv::ipnet::IpNet>,
    /// The quota of rules per group [default: the config's, else the provider's].
    #[arg(long, value_name = "N")]
    max_rules: Option<usize>,
    /// The most pieces one rule may be cut into while judging shadowing and redundancy; a
    /// rule past it is not judged (counted on the last line) [default: 4096].
    #[arg(long, value_name = "N")]
    max_pieces: Option<usize>,
    #[command(flatten)]
    input: ImportArgs,
}

/// Run `sgconv lint`.
pub(crate) fn run(args: &LintArgs) -> ExitCode {
    let options = Options::default()
        .with_input_format(args.input.format.map(|f| f.0))
        .with_import(args.input.import_options());
    let mut config = LintConfig::default();
    if let Some(path) = &args.config {
        let text = match read_input(Some(path)) {
            Ok(t) => t,
            Err(e) => return fail(e, 2),
        };
        config = match sgconv::lint::read_config(&text, None, config) {
            Ok(c) => c,
            Err(e) => return fail(format!("{}: {e}", path.display()), 2),
        };
    }
    let mut trusted = config.trusted.clone();
    trusted.extend(args.trusted.iter().copied());
    let fail_on = args.fail_on.map_or(config.fail_on, FailOn::library);
    let config = config
        .with_trusted(trusted)
        .with_more_checks(args.ports.clone())
        .with_max_rules(args.max_rules)
        .with_max_pieces(args.max_pieces)
        .with_fail_on(fail_on);
    let mut done: Vec<(String, Linted)> = Vec::new();
    // The provider: given, or told by the first input (and then the same for the others).
    let mut from: Option<(ProviderId, String)> = None;
    for path in &args.inputs {
        let text = match read_input(Some(path)) {
            Ok(t) => t,
            Err(e) => return fail(e, 2),
        };
        let name = path.display().to_string();
        let this = match infer::provider(args.from, &text, &options, "--from", &name) {
            Ok(p) => p,
            Err(e) => return fail(e, 2),
        };
        match &from {
            Some((first, first_name)) if *first != this => {
                return fail(
                    format!(
                        "{first_name} is a {first} document and {name} a {this} one; lint them \
                         separately"
                    ),
                    2,
                );
            }
            Some(_) => {}
            None => from = Some((this, name.clone())),
        }
        match sgconv::lint(&text, this, &options, &config) {
            Ok(l) => done.push((name, l)),
            Err(e) => return fail(format!("{name}: {e}"), 2),
        }
    }
    let from = from.map_or("", |(p, _)| p.name());
    let written = write_stdout_with(|out| match args.format {
        LintFormat::Text => text(out, &done),
        LintFormat::Json => pretty(out, &json(&done, from)),
        LintFormat::Sarif => {
            let inputs: Vec<(&str, &Linted)> = done.iter().map(|(n, l)| (n.as_str(), l)).collect();
            pretty(out, &sgconv::lint::sarif::sarif(&inputs))
        }
    });
    if let Err(e) = written {
        return fail(e, 2);
    }
    if done.iter().any(|(_, l)| l.fails(config.fail_on)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `value` as indented JSON and a newline, written as it is serialised.
fn pretty(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The `--format json` object: the provider, the findings counted by severity, the rules
/// not judged and every finding (with its input), each serialised as it is written.
#[derive(Serialize)]
struct Json<'a> {
    from: &'a str,
    counts: Counts,
    skipped: usize,
    findings: Findings<'a>,
}

fn json<'a>(done: &'a [(String, Linted)], from: &'a str) -> Json<'a> {
    let mut counts = Counts([0; Severity::ALL.len()]);
    for f in done.iter().flat_map(|(_, l)| &l.findings) {
        if let Some(n) = Severity::ALL
            .iter()
            .position(|s| *s == f.severity)
            .and_then(|i| counts.0.get_mut(i))
        {
            *n = n.saturating_add(1);
        }
    }
    Json {
        from,
        counts,
        skipped: done.iter().map(|(_, l)| l.skipped).sum(),
        findings: Findings(done),
    }
}

/// Findings by severity, [`Severity::ALL`]'s order, as an object of their names.
struct Counts([usize; Severity::ALL.len()]);

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(Severity::ALL.iter().map(|s| s.name()).zip(self.0))
    }
}

/// Every input's findings, each with its input's name.
struct Findings<'a>(&'a [(String, Linted)]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WithInput<'a> {
            #[serde(flatten)]
            finding: &'a Finding,
            input: &'a str,
        }
        serializer.collect_seq(self.0.iter().flat_map(|(name, linted)| {
            linted.findings.iter().map(|finding| WithInput {
                finding,
                input: name,
            })
        }))
    }
}

/// The findings for people: by severity, worst first, then a count.
fn text(t: &mut dyn Write, done: &[(String, Linted)]) -> io::Result<()> {
    let mut total = 0usize;
    let mut counts: Vec<String> = Vec::new();
    for severity in Severity::ALL.iter().rev() {
        let mut n = 0usize;
        for (name, linted) in done {
            for f in linted.findings.iter().filter(|f| f.severity == *severity) {
                if n == 0 {
                    writeln!(t, "{severity}:")?;
                }
                n = n.saturating_add(1);
                let group = match &f.group_label {
                    Some(l) => format!("group {} ({l})", f.group),
                    None => format!("group {}", f.group),
                };
                let at = match (&f.path, f.line) {
                    (Some(p), Some(l)) => format!(" at {p} (line {l})"),
                    (Some(p), None) => format!(" at {p}"),
                    _ => String::new(),
                };
                writeln!(t, "  {name}: {group}{at}: {}: {}", f.check, f.message)?;
                if let Some(w) = &f.witness {
                    writeln!(t, "    packets: {w}")?;
                }
                if let Some(a) = f.alias {
                    writeln!(t, "    also known as: {a}")?;
                }
            }
        }
        if n > 0 {
            counts.push(format!("{n} {severity}"));
        }
        total = total.saturating_add(n);
    }
    let skipped: usize = done.iter().map(|(_, l)| l.skipped).sum();
    if skipped > 0 {
        writeln!(
            t,
            "{skipped} rules not judged for shadowing or redundancy (too many pieces)"
        )?;
    }
    if total == 0 {
        writeln!(t, "no findings")?;
    } else {
        let word = if total == 1 { "finding" } else { "findings" };
        writeln!(t, "{total} {word}: {}", counts.join(", "))?;
    }
    Ok(())
}
