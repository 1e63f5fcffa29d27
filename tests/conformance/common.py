"""Checks shared by the provider validators: JSON types, networks, ids."""

import ipaddress
import uuid


def is_int(v) -> bool:
    """A JSON integer (bool is not one, although Python says it is)."""
    return isinstance(v, int) and not isinstance(v, bool)


def network(text, family: str | None = None):
    """Parse a CIDR the way the APIs want it: a network address (no host bits), optionally of
    the family `"IPv4"`/`"IPv6"`. Returns (network, error message or None)."""
    if not isinstance(text, str):
        return None, f"{text!r} is not a string"
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as e:
        return None, f"{text!r} is not a network address ({e})"
    if family is not None and f"IPv{net.version}" != family:
        return net, f"{text!r} is not an {family} network"
    return net, None


def is_uuid(v) -> bool:
    """A UUID in its canonical lower-case hyphenated form."""
    try:
        return isinstance(v, str) and str(uuid.UUID(v)) == v
    except ValueError:
        return False


def is_id(v) -> bool:
    """An id copied from the source document: a non-empty string without whitespace. Its format
    is the source provider's; whether it names a resource of the target is for the user to map
    (sgconv reports it), so only the shape is checked."""
    return isinstance(v, str) and v != "" and not any(c.isspace() for c in v)


def without_nulls(d: dict) -> dict:
    """`d` without the keys whose value is null (what an SDK omits when it serialises)."""
    return {k: v for k, v in d.items() if v is not None}
