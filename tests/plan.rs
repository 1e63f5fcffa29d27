//! `sgconv::plan`: several groups with cross and self references, planned for each target,
//! the end state verified.

mod common;

use sgconv::report::Verdict;
use sgconv::{GroupMap, Mapped, PlanOptions, ProviderId, plan};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures-plan")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

const HUAWEI: &str = "huawei_three_groups.json";
/// The fixture's group outside the input.
const OUTSIDE: &str = "99999999-9999-4999-8999-999999999999";

fn mapped() -> PlanOptions {
    let mut map = GroupMap::new();
    map.insert(
        OUTSIDE.to_owned(),
        Mapped::Cidrs(vec!["10.9.0.0/16".to_owned()]),
    );
    PlanOptions::default().with_group_map(map)
}

#[test]
fn three_groups_plan_for_every_target() {
    let text = fixture(HUAWEI);
    for to in [
        ProviderId::GcoreV1,
        ProviderId::GcoreV2,
        ProviderId::Huawei,
        ProviderId::Scaleway,
    ] {
        let planned = plan(&[&text], ProviderId::Huawei, to, &mapped()).unwrap();
        // Scaleway has no remote groups: the references are left out, and that narrows.
        let expected = if to == ProviderId::Scaleway {
            Verdict::Narrowed
        } else {
            Verdict::Exact
        };
        assert_eq!(planned.report.verdict, expected, "{to}");
        let plan = planned.outcome.unwrap();
        assert_eq!(plan.groups.len(), 3);
        common::settings().bind(|| {
            insta::assert_json_snapshot!(format!("plan__huawei_three_groups__{to}"), plan);
        });
    }
}

#[test]
fn every_step_comes_after_the_steps_it_names() {
    let text = fixture(HUAWEI);
    let plan = plan(&[&text], ProviderId::Huawei, ProviderId::GcoreV2, &mapped())
        .unwrap()
        .outcome
        .unwrap();
    let mut seen: Vec<&str> = Vec::new();
    let mut bound: Vec<&str> = Vec::new();
    for step in &plan.steps {
        let text = format!(
            "{}{}",
            step.path,
            step.body
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        );
        for name in &bound {
            if text.contains(&format!("{{{{{name}}}}}")) {
                assert!(!step.after.is_empty(), "{} names {name}", step.id);
            }
        }
        for after in &step.after {
            assert!(seen.contains(&after.as_str()), "{} after {after}", step.id);
        }
        seen.push(&step.id);
        bound.extend(step.binds.keys().map(String::as_str));
    }
    // Group 2's rules name groups 1, 2 and 3: they come after the three creates.
    let rules = plan
        .steps
        .iter()
        .find(|s| s.id == "group-2-rules-1")
        .unwrap();
    assert!(rules.after.contains(&"create-group-1".to_owned()));
    assert!(rules.after.contains(&"create-group-2".to_owned()));
    assert_eq!(plan.variables, ["{project_id}", "{region_id}"]);
}

#[test]
fn an_unmapped_outside_group_narrows_and_strict_refuses() {
    let text = fixture(HUAWEI);
    let planned = plan(
        &[&text],
        ProviderId::Huawei,
        ProviderId::GcoreV2,
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(planned.report.verdict, Verdict::Narrowed);
    assert!(
        planned
            .report
            .entries
            .iter()
            .any(|e| e.value.as_deref() == Some(OUTSIDE))
    );
    let plan_ok = planned.outcome.unwrap();
    assert!(!plan_ok.steps.iter().any(|s| {
        s.body
            .as_ref()
            .is_some_and(|b| b.to_string().contains(OUTSIDE))
    }));
    let strict = PlanOptions::default().with_convert(sgconv::Options::default().with_strict(true));
    let refused = plan(&[&text], ProviderId::Huawei, ProviderId::GcoreV2, &strict).unwrap();
    assert_eq!(refused.outcome.unwrap_err(), sgconv::Refusal::Narrowed);
}

#[test]
fn an_outside_group_mapped_to_a_target_group_is_named_by_its_id() {
    let text = fixture(HUAWEI);
    let mut map = GroupMap::new();
    map.insert(
        OUTSIDE.to_owned(),
        Mapped::Group("existing-gcore-id".into()),
    );
    let options = PlanOptions::default().with_group_map(map);
    let planned = plan(&[&text], ProviderId::Huawei, ProviderId::GcoreV1, &options).unwrap();
    assert_eq!(planned.report.verdict, Verdict::Exact);
    let plan = planned.outcome.unwrap();
    assert!(plan.steps.iter().any(|s| {
        s.body
            .as_ref()
            .is_some_and(|b| b.to_string().contains("existing-gcore-id"))
    }));
}

#[test]
fn groups_from_several_inputs_refer_to_each_other() {
    // Two Gcore v2 group bodies, one per file, naming each other by id.
    let a = r#"{"name": "web", "rules": [{"direction": "egress", "protocol": "tcp",
        "port_range_min": 5432, "port_range_max": 5432, "remote_group_id": "db"}]}"#;
    let b = r#"{"name": "default", "rules": [{"direction": "ingress", "protocol": "tcp",
        "port_range_min": 5432, "port_range_max": 5432, "remote_group_id": "group-1"}]}"#;
    let planned = plan(
        &[a, b],
        ProviderId::GcoreV2,
        ProviderId::Huawei,
        &PlanOptions::default(),
    )
    .unwrap();
    let plan = planned.outcome.unwrap();
    // "db" is outside (the second group has no id: it is group-2), "group-1" is the first.
    assert_eq!(plan.groups[1].name, "default-migrated");
    assert_eq!(plan.verdict, Verdict::Narrowed);
}
