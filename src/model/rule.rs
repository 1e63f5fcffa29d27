//! One rule: its unchecked fields ([`RuleSpec`]), the checked [`Rule`] built from them, and
//! where it came from ([`Origin`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Action, Direction, Family, Icmp, ModelError, PortSet, Protocol, Remote};

/// Where a rule came from, for reports: its index in the input group and the provider's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Origin {
    /// Position of the rule in its group as read (0-based); `None` for a rule sgconv made
    /// itself (a default policy written as a rule, say) or one not yet numbered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The provider's rule id, when the input had one; for a rule read from Terraform, its
    /// resource address (`module.db.huaweicloud_networking_secgroup_rule.pg[1]`, or a block
    /// of one: `scaleway_instance_security_group.web.inbound_rule[2]`). Shared by the rule and
    /// its report entries, not copied.
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

/// One rule of the canonical model, its invariants checked (see the [module docs](super)).
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
