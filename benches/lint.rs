//! `sgconv lint` on generated Huawei rule lists with 10% deny rules
//! (`gen_rules.py huawei N 42 0.1`, see `generated/`): the whole `lint` (import, exposure,
//! shadowing and redundancy, locating each finding's line) and `minimize` (with its
//! verification), on 10,000 rules, and how `lint` (and `diff` of a list with itself) scales
//! to 30,000 and 100,000.
//!
//! `scaling/sparse` lints lists of the same mix whose rules each overlap a few others
//! (`generated/gen_sparse.py`: /24 and /32 prefixes only, no remote groups), so the
//! overlapping pairs grow linearly: how the engine scales apart from the input's pairs
//! (`gen_rules.py`'s /8 prefixes and remote groups make them grow with N²).
//!
//! ```sh
//! cargo bench --bench lint                                  # lint and minimize, 10,000 rules
//! SGCONV_BENCH_LINT_SIZES=10000,30000,100000 cargo bench --bench lint -- scaling
//! ```
//!
//! Benchmarks are not tests: nothing asserts a time (README, "Lint").
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

mod generated;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use generated::{env_count, generate};
use sgconv::lint::LintConfig;
use sgconv::{Options, ProviderId};

fn lint_10k(c: &mut Criterion) {
    let n = env_count("SGCONV_BENCH_LINT", 10_000);
    let Some(text) = generate(ProviderId::Huawei, n, "0.1") else {
        return;
    };
    let options = Options::default();
    let config = LintConfig::default();
    let mut g = c.benchmark_group("lint");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function(BenchmarkId::new("huawei-10%-deny", n), |b| {
        b.iter(|| sgconv::lint(&text, ProviderId::Huawei, &options, &config).expect("lints"));
    });
    g.bench_function(BenchmarkId::new("minimize/huawei-10%-deny", n), |b| {
        b.iter(|| sgconv::minimize(&text, ProviderId::Huawei, &options, &config).expect("reads"));
    });
    g.finish();
}

/// `SGCONV_BENCH_LINT_SIZES` (comma-separated; default 10000,30000).
fn scaling(c: &mut Criterion) {
    let sizes: Vec<usize> = std::env::var("SGCONV_BENCH_LINT_SIZES")
        .unwrap_or_else(|_| "10000,30000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let options = Options::default();
    let config = LintConfig::default();
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    for n in sizes {
        let Some(text) = generate(ProviderId::Huawei, n, "0.1") else {
            return;
        };
        g.bench_function(BenchmarkId::new("lint/huawei-10%-deny", n), |b| {
            b.iter(|| sgconv::lint(&text, ProviderId::Huawei, &options, &config).expect("lints"));
        });
        // A document compared with itself (`sgconv diff`): the rules decide alike box by box.
        g.bench_function(BenchmarkId::new("diff/self/huawei-10%-deny", n), |b| {
            b.iter(|| {
                sgconv::diff(
                    &text,
                    ProviderId::Huawei,
                    &text,
                    ProviderId::Huawei,
                    &options,
                )
                .expect("reads")
            });
        });
        let Some(sparse) = generate_sparse(n, "0.1") else {
            return;
        };
        g.bench_function(BenchmarkId::new("lint/sparse/huawei-10%-deny", n), |b| {
            b.iter(|| sgconv::lint(&sparse, ProviderId::Huawei, &options, &config).expect("lints"));
        });
    }
    g.finish();
}

/// `generated/gen_sparse.py N 42 DENY_FRACTION`, or `None` (with a note) when it
/// cannot run.
fn generate_sparse(n: usize, deny_fraction: &str) -> Option<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/generated/gen_sparse.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(n.to_string())
        .arg("42")
        .arg(deny_fraction)
        .output();
    match out {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout).ok(),
        other => {
            eprintln!(
                "skipping: cannot run python3 {} ({other:?})",
                script.display()
            );
            None
        }
    }
}

criterion_group!(benches, lint_10k, scaling);
criterion_main!(benches);
