//! Terraform's configuration language (HCL, <https://github.com/hashicorp/hcl>): a small typed
//! tree that dialects build and read, written through `hcl-rs`'s formatter and read with its
//! parser. The only module that names the HCL crate.
//!
//! The formatter's layout is `terraform fmt`'s (two-space indent, a blank line around nested
//! blocks) except that it does not line up the `=` of consecutive attributes, which
//! `terraform fmt` does (`hclwrite`'s format, <https://github.com/hashicorp/hcl/blob/main/hclwrite/format.go>);
//! [`encode`] pads the keys of each run of attribute lines after formatting, and nothing
//! else. Collections are written on one line, so every attribute is one line.

use hcl::format::Format as _;
use hcl::{Expression, Identifier, ObjectKey, Traversal, TraversalOperator};

use super::DecodeError;
use crate::error::Location;

/// A value in a Terraform configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Number(i64),
    /// A string (escaped as HCL needs on writing: `"`, `\`, `${`, `%{`).
    String(String),
    /// A reference to another object's attribute, `gcore_cloud_security_group.web.id`: its
    /// parts (an index is written `[n]` after the part it follows: `web[0]`).
    Reference(Vec<String>),
    /// `[a, b]`.
    List(Vec<Value>),
    /// `{ "key" = value }`, keys in order.
    Map(Vec<(String, Value)>),
    /// An expression sgconv does not evaluate (a variable, a function call, a splat), as
    /// written: read only, never written.
    Unknown(String),
}

/// A block: `resource "type" "name" { ... }` or a nested `inbound_rule { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The block type (`resource`, `inbound_rule`).
    pub(crate) kind: String,
    /// Its labels.
    pub(crate) labels: Vec<String>,
    /// Attributes and nested blocks, in order.
    pub(crate) body: Vec<Item>,
}

/// One item of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// `key = value`.
    Attribute(String, Value),
    /// A nested block.
    Block(Block),
}

impl Block {
    /// A block with no labels and no body yet.
    pub(crate) fn new(kind: &str, labels: &[&str]) -> Block {
        Block {
            kind: kind.to_owned(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            body: Vec::new(),
        }
    }

    /// Add `key = value`.
    pub(crate) fn attribute(&mut self, key: &str, value: Value) -> &mut Block {
        self.body.push(Item::Attribute(key.to_owned(), value));
        self
    }

    /// Add `key = value` when there is a value.
    pub(crate) fn optional(&mut self, key: &str, value: Option<Value>) -> &mut Block {
        if let Some(value) = value {
            self.attribute(key, value);
        }
        self
    }

    /// Add a nested block.
    pub(crate) fn block(&mut self, block: Block) -> &mut Block {
        self.body.push(Item::Block(block));
        self
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<u16> for Value {
    fn from(n: u16) -> Value {
        Value::Number(i64::from(n))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

// ---------------------------------------------------------------------------------------
// Writing

/// The blocks as a configuration file in `terraform fmt`'s layout, ending in a newline.
pub(crate) fn encode(blocks: &[Block]) -> Result<String, String> {
    let mut body = hcl::Body::builder();
    for block in blocks {
        body = body.add_block(to_block(block)?);
    }
    let mut formatter = hcl::format::Formatter::builder()
        .compact_arrays(true)
        .compact_objects(true)
        .build_vec();
    let text = body
        .build()
        .format_string(&mut formatter)
        .map_err(|e| e.to_string())?;
    Ok(align_equals(&text))
}

fn identifier(name: &str) -> Result<Identifier, String> {
    Identifier::new(name).map_err(|e| format!("{name:?} is not an HCL identifier: {e}"))
}

fn to_block(block: &Block) -> Result<hcl::Block, String> {
    let mut out = hcl::Block::builder(identifier(&block.kind)?);
    for label in &block.labels {
        out = out.add_label(label.as_str());
    }
    for item in &block.body {
        out = match item {
            Item::Attribute(key, value) => {
                out.add_attribute(hcl::Attribute::new(identifier(key)?, expression(value)?))
            }
            Item::Block(inner) => out.add_block(to_block(inner)?),
        };
    }
    Ok(out.build())
}

fn expression(value: &Value) -> Result<Expression, String> {
    Ok(match value {
        Value::Null => Expression::Null,
        Value::Bool(b) => Expression::Bool(*b),
        Value::Number(n) => Expression::Number((*n).into()),
        Value::String(s) => Expression::String(s.clone()),
        Value::Reference(parts) => {
            let (first, rest) = parts
                .split_first()
                .ok_or_else(|| "an empty reference".to_owned())?;
            let root = hcl::Variable::new(first.as_str()).map_err(|e| e.to_string())?;
            let mut operators = Vec::with_capacity(rest.len());
            for part in rest {
                match part.split_once('[') {
                    Some((name, index)) => {
                        let n: u64 = index
                            .trim_end_matches(']')
                            .parse()
                            .map_err(|_| format!("bad index in reference part {part:?}"))?;
                        operators.push(TraversalOperator::GetAttr(identifier(name)?));
                        operators.push(TraversalOperator::Index(Expression::Number(n.into())));
                    }
                    None => operators.push(TraversalOperator::GetAttr(identifier(part)?)),
                }
            }
            Expression::Traversal(Box::new(Traversal::new(root, operators)))
        }
        Value::List(items) => {
            Expression::Array(items.iter().map(expression).collect::<Result<_, _>>()?)
        }
        Value::Map(entries) => {
            let mut object = hcl::Object::new();
            for (key, value) in entries {
                object.insert(
                    ObjectKey::Expression(Expression::String(key.clone())),
                    expression(value)?,
                );
            }
            Expression::Object(object)
        }
        Value::Unknown(text) => return Err(format!("cannot write the expression {text:?}")),
    })
}

/// Pad the keys of each run of consecutive attribute lines at one depth so their `=` line up,
/// as `terraform fmt` does. The formatter writes an attribute as `<indent><identifier> = ...`
/// on one line (collections are compact), and nothing else starts that way: a block line is
/// `<identifier> {` or `<identifier> "label" ... {`.
fn align_equals(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    // (indent, key length) of each attribute line.
    let keys: Vec<Option<(usize, usize)>> = lines.iter().map(|l| attribute_key(l)).collect();
    let mut out = String::with_capacity(text.len().saturating_add(text.len() / 8));
    let mut start = 0;
    while start < lines.len() {
        let Some(Some((indent, _))) = keys.get(start) else {
            if let Some(line) = lines.get(start) {
                out.push_str(line);
            }
            start = start.saturating_add(1);
            if start < lines.len() {
                out.push('\n');
            }
            continue;
        };
        let mut end = start;
        while matches!(keys.get(end), Some(Some((i, _))) if i == indent) {
            end = end.saturating_add(1);
        }
        let width = keys
            .get(start..end)
            .into_iter()
            .flatten()
            .flatten()
            .map(|(_, w)| *w)
            .max()
            .unwrap_or(0);
        for at in start..end {
            let (Some(line), Some(Some((indent, key)))) = (lines.get(at), keys.get(at)) else {
                continue;
            };
            let split = indent.saturating_add(*key);
            let (head, tail) = line.split_at(split.min(line.len()));
            out.push_str(head);
            out.extend(std::iter::repeat_n(' ', width.saturating_sub(*key)));
            out.push_str(tail);
            if at.saturating_add(1) < lines.len() {
                out.push('\n');
            }
        }
        start = end;
    }
    out
}

/// `(indent, key length)` when `line` is `<spaces><identifier> = ...`.
fn attribute_key(line: &str) -> Option<(usize, usize)> {
    let indent = line
        .len()
        .saturating_sub(line.trim_start_matches(' ').len());
    let rest = line.get(indent..)?;
    let key = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    let first = rest.bytes().next()?;
    (key > 0
        && (first.is_ascii_alphabetic() || first == b'_')
        && rest.get(key..)?.starts_with(" = "))
    .then_some((indent, key))
}

// ---------------------------------------------------------------------------------------
// Reading

/// The top-level blocks of a configuration file (top-level attributes are not Terraform and
/// are refused). Expressions other than literals and plain references are kept as
/// [`Value::Unknown`].
pub(crate) fn parse(text: &str) -> Result<Vec<Block>, DecodeError> {
    let body = hcl::parse(text).map_err(|e| match e {
        hcl::Error::Parse(p) => DecodeError {
            location: Location {
                path: ".".into(),
                line: p.location().line(),
                column: p.location().column(),
            },
            message: p.message().to_owned(),
        },
        other => DecodeError {
            location: Location {
                path: ".".into(),
                line: 1,
                column: 1,
            },
            message: other.to_string(),
        },
    })?;
    let mut blocks = Vec::new();
    for structure in body {
        match structure {
            hcl::Structure::Block(block) => blocks.push(from_block(block)),
            hcl::Structure::Attribute(attribute) => {
                return Err(DecodeError {
                    location: Location {
                        path: attribute.key.to_string(),
                        line: 1,
                        column: 1,
                    },
                    message: format!(
                        "a top-level attribute `{}` is not Terraform configuration (expected blocks: \
                         resource, provider, terraform, ...)",
                        attribute.key
                    ),
                });
            }
        }
    }
    Ok(blocks)
}

fn from_block(block: hcl::Block) -> Block {
    Block {
        kind: block.identifier.to_string(),
        labels: block.labels.iter().map(|l| l.as_str().to_owned()).collect(),
        body: block
            .body
            .into_iter()
            .map(|s| match s {
                hcl::Structure::Attribute(a) => {
                    Item::Attribute(a.key.to_string(), from_expression(a.expr))
                }
                hcl::Structure::Block(b) => Item::Block(from_block(b)),
            })
            .collect(),
    }
}

fn from_expression(expr: Expression) -> Value {
    match expr {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(b),
        Expression::Number(n) => match n.as_i64() {
            Some(n) => Value::Number(n),
            None => Value::Unknown(n.to_string()),
        },
        Expression::String(s) => Value::String(s),
        Expression::Array(items) => Value::List(items.into_iter().map(from_expression).collect()),
        Expression::Object(object) => {
            let mut entries = Vec::with_capacity(object.len());
            for (key, value) in object {
                let key = match key {
                    ObjectKey::Identifier(i) => i.to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s,
                    ObjectKey::Expression(other) => return Value::Unknown(written(&other)),
                    _ => return Value::Unknown(String::from("an object key")),
                };
                entries.push((key, from_expression(value)));
            }
            Value::Map(entries)
        }
        Expression::Parenthesis(inner) => from_expression(*inner),
        Expression::Traversal(traversal) => reference(&traversal)
            .unwrap_or_else(|| Value::Unknown(written(&Expression::Traversal(traversal)))),
        other => Value::Unknown(written(&other)),
    }
}

/// A traversal of names and literal indexes from a variable (`a.b[0].c`).
fn reference(traversal: &Traversal) -> Option<Value> {
    let Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    let mut parts = vec![root.to_string()];
    for operator in &traversal.operators {
        match operator {
            TraversalOperator::GetAttr(name) => parts.push(name.to_string()),
            TraversalOperator::Index(Expression::Number(n)) => {
                let last = parts.last_mut()?;
                last.push_str(&format!("[{n}]"));
            }
            TraversalOperator::LegacyIndex(n) => {
                let last = parts.last_mut()?;
                last.push_str(&format!("[{n}]"));
            }
            _ => return None,
        }
    }
    Some(Value::Reference(parts))
}

/// An expression as HCL text, for messages.
fn written(expr: &Expression) -> String {
    hcl::format::to_string(expr).unwrap_or_else(|_| String::from("an expression"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_line_up_within_runs() {
        let text = "resource \"a\" \"b\" {\n  name = \"x\"\n  description = \"y\"\n\n  rule {\n    port = 1\n    ip_range = \"a = b\"\n  }\n}\n";
        assert_eq!(
            align_equals(text),
            "resource \"a\" \"b\" {\n  name        = \"x\"\n  description = \"y\"\n\n  rule {\n    port     = 1\n    ip_range = \"a = b\"\n  }\n}\n"
        );
    }

    #[test]
    fn written_blocks_read_back() {
        let mut rule = Block::new("inbound_rule", &[]);
        rule.attribute("action", "accept".into())
            .attribute("port", 22u16.into());
        let mut group = Block::new("resource", &["scaleway_instance_security_group", "web"]);
        group
            .attribute("name", "we\"b ${x}".into())
            .attribute(
                "ref",
                Value::Reference(vec!["a".into(), "b[2]".into(), "id".into()]),
            )
            .attribute("tags", Value::List(vec!["t".into()]))
            .attribute("map", Value::Map(vec![("k-1".into(), "v".into())]))
            .block(rule);
        let text = encode(std::slice::from_ref(&group)).unwrap();
        assert_eq!(parse(&text).unwrap(), vec![group]);
    }

    #[test]
    fn other_expressions_are_unknown() {
        let blocks = parse("resource \"a\" \"b\" {\n  x = var.cidr\n  y = cidrsubnet(\"10.0.0.0/8\", 8, 1)\n  z = a.b[*].id\n}\n").unwrap();
        let [block] = blocks.as_slice() else { panic!() };
        assert_eq!(
            block.body[0],
            Item::Attribute(
                "x".into(),
                Value::Reference(vec!["var".into(), "cidr".into()])
            )
        );
        assert!(matches!(
            &block.body[1],
            Item::Attribute(_, Value::Unknown(_))
        ));
        assert!(matches!(
            &block.body[2],
            Item::Attribute(_, Value::Unknown(_))
        ));
    }
}
