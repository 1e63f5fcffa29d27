#!/usr/bin/env python3
"""A Huawei rule list whose overlapping rule pairs grow linearly with its size.

usage: gen_sparse.py N [SEED] [DENY_FRACTION] > file.json

The shared generator (gen_rules.py) draws /8, /16 and /24 prefixes at random and names a
remote group in 10% of the rules: a /8 (and a rule from a remote group, which is from
every address) overlaps a share of all the others, so its overlapping pairs grow with N^2.
This one keeps its mix of protocols, ports, directions, families, priorities and deny
rules, but every remote is a /24 or a /32 in a pool of N/8 IPv4 /24 networks (IPv6: /64
and /128 in a pool of N/8 /64s), and no rule names a remote group: a rule meets a few
others of its network whatever N, so `sgconv lint` shows how it scales when the input is
not quadratic (an n log n engine: about 12.5x from 10,000 to 100,000 rules).
Deterministic for a given seed.
"""
import json, random, sys, uuid

n = int(sys.argv[1])
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 42)
deny_fraction = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
pool = max(1, n // 8)
nets4 = [(rnd.randrange(1, 223) << 24) | (rnd.randrange(1 << 16) << 8) for _ in range(pool)]
nets6 = [rnd.randrange(1 << 16) for _ in range(pool)]

def uid():
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))

def prefix(v6):
    if v6:
        net = rnd.choice(nets6)
        if rnd.random() < 0.5:
            return "2001:db8:%x:%x::/64" % (net >> 8, net & 255)
        return "2001:db8:%x:%x::%x/128" % (net >> 8, net & 255, rnd.randrange(1, 1 << 16))
    net = rnd.choice(nets4)
    if rnd.random() < 0.5:
        addr, plen = net, 24
    else:
        addr, plen = net | rnd.randrange(256), 32
    return "%d.%d.%d.%d/%d" % (addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255, plen)

def pick():
    v6 = rnd.random() < 0.2
    kind = rnd.random()
    if kind < 0.55:
        proto = rnd.choice(["tcp", "tcp", "tcp", "udp"])
        a = rnd.randrange(1, 65000)
        b = a if rnd.random() < 0.7 else a + rnd.randrange(1, 500)
        ports = (a, b)
    elif kind < 0.7:
        proto, ports = ("icmpv6" if v6 else "icmp"), None
    elif kind < 0.85:
        proto, ports = None, None
    else:
        proto, ports = rnd.choice(["47", "50", "132", "112"]), None
    return dict(direction=rnd.choice(["ingress", "ingress", "egress"]), v6=v6, proto=proto,
                ports=ports, remote=prefix(v6), deny=rnd.random() < deny_fraction,
                desc=rnd.choice(["", "web", "ssh from office", "monitoring"]))

sg = uid()
out = []
for r in (pick() for _ in range(n)):
    mp = None
    if r["ports"]:
        a, b = r["ports"]
        mp = str(a) if a == b else "%d-%d" % (a, b)
        if rnd.random() < 0.2 and b < 65534:
            mp += ",%d" % rnd.randrange(b + 2, 65536)
    out.append({
        "id": uid(), "project_id": "060576782980d5762f9ec014dd2f1148", "security_group_id": sg,
        "direction": r["direction"], "protocol": r["proto"], "description": r["desc"],
        "created_at": "2020-08-13T07:12:36Z", "updated_at": "2020-08-13T07:12:36Z",
        "ethertype": "IPv6" if r["v6"] else "IPv4", "remote_ip_prefix": r["remote"],
        "remote_group_id": None, "multiport": mp, "remote_address_group_id": None,
        "action": "deny" if r["deny"] else "allow", "priority": rnd.randrange(1, 101),
    })
json.dump({"request_id": "1666b2708aaf849337572d6846dce781", "security_group_rules": out,
           "page_info": {"previous_marker": out[0]["id"] if out else None,
                         "current_count": len(out)}}, sys.stdout, indent=1)
