"""Scaleway Instance v1 (PyPI `scaleway` 2.12.0 + `scaleway-core`): sgconv's
`{"security_group": {...}, "rules": [...]}` — group create/update fields plus the set-rules
(PUT .../rules) request rules.

SDK layer: each rule is built as the SDK's `SetSecurityGroupRulesRequestRule(**rule)` and the
group as `UpdateSecurityGroupRequest(**fields)` (a TypeError on an unknown or missing field),
then marshalled by the SDK's own `marshal_*` functions; what they would send must equal the
document (null keys aside). The marshallers reject nothing else (bad enums, bad CIDRs and
port 99999 all pass), so the API's constraints, as the Instance API documents them
(https://www.scaleway.com/en/developers/api/instance/security-groups), are checked here:
upper-case TCP/UDP/ICMP/ANY (what the API returns; the SDK's enum is lower-case),
direction/action/policy enums, network address ip_range, the port rules (destination ports
only, one range, none on ICMP/ANY), positions >= 1 and distinct (one sequence across
directions), no `editable: false` (the API ignores such rules).
"""

import json

from scaleway import Client
from scaleway.instance.v1 import InstanceV1API
from scaleway.instance.v1.marshalling import (marshal_SetSecurityGroupRulesRequest,
                                              marshal_UpdateSecurityGroupRequest)
from scaleway.instance.v1.types import (SetSecurityGroupRulesRequest,
                                        SetSecurityGroupRulesRequestRule,
                                        UpdateSecurityGroupRequest)
from scaleway_core.profile import ProfileDefaults

from common import is_int, network, without_nulls
import loopback

_DEFAULTS = ProfileDefaults()
PROTOCOLS = {"TCP", "UDP", "ICMP", "ANY"}
POLICIES = {"accept", "drop"}
_ABSENT = {"editable": None, "dest_port_from": None, "dest_port_to": None}


def _sdk_rules(rules: list) -> list[str]:
    out, built = [], []
    for i, r in enumerate(rules):
        try:
            # Absent optional keys are absent, not the dataclass defaults (editable=False,
            # ports 0), which change the meaning on the wire: the API ignores a rule sent with
            # "editable": false.
            built.append(SetSecurityGroupRulesRequestRule(**{**_ABSENT, **r}))
        except TypeError as e:
            out.append(f"rules[{i}] sdk: {e}")
    if out:
        return out
    sent = marshal_SetSecurityGroupRulesRequest(
        SetSecurityGroupRulesRequest(security_group_id="sg", rules=built), _DEFAULTS)["rules"]
    for i, (r, s) in enumerate(zip(rules, json.loads(json.dumps(sent)))):
        if s != without_nulls(r):
            out.append(f"rules[{i}] sdk: the SDK would send {json.dumps(s)}")
    return out


def rule_errors(r: dict) -> list[str]:
    out = []
    proto = r.get("protocol")
    if proto not in PROTOCOLS:
        out.append(f"protocol {proto!r} is not TCP/UDP/ICMP/ANY")
    if r.get("direction") not in ("inbound", "outbound"):
        out.append(f"direction {r.get('direction')!r} is not inbound/outbound")
    if r.get("action") not in POLICIES:
        out.append(f"action {r.get('action')!r} is not accept/drop")
    _, err = network(r.get("ip_range"))
    if err:
        out.append(f"ip_range: {err}")
    lo, hi = r.get("dest_port_from"), r.get("dest_port_to")
    if proto in ("ICMP", "ANY"):
        if lo is not None or hi is not None:
            out.append(f"ports on {proto} (the API nulls them)")
    else:
        for v in (lo, hi):
            if v is not None and not (is_int(v) and 1 <= v <= 65535):
                out.append(f"port {v!r} is not an integer 1-65535")
        if hi is not None and lo is None:
            out.append("dest_port_to without dest_port_from")
        if is_int(lo) and is_int(hi) and hi <= lo:
            out.append(f"dest_port_to {hi} <= dest_port_from {lo} (a single port has to: null)")
        # 1-65535 is written only for that explicit range (all ports, port 0 included, is
        # null/null); Scaleway documents no rewriting of it.
    if not (is_int(r.get("position")) and r["position"] >= 1):
        out.append(f"position {r.get('position')!r} is not an integer >= 1")
    if r.get("editable") is False:
        out.append("editable: false (the API ignores the rule)")
    if "zone" in r:
        out.append("zone in a set-rules rule (ignored; the zone is in the URL)")
    return out


def group_errors(g) -> list[str]:
    if not isinstance(g, dict):
        return ["security_group is not an object"]
    try:
        built = UpdateSecurityGroupRequest(security_group_id="sg", **g)
    except TypeError as e:
        return [f"security_group sdk: {e}"]
    sent = json.loads(json.dumps(marshal_UpdateSecurityGroupRequest(built, _DEFAULTS)))
    out = [f"security_group.{k} sdk: the SDK would send {sent.get(k)!r}"
           for k, v in without_nulls(g).items() if sent.get(k) != v]
    for k in ("inbound_default_policy", "outbound_default_policy"):
        if g.get(k) not in POLICIES:
            out.append(f"security_group.{k} {g.get(k)!r} is not accept/drop")
    for k in ("stateful", "enable_default_security"):
        if k in g and not isinstance(g[k], bool):
            out.append(f"security_group.{k} is not a boolean")
    if "stateful" not in g:
        out.append("security_group.stateful missing (always send it)")
    for k in ("name", "description"):
        if k in g and not isinstance(g[k], str):
            out.append(f"security_group.{k} is not a string")
    if "tags" in g and not (isinstance(g["tags"], list) and all(isinstance(t, str) for t in g["tags"])):
        out.append("security_group.tags is not a list of strings")
    return out


def validate(doc) -> list[str]:
    """Errors of one group's export."""
    if not isinstance(doc, dict) or set(doc) != {"security_group", "rules"}:
        return ["$: a Scaleway export is {security_group: {...}, rules: [...]}"]
    if not isinstance(doc["rules"], list) or not all(isinstance(r, dict) for r in doc["rules"]):
        return ["rules is not an array of objects"]
    out = group_errors(doc["security_group"]) + _sdk_rules(doc["rules"])
    positions = {}
    for i, r in enumerate(doc["rules"]):
        out += [f"rules[{i}] {e}" for e in rule_errors(r)]
        p = r.get("position")
        if p in positions:
            out.append(f"rules[{i}] position {p} already used by rules[{positions[p]}]")
        positions.setdefault(p, i)
    return out


_GROUP = {"name": "web", "stateful": True, "inbound_default_policy": "drop",
          "outbound_default_policy": "accept"}
_RULE = {"action": "accept", "protocol": "TCP", "direction": "inbound", "ip_range": "0.0.0.0/0",
         "dest_port_from": 22, "dest_port_to": None, "position": 1}
NEGATIVES = [
    ("scaleway", "bad protocol enum", {"security_group": _GROUP, "rules": [{**_RULE, "protocol": "SCTP"}]}),
    ("scaleway", "port 0", {"security_group": _GROUP, "rules": [{**_RULE, "dest_port_from": 0}]}),
    ("scaleway", "editable false", {"security_group": _GROUP, "rules": [{**_RULE, "editable": False}]}),
    ("scaleway", "duplicate positions", {"security_group": _GROUP, "rules": [
        _RULE, {**_RULE, "direction": "outbound"}]}),
    ("scaleway", "ip_range host bits", {"security_group": _GROUP, "rules": [{**_RULE, "ip_range": "10.0.0.1/8"}]}),
    ("scaleway", "bad policy enum", {"security_group": {**_GROUP, "inbound_default_policy": "deny"}, "rules": []}),
    ("scaleway", "unknown rule key", {"security_group": _GROUP, "rules": [{**_RULE, "description": "x"}]}),
]


def sdk_documents() -> list[tuple[str, str, str, list[str]]]:
    """(label, sgconv provider, JSON text, extra sgconv arguments) written by the SDK's client:
    a set-rules body (a bare rule list, so it needs the default policies) and a group create."""
    def reply(method, path):
        if path.endswith("/rules"):
            return {"rules": []}
        return {"security_group": {"id": "sg", "name": "sdk", "description": None}}

    with loopback.server(reply) as (url, captured):
        api = InstanceV1API(Client(access_key="SCWXXXXXXXXXXXXXXXXX",
                                   secret_key="11111111-1111-4111-8111-111111111111",
                                   api_url=url, api_allow_insecure=True, default_zone="fr-par-1",
                                   default_project_id="105bdce1-64c0-48ab-899d-868455867ecf"))
        # editable=None: the dataclass default False makes the API ignore the rule.
        api.set_security_group_rules(security_group_id="sg", rules=[
            SetSecurityGroupRulesRequestRule(
                action="drop", protocol="TCP", direction="inbound", ip_range="198.51.100.0/24",
                position=1, dest_port_from=22, dest_port_to=None, editable=None),
            SetSecurityGroupRulesRequestRule(
                action="accept", protocol="TCP", direction="inbound", ip_range="0.0.0.0/0",
                position=2, dest_port_from=8000, dest_port_to=8080, editable=None),
            SetSecurityGroupRulesRequestRule(
                action="accept", protocol="icmp", direction="inbound", ip_range="::/0",
                position=3, dest_port_from=None, dest_port_to=None, editable=None)])
        api.create_security_group(name="sdk-web", description="from the SDK", stateful=True,
                                  inbound_default_policy="drop", outbound_default_policy="accept")
    flags = ["--inbound-default", "drop", "--outbound-default", "accept", "--stateful", "true"]
    out = []
    for m, p, body in captured:
        if p.endswith("/rules"):
            out.append((f"client {m} {p}", "scaleway", body, flags))
        else:
            # A group object alone is refused (its rules come separately): a new group is
            # given with its (empty) rule list.
            wrapped = json.dumps({"security_group": json.loads(body), "rules": []})
            out.append((f"client {m} {p} with rules []", "scaleway", wrapped, []))
    return out
