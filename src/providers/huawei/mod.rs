//! Huawei Cloud VPC API v3 security-group rules. The API is described by Huawei's OpenAPI
//! definitions (<https://docs.rs/crate/huawei-cloud-api-definitions-VPC/latest/source/src/CreateSecurityGroupRule.json>)
//! and by the Huawei-authored API reference published by Open Telekom Cloud
//! (<https://github.com/opentelekomcloud-docs/virtual-private-cloud>,
//! `api-ref/source/vpc_apis_v3/security_group_rule/`).
//!
//! Import shapes:
//!
//! | shape | top level |
//! |---|---|
//! | create-rule body (optionally `dry_run`), 201 create or show-rule response | `{security_group_rule: {...}}` |
//! | batch-create body, batch-create 201 response, list-rules response | `{security_group_rules: [...]}` (+ `request_id`, `page_info`, `ignore_duplicate`, `dry_run`) |
//! | show-group / create-group response | `{security_group: {..., security_group_rules}}` |
//! | a bare rule | `{direction, ...}` |
//! | a list of create bodies (sgconv's own export) or of bare rules | `[...]` |
//!
//! Rules of a list that name different `security_group_id`s become separate groups.
//! A group's evaluation is priority order (1 first), deny before allow at equal priority,
//! first match decides, no match denies ("Deny rules take precedence over allow rules of the
//! same priority", in the user guide's `umn/source/access_control/security_group/` of the
//! repository above).
//!
//! Export: an array of `{"security_group_rule": {...}}` create bodies with `ethertype`,
//! `action` and `priority` always written (the documented defaults contradict each other)
//! and every field that means "all" left out rather than sent as `""`.

mod multiport;
mod plan;
mod terraform;
mod wire;

use super::read::{self, Items};
use super::readings;
use super::write::{self, RemoteFields};
use super::{Dialect, Export, ImportOptions, Input, Provider};
use crate::caps::{BornWith, Capabilities, Ordering, Protocols, Quota, TextLimit};
use crate::codec::TopLevel;
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{
    Action, Direction, Document, Evaluation, Family, Protocol, Rule, SecurityGroup, Tag,
};
use crate::report::{Field, Kind, Report};
use wire::{Body, Checked, ItemKind, OneRule, RuleList, ShowGroup, WireOut};

/// Huawei Cloud VPC, API v3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Huawei;

static DIALECT: Dialect = Dialect {
    id: ProviderId::Huawei,
    about: "Huawei Cloud VPC API v3: rule bodies/responses, batch and list, show-group; priorities, deny",
    capabilities: &CAPS,
    shapes: "a create-rule body or response ({security_group_rule}), a batch-create body or list \
             response ({security_group_rules: [...]}), a show-group response ({security_group}), \
             a bare rule, or a list of bodies or rules",
    export_shapes: &[],
    shape_keys: &[&[
        "security_group_rule",
        "security_group_rules",
        "security_group",
        "security_groups",
        "direction",
    ]],
    terraform: Some(terraform::TERRAFORM),
    planner: Some(&plan::PLANNER),
};

/// The lowest and highest priority (1 is evaluated first).
const PRIORITIES: (u16, u16) = (1, 100);

static CAPS: Capabilities = Capabilities {
    deny: true,
    ordering: Ordering::priorities(PRIORITIES),
    protocols: Protocols::All,
    // multiport: Huawei's documentation shows ports with tcp and udp only and says nothing of
    // ports on other protocols, so only those two get them.
    port_protocols: &[6, 17],
    port_ranges_per_rule: multiport::MAX_GROUPS,
    cloud: Some("huawei"),
    remote_group: true,
    address_group: true,
    description: Some(TextLimit {
        forbidden: &['<', '>'],
        ..TextLimit::chars(255)
    }),
    enabled_flag: true,
    quota: Some(Quota::per_group(50)),
    born_with: &[
        BornWith {
            direction: Direction::Ingress,
            family: None,
            own_group: true,
            about: "Huawei's default rules (all ingress from the group's own members)",
        },
        BornWith {
            direction: Direction::Egress,
            family: None,
            own_group: false,
            about: "Huawei's default rules (all egress, IPv4 and IPv6)",
        },
    ],
    ..Capabilities::MINIMAL
};

// ---------------------------------------------------------------------------------------
// Reading documents

fn priority_group() -> SecurityGroup {
    SecurityGroup {
        evaluation: Evaluation::Priority,
        ..SecurityGroup::empty()
    }
}

/// Rules of a list, one group per `security_group_id` in order of first appearance.
fn rule_groups(
    rules: Items<Checked>,
    first: usize,
    options: &ImportOptions,
    report: &mut Report,
) -> Result<Vec<SecurityGroup>, Error> {
    read::by_group(rules, |c| c.group_id.as_deref())
        .into_iter()
        .enumerate()
        .map(|(i, (id, checked))| {
            let mut group = priority_group();
            group.id = id;
            place(group, checked, first.saturating_add(i), options, report)
        })
        .collect()
}

/// Place the rules read for group `gi` into `group` and settle their missing priorities.
fn place(
    mut group: SecurityGroup,
    checked: Items<Checked>,
    gi: usize,
    options: &ImportOptions,
    report: &mut Report,
) -> Result<SecurityGroup, Error> {
    let mut missing = Vec::with_capacity(checked.len());
    group.rules = checked.place(gi, report, |c| {
        missing.push(c.no_priority);
        c.read
    });
    settle_priorities(group, &missing, gi, options.default_priority, report)
}

/// Rules that give no priority. Huawei's API reference documents the default both as 1 and
/// as 100 (CreateSecurityGroupRule, `priority`:
/// <https://support.huaweicloud.com/intl/en-us/api-vpc/vpc_apiv3_0008.html>). With
/// `default` (the user knows which) they are read at it; otherwise the group is read so that
/// the result holds under both readings.
fn settle_priorities(
    group: SecurityGroup,
    missing: &[bool],
    gi: usize,
    default: Option<u16>,
    report: &mut Report,
) -> Result<SecurityGroup, Error> {
    let unset: Vec<String> = missing
        .iter()
        .enumerate()
        .filter(|(_, m)| **m)
        .map(|(i, _)| i.to_string())
        .collect();
    if unset.is_empty() {
        return Ok(group);
    }
    let at = |pick: &dyn Fn(&Rule) -> u16| -> Result<SecurityGroup, Error> {
        let mut rules = Vec::with_capacity(group.rules.len());
        for (rule, m) in group.rules.iter().zip(missing) {
            if *m {
                let mut spec = rule.spec().clone();
                spec.priority = Some(pick(rule));
                rules.push(Rule::new(spec)?);
            } else {
                rules.push(rule.clone());
            }
        }
        Ok(group.with_rules(rules))
    };
    let which = format!(
        "input rule{} {} give{} no priority",
        if unset.len() == 1 { "" } else { "s" },
        readings::rule_list(&unset),
        if unset.len() == 1 { "s" } else { "" }
    );
    if let Some(p) = default {
        if !(PRIORITIES.0..=PRIORITIES.1).contains(&p) {
            return Err(Error::Shape {
                provider: ProviderId::Huawei,
                message: format!("default priority {p} is out of range (1-100)"),
            });
        }
        report.group(gi).push(
            Field::Priority,
            Kind::Note,
            Some(p.to_string()),
            format!("{which}; read at {p}, the default priority given in the import options"),
        );
        return at(&|_| p);
    }
    let one = at(&|_| PRIORITIES.0)?;
    let hundred = at(&|_| PRIORITIES.1)?;
    let safest = at(&|r| match r.action() {
        Action::Allow => PRIORITIES.1,
        Action::Deny => PRIORITIES.0,
    })?;
    let documented = vec![
        readings::Reading {
            name: "1".into(),
            group: one,
        },
        readings::Reading {
            name: "100".into(),
            group: hundred,
        },
    ];
    let safest = readings::Reading {
        name: "100 for allow rules and 1 for deny rules".into(),
        group: safest,
    };
    Ok(readings::settle(
        gi,
        Field::Priority,
        &format!(
            "{which}, and Huawei documents the default both as 1 and as 100 (set the default \
             priority in the import options if you know it)"
        ),
        documented,
        Some(safest),
        report,
    ))
}

fn flags_note(report: &mut Report, gi: usize, dry_run: Option<bool>, ignore: Option<bool>) {
    if dry_run == Some(true) {
        report.group(gi).push(
            Field::Wire("dry_run".into()),
            Kind::Note,
            Some("true".into()),
            "the input is a dry-run request (validation only); read as the rules it describes",
        );
    }
    if let Some(flag) = ignore {
        report.group(gi).push(
            Field::Wire("ignore_duplicate".into()),
            Kind::Metadata,
            Some(flag.to_string()),
            "the batch request's ignore_duplicate flag is not carried",
        );
    }
}

/// The groups of a `{security_group_rules}` document, with its flags and page info reported.
/// A list page that says more pages follow (`page_info.next_marker`) is refused: the rules
/// on the other pages, deny rules included, would be missing.
fn list_groups(
    list: RuleList,
    options: &ImportOptions,
    report: &mut Report,
) -> Result<Vec<SecurityGroup>, Error> {
    if let Some(next) = list.page_info.and_then(|p| p.next_marker) {
        return Err(Error::Shape {
            provider: ProviderId::Huawei,
            message: format!(
                "found one page of a rule list: page_info.next_marker is {next:?}, so more pages \
                 follow, and a missing deny rule would widen; fetch every page (pass each \
                 next_marker as `marker` until none is returned) and join their security_group_rules"
            ),
        });
    }
    flags_note(report, 0, list.dry_run, list.ignore_duplicate);
    read::not_carried(report, 0, "", [("request_id", list.request_id)]);
    rule_groups(list.security_group_rules, 0, options, report)
}

fn show_group(
    w: ShowGroup,
    options: &ImportOptions,
    report: &mut Report,
) -> Result<SecurityGroup, Error> {
    let g = w.security_group;
    let mut group = priority_group();
    group.id = g.id;
    group.name = g.name.filter(|s| !s.is_empty());
    group.description = g.description.filter(|s| !s.is_empty());
    group.tags = g
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect();
    read::not_carried(
        report,
        0,
        "",
        [
            ("request_id", w.request_id),
            ("project_id", g.project_id),
            ("enterprise_project_id", g.enterprise_project_id),
            ("created_at", g.created_at),
            ("updated_at", g.updated_at),
        ],
    );
    place(
        group,
        g.security_group_rules.unwrap_or_default(),
        0,
        options,
        report,
    )
}

fn shape_error(found: &str) -> Error {
    DIALECT.shape_error(found)
}

impl Provider for Huawei {
    fn read(&self, input: Input<'_>, report: &mut Report) -> Result<Document, Error> {
        let (text, fmt, options, id) = (input.text, input.format, input.options, self.id());
        let groups = match &input.top {
            TopLevel::Array => {
                let kinds: Vec<ItemKind> = read::decode_quiet(text, fmt, id)?;
                let rules = if kinds.first().is_some_and(|k| k.body) {
                    let bodies: Items<OneRule> = read::decode(text, fmt, id, report)?;
                    let mut dry = None;
                    let rules = bodies.map(|b| {
                        dry = dry.or(b.dry_run.filter(|d| *d));
                        b.security_group_rule
                    });
                    flags_note(report, 0, dry, None);
                    rules
                } else {
                    read::decode::<Items<Checked>>(text, fmt, id, report)?
                };
                rule_groups(rules, 0, options, report)?
            }
            t if t.has("security_group_rule") => {
                let one: OneRule = read::decode(text, fmt, id, report)?;
                flags_note(report, 0, one.dry_run, None);
                read::not_carried(report, 0, "", [("request_id", one.request_id)]);
                rule_groups(
                    Items::from(vec![one.security_group_rule]),
                    0,
                    options,
                    report,
                )?
            }
            t if t.has("security_group_rules") => {
                list_groups(read::decode(text, fmt, id, report)?, options, report)?
            }
            t if t.has("security_group") => {
                vec![show_group(
                    read::decode(text, fmt, id, report)?,
                    options,
                    report,
                )?]
            }
            t if t.has("security_groups") => {
                return Err(shape_error(
                    "found a list-groups response ({security_groups}), which carries no rules",
                ));
            }
            t if t.has("error_code") => {
                return Err(shape_error(
                    "found an error or dry-run (202) response ({error_code}), which carries no rule",
                ));
            }
            t if t.has("direction") => rule_groups(
                Items::from(vec![read::decode::<Checked>(text, fmt, id, report)?]),
                0,
                options,
                report,
            )?,
            top => return Err(DIALECT.unknown_shape(top)),
        };
        Ok(Document { groups })
    }

    fn export_group(&self, group: &SecurityGroup, to: Export<'_>) -> Result<(), Error> {
        let (gi, options, report, out) = (to.index, to.options, to.report, to.out);
        let group_id = write::target_group(
            options,
            group,
            ("security_group_id", "before sending"),
            gi,
            report,
        );
        let mut bodies = Vec::with_capacity(group.rules.len());
        for rule in &group.rules {
            if !rule.enabled() {
                report.rule(gi, rule.origin()).push(
                    Field::Enabled,
                    Kind::Note,
                    Some("false".into()),
                    "written with enabled: false, which Huawei documents for regions hc and hk only",
                );
            }
            bodies.push(Body {
                security_group_rule: body(rule, group_id)?,
            });
        }
        out.list(&bodies)
    }

    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }
}

fn body<'a>(rule: &'a Rule, group_id: &'a str) -> Result<WireOut<'a>, Error> {
    let protocol = match rule.protocol() {
        Protocol::Any => None,
        Protocol::TCP => Some("tcp".to_owned()),
        Protocol::UDP => Some("udp".to_owned()),
        Protocol::ICMP => Some("icmp".to_owned()),
        Protocol::ICMPV6 => Some("icmpv6".to_owned()),
        Protocol::Number(n) => Some(n.to_string()),
    };
    let ports = rule.ports();
    if ports.ranges().len() > multiport::MAX_GROUPS || !rule.icmp().is_any() {
        return Err(Error::Internal(
            "a rule Huawei v3 cannot hold reached its exporter".into(),
        ));
    }
    let remote = RemoteFields::of(rule.remote());
    let priority = write::priority(rule, PRIORITIES, "Huawei")?;
    Ok(WireOut {
        security_group_id: group_id,
        description: rule.description(),
        direction: rule.direction(),
        ethertype: match rule.family() {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        },
        protocol,
        multiport: (!ports.is_any()).then(|| multiport::print(ports)),
        remote_ip_prefix: remote.cidr,
        remote_group_id: remote.group,
        remote_address_group_id: remote.address_group,
        action: match rule.action() {
            Action::Allow => "allow",
            Action::Deny => "deny",
        },
        priority,
        enabled: (!rule.enabled()).then_some(false),
    })
}
