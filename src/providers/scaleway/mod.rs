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
//! | group GET/create response `{security_group: {...}}`, a bare group object, a list-groups response `{security_groups: [...]}` | yes, no rules (a group with no rules) |
//! | list-rules response `{rules, total_count}`, set-rules body `{rules}` | no |
//! | create/get rule response `{rule: {...}}`, a rule object or create-rule body | no |
//!
//! A document without its group cannot know the default policies: they must come from
//! [`ImportOptions`] (`--inbound-default`/`--outbound-default`), or the import fails rather
//! than guess. `stateful` is then read as the API default, `true`, and that is reported.
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

mod wire;

use super::read::{self, ReadRule};
use super::{ExportOptions, ImportOptions, Provider, ProviderId};
use crate::error::Error;
use std::borrow::Cow;

use crate::caps::{Capabilities, GroupFields, Ordering, PlatformBlock, Protocols};
use crate::codec::{Format, TopLevel};
use crate::model::{
    Action, CidrText, Direction, Document, Evaluation, Family, Icmp, Origin, Protocol, Remote,
    Rule, SecurityGroup, Tag,
};
use crate::output::Writer;
use crate::report::{Field, Kind, Report};
use wire::{
    Checked, OutDoc, OutGroup, OutRule, SMTP_PORTS, WireAction, WireDirection, WireDoc, WireGroup,
    WireGroupList, WireProtocol, WireRuleResponse,
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
    port_ranges_per_rule: 1,
    icmp_type_code: false,
    remote_group: false,
    address_group: false,
    description: None,
    group_fields: GroupFields {
        id: false,
        name: true,
        description: true,
        tags: true,
    },
    rule_ids: false,
    enabled_flag: false,
    // "Security Rules: 500" is an organisation quota; a group above it certainly cannot be
    // applied.
    max_rules: Some(500),
    v6_only_protocols: &[],
    platform_blocks: &[SMTP_BLOCK],
    born_with: &[],
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

const SHAPES: &str = "sgconv's export {security_group, rules}, a group object or {security_group} response, \
     a list-groups response {security_groups}, a list-rules response or set-rules body {rules}, \
     a rule response {rule}, or one rule object";

impl Scaleway {
    fn shape_error(found: &str) -> Error {
        Error::Shape {
            provider: ProviderId::Scaleway,
            message: format!("{found}; expected {SHAPES}"),
        }
    }
}

impl Provider for Scaleway {
    fn id(&self) -> ProviderId {
        ProviderId::Scaleway
    }

    fn about(&self) -> &'static str {
        "Scaleway Instance API v1: ordered accept/drop rules, default policies, stateless groups"
    }

    fn capabilities(&self) -> &'static Capabilities {
        &CAPS
    }

    fn import(
        &self,
        text: &str,
        fmt: Format,
        options: &ImportOptions,
        report: &mut Report,
    ) -> Result<Document, Error> {
        let id = self.id();
        let shapes: [&[&str]; 2] = [
            &["security_groups", "rule", "rules", "direction"],
            &["security_groups", "rule", "security_group", "direction"],
        ];
        let top = match read::start(self, text, fmt, options, report, &shapes)? {
            read::Start::Envelope(doc) => return Ok(doc),
            read::Start::Top(top) => top,
        };
        let groups = match &top {
            TopLevel::Scalar => return Err(Self::shape_error("found a single value")),
            TopLevel::Array => {
                return Err(Self::shape_error(
                    "found an array (Scaleway lists rules inside {rules: [...]})",
                ));
            }
            t if t.has("security_groups") => {
                let list: WireGroupList = read::decode(text, fmt, id, report)?;
                let mut groups = Vec::with_capacity(list.security_groups.len());
                for (gi, g) in list.security_groups.into_iter().enumerate() {
                    groups.push(group(Some(g), Vec::new(), gi, options, report)?);
                }
                groups
            }
            t if t.has("security_group") || t.has("rules") => {
                let doc: WireDoc = read::decode(text, fmt, id, report)?;
                let rules = doc.rules.unwrap_or_default();
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
                let g: WireGroup = read::decode(text, fmt, id, report)?;
                vec![group(Some(g), Vec::new(), 0, options, report)?]
            }
            TopLevel::Object(keys) => {
                return Err(Self::shape_error(&format!(
                    "found an object with keys [{}]",
                    keys.join(", ")
                )));
            }
        };
        Ok(Document { groups })
    }

    fn export_group(
        &self,
        group: &SecurityGroup,
        gi: usize,
        _options: &ExportOptions,
        report: &mut Report,
        out: &mut Writer,
    ) -> Result<(), Error> {
        let mut rules = Vec::with_capacity(group.rules.len());
        // Rules split by the fit pass share an origin: say things once per input rule.
        let mut seen = std::collections::BTreeSet::new();
        for (i, rule) in group.rules.iter().enumerate() {
            if !seen.insert(rule.origin().index) {
                rules.push(out_rule(rule, i.saturating_add(1))?);
                continue;
            }
            if let Some(p) = rule.priority() {
                report.rule(gi, rule.origin()).push(
                    Field::Priority,
                    Kind::Metadata,
                    Some(p.to_string()),
                    "priority carried as the rule's position in evaluation order",
                );
            }
            rules.push(out_rule(rule, i.saturating_add(1))?);
        }
        let doc = OutDoc {
            security_group: OutGroup {
                name: group.name.as_deref(),
                description: group.description.as_deref(),
                tags: tags(group, gi, report),
                stateful: group.stateful,
                inbound_default_policy: group.default_inbound.into(),
                outbound_default_policy: group.default_outbound.into(),
                enable_default_security: group
                    .platform_blocks
                    .as_ref()
                    .map(|blocks| blocks.iter().any(|b| b.name == SMTP_BLOCK.name)),
            },
            rules,
        };
        out.value(&doc)
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

/// One direction's default policy: the group's, else the option's, else missing.
fn policy(
    from_group: Option<WireAction>,
    from_options: Option<Action>,
    wire_name: &str,
    flag: &str,
    gi: usize,
    report: &mut Report,
) -> Option<Action> {
    match (from_group.map(Action::from), from_options) {
        (Some(g), Some(o)) if g != o => {
            report.group(gi).push(
                Field::DefaultPolicy,
                Kind::Note,
                Some(WireAction::from(o).name().into()),
                format!(
                    "{flag} {} ignored: the document's group says {wire_name} {}",
                    WireAction::from(o).name(),
                    WireAction::from(g).name()
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
    let inbound = policy(
        w.and_then(|g| g.inbound_default_policy),
        options.default_inbound,
        "inbound_default_policy",
        "--inbound-default",
        gi,
        report,
    );
    let outbound = policy(
        w.and_then(|g| g.outbound_default_policy),
        options.default_outbound,
        "outbound_default_policy",
        "--outbound-default",
        gi,
        report,
    );
    let (Some(default_inbound), Some(default_outbound)) = (inbound, outbound) else {
        let missing: Vec<&str> = [
            (
                inbound.is_none(),
                "inbound_default_policy (--inbound-default accept|drop)",
            ),
            (
                outbound.is_none(),
                "outbound_default_policy (--outbound-default accept|drop)",
            ),
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
                "group {gi}: {what} {}; a Scaleway rule's meaning depends on the group's default policies, \
                 so sgconv will not guess them: pass the flags, or give the group as \
                 {{\"security_group\": {{\"inbound_default_policy\": ..., \"outbound_default_policy\": ..., \"stateful\": ...}}, \"rules\": [...]}}",
                missing.join(" and ")
            ),
        });
    };
    let stateful = match w.and_then(|g| g.stateful) {
        Some(s) => s,
        None => {
            let why = if w.is_some() {
                "the group object does not say whether it is stateful"
            } else {
                "a rule list does not say whether its group is stateful"
            };
            report.group(gi).push(
                Field::Stateful,
                Kind::Note,
                None,
                format!("{why}; read as stateful (the API default). If the group is stateless, give the group object"),
            );
            true
        }
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
    position_notes(&user, gi, report);
    user.sort_by_key(|(p, _)| *p);

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
        rules: user.into_iter().map(|(_, r)| r.rule).collect(),
        ..SecurityGroup::empty()
    };
    if let Some(w) = wire {
        for (name, value) in w.uncarried() {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            report.group(gi).push(
                Field::Wire(name.into()),
                Kind::Metadata,
                Some(text),
                format!("group {name} is not carried"),
            );
        }
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
    Ok(group)
}

/// Ties in position within a direction, and position 0 among given positions, leave the
/// API's order undefined; the rules are read in input order and that is reported.
fn position_notes(user: &[(u32, ReadRule)], gi: usize, report: &mut Report) {
    if user.iter().all(|(p, _)| *p == 0) {
        // No positions at all (Terraform sends 0 everywhere): the API numbers them in list order.
        return;
    }
    for (i, (p, r)) in user.iter().enumerate() {
        let tie = user
            .iter()
            .take(i)
            .find(|(q, s)| q == p && s.rule.direction() == r.rule.direction());
        if let Some((_, first)) = tie {
            report.rule(gi, r.rule.origin()).push(
                Field::Priority,
                Kind::Note,
                Some(p.to_string()),
                format!(
                    "same position as input rule {} in the same direction; the API leaves their order \
                     undefined, read in input order",
                    first.rule.origin().index.unwrap_or_default()
                ),
            );
        } else if *p == 0 {
            report.rule(gi, r.rule.origin()).push(
                Field::Priority,
                Kind::Note,
                Some("0".into()),
                "no position among rules with positions; read before them, in input order (the API's order is unverified)",
            );
        }
    }
}

/// Scaleway tags are plain strings: a tag with a value is written `key=value`.
fn tags(group: &SecurityGroup, gi: usize, report: &mut Report) -> Vec<String> {
    group
        .tags
        .iter()
        .map(|t| match &t.value {
            None => t.key.clone(),
            Some(v) => {
                let text = format!("{}={v}", t.key);
                report.group(gi).push(
                    Field::Tags,
                    Kind::Metadata,
                    Some(text.clone()),
                    "Scaleway tags are plain strings; the key and value are written as one tag",
                );
                text
            }
        })
        .collect()
}

/// One fitted rule as a set-rules item.
fn out_rule(rule: &Rule, position: usize) -> Result<OutRule, Error> {
    let internal = |what: &str| Error::Internal(format!("{what} reached the Scaleway exporter"));
    let protocol = match rule.protocol() {
        Protocol::Any => WireProtocol::Any,
        Protocol::TCP => WireProtocol::Tcp,
        Protocol::UDP => WireProtocol::Udp,
        Protocol::ICMP | Protocol::ICMPV6 => WireProtocol::Icmp,
        p => return Err(internal(&format!("protocol {p}"))),
    };
    if rule.icmp() != Icmp::Any {
        return Err(internal("an ICMP type/code"));
    }
    let (dest_port_from, dest_port_to) = match rule.ports().ranges() {
        _ if rule.ports().is_any() => (None, None),
        [r] if r.is_single() => (Some(r.from()), None),
        [r] => (Some(r.from()), Some(r.to())),
        _ => return Err(internal("several port ranges")),
    };
    let ip_range = match rule.remote() {
        Remote::Any => CidrText(match rule.family() {
            Family::V4 => ipnet::IpNet::V4(ipnet::Ipv4Net::default()),
            Family::V6 => ipnet::IpNet::V6(ipnet::Ipv6Net::default()),
        }),
        Remote::Cidr(net) => CidrText(*net),
        Remote::Group(_) | Remote::AddressGroup(_) => {
            return Err(internal("a remote group"));
        }
    };
    Ok(OutRule {
        action: rule.action().into(),
        protocol: protocol.name(),
        direction: WireDirection::from(rule.direction()),
        ip_range,
        dest_port_from,
        dest_port_to,
        position,
    })
}
