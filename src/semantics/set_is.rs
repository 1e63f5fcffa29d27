//! Whether an allow-only group's allowed set is a given set, checked as its rules are read
//! (see [`allowed_set_is`]).

use super::boxes::{self, PacketBox};
use super::rule::for_each_rule_box;
use crate::model::{Action, Direction, Evaluation, SecurityGroup};

/// Boxes [`allowed_set_is`] sorts at a time (5 MB): in a million, the next box looked up
/// lies a few boxes on.
const CHECKED_AT_ONCE: usize = 1 << 16;

/// Whether allow-only group `g`'s allowed set, as [`allowed_set`] lists it, is `set` (an
/// allowed set: sorted, without repeats): every allow box of `g` is in `set`, and every box
/// of `set` is one of them. Answered a few thousand boxes at a time as the rules are read,
/// without listing the group's boxes (a list as long as the group): each batch sorted and
/// looked up in `set` from the front, so that the lookups walk `set` in order.
pub(super) fn allowed_set_is(g: &SecurityGroup, set: &[PacketBox]) -> bool {
    // An allow-only group denies by default (`SecurityGroup::check`); one built by hand
    // that does not is not this check's to answer.
    let allows_by_default = [Direction::Ingress, Direction::Egress]
        .into_iter()
        .any(|d| g.default_action(d) == Action::Allow);
    if g.evaluation != Evaluation::AllowOnly || allows_by_default {
        return false;
    }
    let mut met = vec![false; set.len()];
    let mut batch = Vec::with_capacity(CHECKED_AT_ONCE.min(g.rules.len()));
    for rule in g.rules.iter().filter(|r| r.action() == Action::Allow) {
        for_each_rule_box(rule, |b| batch.push(b));
        if batch.len() >= CHECKED_AT_ONCE && !all_in(&mut batch, set, &mut met) {
            return false;
        }
    }
    all_in(&mut batch, set, &mut met) && met.into_iter().all(|m| m)
}

/// Whether every box of `batch` is in `set` (sorted), each one found marked in `met`; the
/// batch is left empty.
fn all_in(batch: &mut Vec<PacketBox>, set: &[PacketBox], met: &mut [bool]) -> bool {
    boxes::sort_boxes(batch);
    let mut from = 0usize;
    for b in batch.drain(..) {
        // Galloping from the last one found: the next is near it.
        let mut step = 1usize;
        let mut to = from;
        while set.get(to).is_some_and(|x| *x < b) {
            from = to;
            to = to.saturating_add(step);
            step = step.saturating_mul(2);
        }
        let end = to.saturating_add(1).min(set.len());
        match set.get(from..end).map(|range| range.binary_search(&b)) {
            Some(Ok(i)) => {
                from = from.saturating_add(i);
                if let Some(m) = met.get_mut(from) {
                    *m = true;
                }
            }
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, PortRange, PortSet, Protocol, Remote, Rule, RuleSpec};
    use crate::semantics::allowed::allowed_set;

    /// The group's own set is its set; one that allows by default (built by hand, past
    /// `SecurityGroup::check`) is not answered here, since its rule boxes are not all it
    /// allows.
    #[test]
    fn a_group_that_allows_by_default_is_not_answered() {
        let mut spec = RuleSpec::new(Direction::Ingress, Family::V4);
        spec.protocol = Protocol::TCP;
        spec.ports = PortSet::from_ranges([PortRange::single(22).unwrap()]);
        spec.remote = Remote::Cidr("10.0.0.0/8".parse().unwrap());
        let mut group = SecurityGroup::allow_only(vec![Rule::new(spec).unwrap()]).unwrap();
        let set = allowed_set(&group);
        assert!(allowed_set_is(&group, &set));
        group.default_outbound = Action::Allow;
        assert!(!allowed_set_is(&group, &set));
    }
}
