//! Reading and writing JSON and YAML, with the JSON path and line:column of every error,
//! and the path of every key the reader did not take.
//!
//! This is the only module that names serde_json's deserializer or the YAML crate (its
//! `yaml` part refuses YAML that is not YAML 1.2 core schema); its `hcl` part is the only
//! one that names the HCL crate (Terraform configuration). It knows no dialect and no
//! report: a dialect turns [`DecodeError`] into its [`crate::Error`] and the
//! [`Decoded::unread`] paths into report entries.

pub(crate) mod hcl;
mod scan;
mod yaml;

use std::fmt;

use serde::Serialize;
use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::Location;

/// A document encoding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    /// JSON (the default).
    #[default]
    Json,
    /// YAML 1.2.
    Yaml,
    /// Terraform: `terraform show -json` state or plan output, a `.tfstate` (version 4) or
    /// a configuration file (`.tf`) in; a configuration file out.
    Terraform,
}

impl Format {
    /// Every format, for listings.
    pub const ALL: &'static [Format] = &[Format::Json, Format::Yaml, Format::Terraform];

    /// The format's name (`json`, `yaml`, `terraform`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Terraform => "terraform",
        }
    }

    /// Guess the format of a text: Terraform if it is a JSON object with the top-level keys
    /// of `terraform show -json` (`format_version` and `values` or `planned_values`) or of a
    /// state file (`version` and `resources`), or if it starts with a Terraform block
    /// (`resource "...`, `terraform {`, ...); other JSON if it starts with `{` or `[` (after
    /// white space); YAML otherwise.
    pub fn detect(text: &str) -> Format {
        let text = text.trim_start_matches('\u{feff}').trim_start();
        match text.as_bytes().first() {
            Some(b'{') if terraform_json(text) => Format::Terraform,
            Some(b'{' | b'[') => Format::Json,
            _ if terraform_config(text) => Format::Terraform,
            _ => Format::Yaml,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "yaml" => Ok(Format::Yaml),
            "terraform" => Ok(Format::Terraform),
            _ => Err(format!(
                "unknown format {s:?} (expected json, yaml or terraform)"
            )),
        }
    }
}

/// A text that could not be decoded: where, and what was found and expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    /// Where.
    pub(crate) location: Location,
    /// What.
    pub(crate) message: String,
}

/// A decoded value and the keys of the text it did not read, by JSON path
/// (`security_group_rules[3].remote_ip_prefx`).
pub(crate) struct Decoded<T> {
    pub(crate) value: T,
    pub(crate) unread: Vec<String>,
}

/// Decode `text` into `T`, locating any error (syntax or value) by JSON path and
/// line:column, and listing every key `T` did not read.
///
/// JSON is first read in one strict pass, without paths: the wire shapes that
/// `providers::wire_struct!` defines refuse a key they do not declare while
/// [`strict_pass`] is on. Only a text that fails it (an unknown key or an error) is read
/// again, tracking paths, to list every unread key and locate the error. On 20,000 Huawei
/// rules to Gcore v2 the strict pass saves about 13% of the instructions of a conversion.
pub(crate) fn decode<T: DeserializeOwned>(
    text: &str,
    format: Format,
) -> Result<Decoded<T>, DecodeError> {
    if format == Format::Json {
        let strict = StrictPass::enter();
        let value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text));
        drop(strict);
        if let Ok(value) = value {
            return Ok(Decoded {
                value,
                unread: Vec::new(),
            });
        }
    }
    let mut unread = Vec::new();
    let value = decode_with(text, format, true, &mut |path: serde_ignored::Path<'_>| {
        unread.push(path.to_string());
    })?;
    Ok(Decoded { value, unread })
}

thread_local! {
    static STRICT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static EXPECTED: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// How many items the first long list that a decode on this thread reads will hold, when
/// the text's writer knows ([`Expected::enter`]); taken by that list, for the rest of the
/// decode none.
pub(crate) fn expected_items() -> Option<usize> {
    EXPECTED.with(std::cell::Cell::take)
}

/// While this guard lives, the first long list a decode reads on this thread is said to hold
/// so many items: verification reads back a document of one group of a known number of
/// rules, whose list is then read into one block of that size rather than in chunks
/// (which were copied into a second block as long as the group).
pub(crate) struct Expected;

impl Expected {
    pub(crate) fn enter(items: usize) -> Expected {
        EXPECTED.with(|e| e.set(Some(items)));
        Expected
    }
}

impl Drop for Expected {
    fn drop(&mut self) {
        EXPECTED.with(|e| e.set(None));
    }
}

/// Whether the decode running on this thread is [`decode`]'s strict first pass, in which a
/// wire shape refuses a key it does not declare (the second pass lists them as unread).
pub(crate) fn strict_pass() -> bool {
    STRICT.with(std::cell::Cell::get)
}

/// The strict pass, on while this guard lives (off again even if the decode panics).
struct StrictPass;

impl StrictPass {
    fn enter() -> StrictPass {
        STRICT.with(|s| s.set(true));
        StrictPass
    }
}

impl Drop for StrictPass {
    fn drop(&mut self) {
        STRICT.with(|s| s.set(false));
    }
}

/// [`decode`] for text whose every key is known to be read (sgconv's own output, read back
/// by verification) or that is only looked at for its shape: unread keys are not listed.
pub(crate) fn decode_quiet<T: DeserializeOwned>(
    text: &str,
    format: Format,
) -> Result<T, DecodeError> {
    if matches!(format, Format::Json | Format::Terraform)
        && let Ok(value) = serde_json::from_str(text)
    {
        return Ok(value);
    }
    decode_with(text, format, true, &mut |_: serde_ignored::Path<'_>| {})
}

/// `core_schema`: refuse YAML that YAML 1.1 reads otherwise (see [`yaml`]); off only for
/// the probe, which takes no values.
fn decode_with<T: DeserializeOwned, F: FnMut(serde_ignored::Path<'_>)>(
    text: &str,
    format: Format,
    core_schema: bool,
    ignored: &mut F,
) -> Result<T, DecodeError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(DecodeError {
            location: Location {
                path: ".".into(),
                line: 1,
                column: 1,
            },
            message: "the input is empty".into(),
        });
    }
    match format {
        // Terraform's JSON documents; its configuration language is read by `hcl`.
        Format::Json | Format::Terraform => {
            // Fast path: no path tracking (serde_path_to_error keeps every map key as a
            // String). Unknown fields are still seen; only a failure reads the text again,
            // tracking the path, to locate the error (callers use what `ignored` saw only
            // on success).
            let de = &mut serde_json::Deserializer::from_str(text);
            let fast = T::deserialize(serde_ignored::Deserializer::new(&mut *de, &mut *ignored))
                .and_then(|value| de.end().map(|()| value));
            if let Ok(value) = fast {
                return Ok(value);
            }
            let de = &mut serde_json::Deserializer::from_str(text);
            let value = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
                &mut *de, ignored,
            ))
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                json_error(path, &inner, text)
            })?;
            de.end().map_err(|e| json_error(".".into(), &e, text))?;
            Ok(value)
        }
        Format::Yaml => {
            let options = yaml_options();
            let scan = if core_schema {
                yaml::check_core_schema(text, options.budget.as_ref())?
            } else {
                yaml::Scan::Checked
            };
            let mut path = String::from(".");
            let result =
                serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
                    serde_path_to_error::deserialize(serde_ignored::Deserializer::new(de, ignored))
                        .map_err(|e| {
                            path = e.path().to_string();
                            e.into_inner()
                        })
                });
            let value = result.map_err(|e| {
                let (line, column) = e
                    .location()
                    .map(|l| {
                        (
                            usize::try_from(l.line()).unwrap_or(0),
                            usize::try_from(l.column()).unwrap_or(0),
                        )
                    })
                    .filter(|(line, _)| *line > 0)
                    .unwrap_or_else(|| root_position(text));
                DecodeError {
                    location: Location { path, line, column },
                    message: yaml_message(&e),
                }
            })?;
            match scan {
                yaml::Scan::Checked => Ok(value),
                // Read past where the check stopped: unchecked, so refused.
                yaml::Scan::Unparsed(e) => Err(e),
            }
        }
    }
}

/// Where the top-level value starts: errors about the whole document (a single rule object
/// whose fields disagree) are placed there, since the readers give no position for them.
fn root_position(text: &str) -> (usize, usize) {
    let mut line: usize = 1;
    let mut column: usize = 1;
    for c in text.chars() {
        match c {
            '\n' => {
                line = line.saturating_add(1);
                column = 1;
            }
            c if c.is_whitespace() => column = column.saturating_add(1),
            _ => break,
        }
    }
    (line, column)
}

fn json_error(path: String, e: &serde_json::Error, text: &str) -> DecodeError {
    // serde_json appends " at line L column C"; we show the location ourselves.
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    let (line, column) = if e.line() == 0 {
        root_position(text)
    } else {
        (e.line(), e.column())
    };
    DecodeError {
        location: Location { path, line, column },
        message,
    }
}

/// YAML limits: serde-saphyr's defaults (250,000 nodes, 1,000,000 events) stop near 25,000
/// rules, so the node and event budgets are raised for whole-account inputs (about 2.5
/// million rules); its alias and anchor limits, which stop "billion laughs" documents, stay.
/// YAML 1.1 booleans and merge keys are off too (the scan in [`yaml`] refuses them first).
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 25_000_000;
    budget.max_events = 100_000_000;
    budget.max_total_scalar_bytes = 1 << 30;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.strict_booleans = true;
    options.merge_keys = serde_saphyr::MergeKeyPolicy::AsOrdinary;
    options
}

fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    // The first line is the message, ending in " at line L, column C", which we show
    // ourselves.
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    let located = |rest: &str| {
        rest.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b',' || b == b' ')
    };
    let split = first
        .rfind(" at line ")
        .and_then(|i| Some((first.get(..i)?, first.get(i..)?.strip_prefix(" at line ")?)));
    match split {
        Some((message, rest)) if located(rest) => message.to_owned(),
        _ => first.to_owned(),
    }
}

/// Encode a value as JSON (pretty, with a final newline) or YAML; the error is the
/// serialiser's message.
pub(crate) fn encode<T: Serialize>(value: &T, format: Format) -> Result<String, String> {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
            s.push('\n');
            Ok(s)
        }
        Format::Yaml => serde_saphyr::to_string(value).map_err(|e| e.to_string()),
        Format::Terraform => Err(
            "a Terraform configuration is written by a dialect, not encoded from a value".into(),
        ),
    }
}

/// The top level of a document: what importers look at to tell its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TopLevel {
    /// An object with these keys, in order.
    Object(Vec<String>),
    /// An array.
    Array,
    /// Anything else (a string, a number, null).
    Scalar,
}

impl TopLevel {
    /// Whether the top level is an object with this key.
    pub(crate) fn has(&self, key: &str) -> bool {
        matches!(self, TopLevel::Object(keys) if keys.iter().any(|k| k == key))
    }
}

/// Read the top level of a document without keeping its values. It tells only the shape, so
/// YAML is not checked against the core schema here: the decode that reads the values is.
pub(crate) fn probe(text: &str, format: Format) -> Result<TopLevel, DecodeError> {
    if format == Format::Json
        && let Some(top) = scan::top_level(text)
    {
        return Ok(top);
    }
    decode_with::<Probe, _>(text, format, false, &mut |_: serde_ignored::Path<'_>| {}).map(|p| p.0)
}

/// The line and column (1-based) where the value at the JSON path `path` (`a.b[2].c`) starts
/// in a JSON text; `None` where the path is not there.
pub(crate) fn position(text: &str, path: &str) -> Option<(usize, usize)> {
    let offset = scan::value_at(text, path)?;
    let before = text.get(..offset)?;
    let line = before.matches('\n').count().saturating_add(1);
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count())
        .saturating_add(1);
    Some((line, column))
}

/// Every top-level key of Terraform's JSON documents: `terraform show -json` of a state or a
/// plan (<https://developer.hashicorp.com/terraform/internals/json-format>) and the state file
/// itself.
const TERRAFORM_KEYS: &[&str] = &[
    "format_version",
    "terraform_version",
    "values",
    "planned_values",
    "prior_state",
    "configuration",
    "resource_changes",
    "resource_drift",
    "relevant_attributes",
    "output_changes",
    "variables",
    "checks",
    "applyable",
    "complete",
    "errored",
    "timestamp",
    "version",
    "serial",
    "lineage",
    "outputs",
    "resources",
    "check_results",
];

/// Whether a JSON text is one of Terraform's documents, by its top-level keys (the probe's
/// scan: a few kilobytes of a long document), all of them keys Terraform writes.
fn terraform_json(text: &str) -> bool {
    let Some(TopLevel::Object(keys)) = scan::top_level(text) else {
        return false;
    };
    let has = |k: &str| keys.iter().any(|key| key == k);
    keys.iter().all(|k| TERRAFORM_KEYS.contains(&k.as_str()))
        && ((has("format_version") && (has("values") || has("planned_values")))
            || (has("version") && has("resources")))
}

/// Whether a text starts (after comments) with a Terraform configuration block:
/// `resource "...`, `terraform {`, ...
fn terraform_config(text: &str) -> bool {
    const BLOCKS: &[&str] = &[
        "resource",
        "data",
        "terraform",
        "provider",
        "variable",
        "locals",
        "module",
        "output",
        "import",
        "moved",
        "removed",
        "check",
    ];
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.starts_with('#') || rest.starts_with("//") {
            rest = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    let word = rest
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default();
    BLOCKS.contains(&word)
        && rest
            .get(word.len()..)
            .map(str::trim_start)
            .is_some_and(|after| after.starts_with('"') || after.starts_with('{'))
}

struct Probe(TopLevel);

impl<'de> serde::Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ProbeVisitor).map(Probe)
    }
}

struct ProbeVisitor;

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = TopLevel;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            keys.push(key);
        }
        Ok(TopLevel::Object(keys))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::Array)
    }
    fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_unit<E>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
    fn visit_none<E>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Scalar)
    }
}
