//! Conversions judged by the independent raw-document evaluator (issue 14).
//!
//! Raw provider documents are generated as JSON text — realistic rules, and in the harder
//! modes documented-but-ambiguous semantics and hostile perturbations — converted with the CLI
//! binary to every other provider, and both documents are read by `common::raw` (which shares
//! no code with sgconv). Whenever a run exits 0 or claims `exact`/`narrowed`:
//!
//! - the output must not allow a packet the source denies under its most restrictive reading
//!   (replies included, when the output is stateful and the source may be stateless);
//! - `exact` means every reading of the source and the output agree on every sampled packet;
//! - a source the evaluator cannot judge (undocumented key, two shapes, a page, text that parses
//!   two ways) must not be `exact`/`narrowed` with exit 0 (refusals and `unverified` are right).
//!
//! Cases per property: `PROPTEST_CASES` (default 64 here; each case runs 4 conversions).

#[path = "raw_semantics/aws.rs"]
mod aws;
#[path = "raw_semantics/azure.rs"]
mod azure;
mod common;
#[path = "raw_semantics/openstack.rs"]
mod openstack;

use common::raw::{self, Dir, Given, Meaning, Packet, RunOutcome};
use proptest::prelude::*;
use serde_json::{Value, json};

const PROVIDERS: [&str; 7] = [
    "gcore-v1",
    "gcore-v2",
    "huawei",
    "scaleway",
    "aws-ec2",
    "openstack",
    "azure-nsg",
];
/// The targets: every source.
const TARGETS: [&str; 7] = PROVIDERS;
const SAMPLES: usize = 300;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

/// How hostile a generated document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Realistic documents with one meaning.
    Clean,
    /// Documented semantics that are easy to get wrong: explicit 1-65535, missing priorities,
    /// equal and zero positions, rule lists without statefulness, stateless groups.
    Hard,
    /// Undocumented or misspelt keys, extra shape keys, pages, leading-zero addresses.
    Perturbed,
}

/// A generated source: the text, what the test states about it, and the CLI flags saying so.
#[derive(Debug, Clone)]
struct Source {
    text: String,
    given: Given,
    args: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// generation (from a seed, with the evaluator's own small generator)

use raw::Rng;

#[derive(Clone, Debug)]
struct Spec {
    ingress: bool,
    v6: bool,
    /// 0 = all protocols
    proto: u8,
    ports: Option<(u16, u16)>,
    icmp: Option<(u8, Option<u8>)>,
    /// None = any; Some(Ok(cidr)) ; Some(Err(group id))
    remote: Option<Result<String, String>>,
    allow: bool,
    priority: Option<u16>,
    position: i64,
}

const V4: [&str; 6] = [
    "10.0.0.0/8",
    "10.1.2.0/24",
    "192.168.1.7/32",
    "203.0.113.0/25",
    "198.51.100.7",
    "0.0.0.0/0",
];
const V6: [&str; 4] = ["2001:db8::/32", "2001:db8:1::/48", "::1", "::/0"];
const GROUP_IDS: [&str; 2] = [
    "5a7c1e2d-0b3f-4c6a-9d8e-1f2a3b4c5d6e",
    "8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3",
];

fn gen_spec(rng: &mut Rng, provider: &str, mode: Mode, index: usize) -> Spec {
    let v6 = rng.below(4) == 0;
    let scaleway = provider == "scaleway";
    let gcore = provider.starts_with("gcore");
    let proto = match rng.below(8) {
        0..=2 => 6,
        3 => 17,
        4 => {
            if v6 && !scaleway {
                58
            } else {
                1
            }
        }
        5 => 0,
        6 if !scaleway => 47,
        7 if !scaleway && gcore => 132,
        _ => 6,
    };
    let port_pool = [1u16, 22, 25, 80, 443, 1024, 8080, 65535];
    let ports = if matches!(proto, 6 | 17 | 132) {
        match rng.below(if mode == Mode::Clean { 4 } else { 5 }) {
            0 => None,
            1 => {
                let p = *rng.pick(&port_pool);
                Some((p, p))
            }
            2 | 3 => {
                let a = *rng.pick(&port_pool);
                let b = *rng.pick(&port_pool);
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                // an explicit 1-65535 is the `Hard` mode's (issue 14: it is not "all ports")
                if mode == Mode::Clean && (a, b) == (1, 65535) {
                    Some((1, 1024))
                } else {
                    Some((a, b))
                }
            }
            _ => Some((1, 65535)),
        }
    } else {
        None
    };
    let icmp = if gcore && matches!(proto, 1 | 58) {
        match rng.below(3) {
            0 => None,
            1 => Some((8, None)),
            _ => Some((3, Some(4))),
        }
    } else {
        None
    };
    let remote = match rng.below(6) {
        0 => None,
        1 if !scaleway => Some(Err(rng.pick(&GROUP_IDS).to_string())),
        _ => Some(Ok(if v6 {
            rng.pick(&V6).to_string()
        } else {
            rng.pick(&V4).to_string()
        })),
    };
    let remote = if scaleway && remote.is_none() {
        Some(Ok(if v6 { "::/0" } else { "0.0.0.0/0" }.to_string()))
    } else {
        remote
    };
    let allow = provider.starts_with("gcore") || rng.below(3) != 0;
    let priority = if provider == "huawei" {
        if mode != Mode::Clean && rng.below(3) == 0 {
            None
        } else {
            Some(*rng.pick(&[1u16, 2, 50, 100]))
        }
    } else {
        None
    };
    let position = if mode != Mode::Clean && rng.below(3) == 0 {
        *rng.pick(&[0i64, 1, 2])
    } else {
        index as i64 + 1
    };
    Spec {
        ingress: rng.below(3) != 0,
        v6,
        proto,
        ports,
        icmp,
        remote,
        allow,
        priority,
        position,
    }
}

fn gcore_proto_name(proto: u8, v1: bool, rng: &mut Rng) -> Value {
    match proto {
        0 => {
            if v1 && rng.below(2) == 0 {
                json!("any")
            } else {
                Value::Null
            }
        }
        6 => json!("tcp"),
        17 => json!("udp"),
        1 => json!("icmp"),
        58 => json!("ipv6-icmp"),
        47 => json!("gre"),
        132 => json!("sctp"),
        n => json!(n.to_string()),
    }
}

/// Neutron's `port_range_min`/`port_range_max` of `s` (ICMP type and code for ICMP), given
/// when set or when `always` (a response prints them as null).
fn neutron_ports(o: &mut serde_json::Map<String, Value>, s: &Spec, always: bool) {
    let (lo, hi) = match (s.ports, s.icmp) {
        (Some((a, b)), _) => (json!(a), json!(b)),
        (None, Some((t, c))) => (json!(t), c.map_or(Value::Null, |c| json!(c))),
        _ => (Value::Null, Value::Null),
    };
    if !lo.is_null() || always {
        o.insert("port_range_min".into(), lo);
        o.insert("port_range_max".into(), hi);
    }
}

fn gcore_rule(s: &Spec, v1_response: bool, v1: bool, rng: &mut Rng) -> Value {
    let mut o = serde_json::Map::new();
    o.insert(
        "direction".into(),
        json!(if s.ingress { "ingress" } else { "egress" }),
    );
    if s.v6 || rng.below(4) != 0 || v1_response {
        o.insert(
            "ethertype".into(),
            json!(if s.v6 { "IPv6" } else { "IPv4" }),
        );
    }
    let proto = gcore_proto_name(s.proto, v1, rng);
    if !proto.is_null() || v1_response || rng.below(2) == 0 {
        o.insert("protocol".into(), proto);
    }
    neutron_ports(&mut o, s, v1_response);
    match &s.remote {
        Some(Ok(c)) => {
            o.insert("remote_ip_prefix".into(), json!(c));
        }
        Some(Err(g)) => {
            o.insert("remote_group_id".into(), json!(g));
        }
        None => {}
    }
    if v1_response {
        o.entry("remote_ip_prefix").or_insert(Value::Null);
        o.entry("remote_group_id").or_insert(Value::Null);
        o.insert(
            "id".into(),
            json!(format!(
                "00000000-0000-4000-8000-{:012}",
                rng.below(1_000_000)
            )),
        );
        o.insert(
            "security_group_id".into(),
            json!("3addc7a1-e926-46da-b5a2-eb4b2f935230"),
        );
        o.insert("description".into(), Value::Null);
        o.insert("revision_number".into(), json!(0));
        o.insert("created_at".into(), json!("2019-07-26T13:25:03+0000"));
        o.insert("updated_at".into(), json!("2019-07-26T13:25:03+0000"));
    }
    Value::Object(o)
}

fn gcore_doc(specs: &[Spec], v1: bool, rng: &mut Rng) -> Value {
    let shape = rng.below(3);
    if v1 && shape >= 1 {
        let rules: Vec<Value> = specs
            .iter()
            .map(|s| gcore_rule(s, true, true, rng))
            .collect();
        let group = json!({
            "id": "3addc7a1-e926-46da-b5a2-eb4b2f935230", "name": "web", "description": "d",
            "project_id": 1, "region_id": 7, "region": "Luxembourg 1", "revision_number": 3,
            "created_at": "2019-06-18T11:56:16+0000", "updated_at": "2019-06-18T11:57:00+0000",
            "tags_v2": [], "security_group_rules": rules});
        if shape == 2 {
            json!({"count": 1, "results": [group]})
        } else {
            group
        }
    } else if !v1 && shape >= 1 {
        let rules: Vec<Value> = specs
            .iter()
            .map(|s| gcore_rule(s, false, false, rng))
            .collect();
        json!({"name": "web-firewall", "rules": rules})
    } else {
        Value::Array(
            specs
                .iter()
                .map(|s| gcore_rule(s, false, v1, rng))
                .collect(),
        )
    }
}

fn huawei_rule(s: &Spec, rng: &mut Rng) -> Value {
    let mut o = serde_json::Map::new();
    o.insert(
        "security_group_id".into(),
        json!("6ca078f6-1f69-49dd-b71e-bc7440244298"),
    );
    o.insert(
        "direction".into(),
        json!(if s.ingress { "ingress" } else { "egress" }),
    );
    if s.v6 || rng.below(3) != 0 {
        o.insert(
            "ethertype".into(),
            json!(if s.v6 { "IPv6" } else { "IPv4" }),
        );
    }
    match s.proto {
        0 => {}
        6 => {
            o.insert("protocol".into(), json!("tcp"));
        }
        17 => {
            o.insert("protocol".into(), json!("udp"));
        }
        1 => {
            o.insert("protocol".into(), json!("icmp"));
        }
        58 => {
            o.insert("protocol".into(), json!("icmpv6"));
        }
        n => {
            o.insert("protocol".into(), json!(n.to_string()));
        }
    }
    if let Some((a, b)) = s.ports {
        let text = if a == b {
            a.to_string()
        } else if rng.below(4) == 0 && b < 65000 {
            format!("{a}-{b},65000")
        } else {
            format!("{a}-{b}")
        };
        o.insert("multiport".into(), json!(text));
    }
    match &s.remote {
        Some(Ok(c)) => {
            o.insert("remote_ip_prefix".into(), json!(c));
        }
        Some(Err(g)) => {
            let key = if rng.below(4) == 0 {
                "remote_address_group_id"
            } else {
                "remote_group_id"
            };
            o.insert(key.into(), json!(g));
        }
        None => {}
    }
    o.insert(
        "action".into(),
        json!(if s.allow { "allow" } else { "deny" }),
    );
    if let Some(p) = s.priority {
        o.insert("priority".into(), json!(p));
    }
    Value::Object(o)
}

fn huawei_doc(specs: &[Spec], rng: &mut Rng) -> Value {
    let rules: Vec<Value> = specs.iter().map(|s| huawei_rule(s, rng)).collect();
    match rng.below(4) {
        0 => {
            json!({"request_id": "58bd5d553d6214370d7363466031ba75", "security_group_rules": rules,
                    "page_info": {"previous_marker": "a", "current_count": specs.len()}})
        }
        1 => Value::Array(
            rules
                .into_iter()
                .map(|r| json!({"security_group_rule": r}))
                .collect(),
        ),
        2 => {
            json!({"request_id": "r", "security_group": {"id": "6ca078f6-1f69-49dd-b71e-bc7440244298",
                    "name": "sg", "description": "", "security_group_rules": rules}})
        }
        _ => json!({"security_group_rules": rules}),
    }
}

fn scaleway_rule(s: &Spec) -> Value {
    let proto = match s.proto {
        6 => "TCP",
        17 => "UDP",
        1 => "ICMP",
        _ => "ANY",
    };
    let (from, to) = match s.ports {
        Some((a, b)) if a == b => (json!(a), Value::Null),
        Some((a, b)) => (json!(a), json!(b)),
        None => (Value::Null, Value::Null),
    };
    let range = match &s.remote {
        Some(Ok(c)) => c.clone(),
        _ => "0.0.0.0/0".into(),
    };
    json!({"action": if s.allow { "accept" } else { "drop" }, "protocol": proto,
           "direction": if s.ingress { "inbound" } else { "outbound" }, "ip_range": range,
           "dest_port_from": from, "dest_port_to": to, "position": s.position})
}

fn smtp_rules() -> Vec<Value> {
    let mut out = Vec::new();
    for (i, (port, range)) in [
        (25, "0.0.0.0/0"),
        (465, "0.0.0.0/0"),
        (587, "0.0.0.0/0"),
        (25, "::/0"),
        (465, "::/0"),
        (587, "::/0"),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(json!({"id": format!("11111111-2222-4333-8444-00000000000{}", i + 1), "protocol": "TCP",
            "direction": "outbound", "ip_range": range, "dest_ip_range": null, "dest_port_from": port,
            "dest_port_to": null, "position": i + 1, "editable": false, "action": "drop", "zone": "fr-par-1"}));
    }
    out
}

fn scaleway_doc(specs: &[Spec], mode: Mode, rng: &mut Rng, src: &mut Source) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let smtp = rng.below(3) == 0;
    if smtp {
        rules.extend(smtp_rules());
    }
    rules.extend(specs.iter().map(scaleway_rule));
    let inbound = if rng.below(2) == 0 { "accept" } else { "drop" };
    let outbound = if rng.below(3) == 0 { "drop" } else { "accept" };
    let stateful = mode == Mode::Clean || rng.below(2) == 0;
    if mode == Mode::Hard && rng.below(2) == 0 {
        // a rule list: the test states the default policies (not the statefulness)
        src.given.inbound_accept = Some(inbound == "accept");
        src.given.outbound_accept = Some(outbound == "accept");
        src.args.extend([
            "--inbound-default".into(),
            inbound.into(),
            "--outbound-default".into(),
            outbound.into(),
        ]);
        return json!({"rules": rules});
    }
    json!({"security_group": {"name": "edge", "stateful": stateful, "inbound_default_policy": inbound,
           "outbound_default_policy": outbound, "enable_default_security": smtp}, "rules": rules})
}

/// Apply the first of `edits` (text replacements), from a random start, that the document's
/// JSON text holds; whether one did.
fn edit_text(doc: &mut Value, edits: &[(&str, &str)], rng: &mut Rng) -> bool {
    let text = serde_json::to_string(doc).unwrap_or_default();
    let start = rng.below(edits.len());
    for k in 0..edits.len() {
        let (from, to) = edits[(start + k) % edits.len()];
        if text.contains(from) {
            *doc = serde_json::from_str(&text.replacen(from, to, 1)).unwrap_or_default();
            return true;
        }
    }
    false
}

/// Apply one hostile change to a document.
fn perturb(doc: &mut Value, provider: &str, rng: &mut Rng) {
    fn rules_of(doc: &mut Value) -> Option<&mut Vec<Value>> {
        match doc {
            Value::Array(a) => Some(a),
            Value::Object(o) => {
                for k in ["security_group_rules", "rules", "results"] {
                    if o.contains_key(k) {
                        return o.get_mut(k)?.as_array_mut();
                    }
                }
                o.get_mut("security_group")?
                    .get_mut("security_group_rules")?
                    .as_array_mut()
            }
            _ => None,
        }
    }
    fn rule_obj(r: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
        if r.get("security_group_rule").is_some() {
            return r.get_mut("security_group_rule")?.as_object_mut();
        }
        if r.get("security_group_rules").is_some() {
            return r
                .get_mut("security_group_rules")?
                .get_mut(0)?
                .as_object_mut();
        }
        r.as_object_mut()
    }
    let choice = rng.below(7);
    match choice {
        0 | 1 => {
            // a misspelt or undocumented key in a rule
            let renames = [
                ("remote_ip_prefix", "remote_ip_prefx"),
                ("port_range_min", "port_range_mn"),
                ("dest_port_from", "dest_port_fom"),
                ("multiport", "multiports"),
                ("action", "actoin"),
                ("ip_range", "ip_rnage"),
                ("direction", "direction "),
            ];
            if let Some(rules) = rules_of(doc)
                && !rules.is_empty()
            {
                let i = rng.below(rules.len());
                let r = if rules[i].get("security_groups").is_some() {
                    &mut rules[0]
                } else {
                    &mut rules[i]
                };
                let r = if r.get("security_group_rules").is_some() {
                    r.get_mut("security_group_rules").and_then(|v| v.get_mut(0))
                } else {
                    Some(r)
                };
                if let Some(o) = r.and_then(rule_obj) {
                    let mut renamed = false;
                    if choice == 0 {
                        for (from, to) in renames {
                            if let Some(v) = o.remove(from) {
                                o.insert(to.into(), v);
                                renamed = true;
                                break;
                            }
                        }
                    }
                    if !renamed {
                        o.insert("x_enabled".into(), json!(true));
                    }
                    return;
                }
            }
            if let Some(o) = doc.as_object_mut() {
                o.insert("x_note".into(), json!("hi"));
            }
        }
        2 => {
            // a second shape key beside the first
            if let Some(o) = doc.as_object_mut() {
                match provider {
                    "huawei" => {
                        if o.contains_key("security_group_rules") {
                            o.insert(
                                "security_group_rule".into(),
                                json!({"direction": "ingress", "action": "deny", "priority": 1}),
                            );
                        } else {
                            o.insert(
                                "security_group_rules".into(),
                                json!([{"direction": "ingress", "action": "deny", "priority": 1}]),
                            );
                        }
                    }
                    "scaleway" => {
                        // rules nested in the group object, as the issue found
                        let rules = o.remove("rules").unwrap_or(json!([]));
                        if let Some(g) = o.get_mut("security_group").and_then(Value::as_object_mut)
                        {
                            g.insert("rules".into(), rules);
                        } else {
                            o.insert(
                                "security_group".into(),
                                json!({"name": "x", "rules": rules}),
                            );
                        }
                    }
                    _ => {
                        o.insert("rules".into(), json!([]));
                        o.insert("security_group_rules".into(), json!([]));
                    }
                }
            } else {
                *doc = json!({"groups": [{"name": "a", "document": doc.clone()}], "name": "other"});
            }
        }
        3 => {
            // more pages
            match provider {
                "huawei" => {
                    *doc = json!({"security_group_rules": rules_of(doc).cloned().unwrap_or_default(),
                                  "page_info": {"previous_marker": "a", "current_count": 1, "next_marker": "b"}});
                }
                "scaleway" => {
                    let rules = rules_of(doc).cloned().unwrap_or_default();
                    let n = rules.len() + 1;
                    *doc = json!({"rules": rules, "total_count": n});
                }
                _ => {
                    let rules = rules_of(doc).cloned().unwrap_or_default();
                    *doc = json!({"count": 2, "results": [{"id": "3addc7a1-e926-46da-b5a2-eb4b2f935230", "name": "a",
                        "security_group_rules": rules}]});
                }
            }
        }
        4 | 5 => {
            // a leading-zero IPv4 octet
            let text = serde_json::to_string(doc).unwrap_or_default();
            let bad = if choice == 4 {
                "\"010.0.0.0/8\""
            } else {
                "\"10.0.0.01/32\""
            };
            let mut done = false;
            for good in [
                "\"10.0.0.0/8\"",
                "\"192.168.1.7/32\"",
                "\"10.1.2.0/24\"",
                "\"198.51.100.7\"",
                "\"203.0.113.0/25\"",
            ] {
                if text.contains(good) {
                    *doc = serde_json::from_str(&text.replacen(good, bad, 1)).unwrap_or_default();
                    done = true;
                    break;
                }
            }
            if !done && let Some(rules) = rules_of(doc) {
                let (k, d, a) = match provider {
                    "scaleway" => (
                        "ip_range",
                        "inbound",
                        json!({"action": "accept", "protocol": "ANY"}),
                    ),
                    "huawei" => (
                        "remote_ip_prefix",
                        "ingress",
                        json!({"priority": 1, "action": "allow"}),
                    ),
                    _ => ("remote_ip_prefix", "ingress", json!({})),
                };
                let mut r = a;
                r[k] = json!(bad.trim_matches('"'));
                r["direction"] = json!(d);
                rules.push(r);
            }
        }
        _ => {
            // an envelope beside another key, or unknown keys inside an envelope item
            let inner = doc.clone();
            *doc = if rng.below(2) == 0 {
                json!({"groups": [{"name": "a", "id": "g1", "document": inner}], "x": 1})
            } else {
                json!({"groups": [{"name": "a", "id": "g1", "document": inner, "descripton": "typo"}]})
            };
        }
    }
}

/// Adapt a spec to an allow-only dialect with ICMP type/code: a third of its remote groups
/// become the named address set `set` names.
fn allow_only_spec(s: &mut Spec, rng: &mut Rng, set: fn(&mut Rng) -> String) {
    s.allow = true;
    s.priority = None;
    if matches!(s.proto, 1 | 58) {
        s.icmp = match rng.below(3) {
            0 => None,
            1 => Some((8, None)),
            _ => Some((3, Some(4))),
        };
    }
    if matches!(s.remote, Some(Err(_))) && rng.below(3) == 0 {
        s.remote = Some(Err(set(rng)));
    }
}

/// A spec for `provider` (adapted to what the dialect holds).
fn spec_for(rng: &mut Rng, provider: &str, mode: Mode, index: usize) -> Spec {
    let mut s = gen_spec(rng, provider, mode, index);
    match provider {
        "aws-ec2" => aws::adapt(&mut s, rng),
        "openstack" => openstack::adapt(&mut s, rng),
        "azure-nsg" => azure::adapt(&mut s, rng),
        _ => {}
    }
    s
}

fn gen_source(provider: &str, seed: u64, mode: Mode) -> Source {
    let mut rng = Rng::new(seed);
    let n = 1 + rng.below(6);
    let specs: Vec<Spec> = (0..n)
        .map(|i| spec_for(&mut rng, provider, mode, i))
        .collect();
    let mut src = Source {
        text: String::new(),
        given: Given::default(),
        args: Vec::new(),
    };
    let mut doc = match provider {
        "gcore-v1" => gcore_doc(&specs, true, &mut rng),
        "gcore-v2" => gcore_doc(&specs, false, &mut rng),
        "huawei" => huawei_doc(&specs, &mut rng),
        "aws-ec2" => aws::doc(&specs, mode, &mut rng, &mut src),
        "openstack" => openstack::doc(&specs, mode, &mut rng, &mut src),
        "azure-nsg" => azure::doc(&specs, mode, &mut rng, &mut src),
        _ => scaleway_doc(&specs, mode, &mut rng, &mut src),
    };
    if src.args.is_empty() && rng.below(5) == 0 {
        // several groups: sgconv's envelope, two groups of different ids
        let m = 1 + rng.below(4);
        let more: Vec<Spec> = (0..m)
            .map(|i| spec_for(&mut rng, provider, mode, i))
            .collect();
        let second = match provider {
            "gcore-v1" => gcore_doc(&more, true, &mut rng),
            "gcore-v2" => gcore_doc(&more, false, &mut rng),
            "huawei" => huawei_doc(&more, &mut rng),
            "aws-ec2" => aws::doc(&more, mode, &mut rng, &mut src),
            "openstack" => openstack::doc(&more, mode, &mut rng, &mut src),
            "azure-nsg" => azure::doc(&more, mode, &mut rng, &mut src),
            _ => scaleway_doc(&more, Mode::Clean, &mut rng, &mut src),
        };
        doc = json!({"groups": [
            {"name": "one", "id": "0a1b2c3d-0000-4000-8000-000000000001", "document": doc},
            {"name": "two", "id": "0a1b2c3d-0000-4000-8000-000000000002", "document": second}]});
    }
    if mode == Mode::Hard && rng.below(4) == 0 {
        src.args.push("--allow-widen".into());
    }
    src.text = serde_json::to_string_pretty(&doc).expect("JSON");
    if mode == Mode::Perturbed {
        if rng.below(5) == 0
            && let Some(text) = yaml_1_1(&src.text, &mut rng)
        {
            // YAML 1.1 spellings in a YAML flow document (JSON text is YAML): not YAML 1.2
            src.text = text;
            src.args.extend(["--input-format".into(), "yaml".into()]);
            return src;
        }
        if provider == "aws-ec2" && rng.below(4) != 0 {
            aws::perturb(&mut doc, &mut rng);
        } else if provider == "openstack" && rng.below(3) != 0 {
            openstack::perturb(&mut doc, &mut rng);
        } else if provider == "azure-nsg" && rng.below(4) != 0 {
            azure::perturb(&mut doc, &mut rng);
        } else {
            perturb(&mut doc, provider, &mut rng);
        }
        src.text = serde_json::to_string_pretty(&doc).expect("JSON");
    }
    src
}

/// Put one YAML 1.1 spelling into a JSON text: a leading-zero integer, a `_` digit separator,
/// or a 1.1 boolean (`n`, `off`, `yes`).
fn yaml_1_1(text: &str, rng: &mut Rng) -> Option<String> {
    let mut candidates: Vec<String> = Vec::new();
    for key in [
        "\"priority\": ",
        "\"port_range_min\": ",
        "\"port_range_max\": ",
        "\"dest_port_from\": ",
    ] {
        if let Some(at) = text.find(key) {
            let start = at + key.len();
            let digits: String = text[start..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !digits.is_empty() {
                let bad = if digits.len() > 1 && rng.below(2) == 0 {
                    format!("{}_{}", &digits[..1], &digits[1..])
                } else {
                    format!("00{digits}")
                };
                candidates.push(format!(
                    "{}{bad}{}",
                    &text[..start],
                    &text[start + digits.len()..]
                ));
            }
        }
    }
    for (from, to) in [
        (
            "\"action\": \"deny\"",
            "\"action\": \"deny\", \"enabled\": n",
        ),
        ("\"stateful\": true", "\"stateful\": yes"),
        ("\"stateful\": false", "\"stateful\": off"),
    ] {
        if text.contains(from) {
            candidates.push(text.replacen(from, to, 1));
        }
    }
    if candidates.is_empty() {
        None
    } else {
        let i = rng.below(candidates.len());
        Some(candidates.swap_remove(i))
    }
}

// ---------------------------------------------------------------------------------------------
// judging

fn reply(p: &Packet, port: u16) -> Packet {
    Packet {
        dir: p.dir.flip(),
        port,
        ..p.clone()
    }
}

/// Judge one conversion; `Err` says what sgconv claimed that is not true.
fn judge(src: &Source, from: &str, to: &str, seed: u64, mode: Mode) -> Result<(), String> {
    let args: Vec<&str> = src.args.iter().map(String::as_str).collect();
    let run: RunOutcome = raw::run(&src.text, from, to, &args);
    let verdict = run.verdict().unwrap_or("").to_owned();
    if std::env::var_os("RAW_SEMANTICS_TRACE").is_some() {
        eprintln!(
            "trace {from} -> {to}: exit {} verdict {verdict:?}",
            run.exit_code
        );
    }
    let allow_widen = src.args.iter().any(|a| a == "--allow-widen");
    let claims = run.exit_code == 0 || verdict == "exact" || verdict == "narrowed";
    if !claims || verdict == "unverified" {
        return Ok(());
    }
    let ctx = || {
        format!(
            "{from} -> {to} (exit {}, verdict {verdict:?})\n--- source\n{}\n--- output\n{}\n--- stderr\n{}",
            run.exit_code,
            src.text,
            run.output.as_deref().unwrap_or(""),
            run.stderr
        )
    };
    let source = raw::evaluate(&src.text, from, &src.given);
    let Meaning::Groups(sgroups) = source else {
        if run.exit_code == 0 && (verdict == "exact" || verdict == "narrowed") {
            return Err(format!(
                "the source cannot be judged ({source:?}) yet sgconv claims {verdict}: {}",
                ctx()
            ));
        }
        return Ok(());
    };
    if to == "canonical" {
        return Ok(());
    }
    let Some(out_text) = run.output.as_deref() else {
        return Ok(()); // a claim without output: nothing written
    };
    let out = raw::evaluate(out_text, to, &Given::default());
    let Meaning::Groups(ogroups) = out else {
        return Err(format!(
            "sgconv wrote a document the raw evaluator cannot read ({out:?}): {}",
            ctx()
        ));
    };
    if sgroups.len() != ogroups.len() {
        return Err(format!(
            "{} source groups became {}: {}",
            sgroups.len(),
            ogroups.len(),
            ctx()
        ));
    }
    for (s, o) in sgroups.iter().zip(&ogroups) {
        let mut packets = raw::sample_packets(&[s, o], SAMPLES, seed);
        if mode == Mode::Clean {
            // Port 0 (inside "all ports", outside every explicit range, and not expressible on
            // Gcore at all) is judged by the `hard_*` properties, which sample it; sgconv's
            // model has no port 0 yet (issue 14), so the clean properties leave it out to
            // keep judging everything else.
            packets.retain(|p| !(raw::is_port_proto(p.proto) && p.port == 0));
        }
        let source_may_be_stateless = s.stateful != Some(true);
        let output_may_be_stateful = o.stateful != Some(false);
        for p in &packets {
            let sr = s.eval(p);
            let or = o.eval(p);
            if !allow_widen && or.max && !sr.min {
                return Err(format!(
                    "widened: output allows {p:?} (readings {or:?}), the source denies it under its most restrictive reading ({sr:?}): {}",
                    ctx()
                ));
            }
            if verdict == "exact" && !(sr.certain() && or.certain() && sr.min == or.min) {
                return Err(format!(
                    "`exact` but {p:?}: source {sr:?}, output {or:?}: {}",
                    ctx()
                ));
            }
            if !allow_widen && or.max && output_may_be_stateful && source_may_be_stateless {
                for q in raw::reply_ports() {
                    let r = reply(p, q);
                    if !s.eval(&r).min {
                        return Err(format!(
                            "widened by replies: the output is stateful, allows {p:?} and so its reply {r:?}, which the (possibly stateless) source denies: {}",
                            ctx()
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn check(from: &str, seed: u64, mode: Mode) -> Result<(), TestCaseError> {
    let src = gen_source(from, seed, mode);
    for to in TARGETS {
        if to == from {
            continue;
        }
        judge(&src, from, to, seed, mode).map_err(TestCaseError::fail)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn clean_gcore_v1(seed in any::<u64>()) { check("gcore-v1", seed, Mode::Clean)?; }
    #[test]
    fn clean_gcore_v2(seed in any::<u64>()) { check("gcore-v2", seed, Mode::Clean)?; }
    #[test]
    fn clean_huawei(seed in any::<u64>()) { check("huawei", seed, Mode::Clean)?; }
    #[test]
    fn clean_scaleway(seed in any::<u64>()) { check("scaleway", seed, Mode::Clean)?; }

    #[test]
    fn hard_gcore_v1(seed in any::<u64>()) { check("gcore-v1", seed, Mode::Hard)?; }
    #[test]
    fn hard_gcore_v2(seed in any::<u64>()) { check("gcore-v2", seed, Mode::Hard)?; }
    #[test]
    fn hard_huawei(seed in any::<u64>()) { check("huawei", seed, Mode::Hard)?; }
    #[test]
    fn hard_scaleway(seed in any::<u64>()) { check("scaleway", seed, Mode::Hard)?; }

    #[test]
    fn perturbed_gcore_v1(seed in any::<u64>()) { check("gcore-v1", seed, Mode::Perturbed)?; }
    #[test]
    fn perturbed_gcore_v2(seed in any::<u64>()) { check("gcore-v2", seed, Mode::Perturbed)?; }
    #[test]
    fn perturbed_huawei(seed in any::<u64>()) { check("huawei", seed, Mode::Perturbed)?; }
    #[test]
    fn perturbed_scaleway(seed in any::<u64>()) { check("scaleway", seed, Mode::Perturbed)?; }

    #[test]
    fn clean_aws_ec2(seed in any::<u64>()) { check("aws-ec2", seed, Mode::Clean)?; }
    #[test]
    fn hard_aws_ec2(seed in any::<u64>()) { check("aws-ec2", seed, Mode::Hard)?; }
    #[test]
    fn perturbed_aws_ec2(seed in any::<u64>()) { check("aws-ec2", seed, Mode::Perturbed)?; }

    #[test]
    fn clean_openstack(seed in any::<u64>()) { check("openstack", seed, Mode::Clean)?; }
    #[test]
    fn hard_openstack(seed in any::<u64>()) { check("openstack", seed, Mode::Hard)?; }
    #[test]
    fn perturbed_openstack(seed in any::<u64>()) { check("openstack", seed, Mode::Perturbed)?; }

    #[test]
    fn clean_azure_nsg(seed in any::<u64>()) { check("azure-nsg", seed, Mode::Clean)?; }
    #[test]
    fn hard_azure_nsg(seed in any::<u64>()) { check("azure-nsg", seed, Mode::Hard)?; }
    #[test]
    fn perturbed_azure_nsg(seed in any::<u64>()) { check("azure-nsg", seed, Mode::Perturbed)?; }
}

// ---------------------------------------------------------------------------------------------
// the evaluator itself, on hand-written documents (so a wrong evaluator cannot pass silently)

fn pkt(dir: Dir, proto: u8, port: u16, addr: &str) -> Packet {
    Packet {
        dir,
        proto,
        port,
        icmp: (0, 0),
        addr: addr.parse().expect("address"),
        groups: Default::default(),
    }
}

fn one(text: &str, provider: &str, given: &Given) -> raw::Group {
    match raw::evaluate(text, provider, given) {
        Meaning::Groups(mut g) if g.len() == 1 => g.remove(0),
        other => panic!("expected one group, got {other:?}"),
    }
}

#[test]
fn evaluator_gcore_ports_and_port_zero() {
    let g = one(
        r#"[{"direction":"ingress","protocol":"udp"},
            {"direction":"ingress","protocol":"tcp","port_range_min":1,"port_range_max":65535}]"#,
        "gcore-v2",
        &Given::default(),
    );
    assert!(
        g.eval(&pkt(Dir::In, 17, 0, "1.2.3.4")).min,
        "null/null is all ports, 0 included"
    );
    assert!(
        !g.eval(&pkt(Dir::In, 6, 0, "1.2.3.4")).max,
        "explicit 1-65535 excludes 0"
    );
    assert!(g.eval(&pkt(Dir::In, 6, 65535, "1.2.3.4")).min);
    assert!(
        !g.eval(&pkt(Dir::Out, 6, 80, "1.2.3.4")).max,
        "default deny"
    );
    assert!(!g.eval(&pkt(Dir::In, 6, 80, "::1")).max, "IPv4 by default");
}

#[test]
fn evaluator_aws_permissions_fan_out() {
    let text = r#"{"SecurityGroups":[{"GroupId":"sg-1","OwnerId":"111122223333",
        "IpPermissions":[
          {"IpProtocol":"tcp","FromPort":0,"ToPort":22,"IpRanges":[{"CidrIp":"10.0.0.0/8"}],
           "Ipv6Ranges":[{"CidrIpv6":"2001:db8::/32"}]},
          {"IpProtocol":"132","FromPort":5000,"ToPort":5000,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]},
          {"IpProtocol":"-1","UserIdGroupPairs":[{"GroupId":"sg-2","UserId":"111122223333"},
            {"GroupId":"sg-3","UserId":"444455556666"}],"PrefixListIds":[{"PrefixListId":"pl-1"}]},
          {"IpProtocol":"icmp","FromPort":8,"ToPort":-1,"UserIdGroupPairs":[{"GroupId":"sg-4"}]}],
        "IpPermissionsEgress":[]}]}"#;
    let g = one(text, "aws-ec2", &Given::default());
    let member = |mut p: Packet, id: &str| {
        p.groups.insert(id.to_string());
        p
    };
    assert!(
        g.eval(&pkt(Dir::In, 6, 0, "10.1.2.3")).min,
        "0-22 holds port 0"
    );
    assert!(
        g.eval(&pkt(Dir::In, 6, 22, "2001:db8::1")).min,
        "one permission, two ranges"
    );
    assert!(!g.eval(&pkt(Dir::In, 6, 23, "10.1.2.3")).max);
    assert!(
        g.eval(&pkt(Dir::In, 132, 7, "1.2.3.4")).min,
        "ports ignored on other protocols"
    );
    for addr in ["1.2.3.4", "2001:db8::9"] {
        assert!(
            g.eval(&member(pkt(Dir::In, 47, 0, addr), "sg-2")).min,
            "own account, both families"
        );
        assert!(
            g.eval(&member(pkt(Dir::In, 47, 0, addr), "444455556666/sg-3"))
                .min,
            "another account kept"
        );
        assert!(
            g.eval(&member(pkt(Dir::In, 47, 0, addr), "ag:pl-1")).min,
            "prefix list"
        );
    }
    let mut ping = member(pkt(Dir::In, 1, 0, "1.2.3.4"), "sg-4");
    ping.icmp = (8, 3);
    assert!(g.eval(&ping).min, "icmp type 8, any code");
    ping.icmp = (0, 0);
    assert!(!g.eval(&ping).max);
    assert!(
        !g.eval(&pkt(Dir::Out, 6, 80, "1.2.3.4")).max,
        "no egress rule: denied"
    );
    for bad in [
        r#"{"SecurityGroups":[],"NextToken":"x"}"#,
        r#"{"GroupId":"sg-1","IpPermissions":[]}"#,
        r#"{"SecurityGroupRules":[{"IsEgress":false,"IpProtocol":"tcp","FromPort":22,"ToPort":21,"CidrIpv4":"10.0.0.0/8"}]}"#,
        r#"{"SecurityGroupRules":[{"IsEgress":false,"IpProtocol":"icmp","FromPort":-1,"ToPort":0,"CidrIpv4":"10.0.0.0/8"}]}"#,
        r#"{"SecurityGroupRules":[{"IsEgress":false,"IpProtocol":"TCP","FromPort":1,"ToPort":2,"CidrIpv4":"10.0.0.0/8"}]}"#,
    ] {
        assert!(
            raw::evaluate(bad, "aws-ec2", &Given::default())
                .groups()
                .is_none(),
            "{bad}"
        );
    }
    let body = one(
        r#"{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"udp","FromPort":53,"ToPort":53,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]}]}"#,
        "aws-ec2",
        &Given {
            aws_direction: Some(Dir::Out),
            ..Given::default()
        },
    );
    assert!(
        body.eval(&pkt(Dir::Out, 17, 53, "10.0.0.1")).min,
        "the given direction"
    );
    assert!(!body.eval(&pkt(Dir::In, 17, 53, "10.0.0.1")).max);
}

#[test]
fn evaluator_huawei_priorities_and_missing_priority() {
    let text = r#"{"security_group_rules":[
        {"direction":"ingress","protocol":"tcp","multiport":"22","action":"allow"},
        {"direction":"ingress","protocol":"tcp","multiport":"22","action":"deny","priority":50},
        {"direction":"ingress","protocol":"udp","action":"deny","priority":7},
        {"direction":"ingress","protocol":"udp","multiport":"1-65535","action":"allow","priority":7}]}"#;
    let g = one(text, "huawei", &Given::default());
    let r = g.eval(&pkt(Dir::In, 6, 22, "1.2.3.4"));
    assert_eq!(
        (r.min, r.max),
        (false, true),
        "priority 1 allows, priority 100 denies"
    );
    assert!(
        !g.eval(&pkt(Dir::In, 17, 53, "1.2.3.4")).max,
        "deny wins at equal priority"
    );
    let g1 = one(
        text,
        "huawei",
        &Given {
            huawei_default_priority: Some(1),
            ..Given::default()
        },
    );
    assert!(g1.eval(&pkt(Dir::In, 6, 22, "1.2.3.4")).min);
    let all = one(
        r#"{"security_group_rule":{"direction":"ingress","protocol":"udp","multiport":"1-65535","priority":1}}"#,
        "huawei",
        &Given::default(),
    );
    assert!(
        all.eval(&pkt(Dir::In, 17, 0, "1.2.3.4")).min,
        "Huawei 1-65535 = all ports, 0 included"
    );
}

#[test]
fn evaluator_scaleway_positions_policies_and_platform_rules() {
    let text = r#"{"security_group":{"stateful":false,"inbound_default_policy":"accept","outbound_default_policy":"drop"},
      "rules":[
        {"action":"drop","protocol":"TCP","direction":"outbound","ip_range":"0.0.0.0/0","dest_port_from":25,"position":1,"editable":false},
        {"action":"accept","protocol":"TCP","direction":"inbound","ip_range":"10.0.0.0/8","dest_port_from":22,"position":2},
        {"action":"drop","protocol":"TCP","direction":"inbound","ip_range":"0.0.0.0/0","dest_port_from":22,"position":2},
        {"action":"accept","protocol":"ANY","direction":"outbound","ip_range":"0.0.0.0/0","position":3}]}"#;
    let g = one(text, "scaleway", &Given::default());
    assert_eq!(g.stateful, Some(false));
    let r = g.eval(&pkt(Dir::In, 6, 22, "10.1.1.1"));
    assert_eq!(
        (r.min, r.max),
        (false, true),
        "equal positions: both orders"
    );
    assert!(
        g.eval(&pkt(Dir::In, 6, 80, "10.1.1.1")).min,
        "accept default"
    );
    assert!(
        g.eval(&pkt(Dir::Out, 6, 25, "1.2.3.4")).min,
        "editable:false rules are outside the set"
    );
    let list = one(
        r#"{"rules":[{"action":"accept","protocol":"TCP","direction":"inbound","ip_range":"0.0.0.0/0","dest_port_from":22}]}"#,
        "scaleway",
        &Given::default(),
    );
    let r = list.eval(&pkt(Dir::In, 6, 80, "1.2.3.4"));
    assert_eq!(
        (r.min, r.max),
        (false, true),
        "a rule list's default policy is unknown"
    );
    assert_eq!(list.stateful, None);
}

#[test]
fn evaluator_refuses_what_it_cannot_judge() {
    let cases: &[(&str, &str)] = &[
        (
            "gcore-v2",
            r#"[{"direction":"ingress","remote_ip_prefx":"10.0.0.0/8"}]"#,
        ),
        (
            "gcore-v2",
            r#"[{"direction":"ingress","remote_ip_prefix":"010.0.0.0/8"}]"#,
        ),
        (
            "gcore-v1",
            r#"{"count":3,"results":[{"id":"a","security_group_rules":[]}]}"#,
        ),
        (
            "huawei",
            r#"{"security_group_rule":{"direction":"ingress"},"security_group_rules":[]}"#,
        ),
        (
            "huawei",
            r#"{"security_group_rules":[],"page_info":{"next_marker":"x"}}"#,
        ),
        (
            "huawei",
            r#"{"security_group_rule":{"direction":"ingress","remote_ip_prefix":"10.0.0.01/32"}}"#,
        ),
        (
            "scaleway",
            r#"{"security_group":{"stateful":true,"rules":[]}}"#,
        ),
        ("scaleway", r#"{"security_group":{"stateful":true}}"#),
        ("scaleway", r#"{"rules":[],"total_count":4}"#),
        ("scaleway", r#"{"groups":[],"rules":[]}"#),
        (
            "huawei",
            r#"{"security_group_rule":{"direction":"ingress","priority":1,"priority":100}}"#,
        ),
        (
            "scaleway",
            r#"{"rules":[{"action":"accept","protocol":"TCP","direction":"inbound","ip_range":"0.0.0.0/0","dest_port_fom":22}]}"#,
        ),
    ];
    for (provider, text) in cases {
        let m = raw::evaluate(text, provider, &Given::default());
        assert!(m.groups().is_none(), "{provider} {text}: {m:?}");
    }
}

/// For people: `cargo test --test raw_semantics survey -- --ignored --nocapture` judges
/// `PROPTEST_CASES` seeds per provider and mode and prints each kind of failure with a count
/// (the first line of the message), instead of stopping at the first.
#[test]
#[ignore = "a report for people, not a check"]
fn survey() {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for mode in [Mode::Clean, Mode::Hard, Mode::Perturbed] {
        for from in PROVIDERS {
            for seed in 0..u64::from(cases()) {
                let src = gen_source(from, seed, mode);
                for to in TARGETS {
                    if to == from {
                        continue;
                    }
                    if let Err(e) = judge(&src, from, to, seed, mode) {
                        let head: String = e
                            .split([':', '('])
                            .next()
                            .unwrap_or("")
                            .chars()
                            .take(60)
                            .collect();
                        let key = format!("{mode:?} {from} -> {to}: {head}");
                        if let Ok(show) = std::env::var("SURVEY_SHOW")
                            && key.contains(&show)
                            && !counts.contains_key(&key)
                        {
                            println!("=== {key}\n{e}\n");
                        }
                        *counts.entry(key).or_default() += 1;
                    }
                }
            }
        }
    }
    for (k, n) in counts {
        println!("{n:5} {k}");
    }
}
