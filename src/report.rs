//! The loss report: what a conversion could not carry over, as a value (DESIGN.md §4).
//!
//! Every conversion returns a [`Report`] beside its output (typst's `Warned<T>`). Each
//! [`Entry`] names the group and input rule, the field, the [`Kind`] of loss and a sentence.
//! The [`Verdict`] sums up the semantic effect: `widened` beats `narrowed` beats `exact`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::model::Origin;
use crate::providers::ProviderId;

/// What kind of change an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The target denies packets the source allowed (connectivity lost).
    Narrowed,
    /// The target allows packets the source denied (a hole). Refused without `--allow-widen`.
    Widened,
    /// Ids, timestamps, descriptions, names, tags: no effect on traffic.
    Metadata,
    /// A change of shape with the same packets (a rule split in two, a CIDR normalised).
    Rewritten,
    /// Something to know that the group's packet set does not show (platform rules,
    /// ambiguous names).
    Note,
}

/// Which field an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// A rule or group id.
    Id,
    /// `created_at` / `updated_at`.
    Timestamps,
    /// A revision counter.
    Revision,
    /// Name of the group.
    Name,
    /// Description of a rule or group.
    Description,
    /// Group tags.
    Tags,
    /// Address family.
    Family,
    /// IP protocol.
    Protocol,
    /// Destination ports.
    Ports,
    /// ICMP type/code.
    Icmp,
    /// Remote side.
    Remote,
    /// Allow/deny.
    Action,
    /// Priority or position.
    Priority,
    /// Rule enabled flag.
    Enabled,
    /// Stateful/stateless.
    Stateful,
    /// The group's default policies.
    DefaultPolicy,
    /// The whole rule (split, merged, dropped).
    Rule,
    /// The whole group.
    Group,
    /// A provider field with no canonical counterpart, by its wire name.
    Wire(Cow<'static, str>),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Id => "id",
            Field::Timestamps => "timestamps",
            Field::Revision => "revision",
            Field::Name => "name",
            Field::Description => "description",
            Field::Tags => "tags",
            Field::Family => "family",
            Field::Protocol => "protocol",
            Field::Ports => "ports",
            Field::Icmp => "icmp",
            Field::Remote => "remote",
            Field::Action => "action",
            Field::Priority => "priority",
            Field::Enabled => "enabled",
            Field::Stateful => "stateful",
            Field::DefaultPolicy => "default_policy",
            Field::Rule => "rule",
            Field::Group => "group",
            Field::Wire(name) => name.as_ref(),
        })
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One thing a conversion changed or could not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Index of the group in the input document.
    pub group: usize,
    /// The input rule (index in its group, provider id); `None` for group-level entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Origin>,
    /// The field.
    pub field: Field,
    /// What kind of change.
    pub kind: Kind,
    /// The source value, as written in the input, where one helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A sentence for people (most are fixed sentences, shared rather than copied per
    /// entry).
    pub message: Cow<'static, str>,
}

/// The semantic summary of a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The target allows exactly the packets the source allowed.
    Exact,
    /// The target denies some packets the source allowed.
    Narrowed,
    /// The target allows some packets the source denied.
    Widened,
}

/// Everything a conversion reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The source provider.
    pub from: ProviderId,
    /// The target provider.
    pub to: ProviderId,
    /// Exact, narrowed or widened.
    pub verdict: Verdict,
    /// Per-kind counts of `entries`.
    pub counts: BTreeMap<Kind, usize>,
    /// The entries, in the order they arose (import, lowering, export).
    pub entries: Vec<Entry>,
    /// The packets the source and the converted result treat differently, found by
    /// re-importing the result and comparing packet sets ([`crate::verify`]); empty when
    /// they are equal or the comparison did not run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<crate::semantics::Difference>,
    /// Set when there are more differing boxes than `differences` lists (it keeps the first
    /// [`crate::verify::MAX_DIFFERENCES`]); the verdict still counts them all.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub differences_truncated: bool,
    /// Whether importers look for fields they do not read, to report them: off only for
    /// verification's read-back of sgconv's own output, whose entries nobody sees.
    #[serde(skip)]
    pub(crate) unread_fields: bool,
}

impl Report {
    /// An empty report: nothing lost, verdict exact.
    pub fn new(from: ProviderId, to: ProviderId) -> Report {
        Report {
            from,
            to,
            verdict: Verdict::Exact,
            counts: BTreeMap::new(),
            entries: Vec::new(),
            differences: Vec::new(),
            differences_truncated: false,
            unread_fields: true,
        }
    }

    /// A report for reading back sgconv's own output: entries are kept but fields the
    /// importer does not read are not looked for (cheaper; what it holds is discarded).
    pub(crate) fn scratch(provider: ProviderId) -> Report {
        Report {
            unread_fields: false,
            ..Report::new(provider, provider)
        }
    }

    /// Record an entry; a narrowing or widening entry moves the verdict.
    pub fn push(&mut self, entry: Entry) {
        let v = match entry.kind {
            Kind::Narrowed => Verdict::Narrowed,
            Kind::Widened => Verdict::Widened,
            _ => Verdict::Exact,
        };
        self.verdict = self.verdict.max(v);
        let count = self.counts.entry(entry.kind).or_insert(0);
        *count = count.saturating_add(1);
        self.entries.push(entry);
    }

    /// Start an entry about one rule of one group.
    pub fn rule(&mut self, group: usize, origin: &Origin) -> EntryBuilder<'_> {
        EntryBuilder {
            report: self,
            group,
            rule: Some(origin.clone()),
        }
    }

    /// Start an entry about a whole group.
    pub fn group(&mut self, group: usize) -> EntryBuilder<'_> {
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
pub struct EntryBuilder<'a> {
    report: &'a mut Report,
    group: usize,
    rule: Option<Origin>,
}

/// An entry not yet placed: what an importer learns about one rule while reading it, before
/// it knows the rule's group and index. Place it with [`EntryBuilder::push_change`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The field.
    pub field: Field,
    /// What kind of change.
    pub kind: Kind,
    /// The source value.
    pub value: Option<String>,
    /// A sentence for people.
    pub message: Cow<'static, str>,
}

impl Change {
    /// A change.
    pub fn new(
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
    pub fn push_change(self, change: Change) {
        self.push(change.field, change.kind, change.value, change.message);
    }

    /// Record the entry.
    pub fn push(
        self,
        field: Field,
        kind: Kind,
        value: Option<String>,
        message: impl Into<Cow<'static, str>>,
    ) {
        self.report.push(Entry {
            group: self.group,
            rule: self.rule,
            field,
            kind,
            value,
            message: message.into(),
        });
    }
}

impl fmt::Display for Report {
    /// A short summary for people: the verdict, counts per kind, and the narrowing and
    /// widening entries (those change traffic) one per line, at most 20.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Exact => "exact",
            Verdict::Narrowed => "NARROWED (some traffic the source allowed is now denied)",
            Verdict::Widened => "WIDENED (some traffic the source denied is now allowed)",
        };
        write!(f, "sgconv: {} -> {}: {verdict}", self.from, self.to)?;
        if self.entries.is_empty() && self.differences.is_empty() {
            return writeln!(f, "; nothing lost");
        }
        let parts: Vec<String> = self
            .counts
            .iter()
            .map(|(k, n)| format!("{n} {}", kind_name(*k)))
            .collect();
        if parts.is_empty() {
            writeln!(f, "; the packet sets differ")?;
        } else {
            writeln!(f, "; {}", parts.join(", "))?;
        }
        let loud = self
            .entries
            .iter()
            .filter(|e| matches!(e.kind, Kind::Narrowed | Kind::Widened));
        for (shown, e) in loud.enumerate() {
            if shown == 20 {
                writeln!(f, "  ... (see --report for all entries)")?;
                break;
            }
            let at = match &e.rule {
                Some(o) => format!("group {} rule {}", e.group, o.index),
                None => format!("group {}", e.group),
            };
            writeln!(f, "  {} {at} {}: {}", kind_name(e.kind), e.field, e.message)?;
        }
        for (shown, d) in self.differences.iter().enumerate() {
            if shown == 20 {
                let more = if self.differences_truncated {
                    " or more"
                } else {
                    ""
                };
                writeln!(
                    f,
                    "  ... ({}{more} differing boxes; see --report)",
                    self.differences.len()
                )?;
                break;
            }
            writeln!(f, "  group {}: {}", d.group, d.sentence())?;
        }
        Ok(())
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Narrowed => "narrowed",
        Kind::Widened => "widened",
        Kind::Metadata => "metadata",
        Kind::Rewritten => "rewritten",
        Kind::Note => "note",
    }
}
