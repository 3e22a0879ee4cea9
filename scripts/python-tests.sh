#!/usr/bin/env bash
# The Python package's tests (issue 16), as .ci/run runs them: a virtual
# environment under target/ with maturin, pytest, pandas, matplotlib (for
# the notebook example) and Dask from the package registry, the package
# built from crates/py, the CLI built for the comparisons, then pytest.
#
# Both are built in cargo's dev profile, which compiles in about half the
# time of a release build (`pip install ./crates/py`, what users run, builds
# in release): a test here compares a report made by the package with the
# CLI's for the same scenario, so it also checks that the two profiles
# simulate the same thing to the byte.
#
#   scripts/python-tests.sh [PYTEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/pyvenv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
pip=("$venv/bin/pip" --quiet --disable-pip-version-check)
"${pip[@]}" install maturin pytest pandas matplotlib "dask[distributed]"
MATURIN_PEP517_ARGS="--profile dev" "${pip[@]}" install --force-reinstall --no-deps ./crates/py
cargo build --quiet -p mmesim-cli
MMESIM_CLI=target/debug/mmesim "$venv/bin/python" -m pytest -q -p no:cacheprovider crates/py/tests "$@"
