//! `openstack security group rule list -f json` (python-openstackclient's table) read as an
//! OpenStack import shape: every row read, what the table cannot say read the narrow way and
//! reported, statefulness from the import options, and the command line.

mod common;

use sgconv::model::{Direction, Family, Icmp, PortSet, Protocol, Remote};
use sgconv::report::{Field, Kind, Verdict};
use sgconv::{ImportOptions, Options, ProviderId};

const OS: ProviderId = ProviderId::OpenStack;

fn table() -> String {
    let path = common::fixtures(OS)
        .into_iter()
        .find(|p| common::stem(p) == "cli_rule_list_table")
        .expect("fixture");
    std::fs::read_to_string(path).expect("read")
}

fn stateful(yes: Option<bool>) -> Options {
    Options::default().with_import(ImportOptions::default().with_stateful(yes))
}

#[test]
fn every_row_is_read_with_its_columns() {
    let imported = sgconv::import(&table(), OS, &stateful(Some(true))).expect("imports");
    let doc = imported.document;
    assert_eq!(doc.groups.len(), 1);
    let group = &doc.groups[0];
    assert_eq!(
        group.id.as_deref(),
        Some("85cc3048-abc3-43cc-89b3-377341426ac5"),
        "the Security Group column"
    );
    assert!(group.stateful, "--stateful true");
    let rules = &group.rules;
    assert_eq!(rules.len(), 11);
    assert_eq!(rules[0].direction(), Direction::Egress);
    assert_eq!(rules[1].family(), Family::V6);
    assert_eq!(rules[0].protocol(), Protocol::Any, "IP Protocol null");
    assert_eq!(*rules[0].remote(), Remote::Any, "IP Range 0.0.0.0/0");
    assert_eq!(
        rules[2].origin().id.as_deref(),
        Some("00000003-1d2e-4f60-9a7b-8c9d0e1f2a3b"),
        "the ID column"
    );
    assert_eq!(
        rules[3].ports().to_string(),
        "8000-8080",
        "Port Range 8000:8080"
    );
    assert_eq!(
        rules[5].icmp(),
        Icmp::TypeCode(3, 4),
        "type=3:code=4 is exact"
    );
    assert_eq!(
        *rules[8].remote(),
        Remote::Group("85cc3048-abc3-43cc-89b3-377341426ac5".into()),
        "Remote Security Group beside IP Range 0.0.0.0/0"
    );
    assert_eq!(
        *rules[9].remote(),
        Remote::AddressGroup("a3b1f5c2-1d2e-4f60-9a7b-8c9d0e1f2a3b".into())
    );
    assert_eq!(rules[10].protocol(), Protocol::Number(112));
    assert_eq!(rules[10].ports(), &PortSet::any());
}

#[test]
fn icmp_without_a_zero_type_or_code_is_read_narrowest_and_reported() {
    let imported = sgconv::import(&table(), OS, &stateful(Some(true))).expect("imports");
    let rules = &imported.document.groups[0].rules;
    assert_eq!(
        rules[4].icmp(),
        Icmp::TypeCode(8, 0),
        "type=8: code 0 or every code"
    );
    assert_eq!(
        rules[6].icmp(),
        Icmp::TypeCode(0, 0),
        "\"\": every type, type 0, or 0/0"
    );
    assert_eq!(rules[7].protocol(), Protocol::ICMPV6);
    assert_eq!(rules[7].icmp(), Icmp::TypeCode(128, 0));
    let narrowed: Vec<usize> = imported
        .report
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Narrowed && e.field == Field::Icmp)
        .filter_map(|e| e.rule.as_ref().and_then(|o| o.index))
        .collect();
    assert_eq!(narrowed, [4, 6, 7]);
    assert_eq!(imported.report.verdict, Verdict::Narrowed);
}

#[test]
fn statefulness_comes_from_the_options_or_is_read_stateless() {
    let unknown = sgconv::import(&table(), OS, &stateful(None)).expect("imports");
    assert!(!unknown.document.groups[0].stateful);
    assert!(
        unknown
            .report
            .entries
            .iter()
            .any(|e| e.field == Field::Stateful && e.kind == Kind::Narrowed),
        "reported"
    );
    let refused = common::convert(&table(), OS, ProviderId::GcoreV1, &stateful(None));
    assert!(
        refused.is_err(),
        "a stateless reading widens into a stateful target"
    );
    let c = common::convert(&table(), OS, ProviderId::GcoreV1, &stateful(Some(true)))
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(
        c.report.verdict,
        Verdict::Narrowed,
        "the ICMP readings and the address group"
    );
}

#[test]
fn malformed_rows_are_located_errors() {
    let row = r#"{"ID": "r1", "IP Protocol": "tcp", "Ethertype": "IPv4", "IP Range": "10.0.0.0/8",
        "Port Range": "PORTS", "Direction": "ingress", "Remote Security Group": null,
        "Remote Address Group": null}"#;
    for (ports, says) in [
        ("22-24", "is not empty or MIN:MAX"),
        ("0:22", "leaves out 0"),
        ("24:22", "reversed"),
    ] {
        let text = format!("[\n{}\n]", row.replace("PORTS", ports));
        let e = sgconv::import(&text, OS, &Options::default())
            .err()
            .unwrap_or_else(|| panic!("{ports} accepted"))
            .to_string();
        assert!(e.contains("[0] (line 5, column"), "{e}");
        assert!(e.contains(says), "{ports}: {e}");
    }
}

#[test]
fn the_command_line_reads_a_table_from_stdin() {
    let (code, out, err) = common::raw::run_args(
        &[
            "convert",
            "--from",
            "openstack",
            "--to",
            "openstack",
            "--stateful",
            "true",
            "-",
        ],
        &table(),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["security_group"]["stateful"], true);
    assert_eq!(v["security_group_rules"].as_array().map(Vec::len), Some(11));
    assert!(err.contains("narrowed"), "{err}");
}
