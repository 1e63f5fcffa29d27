//! Lowering and verification at scale: a priority group of 10,000 rules, 1,000 of them
//! denies, lowered to Gcore (allow-only) and verified by re-import and packet-set comparison.
//!
//! `cargo bench --bench semantics`
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use criterion::{Criterion, criterion_group, criterion_main};
use sgconv::model::{
    Action, Direction, Document, Evaluation, Family, PortRange, PortSet, Protocol, Remote, Rule,
    RuleSpec, SecurityGroup,
};
use sgconv::{Options, ProviderId};

/// A small deterministic generator (no dependency needed for benchmark input).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PORTS: [u64; 20] = [
    22, 25, 53, 80, 110, 143, 443, 465, 587, 993, 995, 1433, 3306, 5432, 6379, 8080, 8443, 9000,
    9200, 27017,
];

/// 9,000 allow rules (tcp, one port, a /16 or /24 of 10.0.0.0/8) and 1,000 deny rules (a /28
/// inside those ranges) evaluated first.
fn group() -> SecurityGroup {
    let mut rng = Lcg(5);
    let mut rules = Vec::with_capacity(10_000);
    for i in 0..10_000u64 {
        let deny = i % 10 == 0;
        let mut spec = RuleSpec::new(Direction::Ingress, Family::V4);
        spec.protocol = Protocol::TCP;
        let port = PORTS[rng.below(20) as usize];
        spec.ports = PortSet::from_ranges([PortRange::single(port).expect("port")]);
        let (b, c, d) = (rng.below(256), rng.below(256), rng.below(16) * 16);
        let net = if deny {
            format!("10.{b}.{c}.{d}/28")
        } else if rng.below(2) == 0 {
            format!("10.{b}.0.0/16")
        } else {
            format!("10.{b}.{c}.0/24")
        };
        spec.remote = Remote::Cidr(net.parse().expect("net"));
        spec.action = if deny { Action::Deny } else { Action::Allow };
        spec.priority = Some(if deny { 1 } else { 100 });
        rules.push(Rule::new(spec).expect("rule"));
    }
    let mut g = SecurityGroup::empty();
    g.evaluation = Evaluation::Priority;
    g.rules = rules;
    g
}

fn text(group: &SecurityGroup) -> String {
    let doc = Document {
        groups: vec![group.clone()],
    };
    let mut report = sgconv::Report::new(ProviderId::Canonical, ProviderId::Canonical);
    let fitted = sgconv::stages::fit(
        &doc,
        ProviderId::Canonical,
        &Options::default(),
        &mut report,
    )
    .expect("canonical holds every group");
    sgconv::stages::export(&fitted, &Options::default(), &mut report)
        .expect("export")
        .into_json()
}

fn bench(c: &mut Criterion) {
    let g = group();
    let input = text(&g);
    let options = Options::default().with_rule_budget(Some(1_000_000));
    let doc = Document {
        groups: vec![g.clone()],
    };
    let mut sample = sgconv::Report::new(ProviderId::Canonical, ProviderId::GcoreV2);
    let lowered =
        sgconv::stages::fit(&doc, ProviderId::GcoreV2, &options, &mut sample).expect("lowers");
    eprintln!(
        "10,000 rules (1,000 denies) lowered to {} Gcore rules",
        lowered.document().groups[0].rules.len()
    );
    let mut group = c.benchmark_group("10k_rules_1k_denies");
    group.sample_size(10);
    group.bench_function("lower_to_gcore", |b| {
        b.iter(|| {
            let mut report = sgconv::Report::new(ProviderId::Canonical, ProviderId::GcoreV2);
            sgconv::stages::fit(&doc, ProviderId::GcoreV2, &options, &mut report).expect("lowers")
        })
    });
    group.bench_function("compare_source_with_lowered", |b| {
        b.iter(|| sgconv::semantics::compare(0, &g, &lowered.document().groups[0]))
    });
    group.bench_function("convert_and_verify_to_gcore", |b| {
        b.iter(|| {
            sgconv::convert(&input, ProviderId::Canonical, ProviderId::GcoreV2, &options)
                .expect("converts")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
