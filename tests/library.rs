//! sgconv as a dependency: what a program that links the library sees.
//!
//! Everything here goes through the public API only, as an external crate would (`sgconv::…`,
//! no test helpers from `tests/common`): documents built in code with the model's
//! constructors, converted with `convert_document` and `convert`, compared with `diff` and
//! `diff_documents`, and the reports snapshot-tested with insta (in the top-level
//! `snapshots/`, as `library@…`).

use std::error::Error as StdError;

use sgconv::model::{
    Action, Direction, Document, Evaluation, Family, ModelError, PortRange, PortSet, Protocol,
    Remote, Rule, RuleSpec, SecurityGroup,
};
use sgconv::report::{Kind, Refusal, Report, Verdict};
use sgconv::{
    Converted, Error, Options, ProviderId, convert, convert_document, diff, diff_documents, import,
};

type Result<T = (), E = Box<dyn StdError>> = std::result::Result<T, E>;

/// insta as the repository's other tests use it: snapshots in `<repo>/snapshots`, named
/// without the module.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

fn tcp(port: u64, from: &str) -> Result<RuleSpec> {
    let mut spec = RuleSpec::new(Direction::Ingress, Family::V4);
    spec.protocol = Protocol::TCP;
    spec.ports = PortSet::from_ranges([PortRange::single(port)?]);
    spec.remote = Remote::Cidr(from.parse()?);
    Ok(spec)
}

fn deny(mut spec: RuleSpec) -> RuleSpec {
    spec.action = Action::Deny;
    spec
}

/// The library review's case: deny every IPv4 ingress packet, then allow tcp 22 from
/// 10.0.0.0/8, first match deciding. The allow rule allows nothing (the deny before it
/// matches every packet it would), so the group allows no ingress at all.
fn deny_all_then_ssh() -> Result<Document> {
    let deny_all = deny(RuleSpec::new(Direction::Ingress, Family::V4));
    let group = SecurityGroup::first_match(vec![
        Rule::new(deny_all)?,
        Rule::new(tcp(22, "10.0.0.0/8")?)?,
    ])?;
    Ok(Document::new(vec![group]))
}

/// The output and the report of a conversion, as one snapshot value.
fn snapshot_value(c: &Converted) -> serde_json::Value {
    serde_json::json!({
        "outcome": match &c.outcome {
            Ok(output) => serde_json::json!({ "output": output }),
            Err(refusal) => serde_json::json!({ "refused": refusal, "message": refusal.to_string() }),
        },
        "report": c.report,
    })
}

/// Whether the output, read back with the target's own importer, allows exactly what `doc`
/// allows.
fn same_packets(doc: &Document, c: &Converted, to: ProviderId) -> Result<bool> {
    let output = c.outcome.as_ref().map_err(|r| r.to_string())?;
    let back = import(output.as_json(), to, &Options::default())?;
    Ok(diff_documents(doc, &back.document).equal)
}

/// A document built in code can reach a provider's shape only through `convert_document`,
/// which fits it first: the deny-all is never written as an allow-all. To every target the
/// result is exact (and then proven equal by reading it back), narrowed, or refused as a
/// value — never a widening that passes as exact.
///
/// (The public API has no exporter that takes a `Document`: `ProviderId` offers `about` and
/// `capabilities`, and the providers' `export` is crate-internal. The benchmarks' hidden
/// `sgconv::stages::export` takes only a `stages::Fitted`, which only `stages::fit` makes.)
#[test]
fn a_deny_all_built_in_code_never_becomes_an_allow_all() -> Result {
    // Even the benchmarks' stage-by-stage path fits before it exports.
    let mut report = sgconv::Report::new(ProviderId::Canonical, ProviderId::GcoreV2);
    let doc = deny_all_then_ssh()?;
    let fitted = sgconv::stages::fit(&doc, ProviderId::GcoreV2, &Options::default(), &mut report)
        .ok_or("fits")?;
    let out = sgconv::stages::export(&fitted, &Options::default(), &mut report)?;
    assert_eq!(out.to_value()?, serde_json::json!([]), "no allow-all");
    let doc = deny_all_then_ssh()?;
    for &to in ProviderId::ALL {
        let c = convert_document(&doc, to, &Options::default())?;
        match &c.outcome {
            Ok(_) => {
                assert_ne!(
                    c.report.verdict,
                    Verdict::Widened,
                    "{to}: widened and not refused"
                );
                if c.report.verdict == Verdict::Exact {
                    assert!(
                        same_packets(&doc, &c, to)?,
                        "{to}: exact, but reads back different"
                    );
                }
            }
            Err(refusal) => assert_eq!(c.report.verdict, refusal.verdict(), "{to}"),
        }
    }

    // Gcore v2 (allow-only): no ingress rule at all, exactly.
    let gcore = convert_document(&doc, ProviderId::GcoreV2, &Options::default())?;
    assert_eq!(gcore.report.verdict, Verdict::Exact);
    let rules = gcore
        .outcome
        .as_ref()
        .map_err(|r| r.to_string())?
        .to_value()?;
    assert!(
        !rules
            .as_array()
            .ok_or("a rule list")?
            .iter()
            .any(|r| r["direction"] == "ingress"),
        "{rules}"
    );
    // Huawei (priorities): the deny is kept, ahead of the allow.
    let huawei = convert_document(&doc, ProviderId::Huawei, &Options::default())?;
    assert_eq!(huawei.report.verdict, Verdict::Exact);
    assert!(same_packets(&doc, &huawei, ProviderId::Huawei)?);
    settings().bind(|| {
        insta::assert_yaml_snapshot!(
            "library@deny_all_then_ssh_to_gcore_v2",
            snapshot_value(&gcore)
        );
        insta::assert_yaml_snapshot!(
            "library@deny_all_then_ssh_to_huawei",
            snapshot_value(&huawei)
        );
    });
    Ok(())
}

/// The constructors check the group-level invariants, with a typed error; so does
/// `convert_document` for a group built as a struct literal.
#[test]
fn constructors_validate() -> Result {
    let deny_ssh = Rule::new(deny(tcp(22, "10.66.0.0/16")?))?;
    let ssh = Rule::new(tcp(22, "10.0.0.0/8")?)?;

    assert_eq!(
        SecurityGroup::allow_only(vec![ssh.clone(), deny_ssh.clone()]),
        Err(ModelError::DenyInAllowOnly(1))
    );
    assert!(SecurityGroup::allow_only(vec![ssh.clone()]).is_ok());
    assert!(SecurityGroup::first_match(vec![deny_ssh.clone(), ssh.clone()]).is_ok());
    assert!(SecurityGroup::priority(vec![deny_ssh.clone(), ssh.clone()]).is_ok());
    assert_eq!(
        SecurityGroup::new(Evaluation::AllowOnly, vec![deny_ssh.clone()]),
        Err(ModelError::DenyInAllowOnly(0))
    );

    // Built by hand, past the constructors: convert_document checks before anything else.
    let literal = SecurityGroup {
        rules: vec![deny_ssh],
        ..SecurityGroup::empty()
    };
    let err = convert_document(
        &Document::new(vec![literal]),
        ProviderId::Canonical,
        &Options::default(),
    )
    .expect_err("an allow-only group with a deny rule is not a document");
    assert!(
        matches!(err, Error::Model(ModelError::DenyInAllowOnly(0))),
        "{err:?}"
    );
    let open = SecurityGroup {
        default_inbound: Action::Allow,
        rules: vec![ssh],
        ..SecurityGroup::empty()
    };
    let err = convert_document(
        &Document::new(vec![open]),
        ProviderId::GcoreV2,
        &Options::default(),
    )
    .expect_err("an allow-only group that allows by default is not a document");
    assert!(
        matches!(err, Error::Model(ModelError::AllowOnlyDefaultAllow)),
        "{err:?}"
    );

    // A rule's own invariants, likewise typed.
    let mut gre = tcp(22, "10.0.0.0/8")?;
    gre.protocol = Protocol::Number(47);
    assert!(matches!(
        Rule::new(gre),
        Err(ModelError::PortsWithoutPortProtocol { .. })
    ));
    Ok(())
}

/// A rule built in code is reported by its position in its group (numbered by the
/// constructor, or by `convert_document` for a group built as a struct literal): never a
/// made-up "rule 0".
#[test]
fn rules_built_in_code_report_their_own_position() -> Result {
    let mut described = tcp(443, "192.0.2.0/24")?;
    described.description = Some("web from the partner".into());
    let rules = vec![
        Rule::new(tcp(22, "10.0.0.0/8")?)?,
        Rule::new(tcp(80, "10.0.0.0/8")?)?,
        Rule::new(described)?,
    ];

    // Numbered by the constructor: the entry about the description names rule 2.
    let numbered = Document::new(vec![SecurityGroup::allow_only(rules.clone())?]);
    let c = convert_document(&numbered, ProviderId::Scaleway, &Options::default())?;
    let about_description: Vec<_> = c
        .report
        .entries
        .iter()
        .filter(|e| e.field.to_string() == "description")
        .collect();
    assert_eq!(about_description.len(), 1, "{:#?}", c.report.entries);
    let origin = about_description[0].rule.as_ref().ok_or("a rule entry")?;
    assert_eq!(origin.index, Some(2));

    // Not numbered (a struct literal): `convert_document` numbers the rules by their place in
    // the group, so the entry names rule 2 all the same.
    let unnumbered = Document::new(vec![SecurityGroup {
        rules,
        ..SecurityGroup::empty()
    }]);
    let c = convert_document(&unnumbered, ProviderId::Scaleway, &Options::default())?;
    let about_description: Vec<_> = c
        .report
        .entries
        .iter()
        .filter(|e| e.field.to_string() == "description")
        .collect();
    let origin = about_description
        .first()
        .and_then(|e| e.rule.as_ref())
        .ok_or("a rule entry")?;
    assert_eq!(origin.index, Some(2));
    settings().bind(|| {
        insta::assert_yaml_snapshot!("library@unnumbered_rules_to_scaleway", c.report);
    });
    Ok(())
}

/// `Converted`'s equality is about the result, not the clock: the same conversion twice is
/// equal although its stage timings differ.
#[test]
fn converted_equality_ignores_timings() -> Result {
    let v1 = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                 "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"}]"#;
    let a = convert(
        v1,
        ProviderId::GcoreV1,
        ProviderId::Huawei,
        &Options::default(),
    )?;
    let b = convert(
        v1,
        ProviderId::GcoreV1,
        ProviderId::Huawei,
        &Options::default(),
    )?;
    assert!(!a.stats.stages.is_empty());
    assert_eq!(a, b);

    let doc = deny_all_then_ssh()?;
    let a = convert_document(&doc, ProviderId::Scaleway, &Options::default())?;
    let b = convert_document(&doc, ProviderId::Scaleway, &Options::default())?;
    assert_eq!(a, b);
    Ok(())
}

/// A report is a value both ways: what a program saves (`sgconv convert --report`, or
/// `serde_json::to_string`) reads back into the same `Report`, entries, differences and all.
#[test]
fn reports_round_trip_through_serde() -> Result {
    let mut reports: Vec<Report> = Vec::new();
    // Entries of several kinds, with rule origins and values.
    let huawei = r#"{"security_group_rule": {"id": "r-1", "direction": "ingress", "ethertype": "IPv4",
        "protocol": "tcp", "multiport": "22,80", "action": "allow", "priority": 1,
        "remote_ip_prefix": "10.0.0.0/8", "description": "ssh and web"}}"#;
    reports.push(
        convert(
            huawei,
            ProviderId::Huawei,
            ProviderId::Scaleway,
            &Options::default(),
        )?
        .report,
    );
    // Differences (narrowed: Gcore cannot name an address group).
    let mut by_group = tcp(22, "10.0.0.0/8")?;
    by_group.remote = Remote::AddressGroup("ag-1".into());
    let doc = Document::new(vec![SecurityGroup::priority(vec![Rule::new(by_group)?])?]);
    let narrowed = convert_document(&doc, ProviderId::GcoreV2, &Options::default())?;
    assert_eq!(narrowed.report.verdict, Verdict::Narrowed);
    assert!(!narrowed.report.differences.is_empty());
    reports.push(narrowed.report);
    // A refusal (unread input).
    let typo = r#"[{"direction": "ingress", "protocol": "tcp", "remote_ip_prefx": "10.0.0.0/8"}]"#;
    reports.push(
        convert(
            typo,
            ProviderId::GcoreV2,
            ProviderId::Huawei,
            &Options::default(),
        )?
        .report,
    );

    for report in reports {
        let json = serde_json::to_string(&report)?;
        let back: Report = serde_json::from_str(&json)?;
        // `Difference::packet_box` is for programs and not serialised; everything else is.
        let mut expected = report.clone();
        for d in &mut expected.differences {
            d.packet_box = None;
        }
        assert_eq!(back, expected, "{json}");
        assert_eq!(serde_json::to_value(&back)?["sgconv_report"], 1);
    }
    Ok(())
}

/// A refusal is a typed value beside the report, and the report's verdict is the one that
/// refused.
#[test]
fn refusals_are_values() -> Result {
    // Widened: a stateless group into an always-stateful target.
    let mut stateless = SecurityGroup::priority(vec![Rule::new(tcp(22, "10.0.0.0/8")?)?])?;
    stateless.stateful = false;
    let doc = Document::new(vec![stateless]);
    let c = convert_document(&doc, ProviderId::GcoreV2, &Options::default())?;
    assert_eq!(c.outcome, Err(Refusal::Widened));
    assert_eq!(c.report.verdict, Verdict::Widened);
    // Accepted when asked: the same verdict, now with an output.
    let c = convert_document(
        &doc,
        ProviderId::GcoreV2,
        &Options::default().with_allow_widen(true),
    )?;
    assert!(c.outcome.is_ok());
    assert_eq!(c.report.verdict, Verdict::Widened);
    assert!(c.report.count(Kind::Widened) > 0);

    // Narrowed, refused under `strict`.
    let mut by_group = tcp(22, "10.0.0.0/8")?;
    by_group.remote = Remote::AddressGroup("ag-1".into());
    let doc = Document::new(vec![SecurityGroup::priority(vec![Rule::new(by_group)?])?]);
    let c = convert_document(
        &doc,
        ProviderId::GcoreV2,
        &Options::default().with_strict(true),
    )?;
    assert_eq!(c.outcome, Err(Refusal::Narrowed));
    assert_eq!(c.report.verdict, Verdict::Narrowed);

    // A rule budget too small to lower the deny rule into allow-only rules.
    let doc = Document::new(vec![SecurityGroup::first_match(vec![
        Rule::new(deny(tcp(22, "10.66.0.0/16")?))?,
        Rule::new(tcp(22, "10.0.0.0/8")?)?,
    ])?]);
    let over_budget = convert_document(
        &doc,
        ProviderId::GcoreV2,
        &Options::default().with_rule_budget(Some(2)),
    )?;
    let refusal = over_budget.outcome.as_ref().expect_err("over budget");
    assert!(
        matches!(
            refusal,
            Refusal::RuleBudget {
                group: 0,
                budget: 2,
                ..
            }
        ),
        "{refusal:?}"
    );
    assert_eq!(over_budget.report.verdict, refusal.verdict());
    assert_ne!(over_budget.report.verdict, Verdict::Exact);

    // Unverified: input sgconv did not read.
    let typo = r#"[{"direction": "ingress", "protocol": "tcp", "remote_ip_prefx": "10.0.0.0/8"}]"#;
    let c = convert(
        typo,
        ProviderId::GcoreV2,
        ProviderId::Huawei,
        &Options::default(),
    )?;
    assert_eq!(c.outcome, Err(Refusal::Unverified { count: 1 }));
    assert_eq!(c.report.verdict, Verdict::Unverified);

    // Messages name the library's options, not command-line flags.
    for r in [
        Refusal::Widened,
        Refusal::Narrowed,
        Refusal::Unverified { count: 1 },
        refusal.clone(),
    ] {
        assert!(!r.to_string().contains("--"), "{r}");
        assert!(r.to_string().contains("Options::"), "{r}");
    }
    settings().bind(|| {
        insta::assert_yaml_snapshot!(
            "library@refused_over_rule_budget",
            snapshot_value(&over_budget)
        );
    });
    Ok(())
}

/// `diff` compares two texts of any providers; `diff_documents` two documents in hand.
#[test]
fn diff_texts_and_documents() -> Result {
    let doc = deny_all_then_ssh()?;
    let gcore = convert_document(&doc, ProviderId::GcoreV2, &Options::default())?;
    let huawei = convert_document(&doc, ProviderId::Huawei, &Options::default())?;
    let (gcore, huawei) = (gcore.outcome?, huawei.outcome?);
    let d = diff(
        gcore.as_json(),
        ProviderId::GcoreV2,
        huawei.as_json(),
        ProviderId::Huawei,
        &Options::default(),
    )?;
    assert!(d.equal, "{d:#?}");

    // One rule more on one side: the difference says which side, in packets.
    let mut more = doc.clone();
    more.groups[0]
        .rules
        .insert(0, Rule::new(tcp(443, "192.0.2.0/24")?)?);
    let d = diff_documents(&doc, &more);
    assert!(!d.equal);
    settings().bind(|| insta::assert_yaml_snapshot!("library@diff_one_rule_more", d));
    Ok(())
}

/// The README's library section runs here: the code between the markers below is the
/// README's `rust,no_run` snippet, verbatim (less four spaces of indent) — keep them
/// identical; `readme_snippet_is_this_test` checks it.
#[test]
fn readme_library_section() -> Result {
    settings().bind(|| -> Result {
        // README begin
        use sgconv::model::*;
        use sgconv::{Options, ProviderId, convert_document, diff, report::Verdict};

        // First match decides: deny 10.66.0.0/16, then allow SSH from the rest of 10.0.0.0/8.
        let mut deny = RuleSpec::new(Direction::Ingress, Family::V4);
        deny.action = Action::Deny;
        deny.remote = Remote::Cidr("10.66.0.0/16".parse()?);
        let mut ssh = RuleSpec::new(Direction::Ingress, Family::V4);
        ssh.protocol = Protocol::TCP;
        ssh.ports = PortSet::from_ranges([PortRange::single(22)?]);
        ssh.remote = Remote::Cidr("10.0.0.0/8".parse()?);
        let group = SecurityGroup::first_match(vec![Rule::new(deny)?, Rule::new(ssh)?])?;
        let doc = Document::new(vec![group]);

        // Convert: Gcore holds allow rules only, so the deny is lowered into allow CIDRs.
        let options = Options::default();
        let gcore = convert_document(&doc, ProviderId::GcoreV2, &options)?;
        assert_eq!(gcore.report.verdict, Verdict::Exact);
        let huawei = convert_document(&doc, ProviderId::Huawei, &options)?;

        // Diff the two results: different rules, the same packets.
        let (gcore_text, huawei_text) = (gcore.outcome.clone()?, huawei.outcome.clone()?);
        let d = diff(
            gcore_text.as_json(),
            ProviderId::GcoreV2,
            huawei_text.as_json(),
            ProviderId::Huawei,
            &options,
        )?;
        assert!(d.equal);

        // Snapshot-test the report (a versioned value, serde both ways).
        insta::assert_yaml_snapshot!("library@readme_ssh_to_gcore_v2", gcore.report);
        // README end
        Ok(())
    })
}

/// The README's library snippet is the code of `readme_library_section`.
#[test]
fn readme_snippet_is_this_test() -> Result {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md"))?;
    let this = std::fs::read_to_string(format!("{root}/tests/library.rs"))?;
    let start = readme
        .find("```rust,no_run\n")
        .ok_or("the README has a rust,no_run snippet")?;
    let snippet = &readme[start + "```rust,no_run\n".len()..];
    let snippet = &snippet[..snippet.find("```").ok_or("the snippet ends")?];
    let snippet: Vec<&str> = snippet.lines().filter(|l| !l.starts_with("# ")).collect();
    let begin = this.find("// README begin\n").ok_or("begin marker")? + "// README begin\n".len();
    let end = this.find("        // README end").ok_or("end marker")?;
    let code: Vec<&str> = this[begin..end]
        .lines()
        .map(|l| l.strip_prefix("        ").unwrap_or(l))
        .collect();
    assert_eq!(snippet, code, "README.md and tests/library.rs disagree");
    Ok(())
}
