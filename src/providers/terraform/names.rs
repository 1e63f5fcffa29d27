//! Resource names for a configuration: valid identifiers made from the group's name (or id)
//! and from what a rule matches, so the same document always gets the same names and adding a
//! rule renames no other; a name taken already gets `_2`, `_3`, ...
//!
//! An identifier is letters, digits, `_` and `-`, not starting with a digit or `-`
//! (<https://developer.hashicorp.com/terraform/language/syntax/configuration#identifiers>);
//! sgconv writes lower case with `_`.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use crate::codec::hcl::{Block, Value};
use crate::model::{Direction, Document, Family, Icmp, Protocol, Remote, Rule, SecurityGroup};
use crate::providers::write::RemoteFields;

/// The longest name made from text (a suffix may follow).
const MAX: usize = 48;

/// `text` as an identifier: lower case, runs of other characters as one `_`, no leading
/// digit; `fallback` when nothing is left.
pub(crate) fn identifier(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX));
    for c in text.chars() {
        if out.len() >= MAX {
            break;
        }
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_end_matches('_');
    match trimmed.chars().next() {
        None => fallback.to_owned(),
        Some(c) if c.is_ascii_digit() => format!("{fallback}_{trimmed}"),
        Some(_) => trimmed.to_owned(),
    }
}

/// The names taken in one file, per resource type.
#[derive(Default)]
pub(crate) struct Names {
    taken: BTreeSet<(String, String)>,
}

impl Names {
    /// `wanted`, or `wanted_2`, `wanted_3`, ... if a resource of `kind` has that name.
    pub(crate) fn unique(&mut self, kind: &str, wanted: &str) -> String {
        let mut name = wanted.to_owned();
        let mut n: u32 = 1;
        while self.taken.contains(&(kind.to_owned(), name.clone())) {
            n = n.saturating_add(1);
            name = format!("{wanted}_{n}");
        }
        self.taken.insert((kind.to_owned(), name.clone()));
        name
    }
}

/// The names of a document's groups as resources of `kind`, the names taken (rules' names
/// follow), and the references to them by group id.
pub(crate) fn group_names(doc: &Document, kind: &str) -> (Vec<String>, Names, GroupRefs) {
    let mut names = Names::default();
    let mut refs = GroupRefs::default();
    let list = doc
        .groups
        .iter()
        .map(|g| {
            let name = names.unique(kind, &group_stem(g));
            refs.insert(g.id.as_deref(), kind, &name);
            name
        })
        .collect();
    (list, names, refs)
}

/// A group's name: from its name, else its id, else `group`.
pub(crate) fn group_stem(group: &SecurityGroup) -> String {
    let text = group.name.as_deref().or(group.id.as_deref()).unwrap_or("");
    identifier(text, "group")
}

/// A rule's name after its group's: `<group>_<in|out>_<what>`, from its description if it
/// has one, else from what it matches (`web_in_tcp_22`, `web_out_all_v6`).
pub(crate) fn rule_stem(group: &str, rule: &Rule) -> String {
    let way = match rule.direction() {
        Direction::Ingress => "in",
        Direction::Egress => "out",
    };
    let what = match rule.description().map(|d| identifier(d, "")) {
        Some(d) if !d.is_empty() => d,
        _ => matched(rule),
    };
    identifier(&format!("{group}_{way}_{what}"), "rule")
}

fn matched(rule: &Rule) -> String {
    let mut parts: Vec<String> = Vec::new();
    match rule.protocol() {
        Protocol::Any => parts.push("all".into()),
        p => parts.push(p.name().map_or_else(|| p.to_string(), str::to_owned)),
    }
    if !rule.ports().is_any() {
        for r in rule.ports().ranges().iter().take(4) {
            if r.is_single() {
                parts.push(r.from().to_string());
            } else {
                parts.push(format!("{}_{}", r.from(), r.to()));
            }
        }
    }
    match rule.icmp() {
        Icmp::Any => {}
        Icmp::Type(t) => parts.push(format!("type_{t}")),
        Icmp::TypeCode(t, c) => parts.push(format!("type_{t}_{c}")),
    }
    if rule.action() == crate::model::Action::Deny {
        parts.push("deny".into());
    }
    if rule.family() == Family::V6 {
        parts.push("v6".into());
    }
    parts.join("_")
}

/// What each group of a document is called in the file, by its id, to write references
/// between groups as `<type>.<name>.id`.
#[derive(Default)]
pub(crate) struct GroupRefs {
    by_id: BTreeMap<String, (String, String)>,
}

impl GroupRefs {
    /// Group `id` is the resource `<kind>.<name>`.
    pub(crate) fn insert(&mut self, id: Option<&str>, kind: &str, name: &str) {
        if let Some(id) = id {
            self.by_id
                .entry(id.to_owned())
                .or_insert_with(|| (kind.to_owned(), name.to_owned()));
        }
    }

    /// The reference to the resource of group `id`, if the file has one.
    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        self.by_id
            .get(id)
            .map(|(kind, name)| Value::Reference(vec![kind.clone(), name.clone(), "id".into()]))
    }

    /// A rule's remote group: a reference to its resource in the file, or the id as written.
    pub(crate) fn remote(&self, remote: &Remote) -> Option<Value> {
        match remote {
            Remote::Group(id) => Some(self.get(id).unwrap_or_else(|| Value::String(id.clone()))),
            _ => None,
        }
    }

    /// A rule's remote as the attributes of a rule block that names it as Neutron does
    /// (`remote_ip_prefix`, `remote_group_id`, `remote_address_group_id`), the group a
    /// reference where the document writes it too.
    pub(crate) fn remote_attributes(&self, block: &mut Block, remote: &Remote) {
        let fields = RemoteFields::of(remote);
        block
            .optional(
                "remote_ip_prefix",
                fields.cidr.map(|c| c.0.to_string().into()),
            )
            .optional("remote_group_id", self.remote(remote))
            .optional(
                "remote_address_group_id",
                fields.address_group.map(Value::from),
            );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(
            identifier("Web Servers (prod)", "group"),
            "web_servers_prod"
        );
        assert_eq!(identifier("123", "group"), "group_123");
        assert_eq!(identifier("--", "group"), "group");
        assert_eq!(identifier("sg-0a1b", "group"), "sg_0a1b");
        let mut names = Names::default();
        assert_eq!(names.unique("t", "a"), "a");
        assert_eq!(names.unique("t", "a"), "a_2");
        assert_eq!(names.unique("u", "a"), "a");
    }
}
