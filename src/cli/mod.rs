//! The command line: argument parsing, exit codes, and the words of flags. stdout carries
//! data only; the human summary, the report (with `--report -`) and errors go to stderr.

mod args;
mod diff;
mod generated;
mod infer;
mod io;
mod lint;
mod minimize;
mod plan;
mod progress;
mod providers;
mod render;
mod style;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sgconv::{Error, Format, Options};

use args::{ConvertArgs, ImportArgs};
use io::{fail, read_input, write_file, write_report, write_stdout};

/// Convert cloud security-group rules between providers, and say what could not be carried.
#[derive(Parser)]
#[command(
    name = "sgconv",
    version,
    about,
    max_term_width = 100,
    after_help = "\
Examples:
  sgconv convert --from huawei --to gcore-v2 rules.json -o gcore.json
  sgconv lint group.json
  sgconv convert --help                        # each command's flags and examples"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert a document from one provider's shape to another's.
    #[command(after_help = "\
Examples:
  sgconv convert --from huawei --to gcore-v2 rules.json -o gcore.json
  sgconv convert --to scaleway group.json      # --from told by the document
  curl ... | sgconv convert --from gcore-v1 --to canonical --format yaml")]
    Convert(ConvertArgs),
    /// Compare what two documents allow (any providers): exit 0 equal, 1 different, 2 usage
    /// or bad input, 3 parts not read.
    #[command(after_help = "\
Examples:
  sgconv diff --from huawei before.json --to gcore-v2 after.json
  sgconv diff old.json new.json --format json  # providers told by the documents")]
    Diff(diff::DiffArgs),
    /// Findings about what groups allow (exposed ports, shadowed, redundant and conflicting
    /// rules, quotas): exit 0 none at or above --fail-on, 1 some, 2 usage or bad input.
    #[command(after_help = "\
Examples:
  sgconv lint --from huawei rules.json
  sgconv lint --fail-on high --format sarif group.json > findings.sarif")]
    Lint(lint::LintArgs),
    /// Plan a whole account's groups as ordered, verified requests to another provider: exit
    /// 0 planned, 1 bad input, 2 usage, 3 refused.
    #[command(after_help = "\
Examples:
  sgconv plan --from huawei --to gcore-v2 rules.json -o plan.json
  sgconv plan --from gcore-v2 --to huawei web.json db.json --group-map map.yaml")]
    Plan(plan::PlanArgs),
    /// Write the same provider's document with the fewest rules sgconv finds (shadowed and
    /// redundant rules removed, ports and networks merged), verified exact: exit 0 written,
    /// 1 bad input or I/O, 2 usage, 3 refused.
    #[command(after_help = "\
Examples:
  sgconv minimize --from huawei rules.json -o smaller.json
  sgconv minimize --report - group.json > smaller.json")]
    Minimize(minimize::MinimizeArgs),
    /// List the providers and what each can express.
    #[command(after_help = "\
Examples:
  sgconv providers
  sgconv providers --json | jq '.[] | select(.deny) | .name'")]
    Providers {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print a completion script for a shell.
    #[command(after_help = "\
Examples:
  sgconv completions bash > ~/.local/share/bash-completion/completions/sgconv
  sgconv completions zsh > ~/.zfunc/_sgconv
  sgconv completions fish > ~/.config/fish/completions/sgconv.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page of sgconv, or of one of its commands (sgconv-convert(1), ...), as
    /// roff.
    #[command(after_help = "\
Examples:
  sgconv man | man -l -
  sgconv man convert > ~/.local/share/man/man1/sgconv-convert.1")]
    Man {
        /// The command whose page to print [default: sgconv's own].
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
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
        Command::Diff(args) => diff::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Minimize(args) => minimize::run(&args),
        Command::Providers { json } => providers::run(json),
        Command::Completions { shell } => generated::completions(shell),
        Command::Man { command } => generated::man(command.as_deref()),
    }
}

/// The exit code of an error that stops a conversion: 1 bad input, 70 a bug.
fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Internal(_) => 70,
        _ => 1,
    }
}

fn convert(args: &ConvertArgs) -> ExitCode {
    let text = match read_input(args.input_path.as_deref()) {
        Ok(text) => text,
        Err(e) => return fail(e, 1),
    };
    let options = match args.options() {
        Ok(options) => options,
        Err(e) => return fail(e, 2),
    };
    // Progress from here on (telling the provider reads the input too), erased before
    // anything else is printed.
    let drawer = (!args.quiet && std::io::stderr().is_terminal()).then(progress::Drawer::start);
    let converted = infer::provider(args.from, &text, &options, "--from", "the input")
        .map_err(|e| (e, 2))
        .and_then(|from| {
            let options = options.with_progress(drawer.as_ref().map(progress::Drawer::hook));
            sgconv::convert_owned(text, from, args.to.0, &options)
                .map_err(|e| (e.to_string(), exit_code(&e)))
        });
    if let Some(drawer) = drawer {
        drawer.finish();
    }
    let converted = match converted {
        Ok(c) => c,
        Err((e, code)) => return fail(e, code),
    };
    if let Some(path) = &args.report
        && let Err(e) = write_report(path, &converted.report)
    {
        return fail(e, 1);
    }
    let refusal = converted.outcome.as_ref().err();
    if !args.quiet || refusal.is_some() {
        let paint = style::Paint::stderr(args.color);
        eprint!("{}", render::summary(&converted.report, refusal, paint));
    }
    let output = match &converted.outcome {
        Ok(output) => output,
        Err(_) => return ExitCode::from(3),
    };
    let start = std::time::Instant::now();
    let written = match write_output(output, args.format.0, args.output.as_deref()) {
        Ok(written) => written,
        Err(e) => return fail(&e, exit_code(&e)),
    };
    let mut stats = converted.stats.clone();
    stats.stage("write", start);
    if args.stats {
        eprint!("{}", render::stats(&stats));
    }
    // The process ends here: freeing a whole account's output and report piece by piece
    // would cost more than the rest of the write (the operating system takes it back).
    std::mem::forget(converted);
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, 1),
    }
}

/// Write `output` in `format` to `path` (`-` or none: stdout). The outer error is the
/// rendering's (a bug), the inner one the write's.
fn write_output(
    output: &sgconv::Output,
    format: Format,
    path: Option<&Path>,
) -> Result<Result<(), String>, Error> {
    let yaml;
    let text = match format {
        Format::Yaml => {
            yaml = output.render(Format::Yaml)?;
            yaml.as_str()
        }
        _ => output.as_json(),
    };
    Ok(match path {
        Some(path) if path != Path::new("-") => write_file(path, text.as_bytes()),
        _ => write_stdout(text.as_bytes()),
    })
}

impl ImportArgs {
    /// The library's import options.
    pub(crate) fn import_options(&self) -> sgconv::ImportOptions {
        sgconv::ImportOptions::default()
            .with_defaults(
                self.inbound_default.map(Into::into),
                self.outbound_default.map(Into::into),
            )
            .with_stateful(self.stateful)
            .with_default_priority(self.default_priority)
            .with_direction(self.direction.map(Into::into))
    }
}

impl ConvertArgs {
    fn options(&self) -> Result<Options, String> {
        let (one, map) = args::target_groups(&self.target_group)?;
        Ok(Options::default()
            .with_input_format(self.input.format.map(|f| f.0))
            .with_allow_widen(self.allow_widen)
            .with_allow_unread(self.allow_unread)
            .with_strict(self.strict)
            .with_import(self.input.import_options())
            .with_export(
                sgconv::ExportOptions::default()
                    .with_target_group(one)
                    .with_target_groups(map)
                    .with_shape(self.shape.clone())
                    .with_terraform(self.format.0 == Format::Terraform),
            )
            .with_rule_budget(self.rule_budget)
            .with_no_verify(self.no_verify))
    }
}
