//! The model's small enums: a rule's [`Direction`], [`Family`] and [`Action`], and how a
//! group's rules combine ([`Evaluation`]), each with the name sgconv reads and writes.

use serde::Serialize;

/// Which way traffic flows relative to the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Into the instance; the remote is the source.
    Ingress,
    /// Out of the instance; the remote is the destination.
    Egress,
}

macro_rules! display_by_name {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}

display_by_name!(Direction, Family, Action, Evaluation);

impl Family {
    /// The name sgconv reads and writes (`ipv4`, `ipv6`).
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }
}

impl Action {
    /// The name sgconv reads and writes (`allow`, `deny`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        }
    }
}

impl Evaluation {
    /// The name sgconv reads and writes (`allow_only`, `priority`, `first_match`).
    pub fn name(self) -> &'static str {
        match self {
            Evaluation::AllowOnly => "allow_only",
            Evaluation::Priority => "priority",
            Evaluation::FirstMatch => "first_match",
        }
    }
}

impl Direction {
    /// The name sgconv reads and writes (`ingress`, `egress`; the serde name too).
    pub fn name(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

crate::text_enum::text_enum!(Direction { "ingress" => Direction::Ingress, "egress" => Direction::Egress });
crate::text_enum::text_enum!(Family { "ipv4" => Family::V4, "ipv6" => Family::V6 });
crate::text_enum::text_enum!(Action { "allow" => Action::Allow, "deny" => Action::Deny });
crate::text_enum::text_enum!(Evaluation {
    "allow_only" => Evaluation::AllowOnly,
    "priority" => Evaluation::Priority,
    "first_match" => Evaluation::FirstMatch,
});

/// The IP version of a rule. Every provider's rule is single-family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Family {
    /// IPv4.
    #[serde(rename = "ipv4")]
    V4,
    /// IPv6.
    #[serde(rename = "ipv6")]
    V6,
}

impl Family {
    /// The family of a network.
    pub fn of_net(net: &ipnet::IpNet) -> Family {
        match net {
            ipnet::IpNet::V4(_) => Family::V4,
            ipnet::IpNet::V6(_) => Family::V6,
        }
    }

    /// Both families, IPv4 first.
    pub const BOTH: [Family; 2] = [Family::V4, Family::V6];
}

/// What a matching rule (or a group's default) does with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Let the packet through.
    Allow,
    /// Drop the packet.
    Deny,
}

/// How a group's rules combine into a verdict for a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evaluation {
    /// Gcore: the union of allow rules; order is meaningless; there are no deny rules.
    AllowOnly,
    /// Huawei: ascending priority (1 first), deny before allow at equal priority, first
    /// match decides.
    Priority,
    /// Scaleway: the order of `rules`, first match decides.
    FirstMatch,
}
