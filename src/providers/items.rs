//! A long list of a document read in chunks ([`Items`]), with what reading its items
//! changed noted once for the list ([`Noted`]).
//!
//! A rule list holds up to millions of items. Read into a `Vec`, it was copied at each
//! doubling into freshly touched memory and held one and a half times over at the last step
//! (two fifths of the page faults of a conversion); chunks are filled once and freed one by
//! one as the list is consumed. And each rule held its changes until placed: two or three of
//! 80 bytes in a block of four, each with its value copied (the same project id or
//! timestamps in every rule), more than the rule itself.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

use super::read::ReadRule;
use crate::model::{Origin, Rule};
use crate::report::{Change, Field, Kind, Report};

/// The most bytes a chunk holds: a medium object of mimalloc (up to 128 KiB), so that a
/// freed chunk is reused by the next one rather than returned whole.
const CHUNK_BYTES: usize = 1 << 16;

/// Items of the first chunk (most lists are short); each next chunk holds twice as many,
/// up to [`CHUNK_BYTES`].
const FIRST: usize = 8;

/// An item of a long list: what it may share with the item read before it (a rule list
/// names the same group in every rule), and the changes reading it recorded.
pub(crate) trait Item {
    /// Take from `previous` what this item holds the same of (a clone of a shared value).
    fn share(&mut self, previous: &Self) {
        let _ = previous;
    }

    /// The changes reading the item recorded, which the list takes (and keeps compactly
    /// until its items are placed); `None` for an item that records none.
    fn changes(&mut self) -> Option<&mut Vec<Change>> {
        None
    }
}

/// [`Item`] for a provider's rule as read from a list: its `group_id` (an
/// `Option<Arc<str>>`) shares one copy with the rule before it when they name the same
/// group, and its `read.changes` are taken by the list. One definition for every provider's
/// list rule: `items::rule_item!(impl Item for Checked);`.
macro_rules! rule_item {
    ($($head:tt)*) => {
        $($head)* {
            /// The rules of a list name one group: one copy of its id.
            fn share(&mut self, previous: &Self) {
                if self.group_id == previous.group_id {
                    self.group_id.clone_from(&previous.group_id);
                }
            }

            fn changes(&mut self) -> Option<&mut Vec<$crate::report::Change>> {
                Some(&mut self.read.changes)
            }
        }
    };
}
pub(crate) use rule_item;

/// Values in chunks, in order.
struct Chunks<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunks<T> {
    fn default() -> Chunks<T> {
        Chunks {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunks<T> {
    /// Add a value at the end: into the last chunk while it has room, else into a new one.
    fn push(&mut self, value: T) {
        let most = CHUNK_BYTES
            .checked_div(std::mem::size_of::<T>())
            .unwrap_or(CHUNK_BYTES)
            .max(1);
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < chunk.capacity() => chunk.push(value),
            last => {
                let room = last
                    .map_or(FIRST, |c| c.capacity().saturating_mul(2))
                    .clamp(1, most);
                let mut chunk = Vec::with_capacity(room);
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len = self.len.saturating_add(1);
    }

    fn last(&self) -> Option<&T> {
        self.chunks.last().and_then(|c| c.last())
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

/// The values of a [`Chunks`] (or an [`Items`] list), in order, each chunk freed once it
/// is consumed.
pub(crate) struct IntoIter<T> {
    chunks: std::vec::IntoIter<Vec<T>>,
    chunk: std::vec::IntoIter<T>,
    left: usize,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(value) = self.chunk.next() {
                self.left = self.left.saturating_sub(1);
                return Some(value);
            }
            self.chunk = self.chunks.next()?.into_iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}

impl<T> IntoIterator for Chunks<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter {
            chunks: self.chunks.into_iter(),
            chunk: Vec::new().into_iter(),
            left: self.len,
        }
    }
}

/// One change of one item, its parts kept by the [`Noted`] list.
#[derive(Clone, Copy)]
struct Note {
    /// The item's place in the list.
    item: usize,
    /// The index of what it says in [`Noted::sayings`].
    saying: u32,
    /// Its value is the saying's next one (else the same as its last).
    next_value: bool,
}

/// What changes say, but of which item and with which value.
struct Saying {
    field: Field,
    kind: Kind,
    message: Cow<'static, str>,
    /// The values, one for each run of notes with the same value, in order.
    values: Vec<Option<String>>,
}

/// The changes reading a list's items recorded, in order.
#[derive(Default)]
struct Noted {
    sayings: Vec<Saying>,
    /// The sayings whose message is a fixed sentence, the only ones looked up (a composed
    /// sentence names its rule's values, and is said once).
    fixed: Vec<u32>,
    notes: Chunks<Note>,
}

impl Noted {
    /// Note that item `item` (the last one, or a later one) changed so.
    fn note(&mut self, item: usize, change: Change) {
        let Change {
            field,
            kind,
            value,
            message,
        } = change;
        let same = |s: &Saying| {
            s.kind == kind
                && s.field == field
                && match (&s.message, &message) {
                    (Cow::Borrowed(a), Cow::Borrowed(b)) => std::ptr::eq(*a, *b),
                    _ => false,
                }
        };
        let found = matches!(message, Cow::Borrowed(_))
            .then(|| {
                self.fixed.iter().copied().find(|&i| {
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| self.sayings.get(i))
                        .is_some_and(same)
                })
            })
            .flatten();
        let (saying, next_value) = match found {
            Some(i) => {
                let s = usize::try_from(i)
                    .ok()
                    .and_then(|i| self.sayings.get_mut(i));
                match s {
                    Some(s) if s.values.last() == Some(&value) => (i, false),
                    Some(s) => {
                        s.values.push(value);
                        (i, true)
                    }
                    None => return,
                }
            }
            None => {
                let Ok(i) = u32::try_from(self.sayings.len()) else {
                    return;
                };
                if matches!(message, Cow::Borrowed(_)) {
                    self.fixed.push(i);
                }
                self.sayings.push(Saying {
                    field,
                    kind,
                    message,
                    values: vec![value],
                });
                (i, true)
            }
        };
        self.notes.push(Note {
            item,
            saying,
            next_value,
        });
    }

    /// Move the notes into `report`, as a cursor over the items: call [`Replay::item`] for
    /// each item in order.
    fn replay(self) -> Replay {
        // How many notes each saying has: each is said of that many rules, room for which
        // the report's entry reserves once.
        let mut left = vec![0_usize; self.sayings.len()];
        for note in self.notes.iter() {
            if let Some(n) = usize::try_from(note.saying)
                .ok()
                .and_then(|i| left.get_mut(i))
            {
                *n = n.saturating_add(1);
            }
        }
        let current = self.sayings.iter().map(|_| None).collect();
        let taken = vec![0; self.sayings.len()];
        Replay {
            sayings: self.sayings,
            left,
            current,
            taken,
            notes: self.notes.into_iter().peekable(),
        }
    }
}

/// The notes of a [`Noted`] list, moved into a report item by item.
struct Replay {
    sayings: Vec<Saying>,
    /// Notes of each saying not yet replayed.
    left: Vec<usize>,
    /// Each saying's value at hand.
    current: Vec<Option<String>>,
    /// How many of each saying's values were taken.
    taken: Vec<usize>,
    notes: std::iter::Peekable<IntoIter<Note>>,
}

impl Replay {
    /// The saying of `note`, its value at hand (the next one if the note says so) and how
    /// many notes of it are left after this one.
    fn take(&mut self, note: Note) -> Option<(&Saying, Option<&str>, usize)> {
        let s = usize::try_from(note.saying).ok()?;
        let (saying, current, taken, left) = (
            self.sayings.get_mut(s)?,
            self.current.get_mut(s)?,
            self.taken.get_mut(s)?,
            self.left.get_mut(s)?,
        );
        if note.next_value {
            *current = saying.values.get_mut(*taken).and_then(Option::take);
            *taken = taken.saturating_add(1);
        }
        *left = left.saturating_sub(1);
        Some((saying, current.as_deref(), *left))
    }

    /// Move the notes of item `item` (the next one) into `report`, as changes of rule
    /// `origin` of group `group`.
    fn item(&mut self, item: usize, group: usize, origin: &Origin, report: &mut Report) {
        while let Some(note) = self.notes.next_if(|n| n.item == item) {
            if let Some((saying, value, left)) = self.take(note) {
                report.rule_change(
                    group,
                    origin,
                    &saying.field,
                    saying.kind,
                    value,
                    &saying.message,
                    left,
                );
            }
        }
    }
}

/// A list read in chunks, in order, with the changes reading its items recorded. Read it as
/// serde reads a `Vec` (any sequence, its errors located by the codec as a `Vec`'s are);
/// consume it with [`Items::place`], or [`IntoIterator`] for a list of items that note no
/// changes.
pub(crate) struct Items<T> {
    items: Chunks<T>,
    noted: Noted,
}

impl<T> Default for Items<T> {
    fn default() -> Items<T> {
        Items {
            items: Chunks::default(),
            noted: Noted::default(),
        }
    }
}

impl<T> Items<T> {
    /// How many items.
    pub(crate) fn len(&self) -> usize {
        self.items.len
    }

    /// The items, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// The items, each made into another by `f`, with the changes noted for them.
    pub(crate) fn map<U>(self, mut f: impl FnMut(T) -> U) -> Items<U> {
        let mut items = Chunks::default();
        for value in self.items {
            items.push(f(value));
        }
        Items {
            items,
            noted: self.noted,
        }
    }

    /// Place the items as the rules of group `group`: each item's rule (`read`), numbered in
    /// list order, the changes noted for it moved into `report` (then those of its
    /// [`ReadRule`]). The rules' list is as long as the items'.
    pub(crate) fn place(
        self,
        group: usize,
        report: &mut Report,
        mut read: impl FnMut(T) -> ReadRule,
    ) -> Vec<Rule> {
        let mut replay = self.noted.replay();
        let mut one = |i: usize, item: T| {
            let ReadRule { mut rule, changes } = read(item);
            let origin = Origin::new(i, rule.origin().id.clone());
            replay.item(i, group, &origin, report);
            for change in changes {
                report.rule(group, &origin).push_change(change);
            }
            rule.set_origin(origin);
            rule
        };
        let mut chunks = self.items.chunks;
        if chunks.len() <= 1 {
            // One block (a short list, or one of a known length): the rules are made where
            // the items lie, no second block.
            let chunk = chunks.pop().unwrap_or_default();
            return chunk
                .into_iter()
                .enumerate()
                .map(|(i, item)| one(i, item))
                .collect();
        }
        let mut rules = Vec::with_capacity(self.items.len);
        for (i, item) in chunks.into_iter().flatten().enumerate() {
            rules.push(one(i, item));
        }
        rules
    }

    /// The items in buckets (`bucket`: the index of an item's bucket, in order of first
    /// appearance), each bucket with the changes noted for its items.
    pub(crate) fn split(self, buckets: usize, bucket: impl Fn(&T) -> usize) -> Vec<Items<T>> {
        let mut out: Vec<Items<T>> = (0..buckets).map(|_| Items::default()).collect();
        // Where each item went: its bucket and its place there.
        let mut went = Vec::with_capacity(self.items.len);
        for item in self.items {
            let b = bucket(&item);
            let Some(to) = out.get_mut(b) else {
                continue;
            };
            went.push((b, to.items.len));
            to.items.push(item);
        }
        let mut replay = self.noted.replay();
        while let Some(note) = replay.notes.next() {
            let Some(&(b, at)) = went.get(note.item) else {
                continue;
            };
            let (Some((saying, value, _)), Some(to)) = (replay.take(note), out.get_mut(b)) else {
                continue;
            };
            to.noted.note(
                at,
                Change::new(
                    saying.field.clone(),
                    saying.kind,
                    value.map(str::to_owned),
                    saying.message.clone(),
                ),
            );
        }
        out
    }
}

impl<T: Item> Items<T> {
    /// Add an item at the end, sharing what it can with the one before, its changes noted.
    fn push(&mut self, mut item: T) {
        if let Some(previous) = self.items.last() {
            item.share(previous);
        }
        if let Some(changes) = item.changes() {
            for change in std::mem::take(changes) {
                self.noted.note(self.items.len, change);
            }
        }
        self.items.push(item);
    }
}

/// A list of items whose changes stay with them.
impl<T> From<Vec<T>> for Items<T> {
    fn from(items: Vec<T>) -> Items<T> {
        let len = items.len();
        Items {
            items: Chunks {
                chunks: vec![items],
                len,
            },
            noted: Noted::default(),
        }
    }
}

impl<T: Item> FromIterator<T> for Items<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Items<T> {
        let mut items = Items::default();
        for item in iter {
            items.push(item);
        }
        items
    }
}

/// The items of a list that notes no changes, in order.
impl<T> IntoIterator for Items<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        self.items.into_iter()
    }
}

impl<'de, T: Deserialize<'de> + Item> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Items<T>, D::Error> {
        struct Seq<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Item> Visitor<'de> for Seq<T> {
            type Value = Items<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                // What serde says of a `Vec`, so that errors read as they did.
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items<T>, A::Error> {
                let mut items = Items::default();
                if let Some(n) = crate::codec::expected_items() {
                    items.items.chunks.push(Vec::with_capacity(n));
                }
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(items)
            }
        }
        d.deserialize_seq(Seq(PhantomData))
    }
}

#[cfg(test)]
#[path = "items_tests.rs"]
mod tests;
