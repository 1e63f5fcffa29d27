//! The dialect's requests of each group, as the plan's ordered steps: every check first (so
//! that nothing is created when one fails), then every create, then per group the removal of
//! what it is born with and its rules. Each step comes after every step binding a name it
//! uses.

use std::collections::{BTreeMap, BTreeSet};

use super::{PlannedGroup, Step};
use crate::caps::Capabilities;
use crate::model::Document;
use crate::providers::plan::{Born, GroupRequests, Request};
use serde_json::Value;

/// The plan's groups and steps.
pub(super) fn steps(
    doc: &Document,
    names: &[String],
    requests: Vec<GroupRequests>,
    caps: &Capabilities,
) -> (Vec<PlannedGroup>, Vec<Step>) {
    let mut groups = Vec::with_capacity(requests.len());
    let mut checks = Vec::new();
    let mut creates = Vec::with_capacity(requests.len());
    let mut rest = Vec::new();
    for (gi, (made, source)) in requests.into_iter().zip(&doc.groups).enumerate() {
        let n = gi.saturating_add(1);
        groups.push(PlannedGroup {
            source_id: source.id.clone(),
            name: names.get(gi).cloned().unwrap_or_default(),
            bind: format!("group_{n}"),
            born_with: born_with(caps, &made.born, n),
        });
        if let Some(check) = made.check {
            checks.push((format!("check-group-{n}"), check, Vec::new()));
        }
        creates.push((format!("create-group-{n}"), made.create, Vec::new()));
        // The born-with rules go first, so that the group never holds them beside its own.
        let deletes: Vec<(String, Request)> = match made.born {
            Born::Deleted(requests) => requests
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        format!("group-{n}-delete-default-{}", i.saturating_add(1)),
                        r,
                    )
                })
                .collect(),
            Born::Nothing | Born::Avoided => Vec::new(),
        };
        let first: Vec<String> = deletes.iter().map(|(id, _)| id.clone()).collect();
        rest.extend(deletes.into_iter().map(|(id, r)| (id, r, Vec::new())));
        let rules = made.rules.into_iter().enumerate();
        rest.extend(rules.map(|(i, r)| {
            (
                format!("group-{n}-rules-{}", i.saturating_add(1)),
                r,
                first.clone(),
            )
        }));
    }
    let mut binder: BTreeMap<String, String> = BTreeMap::new();
    let all = checks.into_iter().chain(creates).chain(rest);
    let mut out = Vec::new();
    for (id, request, before) in all {
        let Request {
            method,
            path,
            body,
            binds,
            note,
            rerun,
            wait,
            expect,
            reads: _,
        } = request;
        let used = tokens(&path, body.as_ref());
        let mut after: Vec<String> = Vec::new();
        for (name, step) in &binder {
            // (Bind names are ordered; the group's own create binds before its deletes.)
            if used.contains(&format!("{{{{{name}}}}}")) && !after.contains(step) {
                after.push(step.clone());
            }
        }
        after.extend(before);
        for (name, _) in &binds {
            binder.insert(name.clone(), id.clone());
        }
        out.push(Step {
            id,
            method,
            path,
            body,
            after,
            binds: binds.into_iter().collect(),
            wait,
            expect,
            rerun,
            note,
        });
    }
    (groups, out)
}

/// What a group is born with on the target and what the plan does about it, for people.
fn born_with(caps: &Capabilities, born: &Born, n: usize) -> String {
    let about: Vec<&str> = caps.born_with.iter().map(|b| b.about).collect();
    let about = about.join("; ");
    match born {
        Born::Nothing => "nothing".to_owned(),
        Born::Avoided => format!("{about}: not made (the create request asks for no rules)"),
        Born::Deleted(_) => format!("{about}: deleted (steps group-{n}-delete-default-*)"),
    }
}

/// The placeholders a step uses: `{name}` and `{{name}}` anywhere in its path (where
/// nothing else has braces: names are percent-encoded there), and the body's string values
/// that are one placeholder whole (a description that merely holds one is text).
pub(crate) fn tokens(path: &str, body: Option<&Value>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let tail = rest.get(start..).unwrap_or_default();
        let Some(end) = tail.find('}') else { break };
        let close = if tail.starts_with("{{") {
            end.saturating_add(2)
        } else {
            end.saturating_add(1)
        };
        match tail.get(..close).filter(|t| is_token(t)) {
            Some(token) => {
                found.insert(token.to_owned());
                rest = tail.get(close..).unwrap_or_default();
            }
            None => rest = tail.get(1..).unwrap_or_default(),
        }
    }
    if let Some(body) = body {
        strings(body, &mut |s| {
            if is_token(s) {
                found.insert(s.to_owned());
            }
        });
    }
    found
}

/// Whether `text` is one placeholder: `{name}` or `{{name}}`, the name of lower-case letters,
/// digits and `_`.
pub(crate) fn is_token(text: &str) -> bool {
    let inner = text
        .strip_prefix("{{")
        .and_then(|t| t.strip_suffix("}}"))
        .or_else(|| text.strip_prefix('{').and_then(|t| t.strip_suffix('}')));
    inner.is_some_and(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// Call `f` on every string value in `value`.
fn strings(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, f)),
        Value::Object(map) => map.values().for_each(|v| strings(v, f)),
        _ => {}
    }
}

/// The account's variables (`{name}`, not `{{name}}`) the steps use.
pub(super) fn variables(steps: &[Step]) -> Vec<String> {
    let mut found = BTreeSet::new();
    for step in steps {
        let used = tokens(&step.path, step.body.as_ref());
        found.extend(used.into_iter().filter(|t| !t.starts_with("{{")));
    }
    found.into_iter().collect()
}
