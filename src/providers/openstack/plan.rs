//! OpenStack's requests for a plan: check that the project has no group of the name yet,
//! create the group, delete the two egress rules Neutron adds to it, then create its rules in
//! one bulk request (<https://docs.openstack.org/api-ref/network/v2/#security-groups-security-groups>,
//! <https://docs.openstack.org/api-ref/network/v2/#security-group-rules-security-group-rules>).

use serde_json::{Value, json};

use super::CAPS;
use crate::error::Error;
use crate::providers::plan::{
    Api, Auth, GroupRequests, Planner, ToPlan, check_name, create, delete_born, request,
};

/// Neutron's API: a Keystone token in `X-Auth-Token`; the base URL is the network endpoint
/// of the cloud's service catalog, which only the user knows.
pub(super) static PLANNER: Planner = Planner {
    api: Api::new(
        None,
        Auth::x_auth_token(
            "OS_TOKEN",
            "a Keystone token: openstack token issue -f value -c id",
        ),
        "https://docs.openstack.org/api-ref/network/v2/#security-groups-security-groups",
    ),
    group,
};

/// Create and list groups (the list's `name` filters by exact name).
const GROUPS: &str = "/v2.0/security-groups";
/// Rules: bulk create; one rule by id (`{rule}`).
const RULES: &str = "/v2.0/security-group-rules";

/// The requests for one group: `exported` is the group as OpenStack's exporter writes it
/// (`{"security_group": {...}, "security_group_rules": [...]}`, each rule naming its group
/// by the bind).
fn group(group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, bind) = (group.name, group.bind);
    let Value::Object(mut doc) = group.exported else {
        return Err(Error::Internal(
            "plan: an OpenStack group export is not an object".into(),
        ));
    };
    let (Some(Value::Object(mut fields)), Some(Value::Array(rules))) = (
        doc.remove("security_group"),
        doc.remove("security_group_rules"),
    ) else {
        return Err(Error::Internal(
            "plan: an OpenStack group export has no security_group or security_group_rules".into(),
        ));
    };
    fields.insert("name".into(), Value::from(name));
    if let Some(d) = group.description {
        fields.insert("description".into(), Value::from(d));
    }
    let body = json!({ "security_group": fields });
    let mut create = create(GROUPS, body, bind, "/security_group/id");
    let one_rule = format!("{RULES}/{{rule}}");
    let born = delete_born(
        &CAPS,
        bind,
        &mut create,
        ("/security_group/security_group_rules", &one_rule),
    );
    // A rule that exists already is a conflict (409): sent again, the request fails.
    let rules = if rules.is_empty() {
        Vec::new()
    } else {
        vec![request(
            "POST",
            RULES.to_owned(),
            Some(json!({ "security_group_rules": rules })),
        )]
    };
    Ok(GroupRequests {
        check: Some(check_name(GROUPS, "/security_groups", name)),
        create,
        created: json!({ "security_group": fields, "security_group_rules": [] }),
        born,
        rules,
    })
}
