//! Tests of chunked item lists (`items.rs`).
use proptest::prelude::*;

use super::*;
use crate::id::ProviderId;
use crate::model::{Direction, Family, RuleSpec};
use crate::providers::read;

impl Item for u64 {}

#[test]
fn reads_and_gives_back_every_item_in_order() {
    for n in [0_u64, 1, 7, 8, 9, 100, 20_000] {
        let text = serde_json::to_string(&(0..n).collect::<Vec<u64>>()).unwrap();
        let items: Items<u64> = serde_json::from_str(&text).unwrap();
        assert_eq!(items.len(), usize::try_from(n).unwrap());
        assert!(items.iter().copied().eq(0..n));
        let iter = items.into_iter();
        assert_eq!(iter.len(), usize::try_from(n).unwrap());
        assert!(iter.eq(0..n));
    }
}

#[test]
fn chunks_grow_to_their_most_and_no_further() {
    let items: Items<u64> = (0..100_000).collect();
    let chunks = &items.items.chunks;
    let most = CHUNK_BYTES / std::mem::size_of::<u64>();
    assert_eq!(chunks.first().map(Vec::capacity), Some(FIRST));
    assert!(chunks.iter().all(|c| c.capacity() <= most));
    assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 100_000);
}

#[test]
fn a_non_sequence_is_refused_as_a_vec_would_be() {
    let items = serde_json::from_str::<Items<u64>>("{}").err().unwrap();
    let vec = serde_json::from_str::<Vec<u64>>("{}").unwrap_err();
    assert_eq!(items.to_string(), vec.to_string());
}

/// A rule of a list, in group `group`, with its changes.
struct Listed {
    read: ReadRule,
    group: Option<String>,
}

impl Item for Listed {
    fn changes(&mut self) -> Option<&mut Vec<Change>> {
        Some(&mut self.read.changes)
    }
}

const FIXED: [&str; 2] = ["one fixed sentence", "another"];

/// A change from a few of each part, so that rules share some: (field, kind, fixed or
/// composed sentence, value).
fn change((field, kind, message, value): (u8, bool, u8, Option<u8>)) -> Change {
    let field = match field {
        0 => Field::Timestamps,
        1 => Field::Wire("project_id".into()),
        _ => Field::Wire(String::from("project_id").into()),
    };
    let kind = if kind {
        Kind::Metadata
    } else {
        Kind::Rewritten
    };
    let message: Cow<'static, str> = match message {
        0 | 1 => Cow::Borrowed(FIXED[usize::from(message)]),
        n => Cow::Owned(format!("composed {}", n % 4)),
    };
    Change::new(field, kind, value.map(|v| v.to_string()), message)
}

fn listed(group: u8, changes: Vec<Change>) -> Listed {
    let spec = RuleSpec {
        origin: Origin::with_id(Some(format!("r{group}").into())),
        ..RuleSpec::new(Direction::Ingress, Family::V4)
    };
    Listed {
        read: ReadRule {
            rule: Rule::new(spec).unwrap(),
            changes,
        },
        group: (group > 0).then(|| format!("g{group}")),
    }
}

type Drawn = Vec<(u8, Vec<(u8, bool, u8, Option<u8>)>)>;

fn drawn() -> impl Strategy<Value = Drawn> {
    let one = (
        0_u8..3,
        any::<bool>(),
        0_u8..6,
        proptest::option::of(0_u8..3),
    );
    proptest::collection::vec((0_u8..3, proptest::collection::vec(one, 0..4)), 0..40)
}

proptest! {
    /// Noted once for the list and placed with its rules, the changes make the report
    /// that placing each rule's own changes makes: the same entries, in the same order,
    /// with the same values, for a list of one group or of several.
    #[test]
    fn noted_changes_place_as_each_rules_own(drawn in drawn(), groups in any::<bool>()) {
        let group = |g: u8| if groups { g } else { 1 };
        let noted: Items<Listed> = drawn
            .iter()
            .map(|(g, cs)| listed(group(*g), cs.iter().copied().map(change).collect()))
            .collect();
        let own: Items<Listed> = Items::from(
            drawn
                .iter()
                .map(|(g, cs)| listed(group(*g), cs.iter().copied().map(change).collect()))
                .collect::<Vec<_>>(),
        );
        let place = |items: Items<Listed>| {
            // Any provider: the report's ends do not change what is placed.
            let id = *ProviderId::ALL.first().expect("a provider");
            let mut report = Report::new(id, id);
            let groups = read::flat_groups(
                items,
                |l| l.group.as_deref(),
                |items, gi, report| items.place(gi, report, |l| l.read),
                &mut report,
            );
            (groups, report)
        };
        let (noted, own) = (place(noted), place(own));
        prop_assert_eq!(&noted.0, &own.0);
        prop_assert_eq!(&noted.1, &own.1);
        prop_assert_eq!(
            serde_json::to_string(&noted.1).unwrap(),
            serde_json::to_string(&own.1).unwrap()
        );
    }
}
