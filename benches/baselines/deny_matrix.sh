#!/usr/bin/env bash
# Every generated source provider to every provider, on N generated rules at deny fractions
# 0, 0.1 and 0.3: user CPU seconds and peak memory of one whole `sgconv convert` each
# (verification on, --rule-budget unlimited, --allow-widen so nothing is refused for its
# verdict). Prints one line per pair; a pair that fails or is refused says why.
#
#   bash benches/baselines/deny_matrix.sh [N] [SGCONV]     # defaults: 10000, target/release/sgconv
#
# Needs python3 and GNU time (/usr/bin/time). Inputs come from the shared generator
# (SGCONV_GEN_RULES, default ../shared/tools/gen_rules.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-10000}
sgconv=${2:-target/release/sgconv}
gen=${SGCONV_GEN_RULES:-../shared/tools/gen_rules.py}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sources=(huawei scaleway gcore-v1)
targets=$("$sgconv" providers --json | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)))')
echo "# $(date -u +%F) $(uname -m), $(nproc) cores; $n rules; user s, peak MB"
for f in 0 0.1 0.3; do
  for src in "${sources[@]}"; do
    python3 "$gen" "$src" "$n" 42 "$f" > "$dir/in.json"
    # A Scaleway rule list does not carry its group's policies: say them.
    extra=()
    [ "$src" = scaleway ] && extra=(--inbound-default drop --outbound-default accept --stateful true)
    for to in $targets; do
      [ "$src" = "$to" ] && continue
      if out=$( { /usr/bin/time -f "TIME %U %M" "$sgconv" convert --from "$src" --to "$to" "$dir/in.json" \
          "${extra[@]}" -o /dev/null --allow-widen --rule-budget 1000000000 -q; } 2>&1 ); then
        read -r _ user kb <<<"$(grep '^TIME' <<<"$out")"
        printf '%-9s %-4s -> %-10s %6.2f s %6d MB\n' "$src" "$f" "$to" "$user" "$((kb / 1024))"
      else
        printf '%-9s %-4s -> %-10s %s\n' "$src" "$f" "$to" "$(grep -v '^TIME' <<<"$out" | head -1 | cut -c1-120)"
      fi
    done
  done
done
