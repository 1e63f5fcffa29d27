//! `sgconv minimize`: for each group, an equivalent group for the same provider with the
//! fewest rules the engine finds, written through the normal export path and verified exact
//! against the input like every conversion (refused otherwise).
//!
//! Per group, in the group's evaluation order:
//!
//! 1. Rules that match nothing (disabled) and rules that take no effect are removed, from
//!    the last rule to the first: a rule goes when the rules before it decide all its
//!    packets ([`Decision::Shadowed`]) or those after it (or the default) decide them alike
//!    ([`Decision::Redundant`]), judged on the group as it is at that step, so each removal
//!    keeps the group's packets.
//! 2. Rules equal but for their ports, or their remote networks, are merged into the earlier
//!    one: ports into one port set (as many ranges as one rule of the provider holds), two
//!    halves of a network into the network. A later rule moves up to the earlier one's place
//!    only when no rule between them of the other action meets its packets (so every packet
//!    keeps its fate). Repeated while a merge is found.
//!
//! ```
//! use sgconv::lint::{LintConfig, minimize};
//! use sgconv::{Options, ProviderId};
//!
//! // Two halves of 10.0.0.0/8 and a rule inside the first: one rule is enough.
//! let text = r#"[
//!   {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
//!    "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/9"},
//!   {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
//!    "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.128.0.0/9"},
//!   {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
//!    "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.1.0.0/16"}]"#;
//! let fixed = minimize(text, ProviderId::GcoreV2, &Options::default(), &LintConfig::default()).unwrap();
//! assert_eq!((fixed.rules_in, fixed.rules_out), (3, 1));
//! let out = fixed.outcome.unwrap().to_value().unwrap();
//! assert_eq!(out[0]["remote_ip_prefix"], "10.0.0.0/8");
//! ```

use std::collections::HashMap;

use super::decision::Decision;
use super::walk::{Boxes, Rules};
use super::{LintConfig, rule_list, rule_name};
use crate::caps::Capabilities;
use crate::convert::{Options, export_against, import};
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{
    Action, Direction, Document, Family, Icmp, Origin, PortRange, PortSet, Protocol, Remote, Rule,
    SecurityGroup,
};
use crate::output::Output;
use crate::report::{Field, Kind, Refusal, Report, Verdict};
use crate::semantics::{self, OverlapIndex, PacketBox};

/// What [`minimize`] made.
#[must_use]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Minimized {
    /// The smaller document in the provider's shape, or why it was refused (anything but
    /// an exact verdict is refused).
    pub outcome: Result<Output, Refusal>,
    /// What reading the input recorded, one `rewritten` entry per rule removed or merged,
    /// and the verification's verdict.
    pub report: Report,
    /// Rules read.
    pub rules_in: usize,
    /// Rules written.
    pub rules_out: usize,
    /// Rules removed (matching nothing, shadowed or redundant).
    pub removed: usize,
    /// Rules merged into another.
    pub merged: usize,
}

/// Minimise `text`, a document of provider `from` (read as [`crate::import`] reads it):
/// the same provider's document with the fewest rules the engine finds, verified exact.
pub fn minimize(
    text: &str,
    from: ProviderId,
    options: &Options,
    config: &LintConfig,
) -> Result<Minimized, Error> {
    let imported = import(text, from, options)?;
    minimize_imported(&imported.document, imported.report, from, options, config)
}

/// [`minimize`] of a document read already or built in code, for provider `provider`.
pub fn minimize_document(
    doc: &Document,
    provider: ProviderId,
    options: &Options,
    config: &LintConfig,
) -> Result<Minimized, Error> {
    for group in &doc.groups {
        group.check()?;
    }
    let mut numbered = doc.clone();
    for group in &mut numbered.groups {
        group.number_rules();
    }
    let report = Report::new(provider, provider);
    minimize_imported(&numbered, report, provider, options, config)
}

fn minimize_imported(
    doc: &Document,
    mut report: Report,
    provider: ProviderId,
    options: &Options,
    config: &LintConfig,
) -> Result<Minimized, Error> {
    let caps = provider.capabilities();
    let mut smaller = Document::new(Vec::with_capacity(doc.groups.len()));
    let (mut removed, mut merged) = (0usize, 0usize);
    for (gi, group) in doc.groups.iter().enumerate() {
        let mut fixer = Fixer {
            gi,
            group,
            caps,
            report: &mut report,
        };
        let (kept, gone) = fixer.remove(config.max_pieces);
        removed = removed.saturating_add(gone);
        let (rules, joined) = fixer.merge(kept);
        merged = merged.saturating_add(joined);
        smaller.groups.push(group.with_rules(rules));
    }
    // The groups keep their ids where the user gave no target ids (every group has one).
    let mut export = options.export.clone();
    if export.target_group.is_none() && export.target_groups.is_empty() {
        let ids: Option<std::collections::BTreeMap<String, String>> = doc
            .groups
            .iter()
            .map(|g| g.id.clone().map(|id| (id.clone(), id)))
            .collect();
        if let Some(ids) = ids.filter(|m| m.len() == doc.groups.len()) {
            export = export.with_target_groups(ids);
        }
    }
    // Nothing unread, widened or narrowed passes: the output must allow exactly what the
    // input allows, and say so.
    let options = options
        .clone()
        .with_export(export)
        .with_allow_unread(false)
        .with_allow_widen(false)
        .with_no_verify(false);
    let rules_in = doc.groups.iter().map(|g| g.rules.len()).sum();
    let (outcome, report, stats) = export_against(doc, &smaller, provider, &options, report)?;
    let outcome = match outcome {
        Ok(output) if report.verdict == Verdict::Exact => Ok(output),
        _ => Err(Refusal::NotExact {
            verdict: report.verdict,
        }),
    };
    Ok(Minimized {
        outcome,
        report,
        rules_in,
        rules_out: stats.rules_out,
        removed,
        merged,
    })
}

/// One group being minimised.
struct Fixer<'a> {
    gi: usize,
    group: &'a SecurityGroup,
    caps: &'a Capabilities,
    report: &'a mut Report,
}

impl Fixer<'_> {
    /// Step 1: the rules that stay, in evaluation order, and how many went.
    fn remove(&mut self, max_pieces: usize) -> (Vec<Rule>, usize) {
        let rules = Rules::new(self.group);
        let mut gone = vec![false; rules.order.len()];
        for rank in (0..rules.order.len()).rev() {
            let Some((_, rule)) = rules.order.get(rank) else {
                continue;
            };
            let why = match rules.at.get(rank) {
                Some(Boxes::Disabled | Boxes::Impossible) => Some("it matches no packet".into()),
                Some(Boxes::At(..)) => {
                    let mine: Vec<PacketBox> =
                        rules.boxes(rank).iter().map(|e| e.bx.clone()).collect();
                    let gone_now = |r: usize| gone.get(r).copied().unwrap_or(false);
                    match rules.decide(self.group, rank, &mine, max_pieces, &gone_now) {
                        Some(Decision::Shadowed { blockers, .. }) => {
                            let by = self.origins(&rules, &blockers.first);
                            Some(format!(
                                "shadowed by {} (every packet it matches is decided before it)",
                                rule_list(&by, blockers.total)
                            ))
                        }
                        Some(Decision::Redundant {
                            same, to_default, ..
                        }) => {
                            let by = self.origins(&rules, &same.first);
                            let (by, verb) = match (same.total, to_default) {
                                (0, _) => ("the default policy".to_owned(), "decides"),
                                (n, false) => {
                                    (rule_list(&by, n), if n == 1 { "decides" } else { "decide" })
                                }
                                (n, true) => (
                                    format!("{} and the default policy", rule_list(&by, n)),
                                    "decide",
                                ),
                            };
                            Some(format!(
                                "redundant (without it, {by} {verb} its packets alike)"
                            ))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let (Some(why), Some(slot)) = (why, gone.get_mut(rank)) {
                *slot = true;
                self.report.rule(self.gi, rule.origin()).push(
                    Field::Rule,
                    Kind::Rewritten,
                    None,
                    format!("{} removed: {why}", rule_name(rule.origin())),
                );
            }
        }
        let kept: Vec<Rule> = rules
            .order
            .iter()
            .zip(&gone)
            .filter(|(_, gone)| !**gone)
            .map(|((_, rule), _)| (*rule).clone())
            .collect();
        let count = gone.iter().filter(|g| **g).count();
        (kept, count)
    }

    fn origins(&self, rules: &Rules<'_>, ranks: &[usize]) -> Vec<Origin> {
        let indexes = ranks
            .iter()
            .filter_map(|r| rules.order.get(*r).map(|(i, _)| *i));
        super::origins(self.group, indexes)
    }

    /// Step 2: `rules` (in evaluation order) with merges made, and how many rules were
    /// merged away.
    fn merge(&mut self, rules: Vec<Rule>) -> (Vec<Rule>, usize) {
        let mut slots: Vec<Option<Rule>> = rules.into_iter().map(Some).collect();
        let mut merged = 0usize;
        loop {
            let found = self.merge_round(&mut slots);
            if found == 0 {
                break;
            }
            merged = merged.saturating_add(found);
        }
        (slots.into_iter().flatten().collect(), merged)
    }

    /// One pass of merges over `slots`; how many rules it merged away.
    fn merge_round(&mut self, slots: &mut [Option<Rule>]) -> usize {
        let mut between = Between::new(slots);
        let mut merged = 0usize;
        // Rules equal but for one field, by that field left out, in evaluation order.
        let mut by_key: HashMap<(Key, bool), Vec<usize>> = HashMap::new();
        for (at, rule) in slots.iter().enumerate() {
            let Some(rule) = rule else { continue };
            if !rule.ports().ranges().is_empty() {
                by_key
                    .entry((Key::of(rule, false), true))
                    .or_default()
                    .push(at);
            }
            if matches!(rule.remote(), Remote::Cidr(_)) {
                by_key
                    .entry((Key::of(rule, true), false))
                    .or_default()
                    .push(at);
            }
        }
        let mut buckets: Vec<((Key, bool), Vec<usize>)> = by_key.into_iter().collect();
        buckets.sort_by(|a, b| a.1.cmp(&b.1));
        for ((_, ports), ats) in buckets {
            // Ports: each rule into the one before it in the bucket while they fit in one
            // rule. Networks: each rule with the other half of its network, if an earlier
            // rule has it.
            let mut last: Option<usize> = None;
            let mut halves: HashMap<ipnet::IpNet, usize> = HashMap::new();
            for second in ats {
                let Some(Some(b)) = slots.get(second) else {
                    continue;
                };
                let first = if ports {
                    last.replace(second)
                } else {
                    let Remote::Cidr(net) = b.remote() else {
                        continue;
                    };
                    let sibling = net
                        .supernet()
                        .and_then(|parent| parent.subnets(net.prefix_len()).ok())
                        .and_then(|mut halves| halves.find(|h| h != net));
                    let found = sibling.and_then(|h| halves.get(&h).copied());
                    halves.insert(*net, second);
                    found
                };
                let Some(first) = first else { continue };
                let Some(Some(a)) = slots.get(first) else {
                    continue;
                };
                // Equal but for the field merged, as they are now (an earlier merge of this
                // pass may have changed one since the buckets were made).
                if Key::of(a, !ports) != Key::of(b, !ports) {
                    continue;
                }
                let joined = if ports {
                    self.join_ports(a, b)
                } else {
                    join_networks(a, b)
                };
                let Some(joined) = joined else { continue };
                if between.blocks(slots, first, second, b) {
                    continue;
                }
                self.report.rule(self.gi, b.origin()).push(
                    Field::Rule,
                    Kind::Rewritten,
                    None,
                    format!(
                        "{} merged into {}: {}",
                        rule_name(b.origin()),
                        rule_name(a.origin()),
                        if ports {
                            format!("ports {}", joined.ports())
                        } else {
                            format!("remote {}", remote_text(joined.remote()))
                        }
                    ),
                );
                if !ports && let Remote::Cidr(net) = joined.remote() {
                    halves.insert(*net, first);
                }
                if let Some(slot) = slots.get_mut(first) {
                    *slot = Some(joined);
                }
                if let Some(slot) = slots.get_mut(second) {
                    *slot = None;
                }
                between.changed(first);
                if ports {
                    last = Some(first);
                }
                merged = merged.saturating_add(1);
            }
        }
        merged
    }

    /// `a` with the ports of `b` too, if one rule of the provider holds them.
    fn join_ports(&self, a: &Rule, b: &Rule) -> Option<Rule> {
        let union =
            PortSet::from_ranges(a.ports().ranges().iter().chain(b.ports().ranges()).copied());
        let ranges = union.ranges();
        if ranges.len() > self.caps.port_ranges_per_rule
            || (!self.caps.full_port_range && ranges == [PortRange::ALL])
        {
            return None;
        }
        let mut spec = a.clone().into_spec();
        spec.ports = union;
        Rule::new(spec).ok()
    }
}

/// `a` from the network both `a`'s and `b`'s are halves of, if they are.
fn join_networks(a: &Rule, b: &Rule) -> Option<Rule> {
    let (Remote::Cidr(x), Remote::Cidr(y)) = (a.remote(), b.remote()) else {
        return None;
    };
    if x == y || x.prefix_len() != y.prefix_len() {
        return None;
    }
    let parent = x.supernet()?;
    if y.supernet()? != parent {
        return None;
    }
    let mut spec = a.clone().into_spec();
    spec.remote = Remote::Cidr(parent);
    Rule::new(spec).ok()
}

fn remote_text(remote: &Remote) -> String {
    match remote {
        Remote::Any => "any".into(),
        Remote::Cidr(net) => net.to_string(),
        Remote::Group(id) | Remote::AddressGroup(id) => id.clone(),
    }
}

/// What two rules must share to merge: every field but the one merged (ports, or the
/// remote network), the description and the priority aside (the later rule takes the
/// earlier one's place only when nothing between them says otherwise).
#[derive(PartialEq, Eq, Hash)]
struct Key {
    direction: Direction,
    family: Family,
    protocol: Protocol,
    icmp: Icmp,
    action: Action,
    enabled: bool,
    ports: Option<PortSet>,
    remote: Option<Remote>,
}

impl Key {
    /// The key of `rule` without its ports (`by_network` false) or its remote network.
    fn of(rule: &Rule, by_network: bool) -> Key {
        Key {
            direction: rule.direction(),
            family: rule.family(),
            protocol: rule.protocol(),
            icmp: rule.icmp(),
            action: rule.action(),
            enabled: rule.enabled(),
            ports: by_network.then(|| rule.ports().clone()),
            remote: (!by_network).then(|| rule.remote().clone()),
        }
    }
}

/// The rules of a group being merged, indexed by their boxes: which rules lie between two.
/// Rules a merge changed since the index was built are looked at as they are now.
struct Between {
    /// (slot, action, box) of each rule's boxes when the index was built.
    boxes: Vec<(usize, Action, PacketBox)>,
    index: OverlapIndex,
    /// The slots a merge changed since.
    changed: std::collections::BTreeSet<usize>,
}

impl Between {
    fn new(slots: &[Option<Rule>]) -> Between {
        let mut boxes = Vec::new();
        for (at, rule) in slots.iter().enumerate() {
            let Some(rule) = rule else { continue };
            for b in semantics::rule_boxes(rule) {
                boxes.push((at, rule.action(), b));
            }
        }
        let index = OverlapIndex::new(boxes.iter().map(|(_, _, b)| b));
        Between {
            boxes,
            index,
            changed: std::collections::BTreeSet::new(),
        }
    }

    /// Note that the rule at `slot` changed.
    fn changed(&mut self, slot: usize) {
        self.changed.insert(slot);
    }

    /// Whether a rule between slots `first` and `second` (both excluded), of an action other
    /// than `b`'s, meets `b`'s packets: then `b` cannot move up to `first`.
    fn blocks(&self, slots: &[Option<Rule>], first: usize, second: usize, b: &Rule) -> bool {
        let inside = |at: usize| first < at && at < second;
        let mine = semantics::rule_boxes(b);
        let other = |at: usize| {
            slots
                .get(at)
                .and_then(Option::as_ref)
                .filter(|r| r.action() != b.action())
        };
        for x in &mine {
            let mut hit = false;
            self.index.candidates(x, |i| {
                if let Some((at, action, bx)) = self.boxes.get(i)
                    && inside(*at)
                    && *action != b.action()
                    && !self.changed.contains(at)
                    && other(*at).is_some()
                    && bx.overlaps(x)
                {
                    hit = true;
                }
            });
            if hit {
                return true;
            }
        }
        if second <= first.saturating_add(1) {
            return false;
        }
        let mut changed = self.changed.range(first.saturating_add(1)..second);
        changed.any(|at| {
            other(*at).is_some_and(|r| {
                semantics::rule_boxes(r)
                    .iter()
                    .any(|y| mine.iter().any(|x| x.overlaps(y)))
            })
        })
    }
}
