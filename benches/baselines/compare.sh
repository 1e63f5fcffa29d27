#!/usr/bin/env bash
# Whole-process CPU time (user + system), user time and peak memory of `sgconv convert`
# against the baselines, on one generated input, in the same run.
#
#   bash benches/baselines/compare.sh [N] [RUNS]     # default 100000 rules, 5 rounds
#
# Each round runs every command in turn, so that a drift in the machine's speed hits them
# alike; the ratios printed are medians of the per-round ratios (paired), the absolute figures
# medians over the rounds. Each measured run follows an unmeasured run of the same command:
# the kernel's share of CPU time (zeroing and compacting the pages a process first touches)
# depends on what ran just before, and sgconv's allocator asks for huge pages, which cost the
# most after a different program has fragmented memory (seen here: 0.04 s of system time
# after a run of itself, 0.4 s after jq and Python). Both orders are real; this one measures
# the work of each command rather than of the one before it.
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

names=(sgconv value value_mimalloc jq python)
# sets cmd to the command line of a name
command_of() {
  case "$1" in
    sgconv) cmd=(target/release/sgconv convert --from huawei --to gcore-v2 "$in") ;;
    value) cmd=(target/release/examples/value_baseline "$in") ;;
    value_mimalloc) cmd=(target/release/examples/value_baseline_mimalloc "$in") ;;
    jq) cmd=(jq -c -f benches/baselines/huawei_to_gcore.jq "$in") ;;
    python) cmd=(python3 benches/baselines/huawei_to_gcore.py "$in") ;;
  esac
}

# One line per round: for each command, "cpu user peak".
: > "$dir/rounds"
for _ in $(seq "$RUNS"); do
  line=""
  for name in "${names[@]}"; do
    command_of "$name"
    "${cmd[@]}" > /dev/null 2>&1
    /usr/bin/time -f '%U %S %M' -o "$dir/t" "${cmd[@]}" > /dev/null 2>&1
    line="$line $(awk '{ printf "%.3f %.3f %d", $1 + $2, $1, $3 }' "$dir/t")"
  done
  echo "$line" >> "$dir/rounds"
done

# median of column expression over the rounds
median() {
  awk "{ print $1 }" "$dir/rounds" | sort -g | awk -v n="$RUNS" '{ v[NR] = $1 } END { print v[int((n + 1) / 2)] }'
}

# columns: sgconv $1-$3, value $4-$6, value_mimalloc $7-$9, jq $10-$12, python $13-$15
printf '%-28s %10s %10s %12s\n' "command ($N rules, $RUNS rounds)" "cpu s" "user s" "peak KiB"
i=1
for name in "${names[@]}"; do
  printf '%-28s %10s %10s %12s\n' "$name" "$(median "\$$i")" "$(median "\$$((i + 1))")" "$(median "\$$((i + 2))")"
  i=$((i + 3))
done
echo "paired ratios (median over rounds):"
printf '  sgconv / Value cpu                   %.2f\n' "$(median '$1 / $4')"
printf '  sgconv / Value cpu, both mimalloc    %.2f\n' "$(median '$1 / $7')"
printf '  sgconv / jq cpu                      %.3f\n' "$(median '$1 / $10')"
printf '  sgconv / python cpu                  %.2f\n' "$(median '$1 / $13')"
printf '  sgconv / Value peak                  %.2f\n' "$(median '$3 / $6')"
printf '  sgconv / Value peak, both mimalloc   %.2f\n' "$(median '$3 / $9')"
printf '  sgconv / jq user                     %.3f\n' "$(median '$2 / $11')"
