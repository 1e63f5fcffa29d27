//! `sgconv plan` on the command line: exit codes, stdout only on success, files.

mod common;

use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

fn sgconv() -> Command {
    let mut cmd = Command::new(get_cargo_bin("sgconv"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

const HUAWEI: &str = "tests/fixtures-plan/huawei_three_groups.json";
const MAP: &str = "tests/fixtures-plan/group_map.yaml";

fn plan(args: &[&str]) -> std::process::Output {
    let mut all = vec!["plan", "--from", "huawei", "--color", "never"];
    all.extend_from_slice(args);
    sgconv().args(all).output().unwrap()
}

#[test]
fn a_plan_on_stdout_with_the_summary_on_stderr() {
    common::settings().bind(|| {
        assert_cmd_snapshot!(
            "plan_cli@huawei_to_gcore_v1_yaml",
            sgconv().args([
                "plan",
                "--from",
                "huawei",
                "--to",
                "gcore-v1",
                HUAWEI,
                "--group-map",
                MAP,
                "--format",
                "yaml",
                "--color",
                "never"
            ])
        );
    });
}

#[test]
fn strict_refuses_an_unmapped_outside_group_with_exit_3() {
    let out = plan(&["--to", "gcore-v2", HUAWEI, "--strict"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("99999999-9999-4999-8999-999999999999"),
        "{err}"
    );
    // Mapped, the same plan passes.
    let out = plan(&["--to", "gcore-v2", HUAWEI, "--strict", "--group-map", MAP]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_input_and_bad_maps_exit_1_with_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let bad_map = dir.path().join("map.json");
    std::fs::write(&bad_map, r#"{"sg": 5}"#).unwrap();
    let bad_input = dir.path().join("in.json");
    std::fs::write(
        &bad_input,
        "{\"security_group_rules\": [\n  {\"direction\": 7}]}",
    )
    .unwrap();
    for (args, says) in [
        (
            vec![
                "--to",
                "huawei",
                HUAWEI,
                "--group-map",
                bad_map.to_str().unwrap(),
            ],
            "group map",
        ),
        (
            vec!["--to", "huawei", bad_input.to_str().unwrap()],
            "line 2, column 17",
        ),
        (
            vec!["--to", "canonical", HUAWEI],
            "declares no API to plan with",
        ),
    ] {
        let out = plan(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(says), "{err}");
    }
    let out = plan(&["--to", "huawei", "-", "-"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_plan_goes_to_the_file_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let out = plan(&[
        "--to",
        "scaleway",
        HUAWEI,
        "--group-map",
        MAP,
        "-o",
        path.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(plan["sgconv_plan"], 1);
    assert_eq!(plan["verdict"], "narrowed");
    assert_eq!(
        plan["variables"],
        serde_json::json!(["{project_id}", "{zone}"])
    );
}

#[test]
fn a_plan_as_a_script() {
    common::settings().bind(|| {
        assert_cmd_snapshot!(
            "plan_cli@huawei_to_gcore_v2_sh",
            sgconv().args([
                "plan",
                "--from",
                "huawei",
                "--to",
                "gcore-v2",
                HUAWEI,
                "--group-map",
                MAP,
                "--format",
                "sh",
                "--color",
                "never"
            ])
        );
    });
    // Written to a file, it can be run.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.sh");
    let out = plan(&[
        "--to",
        "huawei",
        HUAWEI,
        "--format",
        "sh",
        "-q",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o100, 0o100, "{mode:o}");
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("#!/usr/bin/env bash\n"));
    assert!(text.contains("HUAWEI_AUTH_TOKEN"));
}

#[test]
fn a_name_written_as_a_placeholder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("g.json");
    std::fs::write(&input, r#"{"name": "{zone}", "rules": []}"#).unwrap();
    let out = sgconv()
        .args([
            "plan",
            "--from",
            "gcore-v2",
            "--to",
            "scaleway",
            input.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("written as a plan's placeholders are"),
        "{err}"
    );
}
