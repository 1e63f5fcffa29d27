//! `--stats` and `Converted::stats`: counts and stage times, without changing the output.

use std::process::Command;

use sgconv::{Options, ProviderId};

const GROUP: &str = "tests/fixtures/gcore/v1_get_security_group_mixed.json";

fn sgconv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sgconv"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn stats_go_to_stderr_and_leave_the_output_alone() {
    let base = [
        "convert", "--from", "gcore-v1", "--to", "gcore-v2", GROUP, "-q",
    ];
    let plain = sgconv(&base);
    let mut with = base.to_vec();
    with.push("--stats");
    let stats = sgconv(&with);
    assert!(plain.status.success() && stats.status.success());
    assert_eq!(
        plain.stdout, stats.stdout,
        "--stats changes nothing on stdout"
    );
    assert!(plain.stderr.is_empty());
    let err = String::from_utf8(stats.stderr).expect("utf-8");
    assert!(err.starts_with("stats: "), "{err}");
    for word in [
        "bytes in",
        "rules in",
        "rules out (x",
        "report entries",
        "import ",
        "fit ",
        "export ",
        "verify ",
        "write ",
        "total ",
    ] {
        assert!(err.contains(word), "{word:?} missing from {err}");
    }
}

#[test]
fn converted_stats_count_rules_and_stages() {
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GROUP))
            .expect("fixture");
    let out = sgconv::convert(
        &text,
        ProviderId::GcoreV1,
        ProviderId::GcoreV2,
        &Options::default(),
    )
    .expect("converts");
    let stats = &out.stats;
    assert_eq!(stats.bytes_in, text.len());
    assert_eq!(stats.groups, 1);
    assert!(stats.rules_in > 0);
    assert_eq!(
        stats.rules_out,
        out.output()
            .expect("output")
            .to_value()
            .expect("output")
            .as_array()
            .map_or(0, Vec::len),
        "one Gcore body per fitted rule"
    );
    assert_eq!(stats.entries, out.report.entries.len());
    let names: Vec<&str> = stats.stages.iter().map(|s| s.name).collect();
    assert_eq!(names, ["import", "fit", "export", "verify"]);
    let no_verify = sgconv::convert(
        &text,
        ProviderId::GcoreV1,
        ProviderId::GcoreV2,
        &Options::default().with_no_verify(true),
    )
    .expect("converts");
    let names: Vec<&str> = no_verify.stats.stages.iter().map(|s| s.name).collect();
    assert_eq!(names, ["import", "fit", "export"]);
}
