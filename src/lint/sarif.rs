//! Findings as SARIF 2.1.0, for GitHub code scanning and other CI tools: one run, one
//! reporting descriptor per check, one result per finding located at its input file, the
//! line of the offending rule (JSON input) and its JSON path (a logical location).

use std::borrow::Cow;

use serde::{Serialize, Serializer};

use super::{Finding, FindingKind, Linted, Severity};

/// The SARIF level of a severity: `error` for high and critical, `warning` for medium,
/// `note` below.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Info | Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (0.0-10.0) of a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
        Severity::Info => "0.0",
    }
}

/// What a check looks for, in one sentence.
fn about(check: &str) -> &'static str {
    match check {
        "exposed-all-ports" => "Every TCP or UDP port is reachable from public addresses.",
        "shadowed" => "Rules evaluated earlier decide every packet of this rule (same action).",
        "conflicting" => {
            "Rules evaluated earlier decide every packet of this rule, some with the other action."
        }
        "deny-exception" => "A deny rule only carves an exception out of later allow rules.",
        "unmatchable" => "The rule matches no packet on its own.",
        "redundant" => "Removing the rule changes nothing.",
        "over-quota" => "The group has more rules than the provider's quota.",
        "unread" => "Part of the input was not read.",
        c if c.starts_with("exposed-") => "A sensitive service is reachable from public addresses.",
        _ => "An sgconv lint finding.",
    }
}

/// The SARIF log of the findings of several inputs: `(uri, linted)` per input file (a path
/// relative to the repository root shows inline in code scanning). It borrows the findings
/// and serialises each result as it is written (no tree of the whole log is built):
/// `serde_json::to_writer(out, &sarif(&inputs))`.
pub fn sarif<'a>(inputs: &'a [(&'a str, &'a Linted)]) -> Log<'a> {
    let mut checks: Vec<(&str, Severity)> = Vec::new();
    for (_, linted) in inputs {
        for f in &linted.findings {
            match checks.iter_mut().find(|(c, _)| *c == f.check) {
                Some((_, s)) => *s = (*s).max(f.severity),
                None => checks.push((&f.check, f.severity)),
            }
        }
    }
    Log { inputs, checks }
}

/// A SARIF 2.1.0 log of lint findings ([`sarif`]); serialise it with serde.
#[derive(Debug)]
pub struct Log<'a> {
    inputs: &'a [(&'a str, &'a Linted)],
    /// Every check found, with its worst severity, in the order first found.
    checks: Vec<(&'a str, Severity)>,
}

impl Serialize for Log<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Top<'a> {
            #[serde(rename = "$schema")]
            schema: &'static str,
            version: &'static str,
            runs: [Run<'a>; 1],
        }
        #[derive(Serialize)]
        struct Run<'a> {
            tool: Tool<'a>,
            results: Results<'a>,
        }
        #[derive(Serialize)]
        struct Tool<'a> {
            driver: Driver<'a>,
        }
        #[derive(Serialize)]
        struct Driver<'a> {
            name: &'static str,
            version: &'static str,
            rules: Vec<Descriptor<'a>>,
        }
        let rules = self
            .checks
            .iter()
            .map(|(check, severity)| Descriptor {
                id: check,
                short_description: Text {
                    text: Cow::Borrowed(about(check)),
                },
                default_configuration: Configuration {
                    level: level(*severity),
                },
                properties: DescriptorProperties {
                    tags: ["security", "network"],
                    security_severity: security_severity(*severity),
                },
            })
            .collect();
        Top {
            schema: "https://json.schemastore.org/sarif-2.1.0.json",
            version: "2.1.0",
            runs: [Run {
                tool: Tool {
                    driver: Driver {
                        name: "sgconv",
                        version: env!("CARGO_PKG_VERSION"),
                        rules,
                    },
                },
                results: Results(self),
            }],
        }
        .serialize(serializer)
    }
}

/// The results of a [`Log`], one per finding, each made as it is written.
struct Results<'a>(&'a Log<'a>);

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let log = self.0;
        serializer.collect_seq(log.inputs.iter().flat_map(|(uri, linted)| {
            linted.findings.iter().map(move |f| {
                let index = log.checks.iter().position(|(c, _)| *c == f.check);
                result(uri, f, index)
            })
        }))
    }
}

/// A reporting descriptor (one per check).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    short_description: Text<'a>,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Text<'a> {
    text: Cow<'a, str>,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorProperties {
    tags: [&'static str; 2],
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

/// One finding as a SARIF result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    level: &'static str,
    message: Text<'a>,
    locations: [Location<'a>; 1],
    properties: ResultProperties<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: Physical,
    #[serde(skip_serializing_if = "Option::is_none")]
    logical_locations: Option<[Logical<'a>; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct Artifact {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    kind: FindingKind,
    severity: Severity,
    group: usize,
    /// The indexes of the rules the finding is about (at most [`super::MAX_RELATED`]).
    rules: Vec<usize>,
    /// How many rules it is about, where `rules` lists only the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    rules_total: Option<usize>,
    /// The indexes of the other rules it names (at most [`super::MAX_RELATED`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<usize>,
    /// How many other rules are involved, where `related` lists only the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    related_total: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    witness: Option<&'a str>,
}

/// One finding as a SARIF result.
fn result<'a>(uri: &str, f: &'a Finding, rule_index: Option<usize>) -> SarifResult<'a> {
    let text = match &f.witness {
        Some(w) => Cow::Owned(format!("{} Witness: {w}.", f.message)),
        None => Cow::Borrowed(f.message.as_str()),
    };
    let indexes = |origins: &[crate::model::Origin]| -> Vec<usize> {
        origins.iter().filter_map(|o| o.index).collect()
    };
    SarifResult {
        rule_id: &f.check,
        level: level(f.severity),
        message: Text { text },
        locations: [Location {
            physical_location: Physical {
                artifact_location: Artifact {
                    uri: uri_reference(uri),
                },
                region: f.line.map(|start_line| Region { start_line }),
            },
            logical_locations: f.path.as_deref().map(|path| {
                [Logical {
                    fully_qualified_name: path,
                    kind: "element",
                }]
            }),
        }],
        properties: ResultProperties {
            kind: f.kind,
            severity: f.severity,
            group: f.group,
            rules: indexes(&f.rules),
            rules_total: f.rules_total,
            related: indexes(&f.related),
            related_total: f.related_total,
            alias: f.alias,
            group_label: f.group_label.as_deref(),
            witness: f.witness.as_deref(),
        },
        rule_index,
    }
}

/// A file path as a URI reference: `/` separators, and the characters a URI cannot hold
/// percent-encoded.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '\\' => out.push('/'),
            'A'..='Z'
            | 'a'..='z'
            | '0'..='9'
            | '-'
            | '.'
            | '_'
            | '~'
            | '/'
            | ':'
            | '@'
            | '+'
            | ','
            | ';'
            | '='
            | '&'
            | '!'
            | '$'
            | '\''
            | '('
            | ')'
            | '*' => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}
