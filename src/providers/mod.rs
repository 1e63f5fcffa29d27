//! The providers: one module each, registered by one line in [`registry!`].
//!
//! A provider knows three things (DESIGN.md §3): the serde shapes of its documents, the
//! mapping of one of its rules to and from one canonical [`Rule`](crate::model::Rule), and
//! its [`Capabilities`]. Everything else — lowering a group to what a target can hold, and
//! reporting what that loses — is done once, in [`crate::fit`]. Providers never talk to each
//! other, only to the model.

mod canonical;
pub(crate) mod envelope;
mod gcore;
mod huawei;
mod read;
mod scaleway;
mod strict;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::Error;
pub use crate::fit::{Capabilities, GroupFields, Ordering, Protocols, TextLimit};
use crate::format::Format;
use crate::model::{Action, Document, SecurityGroup};
use crate::output::{Output, Writer};
use crate::report::Report;

/// Options that shape an export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The target group id to fill into rules that name their group (Huawei
    /// `security_group_id`).
    pub target_group: Option<String>,
}

/// Options that shape an import: what a document may leave out and the user can supply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The inbound default policy for a document that carries rules without their group
    /// (a Scaleway rule list). A group in the document takes precedence.
    pub default_inbound: Option<Action>,
    /// The outbound default policy, likewise.
    pub default_outbound: Option<Action>,
}

/// What every provider implements. Get one with [`ProviderId::provider`].
pub trait Provider: Sync {
    /// The provider's id.
    fn id(&self) -> ProviderId;
    /// One line for `--help` and `sgconv providers`.
    fn about(&self) -> &'static str;
    /// What the provider's export shape can express.
    fn capabilities(&self) -> &'static Capabilities;
    /// Read a document in any shape this provider's users hold. Whatever the canonical
    /// model has no place for is recorded in `report`.
    fn import(&self, text: &str, format: Format, report: &mut Report) -> Result<Document, Error>;
    /// [`Provider::import`] with [`ImportOptions`]. Providers whose documents never lack
    /// anything the options supply keep this default, which ignores them.
    fn import_with(
        &self,
        text: &str,
        format: Format,
        _options: &ImportOptions,
        report: &mut Report,
    ) -> Result<Document, Error> {
        self.import(text, format, report)
    }
    /// Write one group, already fitted to [`Provider::capabilities`], into `out`; `index` is
    /// its position in the document, for the report.
    fn export_group(
        &self,
        group: &SecurityGroup,
        index: usize,
        options: &ExportOptions,
        report: &mut Report,
        out: &mut Writer,
    ) -> Result<(), Error>;
    /// Write a document: one group as [`Provider::export_group`] writes it; several as
    /// `{"groups": [{"name", "id", "document"}, ...]}` in input order.
    fn export(
        &self,
        doc: &Document,
        options: &ExportOptions,
        report: &mut Report,
    ) -> Result<Output, Error> {
        let mut out = Writer::new();
        if let [group] = doc.groups.as_slice() {
            self.export_group(group, 0, options, report, &mut out)?;
        } else {
            envelope::export(self, doc, options, report, &mut out)?;
        }
        out.finish()
    }
}

/// Declares every provider: its id variant, its name on the command line, and the value
/// that implements it. To add a provider, write its module and add ONE line here.
macro_rules! registry {
    ($( $variant:ident = $name:literal => $provider:expr ),+ $(,)?) => {
        /// A provider's id: the `--from`/`--to` names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ProviderId {
            $( #[doc = concat!("`", $name, "`")] $variant, )+
        }

        impl ProviderId {
            /// Every provider, in listing order.
            pub const ALL: &'static [ProviderId] = &[$( ProviderId::$variant ),+];

            /// The command-line name.
            pub fn name(self) -> &'static str {
                match self { $( ProviderId::$variant => $name, )+ }
            }

            /// The implementation.
            pub fn provider(self) -> &'static dyn Provider {
                match self { $( ProviderId::$variant => &$provider, )+ }
            }
        }
    };
}

registry! {
    Canonical = "canonical" => canonical::Canonical,
    GcoreV1 = "gcore-v1" => gcore::Gcore::V1,
    GcoreV2 = "gcore-v2" => gcore::Gcore::V2,
    Huawei = "huawei" => huawei::Huawei,
    Scaleway = "scaleway" => scaleway::Scaleway,
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProviderId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderId::ALL
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ProviderId::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown provider {s:?} (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

impl Serialize for ProviderId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl clap::ValueEnum for ProviderId {
    fn value_variants<'a>() -> &'a [Self] {
        ProviderId::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.provider().about()))
    }
}
