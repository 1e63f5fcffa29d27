//! The dialects: one module each, registered by one line in [`crate::registry`].
//!
//! A dialect knows three things: the serde shapes of its documents, the mapping of one of
//! its rules to and from one canonical [`Rule`](crate::model::Rule), and its
//! [`Capabilities`]. Everything else — lowering a group to what a target can hold, and
//! reporting what that loses — is done once, in [`crate::fit`]. A dialect never names
//! another, and an exporter never learns where its document came from.

pub(crate) mod envelope;
mod items;
mod neutron;
pub(crate) mod plan;
mod read;
mod readings;
pub(crate) mod terraform;
mod wire_struct;
mod write;

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
    /// The document shape to write, by name, for a dialect that writes more than one (AWS
    /// EC2: `describe` or `authorize`); `None` for the dialect's default. A name the target
    /// does not write is refused.
    pub shape: Option<String>,
    /// Target group ids by source group id, for documents of several groups; also target ids
    /// of the remote groups and address groups (AWS prefix lists) that rules name.
    pub target_groups: std::collections::BTreeMap<String, String>,
    /// Write a Terraform configuration (the target's Terraform resources, one file for all
    /// groups) instead of the target's API documents.
    pub terraform: bool,
    /// Groups are created by a plan, whose steps remove what they are born with: the fit
    /// notes nothing about it.
    pub(crate) planned: bool,
}

impl ExportOptions {
    /// The target id the user gave for `group` ([`ExportOptions::target_group`], or its
    /// source id's entry in [`ExportOptions::target_groups`]), if any.
    pub(crate) fn target_id(&self, group: &SecurityGroup) -> Option<&str> {
        let mapped = group
            .id
            .as_deref()
            .and_then(|id| self.target_groups.get(id))
            .map(String::as_str);
        self.target_group.as_deref().or(mapped)
    }
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
    /// The direction of a document whose rules do not carry it (an AWS
    /// `authorize-security-group-ingress`/`-egress` request body: the operation says it).
    pub direction: Option<crate::model::Direction>,
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
    /// The document shapes it reads, for messages ("a create-rule body, ...").
    pub(crate) shapes: &'static str,
    /// The document shapes the dialect can write, by name, with one line each; the first is
    /// the default. Empty: one shape only.
    pub(crate) export_shapes: &'static [(&'static str, &'static str)],
    /// Keys that name document shapes at the top level, in sets whose keys exclude each
    /// other (a document holding two of one set is ambiguous).
    pub(crate) shape_keys: &'static [&'static [&'static str]],
    /// The dialect's Terraform resources and how it reads and writes them (`None`: no
    /// Terraform).
    pub(crate) terraform: Option<terraform::Terraform>,
    /// How its groups are applied through its API, for `sgconv plan` (`None`: it declares no
    /// API).
    pub(crate) planner: Option<&'static plan::Planner>,
}

impl Dialect {
    /// The error for a document of none of the dialect's shapes: what was `found`, and
    /// which shapes it reads.
    pub(crate) fn shape_error(&self, found: &str) -> Error {
        Error::Shape {
            provider: self.id,
            message: format!("{found}; expected {}", self.shapes),
        }
    }

    /// [`Dialect::shape_error`] for a top level none of the dialect's shapes has.
    pub(crate) fn unknown_shape(&self, top: &TopLevel) -> Error {
        self.shape_error(&match top {
            TopLevel::Object(keys) => format!("found an object with keys [{}]", keys.join(", ")),
            TopLevel::Array => "found a list".to_owned(),
            TopLevel::Scalar => "found a single value".to_owned(),
        })
    }
}

/// Where [`Provider::export_group`] writes a group, and what it is told.
pub(crate) struct Export<'a> {
    /// The group's position in the document, for the report.
    pub(crate) index: usize,
    /// What the user asked of the export.
    pub(crate) options: &'a ExportOptions,
    /// The report.
    pub(crate) report: &'a mut Report,
    /// The text written.
    pub(crate) out: &'a mut Writer,
}

/// A document to read, as [`Provider::read`] gets it.
pub(crate) struct Input<'a> {
    /// Its top level (never [`TopLevel::Scalar`]).
    pub(crate) top: TopLevel,
    /// The whole text.
    pub(crate) text: &'a str,
    /// Its encoding.
    pub(crate) format: Format,
    /// What the user supplied for what the document leaves out.
    pub(crate) options: &'a ImportOptions,
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
    /// Whether the dialect has Terraform resources.
    fn has_terraform(&self) -> bool {
        self.dialect().terraform.is_some()
    }
    /// What the dialect's export can express with `options`: a Terraform configuration also
    /// names, describes and tags its groups (every schema has `name`, `description` and
    /// tags), has no disabled rules (no schema has the flag), and makes groups with no rules
    /// but its own (Gcore v2's provider creates them with `rules: []`, Huawei's are written
    /// with `delete_default_rules = true`, Gcore v1's get the rules of their block).
    fn export_capabilities(&self, options: &ExportOptions) -> Capabilities {
        let mut caps = *self.capabilities();
        if options.planned {
            caps.born_with = &[];
        }
        if options.terraform {
            caps.born_with = &[];
            caps.group_fields = crate::caps::GroupFields {
                id: false,
                ..crate::caps::GroupFields::ALL
            };
            caps.enabled_flag = false;
        }
        caps
    }
    /// Read a document of one of the dialect's own shapes, told apart by its top level
    /// (`input.top`: an object's keys or an array; a single value is refused before).
    /// Whatever the canonical model has no place for is recorded in `report`; keys the
    /// reader does not know are recorded as unread.
    fn read(&self, input: Input<'_>, report: &mut Report) -> Result<Document, Error>;
    /// Read a document in any shape this dialect's users hold, or sgconv's multi-group
    /// envelope of them; a document with keys of two shapes is refused as ambiguous.
    fn import(
        &self,
        text: &str,
        format: Format,
        options: &ImportOptions,
        report: &mut Report,
    ) -> Result<Document, Error> {
        if format == Format::Terraform {
            return terraform::import(self.as_provider(), text, options, report);
        }
        let shapes = self.dialect().shape_keys;
        match read::start(self.as_provider(), text, format, options, report, shapes)? {
            read::Start::Envelope(doc) => Ok(doc),
            read::Start::Top(top) => {
                let input = Input {
                    top,
                    text,
                    format,
                    options,
                };
                self.read(input, report)
            }
        }
    }
    /// Write one group, already fitted to [`Provider::capabilities`], into `out`; `index` is
    /// its position in the document, for the report.
    fn export_group(&self, group: &SecurityGroup, to: Export<'_>) -> Result<(), Error>;
    /// How the dialect's groups are applied through its API, for `sgconv plan`; `None` for a
    /// dialect that declares no API.
    fn planner(&self) -> Option<&'static plan::Planner> {
        self.dialect().planner
    }
    /// Read an account given as several documents where a group may come in parts (Scaleway:
    /// a group object and its rule list, from two calls), paired by the dialect; `None` when
    /// the dialect has no such parts or none of `parts` is one (each document is then read by
    /// itself).
    fn import_parts(
        &self,
        parts: &[plan::Part<'_>],
        options: &ImportOptions,
        report: &mut Report,
    ) -> Option<Result<Document, Error>> {
        let _ = (parts, options, report);
        None
    }
    /// Write a fitted document: one group as [`Provider::export_group`] writes it; several
    /// as `{"groups": [{"name", "id", "document"}, ...]}` in input order; with
    /// [`ExportOptions::terraform`], a configuration file of all groups.
    fn export(
        &self,
        doc: &Document,
        options: &ExportOptions,
        report: &mut Report,
    ) -> Result<Output, Error> {
        if options.terraform {
            return terraform::export(self.as_provider(), doc, report);
        }
        export_groups(self, doc, options, report)
    }
}

/// A document as `provider`'s [`Provider::export_group`] writes its groups: one group alone,
/// several in sgconv's envelope (`{"groups": [{"name", "id", "document"}, ...]}`, in input
/// order).
pub(crate) fn export_groups<P: Provider + ?Sized>(
    provider: &P,
    doc: &Document,
    options: &ExportOptions,
    report: &mut Report,
) -> Result<Output, Error> {
    let mut out = Writer::new();
    if let [group] = doc.groups.as_slice() {
        let to = Export {
            index: 0,
            options,
            report,
            out: &mut out,
        };
        provider.export_group(group, to)?;
    } else {
        envelope::export(provider, doc, options, report, &mut out)?;
    }
    out.finish()
}

/// The registry's modules (`mod gcore;`, ...) and the lookup of each dialect's value.
macro_rules! declare_lookup {
    ($( $module:ident { $( $variant:ident = $name:literal => $provider:expr ),+ $(,)? } ),+ $(,)?) => {
        $( mod $module; )+

        /// The implementation of a dialect.
        pub(crate) fn get(id: ProviderId) -> &'static dyn Provider {
            match id { $( $( ProviderId::$variant => &$provider, )+ )+ }
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

    /// The document shapes the dialect can write (name, one line), the default first; empty
    /// when it writes one shape only.
    pub fn export_shapes(self) -> &'static [(&'static str, &'static str)] {
        get(self).dialect().export_shapes
    }
}
