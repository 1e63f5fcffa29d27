//! Findings as SARIF 2.1.0, for GitHub code scanning and other CI tools: one run, one
//! reporting descriptor per check, one result per finding located at its input file, the
//! line of the offending rule (JSON input) and its JSON path (a logical location).

use serde_json::{Value, json};

use super::{Finding, Linted, Severity};

/// The SARIF level of a severity: `error` for high and critical, `warning` for medium,
/// `note` below.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Info | Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (0.0-10.0) of a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
        Severity::Info => "0.0",
    }
}

/// What a check looks for, in one sentence.
fn about(check: &str) -> &'static str {
    match check {
        "exposed-all-ports" => "Every TCP or UDP port is reachable from public addresses.",
        "shadowed" => "Rules evaluated earlier decide every packet of this rule (same action).",
        "conflicting" => {
            "Rules evaluated earlier decide every packet of this rule, some with the other action."
        }
        "deny-exception" => "A deny rule only carves an exception out of later allow rules.",
        "unmatchable" => "The rule matches no packet on its own.",
        "redundant" => "Removing the rule changes nothing.",
        "over-quota" => "The group has more rules than the provider's quota.",
        "unread" => "Part of the input was not read.",
        c if c.starts_with("exposed-") => "A sensitive service is reachable from public addresses.",
        _ => "An sgconv lint finding.",
    }
}

/// The SARIF log of the findings of several inputs: `(uri, linted)` per input file (a path
/// relative to the repository root shows inline in code scanning).
pub fn sarif(inputs: &[(&str, &Linted)]) -> Value {
    let mut checks: Vec<(&str, Severity)> = Vec::new();
    for (_, linted) in inputs {
        for f in &linted.findings {
            match checks.iter_mut().find(|(c, _)| *c == f.check) {
                Some((_, s)) => *s = (*s).max(f.severity),
                None => checks.push((&f.check, f.severity)),
            }
        }
    }
    let rules: Vec<Value> = checks
        .iter()
        .map(|(check, severity)| {
            json!({
                "id": check,
                "shortDescription": {"text": about(check)},
                "defaultConfiguration": {"level": level(*severity)},
                "properties": {
                    "tags": ["security", "network"],
                    "security-severity": security_severity(*severity),
                },
            })
        })
        .collect();
    let mut results = Vec::new();
    for (uri, linted) in inputs {
        for f in &linted.findings {
            let index = checks.iter().position(|(c, _)| *c == f.check);
            results.push(result(uri, f, index));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sgconv",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// One finding as a SARIF result.
fn result(uri: &str, f: &Finding, rule_index: Option<usize>) -> Value {
    let mut physical = json!({"artifactLocation": {"uri": uri_reference(uri)}});
    if let (Some(line), Some(map)) = (f.line, physical.as_object_mut()) {
        map.insert("region".into(), json!({"startLine": line}));
    }
    let mut location = json!({"physicalLocation": physical});
    if let (Some(path), Some(map)) = (&f.path, location.as_object_mut()) {
        map.insert(
            "logicalLocations".into(),
            json!([{"fullyQualifiedName": path, "kind": "element"}]),
        );
    }
    let text = match &f.witness {
        Some(w) => format!("{} Witness: {w}.", f.message),
        None => f.message.clone(),
    };
    let mut r = json!({
        "ruleId": f.check,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [location],
        "properties": {
            "kind": f.kind,
            "severity": f.severity,
            "group": f.group,
            "rules": f.rules.iter().filter_map(|o| o.index).collect::<Vec<_>>(),
        },
    });
    if let Some(map) = r.as_object_mut() {
        if let Some(i) = rule_index {
            map.insert("ruleIndex".into(), json!(i));
        }
        if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
            if let Some(alias) = f.alias {
                props.insert("alias".into(), json!(alias));
            }
            if let Some(label) = &f.group_label {
                props.insert("groupLabel".into(), json!(label));
            }
            if let Some(w) = &f.witness {
                props.insert("witness".into(), json!(w));
            }
        }
    }
    r
}

/// A file path as a URI reference: `/` separators, and the characters a URI cannot hold
/// percent-encoded.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '\\' => out.push('/'),
            'A'..='Z'
            | 'a'..='z'
            | '0'..='9'
            | '-'
            | '.'
            | '_'
            | '~'
            | '/'
            | ':'
            | '@'
            | '+'
            | ','
            | ';'
            | '='
            | '&'
            | '!'
            | '$'
            | '\''
            | '('
            | ')'
            | '*' => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}
