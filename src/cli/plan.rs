//! `sgconv plan`: several documents of one provider as a verified plan of requests to
//! another; exit codes as `convert`'s (0 planned, 1 bad input or I/O, 2 usage, 3 refused).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sgconv::{GroupMap, Options, PlanOptions};

use super::args::{ImportArgs, ProviderArg};
use super::io::{fail, read_input, write_file, write_report, write_stdout};
use super::{exit_code, render, style};

/// How a plan is written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum PlanFormat {
    /// The plan as JSON.
    Json,
    /// The plan as YAML.
    Yaml,
    /// A bash script that runs the plan with curl and jq (its header says what it needs).
    Sh,
}

#[derive(clap::Args)]
pub(crate) struct PlanArgs {
    /// The source provider.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    from: ProviderArg,
    /// The target provider.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    to: ProviderArg,
    /// The documents that hold the groups (`-` reads stdin, once).
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
    /// A JSON or YAML map from ids of groups outside the input to an existing target group id,
    /// or to the list of CIDRs you assert are the group's members.
    #[arg(long, value_name = "FILE")]
    group_map: Option<PathBuf>,
    /// Write the plan here (only on success) instead of stdout.
    #[arg(short, long, value_name = "PLAN")]
    output: Option<PathBuf>,
    /// How to write the plan.
    #[arg(long, value_enum, default_value = "json")]
    format: PlanFormat,
    #[command(flatten)]
    input: ImportArgs,
    /// Write the full report as JSON to FILE (`-` for stderr), whatever the outcome.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Refuse (exit 3) when the plan would deny traffic the source allowed (an unmapped
    /// group outside the input, say).
    #[arg(long)]
    strict: bool,
    /// Accept a plan that allows traffic the source denied.
    #[arg(long)]
    allow_widen: bool,
    /// Accept a plan although parts of the input were not read.
    #[arg(long)]
    allow_unread: bool,
    /// Do not print the human summary on stderr (a refusal is still summarised).
    #[arg(short, long)]
    quiet: bool,
    /// When to colour the summary on stderr.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = style::ColorChoice::Auto)]
    color: style::ColorChoice,
}

/// Read a group map: JSON (`{` first) or YAML.
fn group_map(path: &Path) -> Result<GroupMap, String> {
    let text = read_input(Some(path))?;
    let shown = path.display();
    if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| {
            format!("group map {shown}: {e} (expected {{\"SOURCE_ID\": \"TARGET_ID\" or [\"CIDR\", ...]}})")
        })
    } else {
        serde_saphyr::from_str(&text).map_err(|e| {
            format!("group map {shown}: {e} (expected SOURCE_ID: TARGET_ID or [CIDR, ...])")
        })
    }
}

pub(crate) fn run(args: &PlanArgs) -> ExitCode {
    if args
        .inputs
        .iter()
        .filter(|p| p.as_path() == Path::new("-"))
        .count()
        > 1
    {
        return fail("`-` (stdin) may be given once among the inputs", 2);
    }
    let mut texts = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        match read_input(Some(path)) {
            Ok(text) => texts.push(text),
            Err(e) => return fail(e, 1),
        }
    }
    let map = match args.group_map.as_deref().map(group_map).transpose() {
        Ok(map) => map.unwrap_or_default(),
        Err(e) => return fail(e, 1),
    };
    let names = args
        .inputs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let options = PlanOptions::default()
        .with_group_map(map)
        .with_names(names)
        .with_convert(
            Options::default()
                .with_input_format(args.input.format.map(|f| f.0))
                .with_allow_widen(args.allow_widen)
                .with_allow_unread(args.allow_unread)
                .with_strict(args.strict)
                .with_import(args.input.import_options()),
        );
    let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let planned = match sgconv::plan(&inputs, args.from.0, args.to.0, &options) {
        Ok(planned) => planned,
        Err(e) => return fail(&e, exit_code(&e)),
    };
    if let Some(path) = &args.report
        && let Err(e) = write_report(path, &planned.report)
    {
        return fail(e, 1);
    }
    let refusal = planned.outcome.as_ref().err();
    if !args.quiet || refusal.is_some() {
        let paint = style::Paint::stderr(args.color);
        eprint!("{}", render::summary(&planned.report, refusal, paint));
    }
    let Ok(plan) = &planned.outcome else {
        return ExitCode::from(3);
    };
    let text = match args.format {
        PlanFormat::Json => serde_json::to_string_pretty(plan)
            .map(|mut t| {
                t.push('\n');
                t
            })
            .map_err(|e| e.to_string()),
        PlanFormat::Yaml => serde_saphyr::to_string(plan).map_err(|e| e.to_string()),
        PlanFormat::Sh => Ok(plan.shell_script()),
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => return fail(format!("internal error (please report): {e}"), 70),
    };
    let written = match args.output.as_deref() {
        Some(path) if path != Path::new("-") => write_file(path, text.as_bytes()).and_then(|()| {
            if matches!(args.format, PlanFormat::Sh) {
                executable(path)
            } else {
                Ok(())
            }
        }),
        _ => write_stdout(text.as_bytes()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, 1),
    }
}

/// Let whoever may read the script run it.
fn executable(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let failed = |e: std::io::Error| format!("making {} executable: {e}", path.display());
        let mut perms = std::fs::metadata(path).map_err(failed)?.permissions();
        let mode = perms.mode();
        perms.set_mode(mode | ((mode & 0o444) >> 2));
        std::fs::set_permissions(path, perms).map_err(failed)?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
