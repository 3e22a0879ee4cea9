#!/usr/bin/env bash
# Calibration benchmark (docs/PERFORMANCE.md, "Calibration"): builds the
# release CLI, writes the metrics of examples/calibrate/bench/truth.toml
# (a one-hour, 1,000-model endpoint) in CloudWatch's export format, then
# times `mmesim calibrate` of examples/calibrate/bench/base.toml against
# them N times and prints the median wall time, the number of simulated
# runs, one plain `mmesim run` of base.toml (median of N) and the ratio.
#
#   scripts/bench_calibrate.sh [N]        # N repetitions, default 3
#
# Run from the repository root. Honours CARGO_TARGET_DIR. Scratch files go
# to a temporary directory, removed at the end; set KEEP=DIR to keep the
# metrics, the twin and the last report there instead.
set -euo pipefail

n="${1:-3}"
bench=examples/calibrate/bench
[ -f "$bench/truth.toml" ] || { echo "run from the repository root" >&2; exit 1; }

cargo build --release -q -p mmesim-cli
bin="${CARGO_TARGET_DIR:-target}/release/mmesim"

if [ -n "${KEEP:-}" ]; then
  work="$KEEP"; mkdir -p "$work"
else
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fi

"$bin" run "$bench/truth.toml" --metrics "$work/truth.json" --metrics-format cloudwatch-json >/dev/null 2>&1
echo "metrics: $(wc -c <"$work/truth.json") bytes"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }

cal=(); run=(); runs=""
for i in $(seq "$n"); do
  # Interleaved: one plain run of the base scenario, then one calibration.
  t0=$(now)
  "$bin" run "$bench/base.toml" >/dev/null 2>&1
  t1=$(now)
  "$bin" calibrate "$bench/base.toml" --metrics "$work/truth.json" --out "$work/twin.toml" --quiet \
    >"$work/report.txt" 2>"$work/stderr.txt"
  t2=$(now)
  run+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')")
  cal+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN{print b - a}')")
  runs=$(sed -n 's/.*calibrated in \([0-9]*\) runs.*/\1/p' "$work/stderr.txt")
  printf 'rep %d: calibrate %.2f s (%s runs), run %.3f s\n' "$i" "${cal[-1]}" "$runs" "${run[-1]}"
done

mc=$(printf '%s\n' "${cal[@]}" | median)
mr=$(printf '%s\n' "${run[@]}" | median)
awk -v n="$n" -v c="$mc" -v k="$runs" -v r="$mr" 'BEGIN {
  printf "median of %d: calibrate %.2f s wall, %d runs, %.3f s per run; one run %.3f s; ratio %.1fx\n", n, c, k, c / k, r, c / r }'
echo
sed -n '/| parameter/,/^$/p' "$work/report.txt"
