//! `sgconv lint`: every fixture of `tests/fixtures-lint/<provider>/` has exactly the finding
//! its name starts with (`clean.*` none), snapshotted in `snapshots/lint@...`; exit codes;
//! SARIF validated against the SARIF 2.1.0 JSON schema (vendored in `tests/schemas/`).

mod common;

use std::path::{Path, PathBuf};

use sgconv::lint::{FindingKind, LintConfig, lint};
use sgconv::{Options, ProviderId};

fn sgconv() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_sgconv"))
}

/// Every lint fixture, with its provider (the directory's name).
fn fixtures() -> Vec<(ProviderId, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-lint");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fixtures-lint") {
        let dir = dir.expect("entry").path();
        let provider: ProviderId = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .parse()
            .expect("a provider directory");
        for file in std::fs::read_dir(&dir).expect("provider dir") {
            out.push((provider, file.expect("entry").path()));
        }
    }
    out.sort();
    assert!(out.len() >= 15, "lint fixtures are missing");
    out
}

/// The check a fixture's name announces (`exposed-ssh.split_halves.json` → `exposed-ssh`).
fn expected(path: &Path) -> &str {
    let name = path.file_name().and_then(|n| n.to_str()).expect("name");
    name.split('.').next().expect("a check")
}

#[test]
fn every_fixture_has_its_one_finding() {
    for (provider, path) in fixtures() {
        let text = std::fs::read_to_string(&path).expect("read");
        let linted = lint(&text, provider, &Options::default(), &LintConfig::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut checks: Vec<&str> = linted.findings.iter().map(|f| f.check.as_ref()).collect();
        checks.dedup();
        let want = expected(&path);
        if want == "clean" {
            assert!(checks.is_empty(), "{}: {checks:?}", path.display());
        } else {
            assert_eq!(checks, [want], "{}", path.display());
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("stem");
        let name = format!("{}__{stem}", provider.name());
        common::settings()
            .bind(|| insta::assert_yaml_snapshot!(format!("lint@{name}"), linted.findings));
    }
}

#[test]
fn deny_before_allow_makes_the_allow_dead_on_huawei_and_scaleway() {
    for (provider, path) in fixtures() {
        let name = path.to_string_lossy();
        if !(name.contains("deny_before_allow") || name.contains("drop_before_accept")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let linted =
            lint(&text, provider, &Options::default(), &LintConfig::default()).expect("lint");
        let dead = linted
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::Conflicting)
            .expect("a conflicting finding");
        assert_eq!(dead.rules.first().and_then(|o| o.index), Some(1));
        assert_eq!(dead.related.first().and_then(|o| o.index), Some(0));
        // The dead allow opened SSH to a public range: not an exposure, since it never applies.
        assert!(
            linted
                .findings
                .iter()
                .all(|f| f.kind != FindingKind::Exposed)
        );
    }
}

#[test]
fn trusted_ranges_are_not_public() {
    let text = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "203.0.113.0/24"}]"#;
    let open = lint(
        text,
        ProviderId::GcoreV2,
        &Options::default(),
        &LintConfig::default(),
    )
    .expect("lint");
    assert_eq!(open.findings.len(), 1);
    let config = LintConfig::default().with_trusted(vec!["203.0.113.0/24".parse().expect("cidr")]);
    let trusted = lint(text, ProviderId::GcoreV2, &Options::default(), &config).expect("lint");
    assert!(trusted.findings.is_empty());
}

#[test]
fn exit_codes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-lint");
    let run = |args: &[&str]| {
        sgconv()
            .arg("lint")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("runs")
    };
    let clean = run(&[
        "--from",
        "gcore-v2",
        "gcore-v2/clean.web_and_internal_ssh.json",
    ]);
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&clean.stdout), "no findings\n");
    let ssh = run(&[
        "--from",
        "gcore-v2",
        "gcore-v2/exposed-ssh.split_halves.json",
    ]);
    assert_eq!(ssh.status.code(), Some(1));
    assert!(ssh.stderr.is_empty());
    let ssh = run(&[
        "--from",
        "gcore-v2",
        "gcore-v2/exposed-ssh.split_halves.json",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(ssh.status.code(), Some(0));
    // Info findings do not fail by default (`--fail-on low`).
    let info = run(&["--from", "huawei", "huawei/deny-exception.carve_out.json"]);
    assert_eq!(info.status.code(), Some(0));
    let missing = run(&["--from", "huawei", "huawei/no-such-file.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(missing.stdout.is_empty());
    let broken =
        std::env::temp_dir().join(format!("sgconv-lint-broken-{}.json", std::process::id()));
    std::fs::write(&broken, "[{").expect("write");
    let bad = run(&["--from", "huawei", broken.to_str().expect("utf-8")]);
    let _ = std::fs::remove_file(&broken);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    let usage = run(&["--from", "huawei"]);
    assert_eq!(usage.status.code(), Some(2));
    let json = run(&[
        "--from",
        "scaleway",
        "--format",
        "json",
        "scaleway/conflicting.drop_before_accept.json",
    ]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["counts"]["medium"], 1);
    assert_eq!(v["findings"][0]["check"], "conflicting");
    assert_eq!(v["findings"][0]["path"], "rules[1]");
    assert_eq!(v["findings"][0]["line"], 5);
}

/// The SARIF 2.1.0 schema (OASIS, draft-04), vendored unchanged in `tests/schemas/` (see the
/// README there for its source and checksum).
fn sarif_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("the vendored SARIF schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

#[test]
fn sarif_validates_against_the_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-lint");
    let validator = sarif_validator();
    // The validator rejects what the schema forbids (a level SARIF does not have, a result
    // without a message).
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
        "results": [{"message": {"text": "m"}, "level": "fatal"}]}]});
    assert!(!validator.is_valid(&bad));
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
        "results": [{"ruleId": "r"}]}]});
    assert!(!validator.is_valid(&bad));
    let mut by_provider: std::collections::BTreeMap<ProviderId, Vec<String>> = Default::default();
    for (provider, path) in fixtures() {
        let rel = path
            .strip_prefix(&dir)
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        by_provider.entry(provider).or_default().push(rel);
    }
    for (provider, files) in by_provider {
        let out = sgconv()
            .args([
                "lint",
                "--format",
                "sarif",
                "--fail-on",
                "never",
                "--from",
                provider.name(),
            ])
            .args(&files)
            .current_dir(&dir)
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{provider}: {errors:#?}");
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        for result in run["results"].as_array().expect("results") {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            assert!(
                ["error", "warning", "note"].contains(&result["level"].as_str().expect("level"))
            );
            let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri");
            assert!(files.iter().any(|f| f == uri), "{uri}");
        }
    }
}

#[test]
fn sarif_locates_the_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-lint");
    let out = sgconv()
        .args([
            "lint",
            "--format",
            "sarif",
            "--from",
            "huawei",
            "huawei/conflicting.deny_before_allow.json",
        ])
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "conflicting");
    assert_eq!(result["level"], "warning");
    let location = &result["locations"][0];
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        "security_group_rules[1]"
    );
}
