//! [`Icmp`]: a rule's ICMP type/code match.

use serde::{Deserialize, Serialize};

/// An ICMP type/code match, for ICMP and ICMPv6 rules.
///
/// Canonical form: absent for `Any`, `{type: 8}`, or `{type: 8, code: 0}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "IcmpRepr", try_from = "IcmpRepr")]
pub enum Icmp {
    /// Every type and code.
    Any,
    /// One type, every code.
    Type(u8),
    /// One type and one code.
    TypeCode(u8, u8),
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IcmpRepr {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    icmp_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<u8>,
}

impl From<Icmp> for IcmpRepr {
    fn from(i: Icmp) -> Self {
        match i {
            Icmp::Any => IcmpRepr {
                icmp_type: None,
                code: None,
            },
            Icmp::Type(t) => IcmpRepr {
                icmp_type: Some(t),
                code: None,
            },
            Icmp::TypeCode(t, c) => IcmpRepr {
                icmp_type: Some(t),
                code: Some(c),
            },
        }
    }
}

impl TryFrom<IcmpRepr> for Icmp {
    type Error = &'static str;
    fn try_from(r: IcmpRepr) -> Result<Self, Self::Error> {
        match (r.icmp_type, r.code) {
            (None, None) => Ok(Icmp::Any),
            (Some(t), None) => Ok(Icmp::Type(t)),
            (Some(t), Some(c)) => Ok(Icmp::TypeCode(t, c)),
            (None, Some(_)) => Err("an ICMP code needs an ICMP type"),
        }
    }
}

impl Icmp {
    /// Whether this matches every type and code.
    pub fn is_any(self) -> bool {
        self == Icmp::Any
    }
}
