#!/usr/bin/env bash
# Whole-process CPU time (user + system), user time and peak memory of `sgconv convert`
# against the baselines, on one generated input, in the same run, in two orders:
#
# - interleaved: every measured run follows a run of a different program (the order a user
#   meets: sgconv after an editor, jq or a build). This is the headline.
# - after itself: every measured run follows an unmeasured run of the same command.
#
# The kernel's share of CPU time (zeroing and compacting the pages a process first touches)
# depends on what ran just before, so the two orders differ mostly in system time; both are
# printed. Output goes through a pipe, as in a shell pipeline. Ratios are medians of the
# per-round ratios (paired), absolute figures medians over the rounds. The headline baseline
# is the `Value` round trip built with the same allocator as sgconv (mimalloc).
#
#   bash benches/baselines/compare.sh [N] [RUNS]     # default 100000 rules, 5 rounds
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

names=(sgconv value_mimalloc value jq python)
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

# one measured run of cmd, output through a pipe: "cpu user peak"
measure() {
  /usr/bin/time -f '%U %S %M' -o "$dir/t" "${cmd[@]}" 2>/dev/null | cat > /dev/null
  awk '{ printf "%.3f %.3f %d", $1 + $2, $1, $3 }' "$dir/t"
}

# rounds ORDER FILE: one line per round, for each command "cpu user peak"
rounds() {
  : > "$2"
  for _ in $(seq "$RUNS"); do
    line=""
    for name in "${names[@]}"; do
      command_of "$name"
      if [ "$1" = after-itself ]; then "${cmd[@]}" 2>/dev/null | cat > /dev/null; fi
      line="$line $(measure)"
    done
    echo "$line" >> "$2"
  done
}

# median FILE EXPR: the median over the rounds of an awk expression of the columns
median() {
  awk "{ print $2 }" "$1" | sort -g | awk -v n="$RUNS" '{ v[NR] = $1 } END { print v[int((n + 1) / 2)] }'
}

report() {
  local f=$1
  printf '%-28s %10s %10s %12s\n' "command ($N rules, $RUNS rounds)" "cpu s" "user s" "peak KiB"
  local i=1
  for name in "${names[@]}"; do
    printf '%-28s %10s %10s %12s\n' "$name" "$(median "$f" "\$$i")" "$(median "$f" "\$$((i + 1))")" "$(median "$f" "\$$((i + 2))")"
    i=$((i + 3))
  done
  # columns: sgconv $1-$3, value_mimalloc $4-$6, value $7-$9, jq $10-$12, python $13-$15
  echo "paired ratios (median over rounds):"
  printf '  sgconv / Value cpu, both mimalloc    %.2f   <- headline\n' "$(median "$f" '$1 / $4')"
  printf '  sgconv / Value cpu, Value on glibc   %.2f\n' "$(median "$f" '$1 / $7')"
  printf '  jq / sgconv cpu                      %.1f\n' "$(median "$f" '$10 / $1')"
  printf '  python / sgconv cpu                  %.1f\n' "$(median "$f" '$13 / $1')"
  printf '  sgconv / Value peak, both mimalloc   %.2f\n' "$(median "$f" '$3 / $6')"
  printf '  sgconv / Value peak, Value on glibc  %.2f\n' "$(median "$f" '$3 / $9')"
}

echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
rounds interleaved "$dir/interleaved"
rounds after-itself "$dir/after"
echo
echo "== interleaved (each run after a different program)"
report "$dir/interleaved"
echo
echo "== after itself (each run after an unmeasured run of the same command)"
report "$dir/after"
