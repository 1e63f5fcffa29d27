//! The semantic engine checked against an independent evaluator.
//!
//! `Packet` and `allows` below evaluate a canonical group directly on one concrete packet
//! (they do not use `sgconv::semantics`). Generated groups are converted to each target;
//! on sampled packets (every range and CIDR boundary ±1, random values, random group
//! memberships) the source and the re-imported result must agree wherever the verdict is
//! exact, and every disagreement must lie in a reported difference of the right kind. Every
//! registered provider is a target.

mod common;

use common::evaluator::*;
use proptest::prelude::*;
use proptest::test_runner::TestRng;
use sgconv::model::SecurityGroup;
use sgconv::report::Verdict;
use sgconv::{Options, ProviderId};

/// Convert `group` to `to`, re-import, and check sampled packets against the verdict and the
/// reported differences. Returns the verdict (None when the conversion was refused for its
/// rule budget).
fn check(group: &SecurityGroup, to: ProviderId, rng: &mut TestRng) -> Option<Verdict> {
    let text = canonical_text(group);
    let options = Options::default()
        .with_allow_widen(true)
        .with_rule_budget(Some(20_000));
    let converted = match common::convert(&text, ProviderId::Canonical, to, &options) {
        Ok(c) => c,
        Err(common::Failure { code: 3, .. }) => return None,
        Err(e) => panic!("{to}: {e}\n{text}"),
    };
    let out = converted.output().expect("output").as_json().to_owned();
    let target = sgconv::import(&out, to, &sgconv::Options::default())
        .map(|i| i.document)
        .expect("re-import");
    let target = &target.groups[0];
    let report = &converted.report;
    let c = candidates(&[group, target]);
    for _ in 0..400 {
        let p = sample(&c, rng);
        let (before, after) = (allows(group, &p), allows(target, &p));
        if before == after {
            continue;
        }
        let change = if before {
            Verdict::Narrowed
        } else {
            Verdict::Widened
        };
        assert_ne!(
            report.verdict,
            Verdict::Exact,
            "{to}: verdict exact but {p:?} is {}allowed before and {}allowed after\n{text}\n{out}",
            if before { "" } else { "not " },
            if after { "" } else { "not " },
        );
        assert!(
            report
                .differences
                .iter()
                .any(|d| d.change == change && d.packet_box.as_ref().is_some_and(|b| in_box(b, &p)))
                || report.differences_truncated,
            "{to}: {p:?} ({change:?}) is in no reported difference: {:#?}\n{text}\n{out}",
            report.differences
        );
    }
    Some(report.verdict)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn conversions_agree_with_the_independent_evaluator(group in arb_group(), seed in any::<u64>()) {
        let mut rng = seeded_rng(seed);
        for &to in ProviderId::ALL {
            let verdict = check(&group, to, &mut rng);
            if to == ProviderId::Canonical {
                prop_assert_eq!(verdict, Some(Verdict::Exact));
            }
            prop_assert_ne!(verdict, Some(Verdict::Widened), "{} widened", to);
        }
    }

    /// The walk verification falls back on for groups too large to build the allowed sets
    /// of finds, between any two groups, exactly the packets the evaluator says they
    /// disagree on, each in a difference of the right kind.
    #[test]
    fn walking_comparison_agrees_with_the_evaluator(
        a in arb_group(),
        b in arb_group(),
        seed in any::<u64>(),
    ) {
        let mut rng = seeded_rng(seed);
        let diffs = sgconv::semantics::compare_walking(0, &a, &b);
        let c = candidates(&[&a, &b]);
        for _ in 0..400 {
            let p = sample(&c, &mut rng);
            let (before, after) = (allows(&a, &p), allows(&b, &p));
            let in_kind = |change: Verdict| {
                diffs.iter().any(|d| {
                    d.change == change && d.packet_box.as_ref().is_some_and(|x| in_box(x, &p))
                })
            };
            prop_assert_eq!(in_kind(Verdict::Narrowed), before && !after, "narrowed {:?}", p);
            prop_assert_eq!(in_kind(Verdict::Widened), after && !before, "widened {:?}", p);
        }
    }

    /// The engine's own set of a group agrees with the evaluator, through `sgconv diff`'s
    /// comparison against an empty group: every allowed packet lies in a reported box and
    /// every denied one in none.
    #[test]
    fn allowed_set_matches_the_evaluator(group in arb_group(), seed in any::<u64>()) {
        let mut rng = seeded_rng(seed);
        let empty = SecurityGroup::empty();
        let diffs = sgconv::semantics::compare(0, &group, &empty);
        let c = candidates(&[&group]);
        for _ in 0..400 {
            let p = sample(&c, &mut rng);
            let inside = diffs.iter().any(|d| d.packet_box.as_ref().is_some_and(|b| in_box(b, &p)));
            prop_assert_eq!(allows(&group, &p), inside, "{:?}", p);
        }
    }
}

proptest! {
    // Pairs of similar groups reach the walk's shortcuts only in some cases: more of them.
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// The same between a group and itself with some rules dropped and one from another
    /// group put in (as `minimize` and lowering change a group): such pairs take the walk's
    /// shortcuts (a box held by one earlier box; a box the other group allows once the
    /// denies both share are taken out), which unrelated groups seldom reach.
    #[test]
    fn walking_comparison_agrees_on_similar_groups(
        a in arb_group(),
        dropped in proptest::collection::vec(any::<bool>(), 8),
        other in arb_group(),
        at in any::<usize>(),
        seed in any::<u64>(),
    ) {
        let mut rng = seeded_rng(seed);
        let mut b = a.clone();
        b.rules = a
            .rules
            .iter()
            .zip(dropped.iter().chain(std::iter::repeat(&false)))
            .filter(|(_, d)| !**d)
            .map(|(r, _)| r.clone())
            .collect();
        if let Some(rule) = other.rules.first() {
            let at = at % (b.rules.len() + 1);
            b.rules.insert(at, rule.clone());
        }
        let c = candidates(&[&a, &b]);
        for (x, y) in [(&a, &b), (&b, &a)] {
            let diffs = sgconv::semantics::compare_walking(0, x, y);
            for _ in 0..300 {
                let p = sample(&c, &mut rng);
                let (before, after) = (allows(x, &p), allows(y, &p));
                let in_kind = |change: Verdict| {
                    diffs.iter().any(|d| {
                        d.change == change && d.packet_box.as_ref().is_some_and(|q| in_box(q, &p))
                    })
                };
                prop_assert_eq!(in_kind(Verdict::Narrowed), before && !after, "narrowed {:?}", p);
                prop_assert_eq!(in_kind(Verdict::Widened), after && !before, "widened {:?}", p);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Snapshots

fn snapshot(name: &str, yaml: &str, to: ProviderId) {
    let value = common::outcome(yaml, ProviderId::Canonical, to, &Options::default());
    common::settings().bind(|| insta::assert_yaml_snapshot!(format!("semantics@{name}"), value));
}

#[test]
fn deny_ssh_before_allow_all_priority_to_gcore() {
    snapshot(
        "priority_deny_ssh_allow_all__gcore-v2",
        "sgconv: 1
groups:
- evaluation: priority
  default_inbound: deny
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], action: deny, priority: 1}
  - {direction: ingress, family: ipv4, priority: 100}
",
        ProviderId::GcoreV2,
    );
}

#[test]
fn first_match_default_accept_two_drops_to_gcore() {
    snapshot(
        "first_match_accept_two_drops__gcore-v1",
        "sgconv: 1
groups:
- evaluation: first_match
  default_inbound: allow
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], remote: {cidr: 203.0.113.0/24}, action: deny}
  - {direction: ingress, family: ipv6, protocol: udp, ports: ['53'], action: deny}
  - {direction: egress, family: ipv4, protocol: tcp, ports: ['443']}
",
        ProviderId::GcoreV1,
    );
}

#[test]
fn mixed_ipv4_ipv6_exclusions_to_gcore() {
    snapshot(
        "mixed_family_exclusions__gcore-v2",
        "sgconv: 1
groups:
- evaluation: first_match
  default_inbound: deny
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['443'], remote: {cidr: 10.0.0.0/9}, action: deny}
  - {direction: ingress, family: ipv6, protocol: tcp, ports: ['443'], remote: {cidr: '2001:db8::/33'}, action: deny}
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['443'], remote: {cidr: 10.0.0.0/8}}
  - {direction: ingress, family: ipv6, protocol: tcp, ports: ['443'], remote: {cidr: '2001:db8::/32'}}
",
        ProviderId::GcoreV2,
    );
}

#[test]
fn deny_on_a_remote_group_before_allow_all_narrows() {
    snapshot(
        "deny_group_before_allow_all__gcore-v2",
        "sgconv: 1
groups:
- evaluation: priority
  default_inbound: deny
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], remote: {group: quarantine}, action: deny, priority: 1}
  - {direction: ingress, family: ipv4, protocol: tcp, priority: 2}
  - {direction: ingress, family: ipv4, protocol: udp, remote: {group: quarantine}, priority: 3}
",
        ProviderId::GcoreV2,
    );
}

#[test]
fn budget_refuses_large_lowering() {
    let yaml = "sgconv: 1
groups:
- evaluation: first_match
  default_inbound: allow
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], action: deny}
";
    let options = Options::default().with_rule_budget(Some(3));
    match common::convert(yaml, ProviderId::Canonical, ProviderId::GcoreV2, &options) {
        Err(e @ common::Failure { code: 3, .. }) => {
            assert!(e.to_string().contains("more than 3 rules"), "{e}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// More differing boxes than a report lists: the list stops at the cap and says so, the
/// verdict still counts them all (found by tests/nothing_lost.rs in CI).
#[test]
fn many_differences_are_capped_and_flagged() {
    let yaml = "sgconv: 1\ngroups:\n  - evaluation: first_match\n    default_inbound: allow\n    default_outbound: deny\n    stateful: true\n    rules:\n      - {direction: ingress, family: ipv6, protocol: ipv6-icmp, icmp: {type: 8}, action: deny}\n      - {direction: ingress, family: ipv6, remote: {cidr: \"2001:db8::/32\"}, action: deny}\n";
    let options = Options::default()
        .with_allow_widen(true)
        .with_rule_budget(Some(20_000));
    let gcore = common::convert(yaml, ProviderId::Canonical, ProviderId::GcoreV1, &options)
        .expect("lowered");
    let text = gcore.output().expect("output").as_json().to_owned();
    let huawei = common::convert(&text, ProviderId::GcoreV1, ProviderId::Huawei, &options)
        .expect("converts");
    assert_eq!(huawei.report.verdict, Verdict::Narrowed);
    assert!(huawei.report.differences_truncated);
    assert_eq!(huawei.report.differences.len(), sgconv::MAX_DIFFERENCES);
}
