//! Azure network security groups, as the Network REST API describes them
//! (<https://learn.microsoft.com/en-us/rest/api/virtualnetwork/security-rules>,
//! <https://learn.microsoft.com/en-us/rest/api/virtualnetwork/network-security-groups>) and
//! the overview (<https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview>).
//!
//! Import shapes:
//!
//! | shape | top level |
//! |---|---|
//! | an NSG resource (REST/ARM) | `{name, id, properties: {securityRules, defaultSecurityRules}}` |
//! | `az network nsg show` output | `{name, id, securityRules, defaultSecurityRules, ...}` |
//! | a rule list response | `{value: [...]}` (refused with a `nextLink`: more pages follow) |
//! | a bare rule list (`az network nsg rule list`) | `[...]` |
//! | one rule (REST or CLI) | `{name, properties: {access, ...}}` or `{access, direction, ...}` |
//!
//! Meaning: rules are evaluated by ascending priority (100-4096, unique per direction), first
//! match decides, then the default rules (AllowVnetInBound 65000, AllowAzureLoadBalancerInBound
//! 65001, DenyAllInBound 65500; AllowVnetOutBound 65000, AllowInternetOutBound 65001,
//! DenyAllOutBound 65500), read from `defaultSecurityRules` or, when the document omits them,
//! added as the overview documents them. Inbound rules match the source (the remote side),
//! outbound the destination; the destination port is the rule's port. `*` is any; service
//! tags (`Internet`, `VirtualNetwork`, `AzureLoadBalancer`, ...) and application security
//! groups are address groups of both families, whose members sgconv does not know. `Icmp`
//! is read as ICMP in IPv4 rules and ICMPv6 in IPv6 rules; `*` with destination ports as TCP
//! and UDP on them.
//!
//! What the model cannot hold: source ports, and a local side other than `*` or
//! `VirtualNetwork` (the address space the protected resources are in). Such a rule matches a
//! subset of the same rule without the restriction: an allow rule is left out (dropping the
//! restriction would widen; leaving it out narrows), a deny rule is read without it (it
//! denies more: narrows). Both are reported as narrowed.
//!
//! Export: an NSG resource `{name, tags, properties: {securityRules}}` with unique priorities
//! per direction in evaluation order, and per direction a final `*` deny rule unless the
//! rules already end in one, so that the default rules' allows (VirtualNetwork, the load
//! balancer, Internet outbound) add nothing the source denied.

mod out;
mod plan;
mod wire;

use std::collections::BTreeMap;

use super::read::{self, ReadRule};
use super::{Dialect, Export, Input, Provider};
use crate::caps::{
    Capabilities, GroupFields, Ordering, Protocols, Quota, RemoteFamilies, TextLimit,
};
use crate::codec::TopLevel;
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{
    Action, Direction, Document, Evaluation, Family, Origin, Remote, Rule, RuleSpec, SecurityGroup,
    Tag,
};
use crate::report::{Field, Kind, Report};
use out::{OutNsg, OutNsgProps, out_rules};
use wire::{Head, Reading, WireRule};

/// Azure network security groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AzureNsg;

static DIALECT: Dialect = Dialect {
    id: ProviderId::AzureNsg,
    about: "Azure network security groups: NSG resources (REST/az), rule lists, one rule; priorities, deny",
    capabilities: &CAPS,
    shapes: "an NSG resource ({properties: {securityRules}}) or `az network nsg show` output \
             ({securityRules, defaultSecurityRules}), a rule list ({value: [...]} or [...]), or \
             one rule",
    export_shapes: &[],
    shape_keys: &[
        &["value", "securityRules", "properties", "access"],
        &["value", "defaultSecurityRules", "properties", "direction"],
    ],
    terraform: None,
    planner: Some(&plan::PLANNER),
};

/// Priorities of custom rules (the default rules use 65000-65500).
const PRIORITIES: (u16, u16) = (100, 4096);

static CAPS: Capabilities = Capabilities {
    deny: true,
    ordering: Ordering::priorities(PRIORITIES),
    // SecurityRuleProtocol: Tcp, Udp, Icmp (ICMP or ICMPv6 by family), Esp, Ah, *.
    protocols: Protocols::Only(&[1, 6, 17, 50, 51, 58]),
    port_protocols: &[6, 17],
    port_ranges_per_rule: usize::MAX,
    cloud: Some("azure"),
    full_port_range: true,
    address_group: true,
    // A service tag or application security group names addresses of both families.
    remote_families: RemoteFamilies::Both,
    unique_priorities: true,
    description: Some(TextLimit::chars(140)),
    group_fields: GroupFields {
        name: true,
        tags: true,
        ..GroupFields::NONE
    },
    // "Security rules per network security group: 1,000" (Azure networking limits).
    quota: Some(Quota::per_group(1000)),
    v6_only_protocols: &[58],
    ..Capabilities::MINIMAL
};

crate::providers::wire_struct::wire_struct! {
    /// The properties of an NSG resource (REST), or the CLI's flattened NSG.
    #[serde(rename_all = "camelCase")]
    struct WireNsg {
        name: Option<String>,
        id: Option<String>,
        etag: Option<String>,
        #[serde(default, rename = "type")]
        kind: Option<String>,
        location: Option<String>,
        tags: Option<BTreeMap<String, String>>,
        resource_group: Option<String>,
        properties: Option<Box<WireNsg>>,
        security_rules: Option<Vec<Checked<false>>>,
        #[serde(default, rename = "defaultSecurityRules")]
        default_rules: Option<Vec<Checked<true>>>,
        provisioning_state: Option<String>,
        resource_guid: Option<String>,
        network_interfaces: Option<serde_json::Value>,
        subnets: Option<serde_json::Value>,
        flow_logs: Option<serde_json::Value>,
        flush_connection: Option<bool>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// A rule list response.
    #[serde(rename_all = "camelCase")]
    struct WireList {
        value: Vec<Checked<false>>,
        next_link: Option<String>,
    }
}

/// A rule read while it is decoded, so errors carry its path and line:column.
struct Checked<const DEFAULT: bool>(Head, Reading);

impl<'de, const DEFAULT: bool> serde::Deserialize<'de> for Checked<DEFAULT> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireRule::deserialize(d)?;
        let (head, reading) = wire::read_rule(w, DEFAULT).map_err(serde::de::Error::custom)?;
        Ok(Checked(head, reading))
    }
}

/// The default rules the overview documents: name, direction, priority, remote (a service
/// tag; `None` for any), action.
const DEFAULTS: [(&str, Direction, u16, Option<&str>, Action); 6] = [
    (
        "AllowVnetInBound",
        Direction::Ingress,
        65000,
        Some("VirtualNetwork"),
        Action::Allow,
    ),
    (
        "AllowAzureLoadBalancerInBound",
        Direction::Ingress,
        65001,
        Some("AzureLoadBalancer"),
        Action::Allow,
    ),
    (
        "DenyAllInBound",
        Direction::Ingress,
        65500,
        None,
        Action::Deny,
    ),
    (
        "AllowVnetOutBound",
        Direction::Egress,
        65000,
        Some("VirtualNetwork"),
        Action::Allow,
    ),
    (
        "AllowInternetOutBound",
        Direction::Egress,
        65001,
        Some("Internet"),
        Action::Allow,
    ),
    (
        "DenyAllOutBound",
        Direction::Egress,
        65500,
        None,
        Action::Deny,
    ),
];

fn documented_defaults() -> Result<Vec<ReadRule>, Error> {
    let mut out = Vec::new();
    for (name, direction, priority, tag, action) in DEFAULTS {
        for family in Family::BOTH {
            let mut spec = RuleSpec::new(direction, family);
            spec.remote = tag.map_or(Remote::Any, |t| Remote::AddressGroup(t.to_owned()));
            spec.action = action;
            spec.priority = Some(priority);
            spec.origin = Origin::with_id(Some(name.into()));
            out.push(ReadRule {
                rule: Rule::new(spec)?,
                changes: Vec::new(),
            });
        }
    }
    Ok(out)
}

fn metadata(report: &mut Report, name: &'static str, value: Option<String>) {
    if let Some(v) = value {
        report.group(0).push(
            Field::Wire(name.into()),
            Kind::Metadata,
            Some(v),
            format!("{name} is not carried"),
        );
    }
}

/// One group from its custom rules and, when the document lists them, its default rules.
fn group(
    mut group: SecurityGroup,
    custom: Vec<Checked<false>>,
    defaults: Option<Vec<Checked<true>>>,
    report: &mut Report,
) -> Result<SecurityGroup, Error> {
    let mut seen: BTreeMap<(&'static str, u16), Option<String>> = BTreeMap::new();
    let mut reads = Vec::new();
    let mut dropped = Vec::new();
    for Checked(head, reading) in custom {
        let key = (head.direction.name(), head.priority);
        if let Some(other) = seen.insert(key, head.name.clone()) {
            return Err(DIALECT.shape_error(&format!(
                "found two {} rules with priority {} ({:?} and {:?}); Azure allows one rule per \
                 priority and direction",
                head.direction.name(),
                head.priority,
                other.unwrap_or_default(),
                head.name.unwrap_or_default()
            )));
        }
        reads.extend(reading.rules);
        if let Some(why) = reading.dropped {
            dropped.push((head.name, why));
        }
    }
    match defaults {
        Some(list) if !list.is_empty() => {
            for Checked(_, reading) in list {
                if let Some(why) = reading.dropped {
                    return Err(
                        DIALECT.shape_error(&format!("a default rule cannot be read: {why}"))
                    );
                }
                reads.extend(reading.rules);
            }
        }
        _ => {
            report.group(0).push(
                Field::Rule,
                Kind::Note,
                None,
                "the document lists no defaultSecurityRules; Azure's default rules (AllowVnetInBound, \
                 AllowAzureLoadBalancerInBound, DenyAllInBound, AllowVnetOutBound, \
                 AllowInternetOutBound, DenyAllOutBound) are read as documented",
            );
            reads.extend(documented_defaults()?);
        }
    }
    for (name, why) in dropped {
        report.group(0).push(Field::Rule, Kind::Narrowed, name, why);
    }
    group.rules = read::place(reads, 0, report);
    Ok(group)
}

fn empty_group() -> SecurityGroup {
    SecurityGroup {
        evaluation: Evaluation::Priority,
        ..SecurityGroup::empty()
    }
}

fn nsg(w: WireNsg, report: &mut Report) -> Result<SecurityGroup, Error> {
    let mut g = empty_group();
    g.id = w.id.clone();
    g.name = w.name.clone().filter(|s| !s.is_empty());
    g.tags = w
        .tags
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| Tag {
            key,
            value: Some(value),
        })
        .collect();
    let _ = (&w.kind, &w.resource_group);
    metadata(report, "location", w.location.clone());
    metadata(report, "etag", w.etag.clone());
    let body = match w.properties {
        Some(_) if w.security_rules.is_some() || w.default_rules.is_some() => {
            return Err(
                DIALECT.shape_error("found securityRules both beside and inside `properties`")
            );
        }
        Some(p) => *p,
        None => w,
    };
    metadata(report, "resourceGuid", body.resource_guid.clone());
    let _ = (
        &body.provisioning_state,
        &body.flush_connection,
        &body.flow_logs,
    );
    let attached = [&body.network_interfaces, &body.subnets]
        .iter()
        .filter_map(|v| v.as_ref().and_then(|v| v.as_array()).map(Vec::len))
        .sum::<usize>();
    if attached > 0 {
        report.group(0).push(
            Field::Group,
            Kind::Note,
            Some(attached.to_string()),
            "the NSG is attached to network interfaces or subnets; attachments are not carried",
        );
    }
    if body.security_rules.is_none() && body.default_rules.is_none() {
        return Err(DIALECT.shape_error("found an NSG with no securityRules"));
    }
    group(
        g,
        body.security_rules.unwrap_or_default(),
        body.default_rules,
        report,
    )
}

impl Provider for AzureNsg {
    fn read(&self, input: Input<'_>, report: &mut Report) -> Result<Document, Error> {
        let (text, fmt, id) = (input.text, input.format, self.id());
        let g = match &input.top {
            TopLevel::Array => {
                let rules: Vec<Checked<false>> = read::decode(text, fmt, id, report)?;
                group(empty_group(), rules, None, report)?
            }
            t if t.has("value") => {
                let list: WireList = read::decode(text, fmt, id, report)?;
                if let Some(next) = list.next_link {
                    return Err(DIALECT.shape_error(&format!(
                        "found one page of a rule list: nextLink is {next:?}, so more pages follow, \
                         and a missing deny rule would widen; fetch every page and join their values"
                    )));
                }
                group(empty_group(), list.value, None, report)?
            }
            t if t.has("securityRules") || t.has("defaultSecurityRules") => {
                nsg(read::decode(text, fmt, id, report)?, report)?
            }
            t if t.has("properties") => {
                let probe: serde_json::Value = read::decode_quiet(text, fmt, id)?;
                let props = probe.get("properties");
                let is_nsg = props.is_some_and(|p| {
                    p.get("securityRules").is_some() || p.get("defaultSecurityRules").is_some()
                });
                if is_nsg {
                    nsg(read::decode(text, fmt, id, report)?, report)?
                } else {
                    let one: Checked<false> = read::decode(text, fmt, id, report)?;
                    group(empty_group(), vec![one], None, report)?
                }
            }
            t if t.has("access") || t.has("direction") => {
                let one: Checked<false> = read::decode(text, fmt, id, report)?;
                group(empty_group(), vec![one], None, report)?
            }
            top => return Err(DIALECT.unknown_shape(top)),
        };
        Ok(Document { groups: vec![g] })
    }

    fn export_group(&self, group: &SecurityGroup, to: Export<'_>) -> Result<(), Error> {
        let (gi, report, out) = (to.index, to.report, to.out);
        let rules = out_rules(group, gi, report)?;
        out.value(&OutNsg {
            name: group.name.clone(),
            tags: (!group.tags.is_empty()).then(|| {
                group
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone().unwrap_or_default()))
                    .collect()
            }),
            properties: OutNsgProps {
                security_rules: rules,
            },
        })
    }

    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }
}
