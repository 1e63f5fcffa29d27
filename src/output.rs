//! The converted document as text. Exporters serialise their typed wire shapes straight into
//! a [`Writer`] — no generic JSON tree in between — verification re-reads exactly these
//! bytes, and the command line writes them as they are.

use std::fmt;
use std::io;

use serde::Serialize;

use crate::error::Error;
use crate::format::{self, Format};

/// A converted document: pretty-printed JSON (two-space indent, a final newline), the bytes
/// `sgconv convert` writes.
///
/// ```
/// use sgconv::{convert, Options, ProviderId};
/// let v1 = r#"[{"direction": "egress", "ethertype": "IPv6", "protocol": "udp",
///              "port_range_min": 53, "port_range_max": 53}]"#;
/// let out = convert(v1, ProviderId::GcoreV1, ProviderId::GcoreV2, &Options::default()).unwrap();
/// assert!(out.output.as_json().starts_with("[\n  {\n    \"direction\": \"egress\""));
/// assert_eq!(out.output.to_value().unwrap()[0]["port_range_max"], 53);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    json: String,
}

impl Output {
    /// The document as pretty JSON text, ending in a newline.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// The text, owned.
    pub fn into_json(self) -> String {
        self.json
    }

    /// The document parsed into a `serde_json::Value`, to inspect or compare.
    pub fn to_value(&self) -> Result<serde_json::Value, Error> {
        serde_json::from_str(&self.json).map_err(|e| Error::Internal(e.to_string()))
    }

    /// The document as text in `format` (JSON as it is; YAML converted from it).
    pub fn render(&self, format: Format) -> Result<String, Error> {
        match format {
            Format::Json => Ok(self.json.clone()),
            Format::Yaml => format::encode(&self.to_value()?, format),
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.json)
    }
}

/// Serialises as the document it holds (so a converted document can sit inside another
/// value, a test snapshot say), not as a string.
impl Serialize for Output {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value()
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
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

    /// Write `items` as an array of objects, each written field by field by `write`, in the
    /// layout [`Writer::value`] gives the same objects. For the shape an exporter writes once
    /// per rule: serde_json escapes every field name and value it writes, which was most of an
    /// export. A test holds each such writer to [`Writer::value`] on the same wire struct.
    pub(crate) fn objects<T>(
        &mut self,
        items: &[T],
        mut write: impl FnMut(&T, &mut Object<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if items.is_empty() {
            self.raw("[]");
            return Ok(());
        }
        let item_indent = self.indent.saturating_add(2);
        self.buf.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            newline(&mut self.buf, item_indent);
            self.buf.push(b'{');
            let mut object = Object {
                buf: &mut self.buf,
                indent: item_indent.saturating_add(2),
                first: true,
            };
            write(item, &mut object)?;
            if !object.first {
                newline(&mut self.buf, item_indent);
            }
            self.buf.push(b'}');
        }
        newline(&mut self.buf, self.indent);
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
        Ok(Output { json })
    }
}

fn newline(buf: &mut Vec<u8>, indent: usize) {
    buf.push(b'\n');
    buf.resize(buf.len().saturating_add(indent), b' ');
}

/// The bytes a JSON string escapes (serde_json escapes exactly these: control characters,
/// `"` and `\\`).
// Built at compile time: an index out of range fails the build, not a run.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// One object of [`Writer::objects`], written a field at a time. Field names are the
/// exporter's own literals, written as they are.
pub(crate) struct Object<'a> {
    buf: &'a mut Vec<u8>,
    indent: usize,
    first: bool,
}

impl Object<'_> {
    fn key(&mut self, key: &'static str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        newline(self.buf, self.indent);
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\": ");
    }

    /// `"key": "value"`, the value escaped as serde_json escapes it.
    pub(crate) fn str(&mut self, key: &'static str, value: &str) -> Result<(), Error> {
        self.key(key);
        if value
            .bytes()
            .any(|b| ESCAPED.get(usize::from(b)).copied().unwrap_or(true))
        {
            return serde_json::to_writer(&mut *self.buf, value)
                .map_err(|e| Error::Internal(e.to_string()));
        }
        self.buf.push(b'"');
        self.buf.extend_from_slice(value.as_bytes());
        self.buf.push(b'"');
        Ok(())
    }

    /// `"key": "value"` when there is a value (a field serde skips when `None`).
    pub(crate) fn some_str(&mut self, key: &'static str, value: Option<&str>) -> Result<(), Error> {
        match value {
            Some(v) => self.str(key, v),
            None => Ok(()),
        }
    }

    /// `"key": "value"`, or `"key": null` when there is none.
    pub(crate) fn str_or_null(
        &mut self,
        key: &'static str,
        value: Option<&str>,
    ) -> Result<(), Error> {
        match value {
            Some(v) => self.str(key, v),
            None => {
                self.key(key);
                self.buf.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    /// `"key": n` when there is a number.
    pub(crate) fn some_u16(&mut self, key: &'static str, value: Option<u16>) {
        if let Some(n) = value {
            self.key(key);
            self.buf
                .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
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
