//! Writing a fitted group: its rules as set-rules items, its tags, its SMTP setting (shared by
//! the API document and the Terraform configuration).

use super::SMTP_BLOCK;
use super::wire::{OutRule, WireDirection, WireProtocol};
use crate::error::Error;
use crate::model::{CidrText, Family, Icmp, Protocol, Remote, Rule, SecurityGroup};
use crate::report::{Field, Kind, Report};

/// `enable_default_security` as the group's platform blocks say (`None`: they do not).
pub(super) fn default_security(group: &SecurityGroup) -> Option<bool> {
    group
        .platform_blocks
        .as_ref()
        .map(|blocks| blocks.iter().any(|b| b.name == SMTP_BLOCK.name))
}

/// A fitted group's rules as set-rules items, positions 1..N in evaluation order; a priority
/// is reported once per input rule (rules split by the fit pass share an origin).
pub(super) fn out_rules(
    group: &SecurityGroup,
    gi: usize,
    report: &mut Report,
) -> Result<Vec<OutRule>, Error> {
    let mut rules = Vec::with_capacity(group.rules.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, rule) in group.rules.iter().enumerate() {
        if seen.insert(rule.origin().index)
            && let Some(p) = rule.priority()
        {
            report.rule(gi, rule.origin()).push(
                Field::Priority,
                Kind::Metadata,
                Some(p.to_string()),
                "priority carried as the rule's position in evaluation order",
            );
        }
        rules.push(out_rule(rule, i.saturating_add(1))?);
    }
    Ok(rules)
}

/// Scaleway tags are plain strings: a tag with a value is written `key=value`.
pub(super) fn tags(group: &SecurityGroup, gi: usize, report: &mut Report) -> Vec<String> {
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
