//! Scaleway's requests for a plan: check that the project has no group of the name yet,
//! create the group with its policies, then one PUT that sets all its rules
//! (<https://www.scaleway.com/en/developers/api/instance/#path-security-groups-update-all-the-rules-of-a-security-group>).

use serde_json::{Value, json};

use crate::error::Error;
use crate::providers::plan::{
    Api, Auth, Born, GroupRequests, Planner, Rerun, ToPlan, check_name, create, request,
};

/// Scaleway's API: a secret key in `X-Auth-Token`
/// (<https://www.scaleway.com/en/developers/api/#authentication>).
pub(super) static PLANNER: Planner = Planner {
    api: Api::new(
        Some("https://api.scaleway.com"),
        Auth::x_auth_token(
            "SCW_SECRET_KEY",
            "the secret key of an API key (Scaleway console, IAM, API keys)",
        ),
        "https://www.scaleway.com/en/developers/api/instance/#path-security-groups",
    ),
    group,
};

/// Create and list groups.
const GROUPS: &str = "/instance/v1/zones/{zone}/security_groups";

/// The requests for one group: `exported` is the group as Scaleway's exporter writes it
/// (`{"security_group": {...}, "rules": [...]}`).
fn group(group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, description, bind) = (group.name, group.description, group.bind);
    let Value::Object(mut doc) = group.exported else {
        return Err(Error::Internal(
            "plan: a Scaleway group export is not an object".into(),
        ));
    };
    let (Some(Value::Object(mut group)), Some(rules)) =
        (doc.remove("security_group"), doc.remove("rules"))
    else {
        return Err(Error::Internal(
            "plan: a Scaleway group export has no security_group or rules".into(),
        ));
    };
    group.insert("name".into(), Value::from(name));
    if let Some(d) = description {
        group.insert("description".into(), Value::from(d));
    }
    group.insert("project".into(), Value::from("{project_id}"));
    let created = json!({ "security_group": group.clone(), "rules": [] });
    let create = create(GROUPS, Value::Object(group), bind, "/security_group/id");
    // The list's `name` filter may match parts of names: the check compares whole names.
    let mut check = check_name(GROUPS, "/security_groups", name);
    check.path.push_str("&project={project_id}");
    let empty = rules.as_array().is_none_or(Vec::is_empty);
    let rules = if empty {
        Vec::new()
    } else {
        // The PUT replaces every editable rule: sent again, it sets the same list.
        let mut put = request(
            "PUT",
            format!("{GROUPS}/{{{{{bind}}}}}/rules"),
            Some(json!({ "rules": rules })),
        );
        put.rerun = Rerun::Same;
        vec![put]
    };
    Ok(GroupRequests {
        check: Some(check),
        create,
        created,
        // Scaleway adds no rules to a new group (its policies are set on create).
        born: Born::Nothing,
        rules,
    })
}
