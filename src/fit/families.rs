//! Targets whose remote groups and address sets match members of both families (AWS: a group
//! pair or a prefix list names no family; Azure: a service tag): see [`pair_remotes`].

use crate::caps::RemoteFamilies;
use crate::model::{Action, Direction, Family, Icmp, PortSet, Protocol, Remote, Rule};
use crate::report::{Field, Kind, Report};

/// Leave out each allow rule naming a remote group or address set whose twin of the other
/// family is not in `rules`: the target would write one rule matching both families, which
/// allows the members' addresses of the family the source did not allow. Leaving the rule out
/// narrows instead, and says so. ICMP and ICMPv6 rules are one family by protocol and need no
/// twin, except on a target whose one ICMP protocol matches both (Azure): there the twin of
/// an ICMP rule is the same rule for ICMPv6. A lone deny rule (a target with deny rules, such as Azure) is kept: written for both
/// families it denies more, which narrows, and says so.
pub(super) fn pair_remotes(
    rules: &mut Vec<Rule>,
    families: RemoteFamilies,
    gi: usize,
    report: &mut Report,
) {
    let icmp_twins = match families {
        RemoteFamilies::PerRule => return,
        RemoteFamilies::BothExceptIcmp => false,
        RemoteFamilies::Both => true,
    };
    let needs_twin = |r: &Rule| {
        matches!(r.remote(), Remote::Group(_) | Remote::AddressGroup(_))
            && (icmp_twins || !r.protocol().is_icmp())
    };
    if !rules.iter().any(needs_twin) {
        return;
    }
    // The match of a rule without its family, to find its twin (ICMPv6 is ICMP's twin).
    // The priority too: a twin at another level would be written at the wrong place.
    fn key(
        r: &Rule,
    ) -> (
        Direction,
        Protocol,
        &PortSet,
        Icmp,
        &Remote,
        Action,
        Option<u16>,
    ) {
        let s = r.spec();
        let protocol = match s.protocol {
            Protocol::ICMPV6 => Protocol::ICMP,
            p => p,
        };
        (
            s.direction,
            protocol,
            &s.ports,
            s.icmp,
            &s.remote,
            s.action,
            s.priority,
        )
    }
    let mut families: foldhash::HashMap<_, (bool, bool)> = foldhash::HashMap::default();
    for r in rules.iter().filter(|r| needs_twin(r)) {
        let seen = families.entry(key(r)).or_default();
        match r.family() {
            Family::V4 => seen.0 = true,
            Family::V6 => seen.1 = true,
        }
    }
    let lone: Vec<bool> = rules
        .iter()
        .map(|r| needs_twin(r) && families.get(&key(r)) != Some(&(true, true)))
        .collect();
    drop(families);
    for (r, _) in rules.iter().zip(&lone).filter(|(_, l)| **l) {
        let (this, other) = match r.family() {
            Family::V4 => ("IPv4", "IPv6"),
            Family::V6 => ("IPv6", "IPv4"),
        };
        let what = match r.remote() {
            Remote::Group(_) => "a remote group",
            _ => "an address group",
        };
        let value = match r.remote() {
            Remote::Group(id) | Remote::AddressGroup(id) => Some(id.clone()),
            _ => None,
        };
        let message = if r.action() == Action::Deny {
            format!(
                "the target's rules naming {what} match its members of both families, and the \
                 source denies only {this} here ({other} has no rule with the same match); the \
                 deny rule also denies {other} (narrowed)"
            )
        } else {
            format!(
                "the target's rules naming {what} match its members of both families, and the \
                 source allows only {this} here ({other} has no rule with the same match); the \
                 allow rule is left out rather than widened to {other}"
            )
        };
        report
            .rule(gi, r.origin())
            .push(Field::Remote, Kind::Narrowed, value, message);
    }
    let mut it = lone.iter().zip(
        rules
            .iter()
            .map(|r| r.action() == Action::Allow)
            .collect::<Vec<_>>(),
    );
    rules.retain(|_| !it.next().is_some_and(|(lone, allow)| *lone && allow));
}
