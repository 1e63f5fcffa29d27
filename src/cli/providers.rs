//! `sgconv providers`: what each dialect can express, as a table or JSON.

use std::process::ExitCode;

use sgconv::{Ordering, Protocols, ProviderId};

use super::io::{fail, write_stdout};

/// Print the table (or JSON with `json`).
pub(crate) fn run(json: bool) -> ExitCode {
    let rows: Vec<serde_json::Value> = ProviderId::ALL.iter().map(|id| row(*id)).collect();
    let text = if json {
        let mut t = serde_json::to_string_pretty(&rows).unwrap_or_default();
        t.push('\n');
        t
    } else {
        table(&rows)
    };
    match write_stdout(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, 1),
    }
}

fn row(id: ProviderId) -> serde_json::Value {
    let c = id.capabilities();
    serde_json::json!({
        "name": id.name(),
        "about": id.about(),
        "deny": c.deny,
        "ordering": match c.ordering {
            Ordering::None => "none".to_string(),
            Ordering::Priority { min, max } => format!("priority {min}-{max}"),
            _ => "position".to_string(),
        },
        "default_allow": c.default_allow,
        "stateless": c.stateless,
        "protocols": match c.protocols {
            Protocols::Only(list) => format!("{} named", list.len()),
            _ => "all 0-255".to_string(),
        },
        "port_ranges_per_rule": if c.port_ranges_per_rule == usize::MAX { "any".to_string() } else { c.port_ranges_per_rule.to_string() },
        "icmp_type_code": c.icmp_type_code,
        "remote_group": c.remote_group,
        "address_group": c.address_group,
        "descriptions": c.description.is_some(),
        "max_rules": c.max_rules(),
        "export_shapes": id.export_shapes().iter().map(|(name, about)| serde_json::json!({"name": name, "about": about})).collect::<Vec<_>>(),
    })
}

fn table(rows: &[serde_json::Value]) -> String {
    let cols = [
        "name",
        "deny",
        "ordering",
        "default_allow",
        "stateless",
        "protocols",
        "port_ranges_per_rule",
        "icmp_type_code",
        "remote_group",
        "address_group",
        "descriptions",
        "max_rules",
    ];
    let cell = |row: &serde_json::Value, col: &str| match &row[col] {
        serde_json::Value::Bool(true) => "yes".to_string(),
        serde_json::Value::Bool(false) => "no".to_string(),
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let mut out = format!("| {} |\n", cols.join(" | "));
    out.push_str(&format!(
        "|{}|\n",
        cols.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    ));
    for row in rows {
        let cells: Vec<String> = cols.iter().map(|c| cell(row, c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}
