//! Huawei VPC v3: round trips, conversions with Gcore, priority levels from first-match
//! groups, and located rejections (multiport above all).

mod common;

use std::process::{Command, Stdio};

use sgconv::model::{Document, Rule};
use sgconv::report::{Kind, Verdict};
use sgconv::{ExportOptions, Format, Options, ProviderId};

const H: ProviderId = ProviderId::Huawei;

fn convert(
    text: &str,
    from: ProviderId,
    to: ProviderId,
) -> Result<sgconv::Converted, common::Failure> {
    common::convert(text, from, to, &Options::default())
}

fn render(text: &str, from: ProviderId, to: ProviderId) -> String {
    convert(text, from, to)
        .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"))
        .output()
        .expect("output")
        .render(Format::Json)
        .expect("renders")
}

fn fixtures(p: ProviderId) -> Vec<(String, String)> {
    common::fixtures(p)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("fixture");
            (common::stem(&path), text)
        })
        .collect()
}

fn import(text: &str, from: ProviderId) -> Document {
    sgconv::import(text, from, &sgconv::Options::default())
        .map(|i| i.document)
        .unwrap_or_else(|e| panic!("{from}: {e}"))
}

/// Every allowed (direction, family, protocol, port range, remote, action) of an allow-only
/// document, one per port range, sorted: the packet set, whatever the rule shapes.
fn boxes(doc: &Document) -> Vec<String> {
    let mut v: Vec<String> = doc
        .groups
        .iter()
        .flat_map(|g| g.rules.iter())
        .filter(|r| r.enabled())
        .flat_map(|r: &Rule| {
            let ranges: Vec<String> = if r.ports().is_any() {
                vec!["any".to_owned()]
            } else {
                r.ports().ranges().iter().map(ToString::to_string).collect()
            };
            ranges.into_iter().map(move |range| {
                format!(
                    "{:?} {:?} {} {} {:?} {:?} {:?}",
                    r.direction(),
                    r.family(),
                    r.protocol(),
                    range,
                    r.icmp(),
                    r.remote(),
                    r.action()
                )
            })
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn huawei_round_trips_are_stable() {
    for (name, text) in fixtures(H) {
        let direct = render(&text, H, H);
        assert_eq!(
            render(&direct, H, H),
            direct,
            "{name}: huawei -> huawei is a fixed point"
        );
        let canonical = convert(&text, H, ProviderId::Canonical).expect("to canonical");
        assert!(
            canonical
                .report
                .entries
                .iter()
                .all(|e| matches!(e.kind, Kind::Metadata | Kind::Note)),
            "{name}: {:#?}",
            canonical.report.entries
        );
        let canonical = canonical
            .output()
            .expect("output")
            .render(Format::Json)
            .expect("renders");
        assert_eq!(
            render(&canonical, ProviderId::Canonical, H),
            direct,
            "{name} via canonical"
        );
    }
}

#[test]
fn allow_only_huawei_to_gcore_is_exact_and_back() {
    let mut exact = 0;
    for (name, text) in fixtures(H) {
        let source = import(&text, H);
        let has_deny = boxes(&source).iter().any(|b| b.ends_with("Deny"));
        let address_group = source
            .groups
            .iter()
            .flat_map(|g| &g.rules)
            .any(|r| matches!(r.remote(), sgconv::model::Remote::AddressGroup(_)));
        for gcore in [ProviderId::GcoreV1, ProviderId::GcoreV2] {
            match convert(&text, H, gcore) {
                Err(e) => {
                    assert!(has_deny, "{name} -> {gcore}: {e}");
                    assert_eq!(
                        e.exit_code(),
                        3,
                        "{name}: a lowering past the rule budget is refused, never widened"
                    );
                }
                Ok(c) if address_group => assert_eq!(c.report.verdict, Verdict::Narrowed),
                // Deny rules are lowered by set subtraction (issue #5); the verdict comes from
                // re-importing the result, and is never a widening.
                Ok(c) if has_deny => assert_ne!(c.report.verdict, Verdict::Widened, "{name}"),
                Ok(c) => {
                    assert!(!has_deny);
                    assert_eq!(c.report.verdict, Verdict::Exact, "{name} -> {gcore}");
                    let out = c
                        .output()
                        .expect("output")
                        .render(Format::Json)
                        .expect("renders");
                    assert_eq!(
                        boxes(&import(&out, gcore)),
                        boxes(&source),
                        "{name} -> {gcore}"
                    );
                    let back = render(&out, gcore, H);
                    assert_eq!(
                        boxes(&import(&back, H)),
                        boxes(&source),
                        "{name} -> {gcore} -> huawei"
                    );
                    exact += 1;
                }
            }
        }
    }
    assert!(exact >= 10, "only {exact} exact conversions");
}

#[test]
fn gcore_to_huawei_and_back_is_exact() {
    for gcore in [ProviderId::GcoreV1, ProviderId::GcoreV2] {
        for (name, text) in fixtures(gcore) {
            let c = convert(&text, gcore, H).expect("converts");
            let source = import(&text, gcore);
            let huawei = c
                .output()
                .expect("output")
                .render(Format::Json)
                .expect("renders");
            if c.report.verdict == Verdict::Exact {
                assert_eq!(boxes(&import(&huawei, H)), boxes(&source), "{name}");
                let back = render(&huawei, H, gcore);
                assert_eq!(boxes(&import(&back, gcore)), boxes(&source), "{name} back");
            } else {
                // Only an ICMP type/code (v3 has no field for it) is lost.
                assert!(
                    c.report
                        .entries
                        .iter()
                        .filter(|e| e.kind == Kind::Narrowed)
                        .all(|e| e.field == sgconv::report::Field::Icmp),
                    "{name}: {:#?}",
                    c.report.entries
                );
            }
        }
    }
}

#[test]
fn deny_rules_to_gcore_are_lowered_exactly() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/huawei/response_list_rules.json"
    ))
    .expect("fixture");
    for gcore in [ProviderId::GcoreV1, ProviderId::GcoreV2] {
        // The deny rule is subtracted from the allow rules (issue #5): same packets.
        let c = convert(&text, H, gcore).expect("lowered");
        assert_eq!(c.report.verdict, Verdict::Exact, "{gcore}");
        assert!(c.report.differences.is_empty());
        let out = cli(
            &["convert", "--from", "huawei", "--to", gcore.name()],
            &text,
        );
        assert_eq!(out.status.code(), Some(0));
        // With a budget too small for the lowering, it is refused and nothing is written.
        let out = cli(
            &[
                "convert",
                "--from",
                "huawei",
                "--to",
                gcore.name(),
                "--rule-budget",
                "2",
            ],
            &text,
        );
        assert_eq!(out.status.code(), Some(3));
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).contains("refused"));
    }
}

fn cli(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sgconv"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("wait")
}

fn rule_with_multiport(multiport: &str) -> String {
    format!(
        "{{\n  \"security_group_rule\": {{\n    \"direction\": \"ingress\",\n    \"protocol\": \"tcp\",\n    \"multiport\": {multiport}\n  }}\n}}\n"
    )
}

#[test]
fn malformed_multiport_exits_1_with_path_and_column() {
    let groups21: Vec<String> = (1..=21).map(|p| (p * 100).to_string()).collect();
    let groups21 = groups21.join(",");
    let col21 = groups21.find("2100").expect("21st group") + 1;
    let cases: Vec<(&str, String, usize, &str)> = vec![
        ("0", "\"0\"".into(), 1, "port out of range"),
        ("70000", "\"70000\"".into(), 1, "port out of range"),
        ("22,70000", "\"22,70000\"".into(), 4, "port out of range"),
        (
            "80-22",
            "\"80-22\"".into(),
            1,
            "range start must be below its end",
        ),
        ("22,,80", "\"22,,80\"".into(), 4, "expected a port number"),
        (
            "21 groups",
            format!("\"{groups21}\""),
            col21,
            "more than 20 port groups",
        ),
        (
            "overlap",
            "\"1000-2000,1500\"".into(),
            11,
            "overlaps an earlier one",
        ),
        ("abc", "\"abc\"".into(), 1, "expected a port number"),
        ("negative number", "-80".into(), 1, "expected a port number"),
    ];
    let mut messages = Vec::new();
    for (what, value, column, reason) in cases {
        let out = cli(
            &["convert", "--from", "huawei", "--to", "canonical"],
            &rule_with_multiport(&value),
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(out.stdout.is_empty(), "{what}");
        assert!(
            stderr.contains("security_group_rule.multiport (line 5, column"),
            "{what}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("{reason} at column {column}")),
            "{what}: {stderr}"
        );
        messages.push(format!("{what}: {}", stderr.trim_end()));
    }
    common::settings().bind(|| insta::assert_yaml_snapshot!("huawei@multiport_errors", messages));
}

#[test]
fn multiport_forms_that_are_accepted() {
    for (value, written) in [
        ("\" 22 , 80-90 \"", Some("22,80-90")),
        ("8080", Some("8080")),
        ("\"\"", None),
        ("null", None),
        ("\"1-65535\"", None),
    ] {
        let c = convert(&rule_with_multiport(value), H, H).expect(value);
        let rule =
            &c.output().expect("output").to_value().expect("output")[0]["security_group_rule"];
        assert_eq!(rule["multiport"].as_str(), written, "{value}");
    }
}

#[test]
fn rejections_are_located() {
    let cases = [
        (
            "exclusive_remotes",
            r#"{"direction": "ingress", "remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "g"}"#,
        ),
        (
            "icmp_on_ipv6",
            r#"{"direction": "ingress", "ethertype": "IPv6", "protocol": "icmp"}"#,
        ),
        (
            "icmpv6_on_ipv4",
            r#"{"direction": "ingress", "protocol": "icmpv6"}"#,
        ),
        (
            "priority_101",
            r#"{"direction": "ingress", "priority": 101}"#,
        ),
        (
            "angle_brackets",
            r#"{"direction": "ingress", "description": "<b>"}"#,
        ),
        (
            "ports_without_protocol",
            r#"{"direction": "ingress", "multiport": "22"}"#,
        ),
        (
            "ports_on_icmp",
            r#"{"direction": "ingress", "protocol": "icmp", "multiport": "8"}"#,
        ),
        (
            "protocol_name",
            r#"{"direction": "ingress", "protocol": "gre"}"#,
        ),
        (
            "family_mismatch",
            r#"{"direction": "ingress", "remote_ip_prefix": "::/0"}"#,
        ),
        (
            "dry_run_202",
            r#"{"error_msg": "passed", "error_code": "SYS.0202", "request_id": "x"}"#,
        ),
    ];
    let mut messages = Vec::new();
    for (what, text) in cases {
        let e = convert(text, H, ProviderId::Canonical).expect_err(what);
        assert_eq!(e.exit_code(), 1, "{what}");
        messages.push(format!("{what}: {e}"));
    }
    common::settings().bind(|| insta::assert_yaml_snapshot!("huawei@rejections", messages));
}

/// Unknown keys are never dropped silently: a misspelt `multiport` would mean all ports, so
/// the key is reported as unread with its path and the conversion is refused as unverified
/// unless the user accepts that (`allow_unread`), and then the verdict still says so.
#[test]
fn unknown_keys_are_reported() {
    let text = r#"{"direction": "ingress", "protocol": "tcp", "multiports": "22"}"#;
    let refused = convert(text, H, ProviderId::Canonical).expect_err("refused");
    assert_eq!(refused.exit_code(), 3);
    let report = refused.report.expect("a refusal carries its report");
    assert_eq!(report.verdict, Verdict::Unverified);
    let entry = report
        .entries
        .iter()
        .find(|e| e.kind == Kind::Unread)
        .expect("the unknown key is reported");
    assert_eq!(entry.path.as_deref(), Some("multiports"));
    assert!(
        entry.message.contains("means more than intended"),
        "{}",
        entry.message
    );
    let accepted = common::convert(
        text,
        H,
        ProviderId::Canonical,
        &Options::default().with_allow_unread(true),
    )
    .expect("accepted with allow_unread");
    assert_eq!(accepted.report.verdict, Verdict::Unverified);
}

#[test]
fn target_group_fills_security_group_id() {
    let text = rule_with_multiport("\"22\"");
    let options = Options::default().with_export(
        ExportOptions::default()
            .with_target_group(Some("0552091e-b83a-49dd-88a7-4a5c86fd9ec3".into())),
    );
    let c = common::convert(&text, H, H, &options).expect("converts");
    assert_eq!(
        c.output().expect("output").to_value().expect("output")[0]["security_group_rule"]["security_group_id"],
        "0552091e-b83a-49dd-88a7-4a5c86fd9ec3"
    );
    assert!(
        !c.report
            .entries
            .iter()
            .any(|e| e.field.to_string() == "security_group_id")
    );
}

#[test]
fn rules_of_different_groups_stay_apart() {
    let text = r#"{"security_group_rules": [
        {"security_group_id": "a", "direction": "ingress", "priority": 1},
        {"security_group_id": "b", "direction": "egress", "priority": 1},
        {"security_group_id": "a", "direction": "egress", "priority": 2}]}"#;
    let doc = import(text, H);
    let ids: Vec<_> = doc
        .groups
        .iter()
        .map(|g| (g.id.clone(), g.rules.len()))
        .collect();
    assert_eq!(ids, [(Some("a".into()), 2), (Some("b".into()), 1)]);
}

/// A canonical first-match group of `actions` (A/D), all ingress IPv4 TCP on port 22 + i.
fn first_match(actions: &str, extra: &str) -> String {
    let mut rules = String::new();
    for (i, a) in actions.chars().enumerate() {
        let action = if a == 'D' { "deny" } else { "allow" };
        rules.push_str(&format!(
            "      - {{direction: ingress, family: ipv4, protocol: tcp, ports: [\"{}\"], action: {action}}}\n",
            22 + i
        ));
    }
    format!(
        "sgconv: 1\ngroups:\n  - evaluation: first_match\n    default_inbound: deny\n    default_outbound: deny\n    stateful: true\n    rules:\n{rules}{extra}"
    )
}

fn priorities(text: &str) -> Vec<(String, u64)> {
    let c = convert(text, ProviderId::Canonical, H).expect("converts");
    assert_eq!(c.report.verdict, Verdict::Exact, "{:#?}", c.report.entries);
    c.output()
        .expect("output")
        .to_value()
        .expect("output")
        .as_array()
        .expect("array")
        .iter()
        .map(|b| {
            let r = &b["security_group_rule"];
            (
                format!(
                    "{}{}",
                    r["action"].as_str().unwrap_or("?"),
                    r["multiport"].as_str().unwrap_or("")
                ),
                r["priority"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn first_match_order_becomes_priorities() {
    // deny then allow share a level (deny wins ties); a deny after an allow needs a new one.
    assert_eq!(
        priorities(&first_match("DADDAA", "")),
        [
            ("deny22".into(), 1),
            ("allow23".into(), 1),
            ("deny24".into(), 2),
            ("deny25".into(), 2),
            ("allow26".into(), 2),
            ("allow27".into(), 2),
        ]
    );
    assert_eq!(
        priorities(&first_match("AAA", "")),
        [
            ("allow22".into(), 1),
            ("allow23".into(), 1),
            ("allow24".into(), 1)
        ]
    );
    // Another direction counts its own levels.
    let egress = "      - {direction: egress, family: ipv4, protocol: udp, action: deny}\n";
    let p = priorities(&first_match("AD", egress));
    assert_eq!(p[2], ("deny".into(), 1), "{p:?}");
}

/// Past 100 levels, the group is lowered to allow rules with the same packets (one level) —
/// refused only when that lowering exceeds the rule budget (Huawei's quota by default).
#[test]
fn too_many_levels_are_lowered_to_one_level() {
    let fits = format!("A{}", "DA".repeat(99)); // 100 levels: A | D A | D A | ...
    assert!(
        convert(&first_match(&fits, ""), ProviderId::Canonical, H).is_ok(),
        "100 levels fit"
    );
    let needs_102 = first_match(&"AD".repeat(101), "");
    let e = convert(&needs_102, ProviderId::Canonical, H).expect_err("over the default budget");
    assert_eq!(e.exit_code(), 3);
    assert!(e.to_string().contains("budget"), "{e}");
    let options = Options::default().with_rule_budget(Some(1000));
    let c = common::convert(&needs_102, ProviderId::Canonical, H, &options).expect("lowered");
    assert_eq!(
        c.report.verdict,
        Verdict::Exact,
        "{:#?}",
        c.report.differences
    );
    assert!(
        c.report
            .entries
            .iter()
            .any(|e| e.message.contains("needs 102 priority levels"))
    );
    let value = c.output().expect("output").to_value().expect("output");
    let rules = value.as_array().expect("array");
    assert_eq!(rules.len(), 101, "one allow rule per allowed port");
    for r in rules {
        assert_eq!(r["security_group_rule"]["action"], "allow");
        assert_eq!(r["security_group_rule"]["priority"], 1);
    }
}

#[test]
fn out_of_range_priorities_are_renumbered_in_order() {
    let text = "sgconv: 1\ngroups:\n  - evaluation: priority\n    default_inbound: deny\n    default_outbound: deny\n    stateful: true\n    rules:\n      - {direction: ingress, family: ipv4, protocol: tcp, ports: [\"22\"], priority: 500}\n      - {direction: ingress, family: ipv4, protocol: tcp, ports: [\"22\"], action: deny, priority: 500}\n      - {direction: ingress, family: ipv4, protocol: tcp, ports: [\"80\"], priority: 1000}\n";
    let c = convert(text, ProviderId::Canonical, H).expect("converts");
    let p: Vec<(String, u64)> = c
        .output()
        .expect("output")
        .to_value()
        .expect("output")
        .as_array()
        .expect("array")
        .iter()
        .map(|b| {
            let r = &b["security_group_rule"];
            (
                r["action"].as_str().unwrap_or("?").to_owned(),
                r["priority"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        p,
        [("deny".into(), 1), ("allow".into(), 1), ("allow".into(), 2)]
    );
    assert_eq!(c.report.verdict, Verdict::Exact);
    assert_eq!(c.report.count(Kind::Rewritten), 2);
}

#[test]
fn more_than_20_ranges_split_and_icmp_type_is_reported() {
    let ports: Vec<String> = (0..25).map(|i| format!("\"{}\"", 1000 + 2 * i)).collect();
    let text = format!(
        "sgconv: 1\ngroups:\n  - evaluation: allow_only\n    default_inbound: deny\n    default_outbound: deny\n    stateful: true\n    rules:\n      - {{direction: ingress, family: ipv4, protocol: tcp, ports: [{}]}}\n      - {{direction: ingress, family: ipv4, protocol: icmp, icmp: {{type: 8}}}}\n      - {{direction: ingress, family: ipv4, protocol: 132, ports: [\"5000\"]}}\n",
        ports.join(", ")
    );
    let c = convert(&text, ProviderId::Canonical, H).expect("converts");
    let value = c.output().expect("output").to_value().expect("output");
    let out = value.as_array().expect("array");
    assert_eq!(out.len(), 2, "{out:#?}");
    let groups = |i: usize| {
        out[i]["security_group_rule"]["multiport"]
            .as_str()
            .map_or(0, |m| m.split(',').count())
    };
    assert_eq!((groups(0), groups(1)), (20, 5));
    assert_eq!(c.report.verdict, Verdict::Narrowed);
    let narrowed: Vec<String> = c
        .report
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Narrowed)
        .map(|e| e.field.to_string())
        .collect();
    assert_eq!(narrowed, ["icmp", "ports"]);
}

#[test]
fn disabled_rules_are_carried_to_huawei_and_left_out_of_gcore() {
    let text = r#"{"security_group_rule": {"direction": "ingress", "protocol": "tcp",
                   "multiport": "22", "priority": 1, "enabled": false}}"#;
    let c = convert(text, H, H).expect("converts");
    assert_eq!(
        c.output().expect("output").to_value().expect("output")[0]["security_group_rule"]["enabled"],
        false
    );
    assert_eq!(c.report.verdict, Verdict::Exact);
    let c = convert(text, H, ProviderId::GcoreV2).expect("converts");
    assert_eq!(
        c.output().expect("output").to_value().expect("output"),
        serde_json::json!([])
    );
    assert_eq!(c.report.verdict, Verdict::Exact);
    assert!(
        c.report
            .entries
            .iter()
            .any(|e| e.field == sgconv::report::Field::Enabled && e.kind == Kind::Metadata)
    );
}

/// A rule list is first read in one strict pass (nothing unknown, nothing to report) and
/// otherwise probed and read leniently. Both paths give the same document and report: a list
/// with one unknown top-level key added (which forces the general path) converts to the same
/// output, with the same entries plus exactly that key's.
#[test]
fn rule_lists_read_the_same_on_both_paths() {
    let mut lists = 0;
    for (name, text) in fixtures(H) {
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        if value.get("security_group_rules").is_none() {
            continue;
        }
        lists += 1;
        let mut marked = value.clone();
        marked["x_unknown"] = serde_json::json!(1);
        let marked = serde_json::to_string_pretty(&marked).expect("json");
        let unread = Options::default().with_allow_unread(true);
        for to in [H, ProviderId::GcoreV2, ProviderId::Canonical] {
            let strict = convert(&text, H, to).unwrap_or_else(|e| panic!("{name}: {e}"));
            let general =
                common::convert(&marked, H, to, &unread).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                strict.output().expect("output").as_json(),
                general.output().expect("output").as_json(),
                "{name} -> {to}"
            );
            let mut entries = general.report.entries.clone();
            let at = entries
                .iter()
                .position(|e| e.field.to_string() == "x_unknown")
                .unwrap_or_else(|| panic!("{name}: the unknown key is reported"));
            entries.remove(at);
            assert_eq!(strict.report.entries, entries, "{name} -> {to}");
            assert_eq!(
                general.report.verdict,
                Verdict::Unverified,
                "{name} -> {to}"
            );
        }
    }
    assert!(lists >= 2, "fixtures with rule lists: {lists}");
}

/// An unknown key inside one rule of a list is found and reported with its path.
#[test]
fn unknown_keys_inside_a_listed_rule_are_reported_with_their_path() {
    let text = r#"{"security_group_rules": [
        {"direction": "ingress", "protocol": "tcp", "multiport": "22"},
        {"direction": "ingress", "protocol": "tcp", "multiports": "80"}
    ]}"#;
    let refused = convert(text, H, ProviderId::Canonical).expect_err("refused");
    let report = refused.report.expect("a refusal carries its report");
    let paths: Vec<&str> = report
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Unread)
        .filter_map(|e| e.path.as_deref())
        .collect();
    assert_eq!(paths, ["security_group_rules.1.multiports"]);
}
