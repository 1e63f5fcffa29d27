//! OpenStack Neutron documents for the raw-semantics properties: a group response
//! (`{security_group: {...}}`), `openstack security group show -f json`'s bare group, a group
//! list, a rule list grouped by `security_group_id`, or one rule, from generated specs. The hard
//! mode adds what Neutron documents but is easy to misread (stateless groups, `icmp` with IPv6,
//! protocol numbers and `any`, address groups, an explicit 1-65535, ICMP type without code,
//! `normalized_cidr` beside a prefix with host bits); the perturbed mode a next page and what
//! Neutron does not document.

use super::{Mode, Rng, Source, Spec, neutron_ports};
use serde_json::{Map, Value, json};

const GROUP_ID: &str = "3addc7a1-e926-46da-b5a2-eb4b2f935230";
const ADDRESS_GROUP: &str = "a3b1f5c2-1d2e-4f60-9a7b-8c9d0e1f2a3b";

/// A spec Neutron can hold: allow only, ICMP type/code on ICMP rules, sometimes an address group.
pub(super) fn adapt(s: &mut Spec, rng: &mut Rng) {
    super::allow_only_spec(s, rng, |_| format!("ag:{ADDRESS_GROUP}"));
}

fn protocol(s: &Spec, mode: Mode, rng: &mut Rng) -> Value {
    let hard = mode == Mode::Hard;
    match s.proto {
        0 if hard && rng.below(2) == 0 => json!("any"),
        0 => Value::Null,
        6 if hard && rng.below(3) == 0 => json!("6"),
        6 => json!("tcp"),
        17 => json!("udp"),
        1 => json!("icmp"),
        58 if hard && rng.below(2) == 0 => json!("icmp"), // Neutron reads it as ipv6-icmp
        58 => json!("ipv6-icmp"),
        47 => json!("gre"),
        132 => json!("sctp"),
        n => json!(n.to_string()),
    }
}

fn rule(s: &Spec, i: usize, mode: Mode, response: bool, rng: &mut Rng) -> Value {
    let hard = mode == Mode::Hard;
    let mut o = Map::new();
    o.insert(
        "direction".into(),
        json!(if s.ingress { "ingress" } else { "egress" }),
    );
    if s.v6 || response || rng.below(3) != 0 {
        o.insert(
            "ethertype".into(),
            json!(if s.v6 { "IPv6" } else { "IPv4" }),
        );
    }
    let proto = protocol(s, mode, rng);
    if !proto.is_null() || response || rng.below(2) == 0 {
        o.insert("protocol".into(), proto);
    }
    neutron_ports(&mut o, s, response);
    match &s.remote {
        Some(Ok(c)) => {
            o.insert("remote_ip_prefix".into(), json!(c));
            if response && hard && c.contains('/') {
                o.insert("normalized_cidr".into(), json!(c));
            }
        }
        Some(Err(g)) if g.starts_with("ag:") => {
            o.insert("remote_address_group_id".into(), json!(&g[3..]));
        }
        Some(Err(g)) => {
            o.insert("remote_group_id".into(), json!(g));
        }
        None => {}
    }
    if response {
        for k in [
            "remote_ip_prefix",
            "remote_group_id",
            "remote_address_group_id",
        ] {
            o.entry(k).or_insert(Value::Null);
        }
        o.insert(
            "id".into(),
            json!(format!("00000000-0000-4000-8000-{i:012}")),
        );
        o.insert("security_group_id".into(), json!(GROUP_ID));
        o.insert(
            "project_id".into(),
            json!("e4f50856753b4dc6afee5fa6b9b6c550"),
        );
        o.insert(
            "tenant_id".into(),
            json!("e4f50856753b4dc6afee5fa6b9b6c550"),
        );
        o.insert("description".into(), json!(""));
        o.insert("revision_number".into(), json!(0));
        o.insert("created_at".into(), json!("2024-03-05T10:21:53Z"));
        o.insert("updated_at".into(), json!("2024-03-05T10:21:53Z"));
        o.insert("tags".into(), json!([]));
        if hard {
            o.insert("belongs_to_default_sg".into(), json!(false));
        }
    } else {
        o.insert("security_group_id".into(), json!(GROUP_ID));
    }
    Value::Object(o)
}

/// One row of `openstack security group rule list -f json`, as python-openstackclient 10.5
/// formats a rule (`format_network_port_range`, `format_remote_ip_prefix`).
fn row(s: &Spec, i: usize) -> Value {
    let proto = match s.proto {
        0 => Value::Null,
        6 => json!("tcp"),
        17 => json!("udp"),
        1 => json!("icmp"),
        58 => json!("ipv6-icmp"),
        47 => json!("gre"),
        132 => json!("sctp"),
        n => json!(n.to_string()),
    };
    let truthy = |v: Option<u8>| v.filter(|&v| v != 0);
    let ports = match (s.ports, s.icmp) {
        (Some((a, b)), _) => format!("{a}:{b}"),
        (None, Some((t, c))) => {
            let mut text = truthy(Some(t)).map_or(String::new(), |t| format!("type={t}"));
            if let Some(c) = truthy(c) {
                text += &format!(":code={c}");
            }
            text
        }
        _ => String::new(),
    };
    let any = if s.v6 { "::/0" } else { "0.0.0.0/0" };
    let (range, group, set) = match &s.remote {
        None => (any.to_owned(), Value::Null, Value::Null),
        Some(Ok(c)) if c.contains('/') => (c.clone(), Value::Null, Value::Null),
        Some(Ok(c)) => (
            format!("{c}/{}", if s.v6 { 128 } else { 32 }),
            Value::Null,
            Value::Null,
        ),
        Some(Err(g)) if g.starts_with("ag:") => (any.to_owned(), Value::Null, json!(&g[3..])),
        Some(Err(g)) => (any.to_owned(), json!(g), Value::Null),
    };
    json!({"ID": format!("00000000-0000-4000-8000-{i:012}"), "IP Protocol": proto,
        "Ethertype": if s.v6 { "IPv6" } else { "IPv4" }, "IP Range": range, "Port Range": ports,
        "Direction": if s.ingress { "ingress" } else { "egress" },
        "Remote Security Group": group, "Remote Address Group": set, "Security Group": GROUP_ID})
}

/// A document for `specs`.
pub(super) fn doc(specs: &[Spec], mode: Mode, rng: &mut Rng, src: &mut Source) -> Value {
    if rng.below(5) == 0 {
        // the client's table: it does not say whether the group is stateful
        if src.given.stateful.is_none() && (mode == Mode::Clean || rng.below(3) != 0) {
            src.given.stateful = Some(true);
            src.args.extend(["--stateful".into(), "true".into()]);
        }
        return Value::Array(specs.iter().enumerate().map(|(i, s)| row(s, i)).collect());
    }
    let shape = rng.below(if specs.len() == 1 { 5 } else { 4 });
    let response = shape <= 2 || rng.below(2) == 0;
    let rules: Vec<Value> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| rule(s, i, mode, response, rng))
        .collect();
    let stateful = mode != Mode::Hard || rng.below(3) != 0;
    let group = |rules: Vec<Value>, key: &str| {
        let mut g = json!({"id": GROUP_ID, "name": "web", "description": "generated",
            "stateful": stateful, "project_id": "e4f50856753b4dc6afee5fa6b9b6c550",
            "revision_number": 4, "created_at": "2024-03-05T10:21:50Z",
            "updated_at": "2024-03-05T10:21:53Z", "tags": [], "shared": false});
        g[key] = Value::Array(rules);
        g
    };
    match shape {
        0 => json!({"security_group": group(rules, "security_group_rules")}),
        1 => group(rules, "rules"),
        2 => json!({"security_groups": [group(rules, "security_group_rules")]}),
        3 => json!({"security_group_rules": rules}),
        _ => json!({"security_group_rule": rules.into_iter().next().unwrap_or_default()}),
    }
}

/// One hostile change.
pub(super) fn perturb(doc: &mut Value, rng: &mut Rng) {
    let edits: [(&str, &str); 6] = [
        ("\"ethertype\":\"IPv4\"", "\"ethertype\":\"ipv4\""),
        ("\"protocol\":\"tcp\"", "\"protocol\":\"TCP\""),
        ("\"port_range_max\"", "\"port_range_mx\""),
        ("\"remote_group_id\"", "\"remote_groups_id\""),
        ("\"direction\":\"egress\"", "\"direction\":\"outbound\""),
        ("\"10.1.2.0/24\"", "\"10.01.2.0/24\""),
    ];
    if super::edit_text(doc, &edits, rng) {
        return;
    }
    if let Some(o) = doc.as_object_mut() {
        // Neutron's pagination: a `<resources>_links` list with a `next` link
        let key = if o.contains_key("security_groups") {
            "security_groups_links"
        } else {
            "security_group_rules_links"
        };
        o.insert(
            key.into(),
            json!([{"href": "https://network.example.com/v2.0/security-group-rules?marker=x", "rel": "next"}]),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// the evaluator's OpenStack reading, on hand-written documents

#[cfg(test)]
mod evaluator {
    use super::super::{one, pkt};
    use crate::common::raw::{self, Dir, Given};

    #[test]
    fn evaluator_openstack_rules_statefulness_and_pages() {
        let text = r#"{"security_group": {"id": "g", "stateful": false, "security_group_rules": [
            {"direction": "ingress", "ethertype": "IPv6", "protocol": "icmp", "port_range_min": 128},
            {"direction": "ingress", "protocol": "6", "port_range_min": 20, "port_range_max": 22,
             "remote_ip_prefix": "10.0.0.0/8"},
            {"direction": "egress", "protocol": null, "remote_address_group_id": "set-1"}]}}"#;
        let g = one(text, "openstack", &Given::default());
        assert_eq!(g.stateful, Some(false));
        let mut echo = pkt(Dir::In, 58, 0, "2001:db8::1");
        echo.icmp = (128, 5);
        assert!(
            g.eval(&echo).min,
            "icmp with IPv6 is ipv6-icmp; type 128, any code"
        );
        assert!(g.eval(&pkt(Dir::In, 6, 21, "10.9.9.9")).min);
        assert!(!g.eval(&pkt(Dir::In, 6, 23, "10.9.9.9")).max);
        assert!(
            !g.eval(&pkt(Dir::In, 6, 21, "2001:db8::1")).max,
            "IPv4 when not given"
        );
        let mut out = pkt(Dir::Out, 47, 0, "1.2.3.4");
        assert!(!g.eval(&out).max);
        out.groups.insert("ag:set-1".into());
        assert!(g.eval(&out).min, "an address group");
        for bad in [
            r#"{"security_group_rules": [], "security_group_rules_links": [{"href": "x", "rel": "next"}]}"#,
            r#"{"security_groups": [], "security_groups_links": [{"href": "x", "rel": "next"}]}"#,
            r#"{"security_group_rule": {"direction": "ingress", "ethertype": "ipv4"}}"#,
            r#"{"security_group_rule": {"direction": "ingress", "protocol": "ipv6-icmp"}}"#,
        ] {
            let m = raw::evaluate(bad, "openstack", &Given::default());
            assert!(m.groups().is_none(), "{bad}: {m:?}");
        }
        let last = raw::evaluate(
            r#"{"security_group_rules": [], "security_group_rules_links": [{"href": "x", "rel": "previous"}]}"#,
            "openstack",
            &Given::default(),
        );
        assert!(last.groups().is_some(), "the last page: {last:?}");
    }

    #[test]
    fn evaluator_openstack_table_readings() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/openstack/cli_rule_list_table.json"
        );
        let text = std::fs::read_to_string(path).expect("fixture");
        let given = Given {
            stateful: Some(true),
            ..Given::default()
        };
        let g = one(&text, "openstack", &given);
        let icmp = |addr: &str, t, c| {
            let mut p = pkt(Dir::In, 1, 0, addr);
            p.icmp = (t, c);
            p
        };
        // (packet, allowed under every reading, under some reading, why)
        let cases = [
            (
                icmp("203.0.113.9", 8, 0),
                true,
                true,
                "type=8: code 0 in every reading",
            ),
            (
                icmp("203.0.113.9", 8, 5),
                false,
                true,
                "type=8: every code in one",
            ),
            (
                icmp("198.51.100.9", 0, 0),
                true,
                true,
                "\"\": type 0 code 0",
            ),
            (
                icmp("198.51.100.9", 3, 1),
                false,
                true,
                "\"\": every type in one",
            ),
            (icmp("192.0.2.1", 3, 4), true, true, "type=3:code=4"),
            (
                icmp("192.0.2.1", 3, 5),
                false,
                false,
                "type=3:code=4, no other code",
            ),
            (pkt(Dir::In, 6, 8000, "192.0.2.1"), true, true, "8000:8080"),
            (
                pkt(Dir::In, 6, 22, "192.0.2.1"),
                false,
                false,
                "22:22 from 192.168.10.0/24",
            ),
        ];
        for (p, min, max, why) in cases {
            let r = g.eval(&p);
            assert_eq!((r.min, r.max), (min, max), "{why}: {p:?}");
        }
        let old = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/malformed/openstack/rule_table_without_direction.json"
        );
        let old = std::fs::read_to_string(old).expect("malformed case");
        assert!(raw::evaluate(&old, "openstack", &given).groups().is_none());
    }
}
