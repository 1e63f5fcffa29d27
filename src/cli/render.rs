//! The human summary on stderr: a few lines about a report and the stage timings.

use std::fmt::Write;

use sgconv::report::{Kind, Refusal, Report, Verdict};
use sgconv::{Stats, report::Entry};

use super::style::{self, Paint};

/// The summary of a conversion: the verdict (or `refused` and why), counts per kind, and the
/// entries that change traffic or were not read, one per line, at most 20; coloured with
/// `paint` (the words are the same either way).
pub(crate) fn summary(report: &Report, refusal: Option<&Refusal>, paint: Paint) -> String {
    let mut out = String::new();
    let (word, rest, style) = match report.verdict {
        Verdict::Exact => ("exact", "", style::GOOD),
        Verdict::Narrowed => (
            "NARROWED",
            " (some traffic the source allowed is now denied)",
            style::WARN,
        ),
        Verdict::Widened => (
            "WIDENED",
            " (some traffic the source denied is now allowed)",
            style::BAD,
        ),
        Verdict::Unverified => (
            "UNVERIFIED",
            " (parts of the input were not read)",
            style::WARN,
        ),
        _ => ("unknown", "", style::WARN),
    };
    let verdict = format!("{}{rest}", paint.paint(word, style));
    match refusal {
        Some(r) => {
            let _ = write!(
                out,
                "sgconv: {} {} -> {}: {}; {verdict}",
                paint.paint("refused:", style::BAD),
                report.from,
                report.to,
                refusal_text(r)
            );
        }
        None => {
            let _ = write!(out, "sgconv: {} -> {}: {verdict}", report.from, report.to);
        }
    }
    if report.entries.is_empty() && report.differences.is_empty() {
        out.push_str("; nothing lost\n");
        return out;
    }
    let parts: Vec<String> = report
        .counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    if parts.is_empty() {
        out.push_str("; the packet sets differ\n");
    } else {
        let _ = writeln!(out, "; {}", parts.join(", "));
    }
    let loud = report
        .entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Narrowed | Kind::Widened | Kind::Unread));
    for (shown, e) in loud.enumerate() {
        if shown == 20 {
            out.push_str("  ... (see --report for all entries)\n");
            break;
        }
        let kind = match e.kind {
            Kind::Widened => paint.paint(&e.kind.to_string(), style::BAD),
            _ => paint.paint(&e.kind.to_string(), style::WARN),
        };
        let _ = writeln!(out, "  {kind} {} {}: {}", place(e), e.field, e.message);
    }
    for (shown, d) in report.differences.iter().enumerate() {
        if shown == 20 {
            let more = if report.differences_truncated {
                " or more"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  ... ({}{more} differing boxes; see --report)",
                report.differences.len()
            );
            break;
        }
        let _ = writeln!(out, "  group {}: {}", d.group, d.sentence());
    }
    out
}

fn place(e: &Entry) -> String {
    let many: Vec<String> = e
        .rules
        .iter()
        .filter_map(|r| r.origin.index.map(|i| i.to_string()))
        .collect();
    match e.rule.as_ref().and_then(|o| o.index) {
        Some(i) => format!("group {} rule {i}", e.group),
        None if !many.is_empty() => format!("group {} rules {}", e.group, many.join(", ")),
        None => format!("group {}", e.group),
    }
}

/// A refusal in the command line's words: the flag that would accept it.
pub(crate) fn refusal_text(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Widened => {
            "the result would allow traffic the source denied (pass --allow-widen to accept)".into()
        }
        Refusal::Narrowed => "the result would deny traffic the source allowed (--strict)".into(),
        Refusal::Unverified { count } => format!(
            "{count} part(s) of the input were not read, so the result cannot be verified (pass \
             --allow-unread to accept)"
        ),
        Refusal::RuleBudget {
            group,
            budget,
            pieces,
        } => format!(
            "group {group}: lowering its deny rules / default policy into allow-only rules needs more \
             than {budget} rules (at least {pieces} allowed boxes); raise --rule-budget or simplify the group"
        ),
        other => other.to_string(),
    }
}

/// Counts, expansion and milliseconds per stage.
pub(crate) fn stats(stats: &Stats) -> String {
    let mut out = format!(
        "stats: {} bytes in, {} group(s), {} rules in, {} rules out (x{:.3}), {} report entries\n",
        stats.bytes_in,
        stats.groups,
        stats.rules_in,
        stats.rules_out,
        stats.expansion(),
        stats.entries
    );
    let total: f64 = stats.stages.iter().map(|s| s.seconds).sum();
    let stages: Vec<String> = stats
        .stages
        .iter()
        .map(|s| format!("{} {:.1} ms", s.name, s.seconds * 1000.0))
        .collect();
    let _ = writeln!(
        out,
        "stats: {} (total {:.1} ms)",
        stages.join(", "),
        total * 1000.0
    );
    out
}
