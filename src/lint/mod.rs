//! Lint: findings about what a group's rules mean, judged on its packet set (after order,
//! priority, deny rules and default policies), never on the text of one rule.
//!
//! ```
//! use sgconv::lint::{lint, FindingKind, LintConfig};
//! use sgconv::{Options, ProviderId};
//!
//! // Two halves of the IPv4 space open SSH to the world between them.
//! let text = r#"[
//!   {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
//!    "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/1"},
//!   {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
//!    "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "128.0.0.0/1"}]"#;
//! let linted = lint(text, ProviderId::GcoreV2, &Options::default(), &LintConfig::default()).unwrap();
//! let ssh = linted.findings.iter().find(|f| f.check == "exposed-ssh").unwrap();
//! assert_eq!(ssh.kind, FindingKind::Exposed);
//! assert_eq!(ssh.witness.as_deref(), Some("ingress tcp 22 from 0.0.0.0/0"));
//! ```
//!
//! The checks (each [`Finding`] names its check, and the Prowler or ScoutSuite check it
//! stands for where there is one):
//!
//! - **exposed** ([`FindingKind::Exposed`]): a sensitive port (every port of TCP or UDP, SSH,
//!   RDP, telnet, FTP, the database and cache ports Prowler lists, or the ports of
//!   [`LintConfig::checks`]) is allowed inbound from a public address: one outside RFC 1918,
//!   RFC 4193, loopback, link-local and [`LintConfig::trusted`]. The allowed set is the
//!   group's, so two rules that split `0.0.0.0/0` are one exposure and a deny evaluated
//!   first takes it away. A remote group is not public. Where every TCP port is open from
//!   somewhere, the single TCP port checks of that family are not repeated.
//! - **shadowed** / **conflicting**: rules evaluated earlier decide every packet of the rule
//!   (Batfish's `BLOCKING_LINES`); the blocking rules are named. An allow rule blocked with a
//!   deny among the blockers is *conflicting* (it can never take effect: a deny decides
//!   first); otherwise *shadowed*. A deny rule whose packets all reach later allow rules (it
//!   only carves an exception out of them, so its meaning rests on the order) is
//!   *conflicting* at severity `info`.
//! - **unmatchable**: a rule that matches no packet on its own (Batfish's
//!   `INDEPENDENTLY_UNMATCHABLE`). Decided: a disabled rule is one (it matches nothing), at
//!   severity `info`, since it is switched off on purpose; a rule whose packets cannot exist
//!   (ICMP over IPv6, ICMPv6 over IPv4: `semantics::impossible`) is one at `low`,
//!   though the model refuses such rules today.
//! - **redundant**: removing the rule alone changes nothing (the packets it decides get the
//!   same fate from later rules or the default policy). Each finding is about that rule
//!   alone: two rules that cover each other are both redundant, not both removable.
//! - **over-quota**: more rules in a group than the provider's documented quota
//!   ([`crate::Capabilities::quota`], or [`LintConfig::quota`]), counted as the provider
//!   counts (per group, per direction or per family: [`crate::Quota::excess`]); one finding
//!   per count over.
//! - **position-order**: a group whose meaning depends on its rules' positions, which
//!   Terraform does not send (Scaleway: [`crate::PositionOrder`]).
//! - **unread**: part of the input was not read, so the findings rest on the rest.
//!
//! Cost: one pass over the rules in evaluation order. Each rule is cut only by the rules whose
//! boxes overlap it (found through an index by direction, family, protocol and address), and
//! only by earlier rules that name no remote group other than its own (a rule "from members
//! of G" never covers the packets from addresses in no group, so leaving it out keeps the
//! shadowing test exact); exposure is judged on the rules that name no group, for the same
//! reason. A group of n rules costs about n log n plus the overlapping pairs, which grow
//! with n² where many rules overlap (random /8 prefixes do). A finding names at most
//! [`MAX_RELATED`] other rules (and counts the rest). A rule whose cut would make
//! more than [`LintConfig::max_pieces`] pieces is not judged (counted in
//! [`Linted::skipped`]).

mod blocks;
mod config;
mod decision;
mod exposure;
mod fix;
mod locate;
mod order;
mod reach;
pub mod sarif;
mod walk;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::caps::Quota;
use crate::convert::{Options, import};
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Document, Origin, SecurityGroup};
use crate::report::{Kind, Report};
use crate::semantics::PacketBox;

pub use config::read_config;
pub use exposure::{MAX_PORTS_PER_CHECK, PortCheck, default_checks};
pub use fix::{Minimized, minimize, minimize_document};

/// How bad a finding is, lowest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Info,
    /// Dead weight: rules that do nothing.
    Low,
    /// A rule that does not do what it says, or input not read.
    Medium,
    /// A sensitive port open to the internet, or a group over its quota.
    High,
    /// Every port open to the internet.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The name (`info`, `low`, `medium`, `high`, `critical`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The severity at which findings fail a run (`--fail-on`, `fail_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailOn {
    /// Any finding.
    Info,
    /// A finding of severity low or above (the default).
    #[default]
    Low,
    /// Medium or above.
    Medium,
    /// High or above.
    High,
    /// Critical only.
    Critical,
    /// Never.
    Never,
}

impl FailOn {
    /// The lowest severity that fails, `None` for never.
    pub fn severity(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Never => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// Sensitive packets reachable from public addresses.
    Exposed,
    /// Earlier rules decide every packet of the rule, with the same action.
    Shadowed,
    /// The rule matches no packet on its own.
    Unmatchable,
    /// Removing the rule changes nothing.
    Redundant,
    /// Rules of different actions decide the same packets (an allow a deny makes dead, a deny
    /// that only carves an exception out of later allows).
    Conflicting,
    /// More rules than the provider's quota.
    OverQuota,
    /// The group's meaning depends on an order a tool that applies it does not keep
    /// (Scaleway positions, which Terraform does not send).
    Order,
    /// Part of the input was not read.
    Unread,
}

impl FindingKind {
    /// The name (`exposed`, `shadowed`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Exposed => "exposed",
            FindingKind::Shadowed => "shadowed",
            FindingKind::Unmatchable => "unmatchable",
            FindingKind::Redundant => "redundant",
            FindingKind::Conflicting => "conflicting",
            FindingKind::OverQuota => "over_quota",
            FindingKind::Order => "order",
            FindingKind::Unread => "unread",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The check's id (`exposed-ssh`, `shadowed`, ...): SARIF's rule id.
    pub check: Cow<'static, str>,
    /// What kind of finding.
    pub kind: FindingKind,
    /// How bad.
    pub severity: Severity,
    /// The group's index in the document.
    pub group: usize,
    /// The group's id or name, where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_label: Option<String>,
    /// The rules the finding is about (for an exposure: the rules that allow the witness,
    /// the first [`MAX_RELATED`] of them in the group's order; empty when a default policy
    /// does).
    pub rules: Vec<Origin>,
    /// How many rules allow an exposure's witness when [`Finding::rules`] lists only the
    /// first of them; `None` when it lists them all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_total: Option<usize>,
    /// Other rules involved: the blocking rules of a shadowed rule, the later rules that
    /// decide a redundant rule's packets alike; at most the first [`MAX_RELATED`] of them in
    /// evaluation order ([`Finding::related_total`] counts them all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Origin>,
    /// How many rules are involved when [`Finding::related`] lists only the first of them;
    /// `None` when it lists them all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_total: Option<usize>,
    /// Packets that show the finding, readable (`ingress tcp 22 from 0.0.0.0/0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
    /// The same packets as a box, for programs (not serialised).
    #[serde(skip)]
    pub witness_box: Option<PacketBox>,
    /// A sentence for people.
    pub message: String,
    /// The Prowler / ScoutSuite / Batfish name of the same check, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<&'static str>,
    /// The JSON path of the first rule in the input (`security_group_rules[3]`), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Its 1-based line, where known (JSON input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Finding {
    fn new(
        check: impl Into<Cow<'static, str>>,
        kind: FindingKind,
        severity: Severity,
        group: usize,
        message: String,
    ) -> Finding {
        Finding {
            check: check.into(),
            kind,
            severity,
            group,
            group_label: None,
            rules: Vec::new(),
            rules_total: None,
            related: Vec::new(),
            related_total: None,
            witness: None,
            witness_box: None,
            message,
            alias: None,
            path: None,
            line: None,
        }
    }

    fn witness(mut self, b: PacketBox) -> Finding {
        self.witness = Some(crate::semantics::describe(&b));
        self.witness_box = Some(b);
        self
    }
}

/// What the lint looks for. Build one with [`LintConfig::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LintConfig {
    /// Ranges counted as not public, besides the private ones (RFC 1918, RFC 4193, loopback,
    /// link-local).
    pub trusted: Vec<ipnet::IpNet>,
    /// The sensitive ports ([`default_checks`] by default).
    pub checks: Vec<PortCheck>,
    /// Whether "every TCP/UDP port open" is checked.
    pub all_ports: bool,
    /// The quota of rules (default: the provider's, [`crate::Capabilities::quota`]).
    pub quota: Option<Quota>,
    /// The most pieces one rule's cut may make before the rule is skipped.
    pub max_pieces: usize,
    /// Severities set per check id; `None` turns the check off.
    pub severities: std::collections::BTreeMap<String, Option<Severity>>,
    /// The severity at which findings fail a run ([`Linted::fails`]).
    pub fail_on: FailOn,
}

impl Default for LintConfig {
    fn default() -> LintConfig {
        LintConfig {
            trusted: Vec::new(),
            checks: default_checks(),
            all_ports: true,
            quota: None,
            max_pieces: 4096,
            severities: std::collections::BTreeMap::new(),
            fail_on: FailOn::default(),
        }
    }
}

impl LintConfig {
    /// Set [`LintConfig::trusted`].
    pub fn with_trusted(mut self, trusted: Vec<ipnet::IpNet>) -> LintConfig {
        self.trusted = trusted;
        self
    }
    /// Set [`LintConfig::checks`].
    pub fn with_checks(mut self, checks: Vec<PortCheck>) -> LintConfig {
        self.checks = checks;
        self
    }
    /// Set [`LintConfig::max_pieces`] (`None` keeps the default).
    pub fn with_max_pieces(mut self, max: Option<usize>) -> LintConfig {
        if let Some(max) = max {
            self.max_pieces = max;
        }
        self
    }
    /// Set [`LintConfig::quota`] to `max` rules per group (`None` keeps it).
    pub fn with_max_rules(mut self, max: Option<usize>) -> LintConfig {
        if let Some(max) = max {
            self.quota = Some(Quota::per_group(max));
        }
        self
    }
    /// Set [`LintConfig::quota`].
    pub fn with_quota(mut self, quota: Option<Quota>) -> LintConfig {
        self.quota = quota;
        self
    }
    /// Add sensitive ports (checks of one's own, [`PortCheck::parse`]); a check already
    /// there is not added twice.
    pub fn with_more_checks(mut self, checks: Vec<PortCheck>) -> LintConfig {
        for check in checks {
            if !self.checks.iter().any(|c| c.id == check.id) {
                self.checks.push(check);
            }
        }
        self
    }
    /// Set [`LintConfig::fail_on`].
    pub fn with_fail_on(mut self, fail_on: FailOn) -> LintConfig {
        self.fail_on = fail_on;
        self
    }
}

/// A lint's result.
#[must_use]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Linted {
    /// The findings, by group, then check order within a group.
    pub findings: Vec<Finding>,
    /// The import report (what reading the input could not carry).
    pub report: Report,
    /// Groups linted.
    pub groups: usize,
    /// Rules linted.
    pub rules: usize,
    /// Rules not judged for shadowing or redundancy (their cut went over
    /// [`LintConfig::max_pieces`]).
    pub skipped: usize,
}

impl Linted {
    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Whether a finding at or above `fail_on` exists.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        match (self.worst(), fail_on.severity()) {
            (Some(worst), Some(bar)) => worst >= bar,
            _ => false,
        }
    }
}

/// The ids of the checks other than the sensitive ports' (`exposed-ssh`, ...).
pub const CHECKS: &[&str] = &[
    "exposed-all-ports",
    "shadowed",
    "conflicting",
    "deny-exception",
    "unmatchable",
    "redundant",
    "over-quota",
    "position-order",
    "unread",
];

/// Lint `text`, a document of provider `from` (read with `options.import` and
/// `options.input_format`, as [`crate::import`] reads it).
pub fn lint(
    text: &str,
    from: ProviderId,
    options: &Options,
    config: &LintConfig,
) -> Result<Linted, Error> {
    let imported = import(text, from, options)?;
    let format = options
        .input_format
        .unwrap_or_else(|| crate::codec::Format::detect(text));
    let mut linted = lint_document(&imported.document, from, config);
    let unread: Vec<_> = imported
        .report
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Unread)
        .collect();
    let mut extra = Vec::new();
    for e in unread {
        let mut f = Finding::new(
            "unread",
            FindingKind::Unread,
            Severity::Medium,
            e.group,
            format!("{}: the findings rest on the rest of the input", e.message),
        );
        f.path = e.path.clone();
        extra.push(f);
    }
    linted.findings.splice(0..0, extra);
    for f in order::check(text, from, options, &imported.document)? {
        // After the group's other findings (before the next group's, where it has none).
        let at = match linted.findings.iter().rposition(|g| g.group == f.group) {
            Some(last) => last.saturating_add(1),
            None => linted
                .findings
                .iter()
                .position(|g| g.group > f.group)
                .unwrap_or(linted.findings.len()),
        };
        linted.findings.insert(at, f);
    }
    settle(&mut linted.findings, config);
    let locator = locate::Locator::new(text, format, from, &imported.document);
    for f in &mut linted.findings {
        if f.path.is_none()
            && let Some(origin) = f.rules.first()
            && let Some(index) = origin.index
        {
            f.path = locator.path(f.group, index);
        }
        if let Some(path) = &f.path {
            f.line = locator.line(path);
        }
    }
    linted.report = imported.report;
    Ok(linted)
}

/// [`lint()`] on a document read already or built in code; `provider` gives the quota.
pub fn lint_document(doc: &Document, provider: ProviderId, config: &LintConfig) -> Linted {
    let mut findings = Vec::new();
    let mut rules = 0usize;
    let mut skipped = 0usize;
    let quota = config.quota.or(provider.capabilities().quota);
    for (gi, group) in doc.groups.iter().enumerate() {
        rules = rules.saturating_add(group.rules.len());
        let label = group.id.clone().or_else(|| group.name.clone());
        let mut found = Vec::new();
        // Counted as the provider counts (`caps::Quota::excess`): one finding per count over.
        for over in quota.map(|q| q.excess(&group.rules)).unwrap_or_default() {
            let scope = over.scope();
            let per = match (over.direction, over.family) {
                (None, None) => "per group",
                (Some(_), None) => "per direction",
                (None, Some(_)) => "per family",
                (Some(_), Some(_)) => "per direction and family",
            };
            let counted = if scope.is_empty() {
                String::new()
            } else {
                format!(" {scope}")
            };
            let mut f = Finding::new(
                "over-quota",
                FindingKind::OverQuota,
                Severity::High,
                gi,
                format!(
                    "{}{counted} rules, over {}'s quota of {} {per}: the provider refuses the rules past it",
                    over.rules,
                    provider.name(),
                    over.quota
                ),
            );
            f.alias = Some("ec2_securitygroup_with_many_ingress_egress_rules");
            found.push(f);
        }
        found.extend(exposure::check(gi, group, config));
        let judged = reach::judge(gi, group, config.max_pieces);
        skipped = skipped.saturating_add(judged.skipped);
        found.extend(judged.findings);
        for f in &mut found {
            f.group_label.clone_from(&label);
        }
        findings.extend(found);
    }
    settle(&mut findings, config);
    Linted {
        findings,
        report: Report::new(provider, provider),
        groups: doc.groups.len(),
        rules,
        skipped,
    }
}

/// The severities [`LintConfig::severities`] sets, and the checks it turns off left out.
fn settle(findings: &mut Vec<Finding>, config: &LintConfig) {
    if config.severities.is_empty() {
        return;
    }
    findings.retain_mut(|f| match config.severities.get(f.check.as_ref()) {
        Some(Some(severity)) => {
            f.severity = *severity;
            true
        }
        Some(None) => false,
        None => true,
    });
}

/// The origins of rules `indices` of `group`, in that order.
fn origins(group: &SecurityGroup, indices: impl IntoIterator<Item = usize>) -> Vec<Origin> {
    indices
        .into_iter()
        .filter_map(|i| group.rules.get(i))
        .map(|r| r.origin().clone())
        .collect()
}

/// A rule's name in a sentence: `rule 3` or `rule 3 (id abc)`.
fn rule_name(origin: &Origin) -> String {
    let index = origin
        .index
        .map_or_else(|| "?".to_owned(), |i| i.to_string());
    match &origin.id {
        Some(id) => format!("rule {index} ({})", Arc::clone(id)),
        None => format!("rule {index}"),
    }
}

/// The most rules a finding names in [`Finding::related`] (and a sentence names): the first
/// in evaluation order; [`Finding::related_total`] counts the rest.
pub const MAX_RELATED: usize = 8;

/// `rules 1, 2, 5` of `total` rules (at most [`MAX_RELATED`] named, then `and N more`).
fn rule_list(origins: &[Origin], total: usize) -> String {
    let names: Vec<String> = origins
        .iter()
        .take(MAX_RELATED)
        .map(|o| o.index.map_or_else(|| "?".to_owned(), |i| i.to_string()))
        .collect();
    let total = total.max(origins.len());
    let word = if total == 1 { "rule" } else { "rules" };
    let more = total.saturating_sub(names.len());
    if more > 0 {
        format!("{word} {} and {more} more", names.join(", "))
    } else {
        format!("{word} {}", names.join(", "))
    }
}
