//! Running a plan (its JSON) against a fake API, as a client following the plan format
//! would: placeholders filled (anywhere in a path; in a body, a string value that is one
//! placeholder whole), checks, tasks waited for, ids bound from the responses.

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::Value;

use super::fake_api::Fake;

/// `path` with every placeholder in `values` replaced.
pub fn fill_path(path: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = path.to_owned();
    // Binds (`{{name}}`) first: a variable's `{name}` is inside them.
    for (k, v) in values.iter().filter(|(k, _)| k.starts_with("{{")) {
        out = out.replace(k.as_str(), v);
    }
    for (k, v) in values.iter().filter(|(k, _)| !k.starts_with("{{")) {
        out = out.replace(k.as_str(), v);
    }
    assert!(!out.contains('{'), "unfilled placeholder in {out}");
    out
}

/// `body` with every string value that is a placeholder of `values` replaced.
pub fn fill_body(body: &Value, values: &BTreeMap<String, String>) -> Value {
    match body {
        Value::String(s) => values
            .get(s)
            .map_or_else(|| body.clone(), |v| Value::String(v.clone())),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_body(v, values)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_body(v, values)))
                .collect(),
        ),
        _ => body.clone(),
    }
}

fn text_at(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Apply every step of `plan` to `fake`, with the account's `variables` (`{project_id}` →
/// value); the bound ids (`{{group_1}}` → id), or the first failure.
pub fn apply(
    plan: &Value,
    fake: &mut Fake,
    variables: &[(&str, &str)],
) -> Result<BTreeMap<String, String>, String> {
    let mut values: BTreeMap<String, String> = variables
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for step in plan["steps"].as_array().expect("steps") {
        let id = step["id"].as_str().unwrap();
        let method = step["method"].as_str().unwrap();
        let path = fill_path(step["path"].as_str().unwrap(), &values);
        let body = step.get("body").map(|b| fill_body(b, &values));
        let (status, mut response) = fake.handle(method, &path, body);
        match step.get("expect") {
            Some(Value::String(s)) if s == "not_found" => {
                if status != 404 {
                    return Err(format!("{id}: expected 404, got {status}"));
                }
                continue;
            }
            Some(Value::Object(e)) => {
                let none = &e["none_named"];
                let list = response
                    .pointer(none["list"].as_str().unwrap())
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if list.iter().any(|g| g["name"] == none["name"]) {
                    return Err(format!("{id}: a group of the name exists"));
                }
            }
            _ => {}
        }
        if !(200..300).contains(&status) {
            return Err(format!("{id}: HTTP {status}: {response}"));
        }
        if let Some(wait) = step.get("wait") {
            let task = text_at(&response, wait["task"].as_str().unwrap()).ok_or("no task")?;
            let poll = wait["poll"].as_str().unwrap().replace("{{task}}", &task);
            loop {
                let (status, report) = fake.handle("GET", &fill_path(&poll, &values), None);
                if status != 200 {
                    return Err(format!("{id}: task {task}: HTTP {status}"));
                }
                let state = text_at(&report, wait["state"].as_str().unwrap()).unwrap_or_default();
                if state == wait["done"] {
                    response = report;
                    break;
                }
                if state == wait["failed"] {
                    return Err(format!("{id}: task {task} failed"));
                }
            }
        }
        for (name, pointer) in step
            .get("binds")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let v = text_at(&response, pointer.as_str().unwrap())
                .ok_or_else(|| format!("{id}: no {pointer} in {response}"))?;
            values.insert(format!("{{{{{name}}}}}"), v);
        }
    }
    Ok(values
        .into_iter()
        .filter(|(k, _)| k.starts_with("{{"))
        .collect())
}
