//! The lint's configuration file (`sgconv lint --config FILE`), JSON or YAML, read with the
//! crate's codec: an unknown key or a bad value is an error with its JSON path and
//! line:column.
//!
//! ```yaml
//! sensitive_ports: [tcp/8080, udp/53, tcp/9000-9100]  # checked besides the built-in list
//! default_ports: true            # false: only sensitive_ports (and every TCP/UDP port)
//! trusted: [203.0.113.0/24]      # not public, besides the private ranges
//! checks:                        # per check id: a severity, or disabled
//!   redundant: medium
//!   deny-exception: disabled
//! fail_on: high                  # info, low, medium, high, critical or never
//! quota: {rules: 60, per_direction: true, per_family: true}
//! max_pieces: 4096
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::exposure::{PortCheck, default_checks};
use super::{CHECKS, FailOn, LintConfig, Severity};
use crate::caps::Quota;
use crate::codec::{self, Format};
use crate::error::{Error, Location};

/// The file, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    sensitive_ports: Vec<String>,
    #[serde(default)]
    default_ports: Option<bool>,
    #[serde(default)]
    trusted: Vec<ipnet::IpNet>,
    #[serde(default)]
    checks: BTreeMap<String, Setting>,
    #[serde(default)]
    fail_on: Option<FailOn>,
    #[serde(default)]
    quota: Option<QuotaFile>,
    #[serde(default)]
    max_pieces: Option<usize>,
}

/// A quota as written (`rules` required, the counts apart optional).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaFile {
    rules: usize,
    #[serde(default)]
    per_direction: bool,
    #[serde(default)]
    per_family: bool,
}

/// What the file sets for one check: a severity, or `disabled` (also `"off"`, quoted: YAML
/// 1.1 read a bare `off` as false, and sgconv refuses it).
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Setting {
    #[serde(alias = "off")]
    Disabled,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Setting {
    fn severity(self) -> Option<Severity> {
        match self {
            Setting::Disabled => None,
            Setting::Info => Some(Severity::Info),
            Setting::Low => Some(Severity::Low),
            Setting::Medium => Some(Severity::Medium),
            Setting::High => Some(Severity::High),
            Setting::Critical => Some(Severity::Critical),
        }
    }
}

/// Read a configuration file's text (`format`, or detected from its first character) over
/// `base`: its ports are added to (or, with `default_ports: false`, replace) the built-in
/// ones, its trusted ranges added, the rest set.
///
/// ```
/// use sgconv::lint::{LintConfig, read_config};
/// let config = read_config("checks: {redundant: medium}\nfail_on: high\n", None, LintConfig::default()).unwrap();
/// assert_eq!(config.severities.get("redundant").copied().flatten(), Some(sgconv::lint::Severity::Medium));
///
/// let typo = read_config("{\"fail-on\": \"high\"}", None, LintConfig::default()).unwrap_err();
/// assert!(typo.to_string().contains("line 1, column"));
/// ```
pub fn read_config(
    text: &str,
    format: Option<Format>,
    base: LintConfig,
) -> Result<LintConfig, Error> {
    let format = format.unwrap_or_else(|| Format::detect(text));
    let file: File = codec::decode(text, format)
        .map_err(|e| Error::Config {
            location: e.location,
            message: e.message,
        })?
        .value;
    let mut config = base;
    let mut custom: Vec<PortCheck> = Vec::new();
    for (i, spec) in file.sensitive_ports.iter().enumerate() {
        let check = PortCheck::parse(spec).map_err(|message| Error::Config {
            location: locate(text, &format!("sensitive_ports[{i}]"), spec),
            message,
        })?;
        custom.push(check);
    }
    if file.default_ports == Some(false) {
        config.checks.retain(|c| !default_checks().contains(c));
    }
    for check in custom {
        if !config.checks.iter().any(|c| c.id == check.id) {
            config.checks.push(check);
        }
    }
    config.trusted.extend(file.trusted);
    for (id, setting) in file.checks {
        let known = CHECKS.contains(&id.as_str()) || config.checks.iter().any(|c| c.id == id);
        if !known {
            return Err(Error::Config {
                location: locate(text, &format!("checks.{id}"), &id),
                message: format!(
                    "unknown check {id:?} (expected one of the checks `sgconv lint` reports, \
                     or exposed-PROTOCOL-PORT of a sensitive port)"
                ),
            });
        }
        config.severities.insert(id, setting.severity());
    }
    if let Some(fail_on) = file.fail_on {
        config.fail_on = fail_on;
    }
    if let Some(q) = file.quota {
        config.quota = Some(Quota {
            rules: q.rules,
            per_direction: q.per_direction,
            per_family: q.per_family,
        });
    }
    if let Some(max) = file.max_pieces {
        config.max_pieces = max;
    }
    Ok(config)
}

/// Where `path` is in `text`, for an error found after decoding: the line and column of the
/// first place `needle` is written (the decoder kept no positions).
fn locate(text: &str, path: &str, needle: &str) -> Location {
    let at = text.find(needle).unwrap_or(0);
    let before = text.get(..at).unwrap_or_default();
    let line = before.matches('\n').count().saturating_add(1);
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count())
        .saturating_add(1);
    Location {
        path: path.to_owned(),
        line,
        column,
    }
}
