//! Whole-account inputs: every stage (import, fit/lowering, export, verification) and the whole
//! `convert`, for each provider pair, beside what a generic JSON tool pays for the same input.
//!
//! Inputs are generated at bench time by the shared generator (`gen_rules.py PROVIDER N SEED
//! DENY_FRACTION`, run with `python3`): its path is `SGCONV_GEN_RULES`, by default
//! `../shared/tools/gen_rules.py` beside this repository. Nothing large is committed.
//!
//! ```sh
//! cargo bench --bench convert                         # 100,000-rule headline + 10,000-rule pairs
//! SGCONV_BENCH_RULES=20000 cargo bench --bench convert -- pairs
//! ```
//!
//! - `huawei_to_gcore_v2/*`: the headline case, a 100,000-rule allow-only Huawei list
//!   (`SGCONV_BENCH_BIG`, default 100000) to Gcore v2: each stage, the whole `convert`
//!   (verification and report included), and in the same run the baselines: a
//!   `serde_json::Value` parse and compact write of the same text, and — when installed — `jq`
//!   and `python3` running the same field mapping (`benches/baselines/`, whole processes).
//! - `pairs/FROM/import` and `pairs/FROM->TO/{fit,export,verify,convert}`: each stage and the
//!   whole `convert` of an allow-only list of `SGCONV_BENCH_RULES` (default 10000) rules from
//!   every generated provider to every provider.
//! - `lowering/huawei->gcore-v2`: a Huawei list with 10% deny rules lowered into Gcore
//!   (`SGCONV_BENCH_LOWER`, default 2000 rules: the generator's denies fragment hard).
//!
//! - `table/*`: the cases of the performance issue's table (10,000 Huawei rules with 10% deny
//!   rules to Gcore v2 and to Scaleway; with `SGCONV_BENCH_MILLION=1`, a million Gcore rules).
//!
//! Benchmarks are not tests: nothing asserts a time. Ratios, not absolute times, are what to
//! compare (README, "Performance").
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

mod generated;

use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use generated::{env_count, generate};
use sgconv::{ExportOptions, ImportOptions, Options, ProviderId, Report, stages};

/// The generator's providers (its names are sgconv's).
const GENERATED: [ProviderId; 4] = [
    ProviderId::GcoreV1,
    ProviderId::GcoreV2,
    ProviderId::Huawei,
    ProviderId::Scaleway,
];

/// Import options for rule lists without their group (Scaleway): drop both ways.
fn import_options(from: ProviderId) -> ImportOptions {
    match from {
        ProviderId::Scaleway => ImportOptions::default()
            .with_defaults(
                Some(sgconv::model::Action::Deny),
                Some(sgconv::model::Action::Deny),
            )
            .with_stateful(Some(true)),
        _ => ImportOptions::default(),
    }
}

fn options(from: ProviderId, to: ProviderId) -> Options {
    Options::default()
        .with_import(import_options(from))
        .with_export(
            ExportOptions::default()
                .with_target_group((to == ProviderId::Huawei).then(|| "sg-bench".to_owned())),
        )
        .with_rule_budget(Some(usize::MAX))
        .with_allow_widen(true)
}

/// Run a whole process once (the input file is its last argument); false when it cannot run.
fn run_process(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn headline(c: &mut Criterion) {
    let n = env_count("SGCONV_BENCH_BIG", 100_000);
    let Some(text) = generate(ProviderId::Huawei, n, "0") else {
        return;
    };
    let (from, to) = (ProviderId::Huawei, ProviderId::GcoreV2);
    let opts = options(from, to);
    let mut report = Report::new(from, to);
    let doc = stages::import(&text, from, &opts, &mut report).expect("imports");
    let fitted = stages::fit(&doc, to, &opts, &mut report).expect("fits");
    let output = stages::export(&fitted, &opts, &mut report).expect("exports");

    let mut group = c.benchmark_group("huawei_to_gcore_v2");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(BenchmarkId::new("import", n), |b| {
        b.iter(|| stages::import(&text, from, &opts, &mut Report::new(from, to)).expect("imports"))
    });
    group.bench_function(BenchmarkId::new("fit", n), |b| {
        b.iter(|| stages::fit(&doc, to, &opts, &mut Report::new(from, to)).expect("fits"))
    });
    group.bench_function(BenchmarkId::new("export", n), |b| {
        b.iter(|| stages::export(&fitted, &opts, &mut Report::new(from, to)).expect("exports"))
    });
    group.bench_function(BenchmarkId::new("verify", n), |b| {
        b.iter(|| stages::verify(&doc, &output, to, &mut Report::new(from, to)).expect("verifies"))
    });
    group.bench_function(BenchmarkId::new("convert_and_write", n), |b| {
        b.iter(|| {
            let converted = sgconv::convert(&text, from, to, &opts).expect("converts");
            let mut out = Vec::with_capacity(text.len());
            out.extend_from_slice(converted.output().expect("output").as_json().as_bytes());
            let report = serde_json::to_vec(&converted.report).expect("report");
            (out.len(), report.len())
        })
    });
    group.bench_function(BenchmarkId::new("baseline_serde_json_value", n), |b| {
        b.iter(|| {
            let value: serde_json::Value = serde_json::from_str(&text).expect("parses");
            serde_json::to_vec(&value).expect("writes").len()
        })
    });
    // The hand-written mappings, as whole processes (start-up included) on a file.
    let dir = std::env::temp_dir().join(format!("sgconv-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let input = dir.join("huawei.json");
    if std::fs::write(&input, &text).is_ok() {
        let input = input.to_string_lossy().into_owned();
        let base = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/baselines/huawei_to_gcore"
        );
        let jq = format!("{base}.jq");
        let py = format!("{base}.py");
        if run_process("jq", &["-c", "-f", &jq, &input]) {
            group.bench_function(BenchmarkId::new("baseline_jq_process", n), |b| {
                b.iter(|| run_process("jq", &["-c", "-f", &jq, &input]))
            });
        } else {
            eprintln!("skipping the jq baseline: jq is not installed");
        }
        if run_process("python3", &[&py, &input]) {
            group.bench_function(BenchmarkId::new("baseline_python_process", n), |b| {
                b.iter(|| run_process("python3", &[&py, &input]))
            });
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    group.finish();
}

fn pairs(c: &mut Criterion) {
    let n = env_count("SGCONV_BENCH_RULES", 10_000);
    let mut group = c.benchmark_group("pairs");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    for from in GENERATED {
        let Some(text) = generate(from, n, "0") else {
            return;
        };
        let read_opts = Options::default().with_import(import_options(from));
        let read =
            |report: &mut Report| stages::import(&text, from, &read_opts, report).expect("imports");
        group.bench_function(BenchmarkId::new(format!("{from}/import"), n), |b| {
            b.iter(|| read(&mut Report::new(from, from)))
        });
        let doc = read(&mut Report::new(from, from));
        for to in ProviderId::ALL.iter().copied() {
            let opts = options(from, to);
            match sgconv::convert(&text, from, to, &opts).map(|c| c.outcome) {
                Ok(Ok(_)) => {}
                Ok(Err(refused)) => {
                    eprintln!("pairs/{from}->{to}: not benchmarked: refused: {refused}");
                    continue;
                }
                Err(e) => {
                    eprintln!("pairs/{from}->{to}: not benchmarked: {e}");
                    continue;
                }
            }
            let fit = |report: &mut Report| stages::fit(&doc, to, &opts, report).expect("fits");
            let fitted = fit(&mut Report::new(from, to));
            let write =
                |report: &mut Report| stages::export(&fitted, &opts, report).expect("exports");
            let output = write(&mut Report::new(from, to));
            group.bench_function(BenchmarkId::new(format!("{from}->{to}/fit"), n), |b| {
                b.iter(|| fit(&mut Report::new(from, to)))
            });
            group.bench_function(BenchmarkId::new(format!("{from}->{to}/export"), n), |b| {
                b.iter(|| write(&mut Report::new(from, to)))
            });
            group.bench_function(BenchmarkId::new(format!("{from}->{to}/verify"), n), |b| {
                b.iter(|| {
                    stages::verify(&doc, &output, to, &mut Report::new(from, to)).expect("verifies")
                })
            });
            group.bench_function(BenchmarkId::new(format!("{from}->{to}/convert"), n), |b| {
                b.iter(|| sgconv::convert(&text, from, to, &opts).expect("converts"))
            });
        }
    }
    group.finish();
}

fn lowering(c: &mut Criterion) {
    let n = env_count("SGCONV_BENCH_LOWER", 2_000);
    let Some(text) = generate(ProviderId::Huawei, n, "0.1") else {
        return;
    };
    let (from, to) = (ProviderId::Huawei, ProviderId::GcoreV2);
    let opts = options(from, to);
    let mut report = Report::new(from, to);
    let doc = stages::import(&text, from, &opts, &mut report).expect("imports");
    let mut group = c.benchmark_group("lowering");
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("huawei->gcore-v2/fit", n), |b| {
        b.iter(|| stages::fit(&doc, to, &opts, &mut Report::new(from, to)).expect("lowers"))
    });
    group.bench_function(BenchmarkId::new("huawei->gcore-v2/convert", n), |b| {
        b.iter(|| sgconv::convert(&text, from, to, &opts).expect("converts"))
    });
    group.finish();
}

/// The cases of the performance issue's table, each a whole `convert` (verification and
/// report included) with the rule budget unlimited: 10,000 Huawei rules with 10% deny rules to
/// Gcore v2 and to Scaleway (`SGCONV_BENCH_TABLE`, default 10000), and — only when
/// `SGCONV_BENCH_MILLION` is set, since one run takes seconds — a 1,000,000-rule Gcore v1
/// group to Gcore v2, taking the input by value as the command line does.
fn table(c: &mut Criterion) {
    let n = env_count("SGCONV_BENCH_TABLE", 10_000);
    let mut group = c.benchmark_group("table");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    if let Some(text) = generate(ProviderId::Huawei, n, "0.1") {
        for to in [ProviderId::GcoreV2, ProviderId::Scaleway] {
            let opts = options(ProviderId::Huawei, to).with_allow_widen(false);
            group.bench_function(BenchmarkId::new(format!("huawei-deny0.1->{to}"), n), |b| {
                b.iter(|| sgconv::convert(&text, ProviderId::Huawei, to, &opts).expect("converts"))
            });
        }
    }
    if std::env::var_os("SGCONV_BENCH_MILLION").is_some()
        && let Some(text) = generate(ProviderId::GcoreV1, 1_000_000, "0")
    {
        let (from, to) = (ProviderId::GcoreV1, ProviderId::GcoreV2);
        let opts = options(from, to).with_allow_widen(false);
        group.measurement_time(Duration::from_secs(60));
        group.bench_function(BenchmarkId::new("gcore-v1->gcore-v2", 1_000_000), |b| {
            b.iter_batched(
                || text.clone(),
                |text| sgconv::convert_owned(text, from, to, &opts).expect("converts"),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, headline, pairs, lowering, table);
criterion_main!(benches);
