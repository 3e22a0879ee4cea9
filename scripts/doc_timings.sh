#!/usr/bin/env bash
# Regenerates the wall-clock figures the README and the guide quote:
#   - README "Sizing": how long `mmesim recommend` takes on the quickstart;
#   - README "Benchmarking eviction policies": the 63 cache replays;
#   - guide §2: the stderr line of `mmesim run` on the quickstart.
# Each timing is the median of RUNS runs (default 5) on this machine; the
# machines are shared and noisy, so quote them as "about". Deterministic
# figures (reports, tables) are checked by the tests instead.
#
#   scripts/doc_timings.sh [BIN] [RUNS]     # BIN default: target/release/mmesim
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/mmesim}
runs=${2:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
wall() { # command… → seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f\n", b-a}'
}
"$bin" synth-trace --out "$tmp/g.og" --objects 20000 --requests 1000000 --alpha 0.8 >/dev/null 2>&1
rec=() cache=()
for _ in $(seq "$runs"); do
  rec+=("$(wall "$bin" recommend examples/scenarios/quickstart.toml --p99-ms 500 --min-hit 0.95 \
    --types ml.m5.large,ml.m5.xlarge,ml.r5.xlarge,ml.c5.xlarge,ml.m5d.xlarge -q)")
  cache+=("$(wall "$bin" cache --trace "$tmp/g.og" --format oracle-general \
    --policy lru,fifo,lfu,gdsf,sieve,s3fifo,arc,lruk,belady --size 0.5%,1%,2%,5%,10%,20%,50%)")
done
echo "cores: $(nproc)"
echo "recommend (README, Sizing): median $(printf '%s\n' "${rec[@]}" | median) s of ${runs}: ${rec[*]}"
echo "cache, 63 replays (README, Benchmarking): median $(printf '%s\n' "${cache[@]}" | median) s of ${runs}: ${cache[*]}"
echo "run quickstart, stderr (guide §2):"
"$bin" run examples/scenarios/quickstart.toml 2>&1 >/dev/null | grep '^mmesim: .* events in'
