//! Gcore's requests for a plan: create the group, then one create-rule request per rule.
//! API: <https://api.gcore.com/docs/cloud#tag/Security-Groups>.

use serde_json::{Value, json};

use super::Gcore;
use crate::error::Error;
use crate::providers::plan::{GroupRequests, Request, ToPlan, name_fields, request, rule_bodies};

/// v1 paths (deprecated in the API reference, still served).
const V1_GROUPS: &str = "/cloud/v1/securitygroups/{project_id}/{region_id}";
/// v1 path of one rule, by id.
const V1_RULE: &str = "/cloud/v1/securitygrouprules/{project_id}/{region_id}";
/// v2 paths.
const V2_GROUPS: &str = "/cloud/v2/security_groups/{project_id}/{region_id}";

/// How many default egress rules a v1 group is born with (IPv4 and IPv6 allow-all).
const V1_DEFAULT_RULES: usize = 2;

/// The requests for one group: `exported` is the group as [`Gcore`] exports it (a list of
/// create-rule bodies).
pub(super) fn group(dialect: Gcore, group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, description, bind) = (group.name, group.description, group.bind);
    let bodies = rule_bodies(group.exported, "Gcore")?;
    let fields = name_fields(name, description);
    let placeholder = format!("{{{{{bind}}}}}");
    Ok(match dialect {
        Gcore::V1 => {
            let mut create = request(
                "POST",
                V1_GROUPS.to_owned(),
                Some(json!({ "security_group": fields })),
            );
            create.binds.push((bind.to_owned(), "/id".to_owned()));
            let born = (0..V1_DEFAULT_RULES)
                .map(|i| {
                    let name = format!("{bind}_default_{i}");
                    create
                        .binds
                        .push((name.clone(), format!("/security_group_rules/{i}/id")));
                    request("DELETE", format!("{V1_RULE}/{{{{{name}}}}}"), None)
                })
                .collect();
            let mut created = fields;
            created.insert("security_group_rules".into(), json!([]));
            GroupRequests {
                create,
                created: Value::Object(created),
                born,
                born_with: "Gcore's default egress rules (allow-all, IPv4 and IPv6): deleted".into(),
                rules: rule_requests(&format!("{V1_GROUPS}/{placeholder}/rules"), bodies),
            }
        }
        Gcore::V2 => {
            let mut body = fields;
            body.insert("rules".into(), json!([]));
            let mut create = request("POST", V2_GROUPS.to_owned(), Some(Value::Object(body.clone())));
            create.binds.push((
                bind.to_owned(),
                "/created_resources/security_groups/0".to_owned(),
            ));
            create.note = Some(
                "the response is {\"tasks\": [id]}: the id is in the task, once GET \
                 /cloud/v1/tasks/{id} says FINISHED",
            );
            let mut rules = rule_requests(&format!("{V2_GROUPS}/{placeholder}/rules"), bodies);
            for rule in &mut rules {
                rule.note = Some("the response is a task; wait for it to finish");
            }
            GroupRequests {
                create,
                created: Value::Object(body),
                born: Vec::new(),
                born_with: "nothing: created with \"rules\": [], which leaves out Gcore's default \
                            egress rules"
                    .into(),
                rules,
            }
        }
    })
}

/// One POST per rule body.
fn rule_requests(path: &str, bodies: Vec<Value>) -> Vec<Request> {
    bodies
        .into_iter()
        .map(|body| request("POST", path.to_owned(), Some(body)))
        .collect()
}
