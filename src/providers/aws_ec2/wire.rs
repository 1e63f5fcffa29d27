//! AWS EC2's wire shapes, as botocore's EC2 service model declares them
//! (`botocore/data/ec2/2016-11-15/service-2.json`: `SecurityGroup`, `IpPermission`,
//! `IpRange`, `Ipv6Range`, `UserIdGroupPair`, `PrefixListId`, `SecurityGroupRule`,
//! `ReferencedSecurityGroup`, `AuthorizeSecurityGroupIngressRequest`); a key not declared
//! here is recorded as unread. Permissions and flat rules are read into canonical rules while
//! they are deserialised, so every error carries its path and line:column.

use serde::{Deserialize, Deserializer, Serialize};

use super::perm::{self, Peer, Permission};
use crate::model::Direction;
use crate::providers::read::{self, ReadRule};
use crate::report::{Change, Field, Kind};

crate::providers::wire_struct::wire_struct! {
    /// `Tag`.
    #[serde(rename_all = "PascalCase")]
    pub(super) struct WireTag {
        pub(super) key: String,
        pub(super) value: Option<String>,
    }
}

/// `Tag` as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutTag<'a> {
    pub(super) key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value: Option<&'a str>,
}

crate::providers::wire_struct::wire_struct! {
    /// `IpRange`.
    #[serde(rename_all = "PascalCase")]
    struct IpRange<'a> {
        #[serde(default, borrow, deserialize_with = "read::opt_cidr")]
        cidr_ip: Option<read::Address<'a>>,
        description: Option<String>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `Ipv6Range`.
    #[serde(rename_all = "PascalCase")]
    struct Ipv6Range<'a> {
        #[serde(default, borrow, deserialize_with = "read::opt_cidr")]
        cidr_ipv6: Option<read::Address<'a>>,
        description: Option<String>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `PrefixListId`.
    #[serde(rename_all = "PascalCase")]
    struct PrefixListId {
        prefix_list_id: Option<String>,
        description: Option<String>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `UserIdGroupPair` (and `ReferencedSecurityGroup`, its subset without names and
    /// descriptions).
    #[serde(rename_all = "PascalCase")]
    pub(super) struct Pair {
        pub(super) group_id: Option<String>,
        pub(super) group_name: Option<String>,
        pub(super) user_id: Option<String>,
        pub(super) vpc_id: Option<String>,
        pub(super) vpc_peering_connection_id: Option<String>,
        pub(super) peering_status: Option<String>,
        description: Option<String>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `IpPermission`, as written.
    #[serde(rename_all = "PascalCase")]
    struct WirePermission<'a> {
        ip_protocol: Option<String>,
        from_port: Option<i64>,
        to_port: Option<i64>,
        #[serde(default, borrow)]
        ip_ranges: Vec<IpRange<'a>>,
        #[serde(default, borrow)]
        ipv6_ranges: Vec<Ipv6Range<'a>>,
        #[serde(default)]
        user_id_group_pairs: Vec<Pair>,
        #[serde(default)]
        prefix_list_ids: Vec<PrefixListId>,
    }
}

/// One `IpPermission` read into canonical rules (as ingress rules; see [`Checked::egress`]),
/// with the account ids of the group pairs it names, settled once the group's owner is known.
pub(super) struct Checked {
    pub(super) rules: Vec<ReadRule>,
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WirePermission::deserialize(d)?;
        let mut peers = Vec::new();
        for (i, r) in w.ip_ranges.iter().enumerate() {
            let cidr = required(r.cidr_ip.as_ref(), ("IpRanges", i), "CidrIp")?;
            peers.push(Peer::V4(cidr, r.description.as_deref()));
        }
        for (i, r) in w.ipv6_ranges.iter().enumerate() {
            let cidr = required(r.cidr_ipv6.as_ref(), ("Ipv6Ranges", i), "CidrIpv6")?;
            peers.push(Peer::V6(cidr, r.description.as_deref()));
        }
        for p in w.user_id_group_pairs.iter() {
            peers.push(Peer::Group(p, p.description.as_deref()));
        }
        for (i, p) in w.prefix_list_ids.iter().enumerate() {
            let id = required(
                p.prefix_list_id.as_deref(),
                ("PrefixListIds", i),
                "PrefixListId",
            )?;
            peers.push(Peer::PrefixList(id, p.description.as_deref()));
        }
        let permission = Permission {
            ip_protocol: w.ip_protocol.as_deref(),
            from_port: w.from_port,
            to_port: w.to_port,
        };
        let rules = perm::read_permission(&permission, &peers).map_err(serde::de::Error::custom)?;
        Ok(Checked { rules })
    }
}

/// An optional object read without serde's `Option` (whose `Some` would put a `?` into the
/// paths of unread keys inside it); `null` is refused.
pub(super) struct Present<T>(pub(super) Option<T>);

impl<T> Default for Present<T> {
    fn default() -> Self {
        Present(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|t| Present(Some(t)))
    }
}

/// `value`, which entry `i` of the list `list` must give as `key`.
fn required<T, E: serde::de::Error>(
    value: Option<T>,
    (list, i): (&str, usize),
    key: &str,
) -> Result<T, E> {
    value.ok_or_else(|| E::custom(format!("{list}[{i}] has no {key}; each entry names one")))
}

crate::providers::wire_struct::wire_struct! {
    /// `SecurityGroup` (a `describe-security-groups` item).
    #[serde(rename_all = "PascalCase")]
    pub(super) struct WireGroup {
        pub(super) group_id: Option<String>,
        pub(super) group_name: Option<String>,
        pub(super) description: Option<String>,
        pub(super) owner_id: Option<String>,
        pub(super) vpc_id: Option<String>,
        pub(super) security_group_arn: Option<String>,
        #[serde(default)]
        pub(super) tags: Vec<WireTag>,
        #[serde(default)]
        pub(super) ip_permissions: Vec<Checked>,
        #[serde(default)]
        pub(super) ip_permissions_egress: Vec<Checked>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `DescribeSecurityGroupsResult`.
    #[serde(rename_all = "PascalCase")]
    pub(super) struct DescribeGroups {
        pub(super) security_groups: Vec<WireGroup>,
        pub(super) next_token: Option<String>,
    }
}

/// `SecurityGroupRule` (a `describe-security-group-rules` item), read into canonical rules.
pub(super) struct FlatRule {
    pub(super) group_id: Option<String>,
    pub(super) rules: Vec<ReadRule>,
}

crate::providers::wire_struct::wire_struct! {
    #[serde(rename_all = "PascalCase")]
    struct WireFlatRule<'a> {
        security_group_rule_id: Option<String>,
        group_id: Option<String>,
        group_owner_id: Option<String>,
        is_egress: Option<bool>,
        ip_protocol: Option<String>,
        from_port: Option<i64>,
        to_port: Option<i64>,
        #[serde(default, borrow, deserialize_with = "read::opt_cidr")]
        cidr_ipv4: Option<read::Address<'a>>,
        #[serde(default, borrow, deserialize_with = "read::opt_cidr")]
        cidr_ipv6: Option<read::Address<'a>>,
        prefix_list_id: Option<String>,
        #[serde(default)]
        referenced_group_info: Present<Pair>,
        description: Option<String>,
        #[serde(default)]
        tags: Vec<WireTag>,
        security_group_rule_arn: Option<String>,
    }
}

impl<'de> Deserialize<'de> for FlatRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireFlatRule::deserialize(d)?;
        let description = w.description.as_deref();
        let mut peers = Vec::new();
        if let Some(c) = &w.cidr_ipv4 {
            peers.push(Peer::V4(c, description));
        }
        if let Some(c) = &w.cidr_ipv6 {
            peers.push(Peer::V6(c, description));
        }
        if let Present(Some(p)) = &w.referenced_group_info {
            peers.push(Peer::Group(p, description));
        }
        if let Some(p) = &w.prefix_list_id {
            peers.push(Peer::PrefixList(p, description));
        }
        if peers.len() != 1 {
            return Err(serde::de::Error::custom(format!(
                "a security group rule names exactly one of CidrIpv4, CidrIpv6, \
                 ReferencedGroupInfo and PrefixListId; this one names {}",
                peers.len()
            )));
        }
        let permission = Permission {
            ip_protocol: w.ip_protocol.as_deref(),
            from_port: w.from_port,
            to_port: w.to_port,
        };
        let mut rules =
            perm::read_permission(&permission, &peers).map_err(serde::de::Error::custom)?;
        let direction = match w.is_egress {
            Some(true) => Direction::Egress,
            Some(false) => Direction::Ingress,
            None => {
                return Err(serde::de::Error::custom(
                    "a security group rule without IsEgress: its direction is not known",
                ));
            }
        };
        let id: Option<std::sync::Arc<str>> = w.security_group_rule_id.as_deref().map(Into::into);
        for r in &mut rules {
            if direction == Direction::Egress {
                perm::set_direction(r, Direction::Egress);
            }
            r.rule.set_origin(crate::model::Origin::with_id(id.clone()));
            for (name, value) in [
                ("GroupOwnerId", &w.group_owner_id),
                ("SecurityGroupRuleArn", &w.security_group_rule_arn),
            ] {
                if let Some(v) = value {
                    r.changes.push(Change::new(
                        Field::Wire(name.into()),
                        Kind::Metadata,
                        Some(v.clone()),
                        format!("{name} is not carried"),
                    ));
                }
            }
            if !w.tags.is_empty() {
                let keys: Vec<&str> = w.tags.iter().map(|t| t.key.as_str()).collect();
                r.changes.push(Change::new(
                    Field::Tags,
                    Kind::Metadata,
                    Some(keys.join(",")),
                    "rule tags are not carried",
                ));
            }
        }
        if let Some(owner) = &w.group_owner_id {
            perm::own_account(&mut rules, owner);
        }
        Ok(FlatRule {
            group_id: w.group_id,
            rules,
        })
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `DescribeSecurityGroupRulesResult`, or the `authorize-security-group-*` response
    /// (`{Return, SecurityGroupRules}`).
    #[serde(rename_all = "PascalCase")]
    pub(super) struct DescribeRules {
        pub(super) security_group_rules: Vec<FlatRule>,
        pub(super) next_token: Option<String>,
        #[serde(default, rename = "Return")]
        pub(super) returned: Option<bool>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `TagSpecification`.
    #[serde(rename_all = "PascalCase")]
    pub(super) struct TagSpecification {
        pub(super) resource_type: Option<String>,
        #[serde(default)]
        pub(super) tags: Vec<WireTag>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `AuthorizeSecurityGroupIngressRequest` / `AuthorizeSecurityGroupEgressRequest` with
    /// `IpPermissions` (the legacy one-rule parameters `CidrIp`, `IpProtocol`, ... are not
    /// declared: they are unread, and the conversion unverified).
    #[serde(rename_all = "PascalCase")]
    pub(super) struct Authorize {
        pub(super) group_id: Option<String>,
        pub(super) group_name: Option<String>,
        pub(super) ip_permissions: Vec<Checked>,
        pub(super) dry_run: Option<bool>,
        #[serde(default)]
        pub(super) tag_specifications: Vec<TagSpecification>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// sgconv's request document: both authorize bodies of one group, by operation.
    #[serde(rename_all = "PascalCase")]
    pub(super) struct AuthorizeBoth {
        #[serde(default)]
        pub(super) authorize_security_group_ingress: Present<Authorize>,
        #[serde(default)]
        pub(super) authorize_security_group_egress: Present<Authorize>,
    }
}

// ---------------------------------------------------------------------------------------
// Written shapes

/// An `IpPermission` as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutPermission<'a> {
    pub(super) ip_protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) from_port: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) to_port: Option<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) ip_ranges: Vec<OutRange<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) ipv6_ranges: Vec<OutRange6<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) user_id_group_pairs: Vec<OutPair<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) prefix_list_ids: Vec<OutPrefixList<'a>>,
}

/// `IpRange` as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutRange<'a> {
    pub(super) cidr_ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
}

/// `Ipv6Range` as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutRange6<'a> {
    pub(super) cidr_ipv6: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
}

/// `UserIdGroupPair` as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutPair<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) user_id: Option<&'a str>,
    pub(super) group_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
}

/// `PrefixListId` as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutPrefixList<'a> {
    pub(super) prefix_list_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
}

/// A `describe-security-groups` item as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutGroup<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) group_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) tags: Vec<OutTag<'a>>,
    pub(super) ip_permissions: Vec<OutPermission<'a>>,
    pub(super) ip_permissions_egress: Vec<OutPermission<'a>>,
}

/// `DescribeSecurityGroupsResult` as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutDescribe<'a> {
    pub(super) security_groups: Vec<OutGroup<'a>>,
}

/// An authorize request body as written (`--cli-input-json`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutAuthorize<'a> {
    pub(super) group_id: &'a str,
    pub(super) ip_permissions: Vec<OutPermission<'a>>,
}

/// sgconv's request document as written: the two authorize bodies of one group (the egress
/// body left out when it has no permission: AWS refuses an empty one).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutAuthorizeBoth<'a> {
    pub(super) authorize_security_group_ingress: OutAuthorize<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) authorize_security_group_egress: Option<OutAuthorize<'a>>,
}
