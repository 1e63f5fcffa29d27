//! Scaleway's requests for a plan: create the group with its policies, then one PUT that
//! sets all its rules
//! (<https://www.scaleway.com/en/developers/api/instance/#path-security-groups-update-all-the-rules-of-a-security-group>).

use serde_json::{Value, json};

use crate::error::Error;
use crate::providers::plan::{GroupRequests, ToPlan, request};

/// Create a group.
const GROUPS: &str = "/instance/v1/zones/{zone}/security_groups";

/// The requests for one group: `exported` is the group as Scaleway's exporter writes it
/// (`{"security_group": {...}, "rules": [...]}`).
pub(super) fn group(group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, description, bind) = (group.name, group.description, group.bind);
    let Value::Object(mut doc) = group.exported else {
        return Err(Error::Internal("plan: a Scaleway group export is not an object".into()));
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
    let mut create = request("POST", GROUPS.to_owned(), Some(Value::Object(group)));
    create.binds.push((bind.to_owned(), "/security_group/id".to_owned()));
    let empty = rules.as_array().is_none_or(Vec::is_empty);
    let rules = if empty {
        Vec::new()
    } else {
        vec![request(
            "PUT",
            format!("{GROUPS}/{{{{{bind}}}}}/rules"),
            Some(json!({ "rules": rules })),
        )]
    };
    Ok(GroupRequests {
        create,
        created,
        born: Vec::new(),
        born_with: "no rules (its default policies are set in the create request)".into(),
        rules,
    })
}
