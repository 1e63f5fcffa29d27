//! Writing a fitted group as an NSG resource: unique priorities per direction, the IPv4 and
//! IPv6 rules of one address as one rule, and a closing deny rule per direction unless the
//! rules end as Azure's default rules do.

use std::collections::BTreeMap;

use serde::Serialize;

use super::wire::{OutAsg, OutProps, OutRule};
use super::{DEFAULTS, PRIORITIES, documented_defaults};
use crate::error::Error;
use crate::model::{Action, Direction, Family, Protocol, Remote, Rule, SecurityGroup};
use crate::providers::read::ReadRule;
use crate::report::{Field, Kind, Report};

/// An NSG resource as written.
#[derive(Serialize)]
pub(super) struct OutNsg {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tags: Option<BTreeMap<String, String>>,
    pub(super) properties: OutNsgProps,
}

/// The properties written: the custom rules.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OutNsgProps {
    pub(super) security_rules: Vec<OutRule>,
}

/// The remote side of a rule as Azure writes it: a prefix, or an application security group.
fn remote_text(
    remote: &Remote,
    family: Family,
) -> Result<(Option<String>, Option<Vec<OutAsg>>), Error> {
    Ok(match remote {
        Remote::Any => (
            Some(match family {
                Family::V4 => "0.0.0.0/0".to_owned(),
                Family::V6 => "::/0".to_owned(),
            }),
            None,
        ),
        Remote::Cidr(net) => (Some(net.to_string()), None),
        Remote::AddressGroup(id)
            if id
                .to_ascii_lowercase()
                .contains("/applicationsecuritygroups/") =>
        {
            (None, Some(vec![OutAsg { id: id.clone() }]))
        }
        Remote::AddressGroup(tag) => (Some(tag.clone()), None),
        _ => {
            return Err(Error::Internal(
                "a remote Azure cannot name reached its exporter".into(),
            ));
        }
    })
}

fn protocol_text(p: Protocol) -> Result<&'static str, Error> {
    Ok(match p {
        Protocol::Any => "*",
        Protocol::TCP => "Tcp",
        Protocol::UDP => "Udp",
        Protocol::ICMP | Protocol::ICMPV6 => "Icmp",
        Protocol::Number(50) => "Esp",
        Protocol::Number(51) => "Ah",
        Protocol::Number(n) => {
            return Err(Error::Internal(format!(
                "protocol {n}, which Azure cannot name, reached its exporter"
            )));
        }
    })
}

fn props(rule: &Rule) -> Result<OutProps, Error> {
    if !rule.icmp().is_any() {
        return Err(Error::Internal(
            "an ICMP type reached the Azure exporter".into(),
        ));
    }
    let priority = crate::providers::write::priority(rule, PRIORITIES, "Azure")?;
    let (prefix, asgs) = remote_text(rule.remote(), rule.family())?;
    let inbound = rule.direction() == Direction::Ingress;
    let (src_asgs, dst_asgs) = if inbound { (asgs, None) } else { (None, asgs) };
    let ranges: Vec<String> = rule
        .ports()
        .ranges()
        .iter()
        .map(|r| {
            if r.is_single() {
                r.from().to_string()
            } else {
                format!("{}-{}", r.from(), r.to())
            }
        })
        .collect();
    let (one, many) = match ranges.as_slice() {
        _ if rule.ports().is_any() => (Some("*".to_owned()), None),
        [one] => (Some(one.clone()), None),
        _ => (None, Some(ranges)),
    };
    let star = || Some("*".to_owned());
    Ok(OutProps {
        description: rule.description().map(str::to_owned),
        protocol: protocol_text(rule.protocol())?,
        source_port_range: "*",
        destination_port_range: one,
        destination_port_ranges: many,
        source_address_prefix: if inbound { prefix.clone() } else { star() },
        source_application_security_groups: src_asgs,
        destination_address_prefix: if inbound { star() } else { prefix },
        destination_application_security_groups: dst_asgs,
        access: match rule.action() {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
        },
        priority,
        direction: if inbound { "Inbound" } else { "Outbound" },
    })
}

/// Whether `v6` is the IPv6 twin of `v4` (same match but the family), so that one Azure rule
/// naming `*`, a service tag or an application security group (both families) writes both.
fn twins(v4: &Rule, v6: &Rule) -> bool {
    let (a, b) = (v4.spec(), v6.spec());
    a.family == Family::V4
        && b.family == Family::V6
        && a.direction == b.direction
        && matches!(a.remote, Remote::Any | Remote::AddressGroup(_))
        && a.remote == b.remote
        && a.action == b.action
        && a.ports == b.ports
        && a.description == b.description
        && protocol_text(a.protocol).ok() == protocol_text(b.protocol).ok()
}

/// Model rules per direction that Azure's default rules make (three rules, both families).
const DEFAULT_RULES_PER_DIRECTION: usize = 6;

/// Whether `rules` (one direction, in evaluation order) end with Azure's default rules.
fn platform_tail(rules: &[&Rule], direction: Direction) -> Result<bool, Error> {
    let defaults: Vec<ReadRule> = documented_defaults()?
        .into_iter()
        .filter(|d| d.rule.direction() == direction)
        .collect();
    let Some(tail) = rules
        .len()
        .checked_sub(defaults.len())
        .and_then(|start| rules.get(start..))
    else {
        return Ok(false);
    };
    let same = |a: &Rule, b: &Rule| {
        let (a, b) = (a.spec(), b.spec());
        (
            a.direction,
            a.family,
            a.protocol,
            &a.ports,
            a.icmp,
            &a.remote,
            a.action,
        ) == (
            b.direction,
            b.family,
            b.protocol,
            &b.ports,
            b.icmp,
            &b.remote,
            b.action,
        )
    };
    Ok(tail.len() == defaults.len() && tail.iter().zip(&defaults).all(|(r, d)| same(r, &d.rule)))
}

/// Whether Azure takes `id` as a rule's name: 1-80 letters, digits, `.`, `_` and `-`, starting
/// with a letter or digit and ending with one or `_`
/// (<https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork>).
fn is_rule_name(id: &str) -> bool {
    let inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    id.chars().count() <= 80
        && id.chars().all(inner)
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn out_rules(
    group: &SecurityGroup,
    gi: usize,
    report: &mut Report,
) -> Result<Vec<OutRule>, Error> {
    let mut out: Vec<OutRule> = Vec::new();
    let mut names: std::collections::HashSet<String> =
        DEFAULTS.iter().map(|d| d.0.to_ascii_lowercase()).collect();
    for direction in [Direction::Ingress, Direction::Egress] {
        let mut rules: Vec<&Rule> = group
            .rules
            .iter()
            .filter(|r| r.direction() == direction)
            .collect();
        // Rules that end as Azure's default rules do are left to the platform.
        let platform = platform_tail(&rules, direction)?;
        if platform {
            rules.truncate(rules.len().saturating_sub(DEFAULT_RULES_PER_DIRECTION));
            report.group(gi).push(
                Field::Rule,
                Kind::Rewritten,
                None,
                format!(
                    "the last {} rules match Azure's default rules, which every NSG applies after \
                     its own: left to the platform (same meaning)",
                    direction.name()
                ),
            );
        }
        let dir = match direction {
            Direction::Ingress => "in",
            Direction::Egress => "out",
        };
        let mut last: Option<&Rule> = None;
        let mut priority = None;
        for rule in &rules {
            if let (Some(prev), Some(written)) = (last, out.last_mut())
                && twins(prev, rule)
            {
                if rule.remote() == &Remote::Any {
                    if direction == Direction::Ingress {
                        written.properties.source_address_prefix = Some("*".into());
                    } else {
                        written.properties.destination_address_prefix = Some("*".into());
                    }
                }
                last = None;
                continue;
            }
            let properties = props(rule)?;
            priority = Some(properties.priority);
            let name = match rule.origin().id.as_deref() {
                Some(id) if is_rule_name(id) && !names.contains(&id.to_ascii_lowercase()) => {
                    id.to_owned()
                }
                _ => format!("sgconv-{dir}-{}", properties.priority),
            };
            names.insert(name.to_ascii_lowercase());
            out.push(OutRule { name, properties });
            last = Some(rule);
        }
        let closed = platform
            || Family::BOTH.iter().all(|&f| {
                rules.iter().any(|r| {
                    r.family() == f && r.action() == Action::Deny && r.spec().is_match_all()
                })
            });
        if closed {
            continue;
        }
        let at = match priority {
            None => PRIORITIES.0,
            Some(p) if p < PRIORITIES.1 => p.saturating_add(1),
            Some(_) => {
                return Err(Error::Options(format!(
                    "the group's {} rules use priority {}, leaving none for the deny rule that \
                     keeps Azure's default rules from allowing what the source denies",
                    direction.name(),
                    PRIORITIES.1
                )));
            }
        };
        let name = format!("sgconv-deny-all-{dir}");
        report.group(gi).push(
            Field::Rule,
            Kind::Rewritten,
            Some(name.clone()),
            format!(
                "a final {} deny-all rule at priority {at}, so that Azure's default rules (which \
                 allow VirtualNetwork{} traffic) allow nothing the source denies; same meaning",
                direction.name(),
                if direction == Direction::Ingress {
                    " and load balancer"
                } else {
                    " and Internet"
                }
            ),
        );
        let star = || Some("*".to_owned());
        out.push(OutRule {
            name,
            properties: OutProps {
                description: None,
                protocol: "*",
                source_port_range: "*",
                destination_port_range: star(),
                destination_port_ranges: None,
                source_address_prefix: star(),
                source_application_security_groups: None,
                destination_address_prefix: star(),
                destination_application_security_groups: None,
                access: "Deny",
                priority: at,
                direction: if direction == Direction::Ingress {
                    "Inbound"
                } else {
                    "Outbound"
                },
            },
        });
    }
    Ok(out)
}
