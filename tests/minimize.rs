//! `sgconv minimize`: its output allows exactly what its input allows (both documents read
//! back and compared by the semantics engine) and never has more rules; the lint fixtures
//! minimised (snapshotted in `snapshots/minimize@...`); the command's exit codes.

mod common;

use std::path::Path;

use proptest::prelude::*;
use sgconv::lint::{LintConfig, minimize};
use sgconv::model::*;
use sgconv::report::Refusal;
use sgconv::semantics::compare_documents;
use sgconv::{Format, Options, ProviderId, convert_document};

fn sgconv() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_sgconv"))
}

/// Networks that nest and pair up (halves of each other), so that rules shadow, cover and
/// merge.
const V4: &[&str] = &[
    "10.0.0.0/8",
    "10.0.0.0/9",
    "10.128.0.0/9",
    "10.0.0.0/10",
    "10.64.0.0/10",
    "192.168.0.0/24",
    "192.168.1.0/24",
    "192.168.0.0/23",
];
const V6: &[&str] = &["2001:db8::/32", "2001:db8::/33", "2001:db8:8000::/33"];
/// Ports that touch and overlap.
const PORTS: &[(u64, u64)] = &[(22, 22), (23, 23), (24, 30), (80, 80), (81, 90), (1, 1024)];

fn rule(evaluation: Evaluation) -> impl Strategy<Value = Rule> {
    (
        any::<(bool, bool, bool)>(),
        0..5usize,
        0..PORTS.len(),
        0..12usize,
        0..4u8,
        1..4u16,
    )
        .prop_map(
            move |((ingress, v6, deny), proto, port, remote, enabled, priority)| {
                let family = if v6 { Family::V6 } else { Family::V4 };
                let direction = if ingress {
                    Direction::Ingress
                } else {
                    Direction::Egress
                };
                let mut spec = RuleSpec::new(direction, family);
                spec.protocol = match proto {
                    0 => Protocol::Any,
                    1 | 2 => Protocol::TCP,
                    3 => Protocol::UDP,
                    _ if v6 => Protocol::ICMPV6,
                    _ => Protocol::ICMP,
                };
                if spec.protocol.has_ports() {
                    let (from, to) = PORTS[port];
                    spec.ports = PortSet::from_ranges([PortRange::new(from, to).expect("port")]);
                }
                let nets = if v6 { V6 } else { V4 };
                spec.remote = match remote {
                    0 | 1 => Remote::Any,
                    10 => Remote::Group("g1".into()),
                    n => Remote::Cidr(nets[n % nets.len()].parse().expect("net")),
                };
                if evaluation != Evaluation::AllowOnly && deny {
                    spec.action = Action::Deny;
                }
                if evaluation == Evaluation::Priority {
                    spec.priority = Some(priority);
                }
                spec.enabled = enabled != 0;
                Rule::new(spec).expect("generated rule is valid")
            },
        )
}

/// A provider and a group of its evaluation.
fn case() -> impl Strategy<Value = (ProviderId, SecurityGroup)> {
    prop_oneof![
        Just((ProviderId::GcoreV2, Evaluation::AllowOnly)),
        Just((ProviderId::Huawei, Evaluation::Priority)),
        Just((ProviderId::Scaleway, Evaluation::FirstMatch)),
        Just((ProviderId::Canonical, Evaluation::FirstMatch)),
        Just((ProviderId::Canonical, Evaluation::Priority)),
    ]
    .prop_flat_map(|(provider, evaluation)| {
        (
            Just(provider),
            proptest::collection::vec(rule(evaluation), 0..14),
            proptest::collection::vec((any::<usize>(), any::<usize>(), 0..3u8), 0..6),
            any::<(bool, bool, bool)>(),
        )
            .prop_map(
                move |(provider, mut rules, twins, (accept_in, accept_out, stateful))| {
                    // Twins: a rule again with the other half of its network, the ports next to
                    // its own, or the other action, somewhere in the group (what merges need).
                    for (of, at, kind) in twins {
                        let Some(base) = rules.get(of % rules.len().max(1)).cloned() else {
                            break;
                        };
                        if let Some(twin) = twin(base, kind, evaluation) {
                            let at = at % (rules.len() + 1);
                            rules.insert(at, twin);
                        }
                    }
                    let mut g = SecurityGroup::empty();
                    g.evaluation = evaluation;
                    g.stateful = stateful || evaluation == Evaluation::AllowOnly;
                    if evaluation != Evaluation::AllowOnly {
                        g.default_inbound = if accept_in {
                            Action::Allow
                        } else {
                            Action::Deny
                        };
                        g.default_outbound = if accept_out {
                            Action::Allow
                        } else {
                            Action::Deny
                        };
                    }
                    g.rules = rules;
                    (provider, g)
                },
            )
    })
}

/// `rule` with the other half of its network (`kind` 0), the ports after its own (1), or
/// the other action (2, in groups with deny rules).
fn twin(rule: Rule, kind: u8, evaluation: Evaluation) -> Option<Rule> {
    let mut spec = rule.into_spec();
    match kind {
        0 => {
            let Remote::Cidr(net) = spec.remote else {
                return None;
            };
            let parent = net.supernet()?;
            let other = parent.subnets(net.prefix_len()).ok()?.find(|h| *h != net)?;
            spec.remote = Remote::Cidr(other);
        }
        1 => {
            let range = *spec.ports.ranges().first()?;
            let len = u64::from(range.to() - range.from());
            let from = u64::from(range.to()) + 1;
            spec.ports =
                PortSet::from_ranges([PortRange::new(from, (from + len).min(65535)).ok()?]);
        }
        _ if evaluation != Evaluation::AllowOnly => {
            spec.action = match spec.action {
                Action::Allow => Action::Deny,
                Action::Deny => Action::Allow,
            };
        }
        _ => return None,
    }
    Rule::new(spec).ok()
}

fn rules(doc: &Document) -> usize {
    doc.groups.iter().map(|g| g.rules.len()).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Whatever the provider's document, the minimised one allows exactly the same packets
    /// (judged on both documents read back) and has no more rules.
    #[test]
    fn minimized_is_exact_and_never_larger((provider, group) in case()) {
        // The group as a document of the provider: whatever the conversion kept, its
        // output is one (widenings accepted: only the output matters here).
        let options = Options::default().with_allow_widen(true);
        let converted = convert_document(&Document::new(vec![group]), provider, &options)
            .expect("a valid document");
        let text = converted
            .output()
            .expect("the conversion writes a document")
            .render(Format::Json)
            .expect("renders");
        let source = common::import(&text, provider);
        let fixed = minimize(&text, provider, &Options::default(), &LintConfig::default())
            .expect("reads its own output");
        let out = match &fixed.outcome {
            Ok(out) => out,
            Err(refusal) => {
                return Err(TestCaseError::fail(format!(
                    "refused: {refusal}; {:?}\n{text}",
                    fixed.report.differences
                )));
            }
        };
        let back = common::import(out.as_json(), provider);
        let differences = compare_documents(&source, &back);
        prop_assert!(differences.is_empty(), "{differences:?}\n{text}\n{}", out.as_json());
        prop_assert!(rules(&back) <= rules(&source), "{} > {}", rules(&back), rules(&source));
        prop_assert_eq!(fixed.rules_in, rules(&source));
        prop_assert_eq!(fixed.rules_out, rules(&back));
    }
}

/// Every lint fixture: minimised exactly (or refused, for the one whose positions tie: its
/// meaning is not one document's), never larger; the outputs snapshotted.
#[test]
fn lint_fixtures_minimize() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-lint");
    let mut seen = 0usize;
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures-lint")
        .map(|d| d.expect("entry").path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let provider: ProviderId = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .parse()
            .expect("a provider directory");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|f| f.expect("entry").path())
            .collect();
        files.sort();
        for path in files {
            seen += 1;
            let text = std::fs::read_to_string(&path).expect("read");
            let fixed = minimize(&text, provider, &Options::default(), &LintConfig::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = format!("{}__{}", provider.name(), common::stem(&path));
            assert!(fixed.rules_out <= fixed.rules_in, "{name}");
            let value = match &fixed.outcome {
                Ok(out) => {
                    let source = common::import(&text, provider);
                    let back = common::import(out.as_json(), provider);
                    assert!(compare_documents(&source, &back).is_empty(), "{name}");
                    out.to_value().expect("json")
                }
                Err(refusal) => {
                    assert!(name.contains("equal_positions"), "{name}: {refusal}");
                    assert!(matches!(refusal, Refusal::NotExact { .. }), "{name}");
                    serde_json::json!({"refused": refusal.to_string()})
                }
            };
            let removed_or_merged: Vec<String> = fixed
                .report
                .entries
                .iter()
                .filter(|e| e.kind == sgconv::report::Kind::Rewritten)
                .map(|e| e.message.to_string())
                .collect();
            let snapshot = serde_json::json!({
                "rules": [fixed.rules_in, fixed.rules_out],
                "changes": removed_or_merged,
                "output": value,
            });
            common::settings()
                .bind(|| insta::assert_json_snapshot!(format!("minimize@{name}"), snapshot));
        }
    }
    assert!(seen >= 15, "lint fixtures are missing");
}

/// A deny between two halves of a network stops their merge in an ordered group (the later
/// half cannot move up past it); without it they merge.
#[test]
fn a_rule_of_the_other_action_between_stops_a_merge() {
    let rule = |net: &str, action: Action| {
        let mut spec = RuleSpec::new(Direction::Ingress, Family::V4);
        spec.protocol = Protocol::TCP;
        spec.ports = PortSet::from_ranges([PortRange::single(443).expect("port")]);
        spec.remote = Remote::Cidr(net.parse().expect("net"));
        spec.action = action;
        Rule::new(spec).expect("rule")
    };
    let halves = |between: Option<Rule>| {
        let mut rules = vec![rule("10.0.0.0/9", Action::Allow)];
        rules.extend(between);
        rules.push(rule("10.128.0.0/9", Action::Allow));
        let group = SecurityGroup::first_match(rules).expect("group");
        sgconv::lint::minimize_document(
            &Document::new(vec![group]),
            ProviderId::Scaleway,
            &Options::default(),
            &LintConfig::default(),
        )
        .expect("minimises")
    };
    let merged = halves(None);
    assert_eq!((merged.rules_out, merged.merged), (1, 1));
    let out = merged.outcome.expect("exact").to_value().expect("json");
    assert_eq!(out["rules"][0]["ip_range"], "10.0.0.0/8");
    let kept = halves(Some(rule("10.200.0.0/16", Action::Deny)));
    assert_eq!((kept.rules_out, kept.merged), (3, 0));
    assert!(kept.outcome.is_ok());
}

#[test]
fn minimize_command() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-lint");
    let run = |args: &[&str]| {
        sgconv()
            .arg("minimize")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("runs")
    };
    let ok = run(&[
        "--from",
        "gcore-v2",
        "gcore-v2/exposed-ssh.split_halves.json",
    ]);
    assert_eq!(ok.status.code(), Some(0));
    let out: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("json");
    assert_eq!(out.as_array().map(Vec::len), Some(1));
    // The two halves of 0.0.0.0/0 are one rule from anywhere (no remote written).
    assert_eq!(out[0]["port_range_min"], 22);
    assert!(out[0].get("remote_ip_prefix").is_none(), "{out}");
    let summary = String::from_utf8_lossy(&ok.stderr);
    assert!(
        summary.contains("2 rules -> 1 (0 removed, 1 merged)"),
        "{summary}"
    );
    // Equal positions: two readings, so no one smaller document is exact.
    let tied = run(&[
        "--from",
        "scaleway",
        "scaleway/position-order.equal_positions.json",
    ]);
    assert_eq!(tied.status.code(), Some(3));
    assert!(tied.stdout.is_empty());
    // Read as Huawei rules, Gcore's keys are not read: nothing can be shown exact.
    let unread = run(&["--from", "huawei", "gcore-v2/exposed-ssh.split_halves.json"]);
    assert_eq!(unread.status.code(), Some(3));
    assert!(unread.stdout.is_empty());
    assert!(String::from_utf8_lossy(&unread.stderr).contains("unverified"));
    let broken = std::env::temp_dir().join(format!(
        "sgconv-minimize-broken-{}.json",
        std::process::id()
    ));
    std::fs::write(&broken, "[{").expect("write");
    let bad = run(&["--from", "huawei", broken.to_str().expect("utf-8")]);
    let _ = std::fs::remove_file(&broken);
    assert_eq!(bad.status.code(), Some(1));
    assert!(bad.stdout.is_empty());
    let usage = run(&["--from", "nope"]);
    assert_eq!(usage.status.code(), Some(2));
}
