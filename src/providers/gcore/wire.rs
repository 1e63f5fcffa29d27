//! Gcore's wire shapes (Neutron's rule shape, Gcore's group and list documents) and reading
//! one rule into the canonical model, with every check Gcore's API makes.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::NAMES;
use crate::model::{CidrText, Direction, Origin, Protocol, Remote, Rule, RuleSpec};
use crate::providers::neutron::{self, Ethertype, read_ports};
use crate::providers::read::{self, ReadRule};
use crate::report::{Change, Field, Kind};

crate::providers::wire_struct::wire_struct! {
    /// One rule as Gcore writes it in bodies and responses.
    pub(super) struct WireRule<'a> {
        pub(super) direction: Direction,
        #[serde(default)]
        pub(super) ethertype: Option<Ethertype>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) protocol: Option<Cow<'a, str>>,
        #[serde(default)]
        pub(super) port_range_min: Option<i64>,
        #[serde(default)]
        pub(super) port_range_max: Option<i64>,
        #[serde(default, borrow, deserialize_with = "read::opt_cidr")]
        pub(super) remote_ip_prefix: Option<read::Address<'a>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) remote_group_id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) description: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) security_group_id: Option<Cow<'a, str>>,
        #[serde(default)]
        pub(super) revision_number: Option<i64>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) created_at: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) updated_at: Option<Cow<'a, str>>,
    }
}

/// Which API a document is read as.
pub(super) trait Version {
    const V2: bool;
}
pub(super) struct V1;
pub(super) struct V2;
impl Version for V1 {
    const V2: bool = false;
}
impl Version for V2 {
    const V2: bool = true;
}

/// A rule checked while it is read, so errors carry its path and line:column.
pub(super) struct Checked<V: Version> {
    pub(super) read: ReadRule,
    pub(super) group_id: Option<String>,
    pub(super) _v: PhantomData<V>,
}

impl<'de, V: Version> Deserialize<'de> for Checked<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Checked::try_from(WireRule::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl<V: Version> TryFrom<WireRule<'_>> for Checked<V> {
    type Error = String;
    fn try_from(w: WireRule<'_>) -> Result<Self, String> {
        let group_id = w.security_group_id.as_deref().map(str::to_owned);
        Ok(Checked {
            read: read_rule(w, V::V2)?,
            group_id,
            _v: PhantomData,
        })
    }
}

crate::providers::wire_struct::wire_struct! {
    pub(super) struct WireTag {
        pub(super) key: String,
        #[serde(default)]
        pub(super) value: Option<String>,
        #[serde(default)]
        pub(super) read_only: Option<bool>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// The v1 group object (GET, list items).
    pub(super) struct WireGroup {
        #[serde(default)]
        pub(super) id: Option<String>,
        #[serde(default)]
        pub(super) name: Option<String>,
        #[serde(default)]
        pub(super) description: Option<String>,
        #[serde(default)]
        pub(super) tags_v2: Option<Vec<WireTag>>,
        #[serde(default)]
        pub(super) metadata: Option<Vec<WireTag>>,
        #[serde(default)]
        pub(super) security_group_rules: Option<Vec<Checked<V1>>>,
        #[serde(default)]
        pub(super) project_id: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) region_id: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) region: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) revision_number: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) created_at: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) updated_at: Option<serde_json::Value>,
    }
}

crate::providers::wire_struct::wire_struct! {
    pub(super) struct WireList {
        /// How many groups the account holds; more than `results` means a page.
        pub(super) count: u64,
        pub(super) results: Vec<WireGroup>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// The v2 group create / PATCH body.
    pub(super) struct WireV2Group {
        #[serde(default)]
        pub(super) name: Option<String>,
        #[serde(default)]
        pub(super) description: Option<String>,
        pub(super) rules: Vec<Checked<V2>>,
        #[serde(default)]
        pub(super) tags: Option<BTreeMap<String, Option<String>>>,
    }
}

/// One create-rule body as written.
#[derive(Serialize)]
pub(super) struct WireBody<'a> {
    pub(super) direction: Direction,
    pub(super) ethertype: &'static str,
    pub(super) protocol: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) port_range_min: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) port_range_max: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remote_ip_prefix: Option<CidrText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remote_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------
// Reading one rule

pub(super) fn read_rule(w: WireRule<'_>, v2: bool) -> Result<ReadRule, String> {
    let mut changes = Vec::new();
    let family = Ethertype::family(w.ethertype.as_ref());
    let protocol = read_protocol(w.protocol.as_deref(), v2, &mut changes)?;
    let protocol = neutron::family_protocol(protocol, family, &mut changes)?;
    let (ports, icmp) = read_ports(protocol, w.port_range_min, w.port_range_max)?;
    let remote = match (w.remote_ip_prefix.as_ref(), w.remote_group_id) {
        (Some(_), Some(_)) => {
            return Err(
                "remote_ip_prefix and remote_group_id are mutually exclusive; give one".into(),
            );
        }
        (Some(prefix), None) => read::address(prefix, family, "ethertype", &mut changes)?,
        (None, Some(group)) if group.is_empty() => return Err("remote_group_id is empty".into()),
        (None, Some(group)) => Remote::Group(group.into_owned()),
        (None, None) => Remote::Any,
    };
    if let Some(d) = &w.description
        && d.chars().count() > 255
    {
        return Err(format!(
            "description is {} characters long; Gcore allows 255",
            d.chars().count()
        ));
    }
    read::timestamps(
        w.created_at.as_deref(),
        w.updated_at.as_deref(),
        &mut changes,
    );
    if let Some(rev) = w.revision_number {
        changes.push(Change::new(
            Field::Revision,
            Kind::Metadata,
            Some(rev.to_string()),
            "rule revision_number is not carried",
        ));
    }
    let spec = RuleSpec {
        protocol,
        ports,
        icmp,
        remote,
        description: w.description.map(Cow::into_owned),
        origin: Origin::with_id(w.id.as_deref().map(std::sync::Arc::from)),
        ..RuleSpec::new(w.direction, family)
    };
    let rule = Rule::new(spec).map_err(|e| e.to_string())?;
    Ok(ReadRule { rule, changes })
}

pub(super) fn read_protocol(
    text: Option<&str>,
    v2: bool,
    changes: &mut Vec<Change>,
) -> Result<Protocol, String> {
    let Some(text) = text else {
        return Ok(Protocol::Any);
    };
    if text == "any" {
        return if v2 {
            Err("protocol \"any\" is not valid in Gcore v2; use null or leave protocol out for all protocols".into())
        } else {
            Ok(Protocol::Any)
        };
    }
    if NAMES.contains(&text)
        && let Some((p, note)) = Protocol::from_name_with_note(text)
    {
        if let Some(note) = note {
            changes.push(Change::new(
                Field::Protocol,
                Kind::Note,
                Some(text.into()),
                note,
            ));
        }
        return Ok(p);
    }
    // Responses carry protocol numbers as strings ("50", "112"); bodies never do.
    if !v2
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Some(p) = Protocol::parse(text)
    {
        return Ok(p);
    }
    let numbers = if v2 {
        ""
    } else {
        ", \"any\", or a number \"0\"-\"255\""
    };
    Err(format!(
        "unknown protocol {text:?}: expected null, a lower-case Gcore protocol name ({}){numbers}",
        NAMES.join(", ")
    ))
}
