//! Hostile input: every file under `tests/malformed/<provider>/` must be rejected with exit 1,
//! nothing on stdout, and a located message (snapshotted), within a time bound; generated
//! giants (a 100 MB string, deep nesting) likewise.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Run sgconv with `input` on stdin, killing it after `limit`.
fn run(args: &[&str], input: &[u8], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sgconv"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sgconv");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("sgconv {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = writer.join();
    child.wait_with_output().expect("output")
}

fn malformed_files() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root)
        .expect("tests/malformed")
        .filter_map(Result::ok)
    {
        let provider = dir.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(dir.path())
            .expect("provider dir")
            .filter_map(Result::ok)
        {
            files.push((provider.clone(), file.path()));
        }
    }
    files.sort();
    files
}

#[test]
fn every_malformed_input_is_rejected_with_a_located_message() {
    let files = malformed_files();
    assert!(
        files.len() >= 60,
        "the malformed corpus has {} files; it should have at least 60",
        files.len()
    );
    for (provider, path) in files {
        let input = std::fs::read(&path).expect("read");
        // A guard against hangs, not a measure: the YAML alias bomb takes about 10 s in a
        // debug build on a loaded 2-core machine.
        let output = run(
            &["convert", "--from", &provider, "--to", "canonical"],
            &input,
            Duration::from_secs(60),
        );
        let name = common::stem(&path);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{provider}/{name}: exit code; stderr: {stderr}"
        );
        assert!(
            output.stdout.is_empty(),
            "{provider}/{name}: stdout must be empty"
        );
        assert!(
            stderr.starts_with("sgconv: error: "),
            "{provider}/{name}: {stderr}"
        );
        common::settings()
            .bind(|| insta::assert_snapshot!(format!("malformed@{provider}__{name}"), stderr));
    }
}

/// Inputs too big to ship: rejected quickly, no panic, no partial output.
#[test]
fn generated_giants_are_rejected_in_bounded_time() {
    let limit = Duration::from_secs(60);
    // A 100 MB description: longer than Gcore allows.
    let mut big = Vec::with_capacity(100_000_100);
    big.extend_from_slice(br#"{"direction": "ingress", "description": ""#);
    big.resize(big.len() + 100_000_000, b'x');
    big.extend_from_slice(br#""}"#);
    let out = run(
        &["convert", "--from", "gcore-v2", "--to", "gcore-v1"],
        &big,
        limit,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    // Deeply nested arrays, JSON and YAML.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for (from, text) in [
        ("gcore-v1", deep.clone()),
        ("canonical", format!("sgconv: 1\ngroups: {deep}\n")),
    ] {
        let out = run(
            &["convert", "--from", from, "--to", "canonical"],
            text.as_bytes(),
            limit,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{from}: {stderr}");
        assert!(stderr.contains("sgconv: error: "), "{from}: {stderr}");
    }
}
