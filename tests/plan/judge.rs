//! A plan's end state against its source, judged by the independent evaluators: the raw one
//! (each provider's documents read by their documentation, sharing no code with sgconv)
//! where it reads the provider, else the model evaluator (`common::evaluator`) on sgconv's
//! reading of the document (Azure).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use sgconv::ProviderId;
use sgconv::model::{Direction, Family, SecurityGroup};

use crate::common::evaluator;
use crate::common::raw::{self, Dir, Given, Meaning, Packet, ip_bits};

/// The groups of one side.
pub enum Side {
    Raw(Vec<raw::Group>),
    Model(Vec<SecurityGroup>),
}

impl Side {
    /// Read `doc` (a document of `provider`) with the raw evaluator, or with sgconv where
    /// the raw evaluator has no reading of the provider.
    pub fn read(doc: &str, provider: &str) -> Side {
        if provider == "azure-nsg" {
            let id: ProviderId = provider.parse().unwrap();
            return Side::Model(crate::common::import(doc, id).groups);
        }
        match raw::evaluate(doc, provider, &Given::default()) {
            Meaning::Groups(g) => Side::Raw(g),
            other => {
                panic!("the raw evaluator cannot read the {provider} document: {other:?}\n{doc}")
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Side::Raw(g) => g.len(),
            Side::Model(g) => g.len(),
        }
    }

    /// (allowed under every reading, under some reading) of group `i`.
    fn eval(&self, i: usize, p: &Packet) -> (bool, bool) {
        match self {
            Side::Raw(g) => {
                let r = g[i].eval(p);
                (r.min, r.max)
            }
            Side::Model(g) => {
                let a = evaluator::allows(&g[i], &model_packet(p));
                (a, a)
            }
        }
    }

    fn raw(&self, i: usize) -> Option<&raw::Group> {
        match self {
            Side::Raw(g) => g.get(i),
            Side::Model(_) => None,
        }
    }
}

/// A raw packet as the model evaluator takes it.
fn model_packet(p: &Packet) -> evaluator::Packet {
    let (v6, address) = ip_bits(&p.addr);
    evaluator::Packet {
        direction: match p.dir {
            Dir::In => Direction::Ingress,
            Dir::Out => Direction::Egress,
        },
        family: if v6 { Family::V6 } else { Family::V4 },
        protocol: p.proto,
        port: p.port,
        icmp_type: p.icmp.0,
        icmp_code: p.icmp.1,
        address,
        members: p
            .groups
            .iter()
            .map(|g| match g.strip_prefix("ag:") {
                Some(a) => (true, a.to_owned()),
                None => (false, g.clone()),
            })
            .collect(),
    }
}

/// Packets for group `i` of both sides (edges of every rule of either), group ids in the
/// source's terms (`back`: target id → source id).
fn packets(source: &Side, target: &Side, i: usize, back: &BTreeMap<String, String>) -> Vec<Packet> {
    let groups: Vec<&raw::Group> = [source.raw(i), target.raw(i)]
        .into_iter()
        .flatten()
        .collect();
    let mut out = if groups.is_empty() {
        // Neither side has a raw reading: the model's rules' edges, as raw packets.
        model_edges(source, i)
    } else {
        raw::sample_packets(&groups, 3000, 0x5eed_0016 + i as u64)
    };
    for p in &mut out {
        p.groups = p
            .groups
            .iter()
            .map(|g| back.get(g).cloned().unwrap_or_else(|| g.clone()))
            .collect();
    }
    out
}

/// Packets at the edges of a model group's rules (ports and addresses), both directions.
fn model_edges(side: &Side, i: usize) -> Vec<Packet> {
    let Side::Model(groups) = side else {
        return Vec::new();
    };
    let c = evaluator::candidates(&[&groups[i]]);
    let mut out = Vec::new();
    for (slot, addrs) in c.addresses.iter().enumerate() {
        for &a in addrs {
            let addr = raw::ip_from_bits(slot == 1, a);
            for &port in &c.ports {
                for proto in [6u8, 17, if slot == 1 { 58 } else { 1 }, 50] {
                    for dir in [Dir::In, Dir::Out] {
                        out.push(Packet {
                            dir,
                            proto,
                            port,
                            icmp: (8, 0),
                            addr,
                            groups: Default::default(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Compare every group of the end state with its source group: `exact`, the same fate for
/// every packet; else the end state allows nothing the source denies. `ids`: source group
/// id → target group id.
pub fn compare(
    source: &Side,
    target: &Side,
    ids: &BTreeMap<String, String>,
    exact: bool,
) -> Result<usize, String> {
    if source.len() != target.len() {
        return Err(format!(
            "{} source groups, {} in the end state",
            source.len(),
            target.len()
        ));
    }
    let back: BTreeMap<String, String> = ids.iter().map(|(s, t)| (t.clone(), s.clone())).collect();
    let mut judged = 0;
    for i in 0..source.len() {
        for p in packets(source, target, i, &back) {
            let mut q = p.clone();
            q.groups = p
                .groups
                .iter()
                .map(|g| ids.get(g).cloned().unwrap_or_else(|| g.clone()))
                .collect();
            let (s_min, s_max) = source.eval(i, &p);
            let (t_min, t_max) = target.eval(i, &q);
            let bad = if exact {
                (s_min, s_max) != (t_min, t_max)
            } else {
                t_max && !s_min
            };
            if bad {
                return Err(format!(
                    "group {i}: {p:?}: source ({s_min}, {s_max}), end state ({t_min}, {t_max})"
                ));
            }
            judged += 1;
        }
    }
    Ok(judged)
}

/// Whether a packet's address is of the family (for callers filtering packets).
pub fn is_v6(addr: &IpAddr) -> bool {
    matches!(addr, IpAddr::V6(_))
}
