//! Documents that mean more than one thing. Where a provider documents two readings of what a
//! document leaves out (Huawei's default priority), or leaves an order undefined (Scaleway's
//! equal positions), an importer builds the group under each reading and [`settle`] picks one
//! whose packets every reading allows, so the conversion cannot widen whichever reading the
//! provider applies. The report names the assumption, and says `narrowed` when a reading
//! allows more than the one chosen.

use crate::model::SecurityGroup;
use crate::report::{Field, Kind, Report};
use crate::semantics::{self, Verdict};

/// One reading of a group: what it assumes, and the group read that way.
pub(crate) struct Reading {
    /// The assumption, for the report (`missing priorities read as 100`).
    pub(crate) name: String,
    /// The group under it.
    pub(crate) group: SecurityGroup,
}

/// Choose the first of `preferred` whose packets every one of `readings` allows, else
/// `safest` (which every reading allows by construction: the most restrictive order); report
/// the choice at group `gi`, as `narrowed` for each reading that allows more. `assumption`
/// says what is ambiguous and why.
pub(crate) fn settle(
    gi: usize,
    field: Field,
    assumption: &str,
    preferred: Vec<Reading>,
    safest: Reading,
    readings: &[Reading],
    report: &mut Report,
) -> SecurityGroup {
    let contained = |c: &Reading| {
        readings.iter().all(|r| {
            semantics::compare(gi, &r.group, &c.group)
                .iter()
                .all(|d| d.change != Verdict::Widened)
        })
    };
    let chosen = preferred
        .into_iter()
        .find(|c| contained(c))
        .unwrap_or(safest);
    let mut narrowed = false;
    for reading in readings {
        let lost: Vec<String> = semantics::compare(gi, &reading.group, &chosen.group)
            .into_iter()
            .filter(|d| d.change == Verdict::Narrowed)
            .map(|d| d.packets)
            .collect();
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
                chosen.name, reading.name
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
                chosen.name
            ),
        );
    }
    chosen.group
}
