//! A Terraform configuration file (`.tf`): its `resource` blocks, with literal values and
//! references to the `id` of other resources of the same file. Anything Terraform would have
//! to evaluate (a variable, a function call, a `dynamic` block, `count`/`for_each`) is
//! unknown: sgconv does not guess what it will be.

use std::collections::BTreeSet;

use serde_json::{Map, Number, Value};

use super::Resource;
use crate::codec::hcl::{self, Block, Item};
use crate::error::Error;
use crate::id::ProviderId;
use crate::providers::read;

/// Meta-arguments that are not the resource's attributes.
const META: &[&str] = &[
    "depends_on",
    "provider",
    "lifecycle",
    "provisioner",
    "connection",
];

/// The resources of a configuration file, in file order.
pub(super) fn resources(text: &str, provider: ProviderId) -> Result<Vec<Resource>, Error> {
    let blocks = hcl::parse(text).map_err(|e| read::input_error(provider, e))?;
    let declared: BTreeSet<String> = blocks
        .iter()
        .filter(|b| b.kind == "resource")
        .filter_map(|b| match b.labels.as_slice() {
            [kind, name] => Some(format!("{kind}.{name}")),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for block in blocks.into_iter().filter(|b| b.kind == "resource") {
        let [kind, name] = block.labels.as_slice() else {
            return Err(Error::Shape {
                provider,
                message: format!(
                    "a resource block with {} label(s); Terraform's have two (type and name)",
                    block.labels.len()
                ),
            });
        };
        let address = format!("{kind}.{name}");
        let mut resource = Resource {
            provider,
            address: address.clone(),
            path: address,
            kind: kind.clone(),
            values: Map::new(),
            unknown: Vec::new(),
        };
        body(&block, &declared, &mut resource);
        out.push(resource);
    }
    Ok(out)
}

/// Read a block's body into `resource` (a nested block's into a list of objects under its
/// type, its unknown paths under `type[index].`).
fn body(block: &Block, declared: &BTreeSet<String>, resource: &mut Resource) {
    let mut nested: Vec<(String, Map<String, Value>)> = Vec::new();
    for item in &block.body {
        match item {
            Item::Attribute(key, _) if META.contains(&key.as_str()) => {}
            Item::Attribute(key, value) => match literal(value, declared) {
                // `count`/`for_each`: instances sgconv cannot number, so they are unknown.
                Some(v) if !matches!(key.as_str(), "count" | "for_each") => {
                    resource.values.insert(key.clone(), v);
                }
                _ => resource.unknown.push(key.clone()),
            },
            Item::Block(inner) if META.contains(&inner.kind.as_str()) => {}
            Item::Block(inner) if inner.kind == "dynamic" => {
                resource
                    .unknown
                    .push(inner.labels.first().cloned().unwrap_or_default());
            }
            Item::Block(inner) => {
                let index = nested.iter().filter(|(k, _)| *k == inner.kind).count();
                let mut child = Resource {
                    provider: resource.provider,
                    address: resource.address.clone(),
                    path: resource.path.clone(),
                    kind: resource.kind.clone(),
                    values: Map::new(),
                    unknown: Vec::new(),
                };
                body(inner, declared, &mut child);
                let at = format!("{}[{index}]", inner.kind);
                resource
                    .unknown
                    .extend(child.unknown.into_iter().map(|u| format!("{at}.{u}")));
                nested.push((inner.kind.clone(), child.values));
            }
        }
    }
    for (kind, values) in nested {
        let list = resource
            .values
            .entry(kind)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.push(Value::Object(values));
        }
    }
}

/// A value sgconv can know without Terraform: a literal, or a reference to the `id` of a
/// resource of the file (which reads as that resource's address, its id until it exists).
fn literal(value: &hcl::Value, declared: &BTreeSet<String>) -> Option<Value> {
    Some(match value {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(*b),
        hcl::Value::Number(n) => Value::Number(Number::from(*n)),
        hcl::Value::String(s) => Value::String(s.clone()),
        hcl::Value::List(items) => Value::Array(
            items
                .iter()
                .map(|v| literal(v, declared))
                .collect::<Option<_>>()?,
        ),
        hcl::Value::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                map.insert(k.clone(), literal(v, declared)?);
            }
            Value::Object(map)
        }
        hcl::Value::Reference(parts) => match parts.as_slice() {
            [kind, name, id] if id == "id" && declared.contains(&format!("{kind}.{name}")) => {
                Value::String(format!("{kind}.{name}"))
            }
            _ => return None,
        },
        hcl::Value::Unknown(_) => return None,
    })
}
