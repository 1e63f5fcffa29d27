//! Huawei's requests for a plan: create the group, delete the default rules it is born
//! with, then batch-create its rules, at most 200 per call
//! (<https://support.huaweicloud.com/api-vpc/BatchCreateSecurityGroupRules.html>).

use serde_json::{Value, json};

use crate::error::Error;
use crate::providers::plan::{GroupRequests, ToPlan, name_fields, request, rule_bodies};

/// Create a group (<https://support.huaweicloud.com/api-vpc/CreateSecurityGroup.html>).
const GROUPS: &str = "/v3/{project_id}/vpc/security-groups";
/// Delete a rule (<https://support.huaweicloud.com/api-vpc/DeleteSecurityGroupRule.html>).
const RULES: &str = "/v3/{project_id}/vpc/security-group-rules";
/// Rules per batch-create call.
const BATCH: usize = 200;
/// The default rules of a new group: ingress from its own members and all egress, each for
/// IPv4 and IPv6.
const DEFAULT_RULES: usize = 4;

/// The requests for one group: `exported` is the group as Huawei's exporter writes it (a
/// list of `{"security_group_rule": {...}}` create bodies).
pub(super) fn group(group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, description, bind) = (group.name, group.description, group.bind);
    let bodies = rule_bodies(group.exported, "Huawei")?;
    let mut rules = Vec::with_capacity(bodies.len());
    for body in bodies {
        let Value::Object(mut outer) = body else {
            return Err(Error::Internal("plan: a Huawei rule body is not an object".into()));
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
    let mut create = request(
        "POST",
        GROUPS.to_owned(),
        Some(json!({ "security_group": fields })),
    );
    create.binds.push((bind.to_owned(), "/security_group/id".to_owned()));
    let mut born = Vec::with_capacity(DEFAULT_RULES);
    for i in 0..DEFAULT_RULES {
        let rule = format!("{bind}_default_{i}");
        create
            .binds
            .push((rule.clone(), format!("/security_group/security_group_rules/{i}/id")));
        born.push(request("DELETE", format!("{RULES}/{{{{{rule}}}}}"), None));
    }
    let path = format!("{GROUPS}/{{{{{bind}}}}}/security-group-rules/batch-create");
    let rules = rules
        .chunks(BATCH)
        .map(|chunk| request("POST", path.clone(), Some(json!({ "security_group_rules": chunk }))))
        .collect();
    Ok(GroupRequests {
        create,
        created: json!({ "security_group": fields }),
        born,
        born_with: "Huawei's default rules (ingress from the group's own members, all egress; \
                    IPv4 and IPv6): deleted"
            .into(),
        rules,
    })
}
