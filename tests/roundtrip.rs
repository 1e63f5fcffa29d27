//! Round trips: canonical is exact; Gcore v2 -> v1 -> v2 is stable; generated groups survive
//! canonical and Gcore.

mod common;

use proptest::prelude::*;
use sgconv::model::{Document, SecurityGroup};
use sgconv::report::{Kind, Verdict};
use sgconv::{Format, Options, ProviderId};

fn convert_text(text: &str, from: ProviderId, to: ProviderId) -> String {
    let c = common::convert(text, from, to, &Options::default())
        .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
    c.output()
        .expect("output")
        .render(Format::Json)
        .expect("renders")
}

#[test]
fn gcore_v2_to_v1_to_v2_is_stable() {
    for path in common::fixtures(ProviderId::GcoreV2) {
        let text = std::fs::read_to_string(&path).expect("fixture");
        let direct = convert_text(&text, ProviderId::GcoreV2, ProviderId::GcoreV2);
        let v1 = convert_text(&text, ProviderId::GcoreV2, ProviderId::GcoreV1);
        let back = convert_text(&v1, ProviderId::GcoreV1, ProviderId::GcoreV2);
        assert_eq!(back, direct, "{}", path.display());
        let again = convert_text(&back, ProviderId::GcoreV2, ProviderId::GcoreV2);
        assert_eq!(again, back, "{}: v2 -> v2 is a fixed point", path.display());
    }
}

#[test]
fn gcore_v1_to_v2_to_v1_is_stable() {
    for path in common::fixtures(ProviderId::GcoreV1) {
        let text = std::fs::read_to_string(&path).expect("fixture");
        let direct = convert_text(&text, ProviderId::GcoreV1, ProviderId::GcoreV1);
        let v2 = convert_text(&text, ProviderId::GcoreV1, ProviderId::GcoreV2);
        let back = convert_text(&v2, ProviderId::GcoreV2, ProviderId::GcoreV1);
        assert_eq!(back, direct, "{}", path.display());
    }
}

/// The corpus group read as v1 and written as v2: same packets, only metadata reported.
#[test]
fn gcore_v1_group_to_v2_loses_only_metadata() {
    let text = std::fs::read_to_string(
        common::fixtures(ProviderId::GcoreV1)
            .into_iter()
            .find(|p| common::stem(p) == "v1_get_security_group_mixed")
            .expect("fixture"),
    )
    .expect("read");
    let c = common::convert(
        &text,
        ProviderId::GcoreV1,
        ProviderId::GcoreV2,
        &Options::default(),
    )
    .expect("converts");
    assert_eq!(c.report.verdict, Verdict::Exact);
    assert!(
        c.report.entries.iter().all(|e| e.kind == Kind::Metadata),
        "{:#?}",
        c.report.entries
    );
    let source = sgconv::import(&text, ProviderId::GcoreV1, &sgconv::Options::default())
        .map(|i| i.document)
        .expect("imports");
    let target = sgconv::import(
        &c.output()
            .expect("output")
            .render(Format::Json)
            .expect("renders"),
        ProviderId::GcoreV2,
        &sgconv::Options::default(),
    )
    .map(|i| i.document)
    .expect("re-imports");
    assert_eq!(matches(&source), matches(&target));
}

/// The rules of a document without ids, origins, descriptions or order (Gcore merges rules
/// that differ only in description, reporting it).
fn matches(doc: &Document) -> Vec<String> {
    let mut v: Vec<String> = doc
        .groups
        .iter()
        .flat_map(|g| g.rules.iter())
        .map(|r| {
            let s = r.spec();
            format!(
                "{:?} {:?} {} {} {:?} {:?} {:?}",
                s.direction, s.family, s.protocol, s.ports, s.icmp, s.remote, s.action
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn every_fixture_round_trips_through_canonical_exactly() {
    for &from in ProviderId::ALL {
        for path in common::fixtures(from) {
            let text = std::fs::read_to_string(&path).expect("fixture");
            let c1 = convert_text(&text, from, ProviderId::Canonical);
            let c = common::convert(
                &c1,
                ProviderId::Canonical,
                ProviderId::Canonical,
                &Options::default(),
            )
            .expect("canonical reads its own output");
            assert!(
                c.report.entries.is_empty(),
                "{}: {:?}",
                path.display(),
                c.report.entries
            );
            assert_eq!(
                c.output()
                    .expect("output")
                    .render(Format::Json)
                    .expect("renders"),
                c1,
                "{}",
                path.display()
            );
        }
    }
}

fn canonical_text(groups: &[SecurityGroup], format: Format) -> String {
    let value = serde_json::json!({ "sgconv": 1, "groups": groups });
    common::encode(&value, format)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any valid canonical document, JSON or YAML, reads back to the same model and writes
    /// back to the same text.
    #[test]
    fn canonical_round_trips_exactly(groups in proptest::collection::vec(common::strategies::group(common::strategies::Limits { ordered: true, exotic: true }, 8), 1..3), yaml in any::<bool>()) {
        let format = if yaml { Format::Yaml } else { Format::Json };
        let text = canonical_text(&groups, format);
        let doc = sgconv::import(&text, ProviderId::Canonical, &sgconv::Options::default()).map(|i| i.document).expect("imports");
        prop_assert_eq!(&doc.groups, &groups);
        let c = common::convert(&text, ProviderId::Canonical, ProviderId::Canonical, &Options::default()).expect("converts");
        prop_assert!(c.report.entries.is_empty());
        prop_assert_eq!(c.output().expect("output").render(format).expect("renders"), text);
    }

    /// An allow-only group that Gcore can hold comes back from Gcore with the same rules,
    /// and the conversion reports no change of traffic.
    #[test]
    fn gcore_holds_what_it_can_express(group in common::strategies::group(common::strategies::Limits { ordered: false, exotic: false }, 12), v2 in any::<bool>()) {
        let to = if v2 { ProviderId::GcoreV2 } else { ProviderId::GcoreV1 };
        let text = canonical_text(std::slice::from_ref(&group), Format::Json);
        let c = common::convert(&text, ProviderId::Canonical, to, &Options::default()).expect("converts");
        prop_assert_eq!(c.report.verdict, Verdict::Exact);
        prop_assert!(c.report.entries.iter().all(|e| matches!(e.kind, Kind::Metadata | Kind::Note | Kind::Rewritten)), "{:?}", c.report.entries);
        let back = sgconv::import(&c.output().expect("output").render(Format::Json).expect("renders"), to, &sgconv::Options::default()).map(|i| i.document).expect("re-imports");
        prop_assert_eq!(matches(&back), matches(&Document { groups: vec![group] }));
    }
}

/// A multi-group document written in any provider's shape (`{"groups": [...]}`) reads back
/// with all its groups (found by fuzzing: it used to be write-only).
#[test]
fn multi_group_documents_read_back_for_every_provider() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/canonical/two_groups.yaml"
    ))
    .expect("fixture");
    let options = Options::default().with_allow_widen(true);
    for &to in ProviderId::ALL {
        let out = common::convert(&text, ProviderId::Canonical, to, &options)
            .unwrap_or_else(|e| panic!("{to}: {e}"));
        for format in [Format::Json, Format::Yaml] {
            let written = out
                .output()
                .expect("output")
                .render(format)
                .expect("renders");
            let doc = sgconv::import(&written, to, &sgconv::Options::default())
                .map(|i| i.document)
                .unwrap_or_else(|e| panic!("{to} {format:?}: {e}\n{written}"));
            assert_eq!(doc.groups.len(), 2, "{to} {format:?}");
        }
    }
}
