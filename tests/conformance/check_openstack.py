"""OpenStack Neutron (PyPI `openstacksdk` 4.22.0): sgconv's `{security_group: {...},
security_group_rules: [...]}` — the group create body (`POST /v2.0/security-groups`) and the
bulk rule create body (`POST /v2.0/security-group-rules`).

SDK layer: every key must be a body attribute that the SDK's resource models declare
(`openstack.network.v2.security_group.SecurityGroup` and `security_group_rule.SecurityGroupRule`,
their `_body_mapping()`); the SDK itself passes unknown keys on to the API, so this is checked
here. Each body is then sent by the SDK's network proxy (`create_security_group`,
`create_security_group_rules`) to a loopback stub, and what it sends must be the document.
API layer, as the Networking API reference documents the create requests
(https://docs.openstack.org/api-ref/network/v2/#create-security-group and
#create-security-group-rule): only the request attributes (the SDK models also list read-only
ones: id, timestamps, revision_number, tags), `direction` and `ethertype` enums, `protocol`
null, a neutron-lib name or a number 0-255, `security_group_id` given, `stateful` a boolean,
name/description lengths, and Neutron's own rule checks (`neutron.py`).

Not checked: a rule equal to one of the two allow-all egress rules Neutron adds to every new
group would be refused as a duplicate (409 SecurityGroupRuleExists) when the bulk body is sent
right after the group create; sgconv writes the group's whole rule set and reports those
default rules as the target's born-with rules.
"""

import json

from keystoneauth1 import noauth, session
import openstack.connection
from openstack.network.v2.security_group import SecurityGroup
from openstack.network.v2.security_group_rule import SecurityGroupRule

from common import is_int, is_uuid, without_nulls
import loopback
import neutron

_SDK_GROUP = set(SecurityGroup._body_mapping())
_SDK_RULE = set(SecurityGroupRule._body_mapping())
# The create requests' attributes (API reference); the rest of the models' are read-only.
_CREATE_GROUP = {"name", "description", "stateful", "project_id", "tenant_id"}
_CREATE_RULE = {"security_group_id", "direction", "ethertype", "protocol", "port_range_min",
                "port_range_max", "remote_ip_prefix", "remote_group_id",
                "remote_address_group_id", "description", "project_id", "tenant_id"}


def _connection(url: str):
    sess = session.Session(auth=noauth.NoAuth(endpoint=url))
    return openstack.connection.Connection(session=sess, network_endpoint_override=url,
                                           network_api_version="2")


def _reply(base: list[str]):
    """The stub's answers: Neutron's version document for discovery, then echoes."""
    def reply(method, path):
        if method == "GET":
            return {"versions": [{"id": "v2.0", "status": "CURRENT",
                                  "links": [{"href": f"{base[0]}/v2.0/", "rel": "self"}]}]}
        if path.endswith("/security-group-rules"):
            return {"security_group_rules": []}
        return {"security_group": {"id": "6ca078f6-1f69-49dd-b71e-bc7440244298"}}
    return reply


def _sent(group: dict, rules: list) -> list[str]:
    """Send both bodies with the SDK's proxy (to a stub): what it puts on the wire must be
    the document."""
    base: list[str] = []
    with loopback.server(_reply(base)) as (url, captured):
        base.append(url)
        try:
            conn = _connection(url)
            conn.network.create_security_group(**group)
            if rules:
                list(conn.network.create_security_group_rules(rules))
        except Exception as e:  # noqa: BLE001 - any refusal of the SDK is the finding
            return [f"openstacksdk client: {type(e).__name__}: {e}"]
    bodies = {path.split("?")[0]: json.loads(body) for method, path, body in captured
              if method == "POST"}
    out = []
    if bodies.get("/v2.0/security-groups") != {"security_group": group}:
        out.append(f"the SDK sent the group as {bodies.get('/v2.0/security-groups')}")
    if rules and bodies.get("/v2.0/security-group-rules") != {"security_group_rules": rules}:
        out.append(f"the SDK sent the rules as {bodies.get('/v2.0/security-group-rules')}")
    return out


def _keys(o: dict, sdk: set, create: set, what: str) -> list[str]:
    out = [f"{what}: {k!r} is not an attribute of the SDK's model" for k in sorted(set(o) - sdk)]
    out += [f"{what}: {k!r} is not a create attribute (read-only)"
            for k in sorted((set(o) & sdk) - create)]
    return out


def group_errors(g) -> list[str]:
    if not isinstance(g, dict):
        return ["security_group is not an object"]
    out = _keys(g, _SDK_GROUP, _CREATE_GROUP, "security_group")
    if "stateful" in g and not isinstance(g["stateful"], bool):
        out.append(f"security_group.stateful {g['stateful']!r} is not a boolean")
    for k in ("name", "description"):
        if k in g and not (isinstance(g[k], str) and len(g[k]) <= 255):
            out.append(f"security_group.{k} is not a string of at most 255 characters")
    return out


def protocol_errors(proto) -> list[str]:
    if proto is None or proto in neutron.PROTOCOL_NAMES:
        return []
    if isinstance(proto, str) and proto.isdigit() and str(int(proto)) == proto and int(proto) <= 255:
        return []
    return [f"protocol {proto!r} is not null, a neutron-lib protocol name or a number 0-255"]


def rule_errors(r) -> list[str]:
    if not isinstance(r, dict):
        return ["not an object"]
    out = _keys(r, _SDK_RULE, _CREATE_RULE, "rule")
    if r.get("direction") not in ("ingress", "egress"):
        out.append(f"direction {r.get('direction')!r} is not ingress/egress")
    if r.get("ethertype", "IPv4") not in ("IPv4", "IPv6"):
        out.append(f"ethertype {r.get('ethertype')!r} is not IPv4/IPv6")
    if not is_uuid(r.get("security_group_id")):
        out.append(f"security_group_id {r.get('security_group_id')!r} is not a group id")
    for k in ("port_range_min", "port_range_max"):
        if r.get(k) is not None and not is_int(r[k]):
            out.append(f"{k} {r[k]!r} is not an integer")
    out += protocol_errors(r.get("protocol"))
    return out if out else neutron.rule_errors(r)


def validate(doc) -> list[str]:
    """Errors of one group's export."""
    if not (isinstance(doc, dict) and set(doc) == {"security_group", "security_group_rules"}):
        return ["$: an OpenStack export is {security_group: {...}, security_group_rules: [...]}"]
    rules = doc["security_group_rules"]
    if not isinstance(rules, list):
        return ["security_group_rules is not an array"]
    out, seen = group_errors(doc["security_group"]), {}
    for i, r in enumerate(rules):
        errs = rule_errors(r)
        if not errs:
            key = neutron.identity(r)
            if key in seen:
                errs.append(f"duplicate of [{seen[key]}] (SecurityGroupRuleExists)")
            seen.setdefault(key, i)
        out += [f"security_group_rules[{i}] {e}" for e in errs]
    if not out:
        out = _sent(doc["security_group"], rules)
    return out


_GID = "0552091e-b83a-49dd-88a7-4a5c86fd9ec3"
_GROUP = {"name": "web", "stateful": True}
_RULE = {"security_group_id": _GID, "direction": "ingress", "ethertype": "IPv4",
         "protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
         "remote_ip_prefix": "10.0.0.0/8"}


def _neg(**changes):
    rule = {k: v for k, v in {**_RULE, **changes}.items() if v != "-"}
    return {"security_group": _GROUP, "security_group_rules": [rule]}


NEGATIVES = [
    ("openstack", "bad direction enum", _neg(direction="inbound")),
    ("openstack", "bad ethertype", _neg(ethertype="ipv4")),
    ("openstack", "unknown protocol name", _neg(protocol="TCP")),
    ("openstack", "protocol 256", _neg(protocol="256", port_range_min="-", port_range_max="-")),
    ("openstack", "port 0", _neg(port_range_min=0)),
    ("openstack", "port as string", _neg(port_range_min="22")),
    ("openstack", "ports on gre", _neg(protocol="gre")),
    ("openstack", "ICMP code without type", _neg(protocol="icmp", port_range_min=None, port_range_max=0)),
    ("openstack", "two remotes", _neg(remote_group_id=_GID)),
    ("openstack", "IPv6 prefix on IPv4", _neg(remote_ip_prefix="2001:db8::/32")),
    ("openstack", "no security_group_id", _neg(security_group_id="-")),
    ("openstack", "unknown rule key", _neg(action="allow")),
    ("openstack", "read-only rule key", _neg(id="f626eb24-d8bd-4d26-ae0b-c16bb65730cb")),
    ("openstack", "duplicate rule", {"security_group": _GROUP, "security_group_rules": [
        _RULE, {**_RULE, "description": "again"}]}),
    ("openstack", "stateful as string", {"security_group": {"stateful": "true"},
                                         "security_group_rules": []}),
    ("openstack", "unknown group key", {"security_group": {**_GROUP, "rules": []},
                                        "security_group_rules": []}),
]


def sdk_documents() -> list[tuple[str, str, str]]:
    """(label, sgconv provider, JSON text) written by the SDK: the bodies its network proxy
    sends for a group create, one rule create and a bulk rule create, and a rule the SDK's
    model builds from its attributes (`_prepare_request`)."""
    base: list[str] = []
    with loopback.server(_reply(base)) as (url, captured):
        base.append(url)
        conn = _connection(url)
        conn.network.create_security_group(name="sdk-web", description="from the SDK",
                                           stateful=False)
        conn.network.create_security_group_rule(
            security_group_id=_GID, direction="ingress", ether_type="IPv6", protocol="tcp",
            port_range_min=8080, port_range_max=8090, remote_ip_prefix="2001:db8::/32",
            description="from the SDK")
        list(conn.network.create_security_group_rules([
            {"security_group_id": _GID, "direction": "egress", "ethertype": "IPv4",
             "protocol": "icmp", "port_range_min": 8, "port_range_max": 0,
             "remote_group_id": _GID},
            {"security_group_id": _GID, "direction": "ingress", "ethertype": "IPv4",
             "protocol": "udp", "port_range_min": 53, "port_range_max": 53,
             "remote_address_group_id": "a3b1f5c2-1d2e-4f60-9a7b-8c9d0e1f2a3b"}]))
    docs = [(f"client {m} {p}", "openstack", body) for m, p, body in captured if m == "POST"]
    rule = SecurityGroupRule.new(
        id="f626eb24-d8bd-4d26-ae0b-c16bb65730cb", security_group_id=_GID, direction="ingress",
        ether_type="IPv4", protocol="112", remote_ip_prefix="192.0.2.0/24",
        created_at="2024-01-02T03:04:05Z", revision_number=1)
    body = rule._prepare_request(requires_id=False, prepend_key=True).body
    docs.append(("SecurityGroupRule model request body", "openstack",
                 json.dumps({k: without_nulls(v) for k, v in body.items()})))
    return docs
