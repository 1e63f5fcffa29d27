//! Arguments: clap's view of providers, formats and policies (the library knows no clap).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::builder::PossibleValue;
use sgconv::model::Action;
use sgconv::{Format, ProviderId};

use super::style::ColorChoice;

/// A provider name on the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProviderArg(pub(crate) ProviderId);

impl clap::ValueEnum for ProviderArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::OnceLock<Vec<ProviderArg>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| ProviderId::ALL.iter().map(|p| ProviderArg(*p)).collect())
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.name()).help(self.0.about()))
    }
}

/// A document format on the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FormatArg(pub(crate) Format);

impl clap::ValueEnum for FormatArg {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            FormatArg(Format::Json),
            FormatArg(Format::Yaml),
            FormatArg(Format::Terraform),
        ]
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.name()))
    }
}

/// A group default policy, in Scaleway's words.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Policy {
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

/// How an input is read: what `convert` and `diff` share.
#[derive(clap::Args)]
pub(crate) struct ImportArgs {
    /// Input format [default: detected: Terraform's JSON by its top-level keys or a `.tf` by
    /// its first block, else JSON or YAML by the first character]. `terraform` reads
    /// `terraform show -json` state or plan output, a `.tfstate` (v4) or a `.tf` file.
    #[arg(long = "input-format", id = "input_format", value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// Inbound default policy for input that holds rules without their group (a Scaleway rule
    /// list); a group in the input takes precedence.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub(crate) inbound_default: Option<Policy>,
    /// Outbound default policy for input that holds rules without their group.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub(crate) outbound_default: Option<Policy>,
    /// Whether the group of such a rule list is stateful.
    #[arg(long, value_name = "BOOL")]
    pub(crate) stateful: Option<bool>,
    /// The priority of a Huawei rule that has none (Huawei documents both 1 and 100; without
    /// this flag the result must hold under both).
    #[arg(long, alias = "huawei-default-priority", value_name = "1|100")]
    pub(crate) default_priority: Option<u16>,
    /// The direction of input whose rules do not say it (an AWS authorize-security-group-ingress
    /// or -egress request body).
    #[arg(long, value_enum, value_name = "DIRECTION")]
    pub(crate) direction: Option<DirectionArg>,
}

/// A rule direction on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum DirectionArg {
    /// Inbound rules (authorize-security-group-ingress).
    Ingress,
    /// Outbound rules (authorize-security-group-egress).
    Egress,
}

impl From<DirectionArg> for sgconv::model::Direction {
    fn from(d: DirectionArg) -> sgconv::model::Direction {
        match d {
            DirectionArg::Ingress => sgconv::model::Direction::Ingress,
            DirectionArg::Egress => sgconv::model::Direction::Egress,
        }
    }
}

#[derive(clap::Args)]
pub(crate) struct ConvertArgs {
    /// The source provider [default: the one provider that reads the input whole; none or
    /// several is a usage error that lists them].
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub(crate) from: Option<ProviderArg>,
    /// The target provider.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub(crate) to: ProviderArg,
    /// The input file; `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub(crate) input_path: Option<PathBuf>,
    /// Write the output here (only on success; a regular file atomically) instead of stdout.
    #[arg(short, long, value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,
    /// Output format (`terraform`: the target's Terraform resources as a `.tf` file).
    #[arg(long, value_enum, default_value = "json")]
    pub(crate) format: FormatArg,
    #[command(flatten)]
    pub(crate) input: ImportArgs,
    /// Write the full report as JSON to FILE (`-` for stderr), whatever the outcome.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Refuse (exit 3) when the result would deny traffic the source allowed.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Accept a result that allows traffic the source denied.
    #[arg(long)]
    pub(crate) allow_widen: bool,
    /// Accept a result although parts of the input were not read (verdict `unverified`).
    #[arg(long)]
    pub(crate) allow_unread: bool,
    /// The target group id (one group), or `SOURCE_ID=TARGET_ID` once per group of a
    /// several-group document. Written where target rules name their group (Huawei) and in
    /// place of the group's own id in self-references.
    #[arg(long, value_name = "ID|SRC=ID")]
    pub(crate) target_group: Vec<String>,
    /// The document shape to write, for a target that writes several (`sgconv providers
    /// --json` lists them; aws-ec2: describe, authorize).
    #[arg(long, value_name = "SHAPE")]
    pub(crate) shape: Option<String>,
    /// The most rules lowering deny rules / accept defaults into an allow-only target may
    /// produce per group [default: the target's rule quota].
    #[arg(long, value_name = "N")]
    pub(crate) rule_budget: Option<usize>,
    /// Do not re-import the output to compare packet sets (verdict from entries only).
    #[arg(long)]
    pub(crate) no_verify: bool,
    /// Do not print the human summary on stderr (a refusal is still summarised).
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Print counts (rules in/out, expansion factor, report entries) and the time of each
    /// stage on stderr.
    #[arg(long)]
    pub(crate) stats: bool,
    /// When to colour the summary on stderr: auto colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

/// `--target-group` values: one plain id, or `SRC=ID` pairs (not both).
pub(crate) fn target_groups(
    values: &[String],
) -> Result<(Option<String>, BTreeMap<String, String>), String> {
    let mut one = None;
    let mut map = BTreeMap::new();
    for value in values {
        match value.split_once('=') {
            Some((src, dst)) if !src.is_empty() && !dst.is_empty() => {
                map.insert(src.to_owned(), dst.to_owned());
            }
            Some(_) => return Err(format!("--target-group {value:?}: expected ID or SOURCE_ID=TARGET_ID")),
            None if one.is_none() => one = Some(value.clone()),
            None => return Err("--target-group ID may be given once; for several groups give SOURCE_ID=TARGET_ID per group".into()),
        }
    }
    if one.is_some() && !map.is_empty() {
        return Err("--target-group: give one ID, or SOURCE_ID=TARGET_ID pairs, not both".into());
    }
    Ok((one, map))
}
