//! Huawei's requests for a plan: check that no group has the name yet, create the group,
//! delete the default rules it is born with, then batch-create its rules, at most 200 per
//! call (<https://support.huaweicloud.com/api-vpc/BatchCreateSecurityGroupRules.html>).

use serde_json::{Value, json};

use super::CAPS;
use crate::error::Error;
use crate::providers::plan::{
    Api, Auth, GroupRequests, Planner, Rerun, ToPlan, check_name, create, delete_born, name_fields,
    request, rule_bodies,
};

/// Huawei's VPC endpoint of a region, with token authentication: a project-scoped IAM token
/// in `X-Auth-Token` (<https://support.huaweicloud.com/api-vpc/vpc_api00_0010.html>), which
/// needs no request signing (AK/SK is the other way, and signs every request).
pub(super) static PLANNER: Planner = Planner {
    api: Api::new(
        Some("https://vpc.{region}.myhuaweicloud.com"),
        Auth::x_auth_token(
            "HUAWEI_AUTH_TOKEN",
            "a project-scoped IAM token: the X-Subject-Token header of POST \
              https://iam.{region}.myhuaweicloud.com/v3/auth/tokens",
        ),
        "https://support.huaweicloud.com/api-vpc/CreateSecurityGroup.html",
    ),
    group,
};

/// Create and list groups (<https://support.huaweicloud.com/api-vpc/CreateSecurityGroup.html>;
/// the list's `name` filters by exact name:
/// <https://support.huaweicloud.com/api-vpc/vpc_apiv3_0011.html>).
const GROUPS: &str = "/v3/{project_id}/vpc/security-groups";
/// Delete a rule, by id (`{rule}`)
/// (<https://support.huaweicloud.com/api-vpc/DeleteSecurityGroupRule.html>).
const RULE: &str = "/v3/{project_id}/vpc/security-group-rules/{rule}";
/// Rules per batch-create call.
const BATCH: usize = 200;

/// The requests for one group: `exported` is the group as Huawei's exporter writes it (a
/// list of `{"security_group_rule": {...}}` create bodies).
fn group(group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, description, bind) = (group.name, group.description, group.bind);
    let bodies = rule_bodies(group.exported, "Huawei")?;
    let mut rules = Vec::with_capacity(bodies.len());
    for body in bodies {
        let Value::Object(mut outer) = body else {
            return Err(Error::Internal(
                "plan: a Huawei rule body is not an object".into(),
            ));
        };
        let Some(Value::Object(mut rule)) = outer.remove("security_group_rule") else {
            return Err(Error::Internal(
                "plan: a Huawei rule body has no security_group_rule".into(),
            ));
        };
        // The batch call names the group in its path.
        rule.remove("security_group_id");
        rules.push(Value::Object(rule));
    }
    let fields = name_fields(name, description);
    let body = json!({ "security_group": fields });
    let mut create = create(GROUPS, body, bind, "/security_group/id");
    let born = delete_born(
        &CAPS,
        bind,
        &mut create,
        ("/security_group/security_group_rules", RULE),
    );
    let path = format!("{GROUPS}/{{{{{bind}}}}}/security-group-rules/batch-create");
    let rules = rules
        .chunks(BATCH)
        .map(|chunk| {
            // "ignore_duplicate": rules that exist already are skipped, so a second call
            // changes nothing.
            let body = json!({ "security_group_rules": chunk, "ignore_duplicate": true });
            let mut r = request("POST", path.clone(), Some(body));
            r.rerun = Rerun::Same;
            r
        })
        .collect();
    Ok(GroupRequests {
        check: Some(check_name(GROUPS, "/security_groups", name)),
        create,
        created: json!({ "security_group": fields }),
        born,
        rules,
    })
}
