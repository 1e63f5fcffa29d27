"""AWS EC2 (PyPI `botocore` 1.44.18, the AWS CLI's and boto3's core): sgconv's `describe`
export `{"SecurityGroups": [...]}` and its `authorize` export
`{"AuthorizeSecurityGroupIngress": body, "AuthorizeSecurityGroupEgress": body}`.

SDK layer: botocore's own parameter validator (`botocore.validate.ParamValidator`, what every
client call runs before it sends) checks the documents against the EC2 service model
(`botocore/data/ec2/2016-11-15/service-2.json`): the describe export against
`DescribeSecurityGroupsResult`, every group's two permission lists and each authorize body
against `AuthorizeSecurityGroupIngressRequest` / `AuthorizeSecurityGroupEgressRequest` (unknown
keys, JSON types, required members). Each body is then sent by a botocore EC2 client to a
loopback stub, so it goes through the serialiser the AWS CLI uses for `--cli-input-json`.
What the model does not state is checked as the EC2 API reference documents it
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html and the
`IpRange`, `Ipv6Range`, `UserIdGroupPair`, `PrefixListId` pages): protocol names or numbers,
tcp/udp port ranges 0-65535 with FromPort <= ToPort, ICMP type/code -1..255 (a -1 type needs
a -1 code), no port range where AWS ignores it, at least one peer per permission, network
addresses of the list's family (and of the ICMP version's), descriptions of at most 255
characters of the documented set, no duplicate peer (InvalidPermission.Duplicate).
"""

import json
import re

import botocore.session
from botocore.validate import ParamValidator

from common import is_id, is_int, network
import loopback

_SESSION = botocore.session.get_session()
_MODEL = _SESSION.get_service_model("ec2")
_VALIDATOR = ParamValidator()
_NUMBER = re.compile(r"^(0|[1-9][0-9]{0,2})$")
_DESCRIPTION = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$")
_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _shape_errors(value, shape_name: str, label: str) -> list[str]:
    shape = _MODEL.shape_for(shape_name)
    report = _VALIDATOR.validate(value, shape)
    if not report.has_errors():
        return []
    return [f"botocore ({shape_name}) {label}: {line.strip()}"
            for line in report.generate_report().splitlines() if line.strip()]


def _client(url: str):
    return _SESSION.create_client("ec2", region_name="us-east-1", endpoint_url=url,
                                  aws_access_key_id="AK", aws_secret_access_key="SK")


def _sent(operation: str, body: dict) -> list[str]:
    """Send `body` with a botocore client (to a stub): what the CLI does with it."""
    reply = (f'<{operation}Response xmlns="{_NS}"><requestId>r</requestId>'
             f'<return>true</return></{operation}Response>').encode()
    with loopback.server(lambda method, path: reply) as (url, captured):
        method = re.sub(r"(?<!^)([A-Z])", r"_\1", operation).lower()
        try:
            getattr(_client(url), method)(**body)
        except Exception as e:  # noqa: BLE001 - any refusal of the client is the finding
            return [f"botocore client {operation}: {type(e).__name__}: {e}"]
    return [] if captured else [f"botocore client {operation}: nothing sent"]


def permission_errors(p, direction: str) -> list[str]:
    if not isinstance(p, dict):
        return ["not an object"]
    out = []
    proto = p.get("IpProtocol")
    lo, hi = p.get("FromPort"), p.get("ToPort")
    if proto in ("tcp", "udp"):
        if not (is_int(lo) and is_int(hi) and 0 <= lo <= hi <= 65535):
            out.append(f"{proto} needs FromPort <= ToPort in 0..65535, got {lo!r}-{hi!r}")
    elif proto in ("icmp", "icmpv6"):
        if lo is None and hi is None and proto == "icmpv6":
            pass
        elif not (is_int(lo) and is_int(hi) and -1 <= lo <= 255 and -1 <= hi <= 255):
            out.append(f"{proto} type/code must be -1..255, got {lo!r}/{hi!r}")
        elif lo == -1 and hi != -1:
            out.append(f"ICMP type -1 needs code -1, got {hi!r}")
    elif proto == "-1" or (isinstance(proto, str) and _NUMBER.match(proto) and int(proto) <= 255):
        if lo is not None or hi is not None:
            out.append(f"ports on protocol {proto}, which AWS ignores (every port is allowed)")
    else:
        out.append(f"IpProtocol {proto!r} is not tcp, udp, icmp, icmpv6, a number or -1")
    peers = 0
    for key, cidr_key, family in (("IpRanges", "CidrIp", "IPv4"), ("Ipv6Ranges", "CidrIpv6", "IPv6")):
        for i, r in enumerate(p.get(key) or []):
            peers += 1
            _, err = network(r.get(cidr_key), family)
            if err:
                out.append(f"{key}[{i}]: {err}")
            if (proto, family) in (("icmp", "IPv6"), ("icmpv6", "IPv4")):
                out.append(f"{key}[{i}]: {proto} with an {family} range")
            out += _description(r, f"{key}[{i}]")
    for i, g in enumerate(p.get("UserIdGroupPairs") or []):
        peers += 1
        if not is_id(g.get("GroupId")):
            out.append(f"UserIdGroupPairs[{i}]: GroupId {g.get('GroupId')!r}")
        if "UserId" in g and not is_id(g["UserId"]):
            out.append(f"UserIdGroupPairs[{i}]: UserId {g['UserId']!r}")
        out += _description(g, f"UserIdGroupPairs[{i}]")
    for i, g in enumerate(p.get("PrefixListIds") or []):
        peers += 1
        if not is_id(g.get("PrefixListId")):
            out.append(f"PrefixListIds[{i}]: PrefixListId {g.get('PrefixListId')!r}")
        out += _description(g, f"PrefixListIds[{i}]")
    if not peers:
        out.append("a permission without a peer (AWS rejects it)")
    return [f"{direction}: {e}" for e in out]


def _description(o: dict, at: str) -> list[str]:
    d = o.get("Description")
    if d is None:
        return []
    if not isinstance(d, str) or len(d) > 255 or not _DESCRIPTION.match(d):
        return [f"{at}: description {d!r} is not 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{{}}!$*"]
    return []


def _peers(p: dict):
    """The (match, peer) pairs of a permission, for duplicates."""
    match = (p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"))
    for key, k in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6"),
                   ("UserIdGroupPairs", "GroupId"), ("PrefixListIds", "PrefixListId")):
        for r in p.get(key) or []:
            yield match + (key, r.get(k), r.get("UserId"))


def permissions_errors(perms, direction: str) -> list[str]:
    if not isinstance(perms, list):
        return [f"{direction}: not a list"]
    out, seen = [], set()
    for i, p in enumerate(perms):
        out += [f"[{i}] {e}" for e in permission_errors(p, direction)]
        for peer in _peers(p) if isinstance(p, dict) else []:
            if peer in seen:
                out.append(f"[{i}] {direction}: duplicate {peer} (InvalidPermission.Duplicate)")
            seen.add(peer)
    return out


def validate(doc) -> list[str]:
    if not isinstance(doc, dict):
        return ["not an object"]
    if "SecurityGroups" in doc:
        out = _shape_errors(doc, "DescribeSecurityGroupsResult", "document")
        for gi, g in enumerate(doc.get("SecurityGroups") or []):
            if not isinstance(g, dict):
                continue
            for key, op in (("IpPermissions", "AuthorizeSecurityGroupIngressRequest"),
                            ("IpPermissionsEgress", "AuthorizeSecurityGroupEgressRequest")):
                body = {"GroupId": g.get("GroupId") or "sg-0123456789abcdef0",
                        "IpPermissions": g.get(key, [])}
                out += _shape_errors(body, op, f"SecurityGroups[{gi}].{key}")
                out += [f"SecurityGroups[{gi}].{key}{e}"
                        for e in permissions_errors(g.get(key, []), key)]
        return out
    out = []
    if set(doc) - {"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"}:
        out.append(f"unknown top-level keys {sorted(doc)}")
    if "AuthorizeSecurityGroupIngress" not in doc:
        out.append("no AuthorizeSecurityGroupIngress body")
    for key in ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"):
        body = doc.get(key)
        if body is None:
            continue
        errors = _shape_errors(body, f"{key}Request", key)
        if isinstance(body, dict):
            if not is_id(body.get("GroupId")):
                errors.append(f"{key}: GroupId {body.get('GroupId')!r}")
            errors += [f"{key}{e}" for e in permissions_errors(body.get("IpPermissions"), key)]
            if not errors and body.get("IpPermissions"):
                errors += _sent(key, body)
        out += errors
    return out


_BODY = {"GroupId": "sg-0123456789abcdef0", "IpPermissions": [
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]}


def _neg(**changes):
    perm = {k: v for k, v in {**_BODY["IpPermissions"][0], **changes}.items() if v is not None}
    return {"AuthorizeSecurityGroupIngress": {**_BODY, "IpPermissions": [perm]}}


NEGATIVES = [
    ("aws-ec2", "FromPort above ToPort", _neg(FromPort=80, ToPort=22)),
    ("aws-ec2", "tcp without ports", _neg(FromPort=None, ToPort=None)),
    ("aws-ec2", "port as string", _neg(FromPort="22")),
    ("aws-ec2", "upper-case protocol", _neg(IpProtocol="TCP")),
    ("aws-ec2", "no peer", _neg(IpRanges=None)),
    ("aws-ec2", "host bits set", _neg(IpRanges=[{"CidrIp": "10.0.0.1/8"}])),
    ("aws-ec2", "IPv6 in IpRanges", _neg(IpRanges=[{"CidrIp": "2001:db8::/32"}])),
    ("aws-ec2", "description with <", _neg(IpRanges=[{"CidrIp": "10.0.0.0/8", "Description": "<b>"}])),
    ("aws-ec2", "icmp type -1 with a code", _neg(IpProtocol="icmp", FromPort=-1, ToPort=0)),
    ("aws-ec2", "unknown key", _neg(Ports=[22])),
    ("aws-ec2", "ports on -1", _neg(IpProtocol="-1")),
    ("aws-ec2", "duplicate peer", _neg(IpRanges=[{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "10.0.0.0/8"}])),
    ("aws-ec2", "describe: unknown group key",
     {"SecurityGroups": [{"GroupId": "sg-1", "Rules": [], "IpPermissions": []}]}),
]

_DESCRIBE_GROUPS = f"""<DescribeSecurityGroupsResponse xmlns="{_NS}">
 <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
 <securityGroupInfo><item>
  <ownerId>123456789012</ownerId><groupId>sg-1a2b3c4d</groupId><groupName>WebServers</groupName>
  <groupDescription>Web Servers</groupDescription><vpcId>vpc-1a2b3c4d</vpcId>
  <ipPermissions>
   <item><ipProtocol>tcp</ipProtocol><fromPort>80</fromPort><toPort>80</toPort><groups/>
    <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp><description>web</description></item></ipRanges>
    <ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges><prefixListIds/></item>
   <item><ipProtocol>-1</ipProtocol>
    <groups><item><userId>123456789012</userId><groupId>sg-1a2b3c4d</groupId></item>
     <item><userId>210987654321</userId><groupId>sg-9f8e7d6c</groupId></item></groups>
    <ipRanges/><ipv6Ranges/><prefixListIds/></item>
   <item><ipProtocol>icmp</ipProtocol><fromPort>8</fromPort><toPort>-1</toPort><groups/>
    <ipRanges/><ipv6Ranges/>
    <prefixListIds><item><prefixListId>pl-12345678</prefixListId></item></prefixListIds></item>
  </ipPermissions>
  <ipPermissionsEgress>
   <item><ipProtocol>-1</ipProtocol><groups/>
    <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item>
  </ipPermissionsEgress>
  <tagSet><item><key>Name</key><value>web</value></item></tagSet>
  <securityGroupArn>arn:aws:ec2:us-east-1:123456789012:security-group/sg-1a2b3c4d</securityGroupArn>
 </item></securityGroupInfo>
</DescribeSecurityGroupsResponse>""".encode()

_DESCRIBE_RULES = f"""<DescribeSecurityGroupRulesResponse xmlns="{_NS}">
 <requestId>r</requestId>
 <securityGroupRuleSet>
  <item><securityGroupRuleId>sgr-abcdef01234567890</securityGroupRuleId>
   <groupId>sg-1234567890abcdef0</groupId><groupOwnerId>111122223333</groupOwnerId>
   <isEgress>false</isEgress><ipProtocol>udp</ipProtocol><fromPort>53</fromPort><toPort>53</toPort>
   <cidrIpv6>2001:db8::/32</cidrIpv6><description>dns</description><tagSet/></item>
  <item><securityGroupRuleId>sgr-bcdef01234567890a</securityGroupRuleId>
   <groupId>sg-1234567890abcdef0</groupId><groupOwnerId>111122223333</groupOwnerId>
   <isEgress>true</isEgress><ipProtocol>-1</ipProtocol><fromPort>-1</fromPort><toPort>-1</toPort>
   <referencedGroupInfo><groupId>sg-1234567890abcdef0</groupId><userId>111122223333</userId></referencedGroupInfo>
   <tagSet><item><key>team</key><value>net</value></item></tagSet></item>
 </securityGroupRuleSet>
</DescribeSecurityGroupRulesResponse>""".encode()


def sdk_documents() -> list[tuple[str, str, str]]:
    """(label, sgconv provider, JSON text) written by botocore: the EC2 responses it parses
    (what `aws ec2 describe-security-groups` / `describe-security-group-rules` print)."""
    docs = []
    for label, operation, xml in (("DescribeSecurityGroups parsed", "describe_security_groups", _DESCRIBE_GROUPS),
                                  ("DescribeSecurityGroupRules parsed", "describe_security_group_rules", _DESCRIBE_RULES)):
        with loopback.server(lambda method, path, xml=xml: xml) as (url, _):
            parsed = getattr(_client(url), operation)()
        parsed.pop("ResponseMetadata", None)
        docs.append((label, "aws-ec2", json.dumps(parsed)))
    return docs
