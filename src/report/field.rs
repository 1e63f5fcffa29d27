//! What an entry is about and what kind of change it records: the report's vocabulary.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// What kind of change an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// The target denies packets the source allowed (connectivity lost).
    Narrowed,
    /// The target allows packets the source denied (a hole). Refused without `--allow-widen`.
    Widened,
    /// Ids, timestamps, descriptions, names, tags: no effect on traffic.
    Metadata,
    /// A change of shape with the same packets (a rule split in two, a CIDR normalised).
    Rewritten,
    /// Something to know that the group's packet set does not show (platform rules,
    /// ambiguous names).
    Note,
    /// Part of the input sgconv did not read (a key it does not know, at [`Entry::path`](super::Entry::path)):
    /// what the source allows is then not known, and the verdict is `unverified`.
    Unread,
}

impl Kind {
    /// The name reports use (`narrowed`, `widened`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Narrowed => "narrowed",
            Kind::Widened => "widened",
            Kind::Metadata => "metadata",
            Kind::Rewritten => "rewritten",
            Kind::Note => "note",
            Kind::Unread => "unread",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which field an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Field {
    /// A rule or group id.
    Id,
    /// `created_at` / `updated_at`.
    Timestamps,
    /// A revision counter.
    Revision,
    /// Name of the group.
    Name,
    /// Description of a rule or group.
    Description,
    /// Group tags.
    Tags,
    /// Address family.
    Family,
    /// IP protocol.
    Protocol,
    /// Destination ports.
    Ports,
    /// ICMP type/code.
    Icmp,
    /// Remote side.
    Remote,
    /// Allow/deny.
    Action,
    /// Priority or position.
    Priority,
    /// Rule enabled flag.
    Enabled,
    /// Stateful/stateless.
    Stateful,
    /// The group's default policies.
    DefaultPolicy,
    /// The whole rule (split, merged, dropped).
    Rule,
    /// The whole group.
    Group,
    /// A provider field with no canonical counterpart, by its wire name.
    Wire(Cow<'static, str>),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Id => "id",
            Field::Timestamps => "timestamps",
            Field::Revision => "revision",
            Field::Name => "name",
            Field::Description => "description",
            Field::Tags => "tags",
            Field::Family => "family",
            Field::Protocol => "protocol",
            Field::Ports => "ports",
            Field::Icmp => "icmp",
            Field::Remote => "remote",
            Field::Action => "action",
            Field::Priority => "priority",
            Field::Enabled => "enabled",
            Field::Stateful => "stateful",
            Field::DefaultPolicy => "default_policy",
            Field::Rule => "rule",
            Field::Group => "group",
            Field::Wire(name) => name.as_ref(),
        })
    }
}

impl Field {
    /// The fields with a fixed name, for reading a name back.
    const NAMED: [Field; 18] = [
        Field::Id,
        Field::Timestamps,
        Field::Revision,
        Field::Name,
        Field::Description,
        Field::Tags,
        Field::Family,
        Field::Protocol,
        Field::Ports,
        Field::Icmp,
        Field::Remote,
        Field::Action,
        Field::Priority,
        Field::Enabled,
        Field::Stateful,
        Field::DefaultPolicy,
        Field::Rule,
        Field::Group,
    ];

    /// The field a report names: a fixed name, or else a provider's wire name.
    pub fn from_name(name: &str) -> Field {
        Field::NAMED
            .into_iter()
            .find(|f| f.to_string() == name)
            .unwrap_or_else(|| Field::Wire(name.to_owned().into()))
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = Cow::<'de, str>::deserialize(d)?;
        Ok(Field::from_name(&name))
    }
}
