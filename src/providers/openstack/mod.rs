//! OpenStack Neutron security groups, as the Networking API v2.0 describes them
//! (<https://docs.openstack.org/api-ref/network/v2/#security-groups-security-groups>,
//! <https://docs.openstack.org/api-ref/network/v2/#security-group-rules-security-group-rules>)
//! and openstacksdk models them (`openstack/network/v2/security_group.py`,
//! `security_group_rule.py`). The rule semantics Neutron shares with Gcore are in
//! [`super::neutron`].
//!
//! A group is a union of allow rules, stateful unless `stateful` is false; a new group is
//! born with two egress rules allowing everything, one per ethertype. Import shapes:
//!
//! | shape | top level |
//! |---|---|
//! | a group response or create body, `openstack security group show -f json` (rules as `rules`) | `{security_group: {...}}` or the bare group |
//! | the group list | `{security_groups: [...]}` |
//! | a rule list or bulk create body (grouped by `security_group_id`) | `{security_group_rules: [...]}` |
//! | one rule response or create body | `{security_group_rule: {...}}` |
//! | sgconv's export | `{security_group: {...}, security_group_rules: [...]}` |
//! | `openstack security group rule list -f json` (lossy: see [`table`]) | `[{"ID": ..., "IP Protocol": ..., ...}]` |
//!
//! Export: the two create bodies of each group, `POST /v2.0/security-groups`
//! (`{name, description, stateful}`) and the bulk `POST /v2.0/security-group-rules`; a rule
//! names its group by the target id the user gave (`--target-group`), else by none.

mod plan;
mod table;
mod wire;

use super::read::{self, Items};
use super::{Dialect, Export, Input, Provider, neutron};
use crate::caps::{BornWith, Capabilities, GroupFields, Protocols, Quota};
use crate::codec::TopLevel;
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Direction, Document, Protocol, Rule, SecurityGroup};
use crate::report::{Field, Kind, Report};
use std::borrow::Cow;
use wire::{Checked, Groups, OneGroup, OneRule, OutDocument, OutGroup, Rules, WireGroup};

/// OpenStack Neutron.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenStack;

static CAPS: Capabilities = Capabilities {
    // `stateful: false` makes a group stateless (the `stateful-security-group` extension).
    stateless: true,
    protocols: Protocols::All,
    cloud: Some("openstack"),
    address_group: true,
    group_fields: GroupFields {
        name: true,
        description: true,
        ..GroupFields::NONE
    },
    // neutron/conf/quota.py: DEFAULT_QUOTA_SG_RULE = 100.
    quota: Some(Quota::per_group(100)),
    born_with: &[BornWith {
        direction: Direction::Egress,
        family: None,
        own_group: false,
        about: "two egress rules allowing all IPv4 and all IPv6 traffic, which Neutron adds to every \
                new group",
    }],
    ..neutron::CAPS
};

static DIALECT: Dialect = Dialect {
    id: ProviderId::OpenStack,
    about: "OpenStack Neutron: security group and rule API bodies/responses, `openstack security \
            group show -f json`; allow-only",
    capabilities: &CAPS,
    shapes: "a Neutron group ({security_group: {...}}, or the bare group as `openstack security \
             group show -f json` prints it), a group list ({security_groups: [...]}), a rule list \
             or bulk create body ({security_group_rules: [...]}) or one rule \
             ({security_group_rule: {...}}), or `openstack security group rule list -f json` \
             ([{\"ID\", \"IP Protocol\", ...}])",
    export_shapes: &[],
    shape_keys: &[
        &[
            "security_groups",
            "security_group_rule",
            "security_group",
            "rules",
        ],
        &[
            "security_groups",
            "security_group_rule",
            "security_group_rules",
            "rules",
        ],
    ],
    terraform: None,
    planner: Some(&plan::PLANNER),
};

// ---------------------------------------------------------------------------------------
// Reading documents

fn group(
    w: WireGroup,
    extra: Option<Items<Checked>>,
    gi: usize,
    report: &mut Report,
) -> Result<SecurityGroup, Error> {
    let n = w.neutron;
    let mut group = SecurityGroup::empty();
    group.id = n.id;
    group.name = n.name.filter(|s| !s.is_empty());
    group.description = n.description.filter(|s| !s.is_empty());
    group.stateful = w.stateful.unwrap_or(true);
    if let Some(tags) = w.tags.filter(|t| !t.is_empty()) {
        report.group(gi).push(
            Field::Tags,
            Kind::Metadata,
            Some(tags.join(",")),
            "Neutron tags are set by a separate request (PUT .../tags); not carried",
        );
    }
    let uncarried = read::uncarried!(
        n.project_id,
        w.tenant_id,
        n.revision_number,
        n.created_at,
        n.updated_at,
        w.shared,
    );
    read::not_carried(report, gi, "group ", uncarried);
    let lists = [w.security_group_rules, w.rules, extra];
    if lists.iter().filter(|l| l.is_some()).count() > 1 {
        return Err(DIALECT.shape_error(
            "found a group with its rules in more than one of security_group_rules and rules",
        ));
    }
    let rules = lists.into_iter().flatten().next().unwrap_or_default();
    group.rules = rules.place(gi, report, |c| c.read);
    Ok(group)
}

/// One group per `security_group_id` of a flat rule list, in order of first appearance.
fn flat_groups(rules: Items<Checked>, report: &mut Report) -> Vec<SecurityGroup> {
    read::flat_groups(
        rules,
        |c| c.group_id.as_deref(),
        |items, gi, report| items.place(gi, report, |c| c.read),
        report,
    )
}

impl Provider for OpenStack {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    fn read(&self, input: Input<'_>, report: &mut Report) -> Result<Document, Error> {
        let (id, text, fmt) = (self.id(), input.text, input.format);
        let groups = match &input.top {
            t if t.has("security_group") => {
                let one: OneGroup = read::decode(text, fmt, id, report)?;
                vec![group(
                    one.security_group,
                    one.security_group_rules,
                    0,
                    report,
                )?]
            }
            t if t.has("security_groups") => {
                let list: Groups = read::decode(text, fmt, id, report)?;
                let mut groups = Vec::with_capacity(list.security_groups.len());
                for (gi, g) in list.security_groups.into_iter().enumerate() {
                    groups.push(group(g, None, gi, report)?);
                }
                groups
            }
            t if t.has("security_group_rule") => {
                let one: OneRule = read::decode(text, fmt, id, report)?;
                flat_groups(Items::from(vec![one.security_group_rule]), report)
            }
            t if t.has("security_group_rules") && !t.has("id") && !t.has("name") => {
                let list: Rules = read::decode(text, fmt, id, report)?;
                flat_groups(list.security_group_rules, report)
            }
            // The bare group as `openstack security group show -f json` prints it always has
            // its id (which also tells it from Gcore's v2 body `{name, rules}`).
            t if t.has("id") && (t.has("rules") || t.has("security_group_rules")) => {
                vec![group(
                    read::decode(text, fmt, id, report)?,
                    None,
                    0,
                    report,
                )?]
            }
            TopLevel::Array => {
                let rows: Items<table::TableRow> = read::decode(text, fmt, id, report)?;
                let mut groups = flat_groups(rows.map(|r| r.0), report);
                table::losses(&mut groups, input.options.stateful, report);
                groups
            }
            top => return Err(DIALECT.unknown_shape(top)),
        };
        Ok(Document { groups })
    }

    fn export_group(&self, group: &SecurityGroup, to: Export<'_>) -> Result<(), Error> {
        let Export { out, options, .. } = to;
        let target = options.target_id(group);
        let mut rules = Vec::with_capacity(group.rules.len());
        for rule in &group.rules {
            rules.push(body(rule, target)?);
        }
        out.value(&OutDocument {
            security_group: OutGroup {
                name: group.name.as_deref(),
                description: group.description.as_deref(),
                stateful: group.stateful,
            },
            security_group_rules: rules,
        })
    }
}

/// A protocol as Neutron takes it: null for all, a name of its table, else the number.
fn protocol_text(p: Protocol) -> Option<Cow<'static, str>> {
    match p {
        Protocol::Any => None,
        Protocol::Number(n) => Some(
            match p.name().filter(|name| neutron::NAMES.contains(name)) {
                Some(name) => Cow::Borrowed(name),
                None if n == 4 => Cow::Borrowed("ipip"),
                None => Cow::Owned(n.to_string()),
            },
        ),
    }
}

fn body<'a>(rule: &'a Rule, group: Option<&'a str>) -> Result<neutron::Body<'a>, Error> {
    Ok(neutron::Body {
        security_group_id: group,
        ..neutron::Body::of(rule, protocol_text(rule.protocol()), "OpenStack")?
    })
}
