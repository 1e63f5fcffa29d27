# The field mapping a user would write by hand: a Huawei rule list (list-rules response) to
# Gcore v2 create-rule bodies, one body per multiport group. No validation, no report, no
# verification. Baseline for sgconv's benchmarks (README, "Performance").
# jq -c -f benches/baselines/huawei_to_gcore.jq rules.json
def proto:
  if . == null or . == "" then null
  elif . == "icmpv6" then "ipv6-icmp"
  elif . == "47" then "gre" elif . == "50" then "esp"
  elif . == "132" then "sctp" elif . == "112" then "vrrp"
  else . end;
[ .security_group_rules[]
  | select(.action != "deny")
  | . as $r
  | ((.multiport // "") | if . == "" then [null] else split(",") end)[]
  | (if . == null then null else split("-") | map(tonumber) end) as $p
  | { direction: $r.direction, ethertype: $r.ethertype, protocol: ($r.protocol | proto) }
    + (if $p == null then {} else {port_range_min: $p[0], port_range_max: ($p[1] // $p[0])} end)
    + (if $r.remote_ip_prefix then {remote_ip_prefix: $r.remote_ip_prefix} else {} end)
    + (if $r.remote_group_id then {remote_group_id: $r.remote_group_id} else {} end)
    + (if ($r.description // "") != "" then {description: $r.description} else {} end)
]
