//! `sgconv minimize`: the same provider's document with the fewest rules sgconv finds,
//! verified exact against the input (as `convert` verifies a conversion).
//!
//! Exit codes as `convert`: 0 written, 1 bad input or I/O, 2 usage, 3 refused (the result
//! would not be exact). stdout carries the document only; the summary goes to stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use sgconv::Options;
use sgconv::lint::LintConfig;

use super::args::{FormatArg, ImportArgs, ProviderArg};
use super::io::{fail, read_input, write_report};
use super::{exit_code, infer, render, style, write_output};

#[derive(clap::Args)]
pub(crate) struct MinimizeArgs {
    /// The document's provider (the output's too); inferred from the input when omitted.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    from: Option<ProviderArg>,
    /// The input file; `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    input_path: Option<PathBuf>,
    /// Write the output here (only on success; a regular file atomically) instead of stdout.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: FormatArg,
    #[command(flatten)]
    input: ImportArgs,
    /// Write the full report (each rule removed or merged, the verdict) as JSON to FILE (`-`
    /// for stderr), whatever the outcome.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// The most pieces one rule may be cut into while judging it; a rule past it stays
    /// [default: 4096].
    #[arg(long, value_name = "N")]
    max_pieces: Option<usize>,
    /// Do not print the summary on stderr (a refusal is still summarised).
    #[arg(short, long)]
    quiet: bool,
    /// When to colour the summary on stderr.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = style::ColorChoice::Auto)]
    color: style::ColorChoice,
}

/// Run `sgconv minimize`.
pub(crate) fn run(args: &MinimizeArgs) -> ExitCode {
    let text = match read_input(args.input_path.as_deref()) {
        Ok(text) => text,
        Err(e) => return fail(e, 1),
    };
    let options = Options::default()
        .with_input_format(args.input.format.map(|f| f.0))
        .with_import(args.input.import_options());
    let from = match infer::provider(args.from, &text, &options, "--from", "the input") {
        Ok(p) => p,
        Err(e) => return fail(e, 2),
    };
    let config = LintConfig::default().with_max_pieces(args.max_pieces);
    let fixed = match sgconv::minimize(&text, from, &options, &config) {
        Ok(fixed) => fixed,
        Err(e) => return fail(&e, exit_code(&e)),
    };
    if let Some(path) = &args.report
        && let Err(e) = write_report(path, &fixed.report)
    {
        return fail(e, 1);
    }
    let refusal = fixed.outcome.as_ref().err();
    if !args.quiet || refusal.is_some() {
        eprintln!(
            "sgconv: minimize: {} rules -> {} ({} removed, {} merged)",
            fixed.rules_in, fixed.rules_out, fixed.removed, fixed.merged
        );
        let paint = style::Paint::stderr(args.color);
        eprint!("{}", render::summary(&fixed.report, refusal, paint));
    }
    let Ok(output) = &fixed.outcome else {
        return ExitCode::from(3);
    };
    match write_output(output, args.format.0, args.output.as_deref()) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => fail(e, 1),
        Err(e) => fail(&e, exit_code(&e)),
    }
}
