"""The cost of policies written in Python (docs/PERFORMANCE.md, "From
Python"), N times each, interleaved; prints the median times and the cost
per request and per policy call (calls counted in one more run).

    python scripts/py_policy_cost.py replay TRACE.og N
        a synthetic trace (`mmesim synth-trace`) replayed through the
        built-in LRU and an LRU in Python (an OrderedDict) at 10 % of its
        working set: the same misses
    python scripts/py_policy_cost.py cluster SCENARIO.toml N [PATH=VALUE ...]
        a scenario run with its memory tier under the built-in LRU and
        under the Python LRU, then with the built-in least-outstanding
        router and the same router in Python: the same reports
"""
import statistics
import sys
import time
from collections import OrderedDict

import mmesim


class PyLRU(mmesim.EvictionPolicy):
    name = "py-lru"

    def __init__(self):
        self.order = OrderedDict()

    def on_insert(self, id, size):
        self.order[id] = None

    def on_access(self, id):
        self.order.move_to_end(id)

    def on_remove(self, id):
        del self.order[id]

    def victim(self, pinned):
        return next((k for k in self.order if k not in pinned), None)


class Count(PyLRU):
    calls = 0

    def on_insert(self, id, size):
        Count.calls += 1
        super().on_insert(id, size)

    def on_access(self, id):
        Count.calls += 1
        super().on_access(id)

    def on_remove(self, id):
        Count.calls += 1
        super().on_remove(id)

    def victim(self, pinned):
        Count.calls += 1
        return super().victim(pinned)


class PyLeastOutstanding(mmesim.Router):
    def route(self, model, view):
        first = view.by_load(1)
        return first[0] if first else None


class CountRouter(PyLeastOutstanding):
    calls = 0

    def route(self, model, view):
        CountRouter.calls += 1
        return super().route(model, view)


def replay(trace: str, n: int) -> None:
    built, py = [], []
    for _ in range(n):
        t = time.perf_counter(); a = mmesim.cache_replay(trace, ["lru"], ["10%"], threads=1, as_dataframe=False); built.append(time.perf_counter() - t)
        t = time.perf_counter(); b = mmesim.cache_replay(trace, [PyLRU], ["10%"], as_dataframe=False); py.append(time.perf_counter() - t)
    assert a[0]["misses"] == b[0]["misses"], (a, b)
    mmesim.cache_replay(trace, [Count], ["10%"], as_dataframe=False)
    reqs = a[0]["requests"]
    bm, pm = statistics.median(built), statistics.median(py)
    print(f"{reqs} requests, {Count.calls} policy calls, misses {a[0]['misses']} (equal)")
    print(f"built-in lru: median {bm:.3f} s ({bm / reqs * 1e9:.0f} ns/request)")
    print(f"python lru:   median {pm:.3f} s ({pm / reqs * 1e9:.0f} ns/request, {(pm - bm) / Count.calls * 1e9:.0f} ns more per call), {pm / bm:.1f}x")


def cluster(path: str, n: int, sets: list) -> None:
    s = mmesim.Scenario.from_toml(path)
    for arg in sets:  # PATH=VALUE, the value a number or a string
        k, v = arg.split("=", 1)
        try:
            value = int(v)
        except ValueError:
            try:
                value = float(v)
            except ValueError:
                value = v
        s.set(k, value)
    s.set("eviction.memory", "lru")
    lo = s.with_overrides(**{"routing.policy": "least-outstanding"})

    times = {"built-in lru": [], "python lru": [], "built-in router": [], "python router": []}
    for _ in range(n):
        for label, run in [
            ("built-in lru", lambda: s.run()),
            ("python lru", lambda: s.run(eviction=PyLRU)),
            ("built-in router", lambda: lo.run()),
            ("python router", lambda: lo.run(router=PyLeastOutstanding)),
        ]:
            t = time.perf_counter()
            r = run()
            times[label].append(time.perf_counter() - t)
            if label == "built-in lru":
                want_lru = r.json
            elif label == "python lru":
                assert r.json == want_lru, "the Python LRU's report differs"
            elif label == "built-in router":
                want_router = r.json
            else:
                assert r.json == want_router, "the Python router's report differs"
    reqs = r.requests.arrived
    s.run(eviction=Count)
    lo.run(router=CountRouter)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{reqs} requests; {Count.calls} eviction calls, {CountRouter.calls} route calls; reports equal")
    for what, calls in [("lru", Count.calls), ("router", CountRouter.calls)]:
        b, p = med[f"built-in {what}"], med[f"python {what}"]
        print(
            f"{what}: built-in {b:.3f} s, python {p:.3f} s ({p / b:.2f}x; "
            f"{(p - b) / reqs * 1e9:.0f} ns more per request, {(p - b) / calls * 1e9:.0f} ns more per call)"
        )


if __name__ == "__main__":
    mode, what, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "replay":
        replay(what, runs)
    elif mode == "cluster":
        cluster(what, runs, sys.argv[4:])
    else:
        sys.exit(f"mode: replay or cluster, got {mode!r}")
