//! `sgconv plan`: several groups of one provider, as the ordered requests that create them
//! on another, verified.
//!
//! The input's groups are converted together (their references to each other kept), then
//! the target dialect turns each converted group into requests: create the group, remove
//! what it is born with, add its rules. A step may name an id that exists only once an
//! earlier step has run: it writes `{{name}}`, and the step whose response holds the id says
//! so in its `binds` (`name` → a JSON pointer into the response). The account's variables stay
//! as written in the target's API reference: `{project_id}`, `{region_id}`, `{zone}`.
//!
//! The verdict is the comparison of the plan's end state (each group as created, every
//! rule request applied, read with the target's own importer) with the source's groups.

mod refs;
mod sh;
mod simulate;
mod steps;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use crate::providers::plan::{Api, Auth, Expect, Rerun, Wait};
pub use refs::{GroupMap, Mapped};
pub use sh::BASE_URL_VARIABLE;

use crate::codec::Format;
use crate::convert::{Options, convert_document, decide, import};
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::Document;
use crate::providers::{self, plan::Part, plan::ToPlan};
use crate::report::{Field, Kind, Refusal, Report};
use crate::semantics::{self, Verdict};

/// The plan format's version.
pub const PLAN_VERSION: u32 = 1;

/// The name Gcore, Huawei and AWS reserve for an account's own group.
const RESERVED_NAME: &str = "default";

/// What a plan may do: the conversion's options (refusal rules, import options) and the
/// group map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Refusal rules and import options, as for `convert` (export options are the plan's).
    pub convert: Options,
    /// What groups outside the input become on the target.
    pub group_map: GroupMap,
    /// The inputs' names (their files' paths), in input order: a dialect whose groups and
    /// rules come from separate calls (Scaleway) pairs a rule list with its group by the
    /// group's id in the rule list's file name.
    pub names: Vec<String>,
}

impl PlanOptions {
    /// Set [`PlanOptions::convert`].
    pub fn with_convert(mut self, options: Options) -> PlanOptions {
        self.convert = options;
        self
    }
    /// Set [`PlanOptions::group_map`].
    pub fn with_group_map(mut self, map: GroupMap) -> PlanOptions {
        self.group_map = map;
        self
    }
    /// Set [`PlanOptions::names`].
    pub fn with_names(mut self, names: Vec<String>) -> PlanOptions {
        self.names = names;
        self
    }
}

/// A verified, ordered plan of requests.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// The format's version ([`PLAN_VERSION`]).
    #[serde(rename = "sgconv_plan")]
    pub version: u32,
    /// The source provider.
    pub from: ProviderId,
    /// The target provider.
    pub to: ProviderId,
    /// Where the target's API is and how requests are authenticated.
    pub api: Api,
    /// The comparison of the plan's end state with the source.
    pub verdict: Verdict,
    /// The account's variables the paths and bodies hold (`{project_id}`, ...).
    pub variables: Vec<String>,
    /// The groups the plan creates, in input order.
    pub groups: Vec<PlannedGroup>,
    /// The requests, in an order where each comes after the steps it names.
    pub steps: Vec<Step>,
    /// What the conversion changed, and the differences of the end state.
    pub report: Report,
}

/// A group the plan creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PlannedGroup {
    /// Its id in the source, if it had one.
    pub source_id: Option<String>,
    /// Its name on the target.
    pub name: String,
    /// The bind that holds its new id (`{{bind}}` in later steps).
    pub bind: String,
    /// What it is born with on the target and what the plan does about it.
    pub born_with: String,
}

/// One request of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Step {
    /// The step's id.
    pub id: String,
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with the account's variables and `{{bind}}`s.
    pub path: String,
    /// The JSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The steps that must have run first.
    pub after: Vec<String>,
    /// Ids its response holds: bind name → JSON pointer (into the finished task's report,
    /// when the step waits for one).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub binds: BTreeMap<String, String>,
    /// The task the request starts, to wait for before going on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
    /// What a check expects of the response; the plan stops otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// What sending the request a second time does (a plan run twice).
    pub rerun: Rerun,
    /// Something a client must know to run it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// A plan's result: the report, and the plan or why it was refused.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Planned {
    /// The plan, or why there is none.
    pub outcome: Result<Plan, Refusal>,
    /// What the conversion changed, and the verdict.
    pub report: Report,
}

/// Plan the groups of `inputs` (documents of provider `from`) as requests to `to`.
///
/// Fails with [`Error`] when an input cannot be read, the options do not fit, or `to`
/// declares no API to plan with. Otherwise the [`Planned`] holds the report and the plan, or
/// the [`Refusal`] under `convert`'s rules.
pub fn plan(
    inputs: &[&str],
    from: ProviderId,
    to: ProviderId,
    options: &PlanOptions,
) -> Result<Planned, Error> {
    let target = providers::get(to);
    let Some(planner) = target.planner() else {
        let with: Vec<&str> = ProviderId::ALL
            .iter()
            .filter(|p| providers::get(**p).planner().is_some())
            .map(|p| p.name())
            .collect();
        return Err(Error::Options(format!(
            "{to} declares no API to plan with (those that do: {})",
            with.join(", ")
        )));
    };
    let api = &planner.api;
    let mut report = Report::new(from, to);
    let mut doc = read_account(inputs, from, options, &mut report)?;
    let mut binds = BTreeMap::new();
    let mut names: Vec<String> = Vec::with_capacity(doc.groups.len());
    for (gi, group) in doc.groups.iter_mut().enumerate() {
        let n = gi.saturating_add(1);
        let id = group.id.get_or_insert_with(|| format!("group-{n}")).clone();
        if binds
            .insert(id.clone(), format!("{{{{group_{n}}}}}"))
            .is_some()
        {
            return Err(Error::Options(format!(
                "group id {id:?} appears twice in the input; give each group once"
            )));
        }
        names.push(name(group.name.as_deref(), &id, gi, &names, &mut report));
    }
    placeholders_in_text(&doc)?;
    let resolved = refs::resolve(&doc, &options.group_map, &mut report)?;
    let mut target_ids = binds.clone();
    target_ids.extend(resolved.existing.clone());
    let mut export = options.convert.export.clone();
    export.target_groups = target_ids.clone();
    export.target_group = None;
    export.terraform = false;
    export.shape = api.export_shape.map(str::to_owned);
    export.planned = true;
    let convert_options = options
        .convert
        .clone()
        .with_allow_widen(true)
        .with_allow_unread(true)
        .with_strict(false)
        .with_export(export);
    let converted = convert_document(&resolved.prepared, to, &convert_options)?;
    for entry in converted.report.entries {
        // The create request carries what the export shape may have no place for: every
        // API's the group's name, most its description.
        let group_level = entry.rule.is_none() && entry.rules.is_empty();
        let carried = match entry.field {
            Field::Name => true,
            Field::Description => api.describes,
            _ => false,
        };
        if !(group_level && carried && entry.kind == Kind::Metadata) {
            report.push(entry);
        }
    }
    let output = match converted.outcome {
        Ok(output) => output.to_value()?,
        Err(refusal) => return Ok(refused(refusal, report)),
    };
    let documents = group_documents(output, doc.groups.len())?;
    let mut requests = Vec::with_capacity(documents.len());
    let mut bound = Vec::with_capacity(documents.len());
    for (gi, (exported, group)) in documents.into_iter().zip(&doc.groups).enumerate() {
        let bind = format!("group_{}", gi.saturating_add(1));
        let name = names.get(gi).map_or("", String::as_str);
        let made = (planner.group)(ToPlan {
            exported,
            name,
            description: group.description.as_deref(),
            bind: &bind,
        })?;
        requests.push(made);
        bound.push(format!("{{{{{bind}}}}}"));
    }
    // The verdict: the end state against the source (asserted memberships in place).
    let end = simulate::end_state(target, &requests, &bound)?;
    let mut baseline = resolved.baseline;
    refs::rename(&mut baseline, &target_ids)?;
    let (verdict, mut differences) = semantics::compare_documents_limited(
        &baseline,
        &end,
        crate::verify::MAX_DIFFERENCES.saturating_add(1),
        |_, _| {},
    );
    report.differences_truncated = differences.len() > crate::verify::MAX_DIFFERENCES;
    differences.truncate(crate::verify::MAX_DIFFERENCES);
    report.differences = differences;
    report.verdict = report.verdict.max(verdict);
    let refusal = decide(&report, &options.convert);
    if let Some(refusal) = refusal {
        return Ok(refused(refusal, report));
    }
    let (groups, steps) = steps::steps(&doc, &names, requests, target.capabilities());
    let variables = steps::variables(&steps);
    Ok(Planned {
        outcome: Ok(Plan {
            version: PLAN_VERSION,
            from,
            to,
            api: *api,
            verdict: report.verdict,
            variables,
            groups,
            steps,
            report: report.clone(),
        }),
        report,
    })
}

/// The groups of every input: each read by itself, unless the dialect pairs inputs that
/// hold parts of groups.
fn read_account(
    inputs: &[&str],
    from: ProviderId,
    options: &PlanOptions,
    report: &mut Report,
) -> Result<Document, Error> {
    let parts: Vec<Part<'_>> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| Part {
            name: options.names.get(i).map(String::as_str),
            text,
            format: options
                .convert
                .input_format
                .unwrap_or_else(|| Format::detect(text)),
        })
        .collect();
    let source = providers::get(from);
    if let Some(doc) = source.import_parts(&parts, &options.convert.import, report) {
        return doc;
    }
    let mut doc = Document::default();
    for text in inputs {
        let read = import(text, from, &options.convert)?;
        let offset = doc.groups.len();
        for mut entry in read.report.entries {
            entry.group = entry.group.saturating_add(offset);
            report.push(entry);
        }
        doc.groups.extend(read.document.groups);
    }
    Ok(doc)
}

/// Refuse a name or description that is one placeholder whole (`{zone}`, `{{group_1}}`): in
/// a body, such a string is filled in by whoever runs the plan.
fn placeholders_in_text(doc: &Document) -> Result<(), Error> {
    for (gi, group) in doc.groups.iter().enumerate() {
        let rules = group.rules.iter().map(|r| r.description());
        let texts = [group.name.as_deref(), group.description.as_deref()];
        if let Some(text) = texts
            .into_iter()
            .chain(rules)
            .flatten()
            .find(|t| steps::is_token(t))
        {
            return Err(Error::Options(format!(
                "group {gi}: the text {text:?} is written as a plan's placeholders are, and would be \
                 filled in when the plan runs; change it in the input"
            )));
        }
    }
    Ok(())
}

fn refused(refusal: Refusal, mut report: Report) -> Planned {
    report.verdict = report.verdict.max(refusal.verdict());
    Planned {
        outcome: Err(refusal),
        report,
    }
}

/// The group's name on the target: its own, else its source id; the reserved name and a
/// name an earlier group took are changed, and reported.
fn name(own: Option<&str>, id: &str, gi: usize, taken: &[String], report: &mut Report) -> String {
    let mut name = own.unwrap_or(id).to_owned();
    if name.eq_ignore_ascii_case(RESERVED_NAME) {
        name = format!("{name}-migrated");
        report.group(gi).push(
            Field::Name,
            Kind::Metadata,
            own.map(str::to_owned),
            format!("\"default\" is the name of the account's own group: created as {name:?}"),
        );
    }
    // Compared ignoring case: whether a target tells `Web` from `web` is not everywhere
    // documented, and a renamed group is reported either way.
    if taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        let unique = format!("{name}-{}", gi.saturating_add(1));
        report.group(gi).push(
            Field::Name,
            Kind::Metadata,
            Some(name),
            format!("an earlier group of the input has this name: created as {unique:?}"),
        );
        name = unique;
    }
    name
}

/// The exported document of each group: the envelope's, or the one document of one group.
fn group_documents(output: Value, groups: usize) -> Result<Vec<Value>, Error> {
    if groups == 1 {
        return Ok(vec![output]);
    }
    let internal = || Error::Internal("plan: the export is not an envelope of groups".into());
    let Value::Object(mut top) = output else {
        return Err(internal());
    };
    let Some(Value::Array(list)) = top.remove("groups") else {
        return Err(internal());
    };
    let docs: Vec<Value> = list
        .into_iter()
        .filter_map(|g| match g {
            Value::Object(mut g) => g.remove("document"),
            _ => None,
        })
        .collect();
    if docs.len() == groups {
        Ok(docs)
    } else {
        Err(internal())
    }
}
