//! The converted document as text. Exporters serialise their typed wire shapes straight into
//! a [`Writer`] — no generic JSON tree in between — verification re-reads exactly these
//! bytes, and the command line writes them as they are.

use std::fmt;
use std::io;

use serde::Serialize;

use crate::codec::{self, Format};
use crate::error::Error;

/// A converted document: pretty-printed JSON (two-space indent, a final newline), the bytes
/// `sgconv convert` writes; or, exported with `ExportOptions::terraform`, a Terraform
/// configuration file ([`Output::format`] is then [`Format::Terraform`]).
///
/// ```
/// use sgconv::{convert, Options, ProviderId};
/// let v1 = r#"[{"direction": "egress", "ethertype": "IPv6", "protocol": "udp",
///              "port_range_min": 53, "port_range_max": 53}]"#;
/// let out = convert(v1, ProviderId::GcoreV1, ProviderId::GcoreV2, &Options::default()).unwrap();
/// assert!(out.output().unwrap().as_json().starts_with("[\n  {\n    \"direction\": \"egress\""));
/// assert_eq!(out.output().unwrap().to_value().unwrap()[0]["port_range_max"], 53);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    json: String,
    format: Format,
}

impl Output {
    /// A Terraform configuration file.
    pub(crate) fn terraform(text: String) -> Output {
        Output {
            json: text,
            format: Format::Terraform,
        }
    }

    /// What the text is: [`Format::Json`], or [`Format::Terraform`] for a configuration file.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The document's text, ending in a newline: pretty JSON, or the Terraform configuration.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// The document's text, whatever its format (the same as [`Output::as_json`]).
    pub fn text(&self) -> &str {
        &self.json
    }

    /// The text, owned.
    pub fn into_json(self) -> String {
        self.json
    }

    /// The document parsed into a `serde_json::Value`, to inspect or compare (an error for a
    /// Terraform configuration, which is not JSON).
    pub fn to_value(&self) -> Result<serde_json::Value, Error> {
        if self.format == Format::Terraform {
            return Err(Error::Internal(
                "a Terraform configuration is not a JSON value".into(),
            ));
        }
        serde_json::from_str(&self.json).map_err(|e| Error::Internal(e.to_string()))
    }

    /// The document as text in `format` (JSON as it is; YAML converted from it, keys in
    /// the same order). A Terraform configuration is only itself.
    pub fn render(&self, format: Format) -> Result<String, Error> {
        match (self.format, format) {
            (Format::Terraform, Format::Terraform) => Ok(self.json.clone()),
            (Format::Terraform, _) => Err(Error::Internal(format!(
                "a Terraform configuration cannot be rendered as {format}"
            ))),
            (_, Format::Terraform) => Err(Error::Internal(
                "Terraform output is written by the exporter (ExportOptions::terraform), not \
                 rendered from JSON"
                    .into(),
            )),
            (_, Format::Yaml) => codec::encode(self, format).map_err(Error::Internal),
            _ => Ok(self.json.clone()),
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.json)
    }
}

/// Serialises as the document it holds, keys in their order (so a converted document can sit
/// inside another value, a test snapshot say), not as a string. Transcoded from the text:
/// no `serde_json::Value` (whose maps would sort the keys without serde_json's
/// `preserve_order`, which sgconv does not switch on for the programs that link it). A
/// Terraform configuration serialises as its text.
impl Serialize for Output {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.format == Format::Terraform {
            return s.serialize_str(&self.json);
        }
        let mut de = serde_json::Deserializer::from_str(&self.json);
        serde_transcode::transcode(&mut de, s)
    }
}

impl AsRef<str> for Output {
    fn as_ref(&self) -> &str {
        &self.json
    }
}

/// Where an exporter writes its document: pretty JSON, nested at the current depth (a group
/// inside sgconv's multi-group envelope is indented under it).
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
    indent: usize,
}

impl Writer {
    /// An empty writer at the top level.
    pub(crate) fn new() -> Writer {
        Writer::default()
    }

    /// Serialise `value` as pretty JSON at the current depth.
    pub fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let result = if self.indent == 0 {
            value.serialize(&mut serde_json::Serializer::pretty(&mut self.buf))
        } else {
            let sink = Indented {
                buf: &mut self.buf,
                indent: self.indent,
            };
            value.serialize(&mut serde_json::Serializer::pretty(sink))
        };
        result.map_err(|e| Error::Internal(e.to_string()))
    }

    /// [`Writer::value`] for a long list, with room for it reserved first, judged from its
    /// first items: grown by doubling, the text of a million rules was copied at each step
    /// and held twice at the last one (128 and 256 MB at once for 166 MB of Gcore bodies).
    pub(crate) fn list<T: Serialize>(&mut self, items: &[T]) -> Result<(), Error> {
        if let Some(sample) = items.get(..SAMPLE)
            && items.len() > SAMPLE
        {
            let mut counted = Counted(0);
            sample
                .serialize(&mut serde_json::Serializer::pretty(&mut counted))
                .map_err(|e| Error::Internal(e.to_string()))?;
            self.buf.reserve(room(counted.0, SAMPLE, items.len()));
        }
        self.value(items)
    }

    /// A list of objects as [`Writer::list`] writes their serialisations, each written field
    /// by field by `write` straight as text: no serialiser between (its key escaping and
    /// indentation writes were a tenth of a conversion's instructions for Gcore bodies).
    /// Room for the rest is reserved from the first items, as [`Writer::list`] does.
    pub(crate) fn objects<T>(
        &mut self,
        items: &[T],
        mut write: impl FnMut(&T, &mut Fields<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if items.is_empty() {
            self.raw("[]");
            return Ok(());
        }
        let base = self.indent;
        let item_pad = base.saturating_add(2);
        self.buf.push(b'[');
        let start = self.buf.len();
        for (i, item) in items.iter().enumerate() {
            if i == SAMPLE {
                let sampled = self.buf.len().saturating_sub(start);
                self.buf
                    .reserve(room(sampled, SAMPLE, items.len().saturating_sub(SAMPLE)));
            }
            line(&mut self.buf, i > 0, item_pad);
            self.buf.push(b'{');
            let mut fields = Fields {
                buf: &mut self.buf,
                pad: item_pad.saturating_add(2),
                empty: true,
            };
            write(item, &mut fields)?;
            if !fields.empty {
                line(&mut self.buf, false, item_pad);
            }
            self.buf.push(b'}');
        }
        line(&mut self.buf, false, base);
        self.buf.push(b']');
        Ok(())
    }

    /// Write JSON punctuation or layout as it is.
    pub(crate) fn raw(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
    }

    /// Run `write` with everything it writes nested `by` more spaces deep.
    pub(crate) fn nested<R>(&mut self, by: usize, write: impl FnOnce(&mut Writer) -> R) -> R {
        let outer = self.indent;
        self.indent = outer.saturating_add(by);
        let result = write(self);
        self.indent = outer;
        result
    }

    /// The finished document (a final newline added).
    pub(crate) fn finish(mut self) -> Result<Output, Error> {
        self.buf.push(b'\n');
        let json = String::from_utf8(self.buf).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(Output {
            json,
            format: Format::Json,
        })
    }
}

/// The fields of one object of [`Writer::objects`], written as serde_json's pretty
/// printer writes them.
pub(crate) struct Fields<'a> {
    buf: &'a mut Vec<u8>,
    /// The spaces before each field.
    pad: usize,
    /// No field written yet.
    empty: bool,
}

impl Fields<'_> {
    /// Start the field `key` (a name JSON does not escape): its line and its name.
    fn key(&mut self, key: &'static str) {
        debug_assert!(!needs_escape(key.as_bytes()), "{key}");
        line(self.buf, !self.empty, self.pad);
        self.empty = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\": ");
    }
}

/// Where an object's fields go, one at a time in order: the text of [`Writer::objects`]
/// ([`Fields`]), or a serde struct ([`SerdeFields`]). An object written field by field for
/// speed defines its fields once, in one function generic over this, and its `Serialize`
/// calls the same function: one definition of its wire shape.
pub(crate) trait FieldSink {
    /// What a field can fail with (nothing, for text).
    type Error;
    /// A string field.
    fn str(&mut self, key: &'static str, value: &str) -> Result<(), Self::Error>;
    /// A number field.
    fn number(&mut self, key: &'static str, value: u16) -> Result<(), Self::Error>;
    /// A `null` field.
    fn null(&mut self, key: &'static str) -> Result<(), Self::Error>;
}

impl FieldSink for Fields<'_> {
    type Error = std::convert::Infallible;

    fn str(&mut self, key: &'static str, value: &str) -> Result<(), Self::Error> {
        self.key(key);
        string(self.buf, value);
        Ok(())
    }

    fn number(&mut self, key: &'static str, value: u16) -> Result<(), Self::Error> {
        self.key(key);
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        Ok(())
    }

    fn null(&mut self, key: &'static str) -> Result<(), Self::Error> {
        self.key(key);
        self.buf.extend_from_slice(b"null");
        Ok(())
    }
}

/// A serde struct's fields as a [`FieldSink`], for a `Serialize` written through the same
/// field function as the text.
pub(crate) struct SerdeFields<S>(pub(crate) S);

impl<S: serde::ser::SerializeStruct> FieldSink for SerdeFields<S> {
    type Error = S::Error;

    fn str(&mut self, key: &'static str, value: &str) -> Result<(), Self::Error> {
        self.0.serialize_field(key, value)
    }

    fn number(&mut self, key: &'static str, value: u16) -> Result<(), Self::Error> {
        self.0.serialize_field(key, &value)
    }

    fn null(&mut self, key: &'static str) -> Result<(), Self::Error> {
        self.0.serialize_field(key, &())
    }
}

/// A line break (after a comma when `comma`) and `pad` spaces, in one copy when the line
/// is not deeper than [`LINE`] holds.
fn line(buf: &mut Vec<u8>, comma: bool, pad: usize) {
    let from = usize::from(!comma);
    match LINE.get(from..pad.saturating_add(2)) {
        Some(line) => buf.extend_from_slice(line),
        None => {
            buf.extend_from_slice(LINE.get(from..2).unwrap_or_default());
            buf.resize(buf.len().saturating_add(pad), b' ');
        }
    }
}

/// A comma, a line break and the spaces of the deepest line most documents have.
const LINE: &[u8] = b",\n                                ";

/// Whether JSON escapes a byte of `bytes` (`"`, `\\`, a control character), every byte
/// looked at (no early exit, which lets the compiler test several at once).
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// A JSON string: as it is where nothing in it needs escaping (most values), else escaped
/// by serde_json itself, so the text is what its serialiser writes.
fn string(buf: &mut Vec<u8>, text: &str) {
    if needs_escape(text.as_bytes()) {
        // Writing into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *buf, text);
    } else {
        buf.push(b'"');
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'"');
    }
}

/// How many items of a long list are written (or measured) before room for the rest is
/// reserved.
const SAMPLE: usize = 64;

/// Room for `rest` more items of a list whose first `sample` took `bytes`: an eighth more
/// than their average, for items longer than the first ones and for nesting.
fn room(bytes: usize, sample: usize, rest: usize) -> usize {
    let per_item = bytes.checked_div(sample).unwrap_or(0);
    per_item.saturating_add(per_item / 8).saturating_mul(rest)
}

/// A sink that only counts the bytes written to it.
struct Counted(usize);

impl io::Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 = self.0.saturating_add(bytes.len());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Bytes of pretty JSON, with `indent` spaces after every line break. Pretty JSON has line
/// breaks only between tokens (a string holds `\n` escaped), so this nests a document exactly.
struct Indented<'a> {
    buf: &'a mut Vec<u8>,
    indent: usize,
}

impl io::Write for Indented<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut lines = bytes.split(|&b| b == b'\n');
        if let Some(first) = lines.next() {
            self.buf.extend_from_slice(first);
        }
        for line in lines {
            self.buf.push(b'\n');
            self.buf
                .resize(self.buf.len().saturating_add(self.indent), b' ');
            self.buf.extend_from_slice(line);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
