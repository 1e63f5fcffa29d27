//! `sgconv::plan`: accounts of several groups with cross and self references, planned for
//! every target; each plan run against a fake of the target's API and its end state judged
//! by the independent evaluators.

mod common;
#[path = "plan/fake_api.rs"]
mod fake_api;
#[path = "plan/fake_api_more.rs"]
mod fake_api_more;
#[path = "plan/judge.rs"]
mod judge;
#[path = "plan/run.rs"]
mod run;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sgconv::report::Verdict;
use sgconv::{GroupMap, Mapped, PlanOptions, ProviderId, plan};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures-plan")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every target sgconv plans for.
const TARGETS: [ProviderId; 7] = [
    ProviderId::GcoreV1,
    ProviderId::GcoreV2,
    ProviderId::Huawei,
    ProviderId::Scaleway,
    ProviderId::OpenStack,
    ProviderId::AwsEc2,
    ProviderId::AzureNsg,
];

/// The account variables of each target, as the tests fill them.
fn variables(to: ProviderId) -> Vec<(&'static str, &'static str)> {
    match to {
        ProviderId::GcoreV1 | ProviderId::GcoreV2 => {
            vec![("{project_id}", "1337"), ("{region_id}", "76")]
        }
        ProviderId::Huawei => vec![("{project_id}", "060576782980d5762f9ec014dd2f1148")],
        ProviderId::Scaleway => vec![
            ("{project_id}", "4f8e2b1a-9c7d-4e6f-a5b3-2d1c0e9f8a01"),
            ("{zone}", "fr-par-1"),
        ],
        ProviderId::AwsEc2 => vec![("{vpc_id}", "vpc-0123456789abcdef0")],
        ProviderId::AzureNsg => vec![
            ("{subscription_id}", "00000000-0000-4000-8000-000000000000"),
            ("{resource_group}", "rg1"),
            ("{location}", "westeurope"),
        ],
        _ => Vec::new(),
    }
}

/// One account: its provider, its files, and whether its rules name groups.
struct Account {
    from: ProviderId,
    files: &'static [&'static str],
    references: bool,
}

const ACCOUNTS: &[Account] = &[
    Account {
        from: ProviderId::GcoreV1,
        files: &["account/gcore_v1_group_list.json"],
        references: true,
    },
    Account {
        from: ProviderId::Huawei,
        files: &["account/huawei_rule_list.json"],
        references: true,
    },
    Account {
        from: ProviderId::OpenStack,
        files: &["account/openstack_group_list.json"],
        references: true,
    },
    Account {
        from: ProviderId::AwsEc2,
        files: &["account/aws_describe_security_groups.json"],
        references: true,
    },
    // Scaleway and Azure rules cannot name groups: the same account, by addresses.
    Account {
        from: ProviderId::Scaleway,
        files: &[
            "account/scaleway_security_groups.json",
            "account/scaleway_rules_0b7c6e4a-2d1f-4e3b-a5c9-6f8e7d9c0a01.json",
            "account/scaleway_rules_0b7c6e4a-2d1f-4e3b-a5c9-6f8e7d9c0a02.json",
            "account/scaleway_rules_0b7c6e4a-2d1f-4e3b-a5c9-6f8e7d9c0a03.json",
        ],
        references: false,
    },
    Account {
        from: ProviderId::AzureNsg,
        files: &[
            "account/azure_nsg_web.json",
            "account/azure_nsg_app.json",
            "account/azure_nsg_db.json",
        ],
        references: false,
    },
];

impl Account {
    fn texts(&self) -> Vec<String> {
        self.files.iter().map(|f| fixture(f)).collect()
    }

    fn plan(&self, to: ProviderId) -> sgconv::Planned {
        let texts = self.texts();
        let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let names = self.files.iter().map(|f| (*f).to_owned()).collect();
        plan(
            &inputs,
            self.from,
            to,
            &PlanOptions::default().with_names(names),
        )
        .unwrap_or_else(|e| panic!("{} -> {to}: {e}", self.from))
    }

    /// The account as one document the raw evaluator (or sgconv, for Azure) reads.
    fn source_document(&self) -> String {
        let texts = self.texts();
        match self.from {
            ProviderId::Scaleway => {
                let groups: Value = serde_json::from_str(&texts[0]).unwrap();
                let docs: Vec<Value> = groups["security_groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| {
                        let id = g["id"].as_str().unwrap();
                        let i = self.files.iter().position(|f| f.contains(id)).unwrap();
                        let rules: Value = serde_json::from_str(&texts[i]).unwrap();
                        json!({ "document": { "security_group": g, "rules": rules["rules"] } })
                    })
                    .collect();
                json!({ "groups": docs }).to_string()
            }
            ProviderId::AzureNsg => {
                let docs: Vec<Value> = texts
                    .iter()
                    .map(|t| json!({ "document": serde_json::from_str::<Value>(t).unwrap() }))
                    .collect();
                json!({ "groups": docs }).to_string()
            }
            _ => texts[0].clone(),
        }
    }

    /// The verdict expected: exact, unless the target cannot name groups and the account's
    /// rules do.
    fn expected(&self, to: ProviderId) -> Verdict {
        let names_groups = to.capabilities().remote_group;
        // Azure's default rules name service tags (address groups): shadowed by the NSGs'
        // own final deny rules, yet reported as left out by Scaleway's fit (the allow-only
        // targets lower them away first).
        let azure_tags = self.from == ProviderId::AzureNsg && to == ProviderId::Scaleway;
        if (self.references && !names_groups) || azure_tags {
            Verdict::Narrowed
        } else {
            Verdict::Exact
        }
    }
}

/// Run `plan` against a fake of `to`: the fake, and source id → new id of each group.
fn run_plan(plan: &sgconv::Plan, to: ProviderId) -> (fake_api::Fake, BTreeMap<String, String>) {
    let json = serde_json::to_value(plan).unwrap();
    let mut fake = fake_api::Fake::new(to.name());
    let bound = run::apply(&json, &mut fake, &variables(to))
        .unwrap_or_else(|e| panic!("{} -> {to}: {e}", plan.from));
    let ids = plan
        .groups
        .iter()
        .filter_map(|g| {
            let id = bound.get(&format!("{{{{{}}}}}", g.bind))?;
            Some((g.source_id.clone()?, id.clone()))
        })
        .collect();
    (fake, ids)
}

#[test]
fn every_account_plans_for_every_target_and_its_end_state_is_judged_alike() {
    for account in ACCOUNTS {
        let source = judge::Side::read(&account.source_document(), account.from.name());
        for to in TARGETS {
            let planned = account.plan(to);
            let what = format!("{} -> {to}", account.from);
            let expected = account.expected(to);
            assert_eq!(planned.report.verdict, expected, "{what}");
            let plan = planned.outcome.unwrap_or_else(|r| panic!("{what}: {r}"));
            assert_eq!(plan.groups.len(), 3, "{what}");
            let (fake, ids) = run_plan(&plan, to);
            assert_eq!(fake.ids().len(), 3, "{what}: groups created");
            let end = fake.document().to_string();
            let target = judge::Side::read(&end, to.name());
            let judged = judge::compare(&source, &target, &ids, expected == Verdict::Exact)
                .unwrap_or_else(|e| panic!("{what}: {e}\nend state: {end}"));
            assert!(judged > 1000, "{what}: {judged} packets judged");
        }
    }
}

#[test]
fn the_gcore_account_planned_for_every_target() {
    let account = &ACCOUNTS[0];
    for to in TARGETS {
        let plan = account.plan(to).outcome.unwrap();
        common::settings().bind(|| {
            insta::assert_json_snapshot!(format!("plan__account_gcore_v1__{to}"), plan);
        });
    }
}

#[test]
fn the_scaleway_account_pairs_rule_lists_with_groups_by_file_name() {
    let account = &ACCOUNTS[4];
    let texts = account.texts();
    let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // Without names, a rule list cannot be paired.
    let err = plan(
        &inputs,
        ProviderId::Scaleway,
        ProviderId::Huawei,
        &PlanOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("without a name"), "{err}");
    // A group whose rule list is missing is refused, not read as having no rules.
    let names: Vec<String> = account.files.iter().map(|f| (*f).to_owned()).collect();
    let err = plan(
        &inputs[..3],
        ProviderId::Scaleway,
        ProviderId::Huawei,
        &PlanOptions::default().with_names(names[..3].to_vec()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("has no rule list"), "{err}");
    // Two lists for one group.
    let twice = [inputs[0], inputs[1], inputs[1], inputs[2], inputs[3]];
    let names2 = vec![
        names[0].clone(),
        names[1].clone(),
        names[1].clone(),
        names[2].clone(),
        names[3].clone(),
    ];
    let err = plan(
        &twice,
        ProviderId::Scaleway,
        ProviderId::Huawei,
        &PlanOptions::default().with_names(names2),
    )
    .unwrap_err();
    assert!(err.to_string().contains("two rule lists"), "{err}");
    // The groups keep their names and policies.
    let plan = account.plan(ProviderId::GcoreV2).outcome.unwrap();
    let names: Vec<&str> = plan.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["web", "app", "db"]);
}

/// What the plans say a re-run does, and the checks that stop one.
#[test]
fn a_second_run_stops_at_the_checks_before_creating_anything() {
    let account = &ACCOUNTS[1];
    for to in TARGETS {
        let plan = account.plan(to).outcome.unwrap();
        let json = serde_json::to_value(&plan).unwrap();
        for step in &plan.steps {
            let expected = match (step.method, to) {
                ("GET", _) => "same",
                (_, ProviderId::AzureNsg) => "same",
                ("POST", ProviderId::AwsEc2) => "fails",
                _ if step.id.starts_with("create-") => "duplicate",
                (_, ProviderId::Scaleway | ProviderId::Huawei) if step.id.contains("-rules-") => {
                    "same"
                }
                _ => "fails",
            };
            let rerun = serde_json::to_value(step.rerun).unwrap();
            assert_eq!(rerun, expected, "{to} {}", step.id);
        }
        let mut fake = fake_api::Fake::new(to.name());
        run::apply(&json, &mut fake, &variables(to)).unwrap();
        let first = fake.requests.len();
        let again = run::apply(&json, &mut fake, &variables(to));
        let sent: Vec<&str> = fake.requests[first..]
            .iter()
            .map(|r| r.method.as_str())
            .collect();
        match to {
            // Group names are unique in a VPC: the second create is refused.
            ProviderId::AwsEc2 => {
                assert!(again.is_err(), "{to}");
                assert_eq!(sent, ["POST"], "{to}");
            }
            _ => {
                let err = again.unwrap_err();
                assert!(err.starts_with("check-group-1"), "{to}: {err}");
                assert_eq!(sent, ["GET"], "{to}: nothing but the first check");
            }
        }
        assert_eq!(fake.ids().len(), 3, "{to}: no second group");
    }
}

#[test]
fn reserved_and_taken_names_are_changed_and_reported() {
    let group = |name: &str| {
        format!(
            r#"{{"name": "{name}", "rules": [{{"direction": "ingress", "protocol": "tcp",
            "port_range_min": 22, "port_range_max": 22, "ethertype": "IPv4",
            "remote_ip_prefix": "10.0.0.0/8"}}]}}"#
        )
    };
    let texts = [
        group("web"),
        group("web"),
        group("Default"),
        group("default-migrated"),
    ];
    let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let planned = plan(
        &inputs,
        ProviderId::GcoreV2,
        ProviderId::Huawei,
        &PlanOptions::default(),
    )
    .unwrap();
    let plan = planned.outcome.unwrap();
    let names: Vec<&str> = plan.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        ["web", "web-2", "Default-migrated", "default-migrated-4"]
    );
    let messages: Vec<String> = planned
        .report
        .entries
        .iter()
        .filter(|e| e.field == sgconv::report::Field::Name)
        .map(|e| format!("{} {}", e.group, e.message))
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].starts_with("1 an earlier group"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("\"default\" is the name"),
        "{messages:?}"
    );
    // Each check and create names the group by its new name.
    let check = plan.steps.iter().find(|s| s.id == "check-group-4").unwrap();
    assert!(
        check.path.ends_with("?name=default-migrated-4"),
        "{}",
        check.path
    );
}

/// The rules a new group is born with come from the target's capabilities, for the simulation
/// and for the steps that delete them alike.
#[test]
fn born_with_rules_are_the_capabilities_and_are_deleted_or_avoided() {
    let account = &ACCOUNTS[1];
    for to in TARGETS {
        let caps = to.capabilities();
        let born: usize = caps
            .born_with
            .iter()
            .map(|b| if b.family.is_some() { 1 } else { 2 })
            .sum();
        let plan = account.plan(to).outcome.unwrap();
        for (n, group) in plan.groups.iter().enumerate() {
            let deletes = plan
                .steps
                .iter()
                .filter(|s| {
                    s.id.starts_with(&format!("group-{}-delete-default-", n + 1))
                })
                .count();
            match to {
                // Created with "rules": [], which leaves the default egress rules out.
                ProviderId::GcoreV2 => {
                    assert_eq!(deletes, 0);
                    assert!(
                        group.born_with.ends_with("asks for no rules)"),
                        "{}",
                        group.born_with
                    );
                }
                _ if born == 0 => {
                    assert_eq!(deletes, 0, "{to}");
                    assert_eq!(group.born_with, "nothing", "{to}");
                }
                _ => {
                    assert_eq!(deletes, born, "{to}");
                    for b in caps.born_with {
                        assert!(
                            group.born_with.contains(b.about),
                            "{to}: {}",
                            group.born_with
                        );
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The first fixture: a Huawei rule list naming a group outside the input.

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
fn every_step_comes_after_the_steps_it_names() {
    let text = fixture(HUAWEI);
    for to in TARGETS {
        let plan = plan(&[&text], ProviderId::Huawei, to, &mapped())
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
                    assert!(!step.after.is_empty(), "{to}: {} names {name}", step.id);
                }
            }
            for after in &step.after {
                assert!(
                    seen.contains(&after.as_str()),
                    "{to}: {} after {after}",
                    step.id
                );
            }
            seen.push(&step.id);
            bound.extend(step.binds.keys().map(String::as_str));
        }
        if to == ProviderId::GcoreV2 {
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
    }
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
