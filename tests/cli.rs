//! The command line: pipes, files, reports, exit codes and error messages.

mod common;

use std::process::Command;

use common::PassStdin;
use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

fn sgconv() -> Command {
    let mut cmd = Command::new(get_cargo_bin("sgconv"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

const GROUP: &str = "tests/fixtures/gcore/v1_get_security_group_mixed.json";

#[test]
fn stdin_to_stdout() {
    let input = r#"[{"direction": "ingress", "ethertype": "IPv6", "protocol": "tcp",
                    "port_range_min": 443, "port_range_max": 443, "remote_ip_prefix": "2001:db8::/32"}]"#;
    common::settings().bind(|| {
        assert_cmd_snapshot!(
            "cli@stdin_to_stdout",
            sgconv()
                .args(["convert", "--from", "gcore-v2", "--to", "gcore-v1"])
                .pass_stdin(input)
        );
    });
}

#[test]
fn yaml_in_yaml_out() {
    let input = "- direction: egress\n  ethertype: IPv4\n  protocol: udp\n  port_range_min: 53\n  port_range_max: 53\n";
    common::settings().bind(|| {
        assert_cmd_snapshot!(
            "cli@yaml_in_yaml_out",
            sgconv()
                .args([
                    "convert",
                    "--from",
                    "gcore-v2",
                    "--to",
                    "canonical",
                    "--format",
                    "yaml",
                    "-"
                ])
                .pass_stdin(input)
        );
    });
}

#[test]
fn file_to_output_file_with_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("v2.json");
    let report = dir.path().join("report.json");
    let status = sgconv()
        .args([
            "convert", "--from", "gcore-v1", "--to", "gcore-v2", "-q", GROUP, "-o",
        ])
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .output()
        .expect("runs");
    assert_eq!(status.status.code(), Some(0));
    assert!(status.stdout.is_empty(), "stdout carries nothing with -o");
    assert!(status.stderr.is_empty(), "-q keeps stderr quiet");
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("output written")).expect("JSON");
    assert_eq!(written.as_array().map(Vec::len), Some(8));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("JSON");
    assert_eq!(report["verdict"], "exact");
    assert_eq!(report["counts"], serde_json::json!({"metadata": 13}));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
}

#[test]
fn report_to_stderr() {
    common::settings().bind(|| {
        assert_cmd_snapshot!(
            "cli@report_to_stderr",
            sgconv().args(["convert", "--from", "gcore-v1", "--to", "gcore-v2", "--report", "-", "-q"]).pass_stdin(
                r#"{"direction": "ingress", "protocol": "ipip", "id": "r-1", "created_at": "2019-07-26T13:25:03+0000"}"#
            )
        );
    });
}

#[test]
fn bad_input_leaves_existing_output_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.json");
    std::fs::write(&out, "previous").expect("write");
    let result = sgconv()
        .args(["convert", "--from", "gcore-v2", "--to", "gcore-v1", "-o"])
        .arg(&out)
        .pass_stdin_bytes(br#"[{"direction": "ingress", "protocol": "tcp", "port_range_min": 0, "port_range_max": 0}]"#);
    assert_eq!(result.status.code(), Some(1));
    assert!(result.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "previous");
    let missing = dir.path().join("never.json");
    let result = sgconv()
        .args(["convert", "--from", "gcore-v2", "--to", "gcore-v1", "-o"])
        .arg(&missing)
        .pass_stdin_bytes(b"{not json");
    assert_eq!(result.status.code(), Some(1));
    assert!(!missing.exists(), "no partial output file");
}

/// What Gcore rejects, each with its JSON path and line:column: values outside the enums of
/// Gcore's OpenAPI description (`cloud_api.yaml` in
/// <https://github.com/G-Core/product-documentation>), and the port, ICMP and family checks
/// Neutron makes behind the API (`neutron/db/securitygroups_db.py` in
/// <https://github.com/openstack/neutron>).
#[test]
fn gcore_rejections_are_located() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "ports_on_gre",
            "gcore-v2",
            r#"{"direction": "ingress", "protocol": "gre", "port_range_min": 1, "port_range_max": 2}"#,
        ),
        (
            "ports_without_protocol",
            "gcore-v2",
            r#"{"direction": "ingress", "port_range_min": 22, "port_range_max": 22}"#,
        ),
        (
            "min_above_max",
            "gcore-v1",
            "{\"security_group_rules\": [\n  {\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 80, \"port_range_max\": 22}\n]}",
        ),
        (
            "port_zero",
            "gcore-v2",
            r#"[{"direction": "ingress", "protocol": "udp", "port_range_min": 0, "port_range_max": 53}]"#,
        ),
        (
            "only_one_port",
            "gcore-v2",
            r#"[{"direction": "ingress", "protocol": "udp", "port_range_min": 53}]"#,
        ),
        (
            "ipv6_prefix_on_ipv4",
            "gcore-v2",
            r#"{"direction": "egress", "ethertype": "IPv4", "remote_ip_prefix": "::/0"}"#,
        ),
        (
            "ipv4_prefix_on_ipv6",
            "gcore-v2",
            r#"{"direction": "egress", "ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}"#,
        ),
        (
            "ipv6_protocol_on_ipv4",
            "gcore-v2",
            r#"{"direction": "ingress", "protocol": "ipv6-icmp"}"#,
        ),
        (
            "both_remotes",
            "gcore-v2",
            r#"{"direction": "ingress", "remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "7c4b3b2a-0000-4000-8000-000000000001"}"#,
        ),
        (
            "icmp_code_without_type",
            "gcore-v2",
            r#"{"direction": "ingress", "protocol": "icmp", "port_range_max": 0}"#,
        ),
        (
            "icmp_type_too_big",
            "gcore-v2",
            r#"{"direction": "ingress", "protocol": "icmp", "port_range_min": 300}"#,
        ),
        (
            "any_in_v2",
            "gcore-v2",
            r#"{"direction": "ingress", "protocol": "any"}"#,
        ),
        (
            "number_in_v2_body",
            "gcore-v2",
            r#"{"direction": "ingress", "protocol": "50"}"#,
        ),
        (
            "upper_case_protocol",
            "gcore-v1",
            r#"{"direction": "ingress", "protocol": "TCP"}"#,
        ),
        ("bad_direction", "gcore-v1", r#"{"direction": "inbound"}"#),
        (
            "bad_ethertype_case",
            "gcore-v1",
            r#"{"direction": "ingress", "ethertype": "ipv4"}"#,
        ),
        (
            "bad_cidr",
            "gcore-v1",
            r#"{"direction": "ingress", "remote_ip_prefix": "10.0.0.0/33"}"#,
        ),
        (
            "long_description",
            "gcore-v2",
            &format!(
                r#"{{"direction": "ingress", "description": "{}"}}"#,
                "x".repeat(256)
            ),
        ),
        (
            "truncated_json",
            "gcore-v1",
            r#"{"security_group_rules": [{"direction": "ingress""#,
        ),
        (
            "task_response",
            "gcore-v2",
            r#"{"tasks": ["d478ae29-dedc-4869-82f0-96104425f565"]}"#,
        ),
        (
            "v1_patch_delta",
            "gcore-v1",
            r#"{"name": "default", "changed_rules": []}"#,
        ),
        ("v2_body_as_v1", "gcore-v1", r#"{"name": "x", "rules": []}"#),
        (
            "yaml_bad_port",
            "gcore-v2",
            "direction: ingress\nprotocol: tcp\nport_range_min: seventy\nport_range_max: 80\n",
        ),
    ];
    for (name, from, input) in cases {
        let output = sgconv()
            .args(["convert", "--from", from, "--to", "canonical"])
            .pass_stdin_bytes(input.as_bytes());
        assert_eq!(output.status.code(), Some(1), "{name}: exit code");
        assert!(output.stdout.is_empty(), "{name}: nothing on stdout");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        common::settings().bind(|| {
            insta::assert_snapshot!(
                format!("cli@reject_{name}"),
                format!("input: {input}\n{stderr}")
            )
        });
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["convert", "--from", "gcore-v1"],
        vec!["convert", "--from", "nope", "--to", "gcore-v2"],
        vec!["frobnicate"],
    ] {
        let output = sgconv().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn refusal_exits_3_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.json");
    // A stateless group into an always-stateful target widens (return traffic). Deny rules
    // no longer refuse: they are lowered by set subtraction (issue #5).
    let input = b"sgconv: 1\ngroups:\n- {evaluation: first_match, default_inbound: deny, default_outbound: deny, stateful: false, rules: [{direction: ingress, family: ipv4, protocol: tcp, ports: ['22']}]}\n".to_vec();
    let output = sgconv()
        .args(["convert", "--from", "canonical", "--to", "gcore-v2", "-o"])
        .arg(&out)
        .pass_stdin_bytes(&input);
    assert_eq!(output.status.code(), Some(3));
    assert!(output.stdout.is_empty());
    assert!(!out.exists());
    assert!(String::from_utf8_lossy(&output.stderr).contains("refused"));
}

#[test]
fn strict_refuses_narrowing() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/canonical/allow_only_mixed.yaml"
    ))
    .expect("fixture");
    let output = sgconv()
        .args([
            "convert",
            "--from",
            "canonical",
            "--to",
            "gcore-v1",
            "--strict",
        ])
        .pass_stdin_bytes(&input);
    assert_eq!(output.status.code(), Some(3));
    assert!(output.stdout.is_empty());
    let output = sgconv()
        .args(["convert", "--from", "canonical", "--to", "gcore-v1"])
        .pass_stdin_bytes(&input);
    assert_eq!(
        output.status.code(),
        Some(0),
        "narrowing is allowed by default, and reported"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("NARROWED"));
}

#[test]
fn providers_table() {
    common::settings().bind(|| assert_cmd_snapshot!("cli@providers", sgconv().arg("providers")));
}

/// The README's provider table is what `sgconv providers` prints.
#[test]
fn readme_table_matches_providers() {
    let output = sgconv().arg("providers").output().expect("runs");
    let table = String::from_utf8(output.stdout).expect("UTF-8");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme
        .find("<!-- providers-table -->\n")
        .expect("table start marker")
        + "<!-- providers-table -->\n".len();
    let end = readme
        .find("<!-- /providers-table -->")
        .expect("table end marker");
    assert_eq!(
        &readme[start..end],
        table,
        "update the README's provider table from `sgconv providers`"
    );
}

/// `sgconv ... | head -c 100`: the closed pipe ends sgconv quietly with exit 0 (like ripgrep).
#[test]
fn broken_pipe_exits_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let rules: Vec<String> = (0..3000)
        .map(|i| format!(r#"{{"direction": "ingress", "family": "ipv4", "protocol": "tcp", "ports": ["{}"]}}"#, i + 1))
        .collect();
    let input = format!(
        r#"{{"sgconv": 1, "groups": [{{"evaluation": "allow_only", "default_inbound": "deny", "default_outbound": "deny", "stateful": true, "rules": [{}]}}]}}"#,
        rules.join(",")
    );
    let mut child = sgconv()
        .args(["convert", "--from", "canonical", "--to", "gcore-v2", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write");
    }
    let mut stdout = child.stdout.take().expect("stdout");
    let mut head = [0u8; 100];
    stdout.read_exact(&mut head).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "quiet: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Interrupted before it finishes (here: while still reading its input), sgconv leaves no
/// output file: the output is written to a temporary file and renamed only when complete.
#[test]
fn interrupt_leaves_no_output_file() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.json");
    let mut child = sgconv()
        .args(["convert", "--from", "gcore-v2", "--to", "gcore-v1", "-o"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().expect("stdin");
        stdin
            .write_all(br#"[{"direction": "ingress", "protocol": "tcp""#)
            .expect("write");
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    assert_ne!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "nothing written: {left:?}");
}

#[test]
fn terraform_out_and_in() {
    common::settings().bind(|| {
        assert_cmd_snapshot!(
            "cli@terraform_out",
            sgconv().args([
                "convert",
                "--from",
                "huawei",
                "--to",
                "scaleway",
                "--format",
                "terraform",
                "tests/fixtures/huawei/response_batch_create_201.json",
            ])
        );
        // A `terraform show -json` state, detected without --input-format.
        assert_cmd_snapshot!(
            "cli@terraform_in",
            sgconv().args([
                "convert",
                "--from",
                "scaleway",
                "--to",
                "gcore-v2",
                "-q",
                "tests/fixtures/terraform/scaleway_show_state.json",
            ])
        );
    });
}

#[test]
fn terraform_input_errors_and_refusals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, r#"{"format_version": "2.0", "values": {}}"#).expect("write");
    let out = sgconv()
        .args([
            "convert",
            "--from",
            "scaleway",
            "--to",
            "gcore-v2",
            "--input-format",
            "terraform",
        ])
        .arg(&plan)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("format_version"));
    let out = sgconv()
        .args([
            "convert",
            "--from",
            "huawei",
            "--to",
            "scaleway",
            "--format",
            "terraform",
            "tests/fixtures/terraform/huawei_plan_unknown_remote.json",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3), "unknown values are refused");
    assert!(out.stdout.is_empty());
    let out = sgconv()
        .args([
            "convert",
            "--from",
            "canonical",
            "--to",
            "canonical",
            "--format",
            "terraform",
            "tests/fixtures/canonical/two_groups.yaml",
        ])
        .output()
        .expect("runs");
    assert_ne!(
        out.status.code(),
        Some(0),
        "canonical has no Terraform resources"
    );
    assert!(out.stdout.is_empty());
}
