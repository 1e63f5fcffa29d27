//! Readable boxes: `ingress tcp 22 from 10.0.0.0/8`, and address intervals as CIDRs.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

use super::boxes::{ALL_ICMP, ALL_PORTS, ALL_PROTOCOLS, PacketBox, Span, all_addresses};
use crate::model::{Direction, Family, Protocol};

/// The fewest CIDRs whose union is exactly the address interval `span` of `family`.
pub fn cidrs(family: Family, span: Span<u128>) -> Vec<IpNet> {
    match family {
        Family::V4 => {
            let lo = u32::try_from(span.lo).unwrap_or(u32::MAX);
            let hi = u32::try_from(span.hi).unwrap_or(u32::MAX);
            Ipv4Subnets::new(Ipv4Addr::from(lo), Ipv4Addr::from(hi), 0)
                .map(IpNet::V4)
                .collect()
        }
        Family::V6 => Ipv6Subnets::new(Ipv6Addr::from(span.lo), Ipv6Addr::from(span.hi), 0)
            .map(IpNet::V6)
            .collect(),
    }
}

fn address(family: Family, a: u128) -> String {
    match family {
        Family::V4 => Ipv4Addr::from(u32::try_from(a).unwrap_or(u32::MAX)).to_string(),
        Family::V6 => Ipv6Addr::from(a).to_string(),
    }
}

fn protocol_name(p: u8) -> String {
    let proto = Protocol::Number(p);
    proto
        .name()
        .map_or_else(|| format!("protocol {p}"), str::to_owned)
}

/// A box as a phrase: direction, protocol(s), ports or ICMP type/code, remote addresses and
/// group constraints. Full dimensions are left out (`any protocol`, all ports).
pub fn describe(b: &PacketBox) -> String {
    b.to_string()
}

impl fmt::Display for PacketBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.direction.name())?;
        let p = self.protocols;
        if p == ALL_PROTOCOLS {
            f.write_str(" any protocol")?;
        } else if p.lo == p.hi {
            write!(f, " {}", protocol_name(p.lo))?;
        } else {
            write!(f, " protocols {}-{}", p.lo, p.hi)?;
        }
        if self.ports != ALL_PORTS {
            let r = self.ports;
            if r.lo == r.hi {
                write!(f, " {}", r.lo)?;
            } else {
                write!(f, " {}-{}", r.lo, r.hi)?;
            }
        }
        let span = |s: Span<u8>| {
            if s.lo == s.hi {
                s.lo.to_string()
            } else {
                format!("{}-{}", s.lo, s.hi)
            }
        };
        if self.icmp_type != ALL_ICMP {
            write!(f, " type {}", span(self.icmp_type))?;
        }
        if self.icmp_code != ALL_ICMP {
            write!(f, " code {}", span(self.icmp_code))?;
        }
        let from = match self.direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        };
        let nets = cidrs(self.family, self.addresses);
        if self.addresses == all_addresses(self.family) {
            let any = match self.family {
                Family::V4 => "0.0.0.0/0",
                Family::V6 => "::/0",
            };
            write!(f, " {from} {any}")?;
        } else if nets.len() <= 4 {
            let list: Vec<String> = nets.iter().map(ToString::to_string).collect();
            write!(f, " {from} {}", list.join(", "))?;
        } else {
            write!(
                f,
                " {from} {}-{}",
                address(self.family, self.addresses.lo),
                address(self.family, self.addresses.hi)
            )?;
        }
        for (label, member) in &self.labels {
            if *member {
                write!(f, " in {label}")?;
            } else {
                write!(f, " not in {label}")?;
            }
        }
        Ok(())
    }
}
