//! Several groups in one document, for providers whose shapes hold one group:
//! `{"groups": [{"name": ..., "id": ..., "document": <the provider's document>}, ...]}`.
//! [`export`] writes it (for [`super::Provider::export`]); [`import`] reads it back, so every output of sgconv
//! is an input of sgconv. Each importer checks [`is_envelope`] on the top level it probes
//! anyway, so the check costs no extra parse.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::{ExportOptions, ImportOptions, Provider, read};
use crate::codec::{Format, TopLevel};
use crate::error::{Error, Location};
use crate::model::Document;
use crate::output::Writer;
use crate::report::Report;

/// Whether `top` is the envelope (a provider document never has a top-level `groups`); an
/// envelope beside other keys is ambiguous, and refused.
pub(crate) fn is_envelope(top: &TopLevel, provider: &dyn Provider) -> Result<bool, Error> {
    let TopLevel::Object(keys) = top else {
        return Ok(false);
    };
    if !top.has("groups") {
        return Ok(false);
    }
    if let Some(other) = keys.iter().find(|k| *k != "groups") {
        return Err(Error::Shape {
            provider: provider.id(),
            message: format!(
                "ambiguous document: it has both `groups` (sgconv's multi-group envelope) and `{other}` \
                 at the top level; an envelope holds nothing but `groups`"
            ),
        });
    }
    Ok(true)
}

/// The envelope's keys, to find those it does not know (the documents are their importers').
#[derive(Deserialize)]
struct Keys {
    groups: Vec<ItemKeys>,
}

/// The keys of one item other than `name`, `id` and `document`.
struct ItemKeys(Vec<String>);

impl<'de> Deserialize<'de> for ItemKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ItemKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object {name, id, document}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ItemKeys, A::Error> {
                let mut unknown = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    if !matches!(key.as_str(), "name" | "id" | "document") {
                        unknown.push(key);
                    }
                }
                Ok(ItemKeys(unknown))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Item<'a> {
    name: Option<String>,
    id: Option<String>,
    #[serde(borrow)]
    document: &'a RawValue,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    groups: Vec<Item<'a>>,
}

/// Write `doc`'s groups in an envelope, each `document` as `provider` writes the group: the
/// layout `serde_json`'s pretty printer gives the same value.
pub(crate) fn export<P: Provider + ?Sized>(
    provider: &P,
    doc: &Document,
    options: &ExportOptions,
    report: &mut Report,
    out: &mut Writer,
) -> Result<(), Error> {
    if doc.groups.is_empty() {
        out.raw("{\n  \"groups\": []\n}");
        return Ok(());
    }
    out.raw("{\n  \"groups\": [");
    for (i, group) in doc.groups.iter().enumerate() {
        out.raw(if i == 0 { "\n    {" } else { ",\n    {" });
        // The group's id in the target, where the user gave it.
        let id = group
            .id
            .as_ref()
            .map(|id| options.target_groups.get(id).unwrap_or(id));
        for (key, value) in [("name", group.name.as_ref()), ("id", id)] {
            if let Some(value) = value {
                out.raw("\n      \"");
                out.raw(key);
                out.raw("\": ");
                out.value(value)?;
                out.raw(",");
            }
        }
        out.raw("\n      \"document\": ");
        out.nested(6, |out| {
            let to = super::Export {
                index: i,
                options,
                report,
                out,
            };
            provider.export_group(group, to)
        })?;
        out.raw("\n    }");
    }
    out.raw("\n  ]\n}");
    Ok(())
}

/// Read an envelope: each `document` with `provider`'s importer, errors located in the whole
/// input, report entries renumbered to the document's group order.
pub(crate) fn import(
    provider: &dyn Provider,
    text: &str,
    fmt: Format,
    options: &ImportOptions,
    report: &mut Report,
) -> Result<Document, Error> {
    // YAML has no raw slices to hand on: read it as a value and pass each part on as JSON.
    let json;
    let text = match fmt {
        Format::Json | Format::Terraform => text,
        Format::Yaml => {
            let value: serde_json::Value = read::decode_quiet(text, fmt, provider.id())?;
            json = serde_json::to_string(&value).map_err(|e| Error::Internal(e.to_string()))?;
            json.as_str()
        }
    };
    let keys: Keys = read::decode_quiet(text, Format::Json, provider.id())?;
    for (i, item) in keys.groups.iter().enumerate() {
        for key in &item.0 {
            report.unread(i, format!("groups[{i}].{key}"));
        }
    }
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|e| Error::Input {
        provider: provider.id(),
        location: Location { path: "groups".into(), line: e.line(), column: e.column() },
        message: format!("a multi-group document is {{\"groups\": [{{\"name\", \"id\", \"document\"}}, ...]}}: {e}"),
    })?;
    let mut groups = Vec::new();
    for (i, item) in envelope.groups.into_iter().enumerate() {
        let part = item.document.get();
        let mut sub = Report::new(report.from, report.to);
        let doc = provider
            .import(part, Format::Json, options, &mut sub)
            .map_err(|e| relocate(e, i, text, part, fmt))?;
        let offset = groups.len();
        for mut entry in sub.entries {
            entry.group = entry.group.saturating_add(offset);
            if let Some(path) = &mut entry.path {
                *path = inner_path(i, path);
            }
            report.push(entry);
        }
        for mut group in doc.groups {
            group.name = group.name.or_else(|| item.name.clone());
            group.id = group.id.or_else(|| item.id.clone());
            groups.push(group);
        }
    }
    Ok(Document { groups })
}

/// The path in the whole input of `path` in the document of item `i`.
fn inner_path(i: usize, path: &str) -> String {
    let inner = match path {
        "." => String::new(),
        p if p.starts_with('[') => p.to_owned(),
        p => format!(".{p}"),
    };
    format!("groups[{i}].document{inner}")
}

/// Place an error from the part `part` of `text` in the whole input.
fn relocate(e: Error, i: usize, text: &str, part: &str, fmt: Format) -> Error {
    let Error::Input {
        provider,
        location,
        message,
    } = e
    else {
        return e;
    };
    let path = inner_path(i, &location.path);
    let (line, column) = match fmt {
        // The part is a slice of the input: its offset gives its line and column.
        Format::Json | Format::Terraform => {
            let offset = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
            let before = text.get(..offset).unwrap_or("");
            let base_line = before.matches('\n').count().saturating_add(1);
            let base_column = before
                .rsplit('\n')
                .next()
                .map_or(0, |l| l.chars().count())
                .saturating_add(1);
            if location.line <= 1 {
                (
                    base_line,
                    base_column
                        .saturating_add(location.column)
                        .saturating_sub(1),
                )
            } else {
                (
                    base_line.saturating_add(location.line).saturating_sub(1),
                    location.column,
                )
            }
        }
        // Re-serialised YAML: positions would point into text the user never wrote.
        Format::Yaml => (0, 0),
    };
    Error::Input {
        provider,
        location: Location { path, line, column },
        message,
    }
}

#[cfg(test)]
mod tests {
    use crate::id::ProviderId;
    use crate::model::{Document, SecurityGroup};
    use crate::providers::{ExportOptions, get};
    use crate::report::Report;

    /// The hand-laid envelope is byte for byte what serde_json's pretty printer makes of the
    /// same value, for no group, one group per name/id combination, and text needing escapes.
    #[test]
    fn envelope_layout_is_serde_jsons_pretty_layout() {
        let group = |name: Option<&str>, id: Option<&str>| SecurityGroup {
            name: name.map(str::to_owned),
            id: id.map(str::to_owned),
            description: Some("line one\nline \"two\"".into()),
            ..SecurityGroup::empty()
        };
        let docs = [
            Document { groups: vec![] },
            Document {
                groups: vec![
                    group(Some("web \"front\"\n"), Some("g1")),
                    group(None, Some("g2")),
                    group(Some("db"), None),
                    group(None, None),
                ],
            },
        ];
        for to in ProviderId::ALL {
            for doc in &docs {
                let mut report = Report::new(*to, *to);
                let out = get(*to)
                    .export(doc, &ExportOptions::default(), &mut report)
                    .expect("exports");
                let value = out.to_value().expect("valid JSON");
                let pretty = serde_json::to_string_pretty(&value).expect("prints") + "\n";
                assert_eq!(out.as_json(), pretty, "{to}");
            }
        }
    }
}
