//! The progress hook: a conversion tells it each stage, in order, with counts, and converts
//! exactly as it does without one.

use std::sync::{Arc, Mutex};

use sgconv::progress::{Event, Progress};
use sgconv::{Options, ProviderId, convert};

const TWO_GROUPS: &str = include_str!("fixtures/canonical/two_groups.yaml");

/// Options with a hook that records every event, and the record.
fn recording(options: Options) -> (Options, Arc<Mutex<Vec<Event>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let hook = Progress::new(move |e| sink.lock().expect("not poisoned").push(e));
    (options.with_progress(Some(hook)), seen)
}

fn events(seen: &Arc<Mutex<Vec<Event>>>) -> Vec<Event> {
    seen.lock().expect("not poisoned").clone()
}

#[test]
fn every_stage_in_order_with_its_counts() {
    let (options, seen) = recording(Options::default());
    let with = convert(
        TWO_GROUPS,
        ProviderId::Canonical,
        ProviderId::GcoreV2,
        &options,
    )
    .expect("converts");
    let without = convert(
        TWO_GROUPS,
        ProviderId::Canonical,
        ProviderId::GcoreV2,
        &Options::default(),
    )
    .expect("converts");
    assert_eq!(with, without, "the hook changes nothing in the result");
    let rules_out = with.stats.rules_out;
    assert!(rules_out > 0);
    assert_eq!(
        events(&seen),
        [
            Event::Reading {
                bytes: TWO_GROUPS.len()
            },
            Event::Read {
                groups: 2,
                rules: 5
            },
            Event::Fitted { done: 1, groups: 2 },
            Event::Fitted { done: 2, groups: 2 },
            Event::Exported { rules: rules_out },
            Event::ReadBack { groups: 2 },
            Event::Verified { done: 1, groups: 2 },
            Event::Verified { done: 2, groups: 2 },
        ]
    );
}

#[test]
fn no_verification_no_verification_events() {
    let (options, seen) = recording(Options::default().with_no_verify(true));
    let _ = convert(
        TWO_GROUPS,
        ProviderId::Canonical,
        ProviderId::Huawei,
        &options,
    )
    .expect("converts");
    let seen = events(&seen);
    assert!(
        matches!(seen.last(), Some(Event::Exported { .. })),
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::ReadBack { .. } | Event::Verified { .. }))
    );
}

/// A refusal while fitting ends the events there: no export, no verification.
#[test]
fn a_refusal_stops_the_events() {
    // Inbound allowed but for TCP 22 from 10.0.0.0/8, into allow-only Gcore: lowering takes
    // more rules than a budget of 1.
    let text = "sgconv: 1\ngroups:\n- evaluation: first_match\n  default_inbound: allow\n  default_outbound: deny\n  stateful: true\n  rules:\n  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], remote: {cidr: 10.0.0.0/8}, action: deny}\n";
    let (options, seen) = recording(Options::default().with_rule_budget(Some(1)));
    let converted =
        convert(text, ProviderId::Canonical, ProviderId::GcoreV2, &options).expect("reads");
    assert!(
        matches!(converted.outcome, Err(sgconv::Refusal::RuleBudget { .. })),
        "{:?}",
        converted.outcome
    );
    assert_eq!(
        events(&seen),
        [
            Event::Reading { bytes: text.len() },
            Event::Read {
                groups: 1,
                rules: 1
            },
        ]
    );
}

/// A document built in code is not read: its events start at `Read`.
#[test]
fn a_document_built_in_code_starts_at_read() {
    let read =
        sgconv::import(TWO_GROUPS, ProviderId::Canonical, &Options::default()).expect("imports");
    let (options, seen) = recording(Options::default());
    let _ =
        sgconv::convert_document(&read.document, ProviderId::Scaleway, &options).expect("converts");
    let seen = events(&seen);
    assert_eq!(
        seen.first(),
        Some(&Event::Read {
            groups: 2,
            rules: 5
        })
    );
    assert_eq!(seen.last(), Some(&Event::Verified { done: 2, groups: 2 }));
}

#[test]
fn hooks_are_equal_only_to_themselves() {
    let a = Progress::new(|_| {});
    let b = Progress::new(|_| {});
    assert_eq!(a, a.clone());
    assert_ne!(a, b);
    assert_ne!(
        Options::default().with_progress(Some(a)),
        Options::default(),
        "a hook is part of the options"
    );
}
