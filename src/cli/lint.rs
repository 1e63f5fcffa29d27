//! `sgconv lint`: findings about what groups allow, as text, JSON or SARIF.
//!
//! Exit codes (as `sgconv diff`): 0 no finding at or above `--fail-on`, 1 some, 2 usage error
//! or an input that cannot be read. stdout carries the findings only.

use std::path::PathBuf;
use std::process::ExitCode;

use sgconv::lint::{LintConfig, Linted, PortCheck, Severity};
use sgconv::{Options, ProviderId};

use super::args::{ImportArgs, ProviderArg};
use super::infer;
use super::io::{fail, read_input, write_stdout};

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
    let out = match args.format {
        LintFormat::Text => text(&done),
        LintFormat::Json => json(&done, from.map_or("", |(p, _)| p.name())),
        LintFormat::Sarif => {
            let inputs: Vec<(&str, &Linted)> = done.iter().map(|(n, l)| (n.as_str(), l)).collect();
            pretty(&sgconv::lint::sarif::sarif(&inputs))
        }
    };
    if let Err(e) = write_stdout(out.as_bytes()) {
        return fail(e, 2);
    }
    if done.iter().any(|(_, l)| l.fails(config.fail_on)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn pretty(value: &serde_json::Value) -> String {
    let mut t = serde_json::to_string_pretty(value).unwrap_or_default();
    t.push('\n');
    t
}

fn json(done: &[(String, Linted)], from: &str) -> String {
    let mut findings = Vec::new();
    let mut counts = serde_json::Map::new();
    for s in Severity::ALL {
        counts.insert(s.name().into(), 0.into());
    }
    for (name, linted) in done {
        for f in &linted.findings {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("input".into(), name.as_str().into());
            }
            findings.push(v);
            if let Some(n) = counts.get_mut(f.severity.name()) {
                *n = (n.as_u64().unwrap_or(0).saturating_add(1)).into();
            }
        }
    }
    let skipped: usize = done.iter().map(|(_, l)| l.skipped).sum();
    pretty(&serde_json::json!({
        "from": from,
        "counts": counts,
        "skipped": skipped,
        "findings": findings,
    }))
}

fn text(done: &[(String, Linted)]) -> String {
    let mut t = String::new();
    let mut total = 0usize;
    let mut counts: Vec<String> = Vec::new();
    for severity in Severity::ALL.iter().rev() {
        let mut n = 0usize;
        for (name, linted) in done {
            for f in linted.findings.iter().filter(|f| f.severity == *severity) {
                if n == 0 {
                    t.push_str(&format!("{severity}:\n"));
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
                t.push_str(&format!(
                    "  {name}: {group}{at}: {}: {}\n",
                    f.check, f.message
                ));
                if let Some(w) = &f.witness {
                    t.push_str(&format!("    packets: {w}\n"));
                }
                if let Some(a) = f.alias {
                    t.push_str(&format!("    also known as: {a}\n"));
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
        t.push_str(&format!(
            "{skipped} rules not judged for shadowing or redundancy (too many pieces)\n"
        ));
    }
    if total == 0 {
        t.push_str("no findings\n");
    } else {
        let word = if total == 1 { "finding" } else { "findings" };
        t.push_str(&format!("{total} {word}: {}\n", counts.join(", ")));
    }
    t
}
