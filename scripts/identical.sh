#!/usr/bin/env bash
# Byte-identity check for refactors: captures every output a user sees from
# the bundled scenarios, sweeps, traces and examples — JSON reports, human
# summaries, per-minute metrics CSVs, sweep rows, recommendations, charts,
# cache-replay tables and the examples' stdout — into a directory, so that
# the captures of two builds can be compared with `diff -r`.
#
#   scripts/identical.sh capture DIR [TARGET_DIR]   # TARGET_DIR default: target
#   scripts/identical.sh compare OLD_DIR NEW_DIR
#
# A typical refactor check (both builds in release mode):
#   git stash; cargo build --release --workspace --bins --examples
#   scripts/identical.sh capture /tmp/before
#   git stash pop; cargo build --release --workspace --bins --examples
#   scripts/identical.sh capture /tmp/after
#   scripts/identical.sh compare /tmp/before /tmp/after
#
# Wall-clock figures (stderr, "M requests/s") are not captured: only what
# the program promises to be deterministic.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
compare)
  old=$2 new=$3
  if diff -r "$old" "$new" >/dev/null; then
    echo "identical: $(find "$old" -type f | wc -l) files"
  else
    diff -r "$old" "$new" | head -40
    echo "DIFFERENT" >&2
    exit 1
  fi
  exit 0
  ;;
capture) ;;
*)
  sed -n '2,18p' "$0"
  exit 2
  ;;
esac

out=$2 target=${3:-target}
bin=$target/release/mmesim
examples=$target/release/examples
[ -x "$bin" ] || { echo "no $bin: build with cargo build --release --workspace --bins --examples" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"

for s in examples/scenarios/*.toml; do
  n=$(basename "$s" .toml)
  if [ "$n" = large ]; then
    # The reference benchmark scenario: its report (no per-minute files: big).
    "$bin" run "$s" --json >"$out/run-$n.json"
    continue
  fi
  "$bin" run "$s" >"$out/run-$n.txt" 2>/dev/null
  "$bin" run "$s" --json --metrics "$out/run-$n-metrics.csv" --plot "$out/run-$n.svg" >"$out/run-$n.json"
  for seed in 1 7; do
    "$bin" run "$s" --seed "$seed" --json >"$out/run-$n-seed$seed.json"
  done
done

"$bin" sweep examples/sweeps/quickstart.toml --quiet --csv "$out/sweep.csv" --jsonl "$out/sweep.jsonl"
"$bin" recommend examples/scenarios/quickstart.toml --p99-ms 500 --min-hit 0.95 --quiet \
  --types ml.m5.large,ml.m5.xlarge,ml.r5.xlarge --plot "$out/recommend.svg" >"$out/recommend.txt"
"$bin" recommend examples/scenarios/quickstart.toml --p99-ms 1000 --min-hit 0.9 --quiet --json \
  --types ml.m5.xlarge,ml.c5.xlarge --survive-zone-loss >"$out/recommend-zone.json"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" synth-trace --out "$tmp/g.og" --objects 5000 --requests 300000 --alpha 0.8 --object-bytes 1 >/dev/null
"$bin" cache --trace "$tmp/g.og" --format oracle-general --policy all --size 1%,10%,30% --json \
  --threads 1 >"$out/cache.json"

if [ -d "$examples" ]; then
  for e in examples/*.rs; do
    n=$(basename "$e" .rs)
    [ -x "$examples/$n" ] && "$examples/$n" >"$out/example-$n.txt" 2>/dev/null
  done
fi
echo "captured $(find "$out" -type f | wc -l) files in $out"
