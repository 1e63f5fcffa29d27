//! The remote side of a rule: any address, a CIDR, a security group or an address group.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::Family;

/// Who is on the other end of the traffic a rule matches (the source for ingress, the
/// destination for egress).
///
/// Groups and address groups are sets of addresses sgconv cannot see (their members are known
/// only to the provider); they are matched by id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Remote {
    /// Every address of the rule's family (`0.0.0.0/0`, `::/0`, or no remote given).
    Any,
    /// One network, host bits clear, prefix length above 0, of the rule's family.
    #[serde(deserialize_with = "de_net")]
    Cidr(IpNet),
    /// The members of a security group, by the provider's group id.
    Group(String),
    /// The members of an address group: a named set of addresses the provider keeps, by the
    /// id its cloud gave it (Huawei `remote_address_group_id`, an AWS prefix list `pl-...`).
    AddressGroup(String),
}

impl Remote {
    /// The family a CIDR remote belongs to; `None` for the other kinds.
    pub fn family(&self) -> Option<Family> {
        match self {
            Remote::Cidr(net) => Some(Family::of_net(net)),
            _ => None,
        }
    }
}

/// A CIDR read from a provider document, with what reading it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCidr {
    /// The remote (`Any` for a `/0`).
    pub remote: Remote,
    /// The family of the address written.
    pub family: Family,
    /// Set when the text was not already canonical (host bits cleared, bare address given a
    /// prefix): the text as written, for the report.
    pub rewritten_from: Option<String>,
}

/// Read a CIDR the way providers accept it: `10.0.0.0/8`, a bare address (a `/32` or
/// `/128`), or a network with host bits set (cleared, and said so in `rewritten_from`).
/// An IPv4 octet or a prefix length with a leading zero (`010.0.0.0/8`, `10.0.0.0/010`) is
/// refused: octal or decimal?
///
/// ```
/// use sgconv::model::{parse_cidr, Family, Remote};
/// let p = parse_cidr("10.1.2.3/8").unwrap();
/// assert_eq!(p.remote, Remote::Cidr("10.0.0.0/8".parse().unwrap()));
/// assert_eq!(p.rewritten_from.as_deref(), Some("10.1.2.3/8"));
/// assert_eq!(parse_cidr("::/0").unwrap().remote, Remote::Any);
/// assert_eq!(parse_cidr("::/0").unwrap().family, Family::V6);
/// assert!(parse_cidr("10.0.0.0/33").is_err());
/// assert!(parse_cidr("010.0.0.0/8").unwrap_err().contains(r#"octet "010""#));
/// assert!(parse_cidr("10.0.0.0/010").unwrap_err().contains(r#"prefix length "010""#));
/// ```
pub fn parse_cidr(text: &str) -> Result<ParsedCidr, String> {
    let plain = plain_v4(text).or_else(|| plain_v6(text));
    if plain.is_none()
        && let Some(why) = leading_zero_octet(text).or_else(|| leading_zero_prefix(text))
    {
        return Err(why);
    }
    let (net, bare) = match plain.map_or_else(|| text.parse::<IpNet>(), Ok) {
        Ok(net) => (net, false),
        Err(_) => match text.parse::<IpAddr>() {
            Ok(addr) => (IpNet::from(addr), true),
            Err(_) => {
                return Err(format!(
                    "{text:?} is not an IPv4 or IPv6 network (expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32)"
                ));
            }
        },
    };
    let family = Family::of_net(&net);
    let trunc = net.trunc();
    let remote = if trunc.prefix_len() == 0 {
        Remote::Any
    } else {
        Remote::Cidr(trunc)
    };
    let rewritten_from = (trunc != net && !bare).then(|| text.to_owned());
    Ok(ParsedCidr {
        remote,
        family,
        rewritten_from,
    })
}

/// Why `text` is refused when an IPv4 octet in it (a dotted address, or one at the end of an
/// IPv6 address) has a leading zero: inet_aton(3) reads `010` as octal (8), ipnet and many
/// other parsers as decimal (10) — the CVE-2021-29921 class. `None` when there is none.
fn leading_zero_octet(text: &str) -> Option<String> {
    let addr = text.split('/').next().unwrap_or(text);
    let v4 = addr.rsplit(':').next().unwrap_or(addr);
    if !v4.contains('.') {
        return None;
    }
    let octet = v4.split('.').find(|o| leading_zero(o))?;
    // The decimal reading, offered only when it is a valid network.
    let stripped: Vec<&str> = v4
        .split('.')
        .map(|o| match o.trim_start_matches('0') {
            "" if !o.is_empty() => "0",
            rest => rest,
        })
        .collect();
    let head = addr
        .get(..addr.len().saturating_sub(v4.len()))
        .unwrap_or_default();
    let tail = text.get(addr.len()..).unwrap_or_default();
    let decimal = [head, &stripped.join("."), tail].concat();
    Some(refused(
        text,
        &format!("IPv4 octet {octet:?}"),
        "octal under inet_aton, decimal under many other parsers",
        &decimal,
    ))
}

/// Digits with a leading zero (`010`, `00`): octal or decimal?
fn leading_zero(digits: &str) -> bool {
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Why `text` is refused for a leading zero in `what`, offering the `decimal` spelling when
/// it is a valid network.
fn refused(text: &str, what: &str, why: &str, decimal: &str) -> String {
    let hint = if parse_cidr(decimal).is_ok() {
        format!("; write {decimal:?} for the decimal reading")
    } else {
        String::new()
    };
    format!("{text:?}: {what} has a leading zero (ambiguous: {why}){hint}")
}

/// Why `text` is refused when its prefix length has a leading zero: ipnet reads `/010` as
/// decimal (10), a parser that reads numbers as C's `strtol(s, 0, 0)` does as octal (8), a
/// wider network. `None` when there is none.
fn leading_zero_prefix(text: &str) -> Option<String> {
    let (addr, len) = text.split_once('/')?;
    if !leading_zero(len) {
        return None;
    }
    let decimal = match len.trim_start_matches('0') {
        "" => format!("{addr}/0"),
        rest => format!("{addr}/{rest}"),
    };
    Some(refused(
        text,
        &format!("prefix length {len:?}"),
        "octal or decimal",
        &decimal,
    ))
}

/// A canonical `cidr`: ipnet's reading, after refusing a leading-zero IPv4 octet or prefix
/// length (which ipnet reads as decimal).
fn de_net<'de, D: serde::Deserializer<'de>>(d: D) -> Result<IpNet, D::Error> {
    struct Net;
    impl serde::de::Visitor<'_> for Net {
        type Value = IpNet;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("IPv4 or IPv6 network address")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<IpNet, E> {
            if let Some(why) = leading_zero_octet(s).or_else(|| leading_zero_prefix(s)) {
                return Err(E::custom(why));
            }
            s.parse().map_err(E::custom)
        }
    }
    if d.is_human_readable() {
        d.deserialize_str(Net)
    } else {
        IpNet::deserialize(d)
    }
}

/// `a.b.c.d/n` in its plain form (decimal octets and prefix without leading zeros), read
/// without ipnet's general parser (an import reads one per rule); anything else is left to
/// it (`None`). Where this answers, ipnet gives the same network.
fn plain_v4(text: &str) -> Option<IpNet> {
    // Four octets, then the prefix length; each one to three digits, no leading zero.
    let mut fields = [0u16; 5];
    let mut at = 0usize;
    let mut digits = 0usize;
    for &b in text.as_bytes() {
        match b {
            b'0'..=b'9' => {
                let field = fields.get_mut(at)?;
                if digits == 3 || (digits == 1 && *field == 0) {
                    return None;
                }
                *field = field
                    .checked_mul(10)?
                    .checked_add(u16::from(b.checked_sub(b'0')?))?;
                digits = digits.checked_add(1)?;
            }
            b'.' if at < 3 && digits > 0 => {
                at = at.checked_add(1)?;
                digits = 0;
            }
            b'/' if at == 3 && digits > 0 => {
                at = 4;
                digits = 0;
            }
            _ => return None,
        }
    }
    let [a, b, c, d, prefix] = fields;
    if at != 4 || digits == 0 {
        return None;
    }
    let octet = |n: u16| u8::try_from(n).ok();
    let addr = std::net::Ipv4Addr::new(octet(a)?, octet(b)?, octet(c)?, octet(d)?);
    ipnet::Ipv4Net::new(addr, octet(prefix)?)
        .ok()
        .map(IpNet::V4)
}

/// `addr/n` for an IPv6 address of hexadecimal groups and `::` only (no IPv4 part) and a
/// prefix length without leading zeros, its address read by the standard library rather
/// than ipnet's general parser (an import reads one per rule); anything else is left to it
/// (`None`). Where this answers, ipnet gives the same network.
fn plain_v6(text: &str) -> Option<IpNet> {
    let (addr, prefix) = text.split_once('/')?;
    let digits = prefix.bytes().all(|b| b.is_ascii_digit());
    if !digits
        || prefix.is_empty()
        || prefix.len() > 3
        || (prefix.len() > 1 && prefix.starts_with('0'))
    {
        return None;
    }
    if !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
        return None;
    }
    let addr: std::net::Ipv6Addr = addr.parse().ok()?;
    ipnet::Ipv6Net::new(addr, prefix.parse().ok()?)
        .ok()
        .map(IpNet::V6)
}

/// A network written as providers write it (`10.0.0.0/8`, `2001:db8::/32`): [`IpNet`]'s own
/// text, written without the general formatting machinery (an export writes one per rule).
/// Serialises as a string.
///
/// ```
/// use sgconv::model::CidrText;
/// let net = "192.168.10.0/24".parse().unwrap();
/// assert_eq!(CidrText(net).to_string(), "192.168.10.0/24");
/// let net = "2001:db8::/32".parse().unwrap();
/// assert_eq!(CidrText(net).to_string(), "2001:db8::/32");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CidrText(pub IpNet);

/// Room for the longest network text, `ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128` (43
/// bytes).
struct TextBuf {
    bytes: [u8; 48],
    len: usize,
}

impl TextBuf {
    fn new() -> TextBuf {
        TextBuf {
            bytes: [0; 48],
            len: 0,
        }
    }

    fn put(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len = self.len.saturating_add(1);
        }
    }

    /// A number in decimal, without leading zeros.
    fn decimal(&mut self, n: u8) {
        let (h, t, o) = (n / 100, n / 10 % 10, n % 10);
        if h > 0 {
            self.put(b'0'.saturating_add(h));
        }
        if h > 0 || t > 0 {
            self.put(b'0'.saturating_add(t));
        }
        self.put(b'0'.saturating_add(o));
    }

    /// A dotted IPv4 address.
    fn v4(&mut self, addr: std::net::Ipv4Addr) {
        for (i, octet) in addr.octets().into_iter().enumerate() {
            if i > 0 {
                self.put(b'.');
            }
            self.decimal(octet);
        }
    }

    /// IPv6 groups in lowercase hexadecimal without leading zeros, `:` between them.
    fn groups(&mut self, groups: &[u16]) {
        for (i, &g) in groups.iter().enumerate() {
            if i > 0 {
                self.put(b':');
            }
            let mut started = false;
            for shift in [12u32, 8, 4, 0] {
                let digit = g.wrapping_shr(shift) & 0xf;
                if started || digit > 0 || shift == 0 {
                    started = true;
                    self.put(
                        b"0123456789abcdef"
                            .get(usize::from(digit))
                            .copied()
                            .unwrap_or(b'0'),
                    );
                }
            }
        }
    }

    /// An IPv6 address as the standard library writes it (RFC 5952): an IPv4-mapped one as
    /// `::ffff:a.b.c.d`, otherwise the first longest run of two or more zero groups as `::`.
    fn v6(&mut self, addr: std::net::Ipv6Addr) {
        if let Some(v4) = addr.to_ipv4_mapped() {
            b"::ffff:".iter().for_each(|&b| self.put(b));
            self.v4(v4);
            return;
        }
        let groups = addr.segments();
        let (mut best, mut run) = ((0usize, 0usize), (0usize, 0usize));
        for (i, &g) in groups.iter().enumerate() {
            if g == 0 {
                if run.1 == 0 {
                    run.0 = i;
                }
                run.1 = run.1.saturating_add(1);
                if run.1 > best.1 {
                    best = run;
                }
            } else {
                run = (0, 0);
            }
        }
        match (
            groups.get(..best.0),
            groups.get(best.0.saturating_add(best.1)..),
        ) {
            (Some(before), Some(after)) if best.1 > 1 => {
                self.groups(before);
                self.put(b':');
                self.put(b':');
                self.groups(after);
            }
            _ => self.groups(&groups),
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl CidrText {
    /// Call `f` with the text (from a stack buffer).
    pub fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        let mut buf = TextBuf::new();
        f(self.text(&mut buf))
    }

    /// The text, written into `buf`: the address, `/`, the prefix length.
    fn text<'b>(&self, buf: &'b mut TextBuf) -> &'b str {
        match self.0 {
            IpNet::V4(net) => buf.v4(net.addr()),
            IpNet::V6(net) => buf.v6(net.addr()),
        }
        buf.put(b'/');
        buf.decimal(self.0.prefix_len());
        buf.as_str()
    }
}

impl std::fmt::Display for CidrText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text(&mut TextBuf::new()))
    }
}

impl Serialize for CidrText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text(&mut TextBuf::new()))
    }
}

#[cfg(test)]
#[path = "remote_tests.rs"]
mod tests;
