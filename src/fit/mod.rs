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
mod families;
pub(crate) mod ids;
mod levels;
mod platform;
mod subtract;

use crate::caps::{Capabilities, Ordering};
use crate::model::{
    Action, Direction, Document, Evaluation, Icmp, PortRange, PortSet, Protocol, Remote, Rule,
    RuleSpec, SecurityGroup,
};
use crate::progress::{self, Event, Progress};
use crate::report::{Field, Kind, Refusal, Report};

/// Fit every group of `doc` to `caps`, recording each loss in `report`, with a rule budget
/// for lowering by set subtraction (default: the target's `max_rules`).
///
/// Deny rules and accept-by-default policies are lowered by set subtraction into an
/// allow-only target (`subtract`); refused when that would take more rules than the budget.
/// `progress` hears of each group fitted.
pub(crate) fn fit(
    doc: &Document,
    caps: &Capabilities,
    budget: Option<usize>,
    report: &mut Report,
    progress: Option<&Progress>,
) -> Result<Document, Refusal> {
    let n = doc.groups.len();
    if *caps == Capabilities::EVERYTHING {
        progress::send(progress, || Event::Fitted { done: n, groups: n });
        return Ok(doc.clone());
    }
    let mut groups = Vec::with_capacity(n);
    for (gi, group) in doc.groups.iter().enumerate() {
        groups.push(fit_group(group, gi, caps, budget, report)?);
        progress::send(progress, || Event::Fitted {
            done: groups.len(),
            groups: n,
        });
    }
    Ok(Document { groups })
}

fn fit_group(
    group: &SecurityGroup,
    gi: usize,
    caps: &Capabilities,
    budget: Option<usize>,
    report: &mut Report,
) -> Result<SecurityGroup, Refusal> {
    group_fields(group, gi, caps, report);
    let source = group;
    // Deny rules / accept defaults the target cannot hold are lowered by set subtraction
    // before the per-rule fitting below.
    let lowered;
    let group = if subtract::needed(group, caps) {
        lowered = subtract::allow_only(group, gi, caps, budget, report)?;
        &lowered
    } else {
        group
    };
    let mut ordered = order_rules(group, caps);
    let default_rules = defaults::default_rules(group, gi, caps, report);
    ordered.extend(default_rules.iter());
    let levels = match levels::priority_levels(group, &ordered, caps) {
        Ok(levels) => {
            levels::report(group, &ordered, &levels, gi, caps, report);
            levels.levels
        }
        // More levels than the target has: lower to an allow-only set with the same packets
        // (set subtraction), which needs one level, then fit that.
        Err(exceeded) => {
            report.group(gi).push(
                Field::Priority,
                Kind::Rewritten,
                None,
                format!("{exceeded}; lowered instead to allow rules with the same packets, all at one level"),
            );
            let lowered = subtract::allow_only(group, gi, caps, budget, report)?;
            return fit_group(&lowered, gi, caps, budget, report);
        }
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
    // through without a rule. Replies the source did not allow are packets it denied: a
    // widening, refused unless the options allow it, reported at group level because no
    // single rule causes it. Where the source already allows every reply (it allows nothing,
    // or everything both ways), statefulness adds no packet and is only noted. (The default
    // policies are kept as they are: `out` starts as a clone of the source group.)
    if !group.stateful && !caps.stateless {
        let added = crate::semantics::added_by_statefulness(group);
        let (kind, message) = match added.first() {
            Some(first) => (
                Kind::Widened,
                format!(
                    "the source group is stateless; the target is always stateful, so return \
                     traffic of allowed flows is allowed without a rule (such as {first})"
                ),
            ),
            None => (
                Kind::Note,
                "the source group is stateless; the target is always stateful, which changes \
                 nothing here: the group already allows the return traffic of every flow it allows"
                    .to_owned(),
            ),
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
    families::pair_remotes(&mut out.rules, caps.remote_families, gi, report);
    levels::unique(&mut out.rules, gi, caps, report)?;
    let blocks = platform::target_blocks(source, caps);
    platform::block_notes(source, &out, &blocks, gi, report);
    out.platform_blocks = Some(blocks);
    platform::born_with_notes(&out, caps, gi, report);
    for over in caps.quota.map(|q| q.excess(&out.rules)).unwrap_or_default() {
        let scope = over.scope();
        let (counted, per) = if scope.is_empty() {
            (String::new(), "per group")
        } else {
            (format!(" {scope}"), "per group and count")
        };
        report.group(gi).push(
            Field::Group,
            Kind::Note,
            Some(over.rules.to_string()),
            format!(
                "{}{counted} rules exceed the target's quota of {} rules {per}; split the group before applying",
                over.rules, over.quota
            ),
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

/// The rules in the order the target evaluates them: a priority group's order made explicit
/// (ascending priority, deny first at equal priority) for ordered targets.
fn order_rules<'a>(group: &'a SecurityGroup, caps: &Capabilities) -> Vec<&'a Rule> {
    let mut rules: Vec<&Rule> = group.rules.iter().collect();
    // Priority order made explicit for targets with an order; an allow-only target keeps the
    // input's order (order means nothing there).
    if group.evaluation == Evaluation::Priority && caps.ordering != Ordering::None {
        rules.sort_by_key(|r| (r.priority().unwrap_or(u16::MAX), r.action() != Action::Deny));
    }
    rules
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
    if !caps.names(spec.protocol, spec.family)
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
            Some(itoa::Buffer::new().format(p).to_owned()),
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
    // A target that reads 1-65535 as "all ports" would add port 0: two rules say it exactly.
    if !caps.full_port_range && spec.ports.ranges() == [PortRange::ALL] {
        report.rule(gi, &origin).push(
            Field::Ports,
            Kind::Rewritten,
            Some(spec.ports.to_string()),
            "the target reads ports 1-65535 as all ports (port 0 included); written as two rules, \
             1-32767 and 32768-65535",
        );
        for half in HALVES {
            let ports = PortSet::from_ranges([half]);
            split_ports(
                RuleSpec {
                    ports,
                    ..spec.clone()
                },
                gi,
                caps,
                report,
                out,
            );
        }
        return;
    }
    split_ports(spec, gi, caps, report, out);
}

/// Ports 1-65535 as two ranges no target reads as "all ports".
const HALVES: [PortRange; 2] = [PortRange::LOWER_HALF, PortRange::UPPER_HALF];

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
    // A limit of length only (most) accepts every character: no need to look at each.
    let any_char = limit.forbidden.is_empty() && limit.allowed.is_none();
    if (any_char || text.chars().all(|c| limit.accepts(c))) && fits(&text) {
        spec.description = Some(text);
        return;
    }
    let cleaned: String = text
        .chars()
        .filter(|c| limit.accepts(*c))
        .take(limit.max_chars)
        .collect();
    if cleaned != text {
        let without = match limit.allowed {
            Some(extra) => format!("characters other than ASCII letters, digits and {extra:?}"),
            None => format!("{:?}", limit.forbidden),
        };
        report.rule(gi, &spec.origin).push(
            Field::Description,
            Kind::Metadata,
            Some(text),
            format!(
                "description shortened to {} characters without {without}",
                limit.max_chars
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
    let mut seen: foldhash::HashMap<_, Option<usize>> =
        foldhash::HashMap::with_capacity_and_hasher(rules.len(), Default::default());
    let first_of: Vec<Option<Option<usize>>> = rules
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
                match first {
                    Some(first) => format!(
                        "same match as input rule {first}; merged (its description, if any, is dropped)"
                    ),
                    None => "same match as an earlier rule; merged (its description, if any, is dropped)"
                        .to_owned(),
                },
            );
        }
    }
    let mut first = first_of.iter();
    rules.retain(|_| first.next().is_some_and(Option::is_none));
}
