//! `openstack security group rule list -f json`: python-openstackclient's table of rules, a
//! bare list of rows keyed by column (`ID`, `IP Protocol`, `Ethertype`, `IP Range`, `Port
//! Range`, `Direction`, `Remote Security Group`, `Remote Address Group`, and `Security
//! Group` when no group was named), as `ListSecurityGroupRule` and the formatters in
//! `openstackclient/network/utils.py` print them
//! (<https://opendev.org/openstack/python-openstackclient/src/branch/master/openstackclient/network/v2/security_group_rule.py>).
//!
//! The table loses what the API says, and each loss is read the narrow way and reported:
//! - `Port Range` of an ICMP rule prints the type and code only when they are not 0
//!   (`format_network_port_range` tests them for truth): `""` is every type, type 0 or type 0
//!   code 0, and `type=3` is type 3 with every code or with code 0. Each is read as its
//!   narrowest meaning (type 0 code 0; type 3 code 0), reported as narrowed;
//! - the group's statefulness is not in the table: the import options say it
//!   (`--stateful`), else the group is read as stateless (no replies allowed beyond the
//!   rules), reported as narrowed;
//! - descriptions, the group's name, and whether the table is one page (`--limit`) are not
//!   in it: noted;
//! - a table without the `Direction`, `Ethertype`, `Remote Security Group` or `Remote Address
//!   Group` column (clients before 2020 printed fewer columns; a rule naming an address group
//!   then shows as `0.0.0.0/0`) is refused rather than guessed.

use std::sync::Arc;

use serde::Deserialize;

use super::wire::{Checked, read_protocol};
use crate::model::{Direction, Family, Origin, Remote, Rule, RuleSpec};
use crate::providers::neutron;
use crate::providers::read::{self, Item, ReadRule};
use crate::report::{Change, Field, Kind, Report};

/// A column that may hold null: `None` when the row has no such key, `Some(None)` for null.
type Column = Option<Option<String>>;

/// Read a nullable column, keeping whether it was there (see [`Column`]).
fn column<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Column, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

crate::providers::wire_struct::wire_struct! {
    /// One row of the table.
    pub(super) struct Row {
        #[serde(default, rename = "ID", deserialize_with = "column")]
        id: Column,
        #[serde(default, rename = "IP Protocol", deserialize_with = "column")]
        protocol: Column,
        #[serde(default, rename = "Ethertype", deserialize_with = "column")]
        ethertype: Column,
        #[serde(default, rename = "IP Range", deserialize_with = "column")]
        ip_range: Column,
        #[serde(default, rename = "Port Range", deserialize_with = "column")]
        port_range: Column,
        #[serde(default, rename = "Direction", deserialize_with = "column")]
        direction: Column,
        #[serde(default, rename = "Remote Security Group", deserialize_with = "column")]
        remote_group: Column,
        #[serde(default, rename = "Remote Address Group", deserialize_with = "column")]
        remote_address_group: Column,
        #[serde(default, rename = "Security Group", deserialize_with = "column")]
        group: Column,
    }
}

/// A row read while it is decoded, so errors carry its path and line:column.
pub(super) struct TableRow(pub(super) Checked);

impl<'de> Deserialize<'de> for TableRow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let row = Row::deserialize(d)?;
        let group_id = row.group.as_ref().and_then(|g| g.as_deref()).map(Arc::from);
        let read = read_row(row).map_err(serde::de::Error::custom)?;
        Ok(TableRow(Checked { read, group_id }))
    }
}

impl Item for TableRow {
    fn share(&mut self, previous: &TableRow) {
        self.0.share(&previous.0);
    }

    fn changes(&mut self) -> Option<&mut Vec<Change>> {
        self.0.changes()
    }
}

/// The error of a row without the column `name`.
fn missing(name: &str) -> String {
    format!(
        "the row has no {name:?} column; expected a row of `openstack security group rule list \
         -f json` (ID, IP Protocol, Ethertype, IP Range, Port Range, Direction, Remote Security \
         Group, Remote Address Group), which python-openstackclient prints since 2020; a list of \
         Neutron rules is wrapped as {{security_group_rules: [...]}}"
    )
}

/// A column every row must have, with a value.
fn required(value: Column, name: &str) -> Result<String, String> {
    match value {
        Some(Some(v)) => Ok(v),
        Some(None) => Err(format!("the row's {name:?} is null")),
        None => Err(missing(name)),
    }
}

/// A remote column that may be null but must be there.
fn remote_column(value: Column, name: &str) -> Result<Option<String>, String> {
    match value {
        Some(v) => Ok(v.filter(|s| !s.is_empty())),
        None => Err(format!(
            "the row has no {name:?} column, so a rule naming a remote {} would read as its IP \
             Range (0.0.0.0/0): list the rules with a client that prints the column \
             (python-openstackclient 5.3 or later)",
            if name.contains("Address") {
                "address group"
            } else {
                "group"
            }
        )),
    }
}

/// python-openstackclient's `is_icmp_protocol`: the texts whose `Port Range` is a type/code.
fn icmp_text(protocol: Option<&str>) -> bool {
    matches!(protocol, Some("icmp" | "icmpv6" | "ipv6-icmp" | "1" | "58"))
}

fn number(text: &str, what: &str, whole: &str) -> Result<i64, String> {
    match text.parse::<u32>() {
        Ok(n) if !text.starts_with('+') && n > 0 => Ok(i64::from(n)),
        _ => Err(format!(
            "Port Range {whole:?}: {what} {text:?} is not a number python-openstackclient prints \
             (it leaves out 0)"
        )),
    }
}

/// `port_range_min`/`port_range_max` of a `Port Range` text, each ICMP reading narrowed to its
/// narrowest meaning and reported.
fn port_range(
    text: &str,
    icmp: bool,
    changes: &mut Vec<Change>,
) -> Result<(Option<i64>, Option<i64>), String> {
    let mut narrowed = |read_as: &str, could: &str| {
        changes.push(Change::new(
            Field::Icmp,
            Kind::Narrowed,
            Some(format!("Port Range {text:?}")),
            format!(
                "the table prints no ICMP type or code that is 0, so this rule may also be {could}; \
                 read as {read_as}, the narrowest (`openstack security group rule show` or the \
                 API says which)"
            ),
        ));
    };
    if !icmp {
        if text.is_empty() {
            return Ok((None, None));
        }
        let (a, b) = text
            .split_once(':')
            .ok_or_else(|| format!("Port Range {text:?} is not empty or MIN:MAX"))?;
        return Ok((Some(number(a, "MIN", text)?), Some(number(b, "MAX", text)?)));
    }
    if text.is_empty() {
        narrowed(
            "type 0 code 0",
            "every ICMP type, or type 0 with every code",
        );
        return Ok((Some(0), Some(0)));
    }
    if let Some(code) = text.strip_prefix(":code=") {
        return Ok((Some(0), Some(number(code, "code", text)?)));
    }
    let Some(rest) = text.strip_prefix("type=") else {
        return Err(format!(
            "Port Range {text:?} of an ICMP rule is not empty, type=T, type=T:code=C or :code=C"
        ));
    };
    match rest.split_once(":code=") {
        Some((t, c)) => Ok((
            Some(number(t, "type", text)?),
            Some(number(c, "code", text)?),
        )),
        None => {
            let t = number(rest, "type", text)?;
            narrowed(
                &format!("type {t} code 0"),
                &format!("type {t} with every code"),
            );
            Ok((Some(t), Some(0)))
        }
    }
}

fn read_row(row: Row) -> Result<ReadRule, String> {
    let mut changes = Vec::new();
    let direction = match required(row.direction, "Direction")?.as_str() {
        "ingress" => Direction::Ingress,
        "egress" => Direction::Egress,
        other => return Err(format!("Direction {other:?} is not ingress or egress")),
    };
    let family = match required(row.ethertype, "Ethertype")?.as_str() {
        "IPv4" => Family::V4,
        "IPv6" => Family::V6,
        other => return Err(format!("Ethertype {other:?} is not IPv4 or IPv6")),
    };
    let protocol_text = row.protocol.ok_or_else(|| missing("IP Protocol"))?;
    let ports_text = required(row.port_range, "Port Range")?;
    let group = remote_column(row.remote_group, "Remote Security Group")?;
    let set = remote_column(row.remote_address_group, "Remote Address Group")?;
    let range = row.ip_range.ok_or_else(|| missing("IP Range"))?;
    let protocol = read_protocol(protocol_text.as_deref(), &mut changes)?;
    let protocol = neutron::family_protocol(protocol, family, &mut changes)?;
    let (min, max) = port_range(
        &ports_text,
        icmp_text(protocol_text.as_deref()),
        &mut changes,
    )?;
    let (ports, icmp) = neutron::read_ports(protocol, min, max)?;
    // python-openstackclient prints a missing remote_ip_prefix as the family's 0.0.0.0/0 or
    // ::/0 (`format_remote_ip_prefix`), beside a remote group too.
    let any_range = range
        .as_deref()
        .is_none_or(|r| r == "0.0.0.0/0" || r == "::/0");
    let remote = match (group, set) {
        (Some(_), Some(_)) => {
            return Err(
                "Remote Security Group and Remote Address Group are both given; Neutron \
                        takes one remote"
                    .into(),
            );
        }
        (Some(g), None) | (None, Some(g)) if !any_range => {
            return Err(format!(
                "IP Range {:?} beside the remote {g:?}; Neutron takes one remote",
                range.unwrap_or_default()
            ));
        }
        (Some(g), None) => Remote::Group(g),
        (None, Some(s)) => Remote::AddressGroup(s),
        (None, None) => match range.as_deref() {
            None => Remote::Any,
            Some(r) => read::cidr(r, family, "Ethertype", &mut changes)?,
        },
    };
    let spec = RuleSpec {
        protocol,
        ports,
        icmp,
        remote,
        origin: Origin::with_id(row.id.flatten().map(std::sync::Arc::from)),
        ..RuleSpec::new(direction, family)
    };
    let rule = Rule::new(spec).map_err(|e| e.to_string())?;
    Ok(ReadRule { rule, changes })
}

/// Say, per group of a table, what the table cannot: statefulness (from `stateful`, else read
/// as stateless), descriptions, names, pages.
pub(super) fn losses(
    groups: &mut [crate::model::SecurityGroup],
    stateful: Option<bool>,
    report: &mut Report,
) {
    for (gi, group) in groups.iter_mut().enumerate() {
        group.stateful = stateful.unwrap_or(false);
        if stateful.is_none() {
            report.group(gi).push(
                Field::Stateful,
                Kind::Narrowed,
                None,
                "the table does not say whether the group is stateful (Neutron's `stateful`, true \
                 by default); read as stateless, which allows no replies beyond the rules \
                 (narrowed): give --stateful true or false",
            );
        }
        report.group(gi).push(
            Field::Group,
            Kind::Note,
            None,
            "a rule table carries no descriptions and no group name, and does not say whether \
             it is one page of a longer list (--limit/--marker)",
        );
    }
}
