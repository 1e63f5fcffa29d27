//! What every importer needs once: reading a remote CIDR against the rule's family, placing
//! rules read from a document into a group with their report entries, grouping a flat rule
//! list by the group each rule names, and reporting the fields the model has no place for.

use crate::codec::{self, Format, TopLevel};
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Family, Origin, Remote, Rule, SecurityGroup, parse_cidr};
use crate::report::{Change, Field, Kind, Report};

pub(crate) use super::items::{Item, Items};

/// The [`Item`] of a dialect's checked rule, a struct with `read: ReadRule` and
/// `group_id: Option<Arc<str>>`: the list notes the rule's changes, and the rules of a list,
/// which name one group, hold one copy of its id. `rule_item!(Checked)`, or with a type
/// parameter, `rule_item!(Checked<V: Version>)`.
macro_rules! rule_item {
    ($checked:ident $(<$param:ident: $bound:path>)?) => {
        impl$(<$param: $bound>)? crate::providers::read::Item for $checked$(<$param>)? {
            fn share(&mut self, previous: &Self) {
                if self.group_id == previous.group_id {
                    self.group_id.clone_from(&previous.group_id);
                }
            }

            fn changes(&mut self) -> Option<&mut Vec<crate::report::Change>> {
                Some(&mut self.read.changes)
            }
        }
    };
}

pub(crate) use rule_item;

/// A rule read from a provider document, with what reading it changed or dropped.
#[derive(Debug, Clone)]
pub(crate) struct ReadRule {
    /// The canonical rule (its origin index is set when placed).
    pub(crate) rule: Rule,
    /// Entries for the report, placed with the rule.
    pub(crate) changes: Vec<Change>,
}

/// Read a remote CIDR for a rule of `family`. A `/0` is [`Remote::Any`]; host bits are
/// cleared and reported as rewritten; a CIDR of the other family is an error naming
/// `family_field` (the provider's name for the family, e.g. `ethertype`).
pub(crate) fn cidr(
    text: &str,
    family: Family,
    family_field: &str,
    changes: &mut Vec<Change>,
) -> Result<Remote, String> {
    placed(parse_cidr(text)?, text, family, family_field, changes)
}

/// The remote of a parsed CIDR `text` in a rule of `family`, for [`cidr`].
fn placed(
    parsed: crate::model::ParsedCidr,
    text: &str,
    family: Family,
    family_field: &str,
    changes: &mut Vec<Change>,
) -> Result<Remote, String> {
    if parsed.family != family {
        let (is, says) = match parsed.family {
            Family::V4 => ("IPv4", "IPv6"),
            Family::V6 => ("IPv6", "IPv4"),
        };
        return Err(format!(
            "{text:?} is an {is} network but {family_field} says {says}"
        ));
    }
    if let Some(orig) = parsed.rewritten_from {
        changes.push(Change::new(
            Field::Remote,
            Kind::Rewritten,
            Some(orig.clone()),
            format!(
                "{orig} has host bits set; read as the network it matches, {}",
                match &parsed.remote {
                    Remote::Cidr(net) => net.to_string(),
                    _ => String::from("any"),
                }
            ),
        ));
    }
    Ok(parsed.remote)
}

/// Report a rule's `created_at` / `updated_at` (as provider responses carry them): the model
/// has no place for timestamps.
pub(crate) fn timestamps(
    created_at: Option<&str>,
    updated_at: Option<&str>,
    changes: &mut Vec<Change>,
) {
    let value = match (created_at, updated_at) {
        (None, None) => return,
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (Some(created), Some(updated)) => [created, " / ", updated].concat(),
    };
    changes.push(Change::new(
        Field::Timestamps,
        Kind::Metadata,
        Some(value),
        "rule timestamps are not carried",
    ));
}

/// Place rules read from one group: number them in input order (keeping the provider's
/// ids) and move their changes into the report (an [`Items`] list places its own,
/// [`Items::place`]).
pub(crate) fn place(
    read: impl IntoIterator<Item = ReadRule>,
    group: usize,
    report: &mut Report,
) -> Vec<Rule> {
    read.into_iter()
        .enumerate()
        .map(|(i, ReadRule { mut rule, changes })| {
            let origin = Origin::new(i, rule.origin().id.clone());
            for change in changes {
                report.rule(group, &origin).push_change(change);
            }
            rule.set_origin(origin);
            rule
        })
        .collect()
}

/// Items of a flat list in buckets by the group id each names (`id`), in order of first
/// appearance; one bucket, of no id, for an empty list.
pub(crate) fn by_group<T>(
    items: Items<T>,
    id: impl Fn(&T) -> Option<&str>,
) -> Vec<(Option<String>, Items<T>)> {
    let Some(first) = items.iter().next().map(|t| id(t).map(str::to_owned)) else {
        return vec![(None, Items::default())];
    };
    // One group (the usual list): its items stay in the list they were read into.
    if items.iter().all(|t| id(t) == first.as_deref()) {
        return vec![(first, items)];
    }
    // The bucket of each id: a whole account's list names thousands of groups.
    let mut ids: Vec<Option<String>> = Vec::new();
    let mut index: foldhash::HashMap<String, usize> = foldhash::HashMap::default();
    let mut none = None;
    for t in items.iter() {
        match id(t) {
            Some(key) if !index.contains_key(key) => {
                index.insert(key.to_owned(), ids.len());
                ids.push(Some(key.to_owned()));
            }
            None if none.is_none() => {
                none = Some(ids.len());
                ids.push(None);
            }
            _ => {}
        }
    }
    let bucket = |t: &T| id(t).map_or(none, |key| index.get(key).copied());
    let buckets = items.split(ids.len(), |t| bucket(t).unwrap_or(0));
    ids.into_iter().zip(buckets).collect()
}

/// The groups of a flat rule list: one per group id its items name ([`by_group`]), with only
/// that id and the rules its items read as (`rules`: an item's rule, or all its rules), placed.
pub(crate) fn flat_groups<T>(
    items: Items<T>,
    id: impl Fn(&T) -> Option<&str>,
    mut rules: impl FnMut(Items<T>, usize, &mut Report) -> Vec<Rule>,
    report: &mut Report,
) -> Vec<SecurityGroup> {
    by_group(items, id)
        .into_iter()
        .enumerate()
        .map(|(gi, (id, items))| {
            let mut group = SecurityGroup::empty();
            group.id = id;
            group.rules = rules(items, gi, report);
            group
        })
        .collect()
}

/// A field's value as the report shows it: a string as it is, any other value as JSON; `None`
/// for none or null.
pub(crate) fn shown(value: Option<&serde_json::Value>) -> Option<String> {
    value
        .filter(|v| !v.is_null())
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
}

/// Fields of wire structs the model has no place for, each a JSON value whose field is named
/// as on the wire, as [`not_carried`] takes them: `uncarried!(w.project_id, w.region)`.
macro_rules! uncarried {
    ($($w:ident . $field:ident),+ $(,)?) => {
        [$((
            stringify!($field),
            crate::providers::read::shown($w.$field.as_ref()),
        )),+]
    };
}

pub(crate) use uncarried;

/// Report the fields of group `gi` the model has no place for, by wire name, each one given
/// as "`{what}{name}` is not carried" (`what`: `"group "`, or empty).
pub(crate) fn not_carried(
    report: &mut Report,
    gi: usize,
    what: &str,
    fields: impl IntoIterator<Item = (&'static str, Option<String>)>,
) {
    for (name, value) in fields {
        if let Some(value) = value {
            report.group(gi).push(
                Field::Wire(name.into()),
                Kind::Metadata,
                Some(value),
                format!("{what}{name} is not carried"),
            );
        }
    }
}

/// Deserialise an optional string borrowing it from the input where the input allows
/// (serde's own `Option<Cow<str>>` always copies). Use as
/// `#[serde(default, borrow, deserialize_with = "read::opt_str")]`.
pub(crate) fn opt_str<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<std::borrow::Cow<'de, str>>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] std::borrow::Cow<'a, str>);
    let value: Option<Borrowed<'de>> = serde::Deserialize::deserialize(d)?;
    Ok(value.map(|b| b.0))
}

/// An address field's text, read as a CIDR where it stands (`None` for an empty string, left
/// to the rule reader).
pub(crate) struct Address<'a> {
    text: std::borrow::Cow<'a, str>,
    parsed: Option<crate::model::ParsedCidr>,
}

impl std::ops::Deref for Address<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

/// [`opt_str`] for an address field (`remote_ip_prefix`): the text is read as a CIDR where it
/// stands, so a malformed or ambiguous address (`010.0.0.0/8`) is reported with the field's
/// path and line:column. An empty string is left to the rule reader.
pub(crate) fn opt_cidr<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Address<'de>>, D::Error> {
    let Some(text) = opt_str(d)? else {
        return Ok(None);
    };
    let parsed = if text.is_empty() {
        None
    } else {
        Some(parse_cidr(&text).map_err(serde::de::Error::custom)?)
    };
    Ok(Some(Address { text, parsed }))
}

/// [`cidr`] for an address read by [`opt_cidr`] (parsed once, where it stood).
pub(crate) fn address(
    address: &Address<'_>,
    family: Family,
    family_field: &str,
    changes: &mut Vec<Change>,
) -> Result<Remote, String> {
    match &address.parsed {
        Some(parsed) => placed(parsed.clone(), &address.text, family, family_field, changes),
        None => cidr(&address.text, family, family_field, changes),
    }
}

/// A decode error located in a document of `provider`.
pub(crate) fn input_error(provider: ProviderId, e: codec::DecodeError) -> Error {
    Error::Input {
        provider,
        location: e.location,
        message: e.message,
    }
}

/// Decode a document of `provider`, recording every key it does not read as unread (in group
/// `group` of the report).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    text: &str,
    format: Format,
    provider: ProviderId,
    report: &mut Report,
) -> Result<T, Error> {
    let decoded = codec::decode(text, format).map_err(|e| input_error(provider, e))?;
    // The top-level probe may not have seen a key between two long values (see
    // `codec::scan`): another shape's key found unread here is the ambiguity it would have
    // refused.
    let shape_keys = super::get(provider).dialect().shape_keys;
    if let Some(other) = decoded.unread.iter().find(|path| {
        path.as_str() == "groups" || shape_keys.iter().any(|set| set.contains(&path.as_str()))
    }) {
        return Err(Error::Shape {
            provider,
            message: format!(
                "ambiguous document: it has `{other}` at the top level, the key of another document \
                 shape than the one read; give one document per input"
            ),
        });
    }
    for path in decoded.unread {
        report.unread(0, path);
    }
    Ok(decoded.value)
}

/// Decode a part of a document only to look at its shape (what the full decode reads again).
pub(crate) fn decode_quiet<T: serde::de::DeserializeOwned>(
    text: &str,
    format: Format,
    provider: ProviderId,
) -> Result<T, Error> {
    codec::decode_quiet(text, format).map_err(|e| input_error(provider, e))
}

/// The top level of a document of `provider`.
pub(crate) fn probe(text: &str, format: Format, provider: ProviderId) -> Result<TopLevel, Error> {
    codec::probe(text, format).map_err(|e| input_error(provider, e))
}

/// Refuse a document whose top level holds keys of more than one of `shapes` (each a shape's
/// key): which one it is would be a guess, and the others would go unread.
fn one_shape(top: &TopLevel, shapes: &[&str], provider: ProviderId) -> Result<(), Error> {
    let found: Vec<&str> = shapes.iter().copied().filter(|k| top.has(k)).collect();
    if let [first, second, ..] = found.as_slice() {
        return Err(Error::Shape {
            provider,
            message: format!(
                "ambiguous document: it has both `{first}` and `{second}` at the top level, each the key \
                 of a different document shape; give one document per input"
            ),
        });
    }
    Ok(())
}

/// What an importer starts from: the document was sgconv's multi-group envelope (read
/// already, each part by the importer), or this top level to tell the shape by.
pub(crate) enum Start {
    /// The envelope's groups.
    Envelope(crate::model::Document),
    /// A document of the provider's own shapes, not ambiguous between `shape_keys`.
    Top(TopLevel),
}

/// The start every importer shares: probe the top level, read an envelope, and refuse a
/// document holding keys of two shapes (each list of `shape_keys` names shapes that exclude
/// each other).
pub(crate) fn start(
    provider: &dyn super::Provider,
    text: &str,
    format: Format,
    options: &super::ImportOptions,
    report: &mut Report,
    shape_keys: &[&[&'static str]],
) -> Result<Start, Error> {
    let top = probe(text, format, provider.id())?;
    if top == TopLevel::Scalar {
        return Err(provider.dialect().shape_error("found a single value"));
    }
    if super::envelope::is_envelope(&top, provider)? {
        return super::envelope::import(provider, text, format, options, report)
            .map(Start::Envelope);
    }
    for shapes in shape_keys {
        one_shape(&top, shapes, provider.id())?;
    }
    Ok(Start::Top(top))
}
