#!/usr/bin/env bash
# Whole-process CPU time (user + system) and peak memory of `sgconv convert` against the
# baselines, on one generated input, in the same run: medians of RUNS runs, then ratios.
#
#   bash benches/baselines/compare.sh [N] [RUNS]     # default 100000 rules, 5 runs
#
# The input is an allow-only Huawei list of N rules from the shared generator
# (SGCONV_GEN_RULES, default ../shared/tools/gen_rules.py), converted to Gcore v2 with
# verification and the report summary (stderr). Needs python3, GNU time (/usr/bin/time), jq.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
RUNS=${2:-5}
GEN=${SGCONV_GEN_RULES:-../shared/tools/gen_rules.py}
cargo build --release --quiet --bin sgconv --example value_baseline --example value_baseline_mimalloc
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$GEN" huawei "$N" 42 0 > "$dir/in.json"
in="$dir/in.json"

# median CPU seconds and median peak KiB of a command over RUNS runs (stdout/stderr discarded)
measure() {
  : > "$dir/runs"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%U %S %M' -o "$dir/t" "$@" > /dev/null 2>&1
    awk '{ printf "%.3f %d\n", $1 + $2, $3 }' "$dir/t" >> "$dir/runs"
  done
  local cpu mem
  cpu=$(cut -d' ' -f1 "$dir/runs" | sort -n | awk -v n="$RUNS" '{ v[NR] = $1 } END { print v[int((n + 1) / 2)] }')
  mem=$(cut -d' ' -f2 "$dir/runs" | sort -n | awk -v n="$RUNS" '{ v[NR] = $1 } END { print v[int((n + 1) / 2)] }')
  echo "$cpu $mem"
}

read -r s_cpu s_mem < <(measure target/release/sgconv convert --from huawei --to gcore-v2 "$in")
read -r v_cpu v_mem < <(measure target/release/examples/value_baseline "$in")
read -r m_cpu m_mem < <(measure target/release/examples/value_baseline_mimalloc "$in")
read -r j_cpu j_mem < <(measure jq -c -f benches/baselines/huawei_to_gcore.jq "$in")
read -r p_cpu p_mem < <(measure python3 benches/baselines/huawei_to_gcore.py "$in")

printf '%-28s %10s %12s\n' "command ($N rules)" "cpu s" "peak KiB"
printf '%-28s %10s %12s\n' "sgconv convert" "$s_cpu" "$s_mem"
printf '%-28s %10s %12s\n' "serde_json Value baseline" "$v_cpu" "$v_mem"
printf '%-28s %10s %12s\n' "  the same, mimalloc" "$m_cpu" "$m_mem"
printf '%-28s %10s %12s\n' "jq mapping" "$j_cpu" "$j_mem"
printf '%-28s %10s %12s\n' "python json mapping" "$p_cpu" "$p_mem"
awk -v s="$s_cpu" -v v="$v_cpu" -v m="$m_cpu" -v j="$j_cpu" -v p="$p_cpu" -v sm="$s_mem" -v vm="$v_mem" -v mm="$m_mem" 'BEGIN {
  printf "sgconv / Value cpu  %.2f\n", s / v
  printf "sgconv / Value cpu, both mimalloc  %.2f\n", s / m
  printf "sgconv / jq cpu     %.2f\n", s / j
  printf "sgconv / python cpu %.2f\n", s / p
  printf "sgconv / Value peak %.2f\n", sm / vm
  printf "sgconv / Value peak, both mimalloc %.2f\n", sm / mm
}'
