//! AWS EC2's requests for a plan: create the group, revoke the outbound rule AWS adds to it,
//! then authorize its inbound and outbound permissions
//! (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupEgress.html>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html>).
//!
//! EC2 is a Query API: a step's path names the action and its body holds the action's
//! parameters as the AWS CLI's `--cli-input-json` takes them; binds point into the response
//! as the CLI prints it (`{"GroupId": ...}`).

use serde_json::{Value, json};

use super::CAPS;
use crate::error::Error;
use crate::providers::plan::{
    Api, Auth, Born, GroupRequests, Planner, ToPlan, born_count, create, request,
};

/// EC2's regional endpoint; every request is signed.
pub(super) static PLANNER: Planner = Planner {
    api: Api::new(
        Some("https://ec2.{region}.amazonaws.com"),
        Auth::Signed {
            about: "AWS Signature Version 4 \
                (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html); run the \
                steps with the AWS CLI (aws ec2 <action> --cli-input-json BODY) or an SDK, \
                which sign them",
        },
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
    )
    .planned_from("authorize"),
    group,
};

/// The path of an action.
fn action(name: &str) -> String {
    format!("/?Action={name}&Version=2016-11-15")
}

/// The requests for one group: `exported` is the group in the `authorize` shape
/// (`{AuthorizeSecurityGroupIngress: {GroupId, IpPermissions}, AuthorizeSecurityGroupEgress?}`).
fn group(group: ToPlan<'_>) -> Result<GroupRequests, Error> {
    let (name, bind) = (group.name, group.bind);
    let Value::Object(mut doc) = group.exported else {
        return Err(Error::Internal(
            "plan: an AWS EC2 group export is not an object".into(),
        ));
    };
    // CreateSecurityGroup requires a description.
    let description = group.description.unwrap_or(name);
    let body = json!({ "GroupName": name, "Description": description, "VpcId": "{vpc_id}" });
    let mut create = create(&action("CreateSecurityGroup"), body, bind, "/GroupId");
    // Group names are unique in a VPC: a second create is refused (InvalidGroup.Duplicate).
    create.rerun = crate::providers::plan::Rerun::Fails;
    let id = format!("{{{{{bind}}}}}");
    // The one rule a new group is born with: all outbound IPv4 traffic.
    if born_count(&CAPS) != 1 {
        return Err(Error::Internal(
            "plan: AWS EC2 revokes one born rule".into(),
        ));
    }
    let revoke = request(
        "POST",
        action("RevokeSecurityGroupEgress"),
        Some(json!({ "GroupId": id, "IpPermissions": [
            { "IpProtocol": "-1", "IpRanges": [{ "CidrIp": "0.0.0.0/0" }] }
        ] })),
    );
    let mut rules = Vec::with_capacity(2);
    for key in [
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
    ] {
        let Some(body) = doc.remove(key) else {
            continue;
        };
        let empty = body
            .get("IpPermissions")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if empty {
            // AWS refuses an authorize request without permissions.
            continue;
        }
        let mut r = request("POST", action(key), Some(body.clone()));
        r.reads = Some(json!({ key: body }));
        rules.push(r);
    }
    Ok(GroupRequests {
        check: None,
        create,
        created: json!({ "GroupName": name, "Description": description,
                         "IpPermissions": [], "IpPermissionsEgress": [] }),
        born: Born::Deleted(vec![revoke]),
        rules,
    })
}
