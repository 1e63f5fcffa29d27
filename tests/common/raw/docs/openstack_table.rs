//! `openstack security group rule list -f json`, read from python-openstackclient's source
//! only (`openstackclient/network/v2/security_group_rule.py`, `ListSecurityGroupRule`, and
//! `openstackclient/network/utils.py`, `format_network_port_range` and
//! `format_remote_ip_prefix`, in https://opendev.org/openstack/python-openstackclient).
//!
//! What it reads, in its own words: each row is a Neutron rule printed with its `Port Range`
//! formatted (`MIN:MAX` for ports; for ICMP `type=T`, `:code=C`, each only when it is not 0
//! or null, so `""` is every type, type 0 or type 0 code 0, and `type=T` is code 0 or every
//! code) and a missing prefix printed as the family's `0.0.0.0/0` or `::/0`. Each row's
//! readings are its narrowest one (matching) and its widest one (partial); statefulness is
//! what the test gives, else both.

use serde_json::{Map, Value, json};

use super::super::{Evaluation, Group, Ordered};
use super::{Given, R, add_to_group, check_keys, object, opt_str, or_one_group, unknown};

const COLUMNS: &[&str] = &[
    "ID",
    "IP Protocol",
    "Ethertype",
    "IP Range",
    "Port Range",
    "Direction",
    "Remote Security Group",
    "Remote Address Group",
    "Security Group",
];

/// `port_range_min`/`port_range_max` readings of a `Port Range`: the narrowest, and a wider
/// one where the table cannot tell them apart.
type Ports = ((Value, Value), Option<(Value, Value)>);

fn number(t: &str, path: &str) -> R<u64> {
    match t.parse::<u64>() {
        Ok(n) if n > 0 && !t.starts_with(['+', '0']) => Ok(n),
        _ => Err(unknown(
            path,
            format!("`{t}` is not what the client prints"),
        )),
    }
}

fn ports(text: &str, icmp: bool, path: &str) -> R<Ports> {
    let null = || (Value::Null, Value::Null);
    if !icmp {
        if text.is_empty() {
            return Ok((null(), None));
        }
        let (a, b) = text
            .split_once(':')
            .ok_or_else(|| unknown(path, "not MIN:MAX"))?;
        return Ok(((json!(number(a, path)?), json!(number(b, path)?)), None));
    }
    if text.is_empty() {
        return Ok(((json!(0), json!(0)), Some(null())));
    }
    if let Some(c) = text.strip_prefix(":code=") {
        return Ok(((json!(0), json!(number(c, path)?)), None));
    }
    let rest = text
        .strip_prefix("type=")
        .ok_or_else(|| unknown(path, "not type=T[:code=C] or :code=C"))?;
    Ok(match rest.split_once(":code=") {
        Some((t, c)) => ((json!(number(t, path)?), json!(number(c, path)?)), None),
        None => {
            let t = json!(number(rest, path)?);
            ((t.clone(), json!(0)), Some((t, Value::Null)))
        }
    })
}

/// A row as the Neutron rule it prints, with `min`/`max` as its ports.
fn neutron(o: &Map<String, Value>, (min, max): (Value, Value), path: &str) -> R<Value> {
    let mut r = Map::new();
    for (column, key) in [
        ("Direction", "direction"),
        ("Ethertype", "ethertype"),
        ("IP Protocol", "protocol"),
    ] {
        r.insert(key.into(), o[column].clone());
    }
    r.insert("port_range_min".into(), min);
    r.insert("port_range_max".into(), max);
    let range = opt_str(o, "IP Range", path)?;
    let any = range
        .as_deref()
        .is_none_or(|r| r == "0.0.0.0/0" || r == "::/0");
    let group = opt_str(o, "Remote Security Group", path)?;
    let set = opt_str(o, "Remote Address Group", path)?;
    match (group, set) {
        (Some(_), Some(_)) => return Err(unknown(path, "two remote columns")),
        (Some(_), None) | (None, Some(_)) if !any => {
            return Err(unknown(path, "an IP Range beside a remote"));
        }
        (Some(g), None) => r.insert("remote_group_id".into(), json!(g)),
        (None, Some(s)) => r.insert("remote_address_group_id".into(), json!(s)),
        (None, None) => r.insert("remote_ip_prefix".into(), json!(range)),
    };
    Ok(Value::Object(r))
}

/// Read a table of rows (a bare list).
pub(super) fn table(items: &[Value], path: &str, given: &Given) -> R<Vec<Group>> {
    let mut groups: Vec<(Option<String>, Vec<Ordered>)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let o = object(item, &p)?;
        check_keys(o, COLUMNS, &p)?;
        if let Some(c) = COLUMNS[..8].iter().find(|c| !o.contains_key(**c)) {
            return Err(unknown(&p, format!("a table without the {c} column")));
        }
        let protocol = opt_str(o, "IP Protocol", &p)?;
        let icmp = matches!(
            protocol.as_deref(),
            Some("icmp" | "icmpv6" | "ipv6-icmp" | "1" | "58")
        );
        let text =
            opt_str(o, "Port Range", &p)?.ok_or_else(|| unknown(&p, "Port Range is null"))?;
        let (narrow, wide) = ports(&text, icmp, &format!("{p}.Port Range"))?;
        let mut read = vec![(narrow, false)];
        read.extend(wide.map(|w| (w, true)));
        let mut rules = Vec::new();
        for (ports, partial) in read {
            let rule = super::openstack::rule(&neutron(o, ports, &p)?, &p)?;
            rules.push(Ordered {
                rule,
                priority: 0,
                partial,
            });
        }
        let id = opt_str(o, "Security Group", &p)?;
        add_to_group(&mut groups, id, rules);
    }
    Ok(or_one_group(groups)
        .into_iter()
        .map(|(id, rules)| Group {
            id,
            name: None,
            eval: Evaluation::Ordered(rules),
            stateful: given.stateful,
            platform_smtp_block: false,
        })
        .collect())
}
