#!/usr/bin/env bash
# Peak memory of `mmesim run` does not grow with the simulated time
# (issue 13, finding 4): the same endpoint run for a simulated time T and
# for 10·T, with and without per-minute output, must peak within 1.2× the
# resident memory (peak RSS from /usr/bin/time).
#
#   scripts/memory_bound.sh [BIN]     # BIN default: target/release/mmesim
#
# Cases (each T, then 10·T):
#   steady     a day (ten days) of 1 request/s on 4 instances in 2 zones
#   steady+csv the same with --metrics FILE.csv (tidy CSV, streamed) and --plot
#   drain      60 s of arrivals, then a 2-hour (20-hour) download drains
# Exit code 1 if a ratio reaches 1.2.
set -euo pipefail
bin=${1:-target/release/mmesim}
[ -x "$bin" ] || { echo "no $bin: cargo build --release -p mmesim-cli" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# scenario NAME DURATION_S DOWNLOAD_OVERHEAD_MS
scenario() {
  cat >"$tmp/$1.toml" <<TOML
name = "$1"
seed = 7
duration_s = $2
[cluster]
instance_type = "ml.m5.xlarge"
instances = 4
zones = 2
download_overhead_ms = $3
request_timeout_s = 60.0
[models]
count = 50
memory_mib = { dist = "lognormal", median = 120.0, sigma = 0.6 }
service_ms = { dist = "exponential", mean = 20.0 }
[workload]
arrival = { process = "poisson", rate_per_s = 1.0 }
popularity = { dist = "zipf", alpha = 1.0 }
TOML
}

# rss ARGS…: peak RSS of `mmesim run ARGS…`, KiB.
rss() {
  /usr/bin/time -f '%M' -o "$tmp/rss" "$bin" run "$@" >/dev/null 2>"$tmp/stderr" || {
    cat "$tmp/stderr" >&2
    exit 1
  }
  cat "$tmp/rss"
}

scenario day 86400 0
scenario days10 864000 0
scenario drain2h 60 7200000
scenario drain20h 60 72000000

fail=0
report() { # NAME RSS_T RSS_10T
  ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.3f", b / a }')
  ok=$(awk -v r="$ratio" 'BEGIN { print (r < 1.2) ? "ok" : "FAIL" }')
  [ "$ok" = ok ] || fail=1
  printf '%-11s %9s KiB %9s KiB  %s  %s\n' "$1" "$2" "$3" "$ratio" "$ok"
}
printf '%-11s %13s %13s  %s\n' case "T" "10·T" "ratio"
report steady "$(rss "$tmp/day.toml")" "$(rss "$tmp/days10.toml")"
report steady+csv "$(rss "$tmp/day.toml" --metrics "$tmp/a.csv" --plot "$tmp/a.svg")" \
  "$(rss "$tmp/days10.toml" --metrics "$tmp/b.csv" --plot "$tmp/b.svg")"
printf '  (metrics files: %s and %s bytes)\n' "$(stat -c %s "$tmp/a.csv")" "$(stat -c %s "$tmp/b.csv")"
report drain "$(rss "$tmp/drain2h.toml" --metrics "$tmp/c.csv")" "$(rss "$tmp/drain20h.toml" --metrics "$tmp/d.csv")"
exit $fail
