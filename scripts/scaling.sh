#!/usr/bin/env bash
# The scaling table of docs/PERFORMANCE.md (issue 15): the reference
# scenario with more instances or more models, one core, one run each,
# printed as Markdown rows (M requests/s, peak RSS). A configuration the
# binary refuses prints its error.
#
#   scripts/scaling.sh BINARY [RUNS]     # RUNS: median of that many (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 runs=${2:-1}
large=examples/scenarios/large.toml
m30='models.memory_mib={ dist = "lognormal", median = 30.0, sigma = 0.6 }'
one() { # label, --set arguments...
  local label=$1
  shift
  local rps=() rss=() out
  for _ in $(seq "$runs"); do
    if ! out=$( { /usr/bin/time -f 'RSS %M' taskset -c 0 "$bin" run "$large" "$@" --json >/dev/null; } 2>&1 ); then
      echo "| $label | refused ($(grep -oi 'more than the [0-9]* supported\|more than the [0-9]* GiB supported' <<<"$out" | head -1)) | |"
      return
    fi
    rps+=("$(grep -o '([0-9.]* M requests/s)' <<<"$out" | tr -d '(' | awk '{print $1}')")
    rss+=("$(grep -o 'RSS [0-9]*' <<<"$out" | awk '{print $2}')")
  done
  local r m
  r=$(printf '%s\n' "${rps[@]}" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  m=$(printf '%s\n' "${rss[@]}" | sort -g | awk '{v[NR]=$1} END {printf "%.0f", v[int((NR+1)/2)]/1024}')
  echo "| $label | $r | $m MB |"
}
echo "| configuration (2 M requests) | M req/s | peak RSS |"
echo "| --- | --- | --- |"
one "64 instances, 3,000 models"
one "4,096 instances" --set cluster.instances=4096
one "8,192 instances, 30,000 models" --set cluster.instances=8192 --set models.count=30000
one "30,000 models" --set models.count=30000
one "300,000 models" --set models.count=300000
one "1,000,000 models (median 30 MiB)" --set models.count=1000000 --set "$m30"
