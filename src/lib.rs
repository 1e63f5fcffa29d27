//! sgconv converts cloud security-group rules between providers — Gcore Cloud (API v1 and
//! v2), Huawei Cloud VPC (v3) and Scaleway Instance — through one canonical model, proves
//! what each conversion preserved, and reports every loss.
//!
//! ```
//! use sgconv::{convert, Options, ProviderId, report::Verdict};
//!
//! let v1 = r#"[{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
//!              "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"}]"#;
//! let out = convert(v1, ProviderId::GcoreV1, ProviderId::GcoreV2, &Options::default()).unwrap();
//! assert_eq!(out.report.verdict, Verdict::Exact);
//! assert_eq!(out.output().unwrap().to_value().unwrap()[0]["protocol"], "tcp");
//! ```
//!
//! The entry points are [`convert()`] (text in), [`convert_document`] (a [`Document`] built in
//! code), [`import`] and [`diff()`]. Each returns a value that carries its [`Report`]; a
//! refusal ([`report::Refusal`]) is part of that value, not an error. [`Error`] means the
//! input could not be read.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Panic audit: nothing derived from input may panic. Tests (cfg(test)) may.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

// Layer 0: vocabulary.
mod caps;
mod id;
pub mod model;
mod registry;
mod text_enum;
// Layer 1: meaning.
pub mod semantics;
// Layer 2: records and I/O primitives.
mod codec;
mod error;
mod output;
pub mod progress;
pub mod report;
// Layer 3: the two sides of the middle.
mod fit;
mod providers;
// Layer 4: the pipeline.
mod convert;
mod detect;
mod diff;
pub mod lint;
mod plan;
mod verify;

/// The README's examples, run as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use caps::{
    BornWith, Capabilities, GroupFields, Ordering, Protocols, Quota, QuotaExcess, TextLimit,
};
// Documented once, at `model::PlatformBlock`: its defining module (`model/group.rs`) is
// private, so rustdoc would otherwise copy the whole page here.
#[doc(no_inline)]
pub use caps::PlatformBlock;
pub use codec::Format;
pub use convert::{
    Converted, Imported, Options, Stage, Stats, convert, convert_document, convert_owned, import,
};
pub use detect::{Detected, detect_provider};
pub use diff::{Diff, DiffBox, DiffSide, GroupPair, Pairing, diff, diff_documents};
pub use error::{Error, Location};
pub use id::{ProviderId, UnknownProvider};
pub use ipnet;
pub use lint::{lint, minimize};
pub use model::Document;
pub use output::Output;
pub use plan::{
    Api, Auth, BASE_URL_VARIABLE, Expect, GroupMap, Mapped, PLAN_VERSION, Plan, PlanOptions,
    Planned, PlannedGroup, Rerun, Step, Wait, plan,
};
pub use providers::{CANONICAL_VERSION, ExportOptions, ImportOptions, PositionOrder};
pub use report::{Refusal, Report};
pub use verify::MAX_DIFFERENCES;

/// The pipeline's stages one at a time, for the benchmarks: not part of the API (no
/// stability promise), and not a way around [`convert()`]'s checks for programs.
#[doc(hidden)]
pub mod stages {
    use crate::{Document, Error, Options, Output, ProviderId, Report};

    /// Read `text` as [`crate::import`] does, into `report`.
    pub fn import(
        text: &str,
        from: ProviderId,
        options: &Options,
        report: &mut Report,
    ) -> Result<Document, Error> {
        let format = options
            .input_format
            .unwrap_or_else(|| crate::Format::detect(text));
        crate::providers::get(from).import(text, format, &options.import, report)
    }

    /// A document fitted to one target: only [`fit`] makes one, so [`export`] never writes
    /// a document the target cannot hold as it means.
    #[derive(Debug, Clone)]
    pub struct Fitted {
        doc: Document,
        to: ProviderId,
    }

    impl Fitted {
        /// The fitted document.
        pub fn document(&self) -> &Document {
            &self.doc
        }
    }

    /// Fit `doc` to `to` (`None` when refused).
    pub fn fit(
        doc: &Document,
        to: ProviderId,
        options: &Options,
        report: &mut Report,
    ) -> Option<Fitted> {
        crate::fit::fit(
            doc,
            to.capabilities(),
            options.rule_budget,
            report,
            options.progress.as_ref(),
        )
        .ok()
        .map(|doc| Fitted { doc, to })
    }

    /// Export a document fitted to its target.
    pub fn export(
        fitted: &Fitted,
        options: &Options,
        report: &mut Report,
    ) -> Result<Output, Error> {
        crate::providers::get(fitted.to).export(&fitted.doc, &options.export, report)
    }

    /// Verify `output` against `source`.
    pub fn verify(
        source: &Document,
        output: &Output,
        to: ProviderId,
        report: &mut Report,
    ) -> Result<(), Error> {
        crate::verify::verify(source, output, crate::providers::get(to), report, None)
    }
}
