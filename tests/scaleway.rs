//! Scaleway provider: corpus imports, round trips, conversions with Gcore, refusals, and
//! malformed input through the CLI.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sgconv::model::Action;
use sgconv::report::{Kind, Verdict};
use sgconv::{ImportOptions, Options, ProviderId};

const SCW: ProviderId = ProviderId::Scaleway;

/// The bare rule lists and rule objects of the corpus, which need the default flags.
fn rule_lists() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scaleway-rule-lists");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("rule-list fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "every bare rule shape of the corpus");
    files
}

fn with_defaults(inbound: Action, outbound: Action) -> Options {
    Options::default().with_import(
        ImportOptions::default()
            .with_defaults(Some(inbound), Some(outbound))
            .with_stateful(Some(true)),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("fixture readable")
}

#[test]
fn rule_lists_need_the_default_policies() {
    for path in rule_lists() {
        let text = read(&path);
        match common::convert(&text, SCW, SCW, &Options::default()) {
            Err(common::Failure { message, .. }) => {
                assert!(
                    message.contains("--inbound-default") && message.contains("--outbound-default"),
                    "{}: {message}",
                    path.display()
                );
            }
            other => panic!("{}: expected a shape error, got {other:?}", path.display()),
        }
        let options = with_defaults(Action::Deny, Action::Allow);
        let value = common::outcome(&text, SCW, SCW, &options);
        assert!(value.get("error").is_none(), "{}: {value}", path.display());
        let name = format!("rule_list@{}", common::stem(&path));
        common::settings().bind(|| insta::assert_yaml_snapshot!(name, value));
    }
}

#[test]
fn only_the_missing_policy_is_needed() {
    let text = r#"{"rules": [{"protocol": "TCP", "direction": "inbound", "action": "accept",
        "ip_range": "0.0.0.0/0", "dest_port_from": 22}]}"#;
    let options = Options::default().with_import(
        ImportOptions::default()
            .with_defaults(Some(Action::Deny), None)
            .with_stateful(Some(true)),
    );
    let Err(common::Failure { message, .. }) = common::convert(text, SCW, SCW, &options) else {
        panic!("expected a shape error");
    };
    assert!(message.contains("--outbound-default") && !message.contains("--inbound-default"));
}

#[test]
fn a_group_in_the_document_beats_the_flags_and_says_so() {
    let text = r#"{"security_group": {"stateful": true, "inbound_default_policy": "drop",
        "outbound_default_policy": "drop"}, "rules": []}"#;
    let options = with_defaults(Action::Allow, Action::Deny);
    let out = common::convert(text, SCW, SCW, &options).expect("converts");
    assert_eq!(
        out.output().expect("output").to_value().expect("output")["security_group"]["inbound_default_policy"],
        "drop"
    );
    let notes: Vec<&str> = out
        .report
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Note)
        .map(|e| e.message.as_ref())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("--inbound-default accept ignored"));
}

#[test]
fn scaleway_to_scaleway_is_stable() {
    let mut inputs: Vec<(PathBuf, Options)> = common::fixtures(SCW)
        .into_iter()
        .map(|p| (p, Options::default()))
        .collect();
    inputs.extend(
        rule_lists()
            .into_iter()
            .map(|p| (p, with_defaults(Action::Deny, Action::Deny))),
    );
    for (path, options) in inputs {
        let first = common::convert(&read(&path), SCW, SCW, &options)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(first.report.verdict, Verdict::Exact, "{}", path.display());
        let text = first
            .output()
            .expect("output")
            .render(sgconv::Format::Json)
            .expect("renders");
        let second = common::convert(&text, SCW, SCW, &Options::default())
            .unwrap_or_else(|e| panic!("{} (second pass): {e}", path.display()));
        assert_eq!(
            first.output().expect("output").to_value().expect("output"),
            second.output().expect("output").to_value().expect("output"),
            "{}",
            path.display()
        );
        assert!(
            second.report.entries.iter().all(|e| e.kind == Kind::Note),
            "{}: {:?}",
            path.display(),
            second.report.entries
        );
    }
}

fn fixture(name: &str) -> String {
    read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
}

#[test]
fn allow_only_groups_convert_exactly_both_ways() {
    let text = fixture("scaleway/allow_only_tcp_udp_icmp_any.yaml");
    let direct = common::convert(&text, SCW, SCW, &Options::default()).expect("converts");
    for gcore in [ProviderId::GcoreV1, ProviderId::GcoreV2] {
        let there = common::convert(&text, SCW, gcore, &Options::default()).expect("converts");
        assert_eq!(there.report.verdict, Verdict::Exact, "to {gcore}");
        let rendered = there
            .output()
            .expect("output")
            .render(sgconv::Format::Json)
            .expect("renders");
        let back = common::convert(&rendered, gcore, SCW, &Options::default()).expect("back");
        assert_eq!(back.report.verdict, Verdict::Exact, "from {gcore}");
        assert_eq!(
            back.output().expect("output").to_value().expect("output")["rules"],
            direct.output().expect("output").to_value().expect("output")["rules"],
            "via {gcore}"
        );
        let group = &back.output().expect("output").to_value().expect("output")["security_group"];
        assert_eq!(group["inbound_default_policy"], "drop");
        assert_eq!(group["outbound_default_policy"], "drop");
        assert_eq!(group["stateful"], true);
    }
    // And Gcore through Scaleway back to Gcore.
    let v2 = fixture("gcore/v2_create_security_group_body.json");
    let direct = common::convert(
        &v2,
        ProviderId::GcoreV2,
        ProviderId::GcoreV2,
        &Options::default(),
    )
    .expect("converts");
    let scw = common::convert(&v2, ProviderId::GcoreV2, SCW, &Options::default()).expect("to scw");
    assert_eq!(scw.report.verdict, Verdict::Exact);
    let rendered = scw
        .output()
        .expect("output")
        .render(sgconv::Format::Json)
        .expect("renders");
    let back =
        common::convert(&rendered, SCW, ProviderId::GcoreV2, &Options::default()).expect("back");
    assert_eq!(back.report.verdict, Verdict::Exact);
    assert_eq!(
        back.output().expect("output").to_value().expect("output"),
        direct.output().expect("output").to_value().expect("output")
    );
}

#[test]
fn drop_rules_and_accept_defaults_are_never_widened_into_gcore() {
    let cases = [
        fixture("scaleway/wrapped_list_rules_ordered_mixed.json"), // drop rules
        // outbound accept
        r#"{"security_group": {"stateful": true, "inbound_default_policy": "drop",
            "outbound_default_policy": "accept"}, "rules": []}"#
            .to_owned(),
        r#"{"security_group": {"stateful": true, "inbound_default_policy": "accept",
            "outbound_default_policy": "drop"}, "rules": []}"#
            .to_owned(),
    ];
    // Drop rules and accept defaults are lowered by set subtraction (issue #5); the verdict
    // comes from re-importing the result and is never a widening.
    for text in &cases {
        for gcore in [ProviderId::GcoreV1, ProviderId::GcoreV2] {
            let c = common::convert(text, SCW, gcore, &Options::default()).expect("lowered");
            assert_ne!(c.report.verdict, Verdict::Widened);
            // A lowering past the rule budget is refused, --allow-widen or not.
            let small = Options::default()
                .with_allow_widen(true)
                .with_rule_budget(Some(1));
            match common::convert(text, SCW, gcore, &small) {
                Err(e @ common::Failure { code: 3, .. }) => assert_eq!(e.exit_code(), 3),
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
    }
    let run = sgconv(
        &[
            "convert",
            "--from",
            "scaleway",
            "--to",
            "gcore-v2",
            "-q",
            "--rule-budget",
            "1",
        ],
        &cases[0],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn stateless_groups_widen_into_stateful_targets_unless_they_allow_nothing() {
    let nothing = r#"{"security_group": {"stateful": false, "inbound_default_policy": "drop",
        "outbound_default_policy": "drop", "enable_default_security": false}, "rules": []}"#;
    let out = common::convert(nothing, SCW, ProviderId::GcoreV2, &Options::default())
        .expect("a group that allows nothing converts");
    assert_eq!(out.report.verdict, Verdict::Exact);
    let some = r#"{"security_group": {"stateful": false, "inbound_default_policy": "drop",
        "outbound_default_policy": "drop"}, "rules": [{"protocol": "TCP", "direction": "inbound",
        "action": "accept", "ip_range": "0.0.0.0/0", "dest_port_from": 22}]}"#;
    let Err(common::Failure {
        report: Some(report),
        ..
    }) = common::convert(some, SCW, ProviderId::GcoreV1, &Options::default())
    else {
        panic!("expected a refusal");
    };
    assert_eq!(report.verdict, Verdict::Widened);
    let widen = Options::default().with_allow_widen(true);
    let out = common::convert(some, SCW, ProviderId::GcoreV1, &widen).expect("allowed");
    assert_eq!(out.report.count(Kind::Widened), 1);
}

#[test]
fn priority_and_first_match_sources_keep_their_order() {
    // A priority-ordered canonical group (the Huawei model): positions follow priority
    // ascending, deny first at equal priority; what Scaleway cannot say is narrowed.
    let text = r#"
sgconv: 1
groups:
  - evaluation: priority
    default_inbound: deny
    default_outbound: deny
    stateful: true
    rules:
      - {direction: ingress, family: ipv4, protocol: tcp, ports: ["22"], priority: 50}
      - {direction: ingress, family: ipv4, protocol: tcp, ports: ["22"], remote: {cidr: 10.0.0.0/8}, action: deny, priority: 50}
      - {direction: ingress, family: ipv4, protocol: gre, action: deny, priority: 1}
      - {direction: ingress, family: ipv4, protocol: sctp, priority: 2}
      - {direction: ingress, family: ipv6, protocol: ipv6-icmp, icmp: {type: 128}, priority: 3}
      - {direction: egress, family: ipv4, protocol: tcp, ports: ["80", "443"], priority: 100}
"#;
    let value = common::outcome(text, ProviderId::Canonical, SCW, &Options::default());
    common::settings()
        .bind(|| insta::assert_yaml_snapshot!("canonical_priority_to_scaleway", value));
    let rules = value["output"]["rules"].as_array().expect("rules");
    let summary: Vec<String> = rules
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["position"], r["action"], r["protocol"], r["ip_range"]
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            r#"1 "drop" "ANY" "0.0.0.0/0""#, // gre deny, widened to every protocol
            r#"2 "drop" "TCP" "10.0.0.0/8""#, // deny first at priority 50
            r#"3 "accept" "TCP" "0.0.0.0/0""#,
            r#"4 "accept" "TCP" "0.0.0.0/0""#, // 80
            r#"5 "accept" "TCP" "0.0.0.0/0""#, // 443
        ]
    );
    assert_eq!(value["report"]["verdict"], "narrowed");
}

#[test]
fn incomplete_pages_are_refused() {
    let text = r#"{"rules": [{"protocol": "ANY", "direction": "inbound", "action": "drop",
        "ip_range": "1.1.1.1"}], "total_count": "2"}"#;
    let options = with_defaults(Action::Allow, Action::Allow);
    let Err(common::Failure { message, .. }) = common::convert(text, SCW, SCW, &options) else {
        panic!("expected a shape error");
    };
    assert!(message.contains("total_count 2"), "{message}");
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn sgconv(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sgconv"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sgconv runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let out = child.wait_with_output().expect("sgconv ends");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn malformed_input_exits_1_with_a_located_message() {
    let group = r#""security_group": {"stateful": true, "inbound_default_policy": "drop", "outbound_default_policy": "drop"}"#;
    let rule = |fields: &str| format!("{{{group},\n \"rules\": [\n  {{{fields}}}\n]}}");
    let ok = r#""direction": "inbound", "action": "accept", "ip_range": "0.0.0.0/0""#;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown protocol",
            rule(&format!(r#""protocol": "SCTP", {ok}"#)),
            "rules[0].protocol",
        ),
        (
            "unknown direction",
            rule(r#""protocol": "TCP", "direction": "ingress", "action": "accept", "ip_range": "0.0.0.0/0""#),
            "rules[0].direction",
        ),
        (
            "unknown action",
            rule(r#""protocol": "TCP", "direction": "inbound", "action": "allow", "ip_range": "0.0.0.0/0""#),
            "rules[0].action",
        ),
        (
            "unknown policy",
            r#"{"security_group": {"stateful": true, "inbound_default_policy": "unknown_policy", "outbound_default_policy": "drop"}}"#.to_owned(),
            "security_group.inbound_default_policy",
        ),
        (
            "port out of range",
            rule(&format!(r#""protocol": "TCP", {ok}, "dest_port_from": 70000"#)),
            "rules[0].dest_port_from",
        ),
        (
            "negative port",
            rule(&format!(r#""protocol": "UDP", {ok}, "dest_port_from": 1, "dest_port_to": -5"#)),
            "rules[0].dest_port_to",
        ),
        (
            "from above to",
            rule(&format!(r#""protocol": "TCP", {ok}, "dest_port_from": 2000, "dest_port_to": 1000"#)),
            "rules[0]",
        ),
        (
            "to without from",
            rule(&format!(r#""protocol": "TCP", {ok}, "dest_port_to": 1000"#)),
            "rules[0]",
        ),
        (
            "bad ip_range",
            rule(r#""protocol": "TCP", "direction": "inbound", "action": "accept", "ip_range": "10.0.0.300/8""#),
            "rules[0].ip_range",
        ),
        (
            "missing ip_range",
            rule(r#""protocol": "TCP", "direction": "inbound", "action": "accept""#),
            "rules[0]",
        ),
        (
            "dest_ip_range set",
            rule(&format!(r#""protocol": "TCP", {ok}, "dest_ip_range": "10.0.0.0/8""#)),
            "rules[0].dest_ip_range",
        ),
        (
            "negative position",
            rule(&format!(r#""protocol": "TCP", {ok}, "position": -1"#)),
            "rules[0].position",
        ),
        (
            "editable false on a user rule",
            rule(&format!(r#""protocol": "TCP", {ok}, "dest_port_from": 22, "editable": false"#)),
            "rules[0]",
        ),
        (
            "yaml: bad ip_range",
            "security_group: {stateful: true, inbound_default_policy: drop, outbound_default_policy: drop}\nrules:\n  - {protocol: tcp, direction: inbound, action: accept, ip_range: not-a-network}\n".to_owned(),
            "rules[0].ip_range",
        ),
    ];
    let mut transcript = String::new();
    for (name, input, path) in &cases {
        let run = sgconv(
            &["convert", "--from", "scaleway", "--to", "scaleway"],
            input,
        );
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{name}: stdout {:?}", run.stdout);
        assert!(
            run.stderr
                .contains(&format!("scaleway input: {path} (line ")),
            "{name}: {}",
            run.stderr
        );
        transcript.push_str(&format!("{name}:\n  {}", run.stderr));
    }
    common::settings().bind(|| insta::assert_snapshot!("scaleway_malformed_cli", transcript));
}

#[test]
fn cli_rule_lists_take_the_default_flags() {
    let text = read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scaleway-rule-lists/list_rules_response_ip_ranges.json"),
    );
    let run = sgconv(
        &["convert", "--from", "scaleway", "--to", "scaleway"],
        &text,
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("--inbound-default accept|drop"),
        "{}",
        run.stderr
    );
    let run = sgconv(
        &[
            "convert",
            "--from",
            "scaleway",
            "--to",
            "scaleway",
            "-q",
            "--inbound-default",
            "drop",
            "--outbound-default",
            "accept",
            "--stateful",
            "true",
        ],
        &text,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(out["security_group"]["inbound_default_policy"], "drop");
    assert_eq!(out["security_group"]["outbound_default_policy"], "accept");
    assert_eq!(out["security_group"]["enable_default_security"], true);
    assert_eq!(out["rules"].as_array().map(Vec::len), Some(6));
}

#[test]
fn group_lists_import_and_exchanges_are_not_documents() {
    let list = r#"{"security_groups": [
        {"id": "a", "name": "one", "stateful": true, "inbound_default_policy": "drop", "outbound_default_policy": "drop"},
        {"id": "b", "name": "two", "stateful": false, "inbound_default_policy": "accept", "outbound_default_policy": "drop"}]}"#;
    // A list of groups carries no rules: refused, not read as groups that allow per their
    // default policies.
    let Err(e) = sgconv::import(list, SCW, &sgconv::Options::default()) else {
        panic!("a group list is refused");
    };
    assert!(e.to_string().contains("without its rules"), "{e}");

    // The corpus `exchanges/` shape: request/response pairs, not a document.
    let text = r#"{"_comment": "POST then PATCH", "before": {"request": {}, "response": {}},
        "patch": {"request": {"protocol": "ICMP"}, "response": {}}}"#;
    let options = with_defaults(Action::Deny, Action::Deny);
    assert!(matches!(
        common::convert(text, SCW, SCW, &options),
        Err(common::Failure { code: 1, .. })
    ));
}

#[test]
fn groups_without_their_rules_are_refused() {
    // Real API payloads: a group object as created or fetched never holds its rules.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scaleway-without-rules");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("fixture dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        seen += 1;
        for to in [SCW, ProviderId::GcoreV2] {
            match common::convert(&read(&path), SCW, to, &Options::default()) {
                Err(common::Failure {
                    code: 1, message, ..
                }) => assert!(
                    message.contains("without its rules") && message.contains("\"rules\": []"),
                    "{}: {message}",
                    path.display()
                ),
                other => panic!("{}: expected a refusal, got {other:?}", path.display()),
            }
        }
    }
    assert_eq!(seen, 5);
}
