//! The dialects: one module each, registered by one line in [`crate::registry`].
//!
//! A dialect knows three things: the serde shapes of its documents, the mapping of one of
//! its rules to and from one canonical [`Rule`](crate::model::Rule), and its
//! [`Capabilities`]. Everything else — lowering a group to what a target can hold, and
//! reporting what that loses — is done once, in [`crate::fit`]. A dialect never names
//! another, and an exporter never learns where its document came from.

mod canonical;
pub(crate) mod envelope;
mod gcore;
mod huawei;
mod read;
mod readings;
mod scaleway;

use crate::caps::Capabilities;
use crate::codec::{Format, TopLevel};
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Action, Document, SecurityGroup};
use crate::output::{Output, Writer};
use crate::report::Report;

pub use canonical::VERSION as CANONICAL_VERSION;

/// Options that shape an export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportOptions {
    /// The target group id for a document of one group, written where the target's rules name
    /// their group (Huawei `security_group_id`) and in place of the group's own id in
    /// self-references.
    pub target_group: Option<String>,
    /// Target group ids by source group id, for documents of several groups.
    pub target_groups: std::collections::BTreeMap<String, String>,
}

/// Options that shape an import: what a document may leave out and the user can supply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// The inbound default policy for a document that carries rules without their group
    /// (a Scaleway rule list). A group in the document takes precedence.
    pub default_inbound: Option<Action>,
    /// The outbound default policy, likewise.
    pub default_outbound: Option<Action>,
    /// Whether the group of such a rule list is stateful.
    pub stateful: Option<bool>,
    /// The priority of a rule that has none, where the provider documents more than one
    /// default (Huawei: 1 and 100). Unset: every documented reading is kept, and the result
    /// must hold under each.
    pub default_priority: Option<u16>,
    /// The order of rules that a document gives both by list and by position (Scaleway).
    pub position_order: PositionOrder,
}

/// Which order an importer reads rules in where a document gives them positions as well as
/// a list order (Scaleway's `position`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PositionOrder {
    /// By position, the API's order. Where positions leave it undefined (equal positions),
    /// every reading is kept and the result holds under each.
    #[default]
    Positions,
    /// By position, equal positions read accept rules first: the reading that allows the
    /// most.
    PositionsAcceptFirst,
    /// The list's order, positions ignored: the order Terraform's
    /// `scaleway_instance_security_group` applies, since it sends the `inbound_rule` and
    /// `outbound_rule` blocks in list order without positions
    /// (<https://github.com/scaleway/terraform-provider-scaleway/blob/master/docs/resources/instance_security_group.md>).
    List,
}

/// What a dialect is, as data: its id, one line about it, what its export shape can
/// express, and the top-level keys that tell its document shapes apart.
pub(crate) struct Dialect {
    /// The dialect's id.
    pub(crate) id: ProviderId,
    /// One line for `--help` and `sgconv providers`.
    pub(crate) about: &'static str,
    /// What the dialect's export shape can express.
    pub(crate) capabilities: &'static Capabilities,
    /// Keys that name document shapes at the top level, in sets whose keys exclude each
    /// other (a document holding two of one set is ambiguous).
    pub(crate) shape_keys: &'static [&'static [&'static str]],
}

/// A dialect as `&dyn Provider` (for the shared reading code, which reads an envelope's
/// parts with the same dialect).
pub(crate) trait AsProvider {
    /// `self`, as a trait object.
    fn as_provider(&self) -> &dyn Provider;
}

impl<T: Provider> AsProvider for T {
    fn as_provider(&self) -> &dyn Provider {
        self
    }
}

/// What every dialect implements. Crate-internal: the public path is [`crate::convert`],
/// which fits a document before exporting it and verifies the result.
pub(crate) trait Provider: Sync + AsProvider {
    /// What the dialect is.
    fn dialect(&self) -> &'static Dialect;
    /// The dialect's id.
    fn id(&self) -> ProviderId {
        self.dialect().id
    }
    /// One line for `--help` and `sgconv providers`.
    fn about(&self) -> &'static str {
        self.dialect().about
    }
    /// What the dialect's export shape can express.
    fn capabilities(&self) -> &'static Capabilities {
        self.dialect().capabilities
    }
    /// Read a document of one of the dialect's own shapes, told apart by its top level
    /// `top`. Whatever the canonical model has no place for is recorded in `report`; keys
    /// the reader does not know are recorded as unread.
    fn read(
        &self,
        top: &TopLevel,
        text: &str,
        format: Format,
        options: &ImportOptions,
        report: &mut Report,
    ) -> Result<Document, Error>;
    /// Read a document in any shape this dialect's users hold, or sgconv's multi-group
    /// envelope of them; a document with keys of two shapes is refused as ambiguous.
    fn import(
        &self,
        text: &str,
        format: Format,
        options: &ImportOptions,
        report: &mut Report,
    ) -> Result<Document, Error> {
        let shapes = self.dialect().shape_keys;
        match read::start(self.as_provider(), text, format, options, report, shapes)? {
            read::Start::Envelope(doc) => Ok(doc),
            read::Start::Top(top) => self.read(&top, text, format, options, report),
        }
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
    /// Write a fitted document: one group as [`Provider::export_group`] writes it; several
    /// as `{"groups": [{"name", "id", "document"}, ...]}` in input order.
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

macro_rules! declare_lookup {
    ($( $variant:ident = $name:literal => $provider:expr ),+ $(,)?) => {
        /// The implementation of a dialect.
        pub(crate) fn get(id: ProviderId) -> &'static dyn Provider {
            match id { $( ProviderId::$variant => &$provider, )+ }
        }
    };
}

crate::registry::registry!(declare_lookup);

impl ProviderId {
    /// One line about the dialect.
    pub fn about(self) -> &'static str {
        get(self).about()
    }

    /// What the dialect's export shape can express.
    pub fn capabilities(self) -> &'static Capabilities {
        get(self).capabilities()
    }
}
