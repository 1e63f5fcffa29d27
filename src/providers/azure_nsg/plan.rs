//! Azure's requests for a plan: check that the resource group has no NSG of the name yet,
//! then create the NSG with all its rules in one PUT (at most 1,000 rules per NSG)
//! (<https://learn.microsoft.com/en-us/rest/api/virtualnetwork/network-security-groups/create-or-update>).

use serde_json::Value;

use crate::error::Error;
use crate::providers::plan::{
    Api, Auth, Born, Expect, GroupRequests, Planner, Rerun, ToPlan, encode, request,
};

/// Azure Resource Manager: an Entra ID access token for it, as a bearer token.
pub(super) static PLANNER: Planner = Planner {
    api: Api::new(
        Some("https://management.azure.com"),
        Auth::Header {
            name: "Authorization",
            prefix: "Bearer ",
            variable: "AZURE_ACCESS_TOKEN",
            how: "az account get-access-token --resource https://management.azure.com \
              --query accessToken -o tsv",
        },
        "https://learn.microsoft.com/en-us/rest/api/virtualnetwork/network-security-groups",
    )
    .without_description(),
    group,
};

/// An NSG, by name (`{name}`).
const NSG: &str = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/\
                   Microsoft.Network/networkSecurityGroups/{name}?api-version=2024-05-01";

/// The requests for one group: `exported` is the NSG as Azure's exporter writes it
/// (`{name, tags, properties: {securityRules}}`).
fn group(group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, bind) = (group.name, group.bind);
    let Value::Object(mut body) = group.exported else {
        return Err(Error::Internal(
            "plan: an Azure NSG export is not an object".into(),
        ));
    };
    // The name is the path's; the body says where the NSG lives.
    body.remove("name");
    body.insert("location".into(), Value::from("{location}"));
    let path = NSG.replace("{name}", &encode(name));
    let mut check = request("GET", path.clone(), None);
    check.rerun = Rerun::Same;
    check.expect = Some(Expect::NotFound);
    let mut created = body.clone();
    created.insert("name".into(), Value::from(name));
    // Create or update: sent again, the PUT sets the same NSG.
    let mut create = request("PUT", path, Some(Value::Object(body)));
    create.binds.push((bind.to_owned(), "/name".to_owned()));
    create.rerun = Rerun::Same;
    Ok(GroupRequests {
        check: Some(check),
        create,
        created: Value::Object(created),
        // Its default rules cannot be removed; the importer adds them to every NSG it reads.
        born: Born::Nothing,
        rules: Vec::new(),
    })
}
