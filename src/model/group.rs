//! A [`SecurityGroup`] (its rules, how they combine, its [`Tag`]s and the [`PlatformBlock`]s
//! around it) and the [`Document`] that holds groups.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Action, Direction, Evaluation, ModelError, Origin, PortSet, Protocol, Rule};

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
