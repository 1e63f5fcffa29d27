//! Gcore Cloud security groups, API v1 and v2: the rule and group schemas of Gcore's OpenAPI
//! description of its cloud API (`cloud_api.yaml` in
//! <https://github.com/G-Core/product-documentation>) and its firewall guide
//! (<https://gcore.com/docs/cloud/networking/add-and-configure-a-firewall>).
//!
//! Both versions share Neutron's rule shape; they differ in how "all protocols" is written
//! (`"any"` in v1, `null` in v2) and in which documents they come in. Import shapes:
//!
//! | shape | v1 | v2 |
//! |---|---|---|
//! | one create-rule body, or a list | yes | yes |
//! | rule response (13 keys, ids, timestamps), or a list | yes | — |
//! | group GET `{security_group_rules: [...]}` | yes | — |
//! | group list `{count, results: [group, ...]}` | yes | — |
//! | group create / PATCH body `{name, rules: [...]}` | — | yes |
//!
//! Export: an array of create-rule bodies, one family per rule, `ethertype` always written.

use std::borrow::Cow;

use super::{Dialect, Export, Input, Provider};
use super::{neutron, read};
use crate::caps::{BornWith, Capabilities, PlatformBlock, Protocols, Quota};
use crate::codec::TopLevel;
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Direction, Document, Protocol, Rule, SecurityGroup, Tag};
use crate::report::{Field, Kind, Report};
use read::Items;
use wire::{Checked, V1, V2, Version, WireGroup, WireList, WireTag, WireV2Group};

mod plan;
mod terraform;
mod wire;

/// Gcore Cloud, by API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gcore {
    /// API v1 (deprecated writes, current reads).
    V1,
    /// API v2 (current writes).
    V2,
}

/// Whether `text` is in Gcore's protocol enum (both versions, without `any`): Neutron's names
/// and `ipencap`, the model's name of 4 (Neutron's `ipip`).
fn is_name(text: &str) -> bool {
    text == "ipencap" || neutron::NAMES.contains(&text)
}

/// Gcore's protocol enum, in order.
fn names() -> Vec<&'static str> {
    let mut names = neutron::NAMES.to_vec();
    names.push("ipencap");
    names.sort_unstable();
    names
}

/// The numbers those names stand for: what a Gcore request can name.
const NUMBERS: &[u8] = &[
    1, 2, 4, 6, 8, 17, 33, 41, 43, 44, 46, 47, 50, 51, 58, 59, 60, 89, 112, 113, 132, 136,
];

static CAPS: Capabilities = Capabilities {
    protocols: Protocols::Only(NUMBERS),
    cloud: Some("gcore"),
    quota: Some(Quota::per_group(250)),
    platform_blocks: &[SMTP_BLOCK],
    born_with: &[BornWith {
        direction: Direction::Egress,
        family: None,
        own_group: false,
        about: "allow-all egress rules for IPv4 and IPv6 (Gcore's default egress rules, applied when a \
                group is created without egress rules)",
    }],
    ..neutron::CAPS
};

/// Gcore blocks outbound TCP/UDP port 25 whatever the rules say.
const SMTP_BLOCK: PlatformBlock = PlatformBlock {
    name: Cow::Borrowed("gcore-smtp"),
    direction: Direction::Egress,
    protocols: Cow::Borrowed(&[6, 17]),
    ports: Cow::Borrowed(&[25]),
    optional: false,
    about: Cow::Borrowed("Gcore blocks outbound TCP and UDP port 25 on the platform"),
};

// ---------------------------------------------------------------------------------------
// Reading documents

fn rules_group<V: Version>(rules: Items<Checked<V>>, report: &mut Report) -> SecurityGroup {
    let mut group = SecurityGroup::empty();
    group.id = rules
        .iter()
        .find_map(|c| c.group_id.as_deref().map(str::to_owned));
    group.rules = rules.place(0, report, |c| c.read);
    group
}

fn tags(list: Vec<WireTag>, gi: usize, report: &mut Report) -> Vec<Tag> {
    list.into_iter()
        .map(|t| {
            if t.read_only == Some(true) {
                report.group(gi).push(
                    Field::Tags,
                    Kind::Metadata,
                    Some(t.key.clone()),
                    "the tag's read_only flag is not carried",
                );
            }
            Tag {
                key: t.key,
                value: t.value,
            }
        })
        .collect()
}

fn v1_group(w: WireGroup, gi: usize, report: &mut Report) -> SecurityGroup {
    let n = w.neutron;
    let mut group = SecurityGroup::empty();
    group.id = n.id;
    group.name = n.name;
    group.description = n.description.filter(|d| !d.is_empty());
    group.tags = tags(w.tags_v2.or(w.metadata).unwrap_or_default(), gi, report);
    let uncarried = read::uncarried!(
        n.project_id,
        w.region_id,
        w.region,
        n.revision_number,
        n.created_at,
        n.updated_at,
    );
    read::not_carried(report, gi, "group ", uncarried);
    let rules = w.security_group_rules.unwrap_or_default();
    group.rules = rules.place(gi, report, |c| c.read);
    group
}

impl Gcore {
    fn shape_error(self, found: &str) -> Error {
        self.dialect().shape_error(found)
    }
}

/// Top-level keys of Gcore's document shapes (one set: each names a different shape).
const SHAPE_KEYS: &[&[&str]] = &[&[
    "security_group_rules",
    "results",
    "rules",
    "direction",
    "tasks",
    "changed_rules",
]];

static V1_DIALECT: Dialect = Dialect {
    id: ProviderId::GcoreV1,
    about: "Gcore Cloud API v1: rule bodies/responses, group GET and list; allow-only",
    capabilities: &CAPS,
    shapes: "a v1 create-rule body or rule response, a list of them, a group GET response \
             ({security_group_rules: [...]}) or a group list ({count, results})",
    export_shapes: &[],
    shape_keys: SHAPE_KEYS,
    terraform: Some(terraform::V1_TERRAFORM),
    planner: Some(&plan::V1),
};

static V2_DIALECT: Dialect = Dialect {
    id: ProviderId::GcoreV2,
    about: "Gcore Cloud API v2: rule bodies, group create/PATCH bodies; allow-only",
    capabilities: &CAPS,
    shapes: "a v2 create-rule body, a list of them, or a v2 group create/PATCH body ({rules: [...]})",
    export_shapes: &[],
    shape_keys: SHAPE_KEYS,
    terraform: Some(terraform::V2_TERRAFORM),
    planner: Some(&plan::V2),
};

impl Provider for Gcore {
    fn dialect(&self) -> &'static Dialect {
        match self {
            Gcore::V1 => &V1_DIALECT,
            Gcore::V2 => &V2_DIALECT,
        }
    }

    fn read(&self, input: Input<'_>, report: &mut Report) -> Result<Document, Error> {
        let (id, text, fmt) = (self.id(), input.text, input.format);
        let groups = match (self, &input.top) {
            (Gcore::V1, TopLevel::Array) => vec![rules_group(
                read::decode::<Items<Checked<V1>>>(text, fmt, id, report)?,
                report,
            )],
            (Gcore::V2, TopLevel::Array) => vec![rules_group(
                read::decode::<Items<Checked<V2>>>(text, fmt, id, report)?,
                report,
            )],
            (_, t) if t.has("tasks") => {
                return Err(
                    self.shape_error("found a v2 task response ({tasks}), which carries no rules")
                );
            }
            (_, t) if t.has("changed_rules") => {
                return Err(self.shape_error(
                    "found a v1 PATCH body ({changed_rules}): a delta of create/delete operations, not a group",
                ));
            }
            (Gcore::V1, t) if t.has("results") => {
                let list: WireList = read::decode(text, fmt, id, report)?;
                let held = u64::try_from(list.results.len()).unwrap_or(u64::MAX);
                if list.count > held {
                    return Err(Error::Shape {
                        provider: id,
                        message: format!(
                            "found one page of a group list: {held} groups in results of count {}; \
                             fetch every page (raise `limit` or step `offset`) and join their results, \
                             since the groups on the other pages would not be converted",
                            list.count
                        ),
                    });
                }
                list.results
                    .into_iter()
                    .enumerate()
                    .map(|(gi, g)| v1_group(g, gi, report))
                    .collect()
            }
            (Gcore::V1, t) if t.has("security_group_rules") => {
                vec![v1_group(read::decode(text, fmt, id, report)?, 0, report)]
            }
            (Gcore::V1, t) if t.has("rules") => {
                return Err(self
                    .shape_error("found a v2 group body ({rules}); read it with --from gcore-v2"));
            }
            (Gcore::V2, t) if t.has("rules") => {
                let w: WireV2Group = read::decode(text, fmt, id, report)?;
                let mut group = SecurityGroup::empty();
                group.name = w.name;
                group.description = w.description.filter(|d| !d.is_empty());
                for (key, value) in w.tags.unwrap_or_default() {
                    match value {
                        Some(value) => group.tags.push(Tag { key, value: Some(value) }),
                        None => report.group(0).push(
                            Field::Tags,
                            Kind::Metadata,
                            Some(key),
                            "a null tag in a PATCH body deletes the tag; not a tag of the group, not carried",
                        ),
                    }
                }
                group.rules = w.rules.place(0, report, |c| c.read);
                vec![group]
            }
            (Gcore::V2, t) if t.has("security_group_rules") || t.has("results") => {
                return Err(
                    self.shape_error("found a v1 group response; read it with --from gcore-v1")
                );
            }
            (Gcore::V1, t) if t.has("direction") => {
                vec![rules_group(
                    Items::from(vec![read::decode::<Checked<V1>>(text, fmt, id, report)?]),
                    report,
                )]
            }
            (Gcore::V2, t) if t.has("direction") => {
                vec![rules_group(
                    Items::from(vec![read::decode::<Checked<V2>>(text, fmt, id, report)?]),
                    report,
                )]
            }
            (_, top) => return Err(self.dialect().unknown_shape(top)),
        };
        let mut groups = groups;
        for group in &mut groups {
            group.platform_blocks = Some(vec![SMTP_BLOCK]);
        }
        Ok(Document { groups })
    }

    fn export_group(&self, group: &SecurityGroup, to: Export<'_>) -> Result<(), Error> {
        let Export { out, .. } = to;
        // Each body made as it is written: a list of them was as long as the group's rules
        // (150 MB for a million).
        out.objects(&group.rules, |rule, fields| {
            let Ok(()) = self.body(rule)?.fields(fields);
            Ok(())
        })
    }
}

impl Gcore {
    fn body<'a>(&self, rule: &'a Rule) -> Result<neutron::Body<'a>, Error> {
        let protocol = match rule.protocol() {
            Protocol::Any => match self {
                Gcore::V1 => Some("any"),
                Gcore::V2 => None,
            },
            p => Some(p.name().filter(|n| is_name(n)).ok_or_else(|| {
                Error::Internal(format!("protocol {p} reached the Gcore exporter"))
            })?),
        };
        let body = neutron::Body::of(rule, protocol.map(Cow::Borrowed), "Gcore")?;
        if body.remote_address_group_id.is_some() {
            return Err(Error::Internal(
                "an address group reached the Gcore exporter".into(),
            ));
        }
        Ok(body)
    }
}
