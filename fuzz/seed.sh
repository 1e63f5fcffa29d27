#!/usr/bin/env bash
# Seed the fuzz corpora from the test fixtures (run from the repository root).
set -euo pipefail
mkdir -p fuzz/corpus/multiport fuzz/corpus/import fuzz/corpus/convert
for m in 22 80,443 "1-1024,8080" "20-30,40" " 22 , 80 " 65535 1-65535; do
  printf '%s' "$m" > "fuzz/corpus/multiport/$(printf '%s' "$m" | md5sum | cut -c1-12)"
done
# The first byte picks the provider (index into ProviderId::ALL: canonical, gcore-v1,
# gcore-v2, huawei, scaleway) and, for `convert`, the target in the high nibble.
i=0
for dir in canonical gcore gcore huawei scaleway; do
  for f in tests/fixtures/$dir/*; do
    for target in 0 1 2 3 4; do
      { printf "\\x$(printf %x $((target * 16 + i)))"; cat "$f"; } > "fuzz/corpus/convert/$i-$target-$(basename "$f")"
    done
    { printf "\\x$(printf %x $i)"; cat "$f"; } > "fuzz/corpus/import/$i-$(basename "$f")"
  done
  i=$((i + 1))
done
