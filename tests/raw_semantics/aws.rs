//! AWS EC2 documents for the raw-semantics properties: `describe-security-groups` output,
//! `describe-security-group-rules` output, or sgconv's authorize document, from generated
//! specs; the hard mode adds what AWS documents but is easy to misread (ports on protocols
//! that ignore them, port 0, `"6"` for tcp, another account's group pairs, icmpv6 without
//! ports), the perturbed mode what AWS does not document.

use super::{Mode, Rng, Source, Spec};
use serde_json::{Map, Value, json};

const OWNER: &str = "111122223333";
const PREFIX_LISTS: [&str; 2] = ["pl-0721453c7ac4ec009", "pl-002dc3ec097de1514"];

/// A spec AWS can hold: allow only, ICMP type/code on ICMP rules, sometimes a prefix list.
pub(super) fn adapt(s: &mut Spec, rng: &mut Rng) {
    super::allow_only_spec(s, rng, |rng| format!("pl:{}", rng.pick(&PREFIX_LISTS)));
}

fn protocol(s: &Spec, mode: Mode, rng: &mut Rng) -> Value {
    match s.proto {
        0 => json!("-1"),
        6 if mode == Mode::Hard && rng.below(3) == 0 => json!("6"),
        6 => json!("tcp"),
        17 => json!("udp"),
        1 => json!("icmp"),
        58 => json!("icmpv6"),
        n => json!(n.to_string()),
    }
}

/// `FromPort`/`ToPort` of a spec, into `o`.
fn ports(s: &Spec, mode: Mode, rng: &mut Rng, o: &mut Map<String, Value>) {
    let hard = mode == Mode::Hard;
    let (from, to): (Option<i64>, Option<i64>) = match s.proto {
        6 | 17 => match s.ports {
            Some((a, b)) => (Some(a.into()), Some(b.into())),
            None if hard && rng.below(3) == 0 => (Some(0), Some(1024)),
            None => (Some(0), Some(65535)),
        },
        1 | 58 => match s.icmp {
            Some((t, c)) => (Some(t.into()), Some(c.map_or(-1, i64::from))),
            None if s.proto == 58 && hard && rng.below(2) == 0 => (None, None),
            None => (Some(-1), Some(-1)),
        },
        // ports AWS ignores on -1 and on other protocol numbers
        _ if hard && rng.below(3) == 0 => (Some(22), Some(80)),
        _ if rng.below(2) == 0 => (Some(-1), Some(-1)),
        _ => (None, None),
    };
    if let (Some(f), Some(t)) = (from, to) {
        o.insert("FromPort".into(), json!(f));
        o.insert("ToPort".into(), json!(t));
    }
}

fn cidr(text: &str) -> String {
    if text.contains('/') {
        text.to_owned()
    } else if text.contains(':') {
        format!("{text}/128")
    } else {
        format!("{text}/32")
    }
}

/// The peer of a spec: (list key, entry) in a permission.
fn peer(s: &Spec, mode: Mode, rng: &mut Rng) -> (&'static str, Value) {
    let mut entry = match &s.remote {
        None if s.v6 => json!({"CidrIpv6": "::/0"}),
        None => json!({"CidrIp": "0.0.0.0/0"}),
        Some(Ok(c)) if s.v6 => json!({"CidrIpv6": cidr(c)}),
        Some(Ok(c)) => json!({"CidrIp": cidr(c)}),
        Some(Err(g)) if g.starts_with("pl:") => json!({"PrefixListId": &g[3..]}),
        Some(Err(g)) => {
            let mut pair = json!({"GroupId": g});
            if mode == Mode::Hard && rng.below(2) == 0 {
                pair["UserId"] = json!(if rng.below(2) == 0 {
                    OWNER
                } else {
                    "444455556666"
                });
            }
            pair
        }
    };
    if rng.below(3) == 0 {
        entry["Description"] = json!(if rng.below(2) == 0 {
            "web"
        } else {
            "ssh from office"
        });
    }
    let key = match &s.remote {
        Some(Err(g)) if g.starts_with("pl:") => "PrefixListIds",
        Some(Err(_)) => "UserIdGroupPairs",
        _ if s.v6 => "Ipv6Ranges",
        _ => "IpRanges",
    };
    (key, entry)
}

/// The permissions of one direction: specs of one match share a permission.
fn permissions(specs: &[&Spec], mode: Mode, rng: &mut Rng) -> Vec<Value> {
    let mut out: Vec<(String, Map<String, Value>)> = Vec::new();
    for s in specs {
        let mut o = Map::new();
        o.insert("IpProtocol".into(), protocol(s, mode, rng));
        ports(s, mode, rng, &mut o);
        let key = serde_json::to_string(&o).unwrap_or_default();
        let (list, entry) = peer(s, mode, rng);
        let at = match out.iter().position(|(k, _)| *k == key) {
            Some(at) if rng.below(4) != 0 => at,
            _ => {
                out.push((key, o));
                out.len() - 1
            }
        };
        let perm = &mut out[at].1;
        let items = perm.entry(list).or_insert_with(|| json!([]));
        if let Some(a) = items.as_array_mut() {
            a.push(entry);
        }
    }
    out.into_iter().map(|(_, o)| Value::Object(o)).collect()
}

/// A document for `specs`.
pub(super) fn doc(specs: &[Spec], mode: Mode, rng: &mut Rng, _src: &mut Source) -> Value {
    let ingress: Vec<&Spec> = specs.iter().filter(|s| s.ingress).collect();
    let egress: Vec<&Spec> = specs.iter().filter(|s| !s.ingress).collect();
    match rng.below(3) {
        0 => json!({"SecurityGroups": [{
            "GroupId": "sg-0a1b2c3d4e5f60718",
            "GroupName": "web",
            "Description": "generated",
            "OwnerId": OWNER,
            "VpcId": "vpc-1a2b3c4d",
            "IpPermissions": permissions(&ingress, mode, rng),
            "IpPermissionsEgress": permissions(&egress, mode, rng),
        }]}),
        1 => {
            let mut rules = Vec::new();
            for (i, s) in specs.iter().enumerate() {
                let mut o = Map::new();
                o.insert("SecurityGroupRuleId".into(), json!(format!("sgr-{i:017x}")));
                o.insert("GroupId".into(), json!("sg-0a1b2c3d4e5f60718"));
                o.insert("GroupOwnerId".into(), json!(OWNER));
                o.insert("IsEgress".into(), json!(!s.ingress));
                o.insert("IpProtocol".into(), protocol(s, mode, rng));
                ports(s, mode, rng, &mut o);
                let (list, mut entry) = peer(s, mode, rng);
                if let Some(d) = entry.as_object_mut().and_then(|e| e.remove("Description")) {
                    o.insert("Description".into(), d);
                }
                let (key, value) = match list {
                    "IpRanges" => ("CidrIpv4", entry["CidrIp"].clone()),
                    "Ipv6Ranges" => ("CidrIpv6", entry["CidrIpv6"].clone()),
                    "PrefixListIds" => ("PrefixListId", entry["PrefixListId"].clone()),
                    _ => ("ReferencedGroupInfo", entry),
                };
                o.insert(key.into(), value);
                rules.push(Value::Object(o));
            }
            json!({"SecurityGroupRules": rules})
        }
        _ => {
            let mut o = Map::new();
            for (key, list) in [
                ("AuthorizeSecurityGroupIngress", &ingress),
                ("AuthorizeSecurityGroupEgress", &egress),
            ] {
                if !list.is_empty() || rng.below(2) == 0 {
                    o.insert(
                        key.into(),
                        json!({"GroupId": "sg-0a1b2c3d4e5f60718", "IpPermissions": permissions(list, mode, rng)}),
                    );
                }
            }
            if o.is_empty() {
                o.insert(
                    "AuthorizeSecurityGroupIngress".into(),
                    json!({"GroupId": "sg-0a1b2c3d4e5f60718", "IpPermissions": []}),
                );
            }
            Value::Object(o)
        }
    }
}

/// One hostile change.
pub(super) fn perturb(doc: &mut Value, rng: &mut Rng) {
    let edits: [(&str, &str); 8] = [
        ("\"IpRanges\"", "\"IpRange\""),
        ("\"FromPort\"", "\"FromPrt\""),
        ("\"CidrIpv4\"", "\"CidrIPv4\""),
        ("\"IpProtocol\":\"tcp\"", "\"IpProtocol\":\"TCP\""),
        (
            "\"GroupId\":\"sg-0a1b2c3d4e5f60718\"",
            "\"GroupId\":\"sg-0a1b2c3d4e5f60718\",\"x_note\":1",
        ),
        ("\"10.0.0.0/8\"", "\"010.0.0.0/8\""),
        ("\"192.168.1.7/32\"", "\"192.168.01.7/32\""),
        ("\"UserIdGroupPairs\"", "\"UserIdGroupPair\""),
    ];
    if super::edit_text(doc, &edits, rng) {
        return;
    }
    if let Some(o) = doc.as_object_mut() {
        if o.contains_key("SecurityGroups") || o.contains_key("SecurityGroupRules") {
            o.insert("NextToken".into(), json!("eyJ2IjoiMiJ9"));
        } else {
            o.insert("SecurityGroups".into(), json!([]));
        }
    }
}
