//! Gcore's wire shapes (Neutron's rule shape, Gcore's group and list documents) and reading
//! one rule into the canonical model, with every check Gcore's API makes.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::Deserialize;

use std::collections::BTreeMap;

use crate::model::{Protocol, Remote};
use crate::providers::neutron;
use crate::providers::read::{self, Items, ReadRule};
use crate::report::Change;

neutron::wire!(rule [
    /// One rule as Gcore writes it in bodies and responses: Neutron's rule.
    pub(super) struct WireRule<'a> {}
]);

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
    pub(super) group_id: Option<Arc<str>>,
    pub(super) _v: PhantomData<V>,
}

crate::providers::items::rule_item!(impl<V: Version> read::Item for Checked<V>);

impl<'de, V: Version> Deserialize<'de> for Checked<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Checked::try_from(WireRule::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl<V: Version> TryFrom<WireRule<'_>> for Checked<V> {
    type Error = String;
    fn try_from(w: WireRule<'_>) -> Result<Self, String> {
        let group_id = w.neutron.security_group_id.as_deref().map(Arc::from);
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
        pub(super) value: Option<String>,
        pub(super) read_only: Option<bool>,
    }
}

neutron::wire!(group [
    /// The v1 group object (GET, list items): Neutron's group, with Gcore's tags and region.
    pub(super) struct WireGroup {
        pub(super) tags_v2: Option<Vec<WireTag>>,
        pub(super) metadata: Option<Vec<WireTag>>,
        pub(super) security_group_rules: Option<Items<Checked<V1>>>,
        pub(super) region_id: Option<serde_json::Value>,
        pub(super) region: Option<serde_json::Value>,
    }
]);

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
        pub(super) name: Option<String>,
        pub(super) description: Option<String>,
        pub(super) rules: Items<Checked<V2>>,
        pub(super) tags: Option<BTreeMap<String, Option<String>>>,
    }
}

// ---------------------------------------------------------------------------------------
// Reading one rule

pub(super) fn read_rule(w: WireRule<'_>, v2: bool) -> Result<ReadRule, String> {
    let n = w.neutron;
    let mut changes = Vec::new();
    let protocol = read_protocol(n.protocol.as_deref(), v2, &mut changes)?;
    let mut spec = n.read_match(protocol, &mut changes)?;
    spec.remote = match (n.remote_ip_prefix.as_ref(), n.remote_group_id.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(
                "remote_ip_prefix and remote_group_id are mutually exclusive; give one".into(),
            );
        }
        (Some(prefix), None) => read::address(prefix, spec.family, "ethertype", &mut changes)?,
        (None, Some("")) => return Err("remote_group_id is empty".into()),
        (None, Some(group)) => Remote::Group(group.to_owned()),
        (None, None) => Remote::Any,
    };
    n.finish(spec, "Gcore", changes)
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
    if super::is_name(text)
        && let Some(p) = neutron::named_protocol(text, changes)
    {
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
        super::names().join(", ")
    ))
}
