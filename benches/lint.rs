//! `sgconv lint` on generated Huawei rule lists with 10% deny rules
//! (`gen_rules.py huawei N 42 0.1`, see `generated/`): the whole `lint` (import, exposure,
//! shadowing and redundancy, locating each finding's line) and `minimize` (with its
//! verification), on 10,000 rules, and how `lint` scales to 30,000 and 100,000.
//!
//! ```sh
//! cargo bench --bench lint                                  # lint and minimize, 10,000 rules
//! SGCONV_BENCH_LINT_SIZES=10000,30000,100000 cargo bench --bench lint -- scaling
//! ```
//!
//! Benchmarks are not tests: nothing asserts a time (README, "Lint").
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

mod generated;

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
    }
    g.finish();
}

criterion_group!(benches, lint_10k, scaling);
criterion_main!(benches);
