//! AWS EC2 security groups (VPC), as the EC2 API describes them: botocore's EC2 service model
//! (`botocore/data/ec2/2016-11-15/service-2.json`), the API reference
//! (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRule.html>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html>)
//! and the VPC user guide
//! (<https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>; quotas:
//! <https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html>).
//!
//! A group is a union of allow rules, stateful, denying what no rule allows; a new group is
//! born with one rule allowing all outbound IPv4 traffic. Import shapes:
//!
//! | shape | top level |
//! |---|---|
//! | `describe-security-groups` output | `{SecurityGroups: [...]}` (or the bare list) |
//! | one group of it | `{GroupId, IpPermissions, IpPermissionsEgress, ...}` |
//! | `describe-security-group-rules` output, an `authorize-*` response | `{SecurityGroupRules: [...]}` |
//! | an `authorize-security-group-ingress`/`-egress` request body | `{GroupId, IpPermissions}` (the direction from [`ImportOptions::direction`]) |
//! | both bodies, by operation (sgconv's `authorize` export) | `{AuthorizeSecurityGroupIngress, AuthorizeSecurityGroupEgress}` |
//!
//! One permission is one canonical rule per IPv4 range, IPv6 range, group pair and prefix list
//! (see [`perm`]); flat rules name one peer each, grouped by `GroupId`. A group pair of another
//! account is the remote group `account/sg-id`.
//!
//! Export: `{SecurityGroups: [...]}` in the `describe-security-groups` shape, every group of
//! the document in it; rules with the same protocol and ports merged into one permission.

mod out;
mod perm;
mod plan;
mod wire;

use super::read::{self, ReadRule};
use super::{Dialect, Export, ExportOptions, Input, Provider};
use crate::caps::{
    BornWith, Capabilities, GroupFields, Protocols, Quota, RemoteFamilies, TextLimit,
};
use crate::codec::TopLevel;
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Direction, Document, Family, Remote, SecurityGroup, Tag};
use crate::output::Writer;
use crate::report::{Field, Kind, Report};
use wire::{
    Authorize, AuthorizeBoth, DescribeGroups, DescribeRules, OutAuthorize, OutAuthorizeBoth,
    OutDescribe, OutGroup, WireGroup,
};

/// AWS EC2 (VPC security groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsEc2;

static DIALECT: Dialect = Dialect {
    id: ProviderId::AwsEc2,
    about: "AWS EC2 security groups: describe-security-groups/-rules output, authorize request bodies; allow-only",
    capabilities: &CAPS,
    shapes: "describe-security-groups output ({SecurityGroups: [...]}) or one of its groups, \
             describe-security-group-rules output ({SecurityGroupRules: [...]}), or an \
             authorize-security-group-ingress/egress request body ({GroupId, IpPermissions})",
    export_shapes: &[
        (
            "describe",
            "describe-security-groups output: every group, both directions (the default)",
        ),
        (
            "authorize",
            "{AuthorizeSecurityGroupIngress, AuthorizeSecurityGroupEgress}: the two --cli-input-json request bodies of each group",
        ),
    ],
    shape_keys: &[
        &[
            "SecurityGroups",
            "SecurityGroupRules",
            "IpPermissions",
            "AuthorizeSecurityGroupIngress",
        ],
        &[
            "SecurityGroups",
            "SecurityGroupRules",
            "IpPermissionsEgress",
            "AuthorizeSecurityGroupEgress",
        ],
        &["IpPermissions", "AuthorizeSecurityGroupEgress"],
        &["IpPermissionsEgress", "AuthorizeSecurityGroupIngress"],
    ],
    terraform: None,
    planner: Some(&plan::PLANNER),
};

static CAPS: Capabilities = Capabilities {
    protocols: Protocols::All,
    // Ports apply to tcp and udp only: "a protocol number other than tcp, udp, icmp, or
    // icmpv6 allows traffic on all ports" (IpPermission).
    port_protocols: &[6, 17],
    icmp_type_code: true,
    cloud: Some("aws"),
    // FromPort 1, ToPort 65535 leaves port 0 out; 0-65535 is every port.
    full_port_range: true,
    remote_group: true,
    address_group: true,
    remote_families: RemoteFamilies::BothExceptIcmp,
    description: Some(TextLimit {
        allowed: Some(perm::DESCRIPTION_CHARS),
        ..TextLimit::chars(perm::DESCRIPTION_MAX)
    }),
    group_fields: GroupFields::ALL,
    // 60 inbound and 60 outbound rules, counted apart for IPv4 and IPv6 (VPC quotas).
    quota: Some(Quota {
        rules: 60,
        per_direction: true,
        per_family: true,
    }),
    born_with: &[BornWith {
        direction: Direction::Egress,
        family: Some(Family::V4),
        own_group: false,
        about: "an outbound rule allowing all IPv4 traffic (0.0.0.0/0), which AWS adds to every new group",
    }],
    ..Capabilities::MINIMAL
};

// ---------------------------------------------------------------------------------------
// Reading documents

/// The rules of permissions read as ingress, turned to `direction`.
fn directed(perms: Vec<wire::Checked>, direction: Direction) -> Vec<ReadRule> {
    let mut rules: Vec<ReadRule> = perms.into_iter().flat_map(|p| p.rules).collect();
    if direction == Direction::Egress {
        for r in &mut rules {
            perm::set_direction(r, direction);
        }
    }
    rules
}

fn described_group(w: WireGroup, gi: usize, report: &mut Report) -> SecurityGroup {
    let mut group = SecurityGroup::empty();
    group.id = w.group_id;
    group.name = w.group_name.filter(|s| !s.is_empty());
    group.description = w.description.filter(|s| !s.is_empty());
    group.tags = tags(w.tags);
    let mut rules = directed(w.ip_permissions, Direction::Ingress);
    rules.extend(directed(w.ip_permissions_egress, Direction::Egress));
    if let Some(owner) = &w.owner_id {
        perm::own_account(&mut rules, owner);
    }
    read::not_carried(
        report,
        gi,
        "",
        [
            ("OwnerId", w.owner_id),
            ("VpcId", w.vpc_id),
            ("SecurityGroupArn", w.security_group_arn),
        ],
    );
    group.rules = read::place(rules, gi, report);
    group
}

fn tags(list: Vec<wire::WireTag>) -> Vec<Tag> {
    list.into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

/// One group per `GroupId` of a flat rule list, in order of first appearance.
fn flat_groups(list: DescribeRules, report: &mut Report) -> Result<Vec<SecurityGroup>, Error> {
    if let Some(token) = list.next_token.filter(|t| !t.is_empty()) {
        return Err(more_pages("describe-security-group-rules", &token));
    }
    if list.returned.is_some() {
        report.group(0).push(
            Field::Wire("Return".into()),
            Kind::Note,
            Some("true".into()),
            "the input is an authorize response: read as the rules it added, not the whole group",
        );
    }
    Ok(read::flat_groups(
        read::Items::from(list.security_group_rules),
        |flat| flat.group_id.as_deref(),
        |items, gi, report| read::place(items.into_iter().flat_map(|f| f.rules), gi, report),
        report,
    ))
}

fn more_pages(what: &str, token: &str) -> Error {
    Error::Shape {
        provider: ProviderId::AwsEc2,
        message: format!(
            "found one page of {what} output: NextToken is {token:?}, so more pages follow; fetch \
             every page (or let the AWS CLI paginate) and join them"
        ),
    }
}

/// The group of authorize request bodies, each read in its direction.
fn authorized(
    bodies: [(Option<Authorize>, Direction); 2],
    report: &mut Report,
) -> Result<SecurityGroup, Error> {
    let mut group = SecurityGroup::empty();
    let mut rules = Vec::new();
    for (body, direction) in bodies {
        let Some(body) = body else { continue };
        match (&group.id, body.group_id.or(body.group_name)) {
            (Some(a), Some(b)) if *a != b => {
                return Err(Error::Shape {
                    provider: ProviderId::AwsEc2,
                    message: format!(
                        "the ingress body names group {a} and the egress body group {b}; give one \
                         group's bodies per document"
                    ),
                });
            }
            (_, Some(id)) => group.id = Some(id),
            _ => {}
        }
        if body.dry_run == Some(true) {
            report.group(0).push(
                Field::Wire("DryRun".into()),
                Kind::Note,
                Some("true".into()),
                "the input is a dry-run request (a permission check only); read as the rules it describes",
            );
        }
        for spec in body.tag_specifications {
            let keys: Vec<String> = tags(spec.tags).into_iter().map(|t| t.key).collect();
            report.group(0).push(
                Field::Tags,
                Kind::Metadata,
                Some(keys.join(",")),
                format!(
                    "tags for the new rules ({}) are not carried",
                    spec.resource_type.as_deref().unwrap_or("no ResourceType")
                ),
            );
        }
        rules.extend(directed(body.ip_permissions, direction));
    }
    group.rules = read::place(rules, 0, report);
    Ok(group)
}

/// Keys only a described group has (an authorize body has none of them).
const GROUP_KEYS: &[&str] = &[
    "IpPermissionsEgress",
    "OwnerId",
    "VpcId",
    "Description",
    "Tags",
    "SecurityGroupArn",
];

impl Provider for AwsEc2 {
    fn read(&self, input: Input<'_>, report: &mut Report) -> Result<Document, Error> {
        let (text, fmt, options, id) = (input.text, input.format, input.options, self.id());
        let groups = match &input.top {
            TopLevel::Array => read::decode::<Vec<WireGroup>>(text, fmt, id, report)?
                .into_iter()
                .enumerate()
                .map(|(gi, g)| described_group(g, gi, report))
                .collect(),
            t if t.has("SecurityGroups") => {
                let list: DescribeGroups = read::decode(text, fmt, id, report)?;
                if let Some(token) = list.next_token.filter(|t| !t.is_empty()) {
                    return Err(more_pages("describe-security-groups", &token));
                }
                list.security_groups
                    .into_iter()
                    .enumerate()
                    .map(|(gi, g)| described_group(g, gi, report))
                    .collect()
            }
            t if t.has("SecurityGroupRules") => {
                flat_groups(read::decode(text, fmt, id, report)?, report)?
            }
            t if t.has("AuthorizeSecurityGroupIngress")
                || t.has("AuthorizeSecurityGroupEgress") =>
            {
                let both: AuthorizeBoth = read::decode(text, fmt, id, report)?;
                vec![authorized(
                    [
                        (both.authorize_security_group_ingress.0, Direction::Ingress),
                        (both.authorize_security_group_egress.0, Direction::Egress),
                    ],
                    report,
                )?]
            }
            t if GROUP_KEYS.iter().any(|k| t.has(k)) => {
                vec![described_group(
                    read::decode(text, fmt, id, report)?,
                    0,
                    report,
                )]
            }
            t if t.has("IpPermissions") => {
                let Some(direction) = options.direction else {
                    return Err(Error::Shape {
                        provider: id,
                        message:
                            "found an authorize request body ({GroupId, IpPermissions}), which \
                                  does not say its direction: give the direction in the import \
                                  options (--direction ingress|egress)"
                                .into(),
                    });
                };
                let body: Authorize = read::decode(text, fmt, id, report)?;
                vec![authorized(
                    [(Some(body), direction), (None, Direction::Egress)],
                    report,
                )?]
            }
            top => return Err(DIALECT.unknown_shape(top)),
        };
        Ok(Document { groups })
    }

    fn export_group(&self, group: &SecurityGroup, to: Export<'_>) -> Result<(), Error> {
        let (gi, options, report, out) = (to.index, to.options, to.report, to.out);
        if options.shape.as_deref() == Some("authorize") {
            return out.value(&authorize(group, gi, options, report)?);
        }
        let one = described(group, gi, options, report)?;
        out.value(&OutDescribe {
            security_groups: vec![one],
        })
    }

    /// Every group in one `describe-security-groups` list (the shape holds several); the
    /// authorize bodies of several groups in sgconv's envelope.
    fn export(
        &self,
        doc: &Document,
        options: &ExportOptions,
        report: &mut Report,
    ) -> Result<crate::output::Output, Error> {
        if options.shape.as_deref() == Some("authorize") {
            return super::export_groups(self, doc, options, report);
        }
        let mut groups = Vec::with_capacity(doc.groups.len());
        for (gi, group) in doc.groups.iter().enumerate() {
            groups.push(described(group, gi, options, report)?);
        }
        let mut out = Writer::new();
        out.value(&OutDescribe {
            security_groups: groups,
        })?;
        out.finish()
    }

    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }
}

/// A group in the `describe-security-groups` shape.
fn described<'a>(
    group: &'a SecurityGroup,
    gi: usize,
    options: &'a ExportOptions,
    report: &mut Report,
) -> Result<OutGroup<'a>, Error> {
    let group_id = options.target_id(group).or(group.id.as_deref());
    if group
        .rules
        .iter()
        .any(|r| matches!(r.remote(), Remote::AddressGroup(_)))
    {
        report.group(gi).push(
            Field::Remote,
            Kind::Note,
            None,
            "AWS counts a referenced prefix list against the rules quota as its maximum number \
             of entries, which sgconv cannot see",
        );
    }
    let by = |d: Direction| group.rules.iter().filter(move |r| r.direction() == d);
    Ok(OutGroup {
        group_id,
        group_name: group.name.as_deref(),
        description: group.description.as_deref(),
        tags: group
            .tags
            .iter()
            .map(|t| wire::OutTag {
                key: &t.key,
                value: t.value.as_deref(),
            })
            .collect(),
        ip_permissions: out::permissions(by(Direction::Ingress), gi, report)?,
        ip_permissions_egress: out::permissions(by(Direction::Egress), gi, report)?,
    })
}

/// A group's two authorize request bodies.
fn authorize<'a>(
    group: &'a SecurityGroup,
    gi: usize,
    options: &'a ExportOptions,
    report: &mut Report,
) -> Result<OutAuthorizeBoth<'a>, Error> {
    let group_id = super::write::target_group(
        options,
        group,
        ("GroupId", "with the id create-security-group returns"),
        gi,
        report,
    );
    let described = described(group, gi, options, report)?;
    Ok(OutAuthorizeBoth {
        authorize_security_group_ingress: OutAuthorize {
            group_id,
            ip_permissions: described.ip_permissions,
        },
        authorize_security_group_egress: (!described.ip_permissions_egress.is_empty()).then_some(
            OutAuthorize {
                group_id,
                ip_permissions: described.ip_permissions_egress,
            },
        ),
    })
}
