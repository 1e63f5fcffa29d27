//! Issue 14 ("Trust at the boundary"): one CLI-level regression test per finding, written from
//! the issue's description and the contract for the new behaviour:
//!
//! - unread keys: report entry `kind: "unread"` with a `path`, verdict `unverified`, exit 3 and
//!   empty stdout unless `--allow-unread` (then exit 0, still `unverified`);
//! - ambiguous documents (two shape keys, `groups` beside other keys): exit 1 naming both keys;
//! - incomplete documents: exit 1 saying what is missing;
//! - ambiguous semantics: safe under every reading, `exact` only when the readings agree;
//! - text that parses two ways: exit 1, located;
//! - ports 0..65535, group ids, notes, `diff`, `-o`.
//!
//! Every one of them passes; none is ignored.

mod common;

use std::path::Path;

use common::raw::{self, Dir, Given, Meaning, Packet, RunOutcome};
use serde_json::Value;

fn entries(run: &RunOutcome) -> Vec<Value> {
    run.report
        .as_ref()
        .and_then(|r| r.get("entries"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn unread_entries(run: &RunOutcome) -> Vec<Value> {
    entries(run)
        .into_iter()
        .filter(|e| e["kind"] == "unread")
        .collect()
}

fn describe(run: &RunOutcome) -> String {
    format!(
        "exit {}, verdict {:?}\n--- stdout\n{}\n--- stderr\n{}\n--- report\n{}",
        run.exit_code,
        run.verdict(),
        run.output.as_deref().unwrap_or(""),
        run.stderr,
        run.report
            .as_ref()
            .map(|r| serde_json::to_string_pretty(r).unwrap_or_default())
            .unwrap_or_default()
    )
}

/// An unread key: refused with exit 3, nothing on stdout, verdict `unverified`, and an `unread`
/// entry whose path names the key.
fn assert_unread_refused(run: &RunOutcome, key: &str) {
    let d = describe(run);
    assert_eq!(run.exit_code, 3, "unread input is refused: {d}");
    assert!(run.output.is_none(), "nothing on stdout: {d}");
    assert_eq!(run.verdict(), Some("unverified"), "{d}");
    assert!(
        unread_entries(run)
            .iter()
            .any(|e| e["path"].as_str().is_some_and(|p| p.contains(key))),
        "an unread entry names `{key}` in its path: {d}"
    );
}

fn assert_exit1_naming(run: &RunOutcome, words: &[&str]) {
    let d = describe(run);
    assert_eq!(run.exit_code, 1, "{d}");
    assert!(run.output.is_none(), "nothing on stdout: {d}");
    for w in words {
        assert!(run.stderr.contains(w), "stderr names `{w}`: {d}");
    }
}

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

/// The output of a run read by the raw evaluator (one group).
fn output_group(run: &RunOutcome, to: &str) -> raw::Group {
    let text = run.output.as_deref().expect("an output");
    match raw::evaluate(text, to, &Given::default()) {
        Meaning::Groups(mut g) if g.len() == 1 => g.remove(0),
        other => panic!(
            "output not readable as one group: {other:?}\n{}",
            describe(run)
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Unread input called metadata

#[test]
fn unread_typo_in_gcore_rule_is_refused() {
    let doc = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefx": "10.0.0.0/8"}]"#;
    assert_unread_refused(&raw::run(doc, "gcore-v2", "huawei", &[]), "remote_ip_prefx");
}

#[test]
fn unread_typo_in_scaleway_rule_is_refused() {
    let doc = r#"{"security_group": {"stateful": true, "inbound_default_policy": "drop",
        "outbound_default_policy": "accept"},
      "rules": [{"action": "accept", "protocol": "TCP", "direction": "inbound",
        "ip_range": "0.0.0.0/0", "dest_port_fom": 22, "dest_port_to": null, "position": 1}]}"#;
    assert_unread_refused(&raw::run(doc, "scaleway", "gcore-v2", &[]), "dest_port_fom");
}

#[test]
fn unread_accepted_with_allow_unread_stays_unverified() {
    let doc = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefx": "10.0.0.0/8"}]"#;
    let run = raw::run(doc, "gcore-v2", "huawei", &["--allow-unread"]);
    let d = describe(&run);
    assert_eq!(run.exit_code, 0, "{d}");
    assert!(run.output.is_some(), "{d}");
    assert_eq!(run.verdict(), Some("unverified"), "{d}");
    assert!(
        unread_entries(&run).iter().any(|e| e["path"]
            .as_str()
            .is_some_and(|p| p.contains("remote_ip_prefx"))),
        "{d}"
    );
}

#[test]
fn scaleway_rules_nested_in_the_group_object_are_not_read_as_no_rules() {
    let doc = r#"{"security_group": {"stateful": true, "inbound_default_policy": "accept",
        "outbound_default_policy": "accept",
        "rules": [{"action": "drop", "protocol": "TCP", "direction": "inbound",
          "ip_range": "0.0.0.0/0", "dest_port_from": 22, "position": 1}]}}"#;
    let run = raw::run(doc, "scaleway", "gcore-v2", &[]);
    let d = describe(&run);
    // an unread key (exit 3) or an incomplete group object (exit 1); never a conversion
    assert!(matches!(run.exit_code, 1 | 3), "{d}");
    assert!(run.output.is_none(), "{d}");
    assert!(run.stderr.contains("rules"), "{d}");
}

#[test]
fn huawei_two_shape_keys_are_ambiguous() {
    let doc = r#"{"security_group_rule": {"direction": "ingress", "protocol": "tcp",
          "multiport": "22", "action": "deny", "priority": 1},
        "security_group_rules": [{"direction": "ingress", "protocol": "tcp", "multiport": "22",
          "action": "allow", "priority": 2}]}"#;
    let run = raw::run(doc, "huawei", "gcore-v2", &[]);
    assert_exit1_naming(&run, &["security_group_rule", "security_group_rules"]);
}

#[test]
fn gcore_two_shape_keys_are_ambiguous() {
    let doc = r#"{"name": "web", "rules": [],
        "security_group_rules": [{"direction": "ingress", "protocol": "tcp",
          "port_range_min": 22, "port_range_max": 22}]}"#;
    let run = raw::run(doc, "gcore-v1", "huawei", &[]);
    let d = describe(&run);
    assert_ne!(run.exit_code, 0, "{d}");
    assert!(run.output.is_none(), "{d}");
    assert!(
        run.stderr.contains("security_group_rules") && run.stderr.contains("rules"),
        "{d}"
    );
}

/// The top-level probe reads a long document's keys from both ends; a shape key between two
/// long values, which it does not see, is still refused as ambiguous, naming it.
#[test]
fn a_shape_key_between_two_long_values_is_ambiguous() {
    let rule = r#"{"direction": "ingress", "protocol": "tcp", "multiport": "22",
          "remote_ip_prefix": "10.0.0.0/8", "action": "allow", "priority": 2}"#;
    let rules = vec![rule; 1500].join(",");
    let long_id = "r".repeat(100_000);
    let doc = format!(
        r#"{{"security_group_rules": [{rules}],
        "security_group_rule": {{"direction": "ingress", "protocol": "tcp", "multiport": "22",
          "action": "deny", "priority": 1}},
        "request_id": "{long_id}"}}"#
    );
    assert!(rules.len() > 100_000);
    let run = raw::run(&doc, "huawei", "gcore-v2", &[]);
    assert_exit1_naming(&run, &["security_group_rule"]);
    // the decode found it, not the probe (whose message names both keys)
    assert!(
        run.stderr.contains("the key of another document shape"),
        "{}",
        describe(&run)
    );
}

#[test]
fn envelope_beside_other_keys_is_ambiguous() {
    let doc = r#"{"groups": [{"name": "a", "id": "g1", "document": {"security_group_rules": []}}],
        "security_group_rules": [{"direction": "ingress", "action": "deny", "priority": 1}]}"#;
    let run = raw::run(doc, "huawei", "gcore-v2", &[]);
    assert_exit1_naming(&run, &["groups", "security_group_rules"]);
}

#[test]
fn unknown_key_in_an_envelope_item_is_unread() {
    let doc = r#"{"groups": [{"name": "a", "id": "g1", "descripton": "typo",
        "document": [{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
          "port_range_min": 22, "port_range_max": 22}]}]}"#;
    assert_unread_refused(&raw::run(doc, "gcore-v2", "huawei", &[]), "descripton");
}

// ---------------------------------------------------------------------------------------------
// Incomplete documents read as complete

#[test]
fn huawei_page_with_next_marker_is_incomplete() {
    let doc = r#"{"request_id": "r", "security_group_rules": [{"direction": "ingress",
          "protocol": "tcp", "multiport": "22", "action": "allow", "priority": 1}],
        "page_info": {"previous_marker": "a", "current_count": 1, "next_marker": "b"}}"#;
    for extra in [&[][..], &["--strict"][..]] {
        let run = raw::run(doc, "huawei", "gcore-v2", extra);
        assert_exit1_naming(&run, &["next_marker"]);
    }
}

#[test]
fn gcore_list_with_more_groups_than_results_is_incomplete() {
    let doc = r#"{"count": 3, "results": [{"id": "3addc7a1-e926-46da-b5a2-eb4b2f935230",
        "name": "web", "security_group_rules": [{"direction": "ingress", "ethertype": "IPv4",
          "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}]}]}"#;
    let run = raw::run(doc, "gcore-v1", "huawei", &[]);
    assert_exit1_naming(&run, &["count"]);
}

#[test]
fn scaleway_group_object_without_rules_is_incomplete() {
    let doc = r#"{"security_group": {"id": "7a2d9c4e-1f3b-4a6d-8e5c-0b9a8f7e6d02", "name": "web",
        "stateful": true, "inbound_default_policy": "accept", "outbound_default_policy": "accept",
        "enable_default_security": true}}"#;
    let run = raw::run(doc, "scaleway", "gcore-v2", &[]);
    assert_exit1_naming(&run, &["rules"]);
}

// ---------------------------------------------------------------------------------------------
// Ambiguity settled toward widening

const HUAWEI_NO_PRIORITY: &str = r#"{"security_group_rules": [
    {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "multiport": "22",
     "action": "allow"},
    {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "multiport": "22",
     "action": "deny", "priority": 50}]}"#;

#[test]
fn huawei_missing_priority_is_safe_under_both_readings() {
    let run = raw::run(HUAWEI_NO_PRIORITY, "huawei", "gcore-v2", &[]);
    let d = describe(&run);
    assert_ne!(
        run.verdict(),
        Some("exact"),
        "the readings 1 and 100 differ: {d}"
    );
    if run.exit_code == 0 {
        let out = output_group(&run, "gcore-v2");
        assert!(
            !out.eval(&pkt(Dir::In, 6, 22, "1.2.3.4")).max,
            "priority 100 denies tcp 22; the output must not allow it: {d}"
        );
        assert!(
            entries(&run)
                .iter()
                .any(|e| e.to_string().contains("priority")),
            "the report names the assumption: {d}"
        );
    }
}

#[test]
fn huawei_default_priority_flag_states_the_reading() {
    let one = raw::run(
        HUAWEI_NO_PRIORITY,
        "huawei",
        "gcore-v2",
        &["--huawei-default-priority", "1"],
    );
    let d = describe(&one);
    assert_eq!(one.exit_code, 0, "{d}");
    assert_eq!(one.verdict(), Some("exact"), "{d}");
    assert!(
        output_group(&one, "gcore-v2")
            .eval(&pkt(Dir::In, 6, 22, "1.2.3.4"))
            .min,
        "{d}"
    );
    let hundred = raw::run(
        HUAWEI_NO_PRIORITY,
        "huawei",
        "gcore-v2",
        &["--huawei-default-priority", "100"],
    );
    let d = describe(&hundred);
    assert_eq!(hundred.exit_code, 0, "{d}");
    assert_eq!(hundred.verdict(), Some("exact"), "{d}");
    assert!(
        !output_group(&hundred, "gcore-v2")
            .eval(&pkt(Dir::In, 6, 22, "1.2.3.4"))
            .max,
        "{d}"
    );
}

#[test]
fn huawei_missing_priority_where_the_readings_agree_may_be_exact() {
    // one allow rule: priority 1 or 100 makes no difference
    let doc = r#"{"security_group_rule": {"direction": "ingress", "ethertype": "IPv4",
        "protocol": "tcp", "multiport": "22", "action": "allow"}}"#;
    let run = raw::run(doc, "huawei", "gcore-v2", &[]);
    let d = describe(&run);
    assert_eq!(run.exit_code, 0, "{d}");
    assert_eq!(run.verdict(), Some("exact"), "{d}");
}

const SCW_LIST: &str = r#"{"rules": [{"action": "accept", "protocol": "TCP",
    "direction": "inbound", "ip_range": "0.0.0.0/0", "dest_port_from": 22, "position": 1}]}"#;

#[test]
fn scaleway_rule_list_needs_defaults_and_statefulness() {
    let none = raw::run(SCW_LIST, "scaleway", "gcore-v2", &[]);
    assert_exit1_naming(
        &none,
        &["--inbound-default", "--outbound-default", "--stateful"],
    );
    let no_stateful = raw::run(
        SCW_LIST,
        "scaleway",
        "gcore-v2",
        &["--inbound-default", "drop", "--outbound-default", "accept"],
    );
    assert_exit1_naming(&no_stateful, &["--stateful"]);
    let all = raw::run(
        SCW_LIST,
        "scaleway",
        "gcore-v2",
        &[
            "--inbound-default",
            "drop",
            "--outbound-default",
            "accept",
            "--stateful",
            "true",
        ],
    );
    let d = describe(&all);
    assert_eq!(all.exit_code, 0, "{d}");
    assert_eq!(all.verdict(), Some("exact"), "{d}");
}

fn assert_first_match_ambiguity_handled(doc: &str) {
    let run = raw::run(doc, "scaleway", "gcore-v2", &[]);
    let d = describe(&run);
    assert_ne!(run.verdict(), Some("exact"), "the orders differ: {d}");
    if run.exit_code == 0 {
        let out = output_group(&run, "gcore-v2");
        // most restrictive reading: the drop first
        assert!(!out.eval(&pkt(Dir::In, 6, 22, "10.1.2.3")).max, "{d}");
    }
}

#[test]
fn scaleway_equal_positions_take_the_most_restrictive_reading() {
    assert_first_match_ambiguity_handled(
        r#"{"security_group": {"stateful": true, "inbound_default_policy": "drop",
            "outbound_default_policy": "accept"},
          "rules": [
            {"action": "accept", "protocol": "TCP", "direction": "inbound", "ip_range": "10.0.0.0/8",
             "dest_port_from": 22, "position": 1},
            {"action": "drop", "protocol": "TCP", "direction": "inbound", "ip_range": "0.0.0.0/0",
             "dest_port_from": 22, "position": 1}]}"#,
    );
}

#[test]
fn scaleway_position_zero_among_positioned_rules_takes_the_most_restrictive_reading() {
    assert_first_match_ambiguity_handled(
        r#"{"security_group": {"stateful": true, "inbound_default_policy": "drop",
            "outbound_default_policy": "accept"},
          "rules": [
            {"action": "accept", "protocol": "TCP", "direction": "inbound", "ip_range": "10.0.0.0/8",
             "dest_port_from": 22, "position": 0},
            {"action": "drop", "protocol": "TCP", "direction": "inbound", "ip_range": "0.0.0.0/0",
             "dest_port_from": 22, "position": 2}]}"#,
    );
}

// ---------------------------------------------------------------------------------------------
// Text that means two things

/// Exit 1 with the JSON path and a line:column in the message.
fn assert_located_rejection(run: &RunOutcome, path_word: &str) {
    let d = describe(run);
    assert_eq!(run.exit_code, 1, "{d}");
    assert!(run.output.is_none(), "{d}");
    assert!(
        run.stderr.contains(path_word),
        "the path names `{path_word}`: {d}"
    );
    let has_line_col = run.stderr.contains("line ") && run.stderr.contains("column ")
        || run
            .stderr
            .split(|c: char| !c.is_ascii_digit() && c != ':')
            .any(|t| {
                let mut parts = t.split(':');
                matches!((parts.next(), parts.next()), (Some(a), Some(b)) if !a.is_empty() && !b.is_empty())
            });
    assert!(has_line_col, "a line:column: {d}");
}

#[test]
fn leading_zeros_in_octets_and_prefix_lengths_are_rejected_everywhere() {
    // `/010` is 10 read as decimal, 8 as octal (a wider network).
    for prefix in ["010.0.0.0/8", "10.0.0.01/32", "10.0.0.0/010", "10.0.0.0/08"] {
        let gcore = format!(
            r#"[{{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
               "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "{prefix}"}}]"#
        );
        assert_located_rejection(
            &raw::run(&gcore, "gcore-v2", "huawei", &[]),
            "remote_ip_prefix",
        );
        let huawei = format!(
            r#"{{"security_group_rule": {{"direction": "ingress", "protocol": "tcp",
               "multiport": "22", "priority": 1, "remote_ip_prefix": "{prefix}"}}}}"#
        );
        assert_located_rejection(
            &raw::run(&huawei, "huawei", "gcore-v2", &[]),
            "remote_ip_prefix",
        );
        let scaleway = format!(
            r#"{{"security_group": {{"stateful": true, "inbound_default_policy": "drop",
               "outbound_default_policy": "accept"}}, "rules": [{{"action": "accept",
               "protocol": "TCP", "direction": "inbound", "ip_range": "{prefix}",
               "dest_port_from": 22, "position": 1}}]}}"#
        );
        assert_located_rejection(
            &raw::run(&scaleway, "scaleway", "gcore-v2", &[]),
            "ip_range",
        );
    }
}

#[test]
fn yaml_1_1_spellings_are_rejected_naming_what_was_found() {
    let cases = [
        (
            "security_group_rules:\n- direction: ingress\n  protocol: tcp\n  multiport: \"22\"\n  action: deny\n  priority: 1\n  enabled: n\n",
            "n",
        ),
        (
            "security_group_rules:\n- direction: ingress\n  protocol: tcp\n  multiport: \"22\"\n  action: deny\n  priority: 1_0\n",
            "1_0",
        ),
        (
            "security_group_rules:\n- direction: ingress\n  protocol: tcp\n  multiport: 0022\n  action: allow\n  priority: 1\n",
            "0022",
        ),
    ];
    for (doc, found) in cases {
        let run = raw::run(doc, "huawei", "gcore-v2", &["--input-format", "yaml"]);
        let d = describe(&run);
        assert_eq!(run.exit_code, 1, "{d}");
        assert!(run.output.is_none(), "{d}");
        assert!(
            run.stderr.contains(&format!("`{found}`"))
                || run.stderr.contains(&format!("\"{found}\""))
                || run.stderr.contains(&format!("'{found}'")),
            "names `{found}`: {d}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Ports

#[test]
fn explicit_1_65535_is_not_all_ports() {
    let doc = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "udp",
        "port_range_min": 1, "port_range_max": 65535}]"#;
    let plain = raw::run(doc, "gcore-v2", "huawei", &[]);
    let d = describe(&plain);
    if plain.exit_code == 0 {
        let out = output_group(&plain, "huawei");
        assert!(
            !out.eval(&pkt(Dir::In, 17, 0, "1.2.3.4")).max,
            "port 0 is a widening, refused without --allow-widen: {d}"
        );
        if plain.verdict() == Some("exact") {
            assert!(out.eval(&pkt(Dir::In, 17, 1, "1.2.3.4")).min, "{d}");
            assert!(out.eval(&pkt(Dir::In, 17, 65535, "1.2.3.4")).min, "{d}");
        }
    }
    let widen = raw::run(doc, "gcore-v2", "huawei", &["--allow-widen"]);
    let d = describe(&widen);
    assert_eq!(widen.exit_code, 0, "{d}");
    let out = output_group(&widen, "huawei");
    if out.eval(&pkt(Dir::In, 17, 0, "1.2.3.4")).max {
        assert_ne!(widen.verdict(), Some("exact"), "{d}");
        assert!(
            entries(&widen)
                .iter()
                .any(|e| e.to_string().contains("port 0")),
            "the port 0 difference is reported: {d}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Group ids

#[test]
fn target_group_with_several_groups_is_refused() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/canonical/two_groups.yaml");
    let text = std::fs::read_to_string(path).expect("fixture");
    let run = raw::run(
        &text,
        "canonical",
        "huawei",
        &["--target-group", "0f0f0f0f-1111-4222-8333-444444444444"],
    );
    let d = describe(&run);
    assert!(matches!(run.exit_code, 1 | 2), "{d}");
    assert!(run.output.is_none(), "{d}");
}

#[test]
fn self_reference_follows_the_target_group() {
    let own = "3addc7a1-e926-46da-b5a2-eb4b2f935230";
    let target = "0f0f0f0f-1111-4222-8333-444444444444";
    let doc = format!(
        r#"{{"id": "{own}", "name": "web", "security_group_rules": [
            {{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
              "port_range_min": 22, "port_range_max": 22, "remote_group_id": "{own}"}}]}}"#
    );
    let run = raw::run(&doc, "gcore-v1", "huawei", &["--target-group", target]);
    let d = describe(&run);
    assert_eq!(run.exit_code, 0, "{d}");
    let out: Value = serde_json::from_str(run.output.as_deref().unwrap_or("null")).expect("JSON");
    let rule = &out[0]["security_group_rule"];
    assert_eq!(rule["remote_group_id"], target, "{d}");
    assert_eq!(rule["security_group_id"], target, "{d}");
    assert!(
        entries(&run).iter().any(|e| {
            let t = e.to_string();
            t.contains(own) || t.contains("self")
        }),
        "the rewrite is reported: {d}"
    );
}

// ---------------------------------------------------------------------------------------------
// Missing notes and false alarms

#[test]
fn gcore_v2_target_without_egress_notes_the_default_egress() {
    let doc = r#"{"security_group_rule": {"direction": "ingress", "ethertype": "IPv4",
        "protocol": "tcp", "multiport": "22", "action": "allow", "priority": 1}}"#;
    let run = raw::run(doc, "huawei", "gcore-v2", &[]);
    let d = describe(&run);
    assert_eq!(run.exit_code, 0, "{d}");
    assert!(
        entries(&run)
            .iter()
            .any(|e| e["kind"] == "note" && e.to_string().to_lowercase().contains("egress")),
        "{d}"
    );
}

#[test]
fn scaleway_smtp_note_survives_canonical() {
    let doc = r#"{"security_group": {"stateful": true, "inbound_default_policy": "drop",
        "outbound_default_policy": "accept", "enable_default_security": true},
      "rules": [
        {"id": "11111111-2222-4333-8444-000000000001", "protocol": "TCP", "direction": "outbound",
         "ip_range": "0.0.0.0/0", "dest_port_from": 25, "dest_port_to": null, "position": 1,
         "editable": false, "action": "drop"},
        {"action": "accept", "protocol": "TCP", "direction": "inbound", "ip_range": "0.0.0.0/0",
         "dest_port_from": 22, "position": 1}]}"#;
    let smtp = |run: &RunOutcome| {
        entries(run)
            .iter()
            .any(|e| e.to_string().to_uppercase().contains("SMTP"))
    };
    let direct = raw::run(doc, "scaleway", "gcore-v2", &[]);
    assert!(smtp(&direct), "direct: {}", describe(&direct));
    let canonical = raw::run(doc, "scaleway", "canonical", &[]);
    assert_eq!(canonical.exit_code, 0, "{}", describe(&canonical));
    let text = canonical.output.clone().expect("canonical output");
    let second = raw::run(&text, "canonical", "gcore-v2", &[]);
    assert!(smtp(&second), "via canonical: {}", describe(&second));
}

#[test]
fn stateless_allow_all_both_ways_is_exact_on_stateful_targets() {
    let doc = r#"{"security_group": {"stateful": false, "inbound_default_policy": "accept",
        "outbound_default_policy": "accept", "enable_default_security": false}, "rules": []}"#;
    for to in ["gcore-v1", "gcore-v2", "huawei"] {
        let run = raw::run(doc, "scaleway", to, &[]);
        let d = describe(&run);
        assert_eq!(run.exit_code, 0, "{to}: {d}");
        assert_eq!(run.verdict(), Some("exact"), "{to}: {d}");
    }
}

#[test]
fn stateless_group_with_one_way_traffic_is_never_exact_on_stateful_targets() {
    // inbound tcp 22 only; replies (outbound) are not allowed by the stateless source
    let doc = r#"{"security_group": {"stateful": false, "inbound_default_policy": "drop",
        "outbound_default_policy": "drop", "enable_default_security": false},
      "rules": [{"action": "accept", "protocol": "TCP", "direction": "inbound",
        "ip_range": "0.0.0.0/0", "dest_port_from": 22, "position": 1}]}"#;
    for to in ["gcore-v1", "gcore-v2", "huawei"] {
        let run = raw::run(doc, "scaleway", to, &[]);
        let d = describe(&run);
        assert_ne!(run.verdict(), Some("exact"), "{to}: {d}");
        assert!(
            run.exit_code != 0 || run.verdict() == Some("narrowed"),
            "{to}: {d}"
        );
    }
}

#[test]
fn ipv4_protocols_without_a_gcore_name_are_not_internal_errors() {
    for proto in [41, 43, 44, 59, 60] {
        let doc = format!(
            r#"{{"security_group_rule": {{"direction": "ingress", "ethertype": "IPv4",
               "protocol": "{proto}", "action": "allow", "priority": 1}}}}"#
        );
        for to in ["gcore-v1", "gcore-v2"] {
            for extra in [&[][..], &["--no-verify"][..]] {
                let run = raw::run(&doc, "huawei", to, extra);
                let d = describe(&run);
                assert!(
                    matches!(run.exit_code, 0 | 1 | 3),
                    "{proto} {to} {extra:?}: {d}"
                );
                if let Some(out) = &run.output {
                    // a body Gcore accepts: an IPv6-only protocol name never with IPv4
                    let v: Value = serde_json::from_str(out).expect("JSON");
                    for r in v.as_array().into_iter().flatten() {
                        let name = r["protocol"].as_str().unwrap_or("");
                        assert!(
                            !(name.starts_with("ipv6-") && r["ethertype"] != "IPv6"),
                            "{proto} {to}: {d}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn ipv4_protocols_without_a_gcore_name_are_exact_on_huawei() {
    for proto in [41, 43, 44, 59, 60] {
        let doc = format!(
            r#"{{"security_group_rule": {{"direction": "ingress", "ethertype": "IPv4",
               "protocol": "{proto}", "action": "allow", "priority": 1}}}}"#
        );
        let run = raw::run(&doc, "huawei", "huawei", &[]);
        let d = describe(&run);
        assert_eq!(run.exit_code, 0, "{proto}: {d}");
        assert_eq!(run.verdict(), Some("exact"), "{proto}: {d}");
        let canonical = format!(
            "sgconv: 1\ngroups:\n- evaluation: allow_only\n  default_inbound: deny\n  default_outbound: deny\n  stateful: true\n  rules:\n  - {{direction: ingress, family: ipv4, protocol: {proto}}}\n"
        );
        let run = raw::run(&canonical, "canonical", "huawei", &[]);
        let d = describe(&run);
        assert_eq!(run.exit_code, 0, "{proto}: {d}");
        assert_eq!(run.verdict(), Some("exact"), "{proto}: {d}");
    }
}

#[test]
fn made_rules_never_carry_usize_max_as_index() {
    // lowering an accept default with a drop rule into allow-only Gcore makes rules
    let doc = r#"{"security_group": {"stateful": true, "inbound_default_policy": "accept",
        "outbound_default_policy": "accept"},
      "rules": [{"action": "drop", "protocol": "TCP", "direction": "inbound",
        "ip_range": "10.0.0.0/8", "dest_port_from": 22, "position": 1}]}"#;
    for to in ["gcore-v2", "huawei"] {
        let run = raw::run(doc, "scaleway", to, &[]);
        let d = describe(&run);
        let report = run
            .report
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        assert!(!report.contains("18446744073709551615"), "{to}: {d}");
        assert!(!run.stderr.contains("18446744073709551615"), "{to}: {d}");
    }
}

// ---------------------------------------------------------------------------------------------
// diff

fn diff(files: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all: Vec<String> = vec!["diff".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        all.push(p.to_string_lossy().into_owned());
    }
    raw::run_args(&all, "")
}

fn gcore_group(id: &str, port: u16) -> String {
    format!(
        r#"{{"id": "{id}", "name": "g-{port}", "security_group_rules": [{{"direction": "ingress",
            "ethertype": "IPv4", "protocol": "tcp", "port_range_min": {port},
            "port_range_max": {port}}}]}}"#
    )
}

#[test]
fn diff_pairs_groups_by_id() {
    let (a, b) = (
        "3addc7a1-e926-46da-b5a2-eb4b2f935230",
        "024a29e9-b4b7-4c91-9a46-505be123d9f8",
    );
    let first = format!(
        r#"{{"count": 2, "results": [{}, {}]}}"#,
        gcore_group(a, 22),
        gcore_group(b, 80)
    );
    // same positions, rules swapped between the ids: different
    let swapped = format!(
        r#"{{"count": 2, "results": [{}, {}]}}"#,
        gcore_group(b, 22),
        gcore_group(a, 80)
    );
    let (code, out, err) = diff(
        &[("a.json", &first), ("b.json", &swapped)],
        &["--from", "gcore-v1", "--to", "gcore-v1"],
    );
    assert_eq!(code, 1, "swapped rules differ by id\n{out}\n{err}");
    // same groups in another order: equal
    let reordered = format!(
        r#"{{"count": 2, "results": [{}, {}]}}"#,
        gcore_group(b, 80),
        gcore_group(a, 22)
    );
    let (code, out, err) = diff(
        &[("a.json", &first), ("c.json", &reordered)],
        &["--from", "gcore-v1", "--to", "gcore-v1"],
    );
    assert_eq!(code, 0, "the same groups in another order\n{out}\n{err}");
}

const SCW_STATEFUL: &str = r#"{"security_group": {"stateful": true, "inbound_default_policy": "drop",
    "outbound_default_policy": "accept", "enable_default_security": false},
  "rules": [{"action": "accept", "protocol": "TCP", "direction": "inbound",
    "ip_range": "0.0.0.0/0", "dest_port_from": 22, "position": 1}]}"#;

#[test]
fn diff_compares_statefulness() {
    let stateless = SCW_STATEFUL.replace(r#""stateful": true"#, r#""stateful": false"#);
    let (code, out, err) = diff(
        &[("a.json", SCW_STATEFUL), ("b.json", &stateless)],
        &["--from", "scaleway", "--to", "scaleway"],
    );
    assert_eq!(code, 1, "stateless vs stateful differ\n{out}\n{err}");
}

#[test]
fn diff_reads_scaleway_rule_lists_with_flags() {
    let (code, out, err) = diff(
        &[("list.json", SCW_LIST), ("group.json", SCW_STATEFUL)],
        &[
            "--from",
            "scaleway",
            "--to",
            "scaleway",
            "--inbound-default",
            "drop",
            "--outbound-default",
            "accept",
            "--stateful",
            "true",
        ],
    );
    assert_eq!(
        code, 0,
        "the list with these defaults is the group\n{out}\n{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// -o

const SIMPLE: &str = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
    "port_range_min": 22, "port_range_max": 22}]"#;

#[test]
fn output_to_dev_null_keeps_the_device() {
    use std::os::unix::fs::FileTypeExt;
    let is_char = || {
        std::fs::metadata("/dev/null")
            .map(|m| m.file_type().is_char_device())
            .unwrap_or(false)
    };
    if !is_char() {
        eprintln!("/dev/null is not a character device here; not run");
        return;
    }
    let (code, _, err) = raw::run_args(
        &[
            "convert",
            "--from",
            "gcore-v2",
            "--to",
            "huawei",
            "-q",
            "-o",
            "/dev/null",
            "-",
        ],
        SIMPLE,
    );
    assert!(is_char(), "/dev/null is still a character device");
    assert_eq!(code, 0, "{err}");
}

#[test]
fn output_to_a_fifo_writes_into_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("out.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; not run");
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let got = std::fs::read_to_string(&reader_path).unwrap_or_default();
        let _ = tx.send(got);
    });
    let (code, _, err) = raw::run_args(
        &[
            "convert",
            "--from",
            "gcore-v2",
            "--to",
            "huawei",
            "-q",
            "-o",
            fifo.to_str().expect("utf-8 path"),
            "-",
        ],
        SIMPLE,
    );
    let still_fifo = std::fs::symlink_metadata(&fifo)
        .map(|m| m.file_type().is_fifo())
        .unwrap_or(false);
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_default();
    assert_eq!(code, 0, "{err}");
    assert!(still_fifo, "the FIFO is still a FIFO");
    assert!(
        got.contains("security_group_rule"),
        "the reader got the output: {got:?}"
    );
}

#[test]
fn output_file_permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.json");
    std::fs::write(&out, "old").expect("write");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let (code, _, err) = raw::run_args(
        &[
            "convert",
            "--from",
            "gcore-v2",
            "--to",
            "huawei",
            "-q",
            "-o",
            out.to_str().expect("utf-8 path"),
            "-",
        ],
        SIMPLE,
    );
    assert_eq!(code, 0, "{err}");
    let mode = std::fs::metadata(&out).expect("out").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "permissions kept");
    assert!(
        std::fs::read_to_string(&out)
            .expect("out")
            .contains("security_group_rule")
    );
}

#[test]
fn refused_summary_says_refused() {
    // a remote group cannot be written on Scaleway: narrowed, refused under --strict
    let doc = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22,
        "remote_group_id": "5a7c1e2d-0b3f-4c6a-9d8e-1f2a3b4c5d6e"}]"#;
    let (code, out, err) = raw::run_args(
        &[
            "convert", "--from", "gcore-v2", "--to", "scaleway", "--strict", "-",
        ],
        doc,
    );
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty());
    let summary = err.lines().next().unwrap_or("");
    assert!(summary.to_lowercase().contains("refused"), "summary: {err}");
}

#[test]
fn target_group_map_names_each_group_and_rewrites_references() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/canonical/two_groups.yaml");
    let text = std::fs::read_to_string(path).expect("fixture");
    let (web, db) = (
        "3addc7a1-e926-46da-b5a2-eb4b2f935230",
        "9e4c7f2a-1b3d-4e5f-8a6b-7c8d9e0f1a2b",
    );
    let (web_t, db_t) = (
        "0f0f0f0f-1111-4222-8333-444444444444",
        "0f0f0f0f-5555-4666-8777-888888888888",
    );
    let map = [format!("{web}={web_t}"), format!("{db}={db_t}")];
    let run = raw::run(
        &text,
        "canonical",
        "huawei",
        &["--target-group", &map[0], "--target-group", &map[1]],
    );
    let d = describe(&run);
    assert_eq!(run.exit_code, 0, "{d}");
    // narrowed only by the ICMP type Huawei cannot say
    assert_eq!(run.verdict(), Some("narrowed"), "{d}");
    let out = run.output.as_deref().unwrap_or("");
    assert!(out.contains(web_t) && out.contains(db_t), "{d}");
    assert!(
        !out.contains(web) && !out.contains(db),
        "no source id is left: {d}"
    );
    // A map without one of the groups: an error, nothing written.
    let run = raw::run(&text, "canonical", "huawei", &["--target-group", &map[0]]);
    let d = describe(&run);
    assert_eq!(run.exit_code, 1, "{d}");
    assert!(run.output.is_none(), "{d}");
    assert!(
        run.stderr.contains(db),
        "names the group without an id: {d}"
    );
}

#[test]
fn foreign_group_ids_are_reported_for_the_user_to_map() {
    let doc = r#"{"id": "3addc7a1-e926-46da-b5a2-eb4b2f935230", "security_group_rules": [
        {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 5432,
         "port_range_max": 5432, "remote_group_id": "11111111-2222-4333-8444-555555555555"}]}"#;
    let run = raw::run(doc, "gcore-v1", "huawei", &[]);
    let d = describe(&run);
    assert_eq!(run.exit_code, 0, "{d}");
    assert!(
        entries(&run).iter().any(|e| e["field"] == "remote"
            && e["value"] == "11111111-2222-4333-8444-555555555555"
            && e.to_string().contains("map it")),
        "{d}"
    );
    // Within one cloud the id keeps its meaning: no such entry.
    let run = raw::run(doc, "gcore-v1", "gcore-v2", &[]);
    let d = describe(&run);
    assert!(
        !entries(&run)
            .iter()
            .any(|e| e.to_string().contains("map it")),
        "{d}"
    );
}
