//! The loss report: what a conversion could not carry over, as a value.
//!
//! Every conversion returns a [`Report`] beside its output or its refusal. Each [`Entry`]
//! names the group and input rule, the field, the [`Kind`] of loss and a sentence. The
//! [`Verdict`] sums up the semantic effect: `widened` beats `unverified` beats `narrowed`
//! beats `exact`.
//!
//! ```
//! use sgconv::{convert, Options, ProviderId, report::Kind};
//! let huawei = r#"{"security_group_rule": {"direction": "ingress", "ethertype": "IPv4",
//!     "protocol": "tcp", "multiport": "22", "action": "allow", "priority": 1,
//!     "remote_ip_prefix": "10.0.0.0/8", "description": "ssh"}}"#;
//! let out = convert(huawei, ProviderId::Huawei, ProviderId::Scaleway, &Options::default()).unwrap();
//! // Scaleway rules have no description: a metadata entry says so.
//! let lost: Vec<_> = out.report.entries.iter().filter(|e| e.kind == Kind::Metadata).collect();
//! assert!(lost.iter().any(|e| e.field.to_string() == "description"));
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::ProviderId;
use crate::model::Origin;
pub use crate::semantics::Verdict;

mod field;
pub use field::{Field, Kind};

/// One thing a conversion changed or could not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Entry {
    /// Index of the group in the input document.
    pub group: usize,
    /// The input rule (index in its group, provider id); `None` for group-level entries and
    /// for entries about several rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Origin>,
    /// The input rules of an entry that says the same of several rules of the group (one
    /// entry rather than one per rule), each with its own value where the values differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleValue>,
    /// The field.
    pub field: Field,
    /// What kind of change.
    pub kind: Kind,
    /// Where in the input document, by JSON path (given for unread parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The source value, as written in the input, where one helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A sentence for people (most are fixed sentences, shared rather than copied per
    /// entry).
    pub message: Cow<'static, str>,
    /// Whether the values of `rules` went with each rule (not part of the entry's value).
    #[serde(skip)]
    spread: Spread,
}

/// Whether an entry's rules carry their own values: bookkeeping, equal whatever it holds.
#[derive(Debug, Clone, Copy, Default)]
struct Spread(bool);

impl PartialEq for Spread {
    fn eq(&self, _: &Spread) -> bool {
        true
    }
}

impl Eq for Spread {}

/// One of the rules an [`Entry`] is about, with its value where the rules' values differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RuleValue {
    /// The rule.
    #[serde(flatten)]
    pub origin: Origin,
    /// Its source value, when the entry's rules have different ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The version of the report's JSON form, written as `sgconv_report`.
pub const REPORT_VERSION: u32 = 1;

/// Everything a conversion reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Report {
    /// The report format's version ([`REPORT_VERSION`]).
    #[serde(rename = "sgconv_report")]
    pub version: u32,
    /// The source provider.
    pub from: ProviderId,
    /// The target provider.
    pub to: ProviderId,
    /// Exact, narrowed, unverified or widened.
    pub verdict: Verdict,
    /// Per-kind counts of `entries`.
    pub counts: BTreeMap<Kind, usize>,
    /// The entries, in the order they arose (import, lowering, export).
    pub entries: Vec<Entry>,
    /// The packets the source and the converted result treat differently, found by
    /// re-importing the result and comparing packet sets; empty when they are equal or the
    /// comparison did not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<crate::semantics::Difference>,
    /// Set when there are more differing boxes than `differences` lists; the verdict still
    /// counts them all.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub differences_truncated: bool,
    /// Where the entries about rules are, by what they say, to merge repeats as they come.
    #[serde(skip)]
    said: Said,
}

/// The positions of entries about rules by a hash of (group, field, kind, message), and the
/// last few looked up: not part of the report's value (equal reports may have been built
/// differently).
#[derive(Debug, Clone)]
struct Said {
    at: std::collections::HashMap<u64, Vec<usize>, foldhash::fast::FixedState>,
    /// Entries about rules found or made last (oldest overwritten first): a rule's entries
    /// come in the order the rule before it had them, so the next rule's are usually here
    /// and need no hashing.
    recent: [usize; 8],
    /// Where in `recent` the next one goes.
    next: usize,
}

impl Default for Said {
    fn default() -> Said {
        Said {
            at: std::collections::HashMap::default(),
            recent: [usize::MAX; 8],
            next: 0,
        }
    }
}

impl Said {
    /// Keep entry `i` among the recent ones.
    fn remember(&mut self, i: usize) {
        if let Some(slot) = self.recent.get_mut(self.next) {
            *slot = i;
        }
        self.next = self
            .next
            .saturating_add(1)
            .checked_rem(self.recent.len())
            .unwrap_or(0);
    }
}

impl PartialEq for Said {
    fn eq(&self, _: &Said) -> bool {
        true
    }
}

impl Eq for Said {}

/// What an entry about a rule says, but of which rule: the entries of a group that say the
/// same of several rules are one.
struct Saying<'a> {
    group: usize,
    field: &'a Field,
    kind: Kind,
    message: &'a Cow<'static, str>,
}

impl Saying<'_> {
    /// Whether `entry` says this (of another rule).
    fn said_by(&self, entry: &Entry) -> bool {
        entry.group == self.group
            && entry.kind == self.kind
            && entry.field == *self.field
            && entry.message == *self.message
            && entry.path.is_none()
    }
}

impl Entry {
    /// Add `rule` (with its `value`) to the rules this entry is about: the value stays on the
    /// entry while every rule has the same one, else it goes with each rule. `more`: how many
    /// rules will be added after this one, known to the caller (room for all is then
    /// reserved at once rather than grown by doubling); 0 when not known.
    fn add_rule(&mut self, rule: Origin, value: Option<Cow<'_, str>>, more: usize) {
        let first = self.rule.take();
        if more > 0 {
            let coming = usize::from(first.is_some())
                .saturating_add(1)
                .saturating_add(more);
            let room = self.rules.capacity().saturating_sub(self.rules.len());
            if room < coming {
                self.rules.reserve_exact(coming);
            }
        }
        if let Some(first) = first {
            self.rules.push(RuleValue {
                origin: first,
                value: None,
            });
        }
        if !self.spread.0 && self.value.as_deref() == value.as_deref() {
            self.rules.push(RuleValue {
                origin: rule,
                value: None,
            });
            return;
        }
        if !self.spread.0 {
            self.spread.0 = true;
            let common = self.value.take();
            for r in &mut self.rules {
                r.value.clone_from(&common);
            }
        }
        self.rules.push(RuleValue {
            origin: rule,
            value: value.map(Cow::into_owned),
        });
    }
}

impl Report {
    /// An empty report: nothing lost, verdict exact.
    pub fn new(from: ProviderId, to: ProviderId) -> Report {
        Report {
            version: REPORT_VERSION,
            from,
            to,
            verdict: Verdict::Exact,
            counts: BTreeMap::new(),
            entries: Vec::new(),
            differences: Vec::new(),
            differences_truncated: false,
            said: Said::default(),
        }
    }

    /// Record that the input's key at `path` was not read (group `group`).
    pub(crate) fn unread(&mut self, group: usize, path: String) {
        let message = format!(
            "`{path}` is not a field sgconv knows for this document, so it was not read; if it \
             was meant to restrict a rule, the rule means more than intended"
        );
        self.unknown(group, path, message);
    }

    /// Record that the input's value at `path` is not known (a Terraform plan's unknown
    /// value), in group `group`: what it restricts is not known, so the verdict is
    /// `unverified`.
    pub(crate) fn unknown(&mut self, group: usize, path: String, message: String) {
        self.push(Entry {
            group,
            rule: None,
            rules: Vec::new(),
            field: Field::Wire(Cow::Owned(
                path.rsplit(['.', '['])
                    .next()
                    .unwrap_or(&path)
                    .trim_end_matches(']')
                    .to_owned(),
            )),
            kind: Kind::Unread,
            message: Cow::Owned(message),
            path: Some(path),
            value: None,
            spread: Spread::default(),
        });
    }

    /// Record an entry; a narrowing or widening entry moves the verdict.
    pub(crate) fn push(&mut self, entry: Entry) {
        self.raise(entry.kind);
        // The same said of another rule of the group: one entry listing the rules.
        if entry.rule.is_some() && entry.path.is_none() {
            let saying = Saying {
                group: entry.group,
                field: &entry.field,
                kind: entry.kind,
                message: &entry.message,
            };
            match self.find(&saying) {
                Ok(i) => {
                    if let Some(e) = self.entries.get_mut(i) {
                        let Entry { rule, value, .. } = entry;
                        e.add_rule(rule.unwrap_or_default(), value.map(Cow::Owned), 0);
                    }
                    return;
                }
                Err(key) => self.file(key),
            }
        }
        self.add(entry);
    }

    /// Record what an importer noted of rule `origin` of group `group` (a [`Change`] in
    /// parts), its value borrowed: copied only where the report keeps it, since most rules
    /// share theirs. `more`: how many rules the importer will say the same of after this
    /// one, room for which is reserved once.
    // The parts of a change, borrowed; the sentence as a `Cow`, since a fixed one is known
    // (and copied) by its address.
    #[allow(clippy::too_many_arguments, clippy::ptr_arg)]
    pub(crate) fn rule_change(
        &mut self,
        group: usize,
        origin: &Origin,
        field: &Field,
        kind: Kind,
        value: Option<&str>,
        message: &Cow<'static, str>,
        more: usize,
    ) {
        self.raise(kind);
        let saying = Saying {
            group,
            field,
            kind,
            message,
        };
        match self.find(&saying) {
            Ok(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.add_rule(origin.clone(), value.map(Cow::Borrowed), more);
                }
            }
            Err(key) => {
                self.file(key);
                self.add(Entry {
                    group,
                    rule: Some(origin.clone()),
                    rules: Vec::new(),
                    field: field.clone(),
                    kind,
                    path: None,
                    value: value.map(str::to_owned),
                    message: message.clone(),
                    spread: Spread::default(),
                });
            }
        }
    }

    /// Move the verdict for an entry of `kind`.
    fn raise(&mut self, kind: Kind) {
        let v = match kind {
            Kind::Narrowed => Verdict::Narrowed,
            Kind::Widened => Verdict::Widened,
            Kind::Unread => Verdict::Unverified,
            _ => Verdict::Exact,
        };
        self.verdict = self.verdict.max(v);
    }

    /// The entry that says `saying` (of another rule), or the key to file a new one under.
    fn find(&mut self, saying: &Saying<'_>) -> Result<usize, u64> {
        use std::hash::BuildHasher;
        let said = |i: usize| self.entries.get(i).is_some_and(|e| saying.said_by(e));
        // Newest first: a rule's entries alternate among the last few made or found.
        let (newer, older) = self
            .said
            .recent
            .split_at(self.said.next.min(self.said.recent.len()));
        if let Some(i) = newer
            .iter()
            .rev()
            .chain(older.iter().rev())
            .copied()
            .find(|&i| said(i))
        {
            return Ok(i);
        }
        // A fixed sentence is known by its address (cheap); a composed one by its text.
        let message = match saying.message {
            Cow::Borrowed(text) => (text.as_ptr() as usize, text.len(), ""),
            Cow::Owned(text) => (0, 0, text.as_str()),
        };
        let key =
            self.said
                .at
                .hasher()
                .hash_one((saying.group, saying.field, saying.kind, message));
        let found = self
            .said
            .at
            .get(&key)
            .and_then(|at| at.iter().copied().find(|&i| said(i)));
        match found {
            Some(i) => {
                self.said.remember(i);
                Ok(i)
            }
            None => Err(key),
        }
    }

    /// File the entry about to be added under `key`, for [`Report::find`].
    fn file(&mut self, key: u64) {
        self.said.remember(self.entries.len());
        self.said
            .at
            .entry(key)
            .or_default()
            .push(self.entries.len());
    }

    /// Add a new entry.
    fn add(&mut self, entry: Entry) {
        let count = self.counts.entry(entry.kind).or_insert(0);
        *count = count.saturating_add(1);
        self.entries.push(entry);
    }

    /// Start an entry about one rule of one group.
    pub(crate) fn rule(&mut self, group: usize, origin: &Origin) -> EntryBuilder<'_> {
        EntryBuilder {
            report: self,
            group,
            rule: Some(origin.clone()),
        }
    }

    /// Start an entry about a whole group.
    pub(crate) fn group(&mut self, group: usize) -> EntryBuilder<'_> {
        EntryBuilder {
            report: self,
            group,
            rule: None,
        }
    }

    /// How many entries of a kind.
    pub fn count(&self, kind: Kind) -> usize {
        self.counts.get(&kind).copied().unwrap_or(0)
    }
}

/// Fills in the last parts of an [`Entry`]; see [`Report::rule`] and [`Report::group`].
#[must_use = "call .push(...) to record the entry"]
pub(crate) struct EntryBuilder<'a> {
    report: &'a mut Report,
    group: usize,
    rule: Option<Origin>,
}

/// An entry not yet placed: what an importer learns about one rule while reading it, before
/// it knows the rule's group and index. Place it with [`EntryBuilder::push_change`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// The field.
    pub(crate) field: Field,
    /// What kind of change.
    pub(crate) kind: Kind,
    /// The source value.
    pub(crate) value: Option<String>,
    /// A sentence for people.
    pub(crate) message: Cow<'static, str>,
}

impl Change {
    /// A change.
    pub(crate) fn new(
        field: Field,
        kind: Kind,
        value: Option<String>,
        message: impl Into<Cow<'static, str>>,
    ) -> Change {
        Change {
            field,
            kind,
            value,
            message: message.into(),
        }
    }
}

impl EntryBuilder<'_> {
    /// Record a [`Change`].
    pub(crate) fn push_change(self, change: Change) {
        self.push(change.field, change.kind, change.value, change.message);
    }

    /// Record the entry.
    pub(crate) fn push(
        self,
        field: Field,
        kind: Kind,
        value: Option<String>,
        message: impl Into<Cow<'static, str>>,
    ) {
        self.report.push(Entry {
            group: self.group,
            rule: self.rule,
            rules: Vec::new(),
            field,
            kind,
            path: None,
            value,
            message: message.into(),
            spread: Spread::default(),
        });
    }
}

/// Why a conversion was refused: the reason travels beside the [`Report`], which says what
/// would have changed. The verdict of a refused conversion is the one that refused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "cause", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// The result would allow packets the source denied (`Options::allow_widen` accepts it).
    #[error("the result would allow traffic the source denied (Options::allow_widen accepts it)")]
    Widened,
    /// The result would deny packets the source allowed, and `Options::strict` was set.
    #[error("the result would deny traffic the source allowed (Options::strict refuses it)")]
    Narrowed,
    /// Part of the input was not read, so nothing about the result can be proven
    /// (`Options::allow_unread` accepts it).
    #[error(
        "{count} part(s) of the input were not read, so the result cannot be verified (Options::allow_unread accepts it)"
    )]
    Unverified {
        /// How many unread parts.
        count: usize,
    },
    /// Lowering group `group` into allow-only rules needs more rules than the budget.
    #[error(
        "group {group}: lowering its deny rules / default policy into allow-only rules needs more than {budget} rules \
         (at least {pieces} allowed boxes); raise Options::rule_budget or simplify the group"
    )]
    RuleBudget {
        /// The group.
        group: usize,
        /// The budget (Options::rule_budget, or the target's rule quota).
        budget: usize,
        /// A lower bound of the rules needed.
        pieces: usize,
    },
    /// A target whose priorities are unique per direction (Azure) has fewer priority levels
    /// than group `group` has rules in one direction: no document of the target can hold it.
    #[error(
        "group {group}: {rules} {direction} rules need as many unique priorities and the target has {levels}; \
         split the group"
    )]
    Priorities {
        /// The group.
        group: usize,
        /// `ingress` or `egress`.
        direction: Cow<'static, str>,
        /// Its rules in that direction, after fitting.
        rules: usize,
        /// The target's priority levels.
        levels: usize,
    },
    /// A result that must allow exactly what the input allows (`sgconv minimize`) would
    /// not: its verdict is `verdict` (an input read two ways, or not read in full, cannot
    /// be shown exact either).
    #[error("the result must allow exactly what the input allows, and its verdict is {verdict}")]
    NotExact {
        /// The verdict.
        verdict: Verdict,
    },
}

impl Refusal {
    /// The verdict that goes with the refusal.
    pub fn verdict(&self) -> Verdict {
        match self {
            Refusal::Widened => Verdict::Widened,
            Refusal::Narrowed | Refusal::RuleBudget { .. } | Refusal::Priorities { .. } => {
                Verdict::Narrowed
            }
            Refusal::Unverified { .. } => Verdict::Unverified,
            Refusal::NotExact { verdict } => *verdict,
        }
    }
}
