"""The field mapping a user would write by hand: a Huawei rule list (list-rules response) to
Gcore v2 create-rule bodies, one body per multiport group. No validation, no report, no
verification. Baseline for sgconv's benchmarks (README, "Performance").

python3 benches/baselines/huawei_to_gcore.py rules.json > bodies.json
"""
import json
import sys

PROTOCOLS = {"icmpv6": "ipv6-icmp", "47": "gre", "50": "esp", "132": "sctp", "112": "vrrp"}


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    out = []
    for r in doc["security_group_rules"]:
        if r.get("action") == "deny":
            continue
        proto = r.get("protocol") or None
        proto = PROTOCOLS.get(proto, proto)
        ranges = (r.get("multiport") or "").split(",") if r.get("multiport") else [None]
        for rng in ranges:
            body = {"direction": r["direction"], "ethertype": r["ethertype"], "protocol": proto}
            if rng is not None:
                lo, _, hi = rng.partition("-")
                body["port_range_min"] = int(lo)
                body["port_range_max"] = int(hi or lo)
            if r.get("remote_ip_prefix"):
                body["remote_ip_prefix"] = r["remote_ip_prefix"]
            if r.get("remote_group_id"):
                body["remote_group_id"] = r["remote_group_id"]
            if r.get("description"):
                body["description"] = r["description"]
            out.append(body)
    json.dump(out, sys.stdout, indent=1)


main()
