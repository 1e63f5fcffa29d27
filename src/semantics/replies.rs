//! Statelessness judged by packets: a stateful group also allows the replies of every flow
//! it allows. A stateless group converted to an always-stateful target gains exactly those
//! replies it did not already allow.

use super::allowed::allowed_set;
use super::boxes::{ALL_ICMP, ALL_PORTS, PacketBox};
use super::minus::set_minus;
use crate::model::{Direction, SecurityGroup};

/// The packets that making `group` stateful would add: every reply of an allowed flow that
/// the group does not already allow, over-approximated (a reply goes back to the peer on the
/// same protocol, to any port, with any ICMP type), so an empty result proves statefulness
/// adds nothing.
pub fn added_by_statefulness(group: &SecurityGroup) -> Vec<PacketBox> {
    let allowed = allowed_set(group);
    let replies: Vec<PacketBox> = allowed
        .iter()
        .map(|b| PacketBox {
            direction: match b.direction {
                Direction::Ingress => Direction::Egress,
                Direction::Egress => Direction::Ingress,
            },
            ports: ALL_PORTS,
            icmp_type: ALL_ICMP,
            icmp_code: ALL_ICMP,
            ..b.clone()
        })
        .collect();
    set_minus(&replies, &allowed)
}
