"""Huawei Cloud VPC v3 (PyPI `huaweicloudsdkvpc` 3.1.219 + `huaweicloudsdkcore`): rule
create bodies `{"security_group_rule": {...}}`.

SDK layer: the SDK validates nothing and coerces types, so a body
is loaded with the SDK's own deserialiser (`VpcClient._deserialize`, what it runs on every
response) and must come back unchanged through its serialiser (`sanitize_for_serialization`,
what it sends): a key the models do not know is dropped, a wrong JSON type is coerced, and
either makes the round trip differ. The API's constraints are checked here (as the VPC v3
API documents them: the OpenAPI definitions at
https://docs.rs/crate/huawei-cloud-api-definitions-VPC/latest/source/src/CreateSecurityGroupRule.json
and the Huawei-authored reference at https://github.com/opentelekomcloud-docs/virtual-private-cloud):
enums, required fields, priority 1-100, the multiport grammar, remote exclusivity, family
consistency, description length and characters, duplicates.
"""

import json
import re
import warnings

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization
from huaweicloudsdkvpc.v3 import (
    BatchCreateSecurityGroupRulesOption, BatchCreateSecurityGroupRulesRequest,
    BatchCreateSecurityGroupRulesRequestBody, CreateSecurityGroupRuleOption,
    CreateSecurityGroupRuleRequest, CreateSecurityGroupRuleRequestBody,
    ListSecurityGroupRulesResponse, SecurityGroupRule, VpcClient)

from common import is_id, is_int, is_uuid, network
import loopback

_SDK = VpcClient()
_BODY_KEYS = {"security_group_rule", "dry_run"}
_RULE_KEYS = set(CreateSecurityGroupRuleOption.attribute_map.values())
_NAMED = {"icmp": "IPv4", "icmpv6": "IPv6", "tcp": None, "udp": None}
_NUMBER = re.compile(r"^(0|[1-9][0-9]{0,2})$")
_GROUP = re.compile(r"^([1-9][0-9]{0,4})(?:-([1-9][0-9]{0,4}))?$")


def sdk_errors(body) -> list[str]:
    if not isinstance(body, dict):
        return ["not an object"]
    out = [f"sdk: unknown key {k!r} (the SDK drops it)" for k in body if k not in _BODY_KEYS]
    rule = body.get("security_group_rule")
    if isinstance(rule, dict):
        out += [f"sdk: unknown key security_group_rule.{k} (the SDK drops it)"
                for k in rule if k not in _RULE_KEYS]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _SDK._deserialize(body, "CreateSecurityGroupRuleRequestBody")
        sent = json.loads(json.dumps(sanitize_for_serialization(model)))
    except (TypeError, ValueError) as e:
        return out + [f"sdk: {type(e).__name__}: {e}"]
    if not out and sent != body:
        out.append(f"sdk: the SDK would send {json.dumps(sent)} (types coerced)")
    return out


def multiport_errors(text) -> list[str]:
    """multiport: up to 20 comma-separated groups `p` or `lo-hi` (lo < hi), ports 1..65535
    without sign or leading zeros, groups not overlapping; all ports = omit it."""
    if not isinstance(text, str):
        return [f"multiport {text!r} is not a string"]
    groups = text.split(",")
    out = []
    if len(groups) > 20:
        out.append(f"multiport has {len(groups)} port groups (at most 20)")
    spans = []
    for g in groups:
        m = _GROUP.match(g)
        lo = int(m.group(1)) if m else 0
        hi = int(m.group(2)) if m and m.group(2) else lo
        if not m or hi > 65535 or lo > 65535:
            out.append(f"multiport group {g!r} is not a port 1-65535 or a range lo-hi")
        elif m.group(2) and lo >= hi:
            out.append(f"multiport range {g!r} is empty or a single port (write {lo})")
        else:
            spans.append((lo, hi))
    spans.sort()
    for (a_lo, a_hi), (b_lo, b_hi) in zip(spans, spans[1:]):
        if b_lo <= a_hi:
            out.append(f"multiport groups overlap: {a_lo}-{a_hi} and {b_lo}-{b_hi}")
    if spans == [(1, 65535)]:
        out.append("multiport 1-65535: omit multiport for all ports")
    return out


def rule_errors(rule: dict, target_group: str | None) -> list[str]:
    out = []
    gid = rule.get("security_group_id")
    if not is_uuid(gid) or (target_group and gid != target_group):
        out.append(f"security_group_id {gid!r} is not the target group's UUID")
    if rule.get("direction") not in ("ingress", "egress"):
        out.append(f"direction {rule.get('direction')!r} is not ingress/egress")
    eth = rule.get("ethertype", "IPv4")
    if eth not in ("IPv4", "IPv6"):
        out.append(f"ethertype {eth!r} is not IPv4/IPv6")
    proto = rule.get("protocol")
    if proto is not None:
        if proto in _NAMED:
            if _NAMED[proto] and _NAMED[proto] != eth:
                out.append(f"protocol {proto} needs ethertype {_NAMED[proto]}")
        elif not (isinstance(proto, str) and _NUMBER.match(proto) and int(proto) <= 255):
            out.append(f"protocol {proto!r} is not icmp/tcp/udp/icmpv6 or a number 0-255")
        elif proto in ("1", "6", "17", "58"):
            out.append(f"protocol {proto!r} has a name; write it")
    if "multiport" in rule:
        if proto not in ("tcp", "udp"):
            out.append(f"multiport on protocol {proto or 'all'} (ports are for tcp/udp)")
        out += multiport_errors(rule["multiport"])
    remotes = [k for k in ("remote_ip_prefix", "remote_group_id", "remote_address_group_id")
               if k in rule]
    if len(remotes) > 1:
        out.append(f"{' and '.join(remotes)} are mutually exclusive")
    if "remote_ip_prefix" in rule:
        _, err = network(rule["remote_ip_prefix"], eth)
        if err:
            out.append(f"remote_ip_prefix: {err}")
    for k in ("remote_group_id", "remote_address_group_id"):
        if k in rule and not is_id(rule[k]):
            out.append(f"{k} {rule[k]!r} is not an id")
    if rule.get("action", "allow") not in ("allow", "deny"):
        out.append(f"action {rule.get('action')!r} is not allow/deny")
    if "priority" in rule and not (is_int(rule["priority"]) and 1 <= rule["priority"] <= 100):
        out.append(f"priority {rule['priority']!r} is not an integer 1-100")
    if "priority" not in rule:
        out.append("priority missing (its default is documented as both 1 and 100)")
    d = rule.get("description")
    if d is not None and not (isinstance(d, str) and len(d) <= 255 and not set(d) & set("<>")):
        out.append("description is not a string of at most 255 characters without < >")
    if "enabled" in rule and not isinstance(rule["enabled"], bool):
        out.append(f"enabled {rule['enabled']!r} is not a boolean")
    return out


def validate(doc, target_group: str | None = None) -> list[str]:
    """Errors of one group's export: an array of create-rule request bodies."""
    if not isinstance(doc, list):
        return ["$: a Huawei export is an array of create-rule bodies"]
    out, seen = [], {}
    for i, body in enumerate(doc):
        errs = sdk_errors(body)
        rule = body.get("security_group_rule") if isinstance(body, dict) else None
        if not isinstance(rule, dict):
            errs.append("security_group_rule missing")
        elif not errs:
            errs = rule_errors(rule, target_group)
            key = json.dumps({k: v for k, v in rule.items() if k != "description"}, sort_keys=True)
            if key in seen:
                errs.append(f"duplicate of [{seen[key]}] (SecurityGroupRuleExists)")
            seen.setdefault(key, i)
        out += [f"[{i}] {e}" for e in errs]
    return out


_GID = "0552091e-b83a-49dd-88a7-4a5c86fd9ec3"
_RULE = {"security_group_id": _GID, "direction": "ingress", "ethertype": "IPv4",
         "protocol": "tcp", "multiport": "22", "action": "allow", "priority": 1}


def _neg(**changes):
    rule = {k: v for k, v in {**_RULE, **changes}.items() if v is not None}
    return [{"security_group_rule": rule}]


NEGATIVES = [
    ("huawei", "bad action enum", _neg(action="maybe")),
    ("huawei", "port 0", _neg(multiport="0")),
    ("huawei", "21-group multiport", _neg(multiport=",".join(str(p) for p in range(1, 22)))),
    ("huawei", "overlapping multiport", _neg(multiport="20-30,25")),
    ("huawei", "priority 101", _neg(priority=101)),
    ("huawei", "priority as string", _neg(priority="5")),
    ("huawei", "icmp with IPv6", _neg(protocol="icmp", multiport=None, ethertype="IPv6")),
    ("huawei", "prefix and remote group", _neg(remote_ip_prefix="10.0.0.0/8", remote_group_id=_GID)),
    ("huawei", "unknown key", _neg(port_range_min=22)),
]


def sdk_documents() -> list[tuple[str, str, str]]:
    """(label, sgconv provider, JSON text) written by the SDK: the bodies its client sends for
    a rule create and a batch create, and a list-rules response model it serialises."""
    with loopback.server(lambda method, path: {}) as (url, captured):
        client = (VpcClient.new_builder()
                  .with_credentials(BasicCredentials("AK", "SK", "060576782980d5762f9ec014dd2f1148"))
                  .with_endpoints([url]).build())
        client.create_security_group_rule(CreateSecurityGroupRuleRequest(
            body=CreateSecurityGroupRuleRequestBody(security_group_rule=CreateSecurityGroupRuleOption(
                security_group_id=_GID, direction="ingress", ethertype="IPv4", protocol="tcp",
                multiport="22,80,8000-8080", remote_ip_prefix="192.0.2.0/24", action="deny",
                priority=5, description="from the SDK"))))
        client.batch_create_security_group_rules(BatchCreateSecurityGroupRulesRequest(
            security_group_id=_GID, body=BatchCreateSecurityGroupRulesRequestBody(
                security_group_rules=[
                    BatchCreateSecurityGroupRulesOption(
                        direction="egress", ethertype="IPv6", protocol="icmpv6", priority=10),
                    BatchCreateSecurityGroupRulesOption(
                        direction="ingress", ethertype="IPv4", protocol="udp", multiport="53",
                        remote_group_id=_GID, action="allow", priority=1)])))
    docs = [(f"client {m} {p.split('?')[0]}", "huawei", body) for m, p, body in captured]
    listed = ListSecurityGroupRulesResponse(security_group_rules=[SecurityGroupRule(
        id="f626eb24-d8bd-4d26-ae0b-c16bb65730cb", project_id="060576782980d5762f9ec014dd2f1148",
        security_group_id=_GID, direction="ingress", ethertype="IPv6", protocol="tcp",
        multiport="443", remote_ip_prefix="2001:db8::/32", remote_group_id=None,
        remote_address_group_id=None, action="allow", priority=1, description="",
        created_at="2020-08-13T07:12:36Z", updated_at="2020-08-13T07:12:36Z", enabled=True)])
    docs.append(("ListSecurityGroupRulesResponse serialised", "huawei",
                 json.dumps(sanitize_for_serialization(listed))))
    return docs
