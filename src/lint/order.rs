//! `position-order`: a group whose meaning depends on positions Terraform does not send.
//!
//! A Scaleway group is evaluated by `position`, but Terraform's
//! `scaleway_instance_security_group` sends its `inbound_rule` and `outbound_rule` blocks in
//! list order and no positions
//! (<https://github.com/scaleway/terraform-provider-scaleway/blob/master/docs/resources/instance_security_group.md>,
//! <https://github.com/scaleway/terraform-provider-scaleway/issues/3422>), and "if several
//! rules are passed with the same position, the resulting order is undefined" (the Go SDK's
//! set-rules request, <https://github.com/scaleway/scaleway-sdk-go/blob/master/api/instance/v1/instance_sdk.go>).
//! The document is read three ways ([`PositionOrder`]): by position (as sgconv reads it),
//! by position with ties broken the other way, and in list order; a group is a finding
//! when list order lets through or stops packets that a reading by position does not.

use super::{Finding, FindingKind, Severity, rule_name};
use crate::caps::Ordering;
use crate::convert::{Options, import};
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::{Action, Document, Evaluation, SecurityGroup};
use crate::providers::PositionOrder;
use crate::semantics::{self, PacketBox, Span, Verdict};

/// The `position-order` findings of `doc`, the document `text` read by position.
pub(super) fn check(
    text: &str,
    from: ProviderId,
    options: &Options,
    doc: &Document,
) -> Result<Vec<Finding>, Error> {
    let ordered = doc
        .groups
        .iter()
        .any(|g| g.evaluation == Evaluation::FirstMatch);
    if from.capabilities().ordering != Ordering::Position || !ordered {
        return Ok(Vec::new());
    }
    let read = |order: PositionOrder| -> Result<Document, Error> {
        let import_options = options.import.clone().with_position_order(order);
        let options = options.clone().with_import(import_options);
        Ok(import(text, from, &options)?.document)
    };
    let list = read(PositionOrder::List)?;
    let other_ties = read(PositionOrder::PositionsAcceptFirst)?;
    let mut out = Vec::new();
    for (gi, by_position) in doc.groups.iter().enumerate() {
        let (Some(in_list), Some(tied)) = (list.groups.get(gi), other_ties.groups.get(gi)) else {
            continue;
        };
        if by_position.evaluation != Evaluation::FirstMatch {
            continue;
        }
        let ties = tied.rules != by_position.rules;
        // Each reading by position against the list's order; the first difference found.
        let readings = [Some(by_position), ties.then_some(tied)];
        let difference = readings.into_iter().flatten().find_map(|positioned| {
            if positioned.rules == in_list.rules {
                return None;
            }
            semantics::compare(gi, positioned, in_list)
                .into_iter()
                .find_map(|d| Some((positioned, d.change, d.packet_box?)))
        });
        if let Some((positioned, change, packets)) = difference {
            let reading = match (ties, std::ptr::eq(positioned, tied)) {
                (false, _) => "by position",
                (true, false) => "by position (drop rules first among equal positions)",
                (true, true) => "by position (accept rules first among equal positions)",
            };
            out.push(finding(gi, positioned, in_list, change, packets, reading));
        }
    }
    Ok(out)
}

/// The finding: `change` is what list order does to `packets` next to the reading by
/// position `reading` (`widened`: list order lets them in).
fn finding(
    gi: usize,
    positioned: &SecurityGroup,
    in_list: &SecurityGroup,
    change: Verdict,
    packets: PacketBox,
    reading: &str,
) -> Finding {
    let point = corner(&packets);
    let decider = |group: &SecurityGroup| -> (String, Option<crate::model::Origin>) {
        match deciding_rule(group, &point) {
            Some(i) => {
                let rule = group.rules.get(i);
                let origin = rule.map(|r| r.origin().clone());
                let action = rule.map_or("", |r| r.action().name());
                let name = origin.as_ref().map(rule_name).unwrap_or_default();
                (format!("{name} ({action})"), origin)
            }
            None => {
                let action = group.default_action(packets.direction).name();
                (format!("the default policy ({action})"), None)
            }
        }
    };
    let (by_position, first) = decider(positioned);
    let (by_list, second) = decider(in_list);
    let (widens, verb, other) = match change {
        Verdict::Widened => (true, "let in", "drop"),
        _ => (false, "drop", "let in"),
    };
    let mut f = Finding::new(
        "position-order",
        FindingKind::Order,
        if widens {
            Severity::High
        } else {
            Severity::Medium
        },
        gi,
        format!(
            "the group's meaning depends on its rules' positions: {reading}, {by_position} \
             decides these packets; in list order, {by_list} does. Terraform's \
             scaleway_instance_security_group sends the rules in list order without positions: \
             applied with it, the group would {verb} packets the positions {other}"
        ),
    );
    f.rules.extend(first);
    f.related.extend(second);
    f.witness(packets)
}

/// One packet of `b`: every interval at its start.
fn corner(b: &PacketBox) -> PacketBox {
    PacketBox {
        protocols: Span::one(b.protocols.lo),
        ports: Span::one(b.ports.lo),
        icmp_type: Span::one(b.icmp_type.lo),
        icmp_code: Span::one(b.icmp_code.lo),
        addresses: Span::one(b.addresses.lo),
        ..b.clone()
    }
}

/// The index of the rule that decides packet `point` in `group` (first match in evaluation
/// order), `None` for the default policy.
fn deciding_rule(group: &SecurityGroup, point: &PacketBox) -> Option<usize> {
    semantics::evaluation_order(group)
        .into_iter()
        .find(|(_, rule)| {
            (group.evaluation != Evaluation::AllowOnly || rule.action() == Action::Allow)
                && semantics::rule_boxes(rule)
                    .iter()
                    .any(|b| b.overlaps(point))
        })
        .map(|(i, _)| i)
}
