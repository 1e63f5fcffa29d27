//! The semantic difference of two documents, from any providers: which packets each allows
//! that the other does not, group by group.
//!
//! Groups are paired by id, then by name, then by position among those left, and each pair
//! says how it was paired; a group with no partner is compared with a group that allows
//! nothing.

use serde::{Deserialize, Serialize};

use crate::convert::{Options, import};
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Document, SecurityGroup};
use crate::report::{Entry, Kind};
use crate::semantics::{self, Verdict};

/// How two groups were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Pairing {
    /// Both have the same id.
    Id,
    /// Both have the same name (and no id matched).
    Name,
    /// Neither id nor name matched: paired by position among the groups left.
    Position,
    /// Only one side has the group.
    Unpaired,
}

/// Which side allows packets the other does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiffSide {
    /// Only the first document allows them.
    OnlyInA,
    /// Only the second document allows them.
    OnlyInB,
}

/// Packets one side allows and the other does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DiffBox {
    /// Which side allows them.
    pub side: DiffSide,
    /// The packets, readable (`ingress tcp 22 from 0.0.0.0/0`).
    pub packets: String,
}

/// Two paired groups and how they differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupPair {
    /// The group's index in the first document, if it has one.
    pub a: Option<usize>,
    /// The group's index in the second document, if it has one.
    pub b: Option<usize>,
    /// How they were paired.
    pub by: Pairing,
    /// The group's id or name, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Set when one is stateful and the other not (a stateful group also allows the replies
    /// of every flow it allows).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stateful_differs: bool,
    /// The packets only one side allows.
    pub differences: Vec<DiffBox>,
}

/// The semantic difference of two documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Diff {
    /// Both allow exactly the same packets, group by group, and nothing went unread.
    pub equal: bool,
    /// Every group, paired.
    pub pairs: Vec<GroupPair>,
    /// Parts of either input that were not read: while there are any, `equal` is false,
    /// since what the documents allow is not known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Entry>,
}

impl Diff {
    /// Whether nothing differs in packets or statefulness (unread parts aside).
    pub fn same_packets(&self) -> bool {
        self.pairs
            .iter()
            .all(|p| p.differences.is_empty() && !p.stateful_differs)
    }
}

/// Compare `a` (a document of `from_a`) with `b` (of `from_b`); both are read with
/// `options.import` and `options.input_format`.
///
/// ```
/// use sgconv::{diff, Options, ProviderId};
/// let a = r#"[{"direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}]"#;
/// let b = r#"{"security_group_rule": {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
///             "multiport": "22", "action": "allow", "priority": 1}}"#;
/// let d = diff(a, ProviderId::GcoreV2, b, ProviderId::Huawei, &Options::default()).unwrap();
/// assert!(d.equal); // Gcore's rule without ethertype is IPv4, like Huawei's
/// assert_eq!(d.pairs[0].by, sgconv::Pairing::Position);
/// ```
pub fn diff(
    a: &str,
    from_a: ProviderId,
    b: &str,
    from_b: ProviderId,
    options: &Options,
) -> Result<Diff, Error> {
    let a = import(a, from_a, options)?;
    let b = import(b, from_b, options)?;
    let mut unread: Vec<Entry> = Vec::new();
    for report in [&a.report, &b.report] {
        unread.extend(
            report
                .entries
                .iter()
                .filter(|e| e.kind == Kind::Unread)
                .cloned(),
        );
    }
    let mut d = diff_documents(&a.document, &b.document);
    d.equal = d.equal && unread.is_empty();
    d.unread = unread;
    Ok(d)
}

/// [`diff()`] on documents already read (with [`crate::import`]) or built in code.
///
/// ```
/// use sgconv::model::*;
/// use sgconv::{diff_documents, DiffSide};
///
/// let mut ssh = RuleSpec::new(Direction::Ingress, Family::V4);
/// ssh.protocol = Protocol::TCP;
/// ssh.ports = PortSet::from_ranges([PortRange::single(22).unwrap()]);
/// let mut web = ssh.clone();
/// web.ports = PortSet::from_ranges([PortRange::single(443).unwrap()]);
///
/// let a = Document::new(vec![SecurityGroup::allow_only(vec![Rule::new(ssh.clone()).unwrap()]).unwrap()]);
/// let b = Document::new(vec![SecurityGroup::allow_only(vec![Rule::new(ssh).unwrap(), Rule::new(web).unwrap()]).unwrap()]);
/// let d = diff_documents(&a, &b);
/// assert!(!d.equal);
/// let only_b = &d.pairs[0].differences[0];
/// assert_eq!(only_b.side, DiffSide::OnlyInB);
/// assert_eq!(only_b.packets, "ingress tcp 443 from 0.0.0.0/0");
/// ```
pub fn diff_documents(a: &Document, b: &Document) -> Diff {
    let empty = SecurityGroup::empty();
    let pairs: Vec<GroupPair> = pair(a, b)
        .into_iter()
        .map(|(ia, ib, by)| {
            let ga = ia.and_then(|i| a.groups.get(i));
            let gb = ib.and_then(|i| b.groups.get(i));
            let label = ga
                .or(gb)
                .and_then(|g| g.id.clone().or_else(|| g.name.clone()));
            let differences = semantics::differences(0, ga.unwrap_or(&empty), gb.unwrap_or(&empty))
                .into_iter()
                .map(|d| DiffBox {
                    side: if d.change == Verdict::Widened {
                        DiffSide::OnlyInB
                    } else {
                        DiffSide::OnlyInA
                    },
                    packets: d.packets,
                })
                .collect();
            let stateful_differs = match (ga, gb) {
                (Some(x), Some(y)) => x.stateful != y.stateful,
                _ => false,
            };
            GroupPair {
                a: ia,
                b: ib,
                by,
                label,
                stateful_differs,
                differences,
            }
        })
        .collect();
    let mut d = Diff {
        equal: false,
        pairs,
        unread: Vec::new(),
    };
    d.equal = d.same_packets();
    d
}

type Pair = (Option<usize>, Option<usize>, Pairing);

/// Pair the groups of `a` and `b`: by id, then by name, then by position among the rest.
fn pair(a: &Document, b: &Document) -> Vec<Pair> {
    let mut left_a: Vec<usize> = (0..a.groups.len()).collect();
    let mut left_b: Vec<usize> = (0..b.groups.len()).collect();
    let mut out: Vec<Pair> = Vec::new();
    type Key = fn(&SecurityGroup) -> Option<&String>;
    let keys: [(Key, Pairing); 2] = [
        (|g| g.id.as_ref(), Pairing::Id),
        (|g| g.name.as_ref(), Pairing::Name),
    ];
    for (key, by) in keys {
        // The groups of `b` left, by key, first index first: each group of `a` in turn takes
        // the first one with its key (a scan of `left_b` for each would be quadratic).
        let mut by_key: std::collections::HashMap<&String, std::collections::VecDeque<usize>> =
            std::collections::HashMap::new();
        for &ib in &left_b {
            if let Some(k) = b.groups.get(ib).and_then(key) {
                by_key.entry(k).or_default().push_back(ib);
            }
        }
        let mut taken: std::collections::HashSet<usize> = std::collections::HashSet::new();
        left_a.retain(|&ia| {
            let found = a
                .groups
                .get(ia)
                .and_then(key)
                .and_then(|ka| by_key.get_mut(ka))
                .and_then(std::collections::VecDeque::pop_front);
            match found {
                Some(ib) => {
                    taken.insert(ib);
                    out.push((Some(ia), Some(ib), by));
                    false
                }
                None => true,
            }
        });
        left_b.retain(|ib| !taken.contains(ib));
    }
    let n = left_a.len().max(left_b.len());
    for k in 0..n {
        let (ia, ib) = (left_a.get(k).copied(), left_b.get(k).copied());
        let by = if ia.is_some() && ib.is_some() {
            Pairing::Position
        } else {
            Pairing::Unpaired
        };
        out.push((ia, ib, by));
    }
    out.sort_by_key(|(ia, ib, _)| (ia.is_none(), *ia, *ib));
    out
}
