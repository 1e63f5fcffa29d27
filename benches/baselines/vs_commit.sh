#!/usr/bin/env bash
# Whole-process CPU (user + system) and peak memory of `sgconv convert` at HEAD against the
# same at commit REV, on one generated input: release builds of both (same allocator,
# mimalloc), runs interleaved (REV, HEAD, REV, HEAD, ...) after one warm-up each, output
# through a pipe; prints the medians and the median of the per-pair CPU ratios.
#
#   bash benches/baselines/vs_commit.sh REV [PROVIDER N SEED DENY] [RUNS] [-- EXTRA ARGS]
#   bash benches/baselines/vs_commit.sh fa3bd6b huawei 100000 42 0 7
#
# Needs python3, GNU time (/usr/bin/time) and the shared generator (SGCONV_GEN_RULES,
# default ../shared/tools/gen_rules.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
REV=$1
PROVIDER=${2:-huawei}
N=${3:-100000}
SEED=${4:-42}
DENY=${5:-0}
RUNS=${6:-7}
shift $(( $# < 6 ? $# : 6 ))
[ "${1:-}" = -- ] && shift
EXTRA=("$@")
GEN=${SGCONV_GEN_RULES:-../shared/tools/gen_rules.py}
dir=$(mktemp -d)
trap 'git worktree remove --force "$dir/old" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
git worktree add --detach "$dir/old" "$REV" >/dev/null
(cd "$dir/old" && cargo build --release --quiet --bin sgconv)
cargo build --release --quiet --bin sgconv
python3 "$GEN" "$PROVIDER" "$N" "$SEED" "$DENY" > "$dir/in.json"
old=("$dir/old/target/release/sgconv" convert --from "$PROVIDER" --to gcore-v2 "$dir/in.json" -q "${EXTRA[@]}")
new=(target/release/sgconv convert --from "$PROVIDER" --to gcore-v2 "$dir/in.json" -q "${EXTRA[@]}")
# one measured run: "cpu_seconds peak_kib"
measure() { /usr/bin/time -f '%U %S %M' -o "$dir/t" "$@" | cat > /dev/null; awk '{print $1+$2, $3}' "$dir/t"; }
measure "${old[@]}" >/dev/null; measure "${new[@]}" >/dev/null
: > "$dir/pairs"
for _ in $(seq "$RUNS"); do
  echo "$(measure "${old[@]}") $(measure "${new[@]}")" >> "$dir/pairs"
done
python3 - "$dir/pairs" "$REV" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = lambda xs: statistics.median(xs)
print(f"{len(rows)} interleaved pairs, medians")
print(f"CPU s     {sys.argv[2]}: {med([r[0] for r in rows]):.3f}   HEAD: {med([r[2] for r in rows]):.3f}")
print(f"peak MiB  {sys.argv[2]}: {med([r[1] for r in rows])/1024:.0f}   HEAD: {med([r[3] for r in rows])/1024:.0f}")
print(f"CPU ratio HEAD/{sys.argv[2]}: {med([r[2]/r[0] for r in rows]):.2f}")
PY
