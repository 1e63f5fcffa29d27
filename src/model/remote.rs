//! The remote side of a rule: any address, a CIDR, a security group or an address group.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::Family;

/// Who is on the other end of the traffic a rule matches (the source for ingress, the
/// destination for egress).
///
/// Groups and address groups are sets of addresses sgconv cannot see (DESIGN.md §2); they are
/// matched by id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remote {
    /// Every address of the rule's family (`0.0.0.0/0`, `::/0`, or no remote given).
    Any,
    /// One network, host bits clear, prefix length above 0, of the rule's family.
    Cidr(IpNet),
    /// The members of a security group, by the provider's group id.
    Group(String),
    /// The members of an address group (Huawei `remote_address_group_id`), by id.
    AddressGroup(String),
}

impl Remote {
    /// The family a CIDR remote belongs to; `None` for the other kinds.
    pub fn family(&self) -> Option<Family> {
        match self {
            Remote::Cidr(net) => Some(Family::of_net(net)),
            _ => None,
        }
    }
}

/// A CIDR read from a provider document, with what reading it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCidr {
    /// The remote (`Any` for a `/0`).
    pub remote: Remote,
    /// The family of the address written.
    pub family: Family,
    /// Set when the text was not already canonical (host bits cleared, bare address given a
    /// prefix): the text as written, for the report.
    pub rewritten_from: Option<String>,
}

/// Read a CIDR the way providers accept it: `10.0.0.0/8`, a bare address (a `/32` or
/// `/128`), or a network with host bits set (cleared, and said so in `rewritten_from`).
///
/// ```
/// use sgconv::model::{parse_cidr, Family, Remote};
/// let p = parse_cidr("10.1.2.3/8").unwrap();
/// assert_eq!(p.remote, Remote::Cidr("10.0.0.0/8".parse().unwrap()));
/// assert_eq!(p.rewritten_from.as_deref(), Some("10.1.2.3/8"));
/// assert_eq!(parse_cidr("::/0").unwrap().remote, Remote::Any);
/// assert_eq!(parse_cidr("::/0").unwrap().family, Family::V6);
/// assert!(parse_cidr("10.0.0.0/33").is_err());
/// ```
pub fn parse_cidr(text: &str) -> Result<ParsedCidr, String> {
    let (net, bare) = match text.parse::<IpNet>() {
        Ok(net) => (net, false),
        Err(_) => match text.parse::<IpAddr>() {
            Ok(addr) => (IpNet::from(addr), true),
            Err(_) => {
                return Err(format!(
                    "{text:?} is not an IPv4 or IPv6 network (expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32)"
                ));
            }
        },
    };
    let family = Family::of_net(&net);
    let trunc = net.trunc();
    let remote = if trunc.prefix_len() == 0 {
        Remote::Any
    } else {
        Remote::Cidr(trunc)
    };
    let rewritten_from = (trunc != net && !bare).then(|| text.to_owned());
    Ok(ParsedCidr {
        remote,
        family,
        rewritten_from,
    })
}
