//! Scaleway Instance security groups, API v1: the Instance API's security groups and rules
//! (<https://www.scaleway.com/en/developers/api/instance/security-groups>) and the guide to
//! how they apply (<https://www.scaleway.com/en/docs/instances/how-to/use-security-groups/>).
//!
//! A Scaleway group is an ordered list of `accept`/`drop` rules, first match wins, one
//! `position` sequence across both directions; a packet no rule matches gets the group's
//! `inbound_default_policy`/`outbound_default_policy`; the group may be stateless. So the
//! group, not only its rules, carries meaning ([`Evaluation::FirstMatch`], the default
//! policies and `stateful` in the model).
//!
//! Import shapes:
//!
//! | shape | carries the group |
//! |---|---|
//! | sgconv's export `{security_group: {...}, rules: [...]}` | yes |
//! | group GET/create response `{security_group: {...}}`, a bare group object, a list-groups response `{security_groups: [...]}` | refused: the API returns rules separately |
//! | list-rules response `{rules, total_count}`, set-rules body `{rules}` | no |
//! | create/get rule response `{rule: {...}}`, a rule object or create-rule body | no |
//!
//! A document without its group cannot know the default policies or statefulness: they must
//! come from [`ImportOptions`] (`--inbound-default`/`--outbound-default`/`--stateful`), or the
//! import fails rather than guess. Rules sharing a position, or with position 0 among
//! positioned rules, have no documented order: they are read drops first (every order allows
//! at least those packets) and the report says whether another order allows more.
//!
//! `editable: false` rules are the platform's SMTP drops (`enable_default_security`): they
//! become the group's platform block (`SecurityGroup::platform_blocks`), never user rules, and their positions may
//! collide with user positions. Any other `editable: false` rule is refused: the Python SDK
//! sends `editable: false` by default, and whether the API then ignores the rule is not
//! documented.
//!
//! Export: one document `{security_group: {name, description, tags, stateful,
//! inbound_default_policy, outbound_default_policy, enable_default_security}, rules: [...]}`,
//! the rules being the set-rules body (`PUT .../rules`) with positions 1..N in evaluation
//! order, protocols upper case.

mod export;
mod parts;
mod plan;
mod terraform;
mod wire;

use export::{default_security, out_rules, tags};

use super::read::{self, ReadRule};
use super::readings;
use super::{Dialect, Export, ImportOptions, Input, PositionOrder, Provider, ProviderId};
use crate::error::Error;
use std::borrow::Cow;

use crate::caps::{Capabilities, GroupFields, Ordering, PlatformBlock, Protocols, Quota};
use crate::codec::TopLevel;
use crate::model::{Action, Direction, Document, Evaluation, Origin, Rule, SecurityGroup, Tag};
use crate::report::{Field, Kind, Report};
use wire::{
    Checked, OutDoc, OutGroup, SMTP_PORTS, WireAction, WireDoc, WireGroup, WireRuleResponse,
};

/// Scaleway Instance, API v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scaleway;

static CAPS: Capabilities = Capabilities {
    deny: true,
    ordering: Ordering::Position,
    default_allow: true,
    stateless: true,
    protocols: Protocols::Only(&[1, 6, 17, 58]),
    port_protocols: &[6, 17],
    cloud: Some("scaleway"),
    full_port_range: true,
    group_fields: GroupFields {
        id: false,
        ..GroupFields::ALL
    },
    // "Security Rules: 500" is an organisation quota; a group above it certainly cannot be
    // applied.
    quota: Some(Quota::per_group(500)),
    platform_blocks: &[SMTP_BLOCK],
    ..Capabilities::MINIMAL
};

/// `enable_default_security` (true by default, read-only; false needs a verified account):
/// outbound TCP 25, 465 and 587 dropped, listed in rule lists as `editable: false` rules.
const SMTP_BLOCK: PlatformBlock = PlatformBlock {
    name: Cow::Borrowed("scaleway-smtp"),
    direction: Direction::Egress,
    protocols: Cow::Borrowed(&[6]),
    ports: Cow::Borrowed(&SMTP_PORTS),
    optional: true,
    about: Cow::Borrowed(
        "Scaleway drops outbound TCP 25, 465 and 587 (IPv4 and IPv6) unless the group's \
         enable_default_security is false",
    ),
};

impl Scaleway {
    fn shape_error(found: &str) -> Error {
        DIALECT.shape_error(found)
    }
}

static DIALECT: Dialect = Dialect {
    id: ProviderId::Scaleway,
    about: "Scaleway Instance API v1: ordered accept/drop rules, default policies, stateless groups",
    capabilities: &CAPS,
    shapes: "sgconv's export {security_group, rules}, a group object or {security_group} response, \
             a list-groups response {security_groups}, a list-rules response or set-rules body \
             {rules}, a rule response {rule}, or one rule object",
    export_shapes: &[],
    shape_keys: &[
        &["security_groups", "rule", "rules", "direction"],
        &["security_groups", "rule", "security_group", "direction"],
    ],
    terraform: Some(terraform::TERRAFORM),
    planner: Some(&plan::PLANNER),
};

impl Provider for Scaleway {
    fn read(&self, input: Input<'_>, report: &mut Report) -> Result<Document, Error> {
        let (text, fmt, options, id) = (input.text, input.format, input.options, self.id());
        let groups = match &input.top {
            TopLevel::Array => {
                return Err(Self::shape_error(
                    "found an array (Scaleway lists rules inside {rules: [...]})",
                ));
            }
            t if t.has("security_groups") => return Err(without_rules("a list-groups response")),
            t if t.has("security_group") || t.has("rules") => {
                let doc: WireDoc = read::decode(text, fmt, id, report)?;
                let Some(rules) = doc.rules else {
                    return Err(without_rules("a group object"));
                };
                if let Some(total) = doc.total_count.as_ref().and_then(total_count)
                    && total > rules.len()
                {
                    return Err(Self::shape_error(&format!(
                        "found one page of a rule list: {} rules of total_count {total}; fetch every page \
                         (per_page=100) and join them, since a missing drop rule would widen",
                        rules.len()
                    )));
                }
                vec![group(doc.security_group, rules, 0, options, report)?]
            }
            t if t.has("rule") => {
                let r: WireRuleResponse = read::decode(text, fmt, id, report)?;
                vec![group(None, vec![r.rule], 0, options, report)?]
            }
            t if t.has("direction") => {
                let r: Checked = read::decode(text, fmt, id, report)?;
                vec![group(None, vec![r], 0, options, report)?]
            }
            t if [
                "inbound_default_policy",
                "outbound_default_policy",
                "stateful",
            ]
            .iter()
            .any(|k| t.has(k)) =>
            {
                return Err(without_rules("a bare group object"));
            }
            top => return Err(DIALECT.unknown_shape(top)),
        };
        Ok(Document { groups })
    }

    fn import_parts(
        &self,
        parts: &[super::plan::Part<'_>],
        options: &ImportOptions,
        report: &mut Report,
    ) -> Option<Result<Document, Error>> {
        parts::import(parts, options, report)
    }

    fn export_group(&self, group: &SecurityGroup, to: Export<'_>) -> Result<(), Error> {
        let (gi, report, out) = (to.index, to.report, to.out);
        let rules = out_rules(group, gi, report)?;
        let doc = OutDoc {
            security_group: OutGroup {
                name: group.name.as_deref(),
                description: group.description.as_deref(),
                tags: tags(group, gi, report),
                stateful: group.stateful,
                inbound_default_policy: group.default_inbound.into(),
                outbound_default_policy: group.default_outbound.into(),
                enable_default_security: default_security(group),
            },
            rules,
        };
        out.value(&doc)
    }

    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }
}

/// A group without its rules: the API returns them separately, and reading the group as one
/// with no rules would apply its default policies to all traffic.
fn without_rules(found: &str) -> Error {
    Error::Shape {
        provider: ProviderId::Scaleway,
        message: format!(
            "found {found} without its rules: Scaleway returns a group's rules separately \
             (GET /instance/v1/zones/{{zone}}/security_groups/{{id}}/rules), and read alone the group \
             would apply its default policies to all traffic; give {{\"security_group\": {{...}}, \
             \"rules\": [...]}} with every page of its rules joined (\"rules\": [] if it has none)"
        ),
    }
}

fn total_count(v: &serde_json::Value) -> Option<usize> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        // scaleway_core injects the X-Total-Count header as a string.
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A group setting: the group's, else the option's, else missing; an option the group
/// overrides is noted. `show` writes a value as the document and the flag do.
fn setting<T: Copy + PartialEq>(
    from_group: Option<T>,
    from_options: Option<T>,
    (field, wire_name, flag): (Field, &str, &str),
    show: impl Fn(T) -> String,
    gi: usize,
    report: &mut Report,
) -> Option<T> {
    match (from_group, from_options) {
        (Some(g), Some(o)) if g != o => {
            report.group(gi).push(
                field,
                Kind::Note,
                Some(show(o)),
                format!(
                    "{flag} {} ignored: the document's group says {wire_name} {}",
                    show(o),
                    show(g)
                ),
            );
            Some(g)
        }
        (g, o) => g.or(o),
    }
}

impl WireAction {
    fn name(self) -> &'static str {
        match self {
            WireAction::Accept => "accept",
            WireAction::Drop => "drop",
        }
    }
}

/// Build one group from its object (if the document has it) and its rules.
fn group(
    wire: Option<WireGroup>,
    rules: Vec<Checked>,
    gi: usize,
    options: &ImportOptions,
    report: &mut Report,
) -> Result<SecurityGroup, Error> {
    let w = wire.as_ref();
    let action = |a: Action| WireAction::from(a).name().to_owned();
    let mut policy = |of_group: Option<WireAction>, of_options, (wire_name, flag)| {
        let names = (Field::DefaultPolicy, wire_name, flag);
        setting(
            of_group.map(Action::from),
            of_options,
            names,
            action,
            gi,
            report,
        )
    };
    let inbound = policy(
        w.and_then(|g| g.inbound_default_policy),
        options.default_inbound,
        ("inbound_default_policy", "--inbound-default"),
    );
    let outbound = policy(
        w.and_then(|g| g.outbound_default_policy),
        options.default_outbound,
        ("outbound_default_policy", "--outbound-default"),
    );
    let stateful = setting(
        w.and_then(|g| g.stateful),
        options.stateful,
        (Field::Stateful, "stateful", "--stateful"),
        |b: bool| b.to_string(),
        gi,
        report,
    );
    let (Some(default_inbound), Some(default_outbound), Some(stateful)) =
        (inbound, outbound, stateful)
    else {
        let missing: Vec<&str> = [
            (
                inbound.is_none(),
                "inbound_default_policy (--inbound-default accept|drop)",
            ),
            (
                outbound.is_none(),
                "outbound_default_policy (--outbound-default accept|drop)",
            ),
            (stateful.is_none(), "stateful (--stateful true|false)"),
        ]
        .into_iter()
        .filter_map(|(m, name)| m.then_some(name))
        .collect();
        let what = if w.is_some() {
            "the group object does not give"
        } else {
            "the document holds rules without their group, so it does not say"
        };
        return Err(Error::Shape {
            provider: ProviderId::Scaleway,
            message: format!(
                "group {gi}: {what} {}; a Scaleway rule's meaning depends on the group's default \
                 policies and statefulness, so sgconv will not guess them: pass the flags, or give \
                 the group as {{\"security_group\": {{\"inbound_default_policy\": ..., \
                 \"outbound_default_policy\": ..., \"stateful\": ...}}, \"rules\": [...]}}",
                missing.join(" and ")
            ),
        });
    };

    // Platform rules out, user rules in evaluation order (stable on ties).
    let mut smtp_rules = false;
    let mut user: Vec<(u32, ReadRule)> = Vec::with_capacity(rules.len());
    for (index, c) in rules.into_iter().enumerate() {
        let ReadRule { mut rule, changes } = c.read;
        let origin = Origin::new(index, rule.origin().id.clone());
        rule.set_origin(origin.clone());
        if c.platform {
            for change in changes {
                report.rule(gi, &origin).push_change(change);
            }
            smtp_rules = true;
            report.rule(gi, &origin).push(
                Field::Rule,
                Kind::Note,
                None,
                "a platform SMTP drop (editable: false): carried as the group's enable_default_security, \
                 not as a rule",
            );
            continue;
        }
        for change in changes {
            report.rule(gi, &origin).push_change(change);
        }
        user.push((
            c.position,
            ReadRule {
                rule,
                changes: Vec::new(),
            },
        ));
    }
    if options.position_order == PositionOrder::List {
        // As Terraform applies the group: list order, the positions not sent.
        for (p, _) in &mut user {
            *p = 0;
        }
    }
    let undefined = undefined_order(&user);
    // Only a group whose order is undefined needs a second reading of its rules.
    let (rules, ambiguous) = if undefined.is_empty() {
        user.sort_by_key(|(p, _)| *p);
        (user.into_iter().map(|(_, r)| r.rule).collect(), None)
    } else if options.position_order == PositionOrder::PositionsAcceptFirst {
        (in_order(&user, true), None)
    } else {
        (in_order(&user, false), Some(user))
    };

    let mut group = SecurityGroup {
        evaluation: Evaluation::FirstMatch,
        default_inbound,
        default_outbound,
        stateful,
        platform_blocks: match w.and_then(|g| g.enable_default_security) {
            Some(true) => Some(vec![SMTP_BLOCK]),
            Some(false) => Some(Vec::new()),
            None => smtp_rules.then(|| vec![SMTP_BLOCK]),
        },
        rules,
        ..SecurityGroup::empty()
    };
    if let Some(w) = wire {
        read::not_carried(report, gi, "group ", w.uncarried());
        group.id = w.id;
        group.name = w.name;
        group.description = w.description.filter(|d| !d.is_empty());
        group.tags = w
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|key| Tag { key, value: None })
            .collect();
    }
    let Some(user) = ambiguous else {
        return Ok(group);
    };
    let permissive = readings::Reading {
        name: "accept rules first".into(),
        group: group.with_rules(in_order(&user, true)),
    };
    let restrictive = readings::Reading {
        name: "drop rules first".into(),
        group,
    };
    Ok(readings::settle(
        gi,
        Field::Priority,
        &format!(
            "input rules {} share a position in one direction or have none (0) among rules \
             with positions, and Scaleway does not document their order",
            readings::rule_list(&undefined)
        ),
        // Every order allows at least what drops-first allows, so it is the last candidate.
        vec![permissive, restrictive],
        None,
        report,
    ))
}

/// The input indexes of rules whose order the API leaves undefined: ties in position within
/// a direction, and position 0 (unset) among given positions. None when no rule has a
/// position (Terraform sends 0 everywhere): the API numbers them in list order.
fn undefined_order(user: &[(u32, ReadRule)]) -> Vec<String> {
    if user.iter().all(|(p, _)| *p == 0) {
        return Vec::new();
    }
    // How many rules hold each (direction, position): one pass, not a pair per rule.
    let mut held: foldhash::HashMap<(Direction, u32), usize> = foldhash::HashMap::default();
    for (p, r) in user {
        let n = held.entry((r.rule.direction(), *p)).or_insert(0);
        *n = n.saturating_add(1);
    }
    user.iter()
        .filter(|(p, r)| *p == 0 || held.get(&(r.rule.direction(), *p)).is_some_and(|&n| n > 1))
        .map(|(_, r)| r.rule.origin().index.unwrap_or_default().to_string())
        .collect()
}

/// The user rules in evaluation order: by position, list order among rules with none at all.
/// Where the order is undefined ([`undefined_order`]), `accept_first` puts accepts ahead of
/// drops (the most permissive reading), otherwise drops ahead of accepts (the most
/// restrictive: every other order allows at least its packets). Position 0 among given
/// positions goes first or last accordingly.
fn in_order(user: &[(u32, ReadRule)], accept_first: bool) -> Vec<Rule> {
    let positioned = user.iter().any(|(p, _)| *p != 0);
    let mut keyed: Vec<((u64, bool), &Rule)> = user
        .iter()
        .map(|(p, r)| {
            let ahead = (r.rule.action() == Action::Allow) == accept_first;
            let position = match (*p, positioned) {
                (0, true) if ahead => 0,
                (0, true) => u64::MAX,
                (p, _) => u64::from(p),
            };
            ((position, !ahead), &r.rule)
        })
        .collect();
    if positioned {
        keyed.sort_by_key(|(k, _)| *k);
    }
    keyed.into_iter().map(|(_, r)| r.clone()).collect()
}
