//! Lowering by set subtraction: a group with deny rules, an order, or an accept-by-default
//! policy becomes an allow-only group with the same packet set.
//!
//! The allowed set is computed with [`crate::semantics::allowed`] (each allow rule minus
//! the deny rules before it; an accept default is every packet minus every deny rule), and
//! each piece is covered by allow rules: address intervals become the fewest CIDRs, port
//! intervals one range, protocol intervals the protocols the target can name, ICMP type/code
//! intervals one rule per type (or type and code). What no allow-only rule can say is left
//! out and reported as narrowed: a "not a member of group G" constraint, a group together
//! with a CIDR or another group, and protocol numbers the target cannot name.
//!
//! Expansion is bounded: past the rule budget (the target's `max_rules` unless
//! [`crate::Options::rule_budget`] says otherwise) the lowering is refused.

use std::collections::HashSet;

use crate::caps::Capabilities;
use crate::model::{
    Action, Direction, Evaluation, Family, Icmp, MIN_PORT, Origin, PortRange, PortSet, Protocol,
    Remote, Rule, RuleSpec, SecurityGroup,
};
use crate::report::{Field, Kind, Refusal, Report};
use crate::semantics::{
    self, ALL_ICMP, ALL_PORTS, ALL_PROTOCOLS, LabelKind, PacketBox, Source, Span, all_addresses,
};

/// Whether `group` can only reach an allow-only target (`caps`) through lowering: it has
/// live deny rules the target cannot hold, or an accept-by-default policy it cannot hold.
pub(crate) fn needed(group: &SecurityGroup, caps: &Capabilities) -> bool {
    if group.evaluation == Evaluation::AllowOnly {
        return false;
    }
    let deny = group
        .rules
        .iter()
        .any(|r| r.enabled() && r.action() == Action::Deny);
    let default_allow = [Direction::Ingress, Direction::Egress]
        .iter()
        .any(|d| group.default_action(*d) == Action::Allow);
    (deny && !caps.deny)
        || (default_allow && !caps.default_allow && !super::defaults::lowerable(caps))
}

/// Lower `group` (index `gi`) into an allow-only, default-deny group with the same packets,
/// reporting what cannot be written. Refused past `budget` rules (default: the target's
/// `max_rules`; unbounded when neither is set).
pub(crate) fn allow_only(
    group: &SecurityGroup,
    gi: usize,
    caps: &Capabilities,
    budget: Option<usize>,
    report: &mut Report,
) -> Result<SecurityGroup, Refusal> {
    let limit = budget.or(caps.max_rules()).unwrap_or(usize::MAX);
    // A piece becomes at least one rule unless it is left out; give up early on sets far
    // past the budget instead of building them.
    let max_pieces = limit.saturating_mul(4).saturating_add(10_000);
    let Some((pieces, set_aside)) = semantics::allowed_writable(group, max_pieces, &writable)
    else {
        return Err(over_budget(gi, limit, max_pieces, report));
    };
    let mut losses = Losses::default();
    for piece in set_aside {
        let why = unwritable(&piece.packets);
        losses.add(
            piece.source,
            format!("{why}; these packets are left out"),
            &piece.packets,
        );
    }
    let mut rules: Vec<Rule> = Vec::new();
    let mut seen: HashSet<RuleSpec> = HashSet::new();
    let mut ids: HashSet<std::sync::Arc<str>> = HashSet::new();
    for piece in &pieces {
        let template = match piece.source {
            Source::Rule(i) => {
                let Some(rule) = group.rules.get(i) else {
                    continue;
                };
                let mut spec = RuleSpec::new(rule.direction(), rule.family());
                spec.description = rule.description().map(str::to_owned);
                spec.origin = rule.origin().clone();
                spec
            }
            Source::Default(d) => {
                let mut spec = RuleSpec::new(d, piece.packets.family);
                spec.origin = Origin::unset();
                spec
            }
        };
        let cover = cover(&piece.packets, caps);
        let mut lost = |message: String| losses.add(piece.source, message, &piece.packets);
        let specs = match cover {
            Err(why) => {
                lost(format!("{why}; these packets are left out"));
                continue;
            }
            Ok(c) => {
                if !c.unnamed.is_empty() {
                    lost(format!(
                        "the target cannot name protocol(s) {}; those packets are left out",
                        ranges(&c.unnamed)
                    ));
                }
                if c.port_zero {
                    lost(
                        "port 0 is allowed here without every other port, and no rule names port 0 \
                         (only \"all ports\" includes it); packets to port 0 are left out"
                            .into(),
                    );
                }
                c.specs
            }
        };
        if rules.len().saturating_add(specs.len()) > limit {
            losses.report(group, gi, report);
            return Err(over_budget(gi, limit, pieces.len(), report));
        }
        for fields in specs {
            let mut spec = template.clone();
            spec.protocol = fields.protocol;
            spec.ports = fields.ports;
            spec.icmp = fields.icmp;
            spec.remote = fields.remote;
            let key = RuleSpec {
                description: None,
                origin: Origin::default(),
                ..spec.clone()
            };
            if !seen.insert(key) {
                continue;
            }
            // Only the first rule lowered from an input rule carries its id, so per-rule
            // entries about the id (a target without rule ids) are not repeated per piece.
            if let Some(id) = &spec.origin.id {
                if ids.contains(id) {
                    spec.origin.id = None;
                } else {
                    ids.insert(id.clone());
                }
            }
            match Rule::new(spec) {
                Ok(rule) => rules.push(rule),
                Err(e) => lost(format!("internal: lowered rule invalid ({e})")),
            }
        }
    }
    losses.report(group, gi, report);
    note_lowering(group, gi, rules.len(), report);
    let covered: HashSet<usize> = pieces
        .iter()
        .filter_map(|p| match p.source {
            Source::Rule(i) => Some(i),
            Source::Default(_) => None,
        })
        .collect();
    for (i, rule) in group.rules.iter().enumerate() {
        if rule.enabled() && rule.action() == Action::Allow && !covered.contains(&i) {
            report.rule(gi, rule.origin()).push(
                Field::Rule,
                Kind::Rewritten,
                None,
                "every packet of this allow rule is already decided before it (allowed by an earlier \
                 rule or denied by a deny rule evaluated first); the lowered group needs no rule for it",
            );
        }
    }
    Ok(SecurityGroup {
        evaluation: Evaluation::AllowOnly,
        default_inbound: Action::Deny,
        default_outbound: Action::Deny,
        ..group.with_rules(rules)
    })
}

/// Whether a lowered rule can say exactly `b`'s remotes: no group constraint, or membership
/// of one group (or address group) with every address.
fn writable(b: &PacketBox) -> bool {
    match b.labels.as_slice() {
        [] => true,
        [(_, true)] => b.addresses == all_addresses(b.family),
        _ => false,
    }
}

/// Why no allow-only rule can say `b`'s remotes (for a box [`writable`] refuses).
fn unwritable(b: &PacketBox) -> String {
    match b.labels.as_slice() {
        [(label, true)] => format!(
            "an allow-only rule names a {label} or a CIDR, not both (the packets are in {label} and \
             inside some networks only)"
        ),
        labels => {
            let list: Vec<String> = labels
                .iter()
                .map(|(l, m)| format!("{}{l}", if *m { "in " } else { "not in " }))
                .collect();
            format!("no allow-only rule can say {}", list.join(" and "))
        }
    }
}

/// The packets a lowering leaves out, by where they come from and why: one report entry for
/// each, with the first box and how many more (a deny rule with a group can cut an allow rule
/// into many pieces no allow-only rule can say).
#[derive(Default)]
struct Losses {
    /// In the order first seen: source, message, first box, number of boxes.
    list: Vec<(Source, String, String, usize)>,
    at: std::collections::HashMap<(Source, String), usize>,
}

impl Losses {
    fn add(&mut self, source: Source, message: String, packets: &PacketBox) {
        let key = (source, message);
        if let Some(entry) = self.at.get(&key).and_then(|&i| self.list.get_mut(i)) {
            entry.3 = entry.3.saturating_add(1);
            return;
        }
        let (source, message) = key.clone();
        self.at.insert(key, self.list.len());
        self.list.push((source, message, packets.to_string(), 1));
    }

    fn report(&mut self, group: &SecurityGroup, gi: usize, report: &mut Report) {
        self.at.clear();
        for (source, message, first, count) in self.list.drain(..) {
            let value = match count {
                1 => first,
                n => format!("{first} (and {} more like it)", n.saturating_sub(1)),
            };
            match source {
                Source::Rule(i) => {
                    let Some(rule) = group.rules.get(i) else {
                        continue;
                    };
                    report.rule(gi, rule.origin()).push(
                        Field::Rule,
                        Kind::Narrowed,
                        Some(value),
                        message,
                    );
                }
                Source::Default(_) => {
                    report.group(gi).push(
                        Field::DefaultPolicy,
                        Kind::Narrowed,
                        Some(value),
                        message,
                    );
                }
            }
        }
    }
}

fn over_budget(gi: usize, limit: usize, pieces: usize, report: &mut Report) -> Refusal {
    let refusal = Refusal::RuleBudget {
        group: gi,
        budget: limit,
        pieces,
    };
    report.group(gi).push(
        Field::Group,
        Kind::Note,
        Some(limit.to_string()),
        refusal.to_string(),
    );
    refusal
}

/// Report how the group was lowered: one entry for the group, one per deny rule, one per
/// disabled rule (left out: it matches nothing).
fn note_lowering(group: &SecurityGroup, gi: usize, count: usize, report: &mut Report) {
    let denies = group
        .rules
        .iter()
        .filter(|r| r.enabled() && r.action() == Action::Deny)
        .count();
    let defaults: Vec<&str> = [
        (Direction::Ingress, "inbound"),
        (Direction::Egress, "outbound"),
    ]
    .into_iter()
    .filter(|(d, _)| group.default_action(*d) == Action::Allow)
    .map(|(_, n)| n)
    .collect();
    let order = match group.evaluation {
        Evaluation::Priority => "priority order",
        Evaluation::FirstMatch | Evaluation::AllowOnly => "first-match order",
    };
    let mut what = vec![order.to_string()];
    if denies > 0 {
        what.push(format!("{denies} deny rule(s)"));
    }
    if !defaults.is_empty() {
        what.push(format!("accept-by-default {}", defaults.join(" and ")));
    }
    report.group(gi).push(
        Field::Group,
        Kind::Rewritten,
        None,
        format!(
            "lowered by set subtraction ({}) into {count} allow rule(s) of the same packets, except what \
             is reported as narrowed",
            what.join(", ")
        ),
    );
    for rule in &group.rules {
        if !rule.enabled() {
            report.rule(gi, rule.origin()).push(
                Field::Enabled,
                Kind::Metadata,
                Some("false".into()),
                "a disabled rule matches nothing; left out of the lowered group",
            );
        } else if rule.action() == Action::Deny {
            report.rule(gi, rule.origin()).push(
                Field::Action,
                Kind::Rewritten,
                Some("deny".into()),
                "subtracted from the allow rules after it and from the default policy",
            );
        }
    }
}

/// The fields of one lowered rule.
struct Fields {
    protocol: Protocol,
    ports: PortSet,
    icmp: Icmp,
    remote: Remote,
}

/// A piece's rules, and the protocol numbers of it the target cannot name.
struct Cover {
    specs: Vec<Fields>,
    unnamed: Vec<u8>,
    /// The piece holds port 0 without every other port: no rule can name it.
    port_zero: bool,
}

/// The packets of the model's "don't care" set (ICMP over IPv6, ICMPv6 over IPv4).
fn impossible(family: Family, p: u8) -> bool {
    matches!((family, p), (Family::V4, 58) | (Family::V6, 1))
}

/// Whether the target can write protocol `p` in a rule of `family`.
fn nameable(caps: &Capabilities, family: Family, p: u8) -> bool {
    caps.names(Protocol::Number(p), family)
}

/// Allow rules covering exactly `b` (less unnamed protocols), or why none can.
fn cover(b: &PacketBox, caps: &Capabilities) -> Result<Cover, String> {
    if !writable(b) {
        return Err(unwritable(b));
    }
    let remotes: Vec<Remote> = match b.labels.as_slice() {
        [] if b.addresses == all_addresses(b.family) => vec![Remote::Any],
        [(label, _)] => vec![match label.kind {
            LabelKind::Group => Remote::Group(label.id.clone()),
            LabelKind::AddressGroup => Remote::AddressGroup(label.id.clone()),
        }],
        _ => semantics::cidrs(b.family, b.addresses)
            .into_iter()
            .map(Remote::Cidr)
            .collect(),
    };
    let mut protocols = Vec::new();
    let mut unnamed = Vec::new();
    let mut port_zero = false;
    if b.protocols == ALL_PROTOCOLS {
        protocols.push(Protocol::Any);
    } else {
        for p in b.protocols.lo..=b.protocols.hi {
            if impossible(b.family, p) {
                continue;
            }
            if nameable(caps, b.family, p) {
                protocols.push(Protocol::Number(p));
            } else {
                unnamed.push(p);
            }
        }
    }
    let mut specs = Vec::new();
    for protocol in protocols {
        let ports = if b.ports == ALL_PORTS {
            PortSet::any()
        } else {
            // A rule names ports 1-65535; port 0 is only in "all ports".
            port_zero |= b.ports.lo == 0;
            let lo = b.ports.lo.max(MIN_PORT);
            if lo > b.ports.hi {
                continue;
            }
            match PortRange::new(u64::from(lo), u64::from(b.ports.hi)) {
                Ok(r) => PortSet::from_ranges([r]),
                Err(e) => return Err(format!("internal: port interval ({e})")),
            }
        };
        for icmp in icmp_cover(b.icmp_type, b.icmp_code) {
            for remote in &remotes {
                specs.push(Fields {
                    protocol,
                    ports: ports.clone(),
                    icmp,
                    remote: remote.clone(),
                });
            }
        }
    }
    Ok(Cover {
        specs,
        unnamed,
        port_zero,
    })
}

/// ICMP matches covering `types × codes` exactly.
fn icmp_cover(types: Span<u8>, codes: Span<u8>) -> Vec<Icmp> {
    if types == ALL_ICMP && codes == ALL_ICMP {
        return vec![Icmp::Any];
    }
    let mut out = Vec::new();
    for t in types.lo..=types.hi {
        if codes == ALL_ICMP {
            out.push(Icmp::Type(t));
        } else {
            out.extend((codes.lo..=codes.hi).map(|c| Icmp::TypeCode(t, c)));
        }
    }
    out
}

/// `1-3, 5, 7-9`.
fn ranges(list: &[u8]) -> String {
    let mut runs: Vec<(u8, u8)> = Vec::new();
    for &n in list {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(n) => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .map(|(start, end)| {
            if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            }
        })
        .collect();
    parts.join(", ")
}
