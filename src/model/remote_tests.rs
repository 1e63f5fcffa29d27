//! Tests of reading and writing networks and remotes (`remote.rs`).
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

/// A leading zero in an IPv4 octet or a prefix length is refused wherever it stands,
/// naming the octet or length and, when it is a network, the decimal spelling; zeros
/// elsewhere are not refused.
#[test]
fn leading_zeros_are_refused_in_any_form() {
    for (text, what, decimal) in [
        ("010.0.0.0/8", r#"IPv4 octet "010""#, Some("10.0.0.0/8")),
        ("10.0.0.01/32", r#"IPv4 octet "01""#, Some("10.0.0.1/32")),
        ("010.0.0.1", r#"IPv4 octet "010""#, Some("10.0.0.1")),
        ("00.0.0.0/0", r#"IPv4 octet "00""#, Some("0.0.0.0/0")),
        (
            "192.168.001.0/24",
            r#"IPv4 octet "001""#,
            Some("192.168.1.0/24"),
        ),
        (
            "::ffff:010.0.0.1/128",
            r#"IPv4 octet "010""#,
            Some("::ffff:10.0.0.1/128"),
        ),
        ("10.0.0.0999/8", r#"IPv4 octet "0999""#, None),
        ("09.0.0.0/8", r#"IPv4 octet "09""#, Some("9.0.0.0/8")),
        (
            "10.0.0.0/010",
            r#"prefix length "010""#,
            Some("10.0.0.0/10"),
        ),
        ("10.0.0.0/08", r#"prefix length "08""#, Some("10.0.0.0/8")),
        ("0.0.0.0/00", r#"prefix length "00""#, Some("0.0.0.0/0")),
        (
            "2001:db8::/032",
            r#"prefix length "032""#,
            Some("2001:db8::/32"),
        ),
        ("10.0.0.0/033", r#"prefix length "033""#, None),
    ] {
        let err = parse_cidr(text).unwrap_err();
        assert!(
            err.starts_with(&format!("{text:?}: {what} has a leading zero")),
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
        "10.0.0.0/10",
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
