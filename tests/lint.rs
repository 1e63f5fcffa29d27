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

/// Writes `text` to a file of its own for one test, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("sgconv-lint-{}-{name}", std::process::id()));
        std::fs::write(&path, text).expect("write");
        TempFile(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// SSH and 8080 open to the world, DNS out.
const OPEN: &str = r#"[
 {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"},
 {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 8080, "port_range_max": 8080, "remote_ip_prefix": "0.0.0.0/0"},
 {"direction": "egress", "ethertype": "IPv4", "protocol": "udp", "port_range_min": 53, "port_range_max": 53, "remote_ip_prefix": "0.0.0.0/0"}
]"#;

fn checks(linted: &sgconv::lint::Linted) -> Vec<(String, sgconv::lint::Severity)> {
    linted
        .findings
        .iter()
        .map(|f| (f.check.to_string(), f.severity))
        .collect()
}

#[test]
fn config_sets_ports_severities_and_fail_on() {
    use sgconv::lint::{FailOn, Severity, read_config};
    let yaml = "sensitive_ports: [tcp/8080, udp/53]\nchecks:\n  exposed-ssh: disabled\n  exposed-tcp-8080: critical\nfail_on: critical\n";
    let config = read_config(yaml, None, LintConfig::default()).expect("config");
    assert_eq!(config.fail_on, FailOn::Critical);
    let linted = lint(OPEN, ProviderId::GcoreV2, &Options::default(), &config).expect("lint");
    // SSH off; 8080 critical; DNS is outbound only, so not exposed.
    assert_eq!(
        checks(&linted),
        [("exposed-tcp-8080".to_owned(), Severity::Critical)]
    );
    assert!(linted.fails(config.fail_on));
    // The same in JSON; `default_ports: false` leaves only the file's ports.
    let json = r#"{"sensitive_ports": ["tcp/8080"], "default_ports": false}"#;
    let config = read_config(json, None, LintConfig::default()).expect("config");
    let linted = lint(OPEN, ProviderId::GcoreV2, &Options::default(), &config).expect("lint");
    assert_eq!(
        checks(&linted),
        [("exposed-tcp-8080".to_owned(), Severity::High)]
    );
}

#[test]
fn config_errors_have_a_path_and_a_line() {
    use sgconv::lint::read_config;
    let cases = [
        ("{\n  \"fail-on\": \"high\"\n}", "fail-on (line 2, column"),
        (
            "quota:\n  rules: 5\n  per_famly: true\n",
            "quota.per_famly (line 3, column",
        ),
        (
            "checks:\n  exposd-ssh: low\n",
            "checks.exposd-ssh (line 2, column 3)",
        ),
        (
            "sensitive_ports: [tcp/22, gre/1]\n",
            "sensitive_ports[1] (line 1, column 27)",
        ),
        (
            "checks: {redundant: loud}\n",
            "checks.redundant (line 1, column",
        ),
        ("trusted: [10.0.0.0/33]\n", "trusted[0] (line 1, column"),
    ];
    for (text, want) in cases {
        let e = read_config(text, None, LintConfig::default()).expect_err(text);
        assert!(e.to_string().contains(want), "{text:?}: {e}");
    }
}

#[test]
fn quota_is_counted_per_direction_and_per_family() {
    use sgconv::Quota;
    let per = |per_direction, per_family| {
        let config = LintConfig::default().with_quota(Some(Quota {
            rules: 1,
            per_direction,
            per_family,
        }));
        let linted = lint(OPEN, ProviderId::GcoreV2, &Options::default(), &config).expect("lint");
        linted
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::OverQuota)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
    };
    // Three rules: over a quota of one per group; two inbound, one outbound; all IPv4.
    assert_eq!(per(false, false).len(), 1);
    let by_direction = per(true, false);
    assert_eq!(by_direction.len(), 1);
    assert!(
        by_direction[0].starts_with("2 ingress rules, over gcore-v2's quota of 1 per direction")
    );
    let by_family = per(false, true);
    assert!(by_family[0].starts_with("3 ipv4 rules, over gcore-v2's quota of 1 per family"));
    let both = per(true, true);
    assert_eq!(both.len(), 1);
    assert!(
        both[0].starts_with(
            "2 ingress ipv4 rules, over gcore-v2's quota of 1 per direction and family"
        )
    );
}

#[test]
fn config_and_ports_on_the_command_line() {
    let doc = TempFile::new("open.json", OPEN);
    let run = |args: &[&str]| {
        sgconv()
            .arg("lint")
            .args(["--from", "gcore-v2", "--format", "json"])
            .args(args)
            .arg(doc.path())
            .output()
            .expect("runs")
    };
    let found = |out: &std::process::Output| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["check"].as_str().unwrap_or(""),
                    f["severity"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    let ports = run(&["--ports", "tcp/8080,udp/53"]);
    assert_eq!(ports.status.code(), Some(1));
    assert_eq!(found(&ports), ["exposed-ssh high", "exposed-tcp-8080 high"]);
    let bad = run(&["--ports", "tcp/99999"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    // fail_on from the file; --fail-on overrides it.
    let config = TempFile::new(
        "config.yaml",
        "fail_on: critical\nquota: {rules: 1, per_direction: true}\n",
    );
    let quiet = run(&["--config", config.path()]);
    assert_eq!(
        quiet.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert_eq!(found(&quiet), ["over-quota high", "exposed-ssh high"]);
    let loud = run(&["--config", config.path(), "--fail-on", "high"]);
    assert_eq!(loud.status.code(), Some(1));
    // An unknown key: exit 2, its path and line on stderr, nothing on stdout.
    let typo = TempFile::new("typo.yaml", "fail_on: high\nports: [tcp/1]\n");
    let refused = run(&["--config", typo.path()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("lint config: ports (line 2, column 1): unknown field `ports`"),
        "{stderr}"
    );
}

/// A rule that 16 earlier rules shadow between them (`10.0.0.0/20` after its sixteen /24s):
/// the finding names the first 8 in evaluation order and counts all 16, in the library, in
/// its sentence, in JSON and in SARIF.
#[test]
fn a_finding_names_the_first_blockers_and_counts_them_all() {
    let mut prefixes: Vec<String> = (0..16).map(|i| format!("10.0.{i}.0/24")).collect();
    prefixes.push("10.0.0.0/20".to_owned());
    let text = tcp_from(443, &prefixes);
    let linted = lint_gcore(&text);
    let shadowed: Vec<_> = linted
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Shadowed)
        .collect();
    let [f] = shadowed.as_slice() else {
        panic!("one shadowed rule: {:?}", linted.findings);
    };
    assert_eq!(sgconv::lint::MAX_RELATED, 8);
    let named: Vec<Option<usize>> = f.related.iter().map(|o| o.index).collect();
    assert_eq!(named, (0..8).map(Some).collect::<Vec<_>>());
    assert_eq!(f.related_total, Some(16));
    assert!(
        f.message
            .contains("rules 0, 1, 2, 3, 4, 5, 6, 7 and 8 more"),
        "{}",
        f.message
    );
    // A finding that names all its rules has no total.
    assert!(
        linted
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Redundant)
            .all(|f| f.related_total.is_none() && f.related.len() == 1)
    );

    let file = TempFile::new("many-blockers.json", &text);
    let run = |format: &str| -> serde_json::Value {
        let out = sgconv()
            .args([
                "lint",
                "--from",
                "gcore-v2",
                "--format",
                format,
                file.path(),
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let json = run("json");
    let found = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "shadowed")
        .expect("the shadowed finding");
    assert_eq!(found["related"].as_array().map(Vec::len), Some(8));
    assert_eq!(found["related_total"], 16);
    assert_eq!(found["input"], file.path());
    let sarif = run("sarif");
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "shadowed")
        .expect("the shadowed result");
    let props = &result["properties"];
    assert_eq!(
        props["related"],
        serde_json::json!([0, 1, 2, 3, 4, 5, 6, 7])
    );
    assert_eq!(props["relatedTotal"], 16);
}

/// SSH open from twelve neighbouring /8s: one exposure, allowed by the twelve rules between
/// them, of which it names the first 8 and counts all.
#[test]
fn an_exposure_names_the_first_rules_and_counts_them_all() {
    let prefixes: Vec<String> = (1..=12).map(|i| format!("{i}.0.0.0/8")).collect();
    let linted = lint_gcore(&tcp_from(22, &prefixes));
    let ssh = linted
        .findings
        .iter()
        .find(|f| f.check == "exposed-ssh")
        .expect("SSH is exposed");
    let named: Vec<Option<usize>> = ssh.rules.iter().map(|o| o.index).collect();
    assert_eq!(named, (0..8).map(Some).collect::<Vec<_>>());
    assert_eq!(ssh.rules_total, Some(12));
    assert!(ssh.message.contains("and 4 more"), "{}", ssh.message);
}

/// A Gcore v2 list of inbound IPv4 rules, TCP `port` from each of `prefixes`, in order.
fn tcp_from(port: u16, prefixes: &[String]) -> String {
    let rules: Vec<serde_json::Value> = prefixes
        .iter()
        .map(|prefix| {
            serde_json::json!({"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                "port_range_min": port, "port_range_max": port, "remote_ip_prefix": prefix})
        })
        .collect();
    serde_json::to_string_pretty(&rules).expect("json")
}

fn lint_gcore(text: &str) -> sgconv::lint::Linted {
    lint(
        text,
        ProviderId::GcoreV2,
        &Options::default(),
        &LintConfig::default(),
    )
    .expect("lints")
}
