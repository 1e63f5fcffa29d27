//! AWS EC2, read from AWS's own documentation only: the EC2 API reference's data types
//! (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroup.html,
//! API_IpPermission.html, API_IpRange.html, API_Ipv6Range.html, API_UserIdGroupPair.html,
//! API_PrefixListId.html, API_SecurityGroupRule.html, API_ReferencedSecurityGroup.html,
//! API_AuthorizeSecurityGroupIngress.html, API_DescribeSecurityGroups.html,
//! API_DescribeSecurityGroupRules.html — the same text as botocore's EC2 service model) and
//! the VPC user guide (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
//!
//! What it reads, in its own words:
//! - a group allows the union of its rules, is stateful, and denies what no rule allows;
//! - `IpProtocol` is tcp, udp, icmp, icmpv6, a number, or -1 for all; "-1 or a protocol number
//!   other than tcp, udp, icmp, or icmpv6 allows traffic on all ports, regardless of any port
//!   range you specify";
//! - tcp/udp need a port range `FromPort..=ToPort` (0-65535);
//! - icmp/icmpv6: `FromPort` is the type, `ToPort` the code, -1 = all; a -1 type needs a -1
//!   code; icmpv6 may leave both out (all types and codes); icmp may not;
//! - each IPv4 range, IPv6 range, group pair and prefix list of a permission is one rule;
//! - a group pair or prefix list names no family: this reading matches its members of both
//!   families, except under icmp (an IPv4 protocol) and icmpv6 (IPv6); a prefix list's members
//!   are written `ag:<id>`, a pair of another account than the group's owner `<account>/<id>`.

use serde_json::{Map, Value};

use super::super::{Cidr, Dir, Evaluation, Group, Proto, Remote, Rule};
use super::{
    Given, R, add_to_group, array, check_keys, get, incomplete, object, opt_int, opt_str,
    or_one_group, parse_cidr, unknown,
};

const GROUP: &[&str] = &[
    "GroupId",
    "GroupName",
    "Description",
    "OwnerId",
    "VpcId",
    "SecurityGroupArn",
    "Tags",
    "IpPermissions",
    "IpPermissionsEgress",
];
const PERMISSION: &[&str] = &[
    "IpProtocol",
    "FromPort",
    "ToPort",
    "IpRanges",
    "Ipv6Ranges",
    "UserIdGroupPairs",
    "PrefixListIds",
];
const PAIR: &[&str] = &[
    "GroupId",
    "GroupName",
    "UserId",
    "VpcId",
    "VpcPeeringConnectionId",
    "PeeringStatus",
    "Description",
];
const FLAT: &[&str] = &[
    "SecurityGroupRuleId",
    "GroupId",
    "GroupOwnerId",
    "IsEgress",
    "IpProtocol",
    "FromPort",
    "ToPort",
    "CidrIpv4",
    "CidrIpv6",
    "PrefixListId",
    "ReferencedGroupInfo",
    "Description",
    "Tags",
    "SecurityGroupRuleArn",
];
const BODY: &[&str] = &[
    "GroupId",
    "GroupName",
    "IpPermissions",
    "DryRun",
    "TagSpecifications",
];

fn group_of(rules: Vec<Rule>, id: Option<String>, name: Option<String>) -> Group {
    Group {
        id,
        name,
        eval: Evaluation::AllowOnly(rules),
        stateful: Some(true),
        platform_smtp_block: false,
    }
}

/// Read `v` as an AWS EC2 document.
pub(super) fn aws_doc(v: &Value, path: &str, given: &Given) -> R<Vec<Group>> {
    if let Value::Array(items) = v {
        let mut out = Vec::new();
        for (i, g) in items.iter().enumerate() {
            out.push(described(g, &format!("{path}[{i}]"))?);
        }
        return Ok(out);
    }
    let o = object(v, path)?;
    let shapes: Vec<&str> = [
        "SecurityGroups",
        "SecurityGroupRules",
        "IpPermissions",
        "AuthorizeSecurityGroupIngress",
    ]
    .into_iter()
    .filter(|k| o.contains_key(*k))
    .collect();
    if shapes.len() > 1
        || (o.contains_key("IpPermissionsEgress")
            && (o.contains_key("SecurityGroups")
                || o.contains_key("SecurityGroupRules")
                || o.contains_key("AuthorizeSecurityGroupIngress")))
    {
        return Err(unknown(path, "two shapes at once"));
    }
    if o.contains_key("SecurityGroups") {
        check_keys(o, &["SecurityGroups", "NextToken"], path)?;
        more_pages(o, path)?;
        let p = format!("{path}.SecurityGroups");
        let mut out = Vec::new();
        for (i, g) in array(&o["SecurityGroups"], &p)?.iter().enumerate() {
            out.push(described(g, &format!("{p}[{i}]"))?);
        }
        return Ok(out);
    }
    if o.contains_key("SecurityGroupRules") {
        check_keys(o, &["SecurityGroupRules", "NextToken", "Return"], path)?;
        more_pages(o, path)?;
        return flat_rules(o, path);
    }
    if o.contains_key("AuthorizeSecurityGroupIngress")
        || o.contains_key("AuthorizeSecurityGroupEgress")
    {
        check_keys(
            o,
            &[
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
            ],
            path,
        )?;
        let mut rules = Vec::new();
        let mut id = None;
        for (k, dir) in [
            ("AuthorizeSecurityGroupIngress", Dir::In),
            ("AuthorizeSecurityGroupEgress", Dir::Out),
        ] {
            if let Some(b) = get(o, k) {
                let (body_id, r) = body(b, &format!("{path}.{k}"), dir)?;
                if id.is_some() && body_id.is_some() && id != body_id {
                    return Err(unknown(path, "two bodies of different groups"));
                }
                id = id.or(body_id);
                rules.extend(r);
            }
        }
        return Ok(vec![group_of(rules, id, None)]);
    }
    if [
        "IpPermissionsEgress",
        "OwnerId",
        "VpcId",
        "Description",
        "Tags",
        "SecurityGroupArn",
    ]
    .iter()
    .any(|k| o.contains_key(*k))
    {
        return Ok(vec![described(v, path)?]);
    }
    if o.contains_key("IpPermissions") {
        let Some(dir) = given.aws_direction else {
            return Err(unknown(
                path,
                "an authorize body does not say its direction",
            ));
        };
        let (id, rules) = body(v, path, dir)?;
        return Ok(vec![group_of(rules, id, None)]);
    }
    Err(unknown(path, "no AWS EC2 shape"))
}

fn more_pages(o: &Map<String, Value>, path: &str) -> R<()> {
    match opt_str(o, "NextToken", path)? {
        Some(t) if !t.is_empty() => Err(incomplete("NextToken: more pages")),
        _ => Ok(()),
    }
}

fn body(v: &Value, path: &str, dir: Dir) -> R<(Option<String>, Vec<Rule>)> {
    let o = object(v, path)?;
    check_keys(o, BODY, path)?;
    let id = opt_str(o, "GroupId", path)?.or(opt_str(o, "GroupName", path)?);
    let p = format!("{path}.IpPermissions");
    let items = array(o.get("IpPermissions").unwrap_or(&Value::Null), &p)?;
    let mut rules = Vec::new();
    for (i, perm) in items.iter().enumerate() {
        rules.extend(permission(perm, &format!("{p}[{i}]"), dir, None)?);
    }
    Ok((id, rules))
}

fn described(v: &Value, path: &str) -> R<Group> {
    let o = object(v, path)?;
    check_keys(o, GROUP, path)?;
    let owner = opt_str(o, "OwnerId", path)?;
    let mut rules = Vec::new();
    for (k, dir) in [
        ("IpPermissions", Dir::In),
        ("IpPermissionsEgress", Dir::Out),
    ] {
        if let Some(list) = get(o, k) {
            let p = format!("{path}.{k}");
            for (i, perm) in array(list, &p)?.iter().enumerate() {
                rules.extend(permission(
                    perm,
                    &format!("{p}[{i}]"),
                    dir,
                    owner.as_deref(),
                )?);
            }
        }
    }
    Ok(group_of(
        rules,
        opt_str(o, "GroupId", path)?,
        opt_str(o, "GroupName", path)?,
    ))
}

fn flat_rules(o: &Map<String, Value>, path: &str) -> R<Vec<Group>> {
    let p = format!("{path}.SecurityGroupRules");
    let mut groups: Vec<(Option<String>, Vec<Rule>)> = Vec::new();
    for (i, item) in array(&o["SecurityGroupRules"], &p)?.iter().enumerate() {
        let rp = format!("{p}[{i}]");
        let r = object(item, &rp)?;
        check_keys(r, FLAT, &rp)?;
        let dir = match get(r, "IsEgress") {
            Some(Value::Bool(true)) => Dir::Out,
            Some(Value::Bool(false)) => Dir::In,
            _ => return Err(unknown(&format!("{rp}.IsEgress"), "direction not given")),
        };
        let owner = opt_str(r, "GroupOwnerId", &rp)?;
        let peers: Vec<&str> = [
            "CidrIpv4",
            "CidrIpv6",
            "ReferencedGroupInfo",
            "PrefixListId",
        ]
        .into_iter()
        .filter(|k| get(r, k).is_some())
        .collect();
        let [peer] = peers.as_slice() else {
            return Err(unknown(&rp, "a rule names exactly one peer"));
        };
        // The flat rule as a permission of one peer.
        let mut perm = Map::new();
        for k in ["IpProtocol", "FromPort", "ToPort"] {
            if let Some(x) = r.get(k) {
                perm.insert(k.into(), x.clone());
            }
        }
        let value = r[*peer].clone();
        let (list, entry) = match *peer {
            "CidrIpv4" => ("IpRanges", serde_json::json!({"CidrIp": value})),
            "CidrIpv6" => ("Ipv6Ranges", serde_json::json!({"CidrIpv6": value})),
            "PrefixListId" => ("PrefixListIds", serde_json::json!({"PrefixListId": value})),
            _ => {
                let g = object(&value, &format!("{rp}.ReferencedGroupInfo"))?;
                check_keys(
                    g,
                    &[
                        "GroupId",
                        "UserId",
                        "VpcId",
                        "VpcPeeringConnectionId",
                        "PeeringStatus",
                    ],
                    &format!("{rp}.ReferencedGroupInfo"),
                )?;
                ("UserIdGroupPairs", value)
            }
        };
        perm.insert(list.into(), Value::Array(vec![entry]));
        let rules = permission(&Value::Object(perm), &rp, dir, owner.as_deref())?;
        let id = opt_str(r, "GroupId", &rp)?;
        add_to_group(&mut groups, id, rules);
    }
    Ok(or_one_group(groups)
        .into_iter()
        .map(|(id, rules)| group_of(rules, id, None))
        .collect())
}

/// The rules of one permission, in direction `dir`, of a group owned by `owner`.
fn permission(v: &Value, path: &str, dir: Dir, owner: Option<&str>) -> R<Vec<Rule>> {
    let o = object(v, path)?;
    check_keys(o, PERMISSION, path)?;
    let pp = format!("{path}.IpProtocol");
    let proto = match opt_str(o, "IpProtocol", path)?.as_deref() {
        Some("-1") => Proto::Any,
        Some("tcp") => Proto::Num(6),
        Some("udp") => Proto::Num(17),
        Some("icmp") => Proto::Num(1),
        Some("icmpv6") => Proto::Num(58),
        Some(s)
            if !s.is_empty()
                && s.len() <= 3
                && s.bytes().all(|b| b.is_ascii_digit())
                && !(s.len() > 1 && s.starts_with('0')) =>
        {
            match s.parse::<u8>() {
                Ok(n) => Proto::Num(n),
                Err(_) => return Err(unknown(&pp, "protocol number above 255")),
            }
        }
        _ => return Err(unknown(&pp, "missing or undocumented protocol")),
    };
    let from = opt_int(o, "FromPort", path)?;
    let to = opt_int(o, "ToPort", path)?;
    let fp = format!("{path}.FromPort");
    let (mut ports, mut icmp) = (None, None);
    match proto {
        Proto::Num(6 | 17) => match (from, to) {
            (Some(a), Some(b)) if 0 <= a && a <= b && b <= 65535 => {
                if (a, b) != (0, 65535) {
                    ports = Some(vec![(a as u16, b as u16)]);
                }
            }
            _ => return Err(unknown(&fp, "tcp/udp need FromPort <= ToPort in 0..65535")),
        },
        Proto::Num(n @ (1 | 58)) => match (from, to) {
            (None, None) if n == 58 => {}
            (Some(-1), Some(-1)) => {}
            (Some(t), Some(-1)) if (0..=255).contains(&t) => icmp = Some((t as u8, None)),
            (Some(t), Some(c)) if (0..=255).contains(&t) && (0..=255).contains(&c) => {
                icmp = Some((t as u8, Some(c as u8)))
            }
            _ => {
                return Err(unknown(
                    &fp,
                    "ICMP type/code: 0..255 or -1, a -1 type needs a -1 code",
                ));
            }
        },
        // every port, whatever FromPort/ToPort say
        _ => {}
    }
    let mut out = Vec::new();
    let mut push = |v6: bool, remote: Remote| {
        out.push(Rule {
            dir,
            v6,
            proto: proto.clone(),
            ports: ports.clone(),
            icmp,
            remote,
            allow: true,
        });
    };
    let families: &[bool] = match proto {
        Proto::Num(1) => &[false],
        Proto::Num(58) => &[true],
        _ => &[false, true],
    };
    let mut peers = 0;
    for (list, key, v6) in [
        ("IpRanges", "CidrIp", false),
        ("Ipv6Ranges", "CidrIpv6", true),
    ] {
        let Some(items) = get(o, list) else { continue };
        let lp = format!("{path}.{list}");
        for (i, item) in array(items, &lp)?.iter().enumerate() {
            let ip = format!("{lp}[{i}]");
            let r = object(item, &ip)?;
            check_keys(r, &[key, "Description"], &ip)?;
            description(r, &ip)?;
            let text = opt_str(r, key, &ip)?.ok_or_else(|| unknown(&ip, "no CIDR"))?;
            let c: Cidr = parse_cidr(&text, &format!("{ip}.{key}"))?;
            if c.v6 != v6 || !families.contains(&v6) {
                return Err(unknown(
                    &ip,
                    "CIDR of the wrong family (for the list or the protocol)",
                ));
            }
            push(
                v6,
                if c.len == 0 {
                    Remote::Any
                } else {
                    Remote::Cidr(c)
                },
            );
            peers += 1;
        }
    }
    if let Some(items) = get(o, "UserIdGroupPairs") {
        let lp = format!("{path}.UserIdGroupPairs");
        for (i, item) in array(items, &lp)?.iter().enumerate() {
            let ip = format!("{lp}[{i}]");
            let r = object(item, &ip)?;
            check_keys(r, PAIR, &ip)?;
            description(r, &ip)?;
            let group = opt_str(r, "GroupId", &ip)?
                .filter(|g| !g.is_empty())
                .or(opt_str(r, "GroupName", &ip)?.filter(|g| !g.is_empty()))
                .ok_or_else(|| unknown(&ip, "a pair names no group"))?;
            let id = match opt_str(r, "UserId", &ip)?.filter(|u| !u.is_empty()) {
                Some(user) if Some(user.as_str()) != owner => format!("{user}/{group}"),
                _ => group,
            };
            for &v6 in families {
                push(v6, Remote::Group(id.clone()));
            }
            peers += 1;
        }
    }
    if let Some(items) = get(o, "PrefixListIds") {
        let lp = format!("{path}.PrefixListIds");
        for (i, item) in array(items, &lp)?.iter().enumerate() {
            let ip = format!("{lp}[{i}]");
            let r = object(item, &ip)?;
            check_keys(r, &["PrefixListId", "Description"], &ip)?;
            description(r, &ip)?;
            let id = opt_str(r, "PrefixListId", &ip)?
                .filter(|g| !g.is_empty())
                .ok_or_else(|| unknown(&ip, "no PrefixListId"))?;
            for &v6 in families {
                push(v6, Remote::Group(format!("ag:{id}")));
            }
            peers += 1;
        }
    }
    if peers == 0 {
        return Err(unknown(path, "a permission names no peer"));
    }
    Ok(out)
}

/// A description AWS accepts (255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*).
fn description(o: &Map<String, Value>, path: &str) -> R<()> {
    let Some(d) = opt_str(o, "Description", path)? else {
        return Ok(());
    };
    let ok = d.chars().count() <= 255
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c));
    if ok {
        Ok(())
    } else {
        Err(unknown(
            &format!("{path}.Description"),
            "a description AWS rejects",
        ))
    }
}
