//! Documents that mean more than one thing. Where a provider documents two readings of what a
//! document leaves out (Huawei's default priority), or leaves an order undefined (Scaleway's
//! equal positions), an importer builds the group under each reading and [`settle`] picks one
//! whose packets every reading allows, so the conversion cannot widen whichever reading the
//! provider applies. The report names the assumption, and says `narrowed` when a reading
//! allows more than the one chosen.

use crate::model::SecurityGroup;
use crate::report::{Field, Kind, Report};
use crate::semantics::{self, Verdict};

/// Input rule indexes for a message: all of a few, the first ten of many.
pub(crate) fn rule_list(indexes: &[String]) -> String {
    match indexes.len() {
        0..=10 => indexes.join(", "),
        n => format!(
            "{} and {} more",
            indexes.get(..10).unwrap_or_default().join(", "),
            n.saturating_sub(10)
        ),
    }
}

/// One reading of a group: what it assumes, and the group read that way.
pub(crate) struct Reading {
    /// The assumption, for the report (`missing priorities read as 100`).
    pub(crate) name: String,
    /// The group under it.
    pub(crate) group: SecurityGroup,
}

/// Choose a group every reading allows and report the choice at group `gi`. The candidates
/// are `readings` in order, then `safest` if given; the first that every reading allows is
/// kept, else the last candidate, which must be one by construction (the most restrictive
/// order, or a mix of the readings' most restrictive parts). A reading that allows more than
/// the kept group is reported as `narrowed`, with an example; a note says when they all allow
/// the same. `assumption` says what is ambiguous and why. Each pair is compared once.
pub(crate) fn settle(
    gi: usize,
    field: Field,
    assumption: &str,
    mut readings: Vec<Reading>,
    safest: Option<Reading>,
    report: &mut Report,
) -> SecurityGroup {
    let documented = readings.len();
    readings.extend(safest);
    if readings.is_empty() {
        return SecurityGroup::empty();
    }
    // What each documented reading allows beyond candidate `c`, or `None` if `c` allows
    // something one of them does not.
    let losses = |c: usize| -> Option<Vec<(usize, Vec<String>)>> {
        let candidate = &readings.get(c)?.group;
        let mut out = Vec::new();
        for (i, r) in readings.iter().enumerate().take(documented) {
            if i == c {
                continue;
            }
            let mut lost = Vec::new();
            for d in semantics::compare(gi, &r.group, candidate) {
                match d.change {
                    Verdict::Widened => return None,
                    _ => lost.push(d.packets),
                }
            }
            out.push((i, lost));
        }
        Some(out)
    };
    let last = readings.len().saturating_sub(1);
    let picked = (0..=last).find_map(|c| losses(c).map(|l| (c, l)));
    let name = |i: usize| readings.get(i).map_or("", |r| r.name.as_str());
    let Some((chosen, lost)) = picked else {
        // Not by construction: say so, as a widening, rather than pick silently.
        report.group(gi).push(
            field,
            Kind::Widened,
            None,
            format!(
                "{assumption}; no reading is allowed by every other; read as {}",
                name(last)
            ),
        );
        return readings.swap_remove(last).group;
    };
    let mut narrowed = false;
    for (i, lost) in &lost {
        let Some(first) = lost.first() else { continue };
        narrowed = true;
        let more = match lost.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n.saturating_sub(1)),
        };
        report.group(gi).push(
            field.clone(),
            Kind::Narrowed,
            None,
            format!(
                "{assumption}; read as {}, which every reading allows; read as {}, the source also \
                 allows {first}{more}",
                name(chosen),
                name(*i)
            ),
        );
    }
    if !narrowed {
        report.group(gi).push(
            field,
            Kind::Note,
            None,
            format!(
                "{assumption}; every reading allows the same packets here (read as {})",
                name(chosen)
            ),
        );
    }
    readings.swap_remove(chosen).group
}
