"""A run from Python against the CLI on one scenario (docs/PERFORMANCE.md,
"From Python"): N interleaved pairs, each timed whole; prints the medians,
their ratio and the median of the pairs' ratios.

    python scripts/py_speed.py SCENARIO N     # from the repository's root,
                                              # with the package installed
"""
import sys, time, subprocess, statistics, mmesim
path = sys.argv[1]; n = int(sys.argv[2])
s = mmesim.Scenario.from_toml(path)
py, cli = [], []
for i in range(n):
    t = time.perf_counter(); s.run(); py.append(time.perf_counter() - t)
    t = time.perf_counter(); subprocess.run(["taskset", "-c", "0", "target/release/mmesim", "run", path, "--json", "-q"], stdout=subprocess.DEVNULL, check=True); cli.append(time.perf_counter() - t)
pm, cm = statistics.median(py), statistics.median(cli)
print(f"python run() median {pm:.3f} s, CLI process median {cm:.3f} s, ratio {pm/cm:.3f} (n={n})")
print("pair ratios median", statistics.median([a/b for a, b in zip(py, cli)]))
