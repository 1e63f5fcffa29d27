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
        Ok(c) => match &c.outcome {
            Ok(output) => serde_json::json!({ "output": output, "report": c.report }),
            Err(refusal) => {
                serde_json::json!({ "refused": refusal, "message": refusal.to_string(), "report": c.report })
            }
        },
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    }
}

/// Read `text` (a document of `from`) into the model, or panic.
pub fn import(text: &str, from: ProviderId) -> sgconv::Document {
    sgconv::import(text, from, &Options::default().with_allow_unread(true))
        .unwrap_or_else(|e| panic!("{from}: {e}"))
        .document
}

/// Encode a value as text in `format` (test inputs).
pub fn encode<T: serde::Serialize>(value: &T, format: sgconv::Format) -> String {
    match format {
        sgconv::Format::Yaml => serde_saphyr::to_string(value).expect("encodes"),
        _ => serde_json::to_string_pretty(value).expect("encodes") + "\n",
    }
}

pub mod evaluator;
pub mod raw;
pub mod strategies;

/// Why a conversion gave no output, as the command line sees it: bad input (1), refused (3)
/// or a bug (70), with the report of a refusal.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub report: Option<Box<sgconv::Report>>,
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// [`sgconv::convert`], a refusal folded into the error side.
pub fn convert(
    text: &str,
    from: ProviderId,
    to: ProviderId,
    options: &Options,
) -> Result<sgconv::Converted, Failure> {
    match sgconv::convert(text, from, to, options) {
        Ok(c) => match &c.outcome {
            Ok(_) => Ok(c),
            Err(refusal) => Err(Failure {
                code: 3,
                message: format!("refused: {refusal}"),
                report: Some(Box::new(c.report.clone())),
            }),
        },
        Err(e) => Err(Failure {
            code: if matches!(e, sgconv::Error::Internal(_)) {
                70
            } else {
                1
            },
            message: e.to_string(),
            report: None,
        }),
    }
}

/// Helper so tests can write stdin and collect the output in one call.
pub trait PassStdin {
    fn pass_stdin_bytes(&mut self, input: &[u8]) -> std::process::Output;
}

impl PassStdin for std::process::Command {
    fn pass_stdin_bytes(&mut self, input: &[u8]) -> std::process::Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input);
        }
        child.wait_with_output().expect("wait")
    }
}
