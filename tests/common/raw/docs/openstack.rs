//! OpenStack Neutron, read from the Networking API v2.0 reference only
//! (https://docs.openstack.org/api-ref/network/v2/#security-groups-security-groups and
//! #security-group-rules-security-group-rules) and neutron-lib's protocol table
//! (`neutron_lib/constants.py`, `IP_PROTOCOL_MAP`, `IP_PROTOCOL_NAME_ALIASES`).
//!
//! What it reads, in its own words:
//! - a group allows the union of its rules and denies what no rule allows; it is stateful
//!   unless `stateful` is false;
//! - `ethertype` is IPv4 (also when left out) or IPv6; `protocol` is null or `any` (all), a
//!   name of neutron-lib's table, or a number 0-255; `icmp` with IPv6 means ipv6-icmp;
//! - on tcp, udp, dccp, sctp, udplite the range is port_range_min..=port_range_max (both or
//!   neither); on icmp/ipv6-icmp port_range_min is the type and port_range_max the code;
//! - one of remote_ip_prefix, remote_group_id, remote_address_group_id (written `ag:<id>`).
//!
//! Shapes: `{security_group: {...}}` (with `security_group_rules` inside or beside it), the
//! bare group with `id` and `rules` (`openstack security group show -f json`),
//! `{security_groups: [...]}`, `{security_group_rules: [...]}`, `{security_group_rule: {...}}`;
//! a list with a `next` link in its `*_links` (pagination) is incomplete; a bare list is
//! `openstack security group rule list -f json` (`openstack_table.rs`).

use serde_json::{Map, Value};

use super::super::{Dir, Evaluation, Group, Proto, Remote, Rule};
use super::{
    R, add_to_group, array, check_keys, dir_of, incomplete, object, opt_int, opt_str, or_one_group,
    parse_cidr, port, unknown,
};

const RULE: &[&str] = &[
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
    "remote_address_group_id",
    "normalized_cidr",
    "description",
    "id",
    "security_group_id",
    "project_id",
    "tenant_id",
    "revision_number",
    "created_at",
    "updated_at",
    "tags",
    "belongs_to_default_sg",
    "standard_attr_id",
];

const GROUP: &[&str] = &[
    "id",
    "name",
    "description",
    "stateful",
    "security_group_rules",
    "rules",
    "tags",
    "project_id",
    "tenant_id",
    "revision_number",
    "created_at",
    "updated_at",
    "shared",
];

pub fn openstack_doc(v: &Value, path: &str, given: &super::Given) -> R<Vec<Group>> {
    if let Value::Array(rows) = v {
        return super::openstack_table::table(rows, path, given);
    }
    let o = object(v, path)?;
    if let Some(g) = o.get("security_group") {
        check_keys(o, &["security_group", "security_group_rules"], path)?;
        let p = format!("{path}.security_group");
        let mut group = group(object(g, &p)?, &p)?;
        if let Some(extra) = o.get("security_group_rules") {
            let p = format!("{path}.security_group_rules");
            if let Evaluation::AllowOnly(rules) = &mut group.eval {
                rules.extend(rules_of(array(extra, &p)?, &p)?);
            }
        }
        return Ok(vec![group]);
    }
    if let Some(list) = o.get("security_groups") {
        check_keys(o, &["security_groups", "security_groups_links"], path)?;
        more_pages(o, "security_groups_links", path)?;
        let p = format!("{path}.security_groups");
        return array(list, &p)?
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let gp = format!("{p}[{i}]");
                group(object(g, &gp)?, &gp)
            })
            .collect();
    }
    if let Some(r) = o.get("security_group_rule") {
        check_keys(o, &["security_group_rule"], path)?;
        let p = format!("{path}.security_group_rule");
        return Ok(vec![allow_only(vec![rule(r, &p)?], true)]);
    }
    if o.contains_key("id") && o.contains_key("rules") {
        return Ok(vec![group(o, path)?]);
    }
    if let Some(list) = o.get("security_group_rules") {
        check_keys(
            o,
            &["security_group_rules", "security_group_rules_links"],
            path,
        )?;
        more_pages(o, "security_group_rules_links", path)?;
        let p = format!("{path}.security_group_rules");
        // Rules of several groups: one group each, by security_group_id.
        let mut groups: Vec<(Option<String>, Vec<Rule>)> = Vec::new();
        for (i, r) in array(list, &p)?.iter().enumerate() {
            let rp = format!("{p}[{i}]");
            let id = opt_str(object(r, &rp)?, "security_group_id", &rp)?;
            let parsed = rule(r, &rp)?;
            add_to_group(&mut groups, id, [parsed]);
        }
        return Ok(or_one_group(groups)
            .into_iter()
            .map(|(id, rules)| {
                let mut g = allow_only(rules, true);
                g.id = id;
                g
            })
            .collect());
    }
    Err(unknown(path, "no Neutron shape"))
}

/// A list's `<resources>_links` (the API reference's pagination): a `next` link means more
/// pages.
fn more_pages(o: &Map<String, Value>, key: &str, path: &str) -> R<()> {
    let Some(links) = o.get(key) else {
        return Ok(());
    };
    let p = format!("{path}.{key}");
    for (i, l) in array(links, &p)?.iter().enumerate() {
        let lp = format!("{p}[{i}]");
        let lo = object(l, &lp)?;
        check_keys(lo, &["href", "rel"], &lp)?;
        if opt_str(lo, "rel", &lp)?.as_deref() == Some("next") {
            return Err(incomplete(format!("{p}: a next page")));
        }
    }
    Ok(())
}

fn allow_only(rules: Vec<Rule>, stateful: bool) -> Group {
    Group {
        id: None,
        name: None,
        eval: Evaluation::AllowOnly(rules),
        stateful: Some(stateful),
        platform_smtp_block: false,
    }
}

fn group(o: &Map<String, Value>, path: &str) -> R<Group> {
    check_keys(o, GROUP, path)?;
    let stateful = match o.get("stateful") {
        None | Some(Value::Null) | Some(Value::Bool(true)) => true,
        Some(Value::Bool(false)) => false,
        Some(_) => return Err(unknown(&format!("{path}.stateful"), "not a boolean")),
    };
    let mut rules = Vec::new();
    for k in ["security_group_rules", "rules"] {
        if let Some(list) = o.get(k) {
            let p = format!("{path}.{k}");
            rules.extend(rules_of(array(list, &p)?, &p)?);
        }
    }
    let mut g = allow_only(rules, stateful);
    g.id = opt_str(o, "id", path)?;
    g.name = opt_str(o, "name", path)?;
    Ok(g)
}

fn rules_of(items: &[Value], path: &str) -> R<Vec<Rule>> {
    items
        .iter()
        .enumerate()
        .map(|(i, r)| rule(r, &format!("{path}[{i}]")))
        .collect()
}

/// neutron-lib's `IP_PROTOCOL_MAP` and the `icmpv6` alias.
fn proto(name: &str, v6: bool, path: &str) -> R<Proto> {
    let n = match name {
        "any" => return Ok(Proto::Any),
        "ah" => 51,
        "dccp" => 33,
        "egp" => 8,
        "esp" => 50,
        "gre" => 47,
        "hopopt" => 0,
        "icmp" if v6 => 58,
        "icmp" => 1,
        "icmpv6" => 58,
        "igmp" => 2,
        "ipip" => 4,
        "ipv6-encap" => 41,
        "ipv6-frag" => 44,
        "ipv6-icmp" => 58,
        "ipv6-nonxt" => 59,
        "ipv6-opts" => 60,
        "ipv6-route" => 43,
        "ospf" => 89,
        "pgm" => 113,
        "rsvp" => 46,
        "sctp" => 132,
        "tcp" => 6,
        "udp" => 17,
        "udplite" => 136,
        "vrrp" => 112,
        s => match s.parse::<u8>() {
            Ok(n) if !s.starts_with('+') => return Ok(Proto::Num(n)),
            _ => return Err(unknown(path, format!("undocumented protocol `{s}`"))),
        },
    };
    if (name.starts_with("ipv6-") || name == "icmpv6") && !v6 {
        return Err(unknown(path, format!("{name} with IPv4 is invalid")));
    }
    Ok(Proto::Num(n))
}

pub(super) fn rule(v: &Value, path: &str) -> R<Rule> {
    let o = object(v, path)?;
    check_keys(o, RULE, path)?;
    let dir: Dir = dir_of(o.get("direction"), "ingress", "egress", path)?;
    let v6 = match opt_str(o, "ethertype", path)?.as_deref() {
        None | Some("IPv4") => false,
        Some("IPv6") => true,
        Some(e) => {
            return Err(unknown(
                &format!("{path}.ethertype"),
                format!("ethertype `{e}`"),
            ));
        }
    };
    let proto = match opt_str(o, "protocol", path)? {
        None => Proto::Any,
        Some(s) => proto(&s, v6, &format!("{path}.protocol"))?,
    };
    let lo = opt_int(o, "port_range_min", path)?;
    let hi = opt_int(o, "port_range_max", path)?;
    let pp = format!("{path}.port_range_min");
    let (mut ports, mut icmp) = (None, None);
    match proto {
        Proto::Num(6 | 17 | 33 | 132 | 136) => match (lo, hi) {
            (None, None) => {}
            (Some(a), Some(b)) if a <= b => ports = Some(vec![(port(a, &pp)?, port(b, &pp)?)]),
            _ => return Err(unknown(&pp, "ports: both or neither, min <= max")),
        },
        Proto::Num(1 | 58) => match (lo, hi) {
            (None, None) => {}
            (Some(t), c) if (0..=255).contains(&t) && c.is_none_or(|c| (0..=255).contains(&c)) => {
                icmp = Some((t as u8, c.map(|c| c as u8)))
            }
            _ => return Err(unknown(&pp, "ICMP type/code: 0..255, code needs a type")),
        },
        _ if lo.is_some() || hi.is_some() => {
            return Err(unknown(&pp, "ports on a protocol without ports"));
        }
        _ => {}
    }
    let prefix = opt_str(o, "remote_ip_prefix", path)?;
    let group = opt_str(o, "remote_group_id", path)?;
    let set = opt_str(o, "remote_address_group_id", path)?;
    let remote = match (prefix, group, set) {
        (None, None, None) => Remote::Any,
        (Some(p), None, None) => {
            let c = parse_cidr(&p, &format!("{path}.remote_ip_prefix"))?;
            if c.v6 != v6 {
                return Err(unknown(
                    &format!("{path}.remote_ip_prefix"),
                    "family differs from ethertype",
                ));
            }
            Remote::Cidr(c)
        }
        (None, Some(g), None) => Remote::Group(g),
        (None, None, Some(s)) => Remote::Group(format!("ag:{s}")),
        _ => return Err(unknown(path, "the three remotes are exclusive")),
    };
    Ok(Rule {
        dir,
        v6,
        proto,
        ports,
        icmp,
        remote,
        allow: true,
    })
}
