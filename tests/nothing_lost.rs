//! Nothing is lost silently, for every provider pair: a generated group is written in each
//! provider's shape, and that document is converted to every provider. On sampled packets
//! (the independent evaluator in tests/common/evaluator.rs), wherever source and target
//! disagree, the verdict is not `exact`, the packet lies in a reported difference, and the
//! input rule that decided the packet in the source is named by a report entry (or, when the
//! group's default decided it, the group is).

mod common;

use common::evaluator::*;
use proptest::prelude::*;
use proptest::test_runner::TestRng;
use sgconv::model::{Action, Evaluation, Rule, SecurityGroup};
use sgconv::report::{Kind, Verdict};
use sgconv::{Options, ProviderId};

fn options() -> Options {
    Options::default()
        .with_allow_widen(true)
        .with_rule_budget(Some(2_000))
}

/// The input rules (origin indexes) that can explain a change of `p`'s fate: the rule that
/// decides it in the source and every rule evaluated before that one (an earlier deny made to
/// match more takes the packet from a later allow); all rules when the default decides it or
/// the group is allow-only.
fn explainers(group: &SecurityGroup, p: &Packet) -> Vec<Option<usize>> {
    let mut rules: Vec<&Rule> = group.rules.iter().collect();
    match group.evaluation {
        Evaluation::AllowOnly => return rules.iter().map(|r| r.origin().index).collect(),
        Evaluation::Priority => rules.sort_by_key(|r| {
            (
                r.priority().unwrap_or(u16::MAX),
                r.action() == Action::Allow,
            )
        }),
        Evaluation::FirstMatch => {}
        other => panic!("unknown evaluation {other:?}"),
    }
    let end = rules
        .iter()
        .position(|r| matches(r, p))
        .map_or(rules.len(), |i| i + 1);
    rules[..end].iter().map(|r| r.origin().index).collect()
}

fn import(text: &str, provider: ProviderId) -> SecurityGroup {
    let doc = sgconv::import(text, provider, &sgconv::Options::default())
        .map(|i| i.document)
        .unwrap_or_else(|e| panic!("{provider}: {e}\n{text}"));
    doc.groups.into_iter().next().expect("one group")
}

fn check_pair(source_text: &str, from: ProviderId, to: ProviderId, rng: &mut TestRng) {
    let converted = match sgconv::convert(source_text, from, to, &options()) {
        Ok(c) if c.outcome.is_err() => {
            assert!(
                !c.report.entries.is_empty(),
                "{from} -> {to}: a refusal says why"
            );
            return;
        }
        Ok(c) => c,
        Err(e) => panic!("{from} -> {to}: {e}\n{source_text}"),
    };
    let source = import(source_text, from);
    let out = converted.output().expect("output").as_json().to_owned();
    let target = import(&out, to);
    let report = &converted.report;
    let c = candidates(&[&source, &target]);
    for _ in 0..300 {
        let p = sample(&c, rng);
        let (before, after) = (allows(&source, &p), allows(&target, &p));
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
            "{from} -> {to}: {p:?} changed under an exact verdict\n{source_text}\n{out}"
        );
        assert!(
            report
                .differences
                .iter()
                .any(|d| d.change == change && d.packet_box.as_ref().is_some_and(|b| in_box(b, &p)))
                || report.differences_truncated,
            "{from} -> {to}: {p:?} ({change:?}) is in no reported difference\n{source_text}\n{out}"
        );
        let candidates = explainers(&source, &p);
        let named = report.entries.iter().any(|e| {
            matches!(e.kind, Kind::Narrowed | Kind::Widened)
                && match (&e.rule, e.rules.as_slice()) {
                    (Some(o), _) => candidates.contains(&o.index),
                    (None, []) => true,
                    (None, many) => many.iter().any(|r| candidates.contains(&r.origin.index)),
                }
        });
        assert!(
            named,
            "{from} -> {to}: {p:?} changed, and no narrowed/widened entry names the group or a rule that decides it ({candidates:?}): {:#?}\n{source_text}\n{out}",
            report.entries
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_provider_pair_loses_nothing_silently(group in arb_group(), seed in any::<u64>()) {
        let mut rng = seeded_rng(seed);
        let canonical = canonical_text(&group);
        for &from in ProviderId::ALL {
            // The group as `from` writes it (itself a conversion, possibly lossy): the source.
            let Ok(Ok(written)) = sgconv::convert(&canonical, ProviderId::Canonical, from, &options()).map(|c| c.outcome) else { continue };
            let source_text = written.as_json().to_owned();
            for &to in ProviderId::ALL {
                check_pair(&source_text, from, to, &mut rng);
            }
        }
    }
}
