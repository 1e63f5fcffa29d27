"""Neutron's checks of a security-group rule body, behind every API that speaks its rule shape
(Gcore v1/v2 and OpenStack): neutron/db/securitygroups_db.py and neutron-lib's constants in
https://github.com/openstack/neutron and https://github.com/openstack/neutron-lib (port and ICMP
ranges per protocol, ethertype against protocol and prefix, remote exclusivity, description
length, duplicates)."""

from common import is_id, is_int, network

PORT_PROTOCOLS = {"tcp", "udp", "sctp", "dccp", "udplite"}
ICMP_PROTOCOLS = {"icmp", "ipv6-icmp"}
IPV6_ONLY = {"ipv6-encap", "ipv6-frag", "ipv6-icmp", "ipv6-nonxt", "ipv6-opts", "ipv6-route"}
# neutron_lib.constants.IP_PROTOCOL_MAP (names Neutron takes; any other protocol by number).
PROTOCOL_NAMES = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2,
    "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "ipv6-nonxt": 59,
    "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132,
    "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}
REMOTES = ("remote_ip_prefix", "remote_group_id", "remote_address_group_id")


def rule_errors(rule: dict) -> list[str]:
    """What Neutron refuses in one rule body (or silently rewrites, which an exporter must not
    leave to it)."""
    out = []
    proto = rule.get("protocol")
    proto = None if proto == "any" else proto
    eth = rule.get("ethertype", "IPv4")
    lo, hi = rule.get("port_range_min"), rule.get("port_range_max")
    for name, v in (("port_range_min", lo), ("port_range_max", hi)):
        if v is not None and not (is_int(v) and 0 <= v <= 65535):
            return [f"{name} {v!r} is not an integer 0..65535"]
    if proto in PORT_PROTOCOLS:
        if (lo is None) != (hi is None):
            out.append(f"{proto} needs both port_range_min and port_range_max, or neither")
        elif lo is not None:
            if lo == 0 or hi == 0:
                out.append("port 0 is invalid (SecurityGroupInvalidPortValue)")
            elif lo > hi:
                out.append(f"port_range_min {lo} > port_range_max {hi}")
            elif (lo, hi) == (1, 65535):
                out.append("1-65535 must be written as null/null (Neutron stores it so)")
    elif proto in ICMP_PROTOCOLS:
        for what, v in (("type", lo), ("code", hi)):
            if v is not None and v > 255:
                out.append(f"ICMP {what} {v} is not in 0..255")
        if lo is None and hi is not None:
            out.append("ICMP code without ICMP type (SecurityGroupMissingIcmpType)")
    elif lo is not None or hi is not None:
        out.append(f"ports are not allowed for protocol {proto or 'all'}")
    if proto in IPV6_ONLY and eth != "IPv6":
        out.append(f"{proto} needs ethertype IPv6")
    if proto == "icmp" and eth == "IPv6":
        out.append("icmp with IPv6 is silently rewritten to ipv6-icmp: write ipv6-icmp")
    remotes = [k for k in REMOTES if k in rule]
    if len(remotes) > 1:
        out.append(f"{' and '.join(remotes)} are mutually exclusive")
    prefix = rule.get("remote_ip_prefix")
    if prefix is not None:
        _, err = network(prefix, eth)
        if err:
            out.append(f"remote_ip_prefix: {err}")
    for k in REMOTES[1:]:
        if k in rule and not is_id(rule[k]):
            out.append(f"{k} {rule[k]!r} is not an id")
    d = rule.get("description")
    if isinstance(d, str) and len(d) > 255:
        out.append("description longer than 255 characters")
    return out


def identity(rule: dict):
    """Neutron's duplicate key: everything but the description; 0.0.0.0/0, ::/0 = null."""
    prefix = rule.get("remote_ip_prefix")
    if prefix in ("0.0.0.0/0", "::/0"):
        prefix = None
    proto = None if rule.get("protocol") == "any" else rule.get("protocol")
    return (rule.get("direction"), rule.get("ethertype", "IPv4"), proto,
            rule.get("port_range_min"), rule.get("port_range_max"), prefix,
            rule.get("remote_group_id"), rule.get("remote_address_group_id"))
