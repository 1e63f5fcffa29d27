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
/// An IPv4 octet with a leading zero (`010.0.0.0/8`) is refused: octal or decimal?
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
/// ```
pub fn parse_cidr(text: &str) -> Result<ParsedCidr, String> {
    let plain = plain_v4(text).or_else(|| plain_v6(text));
    if plain.is_none()
        && let Some(why) = leading_zero_octet(text)
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
    let leading_zero =
        |o: &str| o.len() > 1 && o.starts_with('0') && o.bytes().all(|b| b.is_ascii_digit());
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
    let hint = if parse_cidr(&decimal).is_ok() {
        format!("; write {decimal:?} for the decimal reading")
    } else {
        String::new()
    };
    Some(format!(
        "{text:?}: IPv4 octet {octet:?} has a leading zero (ambiguous: octal under inet_aton, decimal under many other parsers){hint}"
    ))
}

/// A canonical `cidr`: ipnet's reading, after refusing a leading-zero IPv4 octet (which
/// ipnet reads as decimal).
fn de_net<'de, D: serde::Deserializer<'de>>(d: D) -> Result<IpNet, D::Error> {
    struct Net;
    impl serde::de::Visitor<'_> for Net {
        type Value = IpNet;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("IPv4 or IPv6 network address")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<IpNet, E> {
            if let Some(why) = leading_zero_octet(s) {
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
mod tests {
    use super::*;

    /// The fast IPv4 text is IpNet's own, for every octet value and prefix length.
    #[test]
    fn cidr_text_is_ipnets_text() {
        for a in 0..=255u8 {
            for prefix in [0u8, 1, 8, 9, 10, 16, 24, 31, 32] {
                let addr = std::net::Ipv4Addr::new(a, a.wrapping_mul(7), 255 - a, a / 3);
                let net = IpNet::V4(ipnet::Ipv4Net::new(addr, prefix).unwrap());
                assert_eq!(CidrText(net).to_string(), net.to_string());
                assert_eq!(
                    serde_json::to_string(&CidrText(net)).unwrap(),
                    serde_json::to_string(&net.to_string()).unwrap()
                );
            }
        }
        let v6: IpNet = "2001:db8:0:1::/64".parse().unwrap();
        assert_eq!(CidrText(v6).to_string(), v6.to_string());
    }

    /// An IPv6 group: zero often (runs of them are what `::` stands for), else any.
    fn group() -> impl proptest::strategy::Strategy<Value = u16> {
        proptest::prop_oneof![
            3 => proptest::strategy::Just(0u16),
            1 => proptest::strategy::Just(0xffff_u16),
            2 => 1u16..0x10,
            3 => proptest::prelude::any::<u16>(),
        ]
    }

    proptest::proptest! {
        /// The IPv6 text is IpNet's own (the standard library's address, then the prefix),
        /// IPv4-mapped addresses and ties between runs of zeros included.
        #[test]
        fn cidr_text_is_ipnets_text_v6(
            groups in proptest::collection::vec(group(), 8),
            prefix in 0u8..=128,
            mapped: bool,
        ) {
            let mut g: [u16; 8] = groups.try_into().unwrap();
            if mapped {
                g[..6].copy_from_slice(&[0, 0, 0, 0, 0, 0xffff]);
            }
            let addr = std::net::Ipv6Addr::from(g);
            let net = IpNet::V6(ipnet::Ipv6Net::new(addr, prefix).unwrap());
            proptest::prop_assert_eq!(CidrText(net).to_string(), net.to_string());
            proptest::prop_assert_eq!(
                serde_json::to_string(&CidrText(net)).unwrap(),
                serde_json::to_string(&net.to_string()).unwrap()
            );
            let mut written = None;
            CidrText(net).with_text(|t| written = Some(t.to_owned()));
            proptest::prop_assert_eq!(written, Some(net.to_string()));
        }

        /// Wherever the plain IPv6 reader answers, ipnet reads the same network (groups of
        /// one to five digits, either case, `::` anywhere, any prefix); it answers for every
        /// network ipnet writes without an IPv4 part.
        #[test]
        fn plain_v6_agrees_with_ipnet(
            groups in proptest::collection::vec("[0-9a-fA-F]{1,5}", 0..10),
            gap in proptest::option::of(0usize..10),
            prefix in "[0-9]{0,4}",
            text in "[0-9a-f:/.]{1,24}",
            net in proptest::prelude::any::<[u16; 8]>(),
            len in 0u8..=128,
        ) {
            let mut written = groups.join(":");
            if let Some(at) = gap {
                let at = at.min(groups.len());
                written = format!("{}::{}", groups[..at].join(":"), groups[at..].join(":"));
            }
            for text in [format!("{written}/{prefix}"), text] {
                if let Some(net) = plain_v6(&text) {
                    proptest::prop_assert_eq!(Ok(net), text.parse::<IpNet>(), "{}", text);
                }
            }
            let net = ipnet::Ipv6Net::new(std::net::Ipv6Addr::from(net), len).unwrap();
            let text = net.to_string();
            if !text.contains('.') {
                proptest::prop_assert_eq!(plain_v6(&text), Some(IpNet::V6(net)));
            }
        }

        /// Wherever the plain IPv4 reader answers, ipnet reads the same network; it answers
        /// for every network written in the plain form.
        #[test]
        fn plain_v4_agrees_with_ipnet(text in "[0-9./]{1,20}", a: u32, prefix in 0u8..=32) {
            if let Some(net) = plain_v4(&text) {
                proptest::prop_assert_eq!(Ok(net), text.parse::<IpNet>());
            }
            let net = ipnet::Ipv4Net::new(a.into(), prefix).unwrap();
            let written = net.to_string();
            proptest::prop_assert_eq!(plain_v4(&written), Some(IpNet::V4(net)));
            proptest::prop_assert_eq!(Some(IpNet::V4(net)), written.parse::<IpNet>().ok());
        }
    }

    /// A leading-zero IPv4 octet is refused wherever it stands, naming the octet and, when it
    /// is a network, the decimal spelling; zeros elsewhere are not octets.
    #[test]
    fn leading_zero_octets_are_refused_in_any_form() {
        for (text, octet, decimal) in [
            ("010.0.0.0/8", "010", Some("10.0.0.0/8")),
            ("10.0.0.01/32", "01", Some("10.0.0.1/32")),
            ("010.0.0.1", "010", Some("10.0.0.1")),
            ("00.0.0.0/0", "00", Some("0.0.0.0/0")),
            ("192.168.001.0/24", "001", Some("192.168.1.0/24")),
            ("::ffff:010.0.0.1/128", "010", Some("::ffff:10.0.0.1/128")),
            ("10.0.0.0999/8", "0999", None),
            ("09.0.0.0/8", "09", Some("9.0.0.0/8")),
        ] {
            let err = parse_cidr(text).unwrap_err();
            assert!(
                err.starts_with(&format!(
                    "{text:?}: IPv4 octet {octet:?} has a leading zero"
                )),
                "{err}"
            );
            match decimal {
                Some(d) => assert!(
                    err.ends_with(&format!("write {d:?} for the decimal reading")),
                    "{err}"
                ),
                None => assert!(!err.contains("write"), "{err}"),
            }
        }
        for text in [
            "10.0.0.0/8",
            "0.0.0.0/0",
            "100.0.0.0/8",
            "10.0.0.0",
            "2001:db8::/32",
            "2001:0db8::/32",
            "::/0",
            "::ffff:10.0.0.0/104",
        ] {
            assert!(parse_cidr(text).is_ok(), "{text}");
        }
    }

    /// The canonical `cidr` refuses it too; other errors are ipnet's own.
    #[test]
    fn canonical_cidr_refuses_leading_zero_octets() {
        let read = |json: &str| serde_json::from_str::<Remote>(json).map_err(|e| e.to_string());
        assert!(
            read(r#"{"cidr": "010.0.0.0/8"}"#)
                .unwrap_err()
                .contains(r#"octet "010""#)
        );
        assert_eq!(
            read(r#"{"cidr": "10.0.0.0/8"}"#),
            Ok(Remote::Cidr("10.0.0.0/8".parse().unwrap()))
        );
        assert!(
            read(r#"{"cidr": "banana"}"#)
                .unwrap_err()
                .contains("invalid IP address syntax")
        );
        assert!(
            read(r#"{"cidr": 7}"#)
                .unwrap_err()
                .contains("expected IPv4 or IPv6 network address")
        );
    }

    #[test]
    fn plain_v4_leaves_the_unusual_to_ipnet() {
        for text in [
            "010.0.0.0/8",
            "10.0.0.0/08",
            "10.0.0/8",
            "10.0.0.0.0/8",
            "10.0.0.0/33",
            "256.0.0.0/8",
            "10.0.0.0",
            "10.0.0.0/",
            "/8",
            "1.2.3.4/8/8",
            "+1.2.3.4/8",
            "::/0",
        ] {
            assert_eq!(plain_v4(text), None, "{text}");
        }
        assert_eq!(plain_v4("0.0.0.0/0"), "0.0.0.0/0".parse().ok());
        assert_eq!(plain_v4("10.1.2.3/8"), "10.1.2.3/8".parse().ok());
    }
}
