//! The pipeline: import → fit → export → verify → decide. Its result is a [`Converted`]: the
//! report together with either the output or the reason it was refused.

use std::borrow::Cow;

use crate::codec::Format;
use crate::error::Error;
use crate::fit;
use crate::id::ProviderId;
use crate::model::Document;
use crate::output::Output;
use crate::progress::{self, Event, Progress};
use crate::providers::{self, ExportOptions, ImportOptions};
use crate::report::{Kind, Refusal, Report};
use crate::semantics::Verdict;
use crate::verify;

/// What a conversion may do. Build one with [`Options::default`] and the `with_*` methods.
///
/// ```
/// let options = sgconv::Options::default().with_strict(true).with_rule_budget(Some(100));
/// assert!(options.strict && !options.allow_widen);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The input's format; detected from its first character when `None`.
    pub input_format: Option<Format>,
    /// Accept a result that allows packets the source denied.
    pub allow_widen: bool,
    /// Accept a result whose input had parts sgconv did not read (verdict `unverified`).
    pub allow_unread: bool,
    /// Refuse a result that denies packets the source allowed.
    pub strict: bool,
    /// Import options (default policies for rule lists without their group, ...).
    pub import: ImportOptions,
    /// Export options (target group id, ...).
    pub export: ExportOptions,
    /// The most rules lowering by set subtraction may produce per group (default: the
    /// target's `max_rules`).
    pub rule_budget: Option<usize>,
    /// Skip re-importing the output to compare packet sets (the verdict then comes from the
    /// field-level entries only).
    pub no_verify: bool,
    /// A hook that hears of each stage as the conversion runs (none by default).
    pub progress: Option<Progress>,
}

impl Options {
    /// Set [`Options::input_format`].
    pub fn with_input_format(mut self, format: Option<Format>) -> Options {
        self.input_format = format;
        self
    }
    /// Set [`Options::allow_widen`].
    pub fn with_allow_widen(mut self, yes: bool) -> Options {
        self.allow_widen = yes;
        self
    }
    /// Set [`Options::allow_unread`].
    pub fn with_allow_unread(mut self, yes: bool) -> Options {
        self.allow_unread = yes;
        self
    }
    /// Set [`Options::strict`].
    pub fn with_strict(mut self, yes: bool) -> Options {
        self.strict = yes;
        self
    }
    /// Set [`Options::import`].
    pub fn with_import(mut self, import: ImportOptions) -> Options {
        self.import = import;
        self
    }
    /// Set [`Options::export`].
    pub fn with_export(mut self, export: ExportOptions) -> Options {
        self.export = export;
        self
    }
    /// Set [`Options::rule_budget`].
    pub fn with_rule_budget(mut self, budget: Option<usize>) -> Options {
        self.rule_budget = budget;
        self
    }
    /// Set [`Options::no_verify`].
    pub fn with_no_verify(mut self, yes: bool) -> Options {
        self.no_verify = yes;
        self
    }
    /// Set [`Options::progress`].
    pub fn with_progress(mut self, progress: Option<Progress>) -> Options {
        self.progress = progress;
        self
    }
}

impl ImportOptions {
    /// Set the default policies of a rule list without its group.
    pub fn with_defaults(
        mut self,
        inbound: Option<crate::model::Action>,
        outbound: Option<crate::model::Action>,
    ) -> ImportOptions {
        self.default_inbound = inbound;
        self.default_outbound = outbound;
        self
    }
    /// Set whether such a rule list's group is stateful.
    pub fn with_stateful(mut self, stateful: Option<bool>) -> ImportOptions {
        self.stateful = stateful;
        self
    }
    /// Set the priority a rule without one has.
    pub fn with_default_priority(mut self, priority: Option<u16>) -> ImportOptions {
        self.default_priority = priority;
        self
    }
    /// Set the direction of a document whose rules do not carry it.
    pub fn with_direction(mut self, direction: Option<crate::model::Direction>) -> ImportOptions {
        self.direction = direction;
        self
    }
    /// Set the order of rules a document gives by list and by position.
    pub fn with_position_order(mut self, order: crate::providers::PositionOrder) -> ImportOptions {
        self.position_order = order;
        self
    }
}

impl ExportOptions {
    /// Set the target group id of a one-group document.
    pub fn with_target_group(mut self, id: Option<String>) -> ExportOptions {
        self.target_group = id;
        self
    }
    /// Set the document shape to write (see [`ExportOptions::shape`]).
    pub fn with_shape(mut self, shape: Option<String>) -> ExportOptions {
        self.shape = shape;
        self
    }

    /// Set [`ExportOptions::terraform`]: write a Terraform configuration.
    pub fn with_terraform(mut self, yes: bool) -> ExportOptions {
        self.terraform = yes;
        self
    }

    /// Set the target group ids of a several-group document, by source group id.
    pub fn with_target_groups(
        mut self,
        ids: std::collections::BTreeMap<String, String>,
    ) -> ExportOptions {
        self.target_groups = ids;
        self
    }
}

/// A conversion's result: the report, and either the output or why it was refused (the two
/// travel together, so a refusal still says what would have changed). Equality ignores
/// [`Converted::stats`]: the same conversion twice is equal, whatever the clock said.
#[must_use]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Converted {
    /// The target document, as text, or why there is none.
    pub outcome: Result<Output, Refusal>,
    /// What the conversion changed or could not carry, and its verdict.
    pub report: Report,
    /// Counts and time per stage (`sgconv convert --stats`).
    pub stats: Stats,
}

impl PartialEq for Converted {
    fn eq(&self, other: &Converted) -> bool {
        self.outcome == other.outcome && self.report == other.report
    }
}

impl Eq for Converted {}

impl Converted {
    /// The output, or the refusal as an error.
    pub fn output(&self) -> Result<&Output, &Refusal> {
        self.outcome.as_ref()
    }
}

/// Counts and time per stage of one conversion: how it scaled.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Input size in bytes.
    pub bytes_in: usize,
    /// Groups read.
    pub groups: usize,
    /// Rules read (all groups).
    pub rules_in: usize,
    /// Rules of the fitted document, the ones exported (all groups).
    pub rules_out: usize,
    /// Report entries.
    pub entries: usize,
    /// Time per stage, in order.
    pub stages: Vec<Stage>,
}

/// One stage's wall time.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Stage {
    /// `import`, `fit` (fitting and lowering), `export`, `verify`, ...
    pub name: &'static str,
    /// Seconds.
    pub seconds: f64,
}

impl Stats {
    /// Output rules per input rule (lowering and port splits raise it, dropped rules lower
    /// it); 0 for an empty input.
    pub fn expansion(&self) -> f64 {
        if self.rules_in == 0 {
            return 0.0;
        }
        // Rule counts are far below 2^52: exact as f64.
        #[allow(clippy::cast_precision_loss)]
        let ratio = self.rules_out as f64 / self.rules_in as f64;
        ratio
    }

    /// Record that stage `name` began at `start` and ends now.
    pub fn stage(&mut self, name: &'static str, start: std::time::Instant) {
        self.stages.push(Stage {
            name,
            seconds: start.elapsed().as_secs_f64(),
        });
    }
}

fn rule_count(doc: &Document) -> usize {
    doc.groups.iter().map(|g| g.rules.len()).sum()
}

/// A document read into the model, with what reading it recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Imported {
    /// The groups.
    pub document: Document,
    /// What the reader could not carry into the model (the target is the source itself).
    pub report: Report,
}

/// Read a document of provider `from` into the canonical model.
///
/// ```
/// use sgconv::{import, Options, ProviderId};
/// let text = r#"[{"direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}]"#;
/// let read = import(text, ProviderId::GcoreV2, &Options::default()).unwrap();
/// assert_eq!(read.document.groups[0].rules.len(), 1);
/// ```
pub fn import(text: &str, from: ProviderId, options: &Options) -> Result<Imported, Error> {
    let mut report = Report::new(from, from);
    let document = read(text, from, options, &mut report)?;
    Ok(Imported { document, report })
}

fn read(
    text: &str,
    from: ProviderId,
    options: &Options,
    report: &mut Report,
) -> Result<Document, Error> {
    let format = options.input_format.unwrap_or_else(|| Format::detect(text));
    providers::get(from).import(text, format, &options.import, report)
}

/// Convert `text`, a document of provider `from`, into provider `to`'s shape.
///
/// Fails with [`Error`] when the input cannot be read. Otherwise the [`Converted`] holds the
/// report and either the output or the [`Refusal`]: the result would widen (unless
/// [`Options::allow_widen`]), narrow (with [`Options::strict`]), or rests on unread input
/// (unless [`Options::allow_unread`]).
///
/// ```
/// use sgconv::{convert, Options, ProviderId, report::Verdict};
/// let v1 = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
///              "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"}]"#;
/// let out = convert(v1, ProviderId::GcoreV1, ProviderId::GcoreV2, &Options::default()).unwrap();
/// assert_eq!(out.report.verdict, Verdict::Exact);
/// assert_eq!(out.output().unwrap().to_value().unwrap()[0]["protocol"], "tcp");
///
/// // A key sgconv does not know: nothing can be proven, so the conversion is refused.
/// let typo = r#"[{"direction": "ingress", "protocol": "tcp", "remote_ip_prefx": "10.0.0.0/8"}]"#;
/// let out = convert(typo, ProviderId::GcoreV2, ProviderId::Huawei, &Options::default()).unwrap();
/// assert_eq!(out.report.verdict, Verdict::Unverified);
/// assert!(out.outcome.is_err());
/// ```
pub fn convert(
    text: &str,
    from: ProviderId,
    to: ProviderId,
    options: &Options,
) -> Result<Converted, Error> {
    convert_text(Cow::Borrowed(text), from, to, options)
}

/// [`convert`] taking the input by value: it is freed as soon as it is read, so a large
/// input and its converted output are never in memory together (what `sgconv convert`
/// does).
pub fn convert_owned(
    text: String,
    from: ProviderId,
    to: ProviderId,
    options: &Options,
) -> Result<Converted, Error> {
    convert_text(Cow::Owned(text), from, to, options)
}

/// Convert a document built in code (or read with [`import`]) into provider `to`'s shape:
/// validated, fitted, exported, verified and refused exactly like [`convert`]; the report's
/// source is `canonical`.
///
/// ```
/// use sgconv::model::*;
/// use sgconv::{convert_document, Options, ProviderId, report::Verdict};
///
/// let mut deny = RuleSpec::new(Direction::Ingress, Family::V4);
/// deny.action = Action::Deny;
/// let mut ssh = RuleSpec::new(Direction::Ingress, Family::V4);
/// ssh.protocol = Protocol::TCP;
/// ssh.ports = PortSet::from_ranges([PortRange::single(22).unwrap()]);
/// let group = SecurityGroup::first_match(vec![Rule::new(deny).unwrap(), Rule::new(ssh).unwrap()]).unwrap();
///
/// // Deny all IPv4 ingress first: the SSH rule after it allows nothing, and Gcore (allow-only)
/// // gets no ingress rule at all, not an allow-all.
/// let out = convert_document(&Document::new(vec![group]), ProviderId::GcoreV2, &Options::default()).unwrap();
/// assert_eq!(out.report.verdict, Verdict::Exact);
/// assert_eq!(out.output().unwrap().to_value().unwrap(), serde_json::json!([]));
/// ```
pub fn convert_document(
    doc: &Document,
    to: ProviderId,
    options: &Options,
) -> Result<Converted, Error> {
    for group in &doc.groups {
        group.check()?;
    }
    // Rules built past the constructors have no position yet: the report names each by its
    // place in its group.
    let numbered;
    let doc = if doc
        .groups
        .iter()
        .any(|g| g.rules.iter().any(|r| r.origin().index.is_none()))
    {
        let mut copy = doc.clone();
        for group in &mut copy.groups {
            group.number_rules();
        }
        numbered = copy;
        &numbered
    } else {
        doc
    };
    let mut stats = Stats::default();
    let report = Report::new(ProviderId::Canonical, to);
    let (outcome, report) = finish(
        doc,
        None,
        ProviderId::Canonical,
        to,
        options,
        &mut stats,
        report,
    )?;
    Ok(Converted {
        outcome,
        report,
        stats,
    })
}

fn convert_text(
    text: Cow<'_, str>,
    from: ProviderId,
    to: ProviderId,
    options: &Options,
) -> Result<Converted, Error> {
    // The report's entry list grows as it fills: an entry says the same of all the rules it
    // concerns, so a conversion has few (2,087 for 100,000 Huawei rules, 16,416 for a million
    // Gcore rules), and room reserved by input size went untouched.
    let mut report = Report::new(from, to);
    let mut stats = Stats {
        bytes_in: text.len(),
        ..Stats::default()
    };
    let start = std::time::Instant::now();
    let hook = options.progress.as_ref();
    progress::send(hook, || Event::Reading { bytes: text.len() });
    let doc = read(&text, from, options, &mut report)?;
    drop(text);
    stats.stage("import", start);
    let (outcome, report) = finish(&doc, None, from, to, options, &mut stats, report)?;
    Ok(Converted {
        outcome,
        report,
        stats,
    })
}

/// Fit `smaller` (a document built to allow exactly what `source` allows, with fewer rules)
/// to provider `to`, export it and verify the output against `source`, as [`convert`] does
/// every conversion (the same refusals); `report` holds what reading `source` recorded.
pub(crate) fn export_against(
    source: &Document,
    smaller: &Document,
    to: ProviderId,
    options: &Options,
    report: Report,
) -> Result<(Result<Output, Refusal>, Report, Stats), Error> {
    let mut stats = Stats::default();
    let (outcome, report) = finish(smaller, Some(source), to, to, options, &mut stats, report)?;
    Ok((outcome, report, stats))
}

/// Fit, export, verify (against `against`, else `doc`) and decide.
fn finish(
    doc: &Document,
    against: Option<&Document>,
    from: ProviderId,
    to: ProviderId,
    options: &Options,
    stats: &mut Stats,
    mut report: Report,
) -> Result<(Result<Output, Refusal>, Report), Error> {
    stats.groups = doc.groups.len();
    stats.rules_in = rule_count(doc);
    let hook = options.progress.as_ref();
    progress::send(hook, || Event::Read {
        groups: stats.groups,
        rules: stats.rules_in,
    });
    let target = providers::get(to);
    if let Some(shape) = &options.export.shape {
        let shapes = to.export_shapes();
        if !shapes.iter().any(|(name, _)| name == shape) {
            let names: Vec<&str> = shapes.iter().map(|(name, _)| *name).collect();
            return Err(Error::Options(if names.is_empty() {
                format!("{to} writes one document shape; --shape {shape:?} does not apply")
            } else {
                format!("{to} writes the shapes {}; not {shape:?}", names.join(", "))
            }));
        }
    }
    // Group ids into the target's id space; the source is read so from here on (a
    // self-reference means the same members under the target group's id).
    let (source_cloud, target_cloud) = (
        providers::get(from).capabilities().cloud,
        target.capabilities().cloud,
    );
    if options.export.terraform && !target.has_terraform() {
        let with: Vec<&str> = ProviderId::ALL
            .iter()
            .filter(|p| providers::get(**p).has_terraform())
            .map(|p| p.name())
            .collect();
        return Err(Error::Options(format!(
            "{to} has no Terraform resources to write (those that have: {})",
            with.join(", ")
        )));
    }
    if options.export.terraform {
        let own = doc
            .groups
            .iter()
            .filter_map(|g| g.id.as_deref())
            .find(|id| options.export.target_groups.contains_key(*id));
        if options.export.target_group.is_some() || own.is_some() {
            return Err(Error::Options(
                "a Terraform configuration creates the document's groups and names them by \
                 reference, so they take no target group id; map only ids of groups outside the \
                 document (SOURCE_ID=TARGET_ID)"
                    .into(),
            ));
        }
    }
    let clouds_differ =
        source_cloud.is_some() && target_cloud.is_some() && source_cloud != target_cloud;
    let ids = fit::ids::TargetIds {
        one: options.export.target_group.as_deref(),
        map: &options.export.target_groups,
        // (A target without remote groups or address groups drops such rules in fit,
        // reported there.)
        foreign: clouds_differ && target.capabilities().remote_group,
        foreign_sets: clouds_differ && target.capabilities().address_group,
        by_reference: options.export.terraform,
    };
    let mapped = fit::ids::map_ids(doc, &ids, &mut report).map_err(|e| Error::Options(e.0))?;
    let doc = mapped.as_ref().unwrap_or(doc);
    let start = std::time::Instant::now();
    let caps = target.export_capabilities(&options.export);
    let fitted = match fit::fit(doc, &caps, options.rule_budget, &mut report, hook) {
        Ok(fitted) => fitted,
        Err(refusal) => {
            report.verdict = report.verdict.max(refusal.verdict());
            stats.entries = report.entries.len();
            return Ok((Err(refusal), report));
        }
    };
    stats.stage("fit", start);
    stats.rules_out = rule_count(&fitted);
    // A group written alone is read back as one list of this many rules.
    let one_list = (fitted.groups.len() == 1).then_some(stats.rules_out);
    let start = std::time::Instant::now();
    let output = target.export(&fitted, &options.export, &mut report)?;
    drop(fitted);
    stats.stage("export", start);
    progress::send(hook, || Event::Exported {
        rules: stats.rules_out,
    });
    if !options.no_verify {
        let start = std::time::Instant::now();
        let written = verify::Written {
            output: &output,
            one_list,
        };
        verify::verify_written(against.unwrap_or(doc), written, target, &mut report, hook)?;
        stats.stage("verify", start);
    }
    let refusal = decide(&report, options);
    stats.entries = report.entries.len();
    Ok((refusal.map_or(Ok(output), Err), report))
}

/// The refusal a result with `report` gets under `options`, if any: a widened result unless
/// [`Options::allow_widen`], unread input unless [`Options::allow_unread`], a narrowed one
/// under [`Options::strict`].
pub(crate) fn decide(report: &Report, options: &Options) -> Option<Refusal> {
    let unread = report.count(Kind::Unread);
    if report.verdict == Verdict::Widened && !options.allow_widen {
        Some(Refusal::Widened)
    } else if unread > 0 && !options.allow_unread {
        Some(Refusal::Unverified { count: unread })
    } else if report.verdict == Verdict::Narrowed && options.strict {
        Some(Refusal::Narrowed)
    } else {
        None
    }
}
