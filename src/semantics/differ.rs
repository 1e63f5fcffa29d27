//! The differences of two groups for [`crate::diff()`], at a cost that grows with the groups
//! rather than with the pieces their sets fall into.
//!
//! [`compare`](super::compare) builds both allowed sets and subtracts them. A group whose
//! deny rules name remote groups cuts each later allow rule into pieces "not in G1, not in
//! G2, …", so the set of a generated 10,000-rule group holds 440,000 pieces and that of a
//! 30,000-rule one several million, and subtracting two such sets cuts again. Here:
//!
//! - groups that decide alike rule box by rule box allow the same packets: no difference,
//!   without building either set (a document compared with itself);
//! - otherwise both sets are built and subtracted as [`compare`](super::compare) does (the
//!   same boxes, listed alike) while neither set, nor the pieces cut while building it,
//!   outgrow a budget proportional to the groups;
//! - past it, each allow box of one group is walked through the other's rules
//!   ([`compare_walking`]): the same packets, cut into other boxes.

use super::allowed::allowed_set_strict;
use super::compare::{Difference, compare_sets_into, compare_walking};
use super::walk::{box_count, same_boxes};
use crate::model::SecurityGroup;

/// Pieces per rule box (the larger group's) each set may hold before
/// the walk takes over: a generated 10,000-rule group's set has about 40 per box.
const PIECES_PER_BOX: usize = 64;

/// Pieces allowed however small the groups.
const PIECES_AT_LEAST: usize = 10_000;

/// The packets `a` allows and `b` does not (`narrowed`), then those `b` allows and `a` does
/// not (`widened`), for group `index`: the packets of [`compare`](super::compare), in its
/// boxes while the budget holds (see the module's text).
pub fn differences(index: usize, a: &SecurityGroup, b: &SecurityGroup) -> Vec<Difference> {
    if same_boxes(a, b) {
        return Vec::new();
    }
    let budget = box_count(a)
        .max(box_count(b))
        .saturating_mul(PIECES_PER_BOX)
        .saturating_add(PIECES_AT_LEAST);
    if let Some(out) = by_sets(index, a, b, budget) {
        return out;
    }
    let mut out = compare_walking(index, a, b);
    // Narrowed first, each kind sorted and without repeats, as the sets list them.
    out.sort_by(|x, y| (x.change, &x.packet_box).cmp(&(y.change, &y.packet_box)));
    out.dedup();
    out
}

/// [`compare`](super::compare)'s answer, or `None` once a set outgrows `budget` pieces
/// (counting those a deny rule's cut makes and a later one covers).
fn by_sets(
    index: usize,
    a: &SecurityGroup,
    b: &SecurityGroup,
    budget: usize,
) -> Option<Vec<Difference>> {
    let sa = allowed_set_strict(a, budget)?;
    let sb = allowed_set_strict(b, budget)?;
    let mut out = Vec::new();
    compare_sets_into(index, &sa, &sb, true, usize::MAX, &mut out);
    Some(out)
}
