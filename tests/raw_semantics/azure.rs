//! Azure NSG documents for the raw-semantics properties: the REST resource, `az network nsg
//! show` output, a `{value: [...]}` rule list or `az network nsg rule list`'s bare list, from
//! generated specs (unique priorities per direction, deny rules, service tags and application
//! security groups). The hard mode adds what Azure documents but is easy to misread (source
//! ports, a local side other than `*`, `*` with ports, plural ports and prefixes, the default
//! rules written out, priorities far apart); the perturbed mode what Azure does not document.

use super::{Mode, Rng, Source, Spec};
use serde_json::{Map, Value, json};

const TAGS: [&str; 4] = [
    "VirtualNetwork",
    "Internet",
    "AzureLoadBalancer",
    "Storage.WestEurope",
];
const ASG: &str = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/applicationSecurityGroups/app-asg";

/// A spec Azure can hold: no ICMP type/code, its protocols, a service tag or an application
/// security group for a remote group.
pub(super) fn adapt(s: &mut Spec, rng: &mut Rng) {
    s.icmp = None;
    s.priority = None;
    if !matches!(s.proto, 0 | 1 | 6 | 17 | 58) {
        s.proto = *rng.pick(&[50u8, 51, 6]);
        s.ports = None;
    }
    if let Some(Err(_)) = s.remote {
        s.remote = Some(Err(if rng.below(4) == 0 {
            ASG.to_owned()
        } else {
            rng.pick(&TAGS).to_string()
        }));
    }
}

fn protocol(p: u8) -> &'static str {
    match p {
        0 => "*",
        6 => "Tcp",
        17 => "Udp",
        1 | 58 => "Icmp",
        50 => "Esp",
        _ => "Ah",
    }
}

fn port_text((a, b): (u16, u16)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// The properties of one rule.
fn props(s: &Spec, priority: u32, mode: Mode, rng: &mut Rng, defaults: bool) -> Map<String, Value> {
    let hard = mode == Mode::Hard;
    let mut o = Map::new();
    let mut proto = s.proto;
    let mut ports = s.ports;
    if hard && proto == 0 && rng.below(3) == 0 {
        ports = Some((80, 443)); // `*` with ports: TCP and UDP on them
    }
    if proto == 58 && !s.v6 {
        proto = 1;
    }
    o.insert("protocol".into(), json!(protocol(proto)));
    let src_ports = if hard && rng.below(4) == 0 {
        "1024-65535"
    } else {
        "*"
    };
    o.insert("sourcePortRange".into(), json!(src_ports));
    match ports {
        Some(r) if hard && rng.below(3) == 0 && r.1 < 60000 => {
            o.insert(
                "destinationPortRanges".into(),
                json!([port_text(r), "60000-60010"]),
            );
        }
        Some(r) => {
            o.insert("destinationPortRange".into(), json!(port_text(r)));
        }
        None if hard && rng.below(4) == 0 => {
            o.insert("destinationPortRange".into(), json!("0-65535"));
        }
        None => {
            o.insert("destinationPortRange".into(), json!("*"));
        }
    }
    let (remote_key, local_key) = if s.ingress {
        ("source", "destination")
    } else {
        ("destination", "source")
    };
    match &s.remote {
        None => {
            o.insert(format!("{remote_key}AddressPrefix"), json!("*"));
        }
        Some(Ok(c)) if hard && rng.below(3) == 0 => {
            let other = if s.v6 {
                "2001:db8:ffff::/48"
            } else {
                "192.0.2.0/24"
            };
            o.insert(format!("{remote_key}AddressPrefixes"), json!([c, other]));
        }
        Some(Ok(c)) => {
            o.insert(format!("{remote_key}AddressPrefix"), json!(c));
        }
        Some(Err(asg)) if asg.starts_with('/') => {
            o.insert(
                format!("{remote_key}ApplicationSecurityGroups"),
                json!([{"id": asg}]),
            );
        }
        Some(Err(tag)) => {
            o.insert(format!("{remote_key}AddressPrefix"), json!(tag));
        }
    }
    let local = match rng.below(if hard { 5 } else { 1 }) {
        0 | 1 => "*",
        2 => "VirtualNetwork",
        3 if !s.v6 => "10.1.0.0/16",
        _ => "*",
    };
    o.insert(format!("{local_key}AddressPrefix"), json!(local));
    o.insert(
        "access".into(),
        json!(if s.allow { "Allow" } else { "Deny" }),
    );
    o.insert("priority".into(), json!(priority));
    o.insert(
        "direction".into(),
        json!(if s.ingress { "Inbound" } else { "Outbound" }),
    );
    if !defaults && rng.below(4) == 0 {
        o.insert("description".into(), json!("generated rule"));
    }
    o
}

/// The documented default rules, written out as `az network nsg show` prints them.
fn default_rules(cli: bool) -> Vec<Value> {
    let rows = [
        (
            "AllowVnetInBound",
            "Inbound",
            65000,
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            "Inbound",
            65001,
            "AzureLoadBalancer",
            "*",
            "Allow",
        ),
        ("DenyAllInBound", "Inbound", 65500, "*", "*", "Deny"),
        (
            "AllowVnetOutBound",
            "Outbound",
            65000,
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
        ),
        (
            "AllowInternetOutBound",
            "Outbound",
            65001,
            "*",
            "Internet",
            "Allow",
        ),
        ("DenyAllOutBound", "Outbound", 65500, "*", "*", "Deny"),
    ];
    rows.iter()
        .map(|(name, dir, priority, src, dst, access)| {
            let props = json!({"protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                "sourceAddressPrefix": src, "destinationAddressPrefix": dst, "access": access,
                "priority": priority, "direction": dir, "provisioningState": "Succeeded"});
            wrap(name, props, cli)
        })
        .collect()
}

fn wrap(name: &str, props: Value, cli: bool) -> Value {
    if cli {
        let mut o = props.as_object().cloned().unwrap_or_default();
        o.insert("name".into(), json!(name));
        o.insert("resourceGroup".into(), json!("rg1"));
        Value::Object(o)
    } else {
        json!({"name": name, "properties": props})
    }
}

/// Priorities for each spec: unique per direction, in spec order within a direction.
fn priorities(specs: &[Spec], mode: Mode, rng: &mut Rng) -> Vec<u32> {
    let (mut inbound, mut outbound) = (100u32, 100u32);
    specs
        .iter()
        .map(|s| {
            let next = if s.ingress {
                &mut inbound
            } else {
                &mut outbound
            };
            let step = if mode == Mode::Clean {
                10
            } else {
                1 + rng.below(600) as u32
            };
            *next += step;
            *next
        })
        .collect()
}

/// A document for `specs`.
pub(super) fn doc(specs: &[Spec], mode: Mode, rng: &mut Rng, _src: &mut Source) -> Value {
    let priorities = priorities(specs, mode, rng);
    let shape = rng.below(4);
    let cli = shape == 1 || shape == 3;
    let rules: Vec<Value> = specs
        .iter()
        .zip(&priorities)
        .enumerate()
        .map(|(i, (s, &p))| {
            wrap(
                &format!("rule-{i}"),
                Value::Object(props(s, p, mode, rng, false)),
                cli,
            )
        })
        .collect();
    let defaults = mode == Mode::Hard && rng.below(2) == 0;
    match shape {
        0 => {
            let mut props = json!({"provisioningState": "Succeeded", "securityRules": rules});
            if defaults {
                props["defaultSecurityRules"] = json!(default_rules(false));
            }
            json!({"name": "web-nsg", "location": "westeurope",
                   "id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/web-nsg",
                   "type": "Microsoft.Network/networkSecurityGroups", "properties": props})
        }
        1 => json!({"name": "web-nsg", "location": "westeurope", "resourceGroup": "rg1",
                    "securityRules": rules,
                    "defaultSecurityRules": if defaults { default_rules(true) } else { Vec::new() }}),
        2 => json!({"value": rules}),
        _ => Value::Array(rules),
    }
}

/// One hostile change.
pub(super) fn perturb(doc: &mut Value, rng: &mut Rng) {
    let edits: [(&str, &str); 8] = [
        ("\"destinationPortRange\"", "\"destinationPortRnage\""),
        ("\"sourceAddressPrefix\"", "\"sourceAdressPrefix\""),
        ("\"access\":\"Deny\"", "\"access\":\"Block\""),
        ("\"protocol\":\"Tcp\"", "\"protocol\":\"Gre\""),
        (
            "\"direction\":\"Inbound\"",
            "\"direction\":\"Inbound\",\"x_note\":1",
        ),
        ("\"10.0.0.0/8\"", "\"010.0.0.0/8\""),
        ("\"192.168.1.7/32\"", "\"192.168.01.7/32\""),
        (
            "\"sourcePortRange\":\"*\"",
            "\"sourcePortRange\":\"*\",\"sourcePortRanges\":[\"22\"]",
        ),
    ];
    if super::edit_text(doc, &edits, rng) {
        return;
    }
    match doc {
        Value::Object(o) if o.contains_key("value") => {
            o.insert(
                "nextLink".into(),
                json!("https://management.azure.com/next?page=2"),
            );
        }
        Value::Array(items) => {
            // a second rule with the first one's direction and priority
            if let Some(first) = items.first().cloned() {
                items.push(first);
            }
        }
        Value::Object(o) => {
            o.insert("value".into(), json!([]));
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// the evaluator's Azure reading, on hand-written documents

#[cfg(test)]
mod evaluator {
    use super::super::{one, pkt};
    use crate::common::raw::{self, Dir, Given, Packet};

    fn member(mut p: Packet, id: &str) -> Packet {
        p.groups.insert(id.to_string());
        p
    }

    const NSG: &str = r#"{"name": "web", "properties": {"securityRules": [
        {"name": "deny-ssh-office", "properties": {"protocol": "Tcp", "sourcePortRange": "*",
          "destinationPortRange": "22", "sourceAddressPrefix": "10.0.0.0/8",
          "destinationAddressPrefix": "*", "access": "Deny", "priority": 100, "direction": "Inbound"}},
        {"name": "ssh", "properties": {"protocol": "Tcp", "sourcePortRange": "*",
          "destinationPortRanges": ["22", "8000-8080"], "sourceAddressPrefix": "*",
          "destinationAddressPrefix": "*", "access": "Allow", "priority": 200, "direction": "Inbound"}},
        {"name": "web-any", "properties": {"protocol": "*", "sourcePortRange": "*",
          "destinationPortRange": "443", "sourceAddressPrefix": "Internet",
          "destinationAddressPrefix": "VirtualNetwork", "access": "Allow", "priority": 300,
          "direction": "Inbound"}},
        {"name": "high-ports", "properties": {"protocol": "Udp", "sourcePortRange": "1024-65535",
          "destinationPortRange": "53", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
          "access": "Allow", "priority": 400, "direction": "Inbound"}},
        {"name": "deny-local", "properties": {"protocol": "Icmp", "sourcePortRange": "*",
          "destinationPortRange": "*", "sourceAddressPrefix": "*",
          "destinationAddressPrefix": "10.1.0.0/16", "access": "Deny", "priority": 500,
          "direction": "Inbound"}},
        {"name": "ping", "properties": {"protocol": "Icmp", "sourcePortRange": "*",
          "destinationPortRange": "*", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
          "access": "Allow", "priority": 600, "direction": "Inbound"}}]}}"#;

    #[test]
    fn evaluator_azure_priorities_defaults_and_partial_rules() {
        let g = one(NSG, "azure-nsg", &Given::default());
        assert_eq!(g.stateful, Some(true));
        let i = |proto, port, addr| pkt(Dir::In, proto, port, addr);
        let web = |proto| member(i(proto, 443, "1.2.3.4"), "ag:Internet");
        let gre = |dir, tag: &str| member(pkt(dir, 47, 0, "1.2.3.4"), tag);
        // (packet, allowed under every reading, under some reading, why)
        let cases = [
            (i(6, 22, "10.1.2.3"), false, false, "the deny at 100 first"),
            (i(6, 22, "1.2.3.4"), true, true, "then the allow at 200"),
            (
                i(6, 8080, "2001:db8::1"),
                true,
                true,
                "`*` is both families",
            ),
            (
                i(6, 8081, "1.2.3.4"),
                false,
                false,
                "outside the port ranges",
            ),
            (web(17), true, true, "`*` with ports: UDP on them"),
            (i(17, 443, "1.2.3.4"), false, false, "outside the tag"),
            (
                web(50),
                false,
                false,
                "`*` with ports: no portless protocol",
            ),
            (
                i(17, 53, "1.2.3.4"),
                false,
                true,
                "source ports: some packets only",
            ),
            (
                i(1, 0, "1.2.3.4"),
                false,
                true,
                "a deny of some local addresses",
            ),
            (
                i(58, 0, "2001:db8::1"),
                true,
                true,
                "Icmp in IPv6 is ICMPv6",
            ),
            (
                gre(Dir::In, "ag:VirtualNetwork"),
                true,
                true,
                "AllowVnetInBound",
            ),
            (
                gre(Dir::In, "ag:AzureLoadBalancer"),
                true,
                true,
                "load balancer",
            ),
            (i(47, 0, "1.2.3.4"), false, false, "DenyAllInBound"),
            (
                gre(Dir::Out, "ag:Internet"),
                true,
                true,
                "AllowInternetOutBound",
            ),
            (
                pkt(Dir::Out, 6, 80, "1.2.3.4"),
                false,
                false,
                "DenyAllOutBound",
            ),
        ];
        for (p, min, max, why) in cases {
            let r = g.eval(&p);
            assert_eq!((r.min, r.max), (min, max), "{why}: {p:?}");
        }
    }

    #[test]
    fn evaluator_azure_listed_defaults_replace_the_documented_ones() {
        let text = r#"{"securityRules": [], "defaultSecurityRules": [
            {"name": "DenyAllInBound", "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
             "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Deny",
             "priority": 65500, "direction": "Inbound"}]}"#;
        let g = one(text, "azure-nsg", &Given::default());
        assert!(
            !g.eval(&member(pkt(Dir::In, 6, 1, "1.2.3.4"), "ag:VirtualNetwork"))
                .max
        );
        let list = one("[]", "azure-nsg", &Given::default());
        assert!(
            list.eval(&member(pkt(Dir::Out, 6, 1, "::1"), "ag:VirtualNetwork"))
                .min,
            "a rule list keeps the defaults"
        );
    }

    #[test]
    fn evaluator_azure_refuses_what_it_cannot_judge() {
        let rule = |extra: &str| {
            format!(
                r#"[{{"name": "a", "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22",
                   "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Allow",
                   "priority": 100, "direction": "Inbound"{extra}}}]"#
            )
        };
        for bad in [
            rule(r#", "sourcePortRanges": ["22"]"#),
            rule(r#", "x_note": 1"#),
            rule(r#", "destinationPortRanges": ["80"]"#),
            rule(r#", "sourceAddressPrefixes": ["10.0.0.0/8"]"#),
            rule("").replace("\"Tcp\"", "\"Gre\""),
            rule("").replace("100,", "5000,"),
            rule("")
                .replace("\"*\", \"access\"", "\"2001:db8::/32\", \"access\"")
                .replace(
                    "\"sourceAddressPrefix\": \"*\"",
                    "\"sourceAddressPrefix\": \"10.0.0.0/8\"",
                ),
            rule("").replace("\"Tcp\"", "\"Icmp\""),
            r#"{"value": [], "nextLink": "https://management.azure.com/next"}"#.to_owned(),
        ] {
            let m = raw::evaluate(&bad, "azure-nsg", &Given::default());
            assert!(m.groups().is_none(), "{bad}: {m:?}");
        }
        let twice = rule("").replace("}]", "}, {\"name\": \"b\", \"protocol\": \"Udp\", \"sourcePortRange\": \"*\", \"destinationPortRange\": \"*\", \"sourceAddressPrefix\": \"*\", \"destinationAddressPrefix\": \"*\", \"access\": \"Deny\", \"priority\": 100, \"direction\": \"Inbound\"}]");
        assert!(
            raw::evaluate(&twice, "azure-nsg", &Given::default())
                .groups()
                .is_none(),
            "one priority twice"
        );
    }
}
