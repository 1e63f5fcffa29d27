"""Azure network security groups (PyPI `azure-mgmt-network` 33.1.0, with `azure-mgmt-core` and
`azure-core`): sgconv's NSG resource `{name, tags, properties: {securityRules: [...]}}`.

SDK layer: the document is deserialised into the SDK's `NetworkSecurityGroup` model and every
key is checked against the REST fields its models declare (`NetworkSecurityGroup`,
`NetworkSecurityGroupPropertiesFormat`, `SecurityRule`, `SecurityRulePropertiesFormat`,
`ApplicationSecurityGroup`): unknown keys, read-only fields (the NSG's `name` aside, which the
client puts in the URL), the fields the models make required (`protocol`, `access`,
`priority`, `direction`) and the values of the SDK's enums (`SecurityRuleProtocol`,
`SecurityRuleAccess`, `SecurityRuleDirection`). The 33.x models are TypeSpec-generated
(`azure.mgmt.network._utils.model_base`): they have no msrest `validate()`, so these checks read
the models' declarations. The NSG is then sent by `NetworkManagementClient.network_security_groups
.begin_create_or_update` to a loopback stub, and what the client sends must be the document.
API layer, as the REST reference and the overview document it
(https://learn.microsoft.com/en-us/rest/api/virtualnetwork/security-rules/create-or-update,
https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview,
https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork,
https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/azure-subscription-service-limits#networking-limits):
priorities 100-4096 unique per direction, rule names (1-80 characters, unique), port texts
(`*`, `N`, `N-M` in 0-65535; the singular or the plural field, never both; ports only on Tcp,
Udp and `*`), addresses (`*`, a network address, a service tag, or application security
groups, one kind per side; the plural prefixes hold addresses only, 4,000 at most; no rule
mixing IPv4 and IPv6 addresses), descriptions of 140 characters, 1,000 rules per NSG.

Not checked: `location`, which ARM needs when a PUT creates the NSG; sgconv carries none (the
target region is the user's), so the document updates an existing NSG or is deployed with one.
"""

import json
import re
import typing

from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network import models

from common import is_int, network
import loopback

_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$")
# A service tag's name; an address set id of another cloud carried in its place has the shape
# of an id (sgconv reports it for the user to map), so only the shape is checked (see is_id).
_TAG = re.compile(r"^(?![0-9.]*$)[^\s/:*]+$")
_ASG = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
                  r"Microsoft\.Network/applicationSecurityGroups/[^/]+$", re.IGNORECASE)
_PORT = re.compile(r"^(0|[1-9][0-9]{0,4})(-(0|[1-9][0-9]{0,4}))?$")
_ENUMS = {"protocol": models.SecurityRuleProtocol, "access": models.SecurityRuleAccess,
          "direction": models.SecurityRuleDirection}


def _fields(cls) -> dict[str, tuple[bool, bool]]:
    """A model's REST fields: rest name -> (read-only, required), from the SDK's declarations."""
    cls()  # the model computes its field table when first built
    notes = {k: v for c in reversed(cls.__mro__) for k, v in getattr(c, "__annotations__", {}).items()}
    out = {}
    for attr, rf in cls._attr_to_rest_field.items():
        read_only = rf._visibility == ["read"]
        required = type(None) not in typing.get_args(notes.get(attr, typing.Optional[str]))
        out[rf._rest_name] = (read_only, required)
    return out


_NSG = _fields(models.NetworkSecurityGroup)
_NSG_PROPS = _fields(models.NetworkSecurityGroupPropertiesFormat)
_RULE = _fields(models.SecurityRule)
_RULE_PROPS = _fields(models.SecurityRulePropertiesFormat)
_ASG_FIELDS = _fields(models.ApplicationSecurityGroup)


def _model_errors(o, fields: dict, at: str, allowed_read_only=()) -> list[str]:
    if not isinstance(o, dict):
        return [f"{at}: not an object"]
    out = [f"{at}: {k!r} is not a field of the SDK's model" for k in o if k not in fields]
    out += [f"{at}: {k!r} is read-only in the SDK's model" for k in o
            if fields.get(k, (False, False))[0] and k not in allowed_read_only]
    out += [f"{at}: {k!r} is required by the SDK's model" for k, (_, req) in fields.items()
            if req and k not in o]
    return out


def sdk_errors(doc) -> list[str]:
    out = _model_errors(doc, _NSG, "$", allowed_read_only=("name",))
    props = doc.get("properties") if isinstance(doc, dict) else None
    out += _model_errors(props, _NSG_PROPS, "properties")
    rules = props.get("securityRules") if isinstance(props, dict) else None
    if not isinstance(rules, list):
        return out + ["properties.securityRules is not an array"]
    for i, r in enumerate(rules):
        at = f"securityRules[{i}]"
        out += _model_errors(r, _RULE, at)
        p = r.get("properties") if isinstance(r, dict) else None
        out += _model_errors(p, _RULE_PROPS, f"{at}.properties")
        if not isinstance(p, dict):
            continue
        for k, enum in _ENUMS.items():
            if k in p and p[k] not in [e.value for e in enum]:
                out.append(f"{at}.properties.{k} {p[k]!r} is not one of the SDK's "
                           f"{enum.__name__} values {[e.value for e in enum]}")
        for side in ("source", "destination"):
            for j, asg in enumerate(p.get(f"{side}ApplicationSecurityGroups") or []):
                out += _model_errors(asg, _ASG_FIELDS, f"{at}.properties.{side}ApplicationSecurityGroups[{j}]")
    return out


class _Token:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("token", 4102444800)


def _client(url: str) -> NetworkManagementClient:
    return NetworkManagementClient(_Token(), _SUBSCRIPTION, base_url=url,
                                   authentication_policy=SansIOHTTPPolicy())


def _sent(doc: dict) -> list[str]:
    """PUT the NSG with the SDK's client (to a stub): what it sends must be the document (the
    name goes into the URL)."""
    name = doc.get("name") or "nsg"
    body = {k: v for k, v in doc.items() if k != "name"}
    with loopback.server(lambda method, path: doc) as (url, captured):
        try:
            _client(url).network_security_groups.begin_create_or_update(
                "rg", name, models.NetworkSecurityGroup(doc), polling=False).result()
        except Exception as e:  # noqa: BLE001 - any refusal of the client is the finding
            return [f"azure-mgmt-network client: {type(e).__name__}: {e}"]
    puts = [json.loads(b) for m, _, b in captured if m == "PUT"]
    if puts != [body]:
        return [f"the client sent {puts}, not the document"]
    return []


def _ports(p: dict, side: str, at: str) -> tuple[list[str], bool]:
    """Errors of one side's ports, and whether they are all ports."""
    one, many = p.get(f"{side}PortRange"), p.get(f"{side}PortRanges")
    if one is not None and many:
        return [f"{at}: {side}PortRange and {side}PortRanges both given"], False
    texts = [one] if one is not None else (many or [])
    if not texts:
        return [f"{at}: no {side} port range"], False
    if not all(isinstance(t, str) for t in texts):
        return [f"{at}: {side} ports are not strings"], False
    if texts == ["*"]:
        return [], True
    out = []
    for t in texts:
        m = _PORT.match(t)
        if not m:
            out.append(f"{at}: {side} port {t!r} is not *, N or N-M")
            continue
        lo, hi = int(m.group(1)), int(m.group(3) or m.group(1))
        if not lo <= hi <= 65535:
            out.append(f"{at}: {side} port {t!r} is not a range in 0-65535")
    return out, False


def _addresses(p: dict, side: str, at: str) -> tuple[list[str], set[int]]:
    """Errors of one side's addresses, and the IP versions it names."""
    one = p.get(f"{side}AddressPrefix")
    many = p.get(f"{side}AddressPrefixes") or []
    asgs = p.get(f"{side}ApplicationSecurityGroups") or []
    given = [k for k, v in (("prefix", one), ("prefixes", many), ("application security groups", asgs)) if v]
    if len(given) != 1:
        return [f"{at}: the {side} needs exactly one of a prefix, prefixes or application "
                f"security groups, found {given or 'none'}"], set()
    out, versions = [], set()
    if one is not None:
        if not isinstance(one, str):
            return [f"{at}: {side}AddressPrefix is not a string"], set()
        if one != "*" and not _TAG.match(one):
            net, err = network(one if "/" in one else f"{one}/{32 if ':' not in one else 128}")
            if err:
                out.append(f"{at}: {side}AddressPrefix {one!r} is not *, a network address or a service tag")
            else:
                versions.add(net.version)
    if len(many) > 4000:
        out.append(f"{at}: {len(many)} {side} prefixes; Azure allows 4,000")
    for t in many:
        net, err = network(t if isinstance(t, str) and "/" in t else f"{t}/{32 if ':' not in str(t) else 128}")
        if err:
            out.append(f"{at}: {side}AddressPrefixes holds {t!r}, not a network address")
        else:
            versions.add(net.version)
    for asg in asgs:
        if not (isinstance(asg, dict) and isinstance(asg.get("id"), str) and _ASG.match(asg["id"])):
            out.append(f"{at}: {side} application security group {asg!r} is not a resource id")
    return out, versions


def rule_errors(p: dict, at: str) -> list[str]:
    out = []
    if not (is_int(p.get("priority")) and 100 <= p["priority"] <= 4096):
        out.append(f"{at}: priority {p.get('priority')!r} is not an integer 100-4096")
    d = p.get("description")
    if d is not None and not (isinstance(d, str) and len(d) <= 140):
        out.append(f"{at}: description is not a string of at most 140 characters")
    errs, _ = _ports(p, "source", at)
    out += errs
    errs, any_port = _ports(p, "destination", at)
    out += errs
    if not errs and not any_port and p.get("protocol") not in ("Tcp", "Udp", "*"):
        out.append(f"{at}: destination ports on protocol {p.get('protocol')!r}, which has none")
    versions = set()
    for side in ("source", "destination"):
        errs, v = _addresses(p, side, at)
        out += errs
        versions |= v
    if len(versions) > 1:
        out.append(f"{at}: IPv4 and IPv6 addresses in one rule")
    return out


def validate(doc) -> list[str]:
    """Errors of one group's export: an NSG resource."""
    if not isinstance(doc, dict):
        return ["$: an Azure export is an NSG resource object"]
    out = sdk_errors(doc)
    if out:
        return out
    rules = doc["properties"]["securityRules"]
    if len(rules) > 1000:
        out.append(f"{len(rules)} rules; an NSG holds 1,000")
    names, priorities = {}, {}
    for i, r in enumerate(rules):
        at = f"securityRules[{i}]"
        name, p = r.get("name"), r["properties"]
        if not (isinstance(name, str) and _NAME.match(name)):
            out.append(f"{at}: name {name!r} is not 1-80 characters of letters, digits, . _ -")
        elif name.lower() in names:
            out.append(f"{at}: name {name!r} already used by securityRules[{names[name.lower()]}]")
        else:
            names[name.lower()] = i
        out += rule_errors(p, at)
        key = (p.get("direction"), p.get("priority"))
        if key in priorities:
            out.append(f"{at}: priority {key[1]} already used by securityRules[{priorities[key]}] "
                       f"({key[0]})")
        priorities.setdefault(key, i)
    if not out:
        out = _sent(doc)
    return out


_PROPS = {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22",
          "sourceAddressPrefix": "10.0.0.0/8", "destinationAddressPrefix": "*",
          "access": "Allow", "priority": 100, "direction": "Inbound"}


def _neg(**changes):
    props = {k: v for k, v in {**_PROPS, **changes}.items() if v != "-"}
    return {"name": "web", "properties": {"securityRules": [{"name": "r1", "properties": props}]}}


NEGATIVES = [
    ("azure-nsg", "bad protocol enum", _neg(protocol="Gre")),
    ("azure-nsg", "lower-case access", _neg(access="allow")),
    ("azure-nsg", "priority 99", _neg(priority=99)),
    ("azure-nsg", "priority 4097", _neg(priority=4097)),
    ("azure-nsg", "priority as string", _neg(priority="100")),
    ("azure-nsg", "no direction", _neg(direction="-")),
    ("azure-nsg", "port 65536", _neg(destinationPortRange="65536")),
    ("azure-nsg", "reversed range", _neg(destinationPortRange="80-22")),
    ("azure-nsg", "port range and ranges", _neg(destinationPortRanges=["80", "443"])),
    ("azure-nsg", "ports on Icmp", _neg(protocol="Icmp")),
    ("azure-nsg", "no source address", _neg(sourceAddressPrefix="-")),
    ("azure-nsg", "host bits", _neg(sourceAddressPrefix="10.0.0.1/8")),
    ("azure-nsg", "tag in prefixes", _neg(sourceAddressPrefix="-", sourceAddressPrefixes=["Internet"])),
    ("azure-nsg", "mixed families", _neg(destinationAddressPrefix="2001:db8::/32")),
    ("azure-nsg", "unknown rule key", _neg(sourcePorts="*")),
    ("azure-nsg", "read-only key", _neg(provisioningState="Succeeded")),
    ("azure-nsg", "description of 141", _neg(description="x" * 141)),
    ("azure-nsg", "same priority twice", {"properties": {"securityRules": [
        {"name": "a", "properties": _PROPS}, {"name": "b", "properties": _PROPS}]}}),
    ("azure-nsg", "bad rule name", {"properties": {"securityRules": [
        {"name": "-a", "properties": _PROPS}]}}),
    ("azure-nsg", "unknown NSG key", {"name": "web", "rules": [],
                                      "properties": {"securityRules": []}}),
]

_GET = {
    "name": "sdk-nsg", "location": "westus", "etag": "W/\"00000000-0000-0000-0000-000000000000\"",
    "id": f"/subscriptions/{_SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/sdk-nsg",
    "type": "Microsoft.Network/networkSecurityGroups",
    "properties": {"provisioningState": "Succeeded", "securityRules": [
        {"name": "ssh", "properties": {
            "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRanges": ["22", "2200-2210"],
            "sourceAddressPrefixes": ["192.0.2.0/24", "198.51.100.7"], "destinationAddressPrefix": "*",
            "access": "Allow", "priority": 130, "direction": "Inbound", "provisioningState": "Succeeded"}},
        {"name": "no-internet", "properties": {
            "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
            "sourceAddressPrefix": "*", "destinationAddressPrefix": "Internet",
            "access": "Deny", "priority": 4000, "direction": "Outbound"}}]},
}


def sdk_documents() -> list[tuple[str, str, str]]:
    """(label, sgconv provider, JSON text) written by the SDK: the bodies its client sends for
    an NSG create and one rule create, and a GET response it parses, serialised by its model."""
    with loopback.server(lambda method, path: _GET) as (url, captured):
        client = _client(url)
        client.network_security_groups.begin_create_or_update("rg", "sdk-nsg", models.NetworkSecurityGroup(
            location="westus", tags={"team": "net"}, security_rules=[models.SecurityRule(
                name="web", protocol="Tcp", source_port_range="*", destination_port_range="443",
                source_address_prefix="Internet", destination_address_prefix="*",
                access="Allow", priority=100, direction="Inbound", description="from the SDK")]),
            polling=False).result()
        client.security_rules.begin_create_or_update("rg", "sdk-nsg", "dns", models.SecurityRule(
            protocol="Udp", source_port_range="*", destination_port_range="53",
            source_address_prefix="*", destination_address_prefix="2001:db8::/32",
            access="Deny", priority=200, direction="Outbound"), polling=False).result()
        got = client.network_security_groups.get("rg", "sdk-nsg")
    docs = [(f"client {m} {p.split('?')[0].rsplit('/', 2)[-2]}", "azure-nsg", body)
            for m, p, body in captured if m == "PUT"]
    docs.append(("NetworkSecurityGroup parsed by the client, as_dict()", "azure-nsg",
                 json.dumps(got.as_dict())))
    return docs
