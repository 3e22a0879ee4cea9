#!/usr/bin/env bash
# A/B timing of two mmesim binaries on one scenario, on one core, runs
# interleaved (A B A B …) so both see the same machine noise. Prints each
# run's simulated requests per wall second and peak RSS, then the medians
# and the best runs, their ratios B/A, and the median ratio of the
# interleaved pairs.
#
#   scripts/ab.sh BASELINE_BIN CANDIDATE_BIN SCENARIO [RUNS]
#
# Example (candidate = this checkout, baseline = another build):
#   cargo build --release -p mmesim-cli
#   scripts/ab.sh /path/to/old/mmesim target/release/mmesim examples/scenarios/large.toml 7
set -euo pipefail
a=$1 b=$2 scenario=$3 runs=${4:-5}
one() { # bin → "req_per_s rss_kb"
  local out
  out=$( { /usr/bin/time -f 'RSS %M' taskset -c 0 "$1" run "$scenario" --json >/dev/null; } 2>&1 )
  local rps rss
  rps=$(grep -o '([0-9.]* M requests/s)' <<<"$out" | tr -d '(' | awk '{print $1}')
  rss=$(grep -o 'RSS [0-9]*' <<<"$out" | awk '{print $2}')
  echo "$rps $rss"
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ra=() rb=()
for i in $(seq "$runs"); do
  x=$(one "$a"); y=$(one "$b")
  echo "run $i: A $x   B $y   (M req/s, RSS KB)"
  ra+=("${x%% *}"); rb+=("${y%% *}")
done
ma=$(printf '%s\n' "${ra[@]}" | median); mb=$(printf '%s\n' "${rb[@]}" | median)
echo "median M requests/s: A $ma  B $mb  ratio B/A $(awk -v a="$ma" -v b="$mb" 'BEGIN{printf "%.2f", b/a}')"
# The median of the ratios of each interleaved pair: a run and its
# neighbour see about the same load from other tenants, so this ratio
# varies least between sessions.
mr=$(for i in "${!ra[@]}"; do awk -v a="${ra[$i]}" -v b="${rb[$i]}" 'BEGIN{print b/a}'; done | median)
echo "median of pair ratios B/A: $(awk -v r="$mr" 'BEGIN{printf "%.2f", r}')"
# The best run of each: interference from other tenants only slows a run
# down, so on a shared machine the best is the steadier figure.
xa=$(printf '%s\n' "${ra[@]}" | sort -g | tail -1); xb=$(printf '%s\n' "${rb[@]}" | sort -g | tail -1)
echo "best M requests/s:   A $xa  B $xb  ratio B/A $(awk -v a="$xa" -v b="$xb" 'BEGIN{printf "%.2f", b/a}')"
