//! Terraform in and out, shared by the dialects (it names none of them).
//!
//! In: `terraform show -json` of a state or a plan, a state file (`.tfstate`, version 4) or a
//! configuration file (`.tf`) becomes a list of [`Resource`]s (address, type, attribute
//! values, and the attributes whose values are not known: a plan's `after_unknown`, an
//! expression a configuration leaves to Terraform). Each dialect picks its resource types and
//! maps their attributes with its provider's conventions (its `terraform.rs`).
//!
//! Out: a dialect writes its resources as [`Block`]s; [`names`] makes their names, and
//! `crate::codec::hcl` writes the file.

mod config;
mod json;
pub(crate) mod names;

use serde_json::{Map, Value};

use super::{ImportOptions, Provider};
use crate::codec::hcl::{self, Block};
use crate::error::{Error, Location};
use crate::id::ProviderId;
use crate::model::{Document, SecurityGroup, Tag};
use crate::output::Output;
use crate::report::{Field, Kind, Report};

/// A rule block of a resource, with its path in the document.
pub(crate) type RuleBlock<'a> = (String, &'a Map<String, Value>);

/// A dialect's Terraform resources: their types, and how the dialect reads and writes them
/// (in its own `terraform.rs`).
#[derive(Clone, Copy)]
pub(crate) struct Terraform {
    /// The resource types the dialect reads and writes.
    pub(crate) types: &'static [&'static str],
    /// Read resources of those types into groups.
    pub(crate) read: fn(Vec<Resource>, &ImportOptions, &mut Report) -> Result<Document, Error>,
    /// Write a fitted document as resources (names and references from [`names`]).
    pub(crate) blocks: fn(&Document, &mut Report) -> Result<Vec<Block>, Error>,
}

/// What a dialect knows of the attributes of a rule resource or a rule block: those that
/// change what the rule matches and the others it reads or knows to say nothing about the
/// rule. Any other attribute that is set is reported unread.
#[derive(Clone, Copy)]
pub(crate) struct Attributes {
    /// The attributes that change what the rule matches: one whose value is not known leaves
    /// the rule unread (looked for in this order).
    pub(crate) meaning: &'static [&'static str],
    /// The others the dialect knows.
    pub(crate) other: &'static [&'static str],
}

/// What a dialect knows of a group resource's attributes: those it reads or knows to say
/// nothing about the rules, and those the model has no place for (each noted as not
/// carried). `id` and `timeouts`, which any resource may set and which say nothing about its
/// rules, are known to every dialect; any other attribute that is set is reported unread.
#[derive(Clone, Copy)]
pub(crate) struct GroupAttributes {
    /// The attributes the dialect reads or knows to say nothing about the rules.
    pub(crate) known: &'static [&'static str],
    /// The attributes noted as metadata, in this order.
    pub(crate) metadata: &'static [&'static str],
}

/// Attributes of any resource that say nothing about its rules: the resource's `id` and
/// its `timeouts` block (how long Terraform waits for an operation:
/// <https://developer.hashicorp.com/terraform/language/resources/syntax#operation-timeouts>).
const ANY_RESOURCE: [&str; 2] = ["id", "timeouts"];

impl Attributes {
    /// Whether the dialect knows `key`.
    pub(crate) fn knows(&self, key: &str) -> bool {
        self.meaning.contains(&key) || self.other.contains(&key)
    }
}

/// One resource instance read from Terraform.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resource {
    /// The dialect reading it (for errors).
    pub(crate) provider: ProviderId,
    /// Its address: `module.net.huaweicloud_networking_secgroup_rule.ssh[0]`.
    pub(crate) address: String,
    /// Where its attributes are in the input: a JSON path (`values.root_module.resources[3].values`)
    /// or, in a configuration file, the address.
    pub(crate) path: String,
    /// The resource type.
    pub(crate) kind: String,
    /// Known attribute values (nested blocks are lists of objects). A configuration's
    /// reference to a resource's `id` holds that resource's id (its address when it has none:
    /// see [`Resource::id`]).
    pub(crate) values: Map<String, Value>,
    /// Paths of the attributes whose values are not known (`group_id`,
    /// `inbound_rule[2].port`, or a whole block list `inbound_rule`).
    pub(crate) unknown: Vec<String>,
}

impl Resource {
    /// The resource's id: its `id` attribute, or its address where the id is not known yet
    /// (a plan's new resource, a configuration), which is what references to it hold.
    pub(crate) fn id(&self) -> String {
        self.values
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map_or_else(|| self.address.clone(), str::to_owned)
    }

    /// Whether the value at `path` (or a part of it) is not known.
    pub(crate) fn is_unknown(&self, path: &str) -> bool {
        self.unknown.iter().any(|u| {
            u == path
                || u.strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
                || path
                    .strip_prefix(u.as_str())
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        })
    }

    /// A string attribute (`None` when absent or null).
    pub(crate) fn str(&self, key: &str) -> Result<Option<&str>, Error> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.error(key, &format!("expected a string, found {other}"))),
        }
    }

    /// A boolean attribute.
    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            // A state of an older provider may hold booleans as strings.
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => Err(self.error(key, &format!("expected true or false, found {other}"))),
        }
    }

    /// The objects of a nested block list (`inbound_rule`), empty when absent.
    pub(crate) fn blocks(&self, key: &str) -> Result<Vec<&Map<String, Value>>, Error> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_object().ok_or_else(|| {
                        self.error(&format!("{key}[{i}]"), "expected a block (an object)")
                    })
                })
                .collect(),
            Some(_) => Err(self.error(key, "expected a list of blocks")),
        }
    }

    /// The error of an attribute that cannot be read.
    pub(crate) fn error(&self, path: &str, message: &str) -> Error {
        Error::Input {
            provider: self.provider,
            location: Location {
                path: format!("{}.{path}", self.path),
                line: 0,
                column: 0,
            },
            message: format!("{}: {message}", self.address),
        }
    }

    /// Record every attribute that is set (not null, not an empty string or list) and not in
    /// `known` (nor `id` or `timeouts`) as unread in group `group`: it may restrict or widen
    /// what the resource means.
    pub(crate) fn unread_keys(&self, known: &[&str], group: usize, report: &mut Report) {
        let known = |k: &str| known.contains(&k) || ANY_RESOURCE.contains(&k);
        self.unread_in(&self.values, "", known, group, report);
    }

    /// Check a group resource's attributes against what the dialect knows of them: the set
    /// ones it neither knows nor notes are reported unread, then the metadata ones noted.
    pub(crate) fn group_attributes(
        &self,
        keys: &GroupAttributes,
        group: usize,
        report: &mut Report,
    ) {
        let known = |k: &str| {
            keys.known.contains(&k) || keys.metadata.contains(&k) || ANY_RESOURCE.contains(&k)
        };
        self.unread_in(&self.values, "", known, group, report);
        self.metadata(keys.metadata, group, report);
    }

    /// Record every attribute of `values` (the resource's, or a block's at `at`, `key[i].`)
    /// that is set and not `known` as unread in group `group`.
    fn unread_in(
        &self,
        values: &Map<String, Value>,
        at: &str,
        known: impl Fn(&str) -> bool,
        group: usize,
        report: &mut Report,
    ) {
        for (key, value) in values {
            if !known(key) && is_set(value) {
                report.unread(group, format!("{}.{at}{key}", self.address));
            }
        }
    }

    /// The rule blocks of the list `key` that can be read, each with its path (`key[i]`),
    /// but those `skip` picks: a list whose value is not known is reported and none is read,
    /// and so is a block with an unknown value of one of `rule.meaning` (left out); a block's
    /// set attributes `rule` does not know are reported unread.
    pub(crate) fn rule_blocks(
        &self,
        key: &str,
        rule: &Attributes,
        skip: impl Fn(&Map<String, Value>) -> bool,
        group: usize,
        report: &mut Report,
    ) -> Result<Vec<RuleBlock<'_>>, Error> {
        if self.is_unknown(key) && self.blocks(key)?.is_empty() {
            self.unknown_entry(group, key, "its rules were not read", report);
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for (i, block) in self.blocks(key)?.into_iter().enumerate() {
            if skip(block) {
                continue;
            }
            let at = format!("{key}[{i}]");
            let unknown = (rule.meaning.iter()).find(|k| self.is_unknown(&format!("{at}.{k}")));
            if let Some(field) = unknown {
                let path = format!("{at}.{field}");
                self.unknown_entry(group, &path, "the rule was not read", report);
                continue;
            }
            self.unread_in(block, &format!("{at}."), |k| rule.knows(k), group, report);
            out.push((at, block));
        }
        Ok(out)
    }

    /// A map attribute's entries as tags (a value that is not a string: none).
    pub(crate) fn tags(&self, key: &str) -> Result<Vec<Tag>, Error> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(map)) => Ok(map
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.as_str().map(str::to_owned),
                })
                .collect()),
            Some(_) => Err(self.error(key, "expected a map of strings")),
        }
    }

    /// Record that the value at `path` is not known (a plan's `after_unknown`, an expression
    /// Terraform evaluates), so what it restricts is not known either.
    pub(crate) fn unknown_entry(&self, group: usize, path: &str, what: &str, report: &mut Report) {
        report.unknown(
            group,
            format!("{}.{path}", self.address),
            format!(
                "`{}.{path}` is not known until Terraform applies the configuration (a plan's \
                 after_unknown, or an expression sgconv does not evaluate); {what}",
                self.address
            ),
        );
    }

    /// Note a group-level attribute the model has no place for.
    fn metadata(&self, keys: &[&str], group: usize, report: &mut Report) {
        for key in keys {
            if let Some(value) = self.values.get(*key).filter(|v| is_set(v)) {
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                report.group(group).push(
                    Field::Wire((*key).to_owned().into()),
                    Kind::Metadata,
                    Some(text),
                    format!("{} {key} is not carried", self.address),
                );
            }
        }
    }
}

/// Whether a value says something: not null, not `""`, not an empty list or map.
pub(crate) fn is_set(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// A group of a dialect that writes one resource per group and one per rule: the group's
/// resource if the document has it, and its rule resources.
pub(crate) struct GroupRules<'a> {
    /// The group's id: its resource's, else the one its rules name.
    pub(crate) id: String,
    /// The group's resource.
    pub(crate) group: Option<&'a Resource>,
    /// Its rule resources, in document order.
    pub(crate) rules: Vec<&'a Resource>,
    /// The cloud ids of its rule resources (to tell the rules a group lists itself that no
    /// resource manages).
    pub(crate) managed: Vec<String>,
}

/// The groups of `resources`: the resources of `group_kind` in order, then one per other id
/// the rest (the rule resources) name in their attribute `key`, each with the rule resources
/// naming it. Rule attributes `rule` does not know are reported unread; a rule with an
/// unknown value of one of `rule.meaning` (its group included) is reported and left out.
pub(crate) fn group_rules<'a>(
    resources: &'a [Resource],
    group_kind: &str,
    key: &str,
    rule: &Attributes,
    report: &mut Report,
) -> Result<Vec<GroupRules<'a>>, Error> {
    let (groups, rules): (Vec<&Resource>, Vec<&Resource>) =
        resources.iter().partition(|r| r.kind == group_kind);
    let mut placed: Vec<GroupRules<'a>> = groups
        .into_iter()
        .map(|g| GroupRules {
            id: g.id(),
            group: Some(g),
            rules: Vec::new(),
            managed: Vec::new(),
        })
        .collect();
    for r in rules {
        let group_id = r.str(key)?.unwrap_or_default().to_owned();
        let gi = match placed.iter().position(|p| p.id == group_id) {
            Some(gi) => gi,
            None if !r.is_unknown(key) => {
                placed.push(GroupRules {
                    id: group_id,
                    group: None,
                    rules: Vec::new(),
                    managed: Vec::new(),
                });
                placed.len().saturating_sub(1)
            }
            None => 0,
        };
        r.unread_in(&r.values, "", |k| rule.knows(k), gi, report);
        if let Some(k) = rule.meaning.iter().find(|k| r.is_unknown(k)) {
            r.unknown_entry(gi, k, "the rule was not read", report);
            continue;
        }
        let id = r.str("id")?;
        if let Some(p) = placed.get_mut(gi) {
            p.managed.extend(id.map(str::to_owned));
            p.rules.push(r);
        }
    }
    Ok(placed)
}

/// The attributes of `values` named in `keys` that say something ([`is_set`]), each under its
/// API name (`(terraform name, API name)`), as the object a dialect's API reader takes.
pub(crate) fn api_object(values: &Map<String, Value>, keys: &[(&str, &str)]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|(from, to)| {
            let v = values.get(*from).filter(|v| is_set(v))?;
            Some(((*to).to_owned(), v.clone()))
        })
        .collect()
}

/// Read a Terraform document (JSON output of `terraform show -json`, a state file, or a
/// configuration file) with `provider`'s resource types.
pub(crate) fn import(
    provider: &dyn Provider,
    text: &str,
    options: &ImportOptions,
    report: &mut Report,
) -> Result<Document, Error> {
    let id = provider.id();
    let Some(terraform) = provider.dialect().terraform else {
        return Err(Error::Shape {
            provider: id,
            message: "this dialect has no Terraform resources".into(),
        });
    };
    let types = terraform.types;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let is_json = trimmed.starts_with('{');
    let resources = if is_json {
        json::resources(text, id)?
    } else {
        config::resources(text, id)?
    };
    let (mine, other): (Vec<Resource>, Vec<Resource>) = resources
        .into_iter()
        .partition(|r| types.contains(&r.kind.as_str()));
    if mine.is_empty() && !other.is_empty() {
        return Err(Error::Shape {
            provider: id,
            message: format!(
                "the Terraform document holds no {} resource, only {} of other types; is it \
                 another provider's?",
                types.join(" or "),
                other.len()
            ),
        });
    }
    if !other.is_empty() {
        let mut kinds: Vec<&str> = other.iter().map(|r| r.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        report.group(0).push(
            Field::Group,
            Kind::Note,
            Some(kinds.join(", ")),
            format!(
                "{} resource(s) of other types were not read (this dialect reads {})",
                other.len(),
                types.join(", ")
            ),
        );
    }
    let mut known = Vec::with_capacity(mine.len());
    for r in mine {
        match ["count", "for_each"].into_iter().find(|k| r.is_unknown(k)) {
            Some(key) => r.unknown_entry(
                0,
                key,
                "how many instances the resource has is not known, so none was read (read the \
                 plan or the state, where instances are numbered)",
                report,
            ),
            None => known.push(r),
        }
    }
    (terraform.read)(known, options, report).map_err(|e| match e {
        // An attribute's error names its JSON path: place it in the text.
        Error::Input {
            provider,
            location,
            message,
        } if is_json && location.line == 0 => {
            let path = location.path.trim_end_matches('.');
            let (line, column) = crate::codec::position(text, path).unwrap_or((0, 0));
            Error::Input {
                provider,
                location: Location {
                    path: path.to_owned(),
                    line,
                    column,
                },
                message,
            }
        }
        other => other,
    })
}

/// Write a fitted document as a Terraform configuration with `provider`'s resources.
pub(crate) fn export(
    provider: &dyn Provider,
    doc: &Document,
    report: &mut Report,
) -> Result<Output, Error> {
    let Some(terraform) = provider.dialect().terraform else {
        return Err(Error::Options(format!(
            "{} has no Terraform resources to write",
            provider.id()
        )));
    };
    let blocks = (terraform.blocks)(doc, report)?;
    let text = hcl::encode(&blocks).map_err(|e| Error::Internal(format!("terraform: {e}")))?;
    Ok(Output::terraform(text))
}

/// The `name` a schema requires: the group's, else the resource's name (noted).
pub(crate) fn required_name(
    group: &SecurityGroup,
    resource: &str,
    kind: &str,
    gi: usize,
    report: &mut Report,
) -> hcl::Value {
    let name = group.name.clone().unwrap_or_else(|| {
        report.group(gi).push(
            Field::Name,
            Kind::Note,
            Some(resource.to_owned()),
            format!("the group has no name, which {kind} requires: named after its resource"),
        );
        resource.to_owned()
    });
    name.into()
}

/// A group's tags as a map (a tag without a value maps to `""`); `None` without tags.
pub(crate) fn tag_map(group: &SecurityGroup) -> Option<hcl::Value> {
    (!group.tags.is_empty()).then(|| {
        hcl::Value::Map(
            group
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone().unwrap_or_default().into()))
                .collect(),
        )
    })
}

/// A `resource "<kind>" "<name>"` block, empty.
pub(crate) fn resource(kind: &str, name: &str) -> Block {
    Block::new("resource", &[kind, name])
}
