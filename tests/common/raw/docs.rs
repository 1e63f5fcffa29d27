//! Reading raw provider documents: every documented key, every documented shape, nothing else.
//! Sources: each provider's public documentation (cited at the head of its section below);
//! the shapes sgconv accepts and writes: the module docs of its providers and envelope.

use serde_json::{Map, Value};

use super::{Cidr, Dir, Evaluation, Group, Meaning, Proto, Remote, Rule};

mod aws;
mod azure;
mod openstack;
mod openstack_table;

/// What a test states about a document that cannot say it itself (a Scaleway rule list's
/// default policies and statefulness; the default priority of a Huawei rule without one).
#[derive(Clone, Debug, Default)]
pub struct Given {
    pub inbound_accept: Option<bool>,
    pub outbound_accept: Option<bool>,
    pub stateful: Option<bool>,
    pub huawei_default_priority: Option<u16>,
    /// The direction of an AWS authorize request body (the operation says it, not the body).
    pub aws_direction: Option<Dir>,
}

type R<T> = Result<T, Meaning>;

fn unknown(path: &str, why: impl Into<String>) -> Meaning {
    Meaning::Unknown {
        path: path.to_owned(),
        why: why.into(),
    }
}

fn incomplete(why: impl Into<String>) -> Meaning {
    Meaning::Incomplete { why: why.into() }
}

/// Read `text` as a document of `provider` ("gcore-v1", "gcore-v2", "huawei", "scaleway",
/// "aws-ec2", "openstack", "azure-nsg").
pub fn evaluate(text: &str, provider: &str, given: &Given) -> Meaning {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return unknown("$", format!("not JSON: {e}")),
    };
    if let Ok(Dup(Some(key))) = serde_json::from_str::<Dup>(text) {
        return unknown(
            &key,
            "a key given twice: which one counts is not documented",
        );
    }
    let doc: fn(&Value, &str, &Given) -> R<Vec<Group>> = match provider {
        "gcore-v1" | "gcore-v2" => gcore_doc,
        "huawei" => huawei_doc,
        "scaleway" => scaleway_doc,
        "aws-ec2" => aws::aws_doc,
        "openstack" => openstack::openstack_doc,
        "azure-nsg" => azure::azure_doc,
        other => return unknown("$", format!("no raw reading of provider {other}")),
    };
    match envelope_or(&v, given, doc) {
        Ok(g) => Meaning::Groups(g),
        Err(m) => m,
    }
}

fn envelope_or(
    v: &Value,
    given: &Given,
    doc: fn(&Value, &str, &Given) -> R<Vec<Group>>,
) -> R<Vec<Group>> {
    let Some(obj) = v.as_object().filter(|o| o.contains_key("groups")) else {
        return doc(v, "$", given);
    };
    if let Some(other) = obj.keys().find(|k| *k != "groups") {
        return Err(unknown(
            &format!("$.{other}"),
            "`groups` (an envelope) beside another key: two shapes at once",
        ));
    }
    let items = obj["groups"]
        .as_array()
        .ok_or_else(|| unknown("$.groups", "not an array"))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("$.groups[{i}]");
        let o = object(item, &path)?;
        check_keys(o, &["name", "id", "document"], &path)?;
        let d = o
            .get("document")
            .ok_or_else(|| unknown(&path, "envelope item without document"))?;
        let mut groups = doc(d, &format!("{path}.document"), given)?;
        if groups.len() == 1 {
            let g = &mut groups[0];
            if g.id.is_none() {
                g.id = opt_str(o, "id", &path)?;
            }
            if g.name.is_none() {
                g.name = opt_str(o, "name", &path)?;
            }
        }
        out.extend(groups);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// helpers

fn object<'a>(v: &'a Value, path: &str) -> R<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| unknown(path, "expected an object"))
}

fn array<'a>(v: &'a Value, path: &str) -> R<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| unknown(path, "expected an array"))
}

fn check_keys(o: &Map<String, Value>, known: &[&str], path: &str) -> R<()> {
    match o.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(unknown(
            &format!("{path}.{k}"),
            format!("undocumented key `{k}`"),
        )),
        None => Ok(()),
    }
}

/// A key's value, with `null` read as absent.
fn get<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    o.get(k).filter(|v| !v.is_null())
}

/// Adds `rules` to the group `id` of `groups` (a list's rules form one group per group id, in
/// order of first appearance).
pub(super) fn add_to_group<T>(
    groups: &mut Vec<(Option<String>, Vec<T>)>,
    id: Option<String>,
    rules: impl IntoIterator<Item = T>,
) {
    match groups.iter_mut().find(|(g, _)| *g == id) {
        Some((_, list)) => list.extend(rules),
        None => groups.push((id, rules.into_iter().collect())),
    }
}

/// `groups`, or one group without an id when there are none (an empty list is an empty group).
pub(super) fn or_one_group<T>(
    mut groups: Vec<(Option<String>, Vec<T>)>,
) -> Vec<(Option<String>, Vec<T>)> {
    if groups.is_empty() {
        groups.push((None, Vec::new()));
    }
    groups
}

fn opt_str(o: &Map<String, Value>, k: &str, path: &str) -> R<Option<String>> {
    match get(o, k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(unknown(&format!("{path}.{k}"), "expected a string")),
    }
}

fn opt_bool(o: &Map<String, Value>, k: &str, path: &str) -> R<Option<bool>> {
    match get(o, k) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(unknown(&format!("{path}.{k}"), "expected a boolean")),
    }
}

fn opt_int(o: &Map<String, Value>, k: &str, path: &str) -> R<Option<i64>> {
    match get(o, k) {
        None => Ok(None),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| unknown(&format!("{path}.{k}"), "integer out of range")),
        Some(_) => Err(unknown(&format!("{path}.{k}"), "expected an integer")),
    }
}

/// Decimal digits without a leading zero (or exactly "0").
fn plain_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// A CIDR or bare address. IPv4 octets with a leading zero parse two ways (octal under
/// inet_aton), so they are refused wherever they appear, IPv4-mapped IPv6 included.
pub fn parse_cidr(s: &str, path: &str) -> R<Cidr> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    if addr.contains('.') {
        let tail = addr.rsplit(':').next().unwrap_or(addr);
        for octet in tail.split('.') {
            if octet.len() > 1 && octet.starts_with('0') {
                return Err(unknown(
                    path,
                    format!("`{s}`: IPv4 octet with a leading zero (octal or decimal?)"),
                ));
            }
        }
    }
    let ip: std::net::IpAddr = addr
        .parse()
        .map_err(|_| unknown(path, format!("`{s}` is not an address")))?;
    let (v6, bits) = super::ip_bits(&ip);
    let width = if v6 { 128 } else { 32 };
    let len = match len {
        None => width,
        Some(l) => match plain_decimal(l) {
            Some(n) if n <= width as u64 => n as u8,
            _ => return Err(unknown(path, format!("`{s}`: bad prefix length"))),
        },
    };
    Ok(Cidr { v6, net: bits, len })
}

fn dir_of(v: Option<&Value>, inn: &str, out: &str, path: &str) -> R<Dir> {
    match v.and_then(Value::as_str) {
        Some(s) if s == inn => Ok(Dir::In),
        Some(s) if s == out => Ok(Dir::Out),
        _ => Err(unknown(
            &format!("{path}.direction"),
            "missing or undocumented direction",
        )),
    }
}

fn port(v: i64, path: &str) -> R<u16> {
    if (1..=65535).contains(&v) {
        Ok(v as u16)
    } else {
        Err(unknown(path, format!("port {v} outside 1..65535")))
    }
}

// ---------------------------------------------------------------------------------------------
// Gcore: the rule and group schemas of the cloud API's OpenAPI description (`cloud_api.yaml` in
// https://github.com/G-Core/product-documentation), the firewall guide
// (https://gcore.com/docs/cloud/networking/add-and-configure-a-firewall), and the checks Neutron
// makes behind the API (https://github.com/openstack/neutron, neutron/db/securitygroups_db.py).

const GCORE_RULE: &[&str] = &[
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
    "description",
    "id",
    "security_group_id",
    "revision_number",
    "created_at",
    "updated_at",
];

const GCORE_GROUP: &[&str] = &[
    "id",
    "name",
    "description",
    "project_id",
    "region_id",
    "region",
    "revision_number",
    "created_at",
    "updated_at",
    "tags_v2",
    "metadata",
    "tags",
    "security_group_rules",
];

const GCORE_BODY: &[&str] = &["name", "description", "rules", "tags"];

fn gcore_doc(v: &Value, path: &str, _given: &Given) -> R<Vec<Group>> {
    let rules = match v {
        Value::Array(items) => gcore_rules(items, path)?,
        Value::Object(o) => {
            let shapes: Vec<&str> = ["direction", "security_group_rules", "results", "rules"]
                .into_iter()
                .filter(|k| o.contains_key(*k))
                .collect();
            if shapes.len() > 1 {
                return Err(unknown(path, format!("two shapes at once: {shapes:?}")));
            }
            match shapes.first().copied() {
                Some("direction") => vec![gcore_rule(v, path)?],
                Some("security_group_rules") => return Ok(vec![gcore_group(o, path)?]),
                Some("results") => {
                    check_keys(o, &["count", "results"], path)?;
                    let items = array(&o["results"], &format!("{path}.results"))?;
                    if let Some(c) = opt_int(o, "count", path)?
                        && c > items.len() as i64
                    {
                        return Err(incomplete(format!(
                            "count {c} > {} results: more pages",
                            items.len()
                        )));
                    }
                    let mut out = Vec::new();
                    for (i, g) in items.iter().enumerate() {
                        let p = format!("{path}.results[{i}]");
                        let go = object(g, &p)?;
                        if !go.contains_key("security_group_rules") {
                            return Err(incomplete(format!("{p}: group without its rules")));
                        }
                        out.push(gcore_group(go, &p)?);
                    }
                    return Ok(out);
                }
                Some(_) => {
                    check_keys(o, GCORE_BODY, path)?;
                    gcore_tags(o, path)?;
                    let mut g = allow_only(gcore_rules(
                        array(&o["rules"], &format!("{path}.rules"))?,
                        &format!("{path}.rules"),
                    )?);
                    g.name = opt_str(o, "name", path)?;
                    return Ok(vec![g]);
                }
                None => return Err(unknown(path, "no Gcore shape")),
            }
        }
        _ => return Err(unknown(path, "no Gcore shape")),
    };
    Ok(vec![allow_only(rules)])
}

fn allow_only(rules: Vec<Rule>) -> Group {
    Group {
        id: None,
        name: None,
        eval: Evaluation::AllowOnly(rules),
        stateful: Some(true),
        platform_smtp_block: false,
    }
}

fn gcore_tags(o: &Map<String, Value>, path: &str) -> R<()> {
    for k in ["tags_v2", "metadata"] {
        if let Some(items) = get(o, k) {
            for (i, t) in array(items, &format!("{path}.{k}"))?.iter().enumerate() {
                let p = format!("{path}.{k}[{i}]");
                check_keys(object(t, &p)?, &["key", "value", "read_only"], &p)?;
            }
        }
    }
    match get(o, "tags") {
        None | Some(Value::Object(_)) => Ok(()),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(()),
        Some(_) => Err(unknown(&format!("{path}.tags"), "undocumented tags shape")),
    }
}

fn gcore_group(o: &Map<String, Value>, path: &str) -> R<Group> {
    check_keys(o, GCORE_GROUP, path)?;
    gcore_tags(o, path)?;
    let p = format!("{path}.security_group_rules");
    let mut g = allow_only(gcore_rules(array(&o["security_group_rules"], &p)?, &p)?);
    g.id = opt_str(o, "id", path)?;
    g.name = opt_str(o, "name", path)?;
    Ok(g)
}

fn gcore_rules(items: &[Value], path: &str) -> R<Vec<Rule>> {
    items
        .iter()
        .enumerate()
        .map(|(i, r)| gcore_rule(r, &format!("{path}[{i}]")))
        .collect()
}

fn gcore_proto(name: &str, v6: bool, path: &str) -> R<Proto> {
    let n = match name {
        "any" => return Ok(Proto::Any),
        "ah" => 51,
        "dccp" => 33,
        "egp" => 8,
        "esp" => 50,
        "gre" => 47,
        "icmp" => {
            if v6 {
                58
            } else {
                1
            }
        }
        "igmp" => 2,
        "ipencap" => 4,
        "ipip" => return Err(unknown(path, "`ipip` is 4 (neutron-lib) or 94 (IANA)")),
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
        s => match plain_decimal(s) {
            Some(n) if n <= 255 => return Ok(Proto::Num(n as u8)),
            _ => return Err(unknown(path, format!("undocumented protocol `{s}`"))),
        },
    };
    if name.starts_with("ipv6-") && !v6 {
        return Err(unknown(path, format!("{name} with IPv4 is invalid")));
    }
    Ok(Proto::Num(n))
}

fn gcore_rule(v: &Value, path: &str) -> R<Rule> {
    let o = object(v, path)?;
    check_keys(o, GCORE_RULE, path)?;
    let dir = dir_of(o.get("direction"), "ingress", "egress", path)?;
    let v6 = match opt_str(o, "ethertype", path)?.as_deref() {
        None | Some("IPv4") => false,
        Some("IPv6") => true,
        Some(e) => {
            return Err(unknown(
                &format!("{path}.ethertype"),
                format!("undocumented ethertype `{e}`"),
            ));
        }
    };
    let proto = match opt_str(o, "protocol", path)? {
        None => Proto::Any,
        Some(s) => gcore_proto(&s, v6, &format!("{path}.protocol"))?,
    };
    let lo = opt_int(o, "port_range_min", path)?;
    let hi = opt_int(o, "port_range_max", path)?;
    let pp = format!("{path}.port_range_min");
    let (mut ports, mut icmp) = (None, None);
    match proto {
        Proto::Num(n) if super::is_port_proto(n) => match (lo, hi) {
            (None, None) => {}
            (Some(a), Some(b)) if a <= b => ports = Some(vec![(port(a, &pp)?, port(b, &pp)?)]),
            _ => return Err(unknown(&pp, "ports: both or neither, min <= max")),
        },
        Proto::Num(n) if super::is_icmp_proto(n) => match (lo, hi) {
            (None, None) => {}
            (Some(t), c) if (0..=255).contains(&t) && c.is_none_or(|c| (0..=255).contains(&c)) => {
                icmp = Some((t as u8, c.map(|c| c as u8)))
            }
            _ => return Err(unknown(&pp, "ICMP type/code: 0..255, code needs a type")),
        },
        _ => {
            if lo.is_some() || hi.is_some() {
                return Err(unknown(&pp, "ports on a protocol without ports"));
            }
        }
    }
    let prefix = opt_str(o, "remote_ip_prefix", path)?;
    let group = opt_str(o, "remote_group_id", path)?;
    let remote = match (prefix, group) {
        (Some(_), Some(_)) => {
            return Err(unknown(
                path,
                "remote_ip_prefix and remote_group_id are exclusive",
            ));
        }
        (Some(p), None) => {
            let c = parse_cidr(&p, &format!("{path}.remote_ip_prefix"))?;
            if c.v6 != v6 {
                return Err(unknown(
                    &format!("{path}.remote_ip_prefix"),
                    "family differs from ethertype",
                ));
            }
            Remote::Cidr(c)
        }
        (None, Some(g)) => Remote::Group(g),
        (None, None) => Remote::Any,
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

// ---------------------------------------------------------------------------------------------
// Huawei VPC v3: the OpenAPI definitions of Huawei's API Explorer
// (https://docs.rs/crate/huawei-cloud-api-definitions-VPC/latest/source/src/CreateSecurityGroupRule.json
// and its neighbours ListSecurityGroupRules.json, CreateSecurityGroup.json), and the Huawei-authored
// API reference and user guide published by Open Telekom Cloud
// (https://github.com/opentelekomcloud-docs/virtual-private-cloud: api-ref/source/vpc_apis_v3/,
// umn/source/access_control/security_group/).

const HUAWEI_RULE: &[&str] = &[
    "id",
    "project_id",
    "security_group_id",
    "direction",
    "ethertype",
    "protocol",
    "multiport",
    "remote_ip_prefix",
    "remote_group_id",
    "remote_address_group_id",
    "action",
    "priority",
    "description",
    "created_at",
    "updated_at",
    "enabled",
];

const HUAWEI_GROUP: &[&str] = &[
    "id",
    "name",
    "description",
    "project_id",
    "enterprise_project_id",
    "tags",
    "created_at",
    "updated_at",
    "security_group_rules",
];

/// A Huawei rule with its priority (`None` = not given).
type HRule = (Rule, Option<u16>);
/// Rules of a list with the group each names; `None` for a disabled rule.
type HRules = Vec<(Option<String>, Option<HRule>)>;

fn huawei_doc(v: &Value, path: &str, given: &Given) -> R<Vec<Group>> {
    let mut rules: HRules = Vec::new();
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                let o = object(item, &p)?;
                if o.contains_key("security_group_rule") {
                    check_keys(o, &["security_group_rule", "dry_run"], &p)?;
                    rules.push(huawei_rule(
                        &o["security_group_rule"],
                        &format!("{p}.security_group_rule"),
                    )?);
                } else {
                    rules.push(huawei_rule(item, &p)?);
                }
            }
        }
        Value::Object(o) => {
            let shapes: Vec<&str> = [
                "security_group_rule",
                "security_group_rules",
                "security_group",
                "security_groups",
                "direction",
            ]
            .into_iter()
            .filter(|k| o.contains_key(*k))
            .collect();
            if shapes.len() > 1 {
                return Err(unknown(path, format!("two shapes at once: {shapes:?}")));
            }
            match shapes.first().copied() {
                Some("security_group_rule") => {
                    check_keys(o, &["security_group_rule", "dry_run", "request_id"], path)?;
                    rules.push(huawei_rule(
                        &o["security_group_rule"],
                        &format!("{path}.security_group_rule"),
                    )?);
                }
                Some("security_group_rules") => {
                    check_keys(
                        o,
                        &[
                            "security_group_rules",
                            "request_id",
                            "page_info",
                            "ignore_duplicate",
                            "dry_run",
                        ],
                        path,
                    )?;
                    if let Some(pi) = get(o, "page_info") {
                        let pp = format!("{path}.page_info");
                        let po = object(pi, &pp)?;
                        check_keys(
                            po,
                            &["previous_marker", "current_count", "next_marker"],
                            &pp,
                        )?;
                        if get(po, "next_marker").is_some() {
                            return Err(incomplete("page_info.next_marker: more pages follow"));
                        }
                    }
                    let p = format!("{path}.security_group_rules");
                    for (i, r) in array(&o["security_group_rules"], &p)?.iter().enumerate() {
                        rules.push(huawei_rule(r, &format!("{p}[{i}]"))?);
                    }
                }
                Some("security_group") => {
                    check_keys(o, &["security_group", "request_id"], path)?;
                    let gp = format!("{path}.security_group");
                    let go = object(&o["security_group"], &gp)?;
                    check_keys(go, HUAWEI_GROUP, &gp)?;
                    if let Some(tags) = get(go, "tags") {
                        for (i, t) in array(tags, &format!("{gp}.tags"))?.iter().enumerate() {
                            let tp = format!("{gp}.tags[{i}]");
                            check_keys(object(t, &tp)?, &["key", "value"], &tp)?;
                        }
                    }
                    let Some(rs) = go.get("security_group_rules") else {
                        return Err(incomplete("security_group without security_group_rules"));
                    };
                    let p = format!("{gp}.security_group_rules");
                    let mut list = Vec::new();
                    for (i, r) in array(rs, &p)?.iter().enumerate() {
                        if let (_, Some(rule)) = huawei_rule(r, &format!("{p}[{i}]"))? {
                            list.push(rule);
                        }
                    }
                    return Ok(vec![Group {
                        id: opt_str(go, "id", &gp)?,
                        name: opt_str(go, "name", &gp)?,
                        eval: Evaluation::Priority {
                            rules: list,
                            default_priority: given.huawei_default_priority,
                        },
                        stateful: Some(true),
                        platform_smtp_block: false,
                    }]);
                }
                Some("security_groups") => {
                    return Err(incomplete("a list of groups carries no rules"));
                }
                Some(_) => rules.push(huawei_rule(v, path)?),
                None => return Err(unknown(path, "no Huawei shape")),
            }
        }
        _ => return Err(unknown(path, "no Huawei shape")),
    }
    // a list's rules form one group per security_group_id, in order of appearance
    let mut groups: Vec<(Option<String>, Vec<HRule>)> = Vec::new();
    for (id, rule) in rules {
        add_to_group(&mut groups, id, rule);
    }
    Ok(or_one_group(groups)
        .into_iter()
        .map(|(id, rules)| Group {
            id,
            name: None,
            eval: Evaluation::Priority {
                rules,
                default_priority: given.huawei_default_priority,
            },
            stateful: Some(true),
            platform_smtp_block: false,
        })
        .collect())
}

/// (group id, the rule with its priority — `None` for a disabled rule).
fn huawei_rule(v: &Value, path: &str) -> R<(Option<String>, Option<HRule>)> {
    let o = object(v, path)?;
    check_keys(o, HUAWEI_RULE, path)?;
    let id = opt_str(o, "security_group_id", path)?;
    let dir = dir_of(o.get("direction"), "ingress", "egress", path)?;
    let v6 = match opt_str(o, "ethertype", path)?
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("ipv4") => false,
        Some("ipv6") => true,
        Some(e) => {
            return Err(unknown(
                &format!("{path}.ethertype"),
                format!("undocumented ethertype `{e}`"),
            ));
        }
    };
    let pp = format!("{path}.protocol");
    let proto = match opt_str(o, "protocol", path)?.as_deref() {
        None | Some("") => Proto::Any,
        Some("tcp") => Proto::Num(6),
        Some("udp") => Proto::Num(17),
        Some("icmp") if !v6 => Proto::Num(1),
        Some("icmpv6") if v6 => Proto::Num(58),
        Some(s) => match plain_decimal(s) {
            Some(n) if n <= 255 => Proto::Num(n as u8),
            _ => {
                return Err(unknown(
                    &pp,
                    format!("undocumented protocol `{s}` for this ethertype"),
                ));
            }
        },
    };
    let mp = format!("{path}.multiport");
    let ports = match get(o, "multiport") {
        None => None,
        Some(Value::String(s)) if s.is_empty() || s == "1-65535" => {
            if proto == Proto::Any {
                return Err(unknown(&mp, "ports without a protocol"));
            }
            None
        }
        Some(Value::String(s)) => {
            if !matches!(proto, Proto::Num(6) | Proto::Num(17)) {
                return Err(unknown(&mp, "multiport on a protocol other than tcp/udp"));
            }
            Some(multiport(s, &mp)?)
        }
        Some(_) => return Err(unknown(&mp, "multiport is a string")),
    };
    let remotes: Vec<(&str, String)> = [
        "remote_ip_prefix",
        "remote_group_id",
        "remote_address_group_id",
    ]
    .into_iter()
    .filter_map(|k| opt_str(o, k, path).transpose().map(|s| s.map(|s| (k, s))))
    .collect::<R<_>>()?;
    let remote = match remotes.as_slice() {
        [] => Remote::Any,
        [("remote_ip_prefix", p)] => {
            let c = parse_cidr(p, &format!("{path}.remote_ip_prefix"))?;
            if c.v6 != v6 {
                return Err(unknown(
                    &format!("{path}.remote_ip_prefix"),
                    "family differs from ethertype",
                ));
            }
            Remote::Cidr(c)
        }
        [("remote_group_id", g)] => Remote::Group(g.clone()),
        [(_, g)] => Remote::Group(format!("ag:{g}")),
        _ => return Err(unknown(path, "two remotes at once")),
    };
    let allow = match opt_str(o, "action", path)?.as_deref() {
        None | Some("allow") => true,
        Some("deny") => false,
        Some(a) => {
            return Err(unknown(
                &format!("{path}.action"),
                format!("undocumented action `{a}`"),
            ));
        }
    };
    let priority = match opt_int(o, "priority", path)? {
        None => None,
        Some(p) if (1..=100).contains(&p) => Some(p as u16),
        Some(p) => {
            return Err(unknown(
                &format!("{path}.priority"),
                format!("priority {p} outside 1..100"),
            ));
        }
    };
    let enabled = opt_bool(o, "enabled", path)?.unwrap_or(true);
    let rule = Rule {
        dir,
        v6,
        proto,
        ports,
        icmp: None,
        remote,
        allow,
    };
    Ok((id, enabled.then_some((rule, priority))))
}

fn multiport(s: &str, path: &str) -> R<Vec<(u16, u16)>> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for part in s.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let num = |t: &str| -> R<u16> {
            match plain_decimal(t) {
                Some(n) if (1..=65535).contains(&n) => Ok(n as u16),
                _ => Err(unknown(
                    path,
                    format!("`{s}`: `{t}` is not a port 1..65535 without leading zeros"),
                )),
            }
        };
        let (a, b) = (num(a)?, num(b)?);
        if a > b {
            return Err(unknown(path, format!("`{s}`: reversed range")));
        }
        if out.iter().any(|&(x, y)| a <= y && x <= b) {
            return Err(unknown(path, format!("`{s}`: overlapping port groups")));
        }
        out.push((a, b));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Scaleway Instance API v1: https://www.scaleway.com/en/developers/api/instance/security-groups
// and https://www.scaleway.com/en/docs/instances/how-to/use-security-groups/

const SCW_GROUP: &[&str] = &[
    "id",
    "creation_date",
    "modification_date",
    "name",
    "description",
    "organization",
    "project",
    "servers",
    "stateful",
    "inbound_default_policy",
    "outbound_default_policy",
    "organization_default",
    "project_default",
    "enable_default_security",
    "state",
    "tags",
    "zone",
];

const SCW_RULE: &[&str] = &[
    "id",
    "protocol",
    "direction",
    "ip_range",
    "dest_ip_range",
    "dest_port_from",
    "dest_port_to",
    "position",
    "editable",
    "action",
    "zone",
];

fn scaleway_doc(v: &Value, path: &str, given: &Given) -> R<Vec<Group>> {
    let o = object(v, path)?;
    let shapes: Vec<&str> = ["security_groups", "rule", "direction"]
        .into_iter()
        .filter(|k| o.contains_key(*k))
        .collect();
    let has_group = o.contains_key("security_group");
    let has_rules = o.contains_key("rules");
    if shapes.len() + usize::from(has_group || has_rules) > 1 {
        return Err(unknown(path, "two shapes at once"));
    }
    if has_group || has_rules {
        if has_group && !has_rules {
            check_keys(o, &["security_group"], path)?;
            return Err(incomplete(
                "a group object without its rules (GET group never returns rules)",
            ));
        }
        let known: &[&str] = if has_group {
            &["security_group", "rules"]
        } else {
            &["rules", "total_count"]
        };
        check_keys(o, known, path)?;
        let p = format!("{path}.rules");
        let items = array(&o["rules"], &p)?;
        if let Some(t) = get(o, "total_count") {
            let total = match t {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => plain_decimal(s),
                _ => None,
            }
            .ok_or_else(|| unknown(&format!("{path}.total_count"), "not a count"))?;
            if total > items.len() as u64 {
                return Err(incomplete(format!(
                    "total_count {total} > {} rules",
                    items.len()
                )));
            }
        }
        let (inbound, outbound, stateful, smtp_allowed, id, name) = if has_group {
            let gp = format!("{path}.security_group");
            let go = object(&o["security_group"], &gp)?;
            check_keys(go, SCW_GROUP, &gp)?;
            if let Some(servers) = get(go, "servers") {
                for (i, s) in array(servers, &format!("{gp}.servers"))?.iter().enumerate() {
                    let sp = format!("{gp}.servers[{i}]");
                    check_keys(object(s, &sp)?, &["id", "name"], &sp)?;
                }
            }
            let policy = |k: &str| -> R<Option<bool>> {
                match opt_str(go, k, &gp)?.as_deref() {
                    None => Ok(None),
                    Some("accept") => Ok(Some(true)),
                    Some("drop") => Ok(Some(false)),
                    Some(x) => Err(unknown(
                        &format!("{gp}.{k}"),
                        format!("undocumented policy `{x}`"),
                    )),
                }
            };
            (
                policy("inbound_default_policy")?,
                policy("outbound_default_policy")?,
                opt_bool(go, "stateful", &gp)?,
                opt_bool(go, "enable_default_security", &gp)?,
                opt_str(go, "id", &gp)?,
                opt_str(go, "name", &gp)?,
            )
        } else {
            (
                given.inbound_accept,
                given.outbound_accept,
                given.stateful,
                None,
                None,
                None,
            )
        };
        let mut g = scaleway_rules(items, &p)?;
        if let Evaluation::FirstMatch {
            inbound_accept,
            outbound_accept,
            ..
        } = &mut g.eval
        {
            *inbound_accept = inbound;
            *outbound_accept = outbound;
        }
        g.stateful = stateful;
        g.platform_smtp_block |= smtp_allowed == Some(true);
        g.id = id;
        g.name = name;
        return Ok(vec![g]);
    }
    let mut g = match shapes.first().copied() {
        Some("security_groups") => {
            return Err(incomplete("a list of groups carries no rules"));
        }
        Some("rule") => {
            check_keys(o, &["rule"], path)?;
            scaleway_rules(std::slice::from_ref(&o["rule"]), &format!("{path}.rule"))?
        }
        Some(_) => scaleway_rules(std::slice::from_ref(v), path).map_err(|m| match m {
            // a single rule's path is the document's
            Meaning::Unknown { path: p, why } => Meaning::Unknown {
                path: p.replacen("[0]", "", 1),
                why,
            },
            m => m,
        })?,
        None => {
            if SCW_GROUP.iter().any(|k| o.contains_key(*k)) {
                check_keys(o, SCW_GROUP, path)?;
                return Err(incomplete("a bare group object carries no rules"));
            }
            return Err(unknown(path, "no Scaleway shape"));
        }
    };
    if let Evaluation::FirstMatch {
        inbound_accept,
        outbound_accept,
        ..
    } = &mut g.eval
    {
        *inbound_accept = given.inbound_accept;
        *outbound_accept = given.outbound_accept;
    }
    g.stateful = given.stateful;
    Ok(vec![g])
}

fn scaleway_rules(items: &[Value], path: &str) -> R<Group> {
    let mut user: Vec<(Rule, i64)> = Vec::new();
    let mut smtp = false;
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let o = object(item, &p)?;
        check_keys(o, SCW_RULE, &p)?;
        if get(o, "dest_ip_range").is_some() {
            return Err(unknown(
                &format!("{p}.dest_ip_range"),
                "dest_ip_range is always null",
            ));
        }
        let dir = dir_of(o.get("direction"), "inbound", "outbound", &p)?;
        let allow = match opt_str(o, "action", &p)?.as_deref() {
            Some("accept") => true,
            Some("drop") => false,
            _ => {
                return Err(unknown(
                    &format!("{p}.action"),
                    "missing or undocumented action",
                ));
            }
        };
        let range = opt_str(o, "ip_range", &p)?
            .ok_or_else(|| unknown(&format!("{p}.ip_range"), "ip_range is required"))?;
        let cidr = parse_cidr(&range, &format!("{p}.ip_range"))?;
        let v6 = cidr.v6;
        let pp = format!("{p}.protocol");
        let proto = match opt_str(o, "protocol", &p)?
            .map(|s| s.to_ascii_uppercase())
            .as_deref()
        {
            Some("TCP") => Proto::Num(6),
            Some("UDP") => Proto::Num(17),
            Some("ICMP") if !v6 => Proto::Num(1),
            // Scaleway's documentation does not say what ICMP on an IPv6 range filters; an IPv6
            // packet with next header 1 does not occur, so the one reading with traffic meaning
            // is ICMPv6
            Some("ICMP") => Proto::Num(58),
            Some("ANY") => Proto::Any,
            _ => return Err(unknown(&pp, "missing or undocumented protocol")),
        };
        let from = opt_int(o, "dest_port_from", &p)?;
        let to = opt_int(o, "dest_port_to", &p)?;
        let fp = format!("{p}.dest_port_from");
        let ports = if matches!(proto, Proto::Num(6 | 17)) {
            match (from, to) {
                (None, None) => None,
                (Some(a), None) => Some(vec![(port(a, &fp)?, port(a, &fp)?)]),
                (Some(a), Some(b)) if a <= b => Some(vec![(port(a, &fp)?, port(b, &fp)?)]),
                _ => return Err(unknown(&fp, "undocumented port pair")),
            }
        } else {
            None // the API nulls ports of ICMP and ANY rules
        };
        let position = opt_int(o, "position", &p)?.unwrap_or(0);
        if position < 0 {
            return Err(unknown(&format!("{p}.position"), "negative position"));
        }
        let rule = Rule {
            dir,
            v6,
            proto,
            ports,
            icmp: None,
            remote: if cidr.len == 0 {
                super::Remote::Any
            } else {
                Remote::Cidr(cidr)
            },
            allow,
        };
        if opt_bool(o, "editable", &p)? == Some(false) {
            // the platform's rules (enable_default_security): outside the group's packet set
            smtp = true;
            continue;
        }
        user.push((rule, position));
    }
    let any_positioned = user.iter().any(|(_, p)| *p != 0);
    let rules = user
        .into_iter()
        .enumerate()
        .map(|(i, (r, p))| {
            let place = if !any_positioned {
                Some(i as i64)
            } else if p == 0 {
                None
            } else {
                Some(p)
            };
            (r, place)
        })
        .collect();
    Ok(Group {
        id: None,
        name: None,
        eval: Evaluation::FirstMatch {
            rules,
            inbound_accept: None,
            outbound_accept: None,
        },
        stateful: None,
        platform_smtp_block: smtp,
    })
}

/// The path of the first key given twice in one object, if any (`serde_json::Value` keeps the
/// last silently).
struct Dup(Option<String>);

impl<'de> serde::Deserialize<'de> for Dup {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Dup, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Dup;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Dup, E> {
                Ok(Dup(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Dup, E> {
                Ok(Dup(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Dup, E> {
                Ok(Dup(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Dup, E> {
                Ok(Dup(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Dup, E> {
                Ok(Dup(None))
            }
            fn visit_unit<E>(self) -> Result<Dup, E> {
                Ok(Dup(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Dup, A::Error> {
                let mut found = None;
                let mut i = 0;
                while let Some(Dup(d)) = a.next_element::<Dup>()? {
                    if found.is_none() {
                        found = d.map(|p| format!("[{i}]{}", p.trim_start_matches('$')));
                    }
                    i += 1;
                }
                Ok(Dup(found.map(|p| format!("${p}"))))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Dup, A::Error> {
                let mut seen = std::collections::HashSet::new();
                let mut found = None;
                while let Some(k) = a.next_key::<String>()? {
                    let Dup(d) = a.next_value::<Dup>()?;
                    if found.is_none() {
                        if !seen.insert(k.clone()) {
                            found = Some(format!("$.{k}"));
                        } else if let Some(p) = d {
                            found = Some(format!("$.{k}{}", p.trim_start_matches('$')));
                        }
                    }
                }
                Ok(Dup(found))
            }
        }
        d.deserialize_any(V)
    }
}
