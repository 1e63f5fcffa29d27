//! Shared test helpers: insta settings (snapshots in the top-level `snapshots/`), fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use sgconv::{Options, ProviderId};

/// insta settings: snapshots in `<repo>/snapshots`, no module prefix in names.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

/// Every fixture of a provider, sorted by file name: the files of
/// `tests/fixtures/<name>/`, except Gcore's, which share `tests/fixtures/gcore/` and are told
/// apart by their `v1_`/`v2_` prefix.
pub fn fixtures(provider: ProviderId) -> Vec<PathBuf> {
    let (dir, prefix) = match provider {
        ProviderId::GcoreV1 => ("gcore", "v1_"),
        ProviderId::GcoreV2 => ("gcore", "v2_"),
        other => (other.name(), ""),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml" | "yml")
            )
        })
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

/// A file's stem, for snapshot names.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Convert and return a value to snapshot: the output and report, or the error.
pub fn outcome(
    text: &str,
    from: ProviderId,
    to: ProviderId,
    options: &Options,
) -> serde_json::Value {
    match sgconv::convert(text, from, to, options) {
        Ok(c) => serde_json::json!({ "output": c.output, "report": c.report }),
        Err(e) => {
            let report = match &e {
                sgconv::Error::Refused { report, .. } => {
                    serde_json::to_value(report.as_ref()).unwrap_or_default()
                }
                _ => serde_json::Value::Null,
            };
            serde_json::json!({ "error": e.to_string(), "exit_code": e.exit_code(), "report": report })
        }
    }
}

pub mod evaluator;
pub mod raw;
pub mod strategies;
