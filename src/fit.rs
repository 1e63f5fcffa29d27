//! Lowering: fit a canonical document to what a target can express, reporting each loss.
//!
//! This is the only place that splits, merges, drops or rewrites rules for a target.
//! Exporters receive fitted groups and map fields one to one.
//!
//! Soundness of the per-rule choices in first-match and allow-only groups: removing an
//! allow rule, or making a deny rule match more packets, can only remove packets from the
//! allowed set. So where a target cannot express part of a rule, an allow rule is dropped
//! (narrowed) and a deny rule is widened to match more (also narrowed) — never the other way.
//! In a first-match group this holds whatever the default policies: a packet whose first
//! match was a dropped allow rule falls through to a later rule or the default, so it ends
//! allowed (as before) or denied; a packet newly matched by a widened deny rule is denied; no
//! other packet's first match changes.

mod defaults;
mod levels;

use crate::error::Error;
use crate::model::{
    Action, Direction, Document, Evaluation, Icmp, PortSet, Protocol, Remote, Rule, RuleSpec,
    SecurityGroup,
};
use crate::report::{Field, Kind, Report};

/// How a target orders rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// No order: a union of allow rules.
    None,
    /// Numeric priorities, lowest first, deny before allow at equal priority.
    Priority {
        /// Highest priority (first evaluated).
        min: u16,
        /// Lowest priority.
        max: u16,
    },
    /// Positions: the order of the list, first match decides.
    Position,
}

/// Which IP protocols a target can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocols {
    /// Any number 0-255.
    All,
    /// Only these numbers (plus "all protocols").
    Only(&'static [u8]),
}

impl Protocols {
    /// Whether the target can write this protocol.
    pub fn contains(self, p: Protocol) -> bool {
        match (self, p) {
            (_, Protocol::Any) | (Protocols::All, _) => true,
            (Protocols::Only(list), Protocol::Number(n)) => list.contains(&n),
        }
    }
}

/// Limits on a free-text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    /// Longest text, in characters.
    pub max_chars: usize,
    /// Characters the provider rejects.
    pub forbidden: &'static [char],
}

/// Which group-level fields the export shape has a place for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupFields {
    /// The group id.
    pub id: bool,
    /// The group name.
    pub name: bool,
    /// The group description.
    pub description: bool,
    /// Tags.
    pub tags: bool,
}

impl GroupFields {
    /// No group fields at all (a bare list of rules).
    pub const NONE: GroupFields = GroupFields {
        id: false,
        name: false,
        description: false,
        tags: false,
    };
    /// Every group field.
    pub const ALL: GroupFields = GroupFields {
        id: true,
        name: true,
        description: true,
        tags: true,
    };
}

/// What a provider's export shape can express (DESIGN.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Deny rules.
    pub deny: bool,
    /// How rules are ordered.
    pub ordering: Ordering,
    /// A group default policy of `allow` (accept by default).
    pub default_allow: bool,
    /// Stateless groups.
    pub stateless: bool,
    /// Which protocols can be named.
    pub protocols: Protocols,
    /// Which protocols can carry destination ports.
    pub port_protocols: &'static [u8],
    /// How many port ranges one rule holds.
    pub port_ranges_per_rule: usize,
    /// ICMP type/code.
    pub icmp_type_code: bool,
    /// Remote security groups.
    pub remote_group: bool,
    /// Remote address groups.
    pub address_group: bool,
    /// Rule descriptions, and their limits (`None`: no descriptions).
    pub description: Option<TextLimit>,
    /// Group-level fields.
    pub group_fields: GroupFields,
    /// Rule ids.
    pub rule_ids: bool,
    /// A per-rule enabled flag.
    pub enabled_flag: bool,
    /// The documented quota of rules per group.
    pub max_rules: Option<usize>,
}

impl Capabilities {
    /// Everything (the canonical model).
    pub const EVERYTHING: Capabilities = Capabilities {
        deny: true,
        ordering: Ordering::Position,
        default_allow: true,
        stateless: true,
        protocols: Protocols::All,
        port_protocols: &Protocol::PORT_PROTOCOLS,
        port_ranges_per_rule: usize::MAX,
        icmp_type_code: true,
        remote_group: true,
        address_group: true,
        description: Some(TextLimit {
            max_chars: usize::MAX,
            forbidden: &[],
        }),
        group_fields: GroupFields::ALL,
        rule_ids: true,
        enabled_flag: true,
        max_rules: None,
    };
}

/// Fit every group of `doc` to `caps`, recording each loss in `report`.
///
/// Deny rules and accept-by-default policies are lowered by set subtraction into an
/// allow-only target ([`crate::lower`]); fails with [`Error::Refused`] when that would take
/// more rules than the budget, or when a target that is neither allow-only nor able to hold
/// them is met.
pub fn fit(doc: &Document, caps: &Capabilities, report: &mut Report) -> Result<Document, Error> {
    fit_with_budget(doc, caps, None, report)
}

/// [`fit`] with a rule budget for lowering by set subtraction (default: the target's
/// `max_rules`); see [`crate::lower`].
pub fn fit_with_budget(
    doc: &Document,
    caps: &Capabilities,
    budget: Option<usize>,
    report: &mut Report,
) -> Result<Document, Error> {
    if *caps == Capabilities::EVERYTHING {
        return Ok(doc.clone());
    }
    let mut groups = Vec::with_capacity(doc.groups.len());
    for (gi, group) in doc.groups.iter().enumerate() {
        groups.push(fit_group(group, gi, caps, budget, report)?);
    }
    Ok(Document { groups })
}

fn fit_group(
    group: &SecurityGroup,
    gi: usize,
    caps: &Capabilities,
    budget: Option<usize>,
    report: &mut Report,
) -> Result<SecurityGroup, Error> {
    group_fields(group, gi, caps, report);
    // --- semantics hook (issue #5): deny rules / accept defaults into an allow-only target
    // are lowered by set subtraction before the per-rule fitting below.
    let lowered;
    let group = if caps.ordering == Ordering::None && crate::lower::needed(group, caps) {
        lowered = crate::lower::allow_only(group, gi, caps, budget, report)?;
        &lowered
    } else {
        group
    };
    // --- end semantics hook
    let mut ordered = order_rules(group, gi, caps, report)?;
    let default_rules = defaults::default_rules(group, gi, caps, report);
    ordered.extend(default_rules.iter());
    let mut scratch = Report::new(report.from, report.to);
    let levels = match levels::priority_levels(group, &ordered, gi, caps, &mut scratch) {
        Ok(levels) => {
            for entry in scratch.entries {
                report.push(entry);
            }
            levels
        }
        // More levels than the target has: lower to an allow-only set with the same packets
        // (set subtraction), which needs one level, then fit that.
        Err(Error::Refused { reason, .. })
            if matches!(caps.ordering, Ordering::Priority { .. })
                && group.evaluation != Evaluation::AllowOnly =>
        {
            report.group(gi).push(
                Field::Priority,
                Kind::Rewritten,
                None,
                format!("{reason}; lowered instead to allow rules with the same packets, all at one level"),
            );
            let lowered = crate::lower::allow_only(group, gi, caps, budget, report)?;
            return fit_group(&lowered, gi, caps, budget, report);
        }
        Err(e) => return Err(e),
    };
    let mut out = group.with_rules(Vec::with_capacity(ordered.len()));
    if !default_rules.is_empty() {
        out.default_inbound = Action::Deny;
        out.default_outbound = Action::Deny;
    }
    out.evaluation = match caps.ordering {
        Ordering::None => Evaluation::AllowOnly,
        Ordering::Priority { .. } => Evaluation::Priority,
        Ordering::Position => Evaluation::FirstMatch,
    };
    // A stateless group (Scaleway `stateful: false`) applies its rules and default policies
    // to return traffic too; an always-stateful target lets the replies of every allowed flow
    // through without a rule. Those replies are packets the source denied, so this is a
    // widening, and the conversion is refused without --allow-widen. It is reported at group
    // level because no single rule causes it. The one refinement: a group that allows nothing
    // (no enabled allow rule, both defaults deny) has no flows whose replies could pass, so
    // there statefulness changes no packet and is only noted. (The default policies are kept
    // as they are: `out` starts as a clone of the source group.)
    if !group.stateful && !caps.stateless {
        let allows_something = group.default_inbound == Action::Allow
            || group.default_outbound == Action::Allow
            || group
                .rules
                .iter()
                .any(|r| r.enabled() && r.action() == Action::Allow);
        let (kind, message) = if allows_something {
            (
                Kind::Widened,
                "the source group is stateless; the target is always stateful, so return traffic of allowed \
                 flows is allowed without a rule",
            )
        } else {
            (
                Kind::Note,
                "the source group is stateless; the target is always stateful, which changes nothing here: \
                 the group allows no traffic, so there is no return traffic",
            )
        };
        report
            .group(gi)
            .push(Field::Stateful, kind, Some("stateless".into()), message);
        out.stateful = true;
    }
    for (i, rule) in ordered.into_iter().enumerate() {
        let leveled;
        let rule = match levels.get(i).copied().flatten() {
            Some(p) if rule.priority() != Some(p) => {
                let mut spec = rule.spec().clone();
                spec.priority = Some(p);
                match Rule::new(spec) {
                    Ok(r) => {
                        leveled = r;
                        &leveled
                    }
                    Err(_) => rule,
                }
            }
            _ => rule,
        };
        fit_rule(rule, gi, caps, report, &mut out.rules);
    }
    // A later rule with the same match and action as an earlier one adds nothing: in a union
    // of allows, and in first-match order too (the earlier rule always matches first).
    if matches!(
        out.evaluation,
        Evaluation::AllowOnly | Evaluation::FirstMatch
    ) {
        dedupe(&mut out.rules, gi, report);
    }
    if let Some(max) = caps.max_rules
        && out.rules.len() > max
    {
        report.group(gi).push(
            Field::Group,
            Kind::Note,
            Some(out.rules.len().to_string()),
            format!("{} rules exceed the target's quota of {max} rules per group; split the group before applying", out.rules.len()),
        );
    }
    Ok(out)
}

fn group_fields(group: &SecurityGroup, gi: usize, caps: &Capabilities, report: &mut Report) {
    let g = caps.group_fields;
    let tags = (!group.tags.is_empty()).then(|| {
        group
            .tags
            .iter()
            .map(|t| t.key.as_str())
            .collect::<Vec<_>>()
            .join(",")
    });
    for (carried, field, value, what) in [
        (g.id, Field::Id, group.id.clone(), "id"),
        (g.name, Field::Name, group.name.clone(), "name"),
        (
            g.description,
            Field::Description,
            group.description.clone(),
            "description",
        ),
        (g.tags, Field::Tags, tags, "tags"),
    ] {
        if value.is_some() && !carried {
            report.group(gi).push(
                field,
                Kind::Metadata,
                value,
                format!("the target's document has no place for the group {what}"),
            );
        }
    }
}

/// Decide the evaluation order of the target, or refuse.
fn order_rules<'a>(
    group: &'a SecurityGroup,
    gi: usize,
    caps: &Capabilities,
    report: &mut Report,
) -> Result<Vec<&'a Rule>, Error> {
    let live = |r: &&Rule| r.enabled();
    let has_deny = group
        .rules
        .iter()
        .filter(live)
        .any(|r| r.action() == Action::Deny);
    let default_allow = [Direction::Ingress, Direction::Egress]
        .into_iter()
        .filter(|d| group.default_action(*d) == Action::Allow)
        .collect::<Vec<_>>();
    let default_stuck =
        !default_allow.is_empty() && !caps.default_allow && !defaults::lowerable(caps);
    if (has_deny && !caps.deny) || default_stuck {
        let why = if has_deny && !caps.deny {
            "deny rules"
        } else {
            "an accept-by-default policy"
        };
        report.group(gi).push(
            Field::Action,
            Kind::Widened,
            None,
            format!("the group has {why}; the target is allow-only, and lowering them by set subtraction is not implemented yet"),
        );
        return Err(Error::Refused {
            reason: format!(
                "group {gi} has {why}, which an allow-only target cannot hold without set subtraction \
                 (not implemented yet); dropping them would widen"
            ),
            report: Box::new(report.clone()),
        });
    }
    let mut rules: Vec<&Rule> = group.rules.iter().collect();
    if group.evaluation == Evaluation::Priority && caps.ordering != Ordering::None {
        // Priority order made explicit: ascending priority, deny first at equal priority.
        rules.sort_by_key(|r| (r.priority().unwrap_or(u16::MAX), r.action() != Action::Deny));
    }
    Ok(rules)
}

/// Fit one rule: zero (dropped), one, or several (split) rules.
fn fit_rule(rule: &Rule, gi: usize, caps: &Capabilities, report: &mut Report, out: &mut Vec<Rule>) {
    let origin = rule.origin().clone();
    if !rule.enabled() && !caps.enabled_flag {
        report.rule(gi, &origin).push(
            Field::Enabled,
            Kind::Metadata,
            Some("false".into()),
            "a disabled rule matches nothing; the target has no enabled flag, so it is left out",
        );
        return;
    }
    let allow = rule.action() == Action::Allow;
    let mut spec = rule.spec().clone();
    // A disabled rule matches nothing: changing it changes no traffic.
    let (loss, aside) = if rule.enabled() {
        (Kind::Narrowed, "")
    } else {
        (Kind::Metadata, " (it is disabled, so no traffic changes)")
    };
    // Each check either drops an allow rule (narrowed) or widens a deny rule's match (narrowed).
    let mut cannot = |field: Field,
                      value: String,
                      what: &str,
                      spec: &mut RuleSpec,
                      widen: &dyn Fn(&mut RuleSpec)|
     -> bool {
        if allow {
            report.rule(gi, &origin).push(
                field,
                loss,
                Some(value),
                format!("the target cannot express {what}; the allow rule is left out{aside}"),
            );
            false
        } else {
            report.rule(gi, &origin).push(
                field,
                loss,
                Some(value),
                format!(
                    "the target cannot express {what}; the deny rule is widened to match without it{aside}"
                ),
            );
            widen(spec);
            true
        }
    };
    if !caps.protocols.contains(spec.protocol)
        && !cannot(
            Field::Protocol,
            spec.protocol.to_string(),
            &format!("protocol {}", spec.protocol),
            &mut spec,
            &|s| {
                s.protocol = Protocol::Any;
                s.ports = PortSet::any();
                s.icmp = Icmp::Any;
            },
        )
    {
        return;
    }
    if let Protocol::Number(p) = spec.protocol
        && !spec.ports.is_any()
        && !caps.port_protocols.contains(&p)
        && !cannot(
            Field::Ports,
            spec.ports.to_string(),
            &format!("ports on protocol {}", spec.protocol),
            &mut spec,
            &|s| s.ports = PortSet::any(),
        )
    {
        return;
    }
    if !spec.icmp.is_any()
        && !caps.icmp_type_code
        && !cannot(
            Field::Icmp,
            format!("{:?}", spec.icmp),
            "an ICMP type/code",
            &mut spec,
            &|s| s.icmp = Icmp::Any,
        )
    {
        return;
    }
    let remote_ok = match &spec.remote {
        Remote::Group(_) => caps.remote_group,
        Remote::AddressGroup(_) => caps.address_group,
        Remote::Any | Remote::Cidr(_) => true,
    };
    if !remote_ok {
        let value = match &spec.remote {
            Remote::Group(id) | Remote::AddressGroup(id) => id.clone(),
            _ => String::new(),
        };
        let what = if matches!(spec.remote, Remote::Group(_)) {
            "a remote security group"
        } else {
            "a remote address group"
        };
        if !cannot(Field::Remote, value, what, &mut spec, &|s| {
            s.remote = Remote::Any
        }) {
            return;
        }
    }
    fit_description(&mut spec, gi, caps, report);
    if caps.ordering == Ordering::None
        && let Some(p) = spec.priority.take()
    {
        report.rule(gi, &origin).push(
            Field::Priority,
            Kind::Metadata,
            Some(p.to_string()),
            "an allow-only target has no priorities (order does not matter there)",
        );
    }
    if !caps.rule_ids && origin.id.is_some() {
        // The id is the entry's `rule.id`; no copy of it as the value.
        report.rule(gi, &origin).push(
            Field::Id,
            Kind::Metadata,
            None,
            "the target's document has no place for rule ids",
        );
    }
    split_ports(spec, gi, caps, report, out);
}

fn fit_description(spec: &mut RuleSpec, gi: usize, caps: &Capabilities, report: &mut Report) {
    let Some(text) = spec.description.take() else {
        return;
    };
    let Some(limit) = caps.description else {
        report.rule(gi, &spec.origin).push(
            Field::Description,
            Kind::Metadata,
            Some(text),
            "the target has no rule descriptions",
        );
        return;
    };
    // Most descriptions fit as they are: keep them without copying.
    let fits = |t: &str| t.len() <= limit.max_chars || t.chars().count() <= limit.max_chars;
    if !text.contains(limit.forbidden) && fits(&text) {
        spec.description = Some(text);
        return;
    }
    let cleaned: String = text
        .chars()
        .filter(|c| !limit.forbidden.contains(c))
        .take(limit.max_chars)
        .collect();
    if cleaned != text {
        report.rule(gi, &spec.origin).push(
            Field::Description,
            Kind::Metadata,
            Some(text),
            format!(
                "description shortened to {} characters without {:?}",
                limit.max_chars, limit.forbidden
            ),
        );
    }
    spec.description = Some(cleaned);
}

fn split_ports(
    spec: RuleSpec,
    gi: usize,
    caps: &Capabilities,
    report: &mut Report,
    out: &mut Vec<Rule>,
) {
    let per_rule = caps.port_ranges_per_rule.max(1);
    let ranges = spec.ports.ranges();
    if ranges.len() <= per_rule {
        out.extend(build(spec, gi, report));
        return;
    }
    let chunks: Vec<PortSet> = ranges
        .chunks(per_rule)
        .map(|c| PortSet::from_ranges(c.iter().copied()))
        .collect();
    report.rule(gi, &spec.origin).push(
        Field::Ports,
        Kind::Rewritten,
        Some(spec.ports.to_string()),
        format!(
            "{} port ranges split into {} rules of at most {per_rule} range(s) each",
            ranges.len(),
            chunks.len()
        ),
    );
    for ports in chunks {
        out.extend(build(
            RuleSpec {
                ports,
                ..spec.clone()
            },
            gi,
            report,
        ));
    }
}

fn build(spec: RuleSpec, gi: usize, report: &mut Report) -> Option<Rule> {
    let origin = spec.origin.clone();
    match Rule::new(spec) {
        Ok(rule) => Some(rule),
        Err(e) => {
            // Unreachable by construction (fitting only removes or loosens fields); reported,
            // never panicked on.
            report.rule(gi, &origin).push(
                Field::Rule,
                Kind::Narrowed,
                None,
                format!("internal: fitted rule invalid ({e}); left out"),
            );
            None
        }
    }
}

/// Merge rules that match the same packets (providers reject duplicates; description and
/// origin are not part of a rule's identity).
fn dedupe(rules: &mut Vec<Rule>, gi: usize, report: &mut Report) {
    // The key borrows from the rules (no copies of port lists or group ids), so duplicates
    // are found first and the list is filtered after.
    fn key(
        r: &Rule,
    ) -> (
        Direction,
        crate::model::Family,
        Protocol,
        &PortSet,
        Icmp,
        &Remote,
        Action,
    ) {
        let s = r.spec();
        (
            s.direction,
            s.family,
            s.protocol,
            &s.ports,
            s.icmp,
            &s.remote,
            s.action,
        )
    }
    // foldhash: seeded per process like std's SipHash, a fraction of its cost per key.
    let mut seen: foldhash::HashMap<_, usize> =
        foldhash::HashMap::with_capacity_and_hasher(rules.len(), Default::default());
    let first_of: Vec<Option<usize>> = rules
        .iter()
        .map(|rule| match seen.entry(key(rule)) {
            std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(rule.origin().index);
                None
            }
        })
        .collect();
    drop(seen);
    if first_of.iter().all(Option::is_none) {
        return;
    }
    for (rule, first) in rules.iter().zip(&first_of) {
        if let Some(first) = first {
            report.rule(gi, rule.origin()).push(
                Field::Rule,
                Kind::Rewritten,
                rule.description().map(str::to_owned),
                format!(
                    "same match as input rule {first}; merged (its description, if any, is dropped)"
                ),
            );
        }
    }
    let mut first = first_of.iter();
    rules.retain(|_| first.next().is_some_and(Option::is_none));
}
