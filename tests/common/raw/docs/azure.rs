//! Azure network security groups, read from Microsoft's documentation only: the REST reference
//! (https://learn.microsoft.com/en-us/rest/api/virtualnetwork/network-security-groups/get,
//! .../security-rules/get and .../security-rules/list: the `NetworkSecurityGroup`,
//! `SecurityRule` and `ApplicationSecurityGroup` fields), the overview
//! (https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview:
//! rule properties, evaluation, default rules, augmented rules), the service tags page
//! (https://learn.microsoft.com/en-us/azure/virtual-network/service-tags-overview) and the
//! Azure CLI's `az network nsg show` / `az network nsg rule list` output (the REST object with
//! `properties` flattened into it, plus `resourceGroup`).
//!
//! What it reads, in its own words:
//! - rules are processed by ascending priority, per direction; the first rule that matches
//!   decides; custom priorities are 100-4096 and unique per direction; then the default rules
//!   (`defaultSecurityRules` where the document lists them, else the six the overview lists:
//!   AllowVnetInBound 65000, AllowAzureLoadBalancerInBound 65001, DenyAllInBound 65500,
//!   AllowVnetOutBound 65000, AllowInternetOutBound 65001, DenyAllOutBound 65500, each for
//!   IPv4 and IPv6), which cannot be removed, so a rule list is read with them;
//! - NSGs are stateful;
//! - a rule matches the five-tuple: inbound rules name the remote side as the source and the
//!   protected resource as the destination, outbound the reverse; the port a packet is sent
//!   to is the destination port; ports exist for Tcp and Udp (a `*` rule with ports matches
//!   TCP and UDP on them); `Icmp` is ICMP in IPv4 and ICMPv6 in IPv6;
//! - addresses: `*` (both families), a CIDR or address (its family), a service tag or an
//!   application security group (a named set of both families whose members are not in the
//!   document: written `ag:<name or id>`); `VirtualNetwork` holds the protected resource;
//! - what a packet here does not say (its source port, the local address) makes a rule that
//!   restricts it partial: the rule matches some packets of the class and not others.

use serde_json::{Map, Value};

use super::super::{Cidr, Dir, Evaluation, Group, Ordered, Proto, Remote, Rule};
use super::{
    Given, R, array, check_keys, get, incomplete, object, opt_int, opt_str, parse_cidr,
    plain_decimal, unknown,
};

const NSG: &[&str] = &[
    "id",
    "name",
    "type",
    "location",
    "tags",
    "etag",
    "properties",
    "resourceGroup",
];
const NSG_PROPS: &[&str] = &[
    "flushConnection",
    "securityRules",
    "defaultSecurityRules",
    "networkInterfaces",
    "subnets",
    "flowLogs",
    "resourceGuid",
    "provisioningState",
];
const RULE: &[&str] = &["id", "name", "etag", "type", "properties", "resourceGroup"];
const RULE_PROPS: &[&str] = &[
    "description",
    "protocol",
    "sourcePortRange",
    "sourcePortRanges",
    "destinationPortRange",
    "destinationPortRanges",
    "sourceAddressPrefix",
    "sourceAddressPrefixes",
    "sourceApplicationSecurityGroups",
    "destinationAddressPrefix",
    "destinationAddressPrefixes",
    "destinationApplicationSecurityGroups",
    "access",
    "priority",
    "direction",
    "provisioningState",
];

/// The overview's default rules: name, direction, priority, remote (`None` = any), allow.
const DEFAULTS: [(&str, Dir, u32, Option<&str>, bool); 6] = [
    (
        "AllowVnetInBound",
        Dir::In,
        65000,
        Some("VirtualNetwork"),
        true,
    ),
    (
        "AllowAzureLoadBalancerInBound",
        Dir::In,
        65001,
        Some("AzureLoadBalancer"),
        true,
    ),
    ("DenyAllInBound", Dir::In, 65500, None, false),
    (
        "AllowVnetOutBound",
        Dir::Out,
        65000,
        Some("VirtualNetwork"),
        true,
    ),
    (
        "AllowInternetOutBound",
        Dir::Out,
        65001,
        Some("Internet"),
        true,
    ),
    ("DenyAllOutBound", Dir::Out, 65500, None, false),
];

/// Read `v` as an Azure NSG document.
pub(super) fn azure_doc(v: &Value, path: &str, _given: &Given) -> R<Vec<Group>> {
    let group = match v {
        Value::Array(items) => nsg_of(None, None, rules(items, path, false)?, None),
        Value::Object(o) if o.contains_key("value") => {
            check_keys(o, &["value", "nextLink"], path)?;
            if opt_str(o, "nextLink", path)?.is_some_and(|l| !l.is_empty()) {
                return Err(incomplete("nextLink: more pages"));
            }
            let p = format!("{path}.value");
            nsg_of(None, None, rules(array(&o["value"], &p)?, &p, false)?, None)
        }
        Value::Object(o) => {
            let props = o.get("properties").and_then(Value::as_object);
            let rest_nsg = props.is_some_and(|p| {
                p.contains_key("securityRules") || p.contains_key("defaultSecurityRules")
            });
            if rest_nsg || o.contains_key("securityRules") || o.contains_key("defaultSecurityRules")
            {
                nsg(o, path)?
            } else if o.contains_key("properties")
                || o.contains_key("access")
                || o.contains_key("direction")
            {
                nsg_of(None, None, rule(v, path, false)?, None)
            } else {
                return Err(unknown(path, "no Azure NSG shape"));
            }
        }
        _ => return Err(unknown(path, "no Azure NSG shape")),
    };
    Ok(vec![group])
}

/// A group of `custom` rules and the default rules (`defaults`, or the documented ones).
fn nsg_of(
    id: Option<String>,
    name: Option<String>,
    custom: Vec<Ordered>,
    defaults: Option<Vec<Ordered>>,
) -> Group {
    let mut all = custom;
    all.extend(defaults.unwrap_or_else(documented_defaults));
    Group {
        id,
        name,
        eval: Evaluation::Ordered(all),
        stateful: Some(true),
        platform_smtp_block: false,
    }
}

fn documented_defaults() -> Vec<Ordered> {
    let mut out = Vec::new();
    for (_, dir, priority, tag, allow) in DEFAULTS {
        for v6 in [false, true] {
            out.push(Ordered {
                rule: Rule {
                    dir,
                    v6,
                    proto: Proto::Any,
                    ports: None,
                    icmp: None,
                    remote: tag.map_or(Remote::Any, |t| Remote::Group(format!("ag:{t}"))),
                    allow,
                },
                priority,
                partial: false,
            });
        }
    }
    out
}

/// The REST fields of a resource: `properties`, or (the CLI's form) the object itself.
fn fields<'a>(
    o: &'a Map<String, Value>,
    top: &[&str],
    props: &[&str],
    path: &str,
) -> R<(&'a Map<String, Value>, String)> {
    match o.get("properties") {
        Some(p) => {
            check_keys(o, top, path)?;
            let pp = format!("{path}.properties");
            let po = object(p, &pp)?;
            check_keys(po, props, &pp)?;
            Ok((po, pp))
        }
        None => {
            let known: Vec<&str> = top.iter().chain(props).copied().collect();
            check_keys(o, &known, path)?;
            Ok((o, path.to_owned()))
        }
    }
}

fn nsg(o: &Map<String, Value>, path: &str) -> R<Group> {
    let (p, pp) = fields(o, NSG, NSG_PROPS, path)?;
    let custom = match get(p, "securityRules") {
        Some(list) => {
            let lp = format!("{pp}.securityRules");
            rules(array(list, &lp)?, &lp, false)?
        }
        None => Vec::new(),
    };
    let defaults = match get(p, "defaultSecurityRules") {
        Some(list) => {
            let lp = format!("{pp}.defaultSecurityRules");
            let items = array(list, &lp)?;
            (!items.is_empty())
                .then(|| rules(items, &lp, true))
                .transpose()?
        }
        None => None,
    };
    Ok(nsg_of(
        opt_str(o, "id", path)?,
        opt_str(o, "name", path)?,
        custom,
        defaults,
    ))
}

/// Rules of one list; priorities unique per direction.
fn rules(items: &[Value], path: &str, defaults: bool) -> R<Vec<Ordered>> {
    let mut out: Vec<Ordered> = Vec::new();
    let mut seen: Vec<(Dir, u32)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let read = rule(item, &p, defaults)?;
        // every part of one rule has its direction and priority
        if let Some(first) = read.first() {
            let key = (first.rule.dir, first.priority);
            if seen.contains(&key) {
                return Err(unknown(
                    &p,
                    "two rules of one direction with one priority (Azure refuses it; their order is not documented)",
                ));
            }
            seen.push(key);
        }
        out.extend(read);
    }
    Ok(out)
}

fn enum_text<'a>(o: &Map<String, Value>, k: &str, path: &str, values: &[&'a str]) -> R<&'a str> {
    // The SDKs read these enums without regard to case (`CaseInsensitiveEnumMeta`).
    let text = opt_str(o, k, path)?.unwrap_or_default();
    values
        .iter()
        .find(|v| v.eq_ignore_ascii_case(&text))
        .copied()
        .ok_or_else(|| {
            unknown(
                &format!("{path}.{k}"),
                format!("missing or undocumented {k}"),
            )
        })
}

/// The texts of a singular field and its plural twin (never both given).
fn texts(o: &Map<String, Value>, one: &str, many: &str, path: &str) -> R<Vec<String>> {
    let single = opt_str(o, one, path)?.filter(|s| !s.is_empty());
    let plural: Vec<String> = match get(o, many) {
        None => Vec::new(),
        Some(v) => array(v, &format!("{path}.{many}"))?
            .iter()
            .map(|s| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| unknown(&format!("{path}.{many}"), "not a string"))
            })
            .collect::<R<_>>()?,
    };
    match (single, plural.is_empty()) {
        (Some(_), false) => Err(unknown(path, format!("both {one} and {many}"))),
        (Some(s), true) => Ok(vec![s]),
        (None, _) => Ok(plural),
    }
}

/// Port texts: `None` for every port.
fn ports(texts: &[String], path: &str) -> R<Option<Vec<(u16, u16)>>> {
    if texts.is_empty() {
        return Err(unknown(path, "no port range"));
    }
    let mut out = Vec::new();
    for t in texts {
        if t == "*" {
            return Ok(None);
        }
        let (a, b) = t.split_once('-').unwrap_or((t, t));
        let num = |s: &str| match plain_decimal(s) {
            Some(n) if n <= 65535 => Ok(n as u16),
            _ => Err(unknown(path, format!("`{t}` is not *, a port or a range"))),
        };
        let (a, b) = (num(a)?, num(b)?);
        if a > b {
            return Err(unknown(path, format!("`{t}`: reversed range")));
        }
        if (a, b) == (0, 65535) {
            return Ok(None);
        }
        out.push((a, b));
    }
    Ok(Some(out))
}

/// One address side: (v6, remote) per family it names, or `*`.
enum Address {
    Any,
    Cidr(Cidr),
    Set(String),
}

fn side(o: &Map<String, Value>, side: &str, path: &str) -> R<Vec<Address>> {
    let mut out = Vec::new();
    for t in texts(
        o,
        &format!("{side}AddressPrefix"),
        &format!("{side}AddressPrefixes"),
        path,
    )? {
        let ap = format!("{path}.{side}AddressPrefix");
        out.push(if t == "*" {
            Address::Any
        } else if t.contains([':', '/']) || t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            Address::Cidr(parse_cidr(&t, &ap)?)
        } else if !t.is_empty() && !t.contains(char::is_whitespace) {
            // Not an address: a service tag's name (or an id of another cloud's address set
            // written in its place, which the user maps).
            Address::Set(format!("ag:{t}"))
        } else {
            return Err(unknown(
                &ap,
                format!("`{t}` is not *, an address or a service tag"),
            ));
        });
    }
    let key = format!("{side}ApplicationSecurityGroups");
    if let Some(list) = get(o, &key) {
        let lp = format!("{path}.{key}");
        for (i, a) in array(list, &lp)?.iter().enumerate() {
            let ap = format!("{lp}[{i}]");
            let ao = object(a, &ap)?;
            // an application security group is a resource with the NSG's resource fields
            check_keys(ao, NSG, &ap)?;
            let id = opt_str(ao, "id", &ap)?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| unknown(&ap, "an application security group without id"))?;
            out.push(Address::Set(format!("ag:{id}")));
        }
    }
    if out.is_empty() {
        return Err(unknown(path, format!("no {side} address")));
    }
    Ok(out)
}

/// Whether an address side names packets of family `v6`, and whether it names all of them
/// that could reach the protected resource (`*` or VirtualNetwork).
fn local(addresses: &[Address], v6: bool) -> (bool, bool) {
    let mut present = false;
    let mut all = false;
    for a in addresses {
        match a {
            Address::Any => (present, all) = (true, true),
            Address::Set(s) => {
                present = true;
                all |= s == "ag:VirtualNetwork";
            }
            Address::Cidr(c) if c.v6 == v6 => {
                present = true;
                all |= c.len == 0;
            }
            Address::Cidr(_) => {}
        }
    }
    (present, all)
}

/// One rule (REST or CLI form) as ordered rules, one per family, remote address and protocol.
fn rule(v: &Value, path: &str, default: bool) -> R<Vec<Ordered>> {
    let o = object(v, path)?;
    let (p, pp) = fields(o, RULE, RULE_PROPS, path)?;
    let dir = match enum_text(p, "direction", &pp, &["Inbound", "Outbound"])? {
        "Inbound" => Dir::In,
        _ => Dir::Out,
    };
    let allow = enum_text(p, "access", &pp, &["Allow", "Deny"])? == "Allow";
    let priority = opt_int(p, "priority", &pp)?.unwrap_or(-1);
    let range = if default { 65000..=65500 } else { 100..=4096 };
    if !range.contains(&priority) {
        return Err(unknown(
            &format!("{pp}.priority"),
            format!("priority {priority} outside {range:?}"),
        ));
    }
    let proto = enum_text(
        p,
        "protocol",
        &pp,
        &["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"],
    )?;
    let dst = ports(
        &texts(p, "destinationPortRange", "destinationPortRanges", &pp)?,
        &format!("{pp}.destinationPortRange"),
    )?;
    let src = ports(
        &texts(p, "sourcePortRange", "sourcePortRanges", &pp)?,
        &format!("{pp}.sourcePortRange"),
    )?;
    let protos: Vec<Option<u8>> = match (proto, dst.is_some()) {
        ("Tcp", _) => vec![Some(6)],
        ("Udp", _) => vec![Some(17)],
        ("*", true) => vec![Some(6), Some(17)],
        ("*", false) => vec![None],
        ("Esp", false) => vec![Some(50)],
        ("Ah", false) => vec![Some(51)],
        ("Icmp", false) => vec![Some(1)],
        _ => return Err(unknown(&pp, format!("destination ports on {proto}"))),
    };
    let source = side(p, "source", &pp)?;
    let destination = side(p, "destination", &pp)?;
    let (remote, near) = match dir {
        Dir::In => (source, destination),
        Dir::Out => (destination, source),
    };
    let mut out = Vec::new();
    for v6 in [false, true] {
        let (present, all) = local(&near, v6);
        if !present {
            continue;
        }
        let partial = !all || src.is_some();
        for r in &remote {
            let remote = match r {
                Address::Any => Remote::Any,
                Address::Set(s) => Remote::Group(s.clone()),
                Address::Cidr(c) if c.v6 == v6 => {
                    if c.len == 0 {
                        Remote::Any
                    } else {
                        Remote::Cidr(c.clone())
                    }
                }
                Address::Cidr(_) => continue,
            };
            for n in &protos {
                let proto = match n {
                    None => Proto::Any,
                    Some(1) if v6 => Proto::Num(58),
                    Some(n) => Proto::Num(*n),
                };
                out.push(Ordered {
                    rule: Rule {
                        dir,
                        v6,
                        proto,
                        ports: if matches!(n, Some(6 | 17)) {
                            dst.clone()
                        } else {
                            None
                        },
                        icmp: None,
                        remote: remote.clone(),
                        allow,
                    },
                    priority: priority as u32,
                    partial,
                });
            }
        }
    }
    if out.is_empty() {
        // A rule naming no packet (e.g. an IPv4 source with an IPv6 destination): Azure
        // refuses addresses of two families in one rule.
        return Err(unknown(path, "a rule whose addresses mix IPv4 and IPv6"));
    }
    Ok(out)
}
