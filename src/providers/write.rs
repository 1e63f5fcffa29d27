//! What several exporters need once: the wire fields of a rule's remote, the priority of a
//! fitted rule, and the group id a rule body names when the user gave none.

use super::ExportOptions;
use crate::error::Error;
use crate::model::{CidrText, Remote, Rule, SecurityGroup};
use crate::report::{Field, Kind, Report};

/// A rule's remote as the three exclusive fields of the APIs that name it so (Neutron's
/// `remote_ip_prefix`, `remote_group_id`, `remote_address_group_id`, and Huawei's): at most
/// one is set, none for any address.
pub(crate) struct RemoteFields<'a> {
    /// The remote network.
    pub(crate) cidr: Option<CidrText>,
    /// The remote security group's id.
    pub(crate) group: Option<&'a str>,
    /// The remote address group's id.
    pub(crate) address_group: Option<&'a str>,
}

impl<'a> RemoteFields<'a> {
    /// The fields of `remote`.
    pub(crate) fn of(remote: &'a Remote) -> RemoteFields<'a> {
        let none = RemoteFields {
            cidr: None,
            group: None,
            address_group: None,
        };
        match remote {
            Remote::Any => none,
            Remote::Cidr(net) => RemoteFields {
                cidr: Some(CidrText(*net)),
                ..none
            },
            Remote::Group(id) => RemoteFields {
                group: Some(id.as_str()),
                ..none
            },
            Remote::AddressGroup(id) => RemoteFields {
                address_group: Some(id.as_str()),
                ..none
            },
        }
    }
}

/// The priority of a rule the fit pass gave one in the target's `(min, max)`; `exporter`
/// names the caller in the internal error for any other rule.
pub(crate) fn priority(rule: &Rule, (min, max): (u16, u16), exporter: &str) -> Result<u16, Error> {
    rule.priority()
        .filter(|p| (min..=max).contains(p))
        .ok_or_else(|| {
            Error::Internal(format!(
                "a rule without a priority in {min}-{max} ({:?}) reached the {exporter} exporter",
                rule.priority()
            ))
        })
}

/// What a request body holds for its group when the user gave no target id.
pub(crate) const PLACEHOLDER_GROUP: &str = "REPLACE-WITH-TARGET-SECURITY-GROUP-ID";

/// The group id a body written for `group` (group `gi` of the document) names: the target id
/// the user gave, else [`PLACEHOLDER_GROUP`], noted as the placeholder `field` holds, to
/// replace `when`.
pub(crate) fn target_group<'a>(
    options: &'a ExportOptions,
    group: &SecurityGroup,
    (field, when): (&'static str, &str),
    gi: usize,
    report: &mut Report,
) -> &'a str {
    if let Some(id) = options.target_id(group) {
        return id;
    }
    report.group(gi).push(
        Field::Wire(field.into()),
        Kind::Note,
        Some(PLACEHOLDER_GROUP.into()),
        format!(
            "no target group given (ExportOptions::target_group): {field} is a placeholder to \
             replace {when}"
        ),
    );
    PLACEHOLDER_GROUP
}
