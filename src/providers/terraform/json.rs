//! Terraform's JSON documents: `terraform show -json` of a state (`values`) or a plan
//! (`planned_values`, with `resource_changes[].change.after_unknown` and the
//! `configuration`'s references), in the format documented at
//! <https://developer.hashicorp.com/terraform/internals/json-format> (OpenTofu writes the
//! same), and the state file itself (`.tfstate`, `version` 4: `resources[].instances[]`).
//! Data sources (`mode: "data"`) are not groups anyone manages here and are left out; unknown
//! object keys are ignored, as the format asks of readers of a newer minor version.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Resource;
use crate::codec::Format;
use crate::error::Error;
use crate::id::ProviderId;
use crate::providers::read;

#[derive(Deserialize)]
struct Document {
    format_version: Option<String>,
    values: Option<Values>,
    planned_values: Option<Values>,
    #[serde(default)]
    resource_changes: Vec<ResourceChange>,
    configuration: Option<Configuration>,
    // The state file.
    version: Option<Value>,
    #[serde(default)]
    resources: Vec<StateResource>,
}

#[derive(Deserialize)]
struct Values {
    root_module: Option<Module>,
}

#[derive(Deserialize)]
struct Module {
    #[serde(default)]
    resources: Vec<ShowResource>,
    #[serde(default)]
    child_modules: Vec<Module>,
}

#[derive(Deserialize)]
struct ShowResource {
    address: String,
    mode: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    values: Map<String, Value>,
}

#[derive(Deserialize)]
struct ResourceChange {
    address: String,
    change: Change,
}

#[derive(Deserialize)]
struct Change {
    after_unknown: Option<Value>,
}

#[derive(Deserialize)]
struct Configuration {
    root_module: Option<ConfigModule>,
}

#[derive(Deserialize)]
struct ConfigModule {
    #[serde(default)]
    resources: Vec<ConfigResource>,
    #[serde(default)]
    module_calls: BTreeMap<String, ModuleCall>,
}

#[derive(Deserialize)]
struct ModuleCall {
    module: Option<ConfigModule>,
}

#[derive(Deserialize)]
struct ConfigResource {
    address: String,
    #[serde(default)]
    expressions: Map<String, Value>,
}

#[derive(Deserialize)]
struct StateResource {
    module: Option<String>,
    mode: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    instances: Vec<Instance>,
}

#[derive(Deserialize)]
struct Instance {
    index_key: Option<Value>,
    #[serde(default)]
    attributes: Map<String, Value>,
}

fn shape(provider: ProviderId, message: String) -> Error {
    Error::Shape { provider, message }
}

/// The managed resources of a Terraform JSON document, in document order (root module
/// first, then each child module, depth first).
pub(super) fn resources(text: &str, provider: ProviderId) -> Result<Vec<Resource>, Error> {
    let doc: Document = read::decode_quiet(text, Format::Json, provider)?;
    if let Some(version) = &doc.format_version {
        // "reject any input which reports an unsupported major version"
        if version.split('.').next() != Some("1") {
            return Err(shape(
                provider,
                format!("format_version {version:?}: sgconv reads Terraform's JSON format 1.x"),
            ));
        }
        let (values, root) = match (&doc.values, &doc.planned_values) {
            (Some(v), _) => (v, "values"),
            (None, Some(v)) => (v, "planned_values"),
            (None, None) => {
                return Err(shape(
                    provider,
                    "a `terraform show -json` document without `values` (a state) or \
                     `planned_values` (a plan)"
                        .into(),
                ));
            }
        };
        let mut out = Vec::new();
        if let Some(module) = &values.root_module {
            walk(module, &format!("{root}.root_module"), provider, &mut out);
        }
        if root == "planned_values" {
            mark_unknowns(&mut out, &doc.resource_changes);
            if let Some(config) = doc
                .configuration
                .as_ref()
                .and_then(|c| c.root_module.as_ref())
            {
                resolve_references(&mut out, config);
            }
        }
        return Ok(out);
    }
    match doc.version.as_ref().and_then(Value::as_u64) {
        Some(4) => Ok(state_file(doc.resources, provider)),
        Some(v) => Err(shape(
            provider,
            format!(
                "a state file of version {v}: sgconv reads version 4 (Terraform 0.12 and later)"
            ),
        )),
        None => Err(shape(
            provider,
            "not a Terraform JSON document: expected `terraform show -json` output \
             ({\"format_version\", \"values\" | \"planned_values\"}) or a state file \
             ({\"version\": 4, \"resources\"})"
                .into(),
        )),
    }
}

fn walk(module: &Module, path: &str, provider: ProviderId, out: &mut Vec<Resource>) {
    for (i, r) in module.resources.iter().enumerate() {
        if r.mode.as_deref() == Some("data") {
            continue;
        }
        out.push(Resource {
            provider,
            address: r.address.clone(),
            path: format!("{path}.resources[{i}].values"),
            kind: r.kind.clone(),
            values: r.values.clone(),
            unknown: Vec::new(),
        });
    }
    for (i, child) in module.child_modules.iter().enumerate() {
        walk(child, &format!("{path}.child_modules[{i}]"), provider, out);
    }
}

fn state_file(resources: Vec<StateResource>, provider: ProviderId) -> Vec<Resource> {
    let mut out = Vec::new();
    for (i, r) in resources.into_iter().enumerate() {
        if r.mode.as_deref() == Some("data") {
            continue;
        }
        let prefix = r.module.map(|m| format!("{m}.")).unwrap_or_default();
        for (j, instance) in r.instances.into_iter().enumerate() {
            let index = match &instance.index_key {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(key)) => format!("[{}]", Value::String(key.clone())),
                Some(other) => format!("[{other}]"),
            };
            out.push(Resource {
                provider,
                address: format!("{prefix}{}.{}{index}", r.kind, r.name),
                path: format!("resources[{i}].instances[{j}].attributes"),
                kind: r.kind.clone(),
                values: instance.attributes,
                unknown: Vec::new(),
            });
        }
    }
    out
}

/// Each planned resource's unknown attributes, from its change's `after_unknown` (`true` where
/// a value is unknown, nested like the value).
fn mark_unknowns(resources: &mut [Resource], changes: &[ResourceChange]) {
    let by_address: BTreeMap<&str, &Value> = changes
        .iter()
        .filter_map(|c| Some((c.address.as_str(), c.change.after_unknown.as_ref()?)))
        .collect();
    for r in resources {
        if let Some(unknown) = by_address.get(r.address.as_str()) {
            paths(unknown, "", &mut r.unknown);
        }
    }
}

fn paths(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Bool(true) if !at.is_empty() => out.push(at.to_owned()),
        Value::Object(map) => {
            for (key, v) in map {
                let here = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                paths(v, &here, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                paths(v, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// A plan knows no id of a resource it creates, so a new rule's group (`group_id = x.web.id`)
/// is unknown too; the plan's `configuration` says which resource the expression refers to.
/// Each unknown top-level string attribute whose expression refers to exactly one resource's
/// `id` in the same module gets that resource's id (its address, while unknown: see
/// [`Resource::id`]), and is known from then on. A reference through `count.index` or
/// `each.key` names no single instance and stays unknown.
fn resolve_references(resources: &mut [Resource], root: &ConfigModule) {
    let mut config: BTreeMap<String, &ConfigResource> = BTreeMap::new();
    collect_config(root, "", &mut config);
    let ids: BTreeMap<String, String> = resources
        .iter()
        .map(|r| (r.address.clone(), r.id()))
        .collect();
    for r in resources.iter_mut() {
        let module = module_of(&r.address);
        let Some(cr) = config.get(&format!(
            "{}{}",
            strip_indexes(module),
            config_name(&r.address)
        )) else {
            continue;
        };
        let unknown = std::mem::take(&mut r.unknown);
        for path in unknown {
            let target = cr
                .expressions
                .get(&path)
                .and_then(|e| e.get("references"))
                .and_then(Value::as_array)
                .and_then(|refs| single_id_reference(refs))
                .map(|target| format!("{module}{target}"))
                .and_then(|address| ids.get(&address));
            match target {
                Some(id) => {
                    r.values.insert(path, Value::String(id.clone()));
                }
                None => r.unknown.push(path),
            }
        }
    }
}

fn collect_config<'a>(
    module: &'a ConfigModule,
    prefix: &str,
    out: &mut BTreeMap<String, &'a ConfigResource>,
) {
    for r in &module.resources {
        out.insert(format!("{prefix}{}", r.address), r);
    }
    for (name, call) in &module.module_calls {
        if let Some(m) = &call.module {
            collect_config(m, &format!("{prefix}module.{name}."), out);
        }
    }
}

/// `module.a[0].module.b.` of `module.a[0].module.b.type.name[1]` (empty in the root).
fn module_of(address: &str) -> &str {
    let mut end: usize = 0;
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        // the module's name (and index) runs to the next '.' outside brackets
        let mut depth = 0usize;
        let mut len = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '[' => depth = depth.saturating_add(1),
                ']' => depth = depth.saturating_sub(1),
                '.' if depth == 0 => {
                    len = i;
                    break;
                }
                _ => {}
            }
        }
        let step = "module.".len().saturating_add(len).saturating_add(1);
        end = end.saturating_add(step).min(address.len());
        rest = address.get(end..).unwrap_or_default();
    }
    address.get(..end).unwrap_or_default()
}

/// `type.name` of an address, without its module and index.
fn config_name(address: &str) -> String {
    strip_indexes(address.get(module_of(address).len()..).unwrap_or_default())
}

fn strip_indexes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' => depth = depth.saturating_add(1),
            ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `type.name` (with a literal index) whose `id` a reference list names, if exactly one.
fn single_id_reference(references: &[Value]) -> Option<String> {
    let mut found: Option<String> = None;
    for r in references.iter().filter_map(Value::as_str) {
        let Some(target) = r.strip_suffix(".id") else {
            continue;
        };
        if target.starts_with("var.")
            || target.starts_with("local.")
            || target.starts_with("data.")
            || target.starts_with("module.")
            || target.split('.').count() != 2
        {
            return None;
        }
        match &found {
            Some(f) if f != target => return None,
            _ => found = Some(target.to_owned()),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_prefixes() {
        assert_eq!(module_of("a.b"), "");
        assert_eq!(module_of("module.x.a.b[0]"), "module.x.");
        assert_eq!(
            module_of("module.x[\"k.1\"].module.y.a.b"),
            "module.x[\"k.1\"].module.y."
        );
        assert_eq!(config_name("module.x[0].a.b[2]"), "a.b");
    }
}
