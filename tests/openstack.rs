//! OpenStack Neutron: the group, rule-list and CLI `show` shapes, stateless groups, remote
//! groups and address groups, protocol numbers and names, and conversions with Gcore v1.

mod common;

use sgconv::model::{Family, Icmp, Protocol, Remote};
use sgconv::report::Verdict;
use sgconv::{Options, ProviderId};

const OS: ProviderId = ProviderId::OpenStack;

fn fixture(stem: &str) -> String {
    let path = common::fixtures(OS)
        .into_iter()
        .find(|p| common::stem(p) == stem)
        .expect("fixture");
    std::fs::read_to_string(path).expect("read")
}

fn import(text: &str) -> sgconv::Document {
    sgconv::import(text, OS, &Options::default())
        .map(|i| i.document)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn convert(text: &str, to: ProviderId) -> sgconv::Converted {
    common::convert(text, OS, to, &Options::default())
        .unwrap_or_else(|e| panic!("openstack -> {to}: {e}"))
}

fn json(c: &sgconv::Converted) -> serde_json::Value {
    c.output().expect("output").to_value().expect("JSON")
}

#[test]
fn the_cli_show_output_reads_every_rule() {
    let doc = import(&fixture("cli_security_group_show_web"));
    let group = &doc.groups[0];
    assert_eq!(group.name.as_deref(), Some("web"));
    assert!(group.stateful);
    assert_eq!(group.rules.len(), 7);
    let icmp = &group.rules[4];
    assert_eq!(icmp.protocol(), Protocol::ICMP);
    assert_eq!(
        icmp.icmp(),
        Icmp::TypeCode(3, 0),
        "type/code in port_range_min/max"
    );
    assert_eq!(
        *group.rules[6].remote(),
        Remote::Group("f6bdedc7-6887-41f1-9869-ef995d8f8c6b".into())
    );
}

#[test]
fn openstack_to_gcore_v1_is_exact_and_keeps_every_rule() {
    for stem in [
        "cli_security_group_show_web",
        "security_group_show_response_default",
    ] {
        let c = convert(&fixture(stem), ProviderId::GcoreV1);
        assert_eq!(c.report.verdict, Verdict::Exact, "{stem}");
        let rules = json(&c);
        let count = import(&fixture(stem)).groups[0].rules.len();
        assert_eq!(rules.as_array().map(Vec::len), Some(count), "{stem}");
    }
}

#[test]
fn address_groups_are_read_and_written_back() {
    let doc = import(&fixture("security_group_rules_list_address_group"));
    assert_eq!(
        *doc.groups[0].rules[0].remote(),
        Remote::AddressGroup("8722e0e0-9cc9-4490-9660-8c9a5732fbb0".into())
    );
    assert_eq!(
        doc.groups[0].id.as_deref(),
        Some("85cc3048-abc3-43cc-89b3-377341426ac5"),
        "a flat list is grouped by security_group_id"
    );
    let c = convert(&fixture("security_group_rules_list_address_group"), OS);
    assert_eq!(c.report.verdict, Verdict::Exact);
    assert_eq!(
        json(&c)["security_group_rules"][0]["remote_address_group_id"],
        "8722e0e0-9cc9-4490-9660-8c9a5732fbb0"
    );
}

#[test]
fn a_stateless_group_round_trips_and_is_refused_by_a_stateful_target() {
    let text = fixture("security_group_rules_bulk_create_stateless");
    let doc = import(&text);
    assert!(!doc.groups[0].stateful);
    assert_eq!(doc.groups[0].rules[2].protocol(), Protocol::Number(112));
    let c = convert(&text, OS);
    assert_eq!(c.report.verdict, Verdict::Exact);
    assert_eq!(json(&c)["security_group"]["stateful"], false);
    let to_gcore = common::convert(&text, OS, ProviderId::GcoreV1, &Options::default());
    assert!(
        to_gcore.is_err(),
        "stateless into an always-stateful target widens"
    );
}

#[test]
fn protocols_by_name_number_and_any() {
    let body = |p: &str, e: &str| {
        format!(
            r#"{{"security_group_rule": {{"direction": "ingress", "ethertype": "{e}", "protocol": {p}}}}}"#
        )
    };
    let read = |p: &str, e: &str| import(&body(p, e)).groups[0].rules[0].protocol();
    assert_eq!(read("\"any\"", "IPv4"), Protocol::Any);
    assert_eq!(read("null", "IPv4"), Protocol::Any);
    assert_eq!(read("\"ipv6-icmp\"", "IPv6"), Protocol::ICMPV6);
    assert_eq!(read("\"icmpv6\"", "IPv6"), Protocol::ICMPV6);
    assert_eq!(
        read("\"icmp\"", "IPv6"),
        Protocol::ICMPV6,
        "Neutron's rewrite"
    );
    assert_eq!(read("\"94\"", "IPv4"), Protocol::Number(94));
    assert_eq!(read("\"ipip\"", "IPv4"), Protocol::Number(4));
    let c = convert(&body("\"94\"", "IPv4"), OS);
    assert_eq!(json(&c)["security_group_rules"][0]["protocol"], "94");
    let c = convert(&body("\"ipip\"", "IPv4"), OS);
    assert_eq!(json(&c)["security_group_rules"][0]["protocol"], "ipip");
    let c = convert(&body("\"any\"", "IPv6"), OS);
    let rule = &json(&c)["security_group_rules"][0];
    assert_eq!(rule["protocol"], serde_json::Value::Null);
    assert_eq!(rule["ethertype"], "IPv6");
    assert_eq!(
        import(&body("null", "IPv6")).groups[0].rules[0].family(),
        Family::V6
    );
}
