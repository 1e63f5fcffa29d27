//! The canonical model every provider reads into and writes from.
//!
//! A [`Document`] holds one or more [`SecurityGroup`]s; a group holds [`Rule`]s and says how
//! they combine ([`Evaluation`]) and what happens to a packet no rule matches. A [`Rule`] can
//! only be built through [`Rule::new`], which enforces the model's invariants, so code
//! downstream of the importers never re-checks them:
//!
//! - ports only on port protocols (tcp, udp, dccp, sctp, udplite);
//! - an ICMP type/code only on ICMP (1, IPv4) or ICMPv6 (58, IPv6);
//! - a CIDR remote of the rule's family, host bits clear; `/0` is [`Remote::Any`];
//! - an ICMP code only together with a type (by construction of [`Icmp`]);
//! - group and address-group ids non-empty.

mod ports;
mod protocol;
mod remote;

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use ports::{MAX_PORT, MIN_PORT, PortError, PortRange, PortSet};
pub use protocol::{NAMES as PROTOCOL_NAMES, Protocol, ProtocolName};
pub use remote::{CidrText, ParsedCidr, Remote, parse_cidr};

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
pub enum Evaluation {
    /// Gcore: the union of allow rules; order is meaningless; there are no deny rules.
    AllowOnly,
    /// Huawei: ascending priority (1 first), deny before allow at equal priority, first
    /// match decides.
    Priority,
    /// Scaleway: the order of `rules`, first match decides.
    FirstMatch,
}

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

/// Where a rule came from, for reports: its index in the input group and the provider's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Origin {
    /// Position of the rule in its group as read (0-based); `None` for a rule sgconv made
    /// itself (a default policy written as a rule, say) or one not yet numbered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The provider's rule id, when the input had one (shared by the rule and its report
    /// entries, not copied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Arc<str>>,
}

impl Origin {
    /// No index and no id: a rule sgconv made, or built in code and not yet numbered.
    pub fn unset() -> Origin {
        Origin::default()
    }

    /// A rule read with the provider's id, numbered once its group is known.
    pub fn with_id(id: Option<Arc<str>>) -> Origin {
        Origin { index: None, id }
    }

    /// The rule at `index` of its group, with the provider's id.
    pub fn new(index: usize, id: Option<Arc<str>>) -> Origin {
        Origin {
            index: Some(index),
            id,
        }
    }
}

/// Why a rule cannot be built: a model invariant it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Ports given on a protocol that has none.
    #[error(
        "ports {ports} given for protocol {protocol}, which has no ports (only tcp, udp, dccp, sctp and udplite do)"
    )]
    PortsWithoutPortProtocol {
        /// The protocol.
        protocol: Protocol,
        /// The ports.
        ports: String,
    },
    /// ICMP type/code given on a protocol other than ICMP/ICMPv6.
    #[error("an ICMP type/code given for protocol {0}, which is not icmp or ipv6-icmp")]
    IcmpWithoutIcmp(Protocol),
    /// Protocol and family disagree (icmp on IPv6, ipv6-icmp on IPv4).
    #[error("protocol {protocol} cannot be used with {family:?}")]
    ProtocolFamily {
        /// The protocol.
        protocol: Protocol,
        /// The rule's family.
        family: Family,
    },
    /// A CIDR of the other family.
    #[error("remote {cidr} is not an {family} network", family = match family { Family::V4 => "IPv4", Family::V6 => "IPv6" })]
    CidrFamily {
        /// The CIDR.
        cidr: ipnet::IpNet,
        /// The rule's family.
        family: Family,
    },
    /// A CIDR with host bits set.
    #[error("remote {0} has host bits set (expected {net})", net = .0.trunc())]
    HostBits(ipnet::IpNet),
    /// An empty group or address-group id.
    #[error("an empty remote group id")]
    EmptyGroupId,
    /// A deny rule in an allow-only group.
    #[error("rules[{0}] is a deny rule, but the group's evaluation is allow_only")]
    DenyInAllowOnly(usize),
    /// An allow-only group whose default policy allows.
    #[error(
        "an allow_only group denies by default (default_inbound/default_outbound must be deny)"
    )]
    AllowOnlyDefaultAllow,
}

/// The fields of a rule, unchecked. Build a [`Rule`] from it with [`Rule::new`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Traffic direction.
    pub direction: Direction,
    /// Address family.
    pub family: Family,
    /// IP protocol (default: any).
    #[serde(default = "any_protocol", skip_serializing_if = "is_any_protocol")]
    pub protocol: Protocol,
    /// Destination ports (default: all).
    #[serde(default, skip_serializing_if = "PortSet::is_any")]
    pub ports: PortSet,
    /// ICMP type/code (default: all).
    #[serde(default = "any_icmp", skip_serializing_if = "is_any_icmp")]
    pub icmp: Icmp,
    /// The remote side (default: any address).
    #[serde(default = "any_remote", skip_serializing_if = "is_any_remote")]
    pub remote: Remote,
    /// Allow or deny (default: allow).
    #[serde(default = "allow", skip_serializing_if = "is_allow")]
    pub action: Action,
    /// Huawei priority (1 highest); `None` where the source has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
    /// Whether the rule is in force (Huawei `enabled`; default true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Free text. An empty description is no description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the rule came from (when absent in canonical input: the rule's position).
    #[serde(default)]
    pub origin: Origin,
}

fn any_protocol() -> Protocol {
    Protocol::Any
}
fn is_any_protocol(p: &Protocol) -> bool {
    *p == Protocol::Any
}
fn any_icmp() -> Icmp {
    Icmp::Any
}
fn is_any_icmp(i: &Icmp) -> bool {
    i.is_any()
}
fn any_remote() -> Remote {
    Remote::Any
}
fn is_any_remote(r: &Remote) -> bool {
    *r == Remote::Any
}
fn allow() -> Action {
    Action::Allow
}
fn is_allow(a: &Action) -> bool {
    *a == Action::Allow
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

impl RuleSpec {
    /// Whether the rule matches every packet of its direction and family (any protocol, port,
    /// ICMP type and remote).
    pub fn is_match_all(&self) -> bool {
        self.protocol == Protocol::Any
            && self.ports.is_any()
            && self.icmp.is_any()
            && self.remote == Remote::Any
    }

    /// An allow rule for every packet of a direction and family; set fields to narrow it.
    pub fn new(direction: Direction, family: Family) -> RuleSpec {
        RuleSpec {
            direction,
            family,
            protocol: Protocol::Any,
            ports: PortSet::any(),
            icmp: Icmp::Any,
            remote: Remote::Any,
            action: Action::Allow,
            priority: None,
            enabled: true,
            description: None,
            origin: Origin::default(),
        }
    }
}

/// One rule of the canonical model, its invariants checked (see the [module docs](self)).
///
/// ```
/// use sgconv::model::*;
/// let mut spec = RuleSpec::new(Direction::Ingress, Family::V4);
/// spec.protocol = Protocol::TCP;
/// spec.ports = PortSet::from_ranges([PortRange::single(22).unwrap()]);
/// let rule = Rule::new(spec.clone()).unwrap();
/// assert_eq!(rule.ports().to_string(), "22");
///
/// spec.protocol = Protocol::Number(47); // gre has no ports
/// assert!(Rule::new(spec).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RuleSpec", into = "RuleSpec")]
pub struct Rule(RuleSpec);

impl Rule {
    /// Check `spec` against the model's invariants. `/0` remotes become [`Remote::Any`] and
    /// empty descriptions `None`; everything else must already be canonical.
    pub fn new(mut spec: RuleSpec) -> Result<Rule, ModelError> {
        if !spec.ports.is_any() && !spec.protocol.has_ports() {
            return Err(ModelError::PortsWithoutPortProtocol {
                protocol: spec.protocol,
                ports: spec.ports.to_string(),
            });
        }
        if !spec.icmp.is_any() && !spec.protocol.is_icmp() {
            return Err(ModelError::IcmpWithoutIcmp(spec.protocol));
        }
        match (spec.protocol, spec.family) {
            (Protocol::ICMP, Family::V6) | (Protocol::ICMPV6, Family::V4) => {
                return Err(ModelError::ProtocolFamily {
                    protocol: spec.protocol,
                    family: spec.family,
                });
            }
            _ => {}
        }
        match &spec.remote {
            Remote::Cidr(net) => {
                if Family::of_net(net) != spec.family {
                    return Err(ModelError::CidrFamily {
                        cidr: *net,
                        family: spec.family,
                    });
                }
                if net.trunc() != *net {
                    return Err(ModelError::HostBits(*net));
                }
                if net.prefix_len() == 0 {
                    spec.remote = Remote::Any;
                }
            }
            Remote::Group(id) | Remote::AddressGroup(id) if id.is_empty() => {
                return Err(ModelError::EmptyGroupId);
            }
            _ => {}
        }
        if spec.description.as_deref() == Some("") {
            spec.description = None;
        }
        Ok(Rule(spec))
    }

    /// The rule's fields.
    pub fn spec(&self) -> &RuleSpec {
        &self.0
    }
    /// The fields, to change and rebuild with [`Rule::new`].
    pub fn into_spec(self) -> RuleSpec {
        self.0
    }
    /// Traffic direction.
    pub fn direction(&self) -> Direction {
        self.0.direction
    }
    /// Address family.
    pub fn family(&self) -> Family {
        self.0.family
    }
    /// IP protocol.
    pub fn protocol(&self) -> Protocol {
        self.0.protocol
    }
    /// Destination ports.
    pub fn ports(&self) -> &PortSet {
        &self.0.ports
    }
    /// ICMP type/code.
    pub fn icmp(&self) -> Icmp {
        self.0.icmp
    }
    /// Remote side.
    pub fn remote(&self) -> &Remote {
        &self.0.remote
    }
    /// Allow or deny.
    pub fn action(&self) -> Action {
        self.0.action
    }
    /// Priority, where the source has one.
    pub fn priority(&self) -> Option<u16> {
        self.0.priority
    }
    /// Whether the rule is in force.
    pub fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Description.
    pub fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Where the rule came from.
    pub fn origin(&self) -> &Origin {
        &self.0.origin
    }
    /// Set where the rule came from (importers number rules after reading them).
    pub fn set_origin(&mut self, origin: Origin) {
        self.0.origin = origin;
    }
}

impl TryFrom<RuleSpec> for Rule {
    type Error = ModelError;
    fn try_from(spec: RuleSpec) -> Result<Self, Self::Error> {
        Rule::new(spec)
    }
}

impl From<Rule> for RuleSpec {
    fn from(rule: Rule) -> Self {
        rule.0
    }
}

/// A tag on a group: a key with an optional value (Gcore `tags_v2` have values; Scaleway
/// tags are plain strings).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// The key (or the whole tag, for plain-string tags).
    pub key: String,
    /// The value, if the tag has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Traffic a provider's platform drops outside any group's rules. Declared in a provider's
/// capabilities (as `'static` data) and carried by groups read from it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformBlock {
    /// A name for reports (`gcore-smtp`); blocks are matched by name.
    pub name: Cow<'static, str>,
    /// The direction it applies to.
    pub direction: Direction,
    /// The protocol numbers it drops.
    pub protocols: Cow<'static, [u8]>,
    /// The destination ports it drops.
    pub ports: Cow<'static, [u16]>,
    /// Whether a group can turn it off (then a group whose source says no block applies is
    /// created without it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// What it is, for people.
    pub about: Cow<'static, str>,
}

impl PlatformBlock {
    /// Whether an allow rule of (`direction`, `protocol`, `ports`) lets through traffic the
    /// block drops.
    pub fn crosses(&self, direction: Direction, protocol: Protocol, ports: &PortSet) -> bool {
        direction == self.direction
            && match protocol {
                Protocol::Any => true,
                Protocol::Number(n) => self.protocols.contains(&n),
            }
            && self.ports.iter().any(|p| ports.contains(*p))
    }
}

/// One security group: the unit of conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    /// The provider's group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Group description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// How the rules combine.
    pub evaluation: Evaluation,
    /// What happens to inbound packets no rule matches.
    pub default_inbound: Action,
    /// What happens to outbound packets no rule matches.
    pub default_outbound: Action,
    /// Whether return traffic of an allowed flow is allowed automatically.
    pub stateful: bool,
    /// What the provider's platform drops around this group whatever its rules say (an
    /// anti-spam block on outbound SMTP, say); `None` where the source does not say, and
    /// `Some` of an empty list where it says no block applies.
    ///
    /// These are not part of the group's packet set: they are carried so that they survive a
    /// round trip, and a conversion that moves traffic across one reports it as a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_blocks: Option<Vec<PlatformBlock>>,
    /// The rules, in evaluation order where the source has one.
    pub rules: Vec<Rule>,
}

impl SecurityGroup {
    /// An empty allow-only, default-deny, stateful group.
    pub fn empty() -> SecurityGroup {
        SecurityGroup {
            id: None,
            name: None,
            description: None,
            tags: Vec::new(),
            evaluation: Evaluation::AllowOnly,
            default_inbound: Action::Deny,
            default_outbound: Action::Deny,
            stateful: true,
            platform_blocks: None,
            rules: Vec::new(),
        }
    }

    /// A copy of the group's own fields with `rules` in place of its rules (cloning the
    /// group would copy every rule first).
    pub fn with_rules(&self, rules: Vec<Rule>) -> SecurityGroup {
        let SecurityGroup {
            id,
            name,
            description,
            tags,
            evaluation,
            default_inbound,
            default_outbound,
            stateful,
            platform_blocks,
            rules: _,
        } = self;
        SecurityGroup {
            id: id.clone(),
            name: name.clone(),
            description: description.clone(),
            tags: tags.clone(),
            evaluation: *evaluation,
            default_inbound: *default_inbound,
            default_outbound: *default_outbound,
            stateful: *stateful,
            platform_blocks: platform_blocks.clone(),
            rules,
        }
    }

    /// The default action for a direction.
    pub fn default_action(&self, direction: Direction) -> Action {
        match direction {
            Direction::Ingress => self.default_inbound,
            Direction::Egress => self.default_outbound,
        }
    }

    /// Check the group-level invariants: an allow-only group has only allow rules and
    /// denies by default.
    pub fn check(&self) -> Result<(), ModelError> {
        if self.evaluation == Evaluation::AllowOnly {
            if let Some((i, _)) = self
                .rules
                .iter()
                .enumerate()
                .find(|(_, r)| r.action() == Action::Deny)
            {
                return Err(ModelError::DenyInAllowOnly(i));
            }
            if self.default_inbound == Action::Allow || self.default_outbound == Action::Allow {
                return Err(ModelError::AllowOnlyDefaultAllow);
            }
        }
        Ok(())
    }

    /// A group of `evaluation` with `rules` (numbered in order where they have no index),
    /// deny by default, stateful; checked.
    pub fn new(evaluation: Evaluation, rules: Vec<Rule>) -> Result<SecurityGroup, ModelError> {
        let mut group = SecurityGroup {
            evaluation,
            rules,
            ..SecurityGroup::empty()
        };
        group.number_rules();
        group.check()?;
        Ok(group)
    }

    /// An allow-only group (a union of allow rules; Gcore's model). Fails on a deny rule.
    pub fn allow_only(rules: Vec<Rule>) -> Result<SecurityGroup, ModelError> {
        SecurityGroup::new(Evaluation::AllowOnly, rules)
    }

    /// A first-match group: the first rule in list order that matches decides (Scaleway's).
    pub fn first_match(rules: Vec<Rule>) -> Result<SecurityGroup, ModelError> {
        SecurityGroup::new(Evaluation::FirstMatch, rules)
    }

    /// A priority group: ascending priority, deny before allow at equal priority, first
    /// match decides (Huawei's).
    pub fn priority(rules: Vec<Rule>) -> Result<SecurityGroup, ModelError> {
        SecurityGroup::new(Evaluation::Priority, rules)
    }

    /// Give every rule without an index its position in the group.
    pub fn number_rules(&mut self) {
        for (i, rule) in self.rules.iter_mut().enumerate() {
            if rule.origin().index.is_none() {
                let id = rule.origin().id.clone();
                rule.set_origin(Origin::new(i, id));
            }
        }
    }
}

/// A document: the groups one input holds, in input order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Document {
    /// The groups.
    pub groups: Vec<SecurityGroup>,
}

impl Document {
    /// A document of `groups`.
    pub fn new(groups: Vec<SecurityGroup>) -> Document {
        Document { groups }
    }
}
