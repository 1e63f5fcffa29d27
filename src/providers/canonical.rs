//! sgconv's own format: the canonical model as versioned JSON or YAML.
//!
//! ```json
//! {"sgconv": 1, "groups": [{"evaluation": "allow_only", "default_inbound": "deny",
//!   "default_outbound": "deny", "stateful": true, "rules": [
//!   {"direction": "ingress", "family": "ipv4", "protocol": "tcp", "ports": ["22"],
//!    "remote": {"cidr": "10.0.0.0/8"}}]}]}
//! ```
//! Unknown fields are rejected; a rule without `origin` gets its position as origin.

use serde::{Deserialize, Deserializer, Serialize};

use super::{Dialect, Export, ExportOptions, ImportOptions, Input, Provider, read};
use crate::caps::Capabilities;
use crate::codec::Format;
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Document, SecurityGroup};
use crate::output::{Output, Writer};
use crate::report::Report;

/// The canonical format's version. Readers refuse any other.
pub const VERSION: u32 = 1;

/// The canonical provider.
pub struct Canonical;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn {
    #[serde(rename = "sgconv")]
    _version: Version,
    groups: Vec<CheckedGroup>,
}

#[derive(Serialize)]
struct WireOut<'a> {
    sgconv: u32,
    groups: &'a [SecurityGroup],
}

struct Version;

/// A group whose group-level invariants ([`SecurityGroup::check`]) hold; checked while
/// reading so the error carries its location.
struct CheckedGroup(SecurityGroup);

impl<'de> Deserialize<'de> for CheckedGroup {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let group = SecurityGroup::deserialize(d)?;
        group.check().map_err(serde::de::Error::custom)?;
        Ok(CheckedGroup(group))
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u32::deserialize(d)?;
        if v != VERSION {
            return Err(serde::de::Error::custom(format!(
                "canonical format version {v} is not supported (this sgconv reads version {VERSION})"
            )));
        }
        Ok(Version)
    }
}

static DIALECT: Dialect = Dialect {
    id: ProviderId::Canonical,
    about: "sgconv's canonical model as versioned JSON/YAML; holds everything, round-trips exactly",
    capabilities: &Capabilities::EVERYTHING,
    shapes: "sgconv's canonical document",
    export_shapes: &[],
    shape_keys: &[],
    terraform: None,
    planner: None,
};

impl Provider for Canonical {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    /// One shape, whatever the top level.
    fn read(&self, input: Input<'_>, report: &mut Report) -> Result<Document, Error> {
        self.import(input.text, input.format, input.options, report)
    }

    /// The canonical format holds several groups itself: no envelope, no shape to tell.
    fn import(
        &self,
        text: &str,
        format: Format,
        _options: &ImportOptions,
        report: &mut Report,
    ) -> Result<Document, Error> {
        let wire: WireIn = read::decode(text, format, self.id(), report)?;
        let mut groups: Vec<SecurityGroup> = wire.groups.into_iter().map(|g| g.0).collect();
        for group in &mut groups {
            group.number_rules();
        }
        Ok(Document { groups })
    }

    fn export_group(&self, group: &SecurityGroup, to: Export<'_>) -> Result<(), Error> {
        let Export { out, .. } = to;
        out.value(group)
    }

    fn export(
        &self,
        doc: &Document,
        _options: &ExportOptions,
        _report: &mut Report,
    ) -> Result<Output, Error> {
        let mut out = Writer::new();
        let wire = WireOut {
            sgconv: VERSION,
            groups: &doc.groups,
        };
        out.value(&wire)?;
        out.finish()
    }
}
