//! What a dialect's export shape can express: declared data, read by the fit pass and by
//! `sgconv providers`. Nothing here decides anything.

pub use crate::model::PlatformBlock;
use crate::model::{Direction, Family, Protocol, Rule};

/// How a target orders rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ordering {
    /// No order: a union of allow rules.
    None,
    /// Numeric priorities, lowest first, deny before allow at equal priority.
    Priority {
        /// Highest priority (first evaluated).
        min: u16,
        /// Lowest priority.
        max: u16,
    },
    /// Positions: the order of the list, first match decides.
    Position,
}

impl Ordering {
    /// Priorities from `min` (evaluated first) to `max`.
    pub(crate) const fn priorities((min, max): (u16, u16)) -> Ordering {
        Ordering::Priority { min, max }
    }
}

/// Which IP protocols a target can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocols {
    /// Any number 0-255.
    All,
    /// Only these numbers (plus "all protocols").
    Only(&'static [u8]),
}

impl Protocols {
    /// Whether the target can write this protocol.
    pub fn contains(self, p: Protocol) -> bool {
        match (self, p) {
            (_, Protocol::Any) | (Protocols::All, _) => true,
            (Protocols::Only(list), Protocol::Number(n)) => list.contains(&n),
        }
    }
}

/// Limits on a free-text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TextLimit {
    /// Longest text, in characters.
    pub max_chars: usize,
    /// Characters the provider rejects.
    pub forbidden: &'static [char],
    /// When set, the only characters the provider accepts: ASCII letters and digits and
    /// these (AWS rule descriptions).
    pub allowed: Option<&'static str>,
}

impl TextLimit {
    /// At most `max_chars` characters, any character accepted.
    pub(crate) const fn chars(max_chars: usize) -> TextLimit {
        TextLimit {
            max_chars,
            forbidden: &[],
            allowed: None,
        }
    }

    /// Whether the provider accepts `c`.
    pub fn accepts(&self, c: char) -> bool {
        !self.forbidden.contains(&c)
            && self
                .allowed
                .is_none_or(|extra| c.is_ascii_alphanumeric() || extra.contains(c))
    }
}

/// Which group-level fields the export shape has a place for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupFields {
    /// The group id.
    pub id: bool,
    /// The group name.
    pub name: bool,
    /// The group description.
    pub description: bool,
    /// Tags.
    pub tags: bool,
}

impl GroupFields {
    /// No group fields at all (a bare list of rules).
    pub const NONE: GroupFields = GroupFields {
        id: false,
        name: false,
        description: false,
        tags: false,
    };
    /// Every group field.
    pub const ALL: GroupFields = GroupFields {
        id: true,
        name: true,
        description: true,
        tags: true,
    };
}

/// Rules a group is born with when created on a provider (its API adds them), which the
/// user must delete where the source group does not have them: per family, one rule
/// allowing everything in the direction (from any address, or from the group's own members).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BornWith {
    /// The direction of the rules.
    pub direction: Direction,
    /// The one family whose traffic they allow (AWS: IPv4); the rules are then noted unless
    /// the group already allows all of that family. `None`: noted unless the group allows all
    /// traffic of the direction in some family.
    pub family: Option<Family>,
    /// Whether they allow only the group's own members (Huawei's ingress rules), not any
    /// address.
    pub own_group: bool,
    /// What they allow, for people.
    pub about: &'static str,
}

/// A documented quota of rules, and how the provider counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Rules allowed in one count.
    pub rules: usize,
    /// Whether inbound and outbound rules are counted apart (one quota each).
    pub per_direction: bool,
    /// Whether IPv4 and IPv6 rules are counted apart (one quota each).
    pub per_family: bool,
}

/// One count of a [`Quota`] that a group goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExcess {
    /// The direction counted, when the quota counts directions apart.
    pub direction: Option<Direction>,
    /// The family counted, when the quota counts families apart.
    pub family: Option<Family>,
    /// Rules in that count.
    pub rules: usize,
    /// The quota.
    pub quota: usize,
}

impl QuotaExcess {
    /// The count, for people: `ingress ipv4`, `egress`, or empty for the whole group.
    pub fn scope(&self) -> String {
        [
            self.direction.map(|d| d.name()),
            self.family.map(|f| f.name()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

impl Quota {
    /// A quota of `rules` per group, directions and families counted together.
    pub const fn per_group(rules: usize) -> Quota {
        Quota {
            rules,
            per_direction: false,
            per_family: false,
        }
    }

    /// The most rules a group can hold under this quota, all counts together.
    pub fn group_total(&self) -> usize {
        let ways = |apart: bool| if apart { 2 } else { 1 };
        self.rules
            .saturating_mul(ways(self.per_direction))
            .saturating_mul(ways(self.per_family))
    }

    /// The counts `rules` go over, in the order inbound/outbound, IPv4/IPv6.
    ///
    /// ```
    /// use sgconv::{Quota, model::{Direction, Family, Rule, RuleSpec}};
    /// let quota = Quota { rules: 1, per_direction: true, per_family: false };
    /// let rule = |d| Rule::new(RuleSpec::new(d, Family::V4)).unwrap();
    /// let rules = [rule(Direction::Ingress), rule(Direction::Ingress), rule(Direction::Egress)];
    /// let over = quota.excess(&rules);
    /// assert_eq!(over.len(), 1);
    /// assert_eq!((over[0].direction, over[0].rules), (Some(Direction::Ingress), 2));
    /// ```
    pub fn excess(&self, rules: &[Rule]) -> Vec<QuotaExcess> {
        let directions: &[Option<Direction>] = if self.per_direction {
            &[Some(Direction::Ingress), Some(Direction::Egress)]
        } else {
            &[None]
        };
        let families: &[Option<Family>] = if self.per_family {
            &[Some(Family::V4), Some(Family::V6)]
        } else {
            &[None]
        };
        let mut out = Vec::new();
        for &direction in directions {
            for &family in families {
                let n = rules
                    .iter()
                    .filter(|r| direction.is_none_or(|d| r.direction() == d))
                    .filter(|r| family.is_none_or(|f| r.family() == f))
                    .count();
                if n > self.rules {
                    out.push(QuotaExcess {
                        direction,
                        family,
                        rules: n,
                        quota: self.rules,
                    });
                }
            }
        }
        out
    }
}

/// What a provider's export shape can express, and what its platform does around a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Deny rules.
    pub deny: bool,
    /// How rules are ordered.
    pub ordering: Ordering,
    /// A group default policy of `allow` (accept by default).
    pub default_allow: bool,
    /// Stateless groups.
    pub stateless: bool,
    /// Which protocols can be named.
    pub protocols: Protocols,
    /// Which protocols can carry destination ports.
    pub port_protocols: &'static [u8],
    /// How many port ranges one rule holds.
    pub port_ranges_per_rule: usize,
    /// ICMP type/code.
    pub icmp_type_code: bool,
    /// The cloud whose ids (of groups named in rules) the dialect's documents hold; `None`
    /// for a neutral format whose ids are whatever they were given.
    pub cloud: Option<&'static str>,
    /// Whether a rule can name ports 1-65535 apart from "all ports" (which adds port 0).
    /// Huawei documents `multiport` 1-65535 as all ports, and Neutron (Gcore) stores
    /// 1-65535 as no ports; such a range is then written as two rules.
    pub full_port_range: bool,
    /// Remote security groups.
    pub remote_group: bool,
    /// Remote address groups: named address sets the provider keeps (Huawei address groups,
    /// AWS prefix lists).
    pub address_group: bool,
    /// Which families a rule naming a remote group or address group matches.
    pub remote_families: RemoteFamilies,
    /// Whether no two rules of one direction may share a priority (Azure NSG: "You can't
    /// create two security rules with the same priority and direction"). The fit pass then
    /// numbers the rules of each direction one apart, in evaluation order.
    pub unique_priorities: bool,
    /// Rule descriptions, and their limits (`None`: no descriptions).
    pub description: Option<TextLimit>,
    /// Group-level fields.
    pub group_fields: GroupFields,
    /// Rule ids.
    pub rule_ids: bool,
    /// A per-rule enabled flag.
    pub enabled_flag: bool,
    /// The documented quota of rules per group (see [`Quota`] for how it is counted).
    pub quota: Option<Quota>,
    /// Protocols the target names only in IPv6 rules (Neutron's `ipv6-*` names).
    pub v6_only_protocols: &'static [u8],
    /// What the platform drops outside every group's rules.
    pub platform_blocks: &'static [PlatformBlock],
    /// Allow-all rules a new group is born with, per direction.
    pub born_with: &'static [BornWith],
}

impl Capabilities {
    /// The most rules one group can hold, every count of the quota together.
    pub fn max_rules(&self) -> Option<usize> {
        self.quota.map(|q| q.group_total())
    }

    /// Whether the target can name `protocol` in a rule of `family`.
    pub fn names(&self, protocol: Protocol, family: Family) -> bool {
        match protocol {
            Protocol::Any => true,
            Protocol::Number(n) => {
                self.protocols.contains(protocol)
                    && !(family == Family::V4 && self.v6_only_protocols.contains(&n))
            }
        }
    }
}

impl Capabilities {
    /// Everything (the canonical model).
    pub const EVERYTHING: Capabilities = Capabilities {
        deny: true,
        ordering: Ordering::Position,
        default_allow: true,
        stateless: true,
        protocols: Protocols::All,
        port_protocols: &Protocol::PORT_PROTOCOLS,
        port_ranges_per_rule: usize::MAX,
        icmp_type_code: true,
        cloud: None,
        full_port_range: true,
        remote_group: true,
        address_group: true,
        remote_families: RemoteFamilies::PerRule,
        unique_priorities: false,
        description: Some(TextLimit::chars(usize::MAX)),
        group_fields: GroupFields::ALL,
        rule_ids: true,
        enabled_flag: true,
        quota: None,
        v6_only_protocols: &[],
        platform_blocks: &[],
        born_with: &[],
    };

    /// The least a target can express: unordered allow rules, stateful, naming no protocol
    /// (only "all protocols"), port, ICMP type or remote group, with no descriptions, group
    /// fields, ids, flags, quota or platform behaviour. Each dialect declares what it has
    /// beyond this (`Capabilities { deny: true, ..Capabilities::MINIMAL }`), so a field it
    /// does not state is one the fit pass never writes to it.
    pub(crate) const MINIMAL: Capabilities = Capabilities {
        deny: false,
        ordering: Ordering::None,
        default_allow: false,
        stateless: false,
        protocols: Protocols::Only(&[]),
        port_protocols: &[],
        port_ranges_per_rule: 1,
        icmp_type_code: false,
        cloud: None,
        full_port_range: false,
        remote_group: false,
        address_group: false,
        remote_families: RemoteFamilies::PerRule,
        unique_priorities: false,
        description: None,
        group_fields: GroupFields::NONE,
        rule_ids: false,
        enabled_flag: false,
        quota: None,
        v6_only_protocols: &[],
        platform_blocks: &[],
        born_with: &[],
    };
}

/// Which families a target's rule naming a remote group or address group matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteFamilies {
    /// The rule names one family (Huawei, Neutron, Scaleway).
    PerRule,
    /// Both families: a group pair or prefix list has no family (AWS). ICMP (IPv4) and
    /// ICMPv6 (IPv6) still name one family by protocol.
    BothExceptIcmp,
    /// Both families whatever the protocol: Azure's `Icmp` matches ICMP in IPv4 and ICMPv6
    /// in IPv6 packets.
    Both,
}
