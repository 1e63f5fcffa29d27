//! Terraform out: every fixture of every provider written as each target's Terraform
//! configuration (snapshots `terraform@<from>__<fixture>__<to>.snap`), read back by the HCL
//! parser of `hcl-rs` (not sgconv's reader), turned into `terraform show -json` state by this
//! test and read with the target's Terraform conventions: the packets it allows differ from
//! the source's exactly where the conversion's own report says. Each file passes
//! `terraform fmt -check` when a `terraform` binary is on PATH.

mod common;

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use sgconv::model::{Document, Remote, Rule};
use sgconv::semantics::compare_documents;
use sgconv::{ExportOptions, Format, Options, ProviderId};

/// The dialects with Terraform resources.
const TARGETS: [ProviderId; 4] = [
    ProviderId::GcoreV1,
    ProviderId::GcoreV2,
    ProviderId::Huawei,
    ProviderId::Scaleway,
];

fn options() -> Options {
    Options::default().with_export(ExportOptions::default().with_terraform(true))
}

/// Every (snapshot name, source text, from, to) of the matrix.
fn cases() -> Vec<(String, String, ProviderId, ProviderId)> {
    let mut out = Vec::new();
    for &from in ProviderId::ALL {
        for path in common::fixtures(from) {
            let text = std::fs::read_to_string(&path).expect("fixture readable");
            for to in TARGETS {
                let name = format!("terraform@{}__{}__{}", from, common::stem(&path), to);
                out.push((name, text.clone(), from, to));
            }
        }
    }
    assert!(out.len() > 100, "too few fixtures: {}", out.len());
    out
}

/// The configuration, then (as HCL comments) the verdict and every entry that is not
/// metadata, and the differences; or the refusal or error.
fn snapshot(text: &str, from: ProviderId, to: ProviderId) -> String {
    use std::fmt::Write as _;
    let converted = match sgconv::convert(text, from, to, &options()) {
        Ok(c) => c,
        Err(e) => return format!("# error: {e}\n"),
    };
    let mut out = match &converted.outcome {
        Ok(output) => output.text().to_owned(),
        Err(refusal) => format!("# refused: {refusal}\n"),
    };
    let report = &converted.report;
    let counts: Vec<String> = report
        .counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let _ = writeln!(
        out,
        "\n# verdict: {} ({})",
        report.verdict,
        counts.join(", ")
    );
    for e in report
        .entries
        .iter()
        .filter(|e| e.kind != sgconv::report::Kind::Metadata)
    {
        let rule = e
            .rule
            .as_ref()
            .and_then(|r| r.index)
            .map(|i| format!(" rule {i}"));
        let _ = writeln!(
            out,
            "# {} group {}{} {}: {}",
            e.kind,
            e.group,
            rule.unwrap_or_default(),
            e.field,
            e.message
        );
    }
    for d in &report.differences {
        let _ = writeln!(out, "# difference group {}: {}", d.group, d.sentence());
    }
    out
}

#[test]
fn every_fixture_to_every_terraform_target() {
    for (name, text, from, to) in cases() {
        let value = snapshot(&text, from, to);
        common::settings().bind(|| insta::assert_snapshot!(name, value));
    }
}

/// A configuration as `terraform show -json` state, from `hcl-rs`'s reading of it: every
/// resource gets its address as id, and a `"${type.name.id}"` reference to a resource of the
/// file becomes that address (what a state would hold is the id the reference resolves to).
fn as_state(tf: &str) -> String {
    let parsed: hcl::Value = hcl::from_str(tf).expect("hcl-rs parses sgconv's configuration");
    let types = parsed
        .as_object()
        .and_then(|o| o.get("resource"))
        .and_then(hcl::Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut declared = BTreeSet::new();
    for (kind, named) in &types {
        for name in named.as_object().expect("resources by name").keys() {
            declared.insert(format!("{kind}.{name}"));
        }
    }
    let mut resources = Vec::new();
    for (kind, named) in &types {
        for (name, attrs) in named.as_object().expect("resources by name") {
            let address = format!("{kind}.{name}");
            let mut values: Map<String, Value> = match resolve(&json!(attrs), &declared) {
                Value::Object(map) => map,
                other => panic!("{address}: a resource body is an object, found {other}"),
            };
            // hcl-rs reads a block that appears once as an object, several as a list; the
            // schemas' nested blocks are lists.
            for key in NESTED {
                if let Some(one @ Value::Object(_)) = values.get(*key).cloned() {
                    values.insert((*key).into(), Value::Array(vec![one]));
                }
            }
            values.insert("id".into(), Value::String(address.clone()));
            resources.push(json!({
                "address": address, "mode": "managed", "type": kind, "name": name,
                "provider_name": "registry.terraform.io/test/test", "schema_version": 0,
                "values": values,
            }));
        }
    }
    json!({
        "format_version": "1.0",
        "terraform_version": "1.11.4",
        "values": {"root_module": {"resources": resources}},
    })
    .to_string()
}

/// The nested block types of the schemas (Scaleway's rule lists, Gcore v1's rule set).
const NESTED: &[&str] = &["inbound_rule", "outbound_rule", "security_group_rules"];

fn resolve(value: &Value, declared: &BTreeSet<String>) -> Value {
    match value {
        Value::String(s) => match s.strip_prefix("${").and_then(|r| r.strip_suffix(".id}")) {
            Some(target) if declared.contains(target) => Value::String(target.to_owned()),
            Some(_) => panic!("a reference to something not in the file: {s}"),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, declared)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, declared)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The document read back with the source groups' ids (by place), in its groups and in the
/// rules that name them.
fn with_source_ids(mut back: Document, source: &Document) -> Document {
    let renames: Vec<(String, String)> = back
        .groups
        .iter()
        .zip(&source.groups)
        .filter_map(|(b, s)| Some((b.id.clone()?, s.id.clone()?)))
        .collect();
    for (group, src) in back.groups.iter_mut().zip(&source.groups) {
        group.id.clone_from(&src.id);
        for rule in &mut group.rules {
            if let Remote::Group(id) = rule.remote()
                && let Some((_, to)) = renames.iter().find(|(from, _)| from == id)
            {
                let mut spec = rule.spec().clone();
                spec.remote = Remote::Group(to.clone());
                *rule = Rule::new(spec).expect("the same rule with another group id");
            }
        }
    }
    back
}

#[test]
fn written_configurations_read_back_with_the_reported_differences() {
    let mut checked = 0;
    for (name, text, from, to) in cases() {
        let converted = sgconv::convert(&text, from, to, &options()).expect("reads");
        let Ok(output) = &converted.outcome else {
            continue;
        };
        assert_eq!(output.format(), Format::Terraform, "{name}");
        let source = sgconv::import(&text, from, &Options::default().with_allow_unread(true))
            .expect("imports")
            .document;
        let state = as_state(output.text());
        let back = sgconv::import(
            &state,
            to,
            &Options::default().with_input_format(Some(Format::Terraform)),
        )
        .unwrap_or_else(|e| panic!("{name}: the state made from the configuration: {e}"));
        assert_eq!(
            back.report.count(sgconv::report::Kind::Unread),
            0,
            "{name}: {:#?}",
            back.report.entries
        );
        let back = with_source_ids(back.document, &source);
        let ours: Vec<String> = compare_documents(&source, &back)
            .iter()
            .map(|d| d.sentence())
            .collect();
        let reported: Vec<String> = converted
            .report
            .differences
            .iter()
            .map(|d| d.sentence())
            .collect();
        assert_eq!(ours, reported, "{name}:\n{}", output.text());
        checked += 1;
    }
    assert!(checked > 100, "only {checked} configurations were written");
}

#[test]
fn terraform_fmt_accepts_every_configuration() {
    let Some(terraform) = which("terraform") else {
        println!("skipped: no `terraform` binary on PATH, so `terraform fmt -check` was not run");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut written = 0;
    for (name, text, from, to) in cases() {
        let converted = sgconv::convert(&text, from, to, &options()).expect("reads");
        if let Ok(output) = &converted.outcome {
            let file = dir
                .path()
                .join(format!("{}.tf", name.replace(['@', '-'], "_")));
            std::fs::write(file, output.text()).expect("write");
            written += 1;
        }
    }
    let out = std::process::Command::new(terraform)
        .args(["fmt", "-check", "-list=true", "-diff"])
        .arg(dir.path())
        .output()
        .expect("terraform runs");
    assert!(
        out.status.success(),
        "terraform fmt -check rejects:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    println!("terraform fmt -check accepted {written} configurations");
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_string_lossy()
        .split(':')
        .map(|dir| std::path::Path::new(dir).join(name))
        .find(|p| p.is_file())
}

#[test]
fn an_empty_document_writes_an_empty_configuration() {
    let out = sgconv::convert(
        r#"{"sgconv": 1, "groups": []}"#,
        ProviderId::Canonical,
        ProviderId::Scaleway,
        &options(),
    )
    .expect("converts");
    assert_eq!(out.output().expect("written").text().trim(), "");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// Any groups written as a configuration have the verdict and differences of the same
    /// groups written as API documents (gcore-v1's blocks may only narrow further: they
    /// cannot hold a self-reference or ICMP 0).
    #[test]
    fn terraform_output_means_what_the_api_output_means(
        groups in proptest::collection::vec(
            common::strategies::group(common::strategies::Limits { ordered: true, exotic: true }, 6),
            1..3,
        )
    ) {
        let doc = Document::new(groups);
        for to in TARGETS {
            let json = sgconv::convert_document(&doc, to, &Options::default().with_allow_widen(true))
                .expect("converts");
            let tf = sgconv::convert_document(&doc, to, &options().with_allow_widen(true))
                .expect("converts");
            let sentences = |c: &sgconv::Converted| -> Vec<String> {
                c.report.differences.iter().map(|d| d.sentence()).collect()
            };
            if to == ProviderId::GcoreV1 {
                proptest::prop_assert!(
                    tf.report.verdict == json.report.verdict
                        || tf.report.verdict == sgconv::report::Verdict::Narrowed,
                    "{to}: {:?} vs {:?}", tf.report.verdict, json.report.verdict
                );
            } else {
                proptest::prop_assert_eq!(tf.report.verdict, json.report.verdict, "{}", to);
                proptest::prop_assert_eq!(sentences(&tf), sentences(&json), "{}", to);
            }
        }
    }
}
