//! Gcore's requests for a plan: check that no group has the name yet, create the group, then
//! one create-rule request per rule.
//! API: <https://api.gcore.com/docs/cloud#tag/Security-Groups>.

use serde_json::{Value, json};

use super::{CAPS, Gcore};
use crate::error::Error;
use crate::providers::plan::{
    Api, Auth, Born, GroupRequests, Planner, Request, Rerun, ToPlan, Wait, check_name, create,
    delete_born, name_fields, request, rule_bodies,
};

/// Gcore's API: "Authorization: APIKey <token>"
/// (<https://gcore.com/docs/cloud/networking/add-and-configure-a-firewall>,
/// <https://api.gcore.com/docs/iam#section/Authentication>).
static API: Api = Api::new(
    Some("https://api.gcore.com"),
    Auth::Header {
        name: "Authorization",
        prefix: "APIKey ",
        variable: "GCORE_API_KEY",
        how: "a permanent API token (Gcore Customer Portal, Profile, API Tokens)",
    },
    "https://api.gcore.com/docs/cloud#tag/Security-Groups",
);

/// Plans with API v1 (deprecated writes).
pub(super) static V1: Planner = Planner {
    api: API,
    group: |group| group_of(Gcore::V1, group),
};

/// Plans with API v2.
pub(super) static V2: Planner = Planner {
    api: API,
    group: |group| group_of(Gcore::V2, group),
};

/// v1 group paths (deprecated in the API reference, still served); also the list to look
/// names up in.
const V1_GROUPS: &str = "/cloud/v1/securitygroups/{project_id}/{region_id}";
/// v1 path of one rule, by id (`{rule}`).
const V1_RULE: &str = "/cloud/v1/securitygrouprules/{project_id}/{region_id}/{rule}";
/// v2 paths.
const V2_GROUPS: &str = "/cloud/v2/security_groups/{project_id}/{region_id}";

/// A v2 write is a task: `{"tasks": [id]}`, then `GET /cloud/v1/tasks/{id}` until its state is
/// FINISHED (or ERROR); the new ids are in its `created_resources`.
const TASK: Wait = Wait {
    task: "/tasks/0",
    poll: "/cloud/v1/tasks/{{task}}",
    state: "/state",
    done: "FINISHED",
    failed: "ERROR",
};

/// The requests for one group: `exported` is the group as [`Gcore`] exports it (a list of
/// create-rule bodies).
fn group_of(dialect: Gcore, group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, description, bind) = (group.name, group.description, group.bind);
    let bodies = rule_bodies(group.exported, "Gcore")?;
    let fields = name_fields(name, description);
    let placeholder = format!("{{{{{bind}}}}}");
    // `name` filters the list by the exact full name (API reference, list security groups).
    let check = Some(check_name(V1_GROUPS, "/results", name));
    Ok(match dialect {
        Gcore::V1 => {
            let body = json!({ "security_group": fields });
            let mut create = create(V1_GROUPS, body, bind, "/id");
            let born = delete_born(&CAPS, bind, &mut create, ("/security_group_rules", V1_RULE));
            let mut created = fields;
            created.insert("security_group_rules".into(), json!([]));
            GroupRequests {
                check,
                create,
                created: Value::Object(created),
                born,
                rules: rule_requests(&format!("{V1_GROUPS}/{placeholder}/rules"), bodies, None),
            }
        }
        Gcore::V2 => {
            let mut body = fields;
            body.insert("rules".into(), json!([]));
            let created = Value::Object(body.clone());
            let mut create = create(
                V2_GROUPS,
                Value::Object(body),
                bind,
                "/created_resources/security_groups/0",
            );
            create.wait = Some(TASK);
            GroupRequests {
                check,
                create,
                created,
                // An explicit empty `rules` leaves out the default egress rules.
                born: Born::Avoided,
                rules: rule_requests(
                    &format!("{V2_GROUPS}/{placeholder}/rules"),
                    bodies,
                    Some(TASK),
                ),
            }
        }
    })
}

/// One POST per rule body; a rule created twice is a conflict (Neutron's duplicate check).
fn rule_requests(path: &str, bodies: Vec<Value>, wait: Option<Wait>) -> Vec<Request> {
    bodies
        .into_iter()
        .map(|body| {
            let mut r = request("POST", path.to_owned(), Some(body));
            r.rerun = Rerun::Fails;
            r.wait = wait;
            r
        })
        .collect()
}
