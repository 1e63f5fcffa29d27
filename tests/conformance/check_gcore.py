"""Gcore Cloud (PyPI `gcore` 0.59.0): rule create bodies, v1 and v2.

SDK layer: the request types are TypedDicts; validated strict (no coercion) with
extra="forbid" (the SDK would silently drop unknown keys). v2 bodies are `RuleCreateParams`
(POST /cloud/v2/.../rules); the SDK has no v1 create type any more, and the v1 create body
shares its schema with the v1 PUT body, `RuleReplaceParams`.
What the types do not check, Neutron does behind the API (`neutron.py`).
"""

import json

from pydantic import ConfigDict, TypeAdapter, ValidationError

from gcore import Gcore
from gcore.types.cloud import SecurityGroup
from gcore.types.cloud.security_groups import RuleCreateParams, RuleReplaceParams

import loopback
import neutron

for _td in (RuleCreateParams, RuleReplaceParams):
    _td.__pydantic_config__ = ConfigDict(extra="forbid", strict=True)
_BODY = {"gcore-v1": TypeAdapter(RuleReplaceParams), "gcore-v2": TypeAdapter(RuleCreateParams)}
_PATH_PARAMS = {"project_id", "region_id"}


def sdk_errors(target: str, rule) -> list[str]:
    out = []
    if isinstance(rule, dict) and _PATH_PARAMS & set(rule):
        out.append(f"{sorted(_PATH_PARAMS & set(rule))} are URL path parameters, not body fields")
    try:
        _BODY[target].validate_python(rule)
    except ValidationError as e:
        out += [f"sdk: {'.'.join(map(str, x['loc'])) or '$'}: {x['msg']}" for x in e.errors()]
    return out


def validate(target: str, doc) -> list[str]:
    """Errors of one group's export: an array of create-rule bodies."""
    if not isinstance(doc, list):
        return ["$: a Gcore export is an array of rule create bodies"]
    out, seen = [], {}
    for i, rule in enumerate(doc):
        errs = sdk_errors(target, rule)
        if not errs:
            errs = neutron.rule_errors(rule)
            key = neutron.identity(rule)
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
