//! Terraform in: `terraform show -json` state and plan output, `.tfstate` v4 and `.tf` files
//! read with each provider's Terraform conventions (fixtures in `tests/fixtures/terraform/`,
//! see its SOURCES.md); snapshots `terraform_in@<fixture>.snap` of each read as canonical.

mod common;

use std::path::Path;

use sgconv::model::{Action, Direction, Family, Protocol, Remote};
use sgconv::report::{Kind, Verdict};
use sgconv::{ExportOptions, Format, Options, ProviderId};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every fixture and the provider whose resources it holds.
const FIXTURES: &[(&str, ProviderId)] = &[
    ("scaleway_show_state.json", ProviderId::Scaleway),
    ("scaleway_show_state_modules.json", ProviderId::Scaleway),
    ("huawei_plan.json", ProviderId::Huawei),
    ("huawei_plan_unknown_remote.json", ProviderId::Huawei),
    ("gcore_v2.tfstate", ProviderId::GcoreV2),
    ("gcore_v1_show_state.json", ProviderId::GcoreV1),
];

fn read(name: &str, from: ProviderId) -> sgconv::Imported {
    sgconv::import(&fixture(name), from, &Options::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_fixture_is_detected_and_read_as_canonical() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform");
    let on_disk = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| {
            !["SOURCES.md", "scaleway_api_equivalent.json"]
                .contains(&&*e.file_name().to_string_lossy())
        })
        .count();
    assert_eq!(on_disk, FIXTURES.len(), "a fixture is not in FIXTURES");
    for (name, from) in FIXTURES {
        let text = fixture(name);
        assert_eq!(Format::detect(&text), Format::Terraform, "{name}");
        let options = Options::default().with_allow_unread(true);
        let value = common::outcome(&text, *from, ProviderId::Canonical, &options);
        let snapshot = format!("terraform_in@{}", name.replace('.', "_"));
        common::settings().bind(|| insta::assert_yaml_snapshot!(snapshot, value));
    }
}

#[test]
fn scaleway_rules_take_the_provider_defaults() {
    let doc = read("scaleway_show_state.json", ProviderId::Scaleway).document;
    let [web] = doc.groups.as_slice() else {
        panic!("one group: {doc:?}")
    };
    assert_eq!(web.default_inbound, Action::Deny);
    assert!(web.stateful);
    let inbound: Vec<_> = web
        .rules
        .iter()
        .filter(|r| r.direction() == Direction::Ingress)
        .collect();
    // No protocol in the configuration: TCP only (UDP from the banned address is not dropped).
    assert!(inbound.iter().all(|r| r.protocol() == Protocol::TCP));
    // "0-0": every port.
    assert!(inbound[0].ports().is_any());
    assert_eq!(inbound[0].action(), Action::Deny);
    // No ip_range: 0.0.0.0/0, IPv4 only.
    assert_eq!(*inbound[2].remote(), Remote::Any);
    assert_eq!(inbound[2].family(), Family::V4);
    assert!(
        web.rules.iter().all(|r| r.family() == Family::V4),
        "nothing reaches ::/0"
    );
    assert_eq!(
        inbound[1].origin().id.as_deref(),
        Some("scaleway_instance_security_group.web.inbound_rule[1]")
    );
}

#[test]
fn child_modules_and_instances_are_walked() {
    let doc = read("scaleway_show_state_modules.json", ProviderId::Scaleway).document;
    let names: Vec<_> = doc.groups.iter().map(|g| g.name.clone().unwrap()).collect();
    assert_eq!(
        names,
        ["open-sg", "app-0", "app-1"],
        "the data source is not a group"
    );
    let app1 = &doc.groups[2];
    assert!(!app1.stateful);
    assert_eq!(app1.platform_blocks, Some(Vec::new()));
    assert_eq!(
        app1.rules[1].origin().id.as_deref(),
        Some("module.app.scaleway_instance_security_group_rules.app[1].outbound_rule[0]")
    );
    let doc = read("gcore_v2.tfstate", ProviderId::GcoreV2).document;
    let db = &doc.groups[1];
    assert_eq!(
        db.rules[0].origin().id.as_deref(),
        Some("module.db.gcore_cloud_security_group_rule.rules[\"postgres\"]")
    );
    assert_eq!(
        *db.rules[0].remote(),
        Remote::Group(doc.groups[0].id.clone().unwrap())
    );
    // The web group's rule made outside Terraform, from its security_group_rules.
    assert_eq!(doc.groups[0].rules.len(), 3);
}

#[test]
fn a_plan_places_new_rules_by_the_configuration_references() {
    let read = read("huawei_plan.json", ProviderId::Huawei);
    assert_eq!(
        read.report.verdict,
        Verdict::Exact,
        "{:#?}",
        read.report.entries
    );
    let groups = &read.document.groups;
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].rules.len(), 3);
    let ids: Vec<_> = groups[1]
        .rules
        .iter()
        .filter_map(|r| r.origin().id.as_deref())
        .collect();
    assert!(ids.contains(&"module.db.huaweicloud_networking_secgroup_rule.postgres[1]"));
    // delete_default_rules = false: Huawei's four default rules are part of the new group.
    assert_eq!(groups[1].rules.len(), 6);
    assert!(groups[1].rules.iter().any(|r| r.priority() == Some(100)));
}

#[test]
fn unknown_values_are_unread_and_refused() {
    let text = fixture("huawei_plan_unknown_remote.json");
    let out = sgconv::convert(
        &text,
        ProviderId::Huawei,
        ProviderId::Scaleway,
        &Options::default(),
    )
    .expect("reads");
    assert_eq!(out.report.verdict, Verdict::Unverified);
    assert!(out.outcome.is_err(), "refused without allow_unread");
    let unread: Vec<_> = out
        .report
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Unread)
        .collect();
    assert_eq!(
        unread[0].path.as_deref(),
        Some("huaweicloud_networking_secgroup_rule.from_subnet.remote_ip_prefix")
    );
    let allowed = sgconv::convert(
        &text,
        ProviderId::Huawei,
        ProviderId::Scaleway,
        &Options::default().with_allow_unread(true),
    )
    .expect("reads");
    assert!(allowed.outcome.is_ok());
}

#[test]
fn wrong_versions_are_refused() {
    for (text, says) in [
        (
            r#"{"format_version": "2.0", "values": {}}"#,
            "format_version",
        ),
        (r#"{"version": 3, "resources": []}"#, "version 3"),
        (r#"{"format_version": "1.0"}"#, "without `values`"),
    ] {
        let e = sgconv::import(
            text,
            ProviderId::Scaleway,
            &Options::default().with_input_format(Some(Format::Terraform)),
        )
        .expect_err(text);
        assert!(e.to_string().contains(says), "{text}: {e}");
    }
}

#[test]
fn a_configuration_file_is_read_and_expressions_are_unknown() {
    let tf = r#"
resource "scaleway_instance_security_group" "web" {
  inbound_default_policy  = "drop"
  outbound_default_policy = "accept"
  inbound_rule {
    action = "accept"
    port   = 22
  }
  inbound_rule {
    action   = "accept"
    protocol = "UDP"
    ip_range = var.office
  }
}
"#;
    assert_eq!(Format::detect(tf), Format::Terraform);
    let read = sgconv::import(tf, ProviderId::Scaleway, &Options::default()).expect("reads");
    assert_eq!(read.report.verdict, Verdict::Unverified);
    let group = &read.document.groups[0];
    assert_eq!(
        group.rules.len(),
        1,
        "the rule with an unknown ip_range is not read"
    );
    assert_eq!(group.rules[0].protocol(), Protocol::TCP);
}

/// The README's first example: a Huawei rule list (a batch-create response) to a Scaleway
/// configuration that reads back exact (its layout is checked by `terraform fmt` in
/// `tests/terraform_out.rs`).
#[test]
fn huawei_list_to_scaleway_configuration_reads_back_exact() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/huawei/response_batch_create_201.json"),
    )
    .expect("fixture");
    let options = Options::default().with_export(ExportOptions::default().with_terraform(true));
    let out = sgconv::convert(&text, ProviderId::Huawei, ProviderId::Scaleway, &options)
        .expect("converts");
    assert_eq!(out.report.verdict, Verdict::Exact, "{:#?}", out.report);
    let tf = out.output().expect("output").text().to_owned();
    let back = sgconv::convert(
        &tf,
        ProviderId::Scaleway,
        ProviderId::Scaleway,
        &Options::default(),
    )
    .expect("reads back");
    assert_eq!(back.report.verdict, Verdict::Exact);
}

/// The README's second example: a Scaleway state to Gcore v2 bodies and configuration, with
/// the verdict (and bodies) of the same group read from the API.
#[test]
fn scaleway_state_to_gcore_v2_as_from_the_api() {
    let state = fixture("scaleway_show_state.json");
    let api = fixture("scaleway_api_equivalent.json");
    let to = ProviderId::GcoreV2;
    let json = Options::default();
    let hcl = Options::default().with_export(ExportOptions::default().with_terraform(true));
    let from_state = sgconv::convert(&state, ProviderId::Scaleway, to, &json).expect("state");
    let from_api = sgconv::convert(&api, ProviderId::Scaleway, to, &json).expect("api");
    assert_eq!(from_state.report.verdict, from_api.report.verdict);
    assert_eq!(from_state.output().unwrap(), from_api.output().unwrap());
    let tf_state = sgconv::convert(&state, ProviderId::Scaleway, to, &hcl).expect("state");
    let tf_api = sgconv::convert(&api, ProviderId::Scaleway, to, &hcl).expect("api");
    assert_eq!(tf_state.report.verdict, from_api.report.verdict);
    assert_eq!(tf_api.report.verdict, from_api.report.verdict);
    assert_eq!(tf_state.output().unwrap(), tf_api.output().unwrap());
}

#[test]
fn bad_attributes_are_located() {
    let text = fixture("scaleway_show_state.json").replace("\"1.1.1.1/32\"", "\"1.1.1.300/32\"");
    let e = sgconv::import(&text, ProviderId::Scaleway, &Options::default()).expect_err("bad CIDR");
    let sgconv::Error::Input {
        location, message, ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(
        location.path,
        "values.root_module.resources[0].values.inbound_rule[0]"
    );
    assert_eq!((location.line, location.column), (21, 15), "{e}");
    assert!(
        message.contains("scaleway_instance_security_group.web"),
        "{message}"
    );
}

/// Cut short or with bytes changed, a Terraform document is an error or a document, never a
/// panic.
#[test]
fn damaged_documents_never_panic() {
    for (name, from) in FIXTURES {
        let text = fixture(name);
        let bytes = text.as_bytes();
        for cut in (0..bytes.len()).step_by(97) {
            let prefix = String::from_utf8_lossy(&bytes[..cut]);
            let _ = sgconv::import(&prefix, *from, &Options::default());
            let mut changed = bytes.to_vec();
            changed[cut] = b"{}[]\",:0a"[cut % 9];
            let changed = String::from_utf8_lossy(&changed);
            let _ = sgconv::convert(&changed, *from, ProviderId::Scaleway, &Options::default());
        }
    }
    let tf = sgconv::convert(
        &fixture("scaleway_show_state_modules.json"),
        ProviderId::Scaleway,
        ProviderId::Huawei,
        &Options::default()
            .with_allow_widen(true)
            .with_export(ExportOptions::default().with_terraform(true)),
    )
    .expect("converts")
    .outcome
    .expect("written")
    .into_json();
    let tf_options = Options::default().with_input_format(Some(Format::Terraform));
    for cut in 0..tf.len() {
        if let Some(prefix) = tf.get(..cut) {
            let _ = sgconv::import(prefix, ProviderId::Huawei, &tf_options);
        }
    }
}

/// Set `key` to `value` in every group resource's attributes of a Terraform document (show
/// state and plan `values`, a plan's `change.after`, a `.tfstate`'s instance `attributes`).
fn set_in_groups(doc: &mut serde_json::Value, key: &str, value: &serde_json::Value) {
    const GROUPS: [&str; 4] = [
        "scaleway_instance_security_group",
        "huaweicloud_networking_secgroup",
        "gcore_securitygroup",
        "gcore_cloud_security_group",
    ];
    match doc {
        serde_json::Value::Object(map) => {
            let is_group = map
                .get("type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| GROUPS.contains(&t));
            if is_group {
                let mut targets: Vec<&mut serde_json::Value> = Vec::new();
                for (k, v) in map.iter_mut() {
                    match k.as_str() {
                        "values" => targets.push(v),
                        "change" => targets.extend(v.get_mut("after")),
                        "instances" => targets.extend(
                            v.as_array_mut()
                                .into_iter()
                                .flatten()
                                .filter_map(|i| i.get_mut("attributes")),
                        ),
                        _ => {}
                    }
                }
                for t in targets {
                    if let Some(t) = t.as_object_mut() {
                        t.insert(key.to_owned(), value.clone());
                    }
                }
            } else {
                map.values_mut().for_each(|v| set_in_groups(v, key, value));
            }
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| set_in_groups(v, key, value))
        }
        _ => {}
    }
}

/// The unread paths of a Terraform document read with unread attributes allowed.
fn unread_paths(text: &str, from: ProviderId) -> Vec<String> {
    let options = Options::default().with_allow_unread(true);
    let out = sgconv::convert(text, from, ProviderId::Canonical, &options).expect("reads");
    (out.report.entries.iter())
        .filter(|e| e.kind == Kind::Unread)
        .filter_map(|e| e.path.clone())
        .collect()
}

#[test]
fn a_group_attribute_no_dialect_knows_is_unread_but_timeouts_are_known() {
    for (name, from) in FIXTURES {
        let mut doc: serde_json::Value = serde_json::from_str(&fixture(name)).expect("json");
        let before = unread_paths(&doc.to_string(), *from);
        set_in_groups(&mut doc, "timeouts", &serde_json::json!({"create": "5m"}));
        let timed = unread_paths(&doc.to_string(), *from);
        assert_eq!(
            timed, before,
            "{name}: timeouts say nothing about the rules"
        );
        set_in_groups(&mut doc, "made_up_attribute", &serde_json::json!("x"));
        let after = unread_paths(&doc.to_string(), *from);
        let new: Vec<_> = after.iter().filter(|p| !before.contains(p)).collect();
        assert!(!new.is_empty(), "{name}: no group attribute was added");
        assert!(
            new.iter().all(|p| p.ends_with(".made_up_attribute")),
            "{name}: {new:?}"
        );
    }
}
