//! Inputs generated at bench time by the shared generator (`gen_rules.py PROVIDER N SEED
//! DENY_FRACTION`, run with `python3`): its path is `SGCONV_GEN_RULES`, by default
//! `../shared/tools/gen_rules.py` beside this repository; and by `gen_sparse.py` here (a
//! Huawei list whose overlapping rule pairs grow linearly, see its docstring). Nothing
//! large is committed.

use std::path::PathBuf;
use std::process::Command;

use sgconv::ProviderId;

/// The generator script.
pub fn generator() -> PathBuf {
    std::env::var_os("SGCONV_GEN_RULES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/gen_rules.py"),
        PathBuf::from,
    )
}

/// A count from the environment variable `name`, else `default`.
pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `gen_rules.py PROVIDER N 42 DENY_FRACTION`, or `None` (with a note) when it cannot run.
pub fn generate(provider: ProviderId, n: usize, deny_fraction: &str) -> Option<String> {
    let script = generator();
    let out = Command::new("python3")
        .arg(&script)
        .arg(provider.name())
        .arg(n.to_string())
        .arg("42")
        .arg(deny_fraction)
        .output();
    match out {
        // Its Gcore v2 flavour is a v1-style group response with v2 protocol names; v2 has
        // no such read shape, so the bench reads the rule list (rule responses) inside it.
        Ok(out) if out.status.success() && provider == ProviderId::GcoreV2 => {
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            serde_json::to_string_pretty(doc.get("security_group_rules")?).ok()
        }
        Ok(out) if out.status.success() => String::from_utf8(out.stdout).ok(),
        other => {
            eprintln!(
                "skipping: cannot run python3 {} ({other:?}); set SGCONV_GEN_RULES",
                script.display()
            );
            None
        }
    }
}
