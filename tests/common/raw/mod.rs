//! An independent evaluator of RAW provider documents (issue 14).
//!
//! It reads each provider's document text with `serde_json::Value` and that provider's
//! documented semantics (the sources are listed in `docs.rs`) and judges concrete
//! packets. It shares no code with sgconv: no importer, model, semantics or parser of the crate
//! is used here (there is deliberately no `sgconv::` path in this module), so whatever sgconv
//! misreads, skips or guesses is visible to it.
//!
//! - [`evaluate`] turns a document into [`Meaning`]: the groups it holds, or `Unknown` (a key the
//!   references do not document, text that parses two ways, two shapes at once) or `Incomplete`
//!   (a page with more pages after it, a group object without its rules).
//! - [`Group::eval`] judges one [`Packet`] under every documented reading of the group and
//!   returns [`Readings`]: allowed under every reading (`min`) and under some reading (`max`).
//! - [`sample_packets`] draws boundary-biased packets for a set of groups.
//! - [`run`] runs the CLI binary (never the library API) and returns a [`RunOutcome`].

#![allow(dead_code)]

mod docs;

use std::collections::BTreeSet;
use std::net::IpAddr;

#[allow(unused_imports)]
pub use docs::{Given, evaluate};

/// Traffic direction, seen from the instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dir {
    /// Into the instance (remote = source).
    In,
    /// Out of the instance (remote = destination).
    Out,
}

impl Dir {
    /// The other direction.
    pub fn flip(self) -> Dir {
        match self {
            Dir::In => Dir::Out,
            Dir::Out => Dir::In,
        }
    }
}

/// A concrete packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub dir: Dir,
    /// IP protocol number.
    pub proto: u8,
    /// Destination port, for port protocols (tcp, udp, sctp, dccp, udplite).
    pub port: u16,
    /// ICMP type and code, for icmp / ipv6-icmp.
    pub icmp: (u8, u8),
    /// The remote address (its family is the packet's family).
    pub addr: IpAddr,
    /// Remote-group (and address-group, prefixed `ag:`) ids the address is a member of.
    pub groups: BTreeSet<String>,
}

impl Packet {
    /// Whether the packet is IPv6.
    pub fn v6(&self) -> bool {
        self.addr.is_ipv6()
    }
}

/// Whether a protocol number carries ports (Neutron's `SG_PORT_PROTO_NAMES`).
pub fn is_port_proto(p: u8) -> bool {
    matches!(p, 6 | 17 | 33 | 132 | 136)
}

/// Whether a protocol number is ICMP of either family.
pub fn is_icmp_proto(p: u8) -> bool {
    matches!(p, 1 | 58)
}

/// A packet's fate across the readings of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readings {
    /// Allowed under every reading.
    pub min: bool,
    /// Allowed under some reading.
    pub max: bool,
}

impl Readings {
    fn both(b: bool) -> Readings {
        Readings { min: b, max: b }
    }
    fn and(self, o: Readings) -> Readings {
        Readings {
            min: self.min && o.min,
            max: self.max || o.max,
        }
    }
    /// Whether every reading agrees.
    pub fn certain(self) -> bool {
        self.min == self.max
    }
}

/// A CIDR as (network bits, prefix length, v6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub v6: bool,
    pub net: u128,
    pub len: u8,
}

impl Cidr {
    fn width(&self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }
    /// The first and last address.
    pub fn bounds(&self) -> (u128, u128) {
        let w = self.width();
        let host: u128 = if self.len == 0 {
            if w == 128 {
                u128::MAX
            } else {
                (1u128 << w) - 1
            }
        } else if self.len >= w {
            0
        } else {
            (1u128 << (w - self.len)) - 1
        };
        let lo = self.net & !host;
        (lo, lo | host)
    }
    /// Whether `addr` is inside.
    pub fn contains(&self, addr: &IpAddr) -> bool {
        let (v6, bits) = ip_bits(addr);
        if v6 != self.v6 {
            return false;
        }
        let (lo, hi) = self.bounds();
        lo <= bits && bits <= hi
    }
}

/// An address as (v6, bits).
pub fn ip_bits(a: &IpAddr) -> (bool, u128) {
    match a {
        IpAddr::V4(v) => (false, u32::from(*v) as u128),
        IpAddr::V6(v) => (true, u128::from(*v)),
    }
}

/// An address from (v6, bits).
pub fn ip_from_bits(v6: bool, bits: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(bits.into())
    } else {
        IpAddr::V4((bits as u32).into())
    }
}

/// What a rule's remote side matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remote {
    /// Any address of the rule's family.
    Any,
    Cidr(Cidr),
    /// Members of a group (or `ag:<id>` for a Huawei address group).
    Group(String),
}

/// What a rule's protocol matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proto {
    Any,
    /// One of these numbers (one, except where a name has several documented meanings —
    /// then the rule is `ambiguous`).
    Num(u8),
}

/// A rule, normalised from a provider's raw fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub dir: Dir,
    pub v6: bool,
    pub proto: Proto,
    /// Inclusive destination-port ranges; `None` = all ports 0..=65535 (port protocols only).
    pub ports: Option<Vec<(u16, u16)>>,
    /// ICMP type and optional code; `None` = all (icmp protocols only).
    pub icmp: Option<(u8, Option<u8>)>,
    pub remote: Remote,
    pub allow: bool,
}

impl Rule {
    /// Whether the rule matches the packet.
    pub fn matches(&self, p: &Packet) -> bool {
        if self.dir != p.dir || self.v6 != p.v6() {
            return false;
        }
        match self.proto {
            Proto::Any => {}
            Proto::Num(n) => {
                if n != p.proto {
                    return false;
                }
                if is_port_proto(n)
                    && let Some(ranges) = &self.ports
                    && !ranges.iter().any(|&(lo, hi)| lo <= p.port && p.port <= hi)
                {
                    return false;
                }
                if is_icmp_proto(n)
                    && let Some((t, c)) = self.icmp
                    && (t != p.icmp.0 || c.is_some_and(|c| c != p.icmp.1))
                {
                    return false;
                }
            }
        }
        match &self.remote {
            Remote::Any => true,
            Remote::Cidr(c) => c.contains(&p.addr),
            Remote::Group(g) => p.groups.contains(g),
        }
    }
}

/// How a group's rules combine, with its documented ambiguities.
#[derive(Clone, Debug)]
pub enum Evaluation {
    /// Gcore: union of allows, default deny.
    AllowOnly(Vec<Rule>),
    /// Huawei: ascending priority, deny before allow at equal priority, first match, default
    /// deny. `None` priority = not given: read as 1 and as 100 unless `default_priority` says.
    Priority {
        rules: Vec<(Rule, Option<u16>)>,
        default_priority: Option<u16>,
    },
    /// Scaleway: first match by position. `pos` = `None` for a rule whose place is unknown
    /// (position 0 among positioned rules: anywhere). Equal positions: any order.
    /// Default policies: `Some(accept?)` or `None` (unknown: both readings).
    FirstMatch {
        rules: Vec<(Rule, Option<i64>)>,
        inbound_accept: Option<bool>,
        outbound_accept: Option<bool>,
    },
    /// Azure: first match by ascending priority (unique per direction, so never a tie between
    /// rules that can match one packet), default deny. `partial` = the rule matches only some
    /// of the packets its fields name here (it also restricts source ports or the local
    /// address, which a [`Packet`] does not carry): matching under one reading, not the other.
    Ordered(Vec<Ordered>),
}

/// One rule of an [`Evaluation::Ordered`] group.
#[derive(Clone, Debug)]
pub struct Ordered {
    pub rule: Rule,
    pub priority: u32,
    pub partial: bool,
}

/// One group of a document.
#[derive(Clone, Debug)]
pub struct Group {
    pub id: Option<String>,
    pub name: Option<String>,
    pub eval: Evaluation,
    /// `Some(true)` stateful, `Some(false)` stateless, `None` ambiguous (both readings).
    pub stateful: Option<bool>,
    /// Scaleway `enable_default_security` SMTP rules seen (outside the packet set).
    pub platform_smtp_block: bool,
}

impl Group {
    /// Every rule, for sampling.
    pub fn rules(&self) -> Vec<&Rule> {
        match &self.eval {
            Evaluation::AllowOnly(r) => r.iter().collect(),
            Evaluation::Priority { rules, .. } => rules.iter().map(|(r, _)| r).collect(),
            Evaluation::FirstMatch { rules, .. } => rules.iter().map(|(r, _)| r).collect(),
            Evaluation::Ordered(rules) => rules.iter().map(|o| &o.rule).collect(),
        }
    }

    /// The packet under every reading of the group's own rules (the direction asked only;
    /// statefulness is the caller's to account for, see [`Group::stateful`]).
    pub fn eval(&self, p: &Packet) -> Readings {
        match &self.eval {
            Evaluation::AllowOnly(rules) => Readings::both(rules.iter().any(|r| r.matches(p))),
            Evaluation::Priority {
                rules,
                default_priority,
            } => {
                let missing = rules.iter().any(|(_, pr)| pr.is_none());
                let defaults: Vec<u16> = match (missing, default_priority) {
                    (false, _) => vec![1],
                    (true, Some(d)) => vec![*d],
                    (true, None) => vec![1, 100],
                };
                let mut out: Option<Readings> = None;
                for d in defaults {
                    let r = Readings::both(priority_eval(rules, d, p));
                    out = Some(match out {
                        None => r,
                        Some(o) => o.and(r),
                    });
                }
                out.unwrap_or(Readings::both(false))
            }
            Evaluation::FirstMatch {
                rules,
                inbound_accept,
                outbound_accept,
            } => {
                let default = match p.dir {
                    Dir::In => *inbound_accept,
                    Dir::Out => *outbound_accept,
                };
                Readings {
                    min: first_match(rules, p, true, default.unwrap_or(false)),
                    max: first_match(rules, p, false, default.unwrap_or(true)),
                }
            }
            Evaluation::Ordered(rules) => Readings {
                min: ordered(rules, p, true),
                max: ordered(rules, p, false),
            },
        }
    }
}

/// First match by priority, a partial rule matching (`restrictive`: the denies, else the
/// allows) under the reading asked for; nothing matched is denied.
fn ordered(rules: &[Ordered], p: &Packet, restrictive: bool) -> bool {
    let mut best: Option<(u32, bool)> = None;
    for o in rules {
        if !o.rule.matches(p) || (o.partial && restrictive == o.rule.allow) {
            continue;
        }
        if best.is_none_or(|(priority, _)| o.priority < priority) {
            best = Some((o.priority, o.rule.allow));
        }
    }
    best.is_some_and(|(_, allow)| allow)
}

fn priority_eval(rules: &[(Rule, Option<u16>)], default: u16, p: &Packet) -> bool {
    let mut best: Option<(u16, bool)> = None; // (priority, is deny)
    for (r, pr) in rules {
        if !r.matches(p) {
            continue;
        }
        let key = (pr.unwrap_or(default), !r.allow);
        best = Some(match best {
            None => key,
            // lower priority first; at equal priority deny (true) wins
            Some(b) if key.0 < b.0 || (key.0 == b.0 && key.1 && !b.1) => key,
            Some(b) => b,
        });
    }
    matches!(best, Some((_, false)))
}

/// First match under the most restrictive (`restrictive`) or the most permissive reading:
/// ambiguously placed denies earliest and allows latest, or the reverse.
fn first_match(
    rules: &[(Rule, Option<i64>)],
    p: &Packet,
    restrictive: bool,
    default: bool,
) -> bool {
    let mut best: Option<(i64, u8, bool)> = None;
    for (r, pos) in rules {
        if !r.matches(p) {
            continue;
        }
        let early = restrictive != r.allow; // a deny (restrictive) or an allow (permissive)
        let place = pos.unwrap_or(if early { i64::MIN } else { i64::MAX });
        let tie = if early { 0 } else { 1 };
        let key = (place, tie, r.allow);
        if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
            best = Some(key);
        }
    }
    best.map_or(default, |b| b.2)
}

/// What a document means.
#[derive(Clone, Debug)]
pub enum Meaning {
    Groups(Vec<Group>),
    /// A key no reference documents, a value that parses two ways, or two shapes at once: the
    /// evaluator refuses to judge.
    Unknown {
        path: String,
        why: String,
    },
    /// The document says it is not all there.
    Incomplete {
        why: String,
    },
}

impl Meaning {
    /// The groups, if the document could be read.
    pub fn groups(&self) -> Option<&[Group]> {
        match self {
            Meaning::Groups(g) => Some(g),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Packet sampling
// ---------------------------------------------------------------------------------------------

/// A small seeded generator (splitmix64), so samples repeat from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Boundary-biased packets for the groups given: ports 0, 1, 65535 and every rule edge ±1;
/// addresses at every CIDR edge ±1 plus a few outside; membership of every referenced group or
/// of none; every protocol named plus a few unnamed ones. `n` packets, from `seed`.
pub fn sample_packets(groups: &[&Group], n: usize, seed: u64) -> Vec<Packet> {
    let mut ports: BTreeSet<u16> = [0, 1, 2, 22, 25, 80, 443, 1024, 65534, 65535].into();
    let mut protos: BTreeSet<u8> = [0, 1, 4, 6, 17, 41, 43, 44, 47, 58, 59, 60, 94, 132].into();
    let mut icmps: BTreeSet<(u8, u8)> = [(0, 0), (8, 0), (3, 4), (255, 255)].into();
    let mut v4: BTreeSet<u128> = [0, 0x0a00_0001, 0x0102_0304, 0xffff_ffff].into();
    let mut v6: BTreeSet<u128> = [0, 1, 0x2001_0db8u128 << 96, u128::MAX].into();
    let mut ids: Vec<String> = Vec::new();
    for g in groups {
        for r in g.rules() {
            if let Proto::Num(n) = r.proto {
                protos.insert(n);
            }
            for &(lo, hi) in r.ports.iter().flatten() {
                for q in [
                    lo.saturating_sub(1),
                    lo,
                    lo.saturating_add(1),
                    hi.saturating_sub(1),
                    hi,
                    hi.saturating_add(1),
                ] {
                    ports.insert(q);
                }
            }
            if let Some((t, c)) = r.icmp {
                let c = c.unwrap_or(0);
                icmps.insert((t, c));
                icmps.insert((t, c.wrapping_add(1)));
                icmps.insert((t.wrapping_add(1), c));
            }
            match &r.remote {
                Remote::Cidr(c) => {
                    let (lo, hi) = c.bounds();
                    let set = if c.v6 { &mut v6 } else { &mut v4 };
                    let max = if c.v6 { u128::MAX } else { 0xffff_ffff };
                    for a in [
                        lo.saturating_sub(1),
                        lo,
                        lo.saturating_add(1).min(max),
                        hi.saturating_sub(1),
                        hi,
                        hi.saturating_add(1).min(max),
                    ] {
                        set.insert(a);
                    }
                    set.insert(lo + (hi - lo) / 2);
                }
                Remote::Group(id) => ids.push(id.clone()),
                Remote::Any => {}
            }
        }
    }
    ids.sort();
    ids.dedup();
    let ports: Vec<u16> = ports.into_iter().collect();
    let protos: Vec<u8> = protos.into_iter().collect();
    let icmps: Vec<(u8, u8)> = icmps.into_iter().collect();
    let v4: Vec<u128> = v4.into_iter().collect();
    let v6: Vec<u128> = v6.into_iter().collect();
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let dir = if rng.below(2) == 0 { Dir::In } else { Dir::Out };
        let is_v6 = rng.below(3) == 0;
        // bias toward the port protocols and ICMP, where the edges are
        let proto = match rng.below(6) {
            0 => 6,
            1 => 17,
            2 => {
                if is_v6 {
                    58
                } else {
                    1
                }
            }
            _ => *rng.pick(&protos),
        };
        let addr = if is_v6 {
            ip_from_bits(true, *rng.pick(&v6))
        } else {
            ip_from_bits(false, *rng.pick(&v4))
        };
        let mut groups = BTreeSet::new();
        for id in &ids {
            if rng.below(2) == 0 {
                groups.insert(id.clone());
            }
        }
        // every id alone, and every id together, appear early
        if i < ids.len() {
            groups = [ids[i].clone()].into();
        }
        out.push(Packet {
            dir,
            proto,
            port: *rng.pick(&ports),
            icmp: *rng.pick(&icmps),
            addr,
            groups,
        });
    }
    out
}

/// The ports a reply may be sent to (any source port of the original flow), sampled.
pub fn reply_ports() -> [u16; 6] {
    [0, 1, 22, 1024, 40000, 65535]
}

// ---------------------------------------------------------------------------------------------
// Running the CLI
// ---------------------------------------------------------------------------------------------

/// What one CLI run gave.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub exit_code: i32,
    /// Standard output, when non-empty.
    pub output: Option<String>,
    /// The JSON report (`--report <file>`), when written.
    pub report: Option<serde_json::Value>,
    /// Standard error (the human summary or the error).
    pub stderr: String,
}

impl RunOutcome {
    /// The report's verdict, if any.
    pub fn verdict(&self) -> Option<&str> {
        self.report.as_ref()?.get("verdict")?.as_str()
    }
}

/// Run `sgconv convert --from F --to T --report <tmp> [extra_args] -` with `text` on stdin.
pub fn run(text: &str, from: &str, to: &str, extra_args: &[&str]) -> RunOutcome {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let mut args: Vec<String> = vec![
        "convert".into(),
        "--from".into(),
        from.into(),
        "--to".into(),
        to.into(),
        "--report".into(),
        report.to_string_lossy().into_owned(),
    ];
    args.extend(extra_args.iter().map(|s| s.to_string()));
    args.push("-".into());
    let (code, stdout, stderr) = run_args(&args, text);
    let report = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    RunOutcome {
        exit_code: code,
        output: (!stdout.is_empty()).then_some(stdout),
        report,
        stderr,
    }
}

/// Run the binary with `args` and `stdin`: (exit code, stdout, stderr). A signal is -1.
pub fn run_args<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sgconv"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sgconv runs");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("sgconv ends");
    let _ = writer.join();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
