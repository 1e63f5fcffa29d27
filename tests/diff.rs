//! `sgconv diff`: exit 0 equal, 1 different (with the boxes each side alone allows), 2 usage
//! or unreadable input.

mod common;

fn sgconv() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_sgconv"))
}

#[test]
fn diff_exit_codes_and_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ordered = dir.path().join("ordered.yaml");
    let lowered = dir.path().join("lowered.json");
    let other = dir.path().join("other.json");
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &ordered,
        "sgconv: 1
groups:
- evaluation: first_match
  default_inbound: deny
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['443'], remote: {cidr: 10.0.0.0/9}, action: deny}
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['443'], remote: {cidr: 10.0.0.0/8}}
",
    )
    .expect("write");
    std::fs::write(
        &lowered,
        r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 443,
            "port_range_max": 443, "remote_ip_prefix": "10.128.0.0/9"}]"#,
    )
    .expect("write");
    std::fs::write(
        &other,
        r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 443,
            "port_range_max": 443, "remote_ip_prefix": "10.0.0.0/8"}]"#,
    )
    .expect("write");
    std::fs::write(&broken, "[{").expect("write");

    let run = |a: &std::path::Path, b: &std::path::Path, json: bool| {
        let mut cmd = sgconv();
        cmd.args(["diff", "--from", "canonical"])
            .arg(a)
            .args(["--to", "gcore-v2"])
            .arg(b);
        if json {
            cmd.args(["--format", "json"]);
        }
        cmd.output().expect("runs")
    };
    let same = run(&ordered, &lowered, false);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&same.stdout),
        "group 0 ~ group 0: paired by position\nequal: both allow exactly the same packets\n"
    );

    let differ = run(&ordered, &other, true);
    assert_eq!(differ.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&differ.stdout).expect("json");
    common::settings().bind(|| insta::assert_yaml_snapshot!("semantics@diff_json", value));
    let text = run(&ordered, &other, false);
    assert_eq!(text.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&text.stdout),
        "group 0 ~ group 0: paired by position\n  + ingress tcp 443 from 10.0.0.0/9 (only gcore-v2 allows)\n"
    );

    let bad = run(&ordered, &broken, false);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    let usage = sgconv()
        .args(["diff", "--from", "canonical"])
        .output()
        .expect("runs");
    assert_eq!(usage.status.code(), Some(2));
}
