"""Gcore Cloud (PyPI `gcore` 0.59.0): rule create bodies, v1 and v2.

SDK layer: the request types are TypedDicts; validated strict (no coercion) with
extra="forbid" (the SDK would silently drop unknown keys). v2 bodies are `RuleCreateParams`
(POST /cloud/v2/.../rules); the SDK has no v1 create type any more, and the v1 create body
shares its schema with the v1 PUT body, `RuleReplaceParams`.
What the types do not check, Neutron does behind the API (neutron/db/securitygroups_db.py in
https://github.com/openstack/neutron): port and ICMP ranges per protocol, ethertype against
protocol and prefix, remote exclusivity, description length, duplicates.
"""

import json

from pydantic import ConfigDict, TypeAdapter, ValidationError

from gcore import Gcore
from gcore.types.cloud import SecurityGroup
from gcore.types.cloud.security_groups import RuleCreateParams, RuleReplaceParams

from common import is_id, is_int, network
import loopback

for _td in (RuleCreateParams, RuleReplaceParams):
    _td.__pydantic_config__ = ConfigDict(extra="forbid", strict=True)
_BODY = {"gcore-v1": TypeAdapter(RuleReplaceParams), "gcore-v2": TypeAdapter(RuleCreateParams)}
_PATH_PARAMS = {"project_id", "region_id"}

PORT_PROTOCOLS = {"tcp", "udp", "sctp", "dccp", "udplite"}
ICMP_PROTOCOLS = {"icmp", "ipv6-icmp"}
IPV6_ONLY = {"ipv6-encap", "ipv6-frag", "ipv6-icmp", "ipv6-nonxt", "ipv6-opts", "ipv6-route"}


def sdk_errors(target: str, rule) -> list[str]:
    out = []
    if isinstance(rule, dict) and _PATH_PARAMS & set(rule):
        out.append(f"{sorted(_PATH_PARAMS & set(rule))} are URL path parameters, not body fields")
    try:
        _BODY[target].validate_python(rule)
    except ValidationError as e:
        out += [f"sdk: {'.'.join(map(str, x['loc'])) or '$'}: {x['msg']}" for x in e.errors()]
    return out


def neutron_errors(rule: dict) -> list[str]:
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
    prefix = rule.get("remote_ip_prefix")
    if prefix is not None:
        _, err = network(prefix, eth)
        if err:
            out.append(f"remote_ip_prefix: {err}")
        if "remote_group_id" in rule:
            out.append("remote_ip_prefix and remote_group_id are mutually exclusive")
    if "remote_group_id" in rule and not is_id(rule["remote_group_id"]):
        out.append(f"remote_group_id {rule['remote_group_id']!r} is not an id")
    d = rule.get("description")
    if isinstance(d, str) and len(d) > 255:
        out.append("description longer than 255 characters")
    return out


def _identity(rule: dict):
    """Neutron's duplicate key: everything but the description; 0.0.0.0/0, ::/0 = null."""
    prefix = rule.get("remote_ip_prefix")
    if prefix in ("0.0.0.0/0", "::/0"):
        prefix = None
    proto = None if rule.get("protocol") == "any" else rule.get("protocol")
    return (rule.get("direction"), rule.get("ethertype", "IPv4"), proto,
            rule.get("port_range_min"), rule.get("port_range_max"), prefix,
            rule.get("remote_group_id"))


def validate(target: str, doc) -> list[str]:
    """Errors of one group's export: an array of create-rule bodies."""
    if not isinstance(doc, list):
        return ["$: a Gcore export is an array of rule create bodies"]
    out, seen = [], {}
    for i, rule in enumerate(doc):
        errs = sdk_errors(target, rule)
        if not errs:
            errs = neutron_errors(rule)
            key = _identity(rule)
            if key in seen:
                errs.append(f"duplicate of [{seen[key]}] (SecurityGroupRuleExists)")
            seen.setdefault(key, i)
        out += [f"[{i}] {e}" for e in errs]
    return out


_RULE = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
         "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"}
NEGATIVES = [
    ("gcore-v2", "bad direction enum", [{**_RULE, "direction": "inbound"}]),
    ("gcore-v2", "remote_group_id null", [{**_RULE, "remote_ip_prefix": None, "remote_group_id": None}]),
    ("gcore-v2", "protocol number", [{**_RULE, "protocol": "6"}]),
    ("gcore-v2", "protocol any in v2", [{"direction": "egress", "protocol": "any"}]),
    ("gcore-v1", "protocol upper-case", [{**_RULE, "protocol": "TCP"}]),
    ("gcore-v2", "port 0", [{**_RULE, "port_range_min": 0, "port_range_max": 0}]),
    ("gcore-v2", "port as string", [{**_RULE, "port_range_min": "22"}]),
    ("gcore-v1", "IPv6 prefix on IPv4", [{**_RULE, "remote_ip_prefix": "::/0"}]),
    ("gcore-v2", "duplicate rule", [_RULE, {**_RULE, "description": "again"}]),
    ("gcore-v2", "unknown key", [{**_RULE, "action": "allow"}]),
]

_TASKS = {"tasks": ["d478ae29-dedc-4869-82f0-96104425f565"]}
_GROUP_ID = "3addc7a1-e926-46da-b5a2-eb4b2f935230"


def sdk_documents() -> list[tuple[str, str, str]]:
    """(label, sgconv provider, JSON text) written by the SDK: the bodies its client sends for
    a v2 rule create and a v2 group create, and a GET-group response model it serialises."""
    with loopback.server(lambda method, path: _TASKS) as (url, captured):
        client = Gcore(api_key="test", base_url=url, cloud_project_id=1, cloud_region_id=1,
                       max_retries=0)
        client.cloud.security_groups.rules.create(
            _GROUP_ID, direction="ingress", protocol="tcp", ethertype="IPv4",
            port_range_min=8080, port_range_max=8090, remote_ip_prefix="192.0.2.0/24",
            description="from the SDK")
        client.cloud.security_groups.rules.create(
            _GROUP_ID, direction="egress", protocol=None, ethertype="IPv6")
        client.cloud.security_groups.create(name="sdk-web", rules=[
            {"direction": "ingress", "protocol": "tcp", "ethertype": "IPv4",
             "port_range_min": 443, "port_range_max": 443, "remote_ip_prefix": "0.0.0.0/0"},
            {"direction": "ingress", "protocol": "icmp", "ethertype": "IPv4",
             "remote_group_id": _GROUP_ID}])
    docs = [(f"client {m} {p}", "gcore-v2", body) for m, p, body in captured]
    rule = {"id": "253c1ad7-8061-44b9-9f33-5616ad8ba5b6", "security_group_id": _GROUP_ID,
            "direction": "ingress", "ethertype": "IPv6", "protocol": "ipv6-icmp",
            "port_range_min": 128, "port_range_max": 0, "remote_ip_prefix": "2001:db8::/32",
            "remote_group_id": None, "description": None, "revision_number": 0,
            "created_at": "2019-07-26T13:25:03+0000", "updated_at": "2019-07-26T13:25:03+0000"}
    group = SecurityGroup(
        id=_GROUP_ID, name="sdk-web", description="built with the SDK", project_id=1,
        region_id=1, region="Luxembourg 1", revision_number=1, tags_v2=[],
        created_at="2019-06-18T11:56:16+0000", updated_at="2019-06-18T11:57:00+0000",
        security_group_rules=[rule])
    docs.append(("SecurityGroup model .to_json()", "gcore-v1", group.to_json()))
    return docs
