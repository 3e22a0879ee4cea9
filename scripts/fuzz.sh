#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) one after
# another, SECONDS each (default 600), and prints the executions and the
# outcome per target. Not in CI. docs/RELIABILITY.md ("Fuzzing") lists the
# targets and records results.
#
#   scripts/fuzz.sh                      # every target, 10 minutes each
#   scripts/fuzz.sh 60 scenario merge    # two targets, one minute each
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on the stable
# toolchain through RUSTC_BOOTSTRAP=1. Each target starts from its seeds in
# fuzz/corpus/<target>/ (libFuzzer adds what it finds there; only the
# seed-* files are kept in git). A crash or timeout stops that target and
# leaves its input in fuzz/artifacts/<target>/; reproduce it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none TARGET fuzz/artifacts/TARGET/crash-…
# and shrink it with `cargo fuzz tmin -s none TARGET ARTIFACT`.
#
# Environment: FUZZ_SANITIZER (default `none`: the workspace has no unsafe
# code, and overflow checks and debug assertions are on either way;
# `address` also checks the dependencies' unsafe code, at half the
# speed); FUZZ_TIMEOUT, seconds one input may take before it counts as a
# hang (default 10; 30 for `simulate`).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

ALL=(scenario sweep merge cache_csv cache_oracle reqtrace azure cloudwatch simulate)
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")

# The largest input per target: enough for its seeds and for every
# structure of its format, small enough that one execution stays fast.
max_len() {
    case $1 in
        scenario | cloudwatch) echo 8192 ;;
        sweep | cache_csv | reqtrace) echo 4096 ;;
        merge) echo 16384 ;;
        cache_oracle) echo 4800 ;; # 200 records of 24 bytes
        azure) echo 24576 ;;       # a header of 1,444 columns, a few rows
        simulate) echo 1024 ;;
        *) echo "unknown target $1 (known: ${ALL[*]})" >&2 && exit 2 ;;
    esac
}
for t in "${targets[@]}"; do max_len "$t" > /dev/null; done

export RUSTC_BOOTSTRAP=1
sanitizer=${FUZZ_SANITIZER:-none}
cargo fuzz build -s "$sanitizer"

# The targets rewrite the traces they read at every execution: on a RAM
# file system when there is one (a hundred times faster than a disk).
scratch=$(mktemp -d -p /dev/shm 2> /dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
logs=${CARGO_TARGET_DIR:-$PWD/target}/fuzz-logs
mkdir -p "$logs"

failed=0
summary=$(printf '%-14s %8s %14s  %s' target seconds executions result)
for t in "${targets[@]}"; do
    timeout=${FUZZ_TIMEOUT:-$([ "$t" = simulate ] && echo 30 || echo 10)}
    log=$logs/$t.log
    echo "== $t: ${secs} s, -max_len=$(max_len "$t"), log $log" >&2
    mkdir -p "corpus/$t"
    set +e
    TMPDIR=$scratch cargo fuzz run -s "$sanitizer" "$t" -- \
        -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout="$timeout" \
        -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1
    rc=$?
    set -e
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    if [ $rc -eq 0 ]; then
        result=ok
    else
        failed=1
        what=$(grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^ ]+' "$log" || echo "exit $rc")
        artifact=$(grep -m1 -oE 'Test unit written to [^ ]+' "$log" | sed 's/Test unit written to //' || true)
        result="FAILED ($what) ${artifact}"
    fi
    summary+=$'\n'$(printf '%-14s %8s %14s  %s' "$t" "$secs" "${execs:-?}" "$result")
done
echo "$summary"
exit $failed
