"""The cost of an eviction policy written in Python (docs/PERFORMANCE.md,
"From Python"): the same synthetic trace replayed through the built-in LRU
and through an LRU in Python (an OrderedDict), N times each, interleaved;
prints the median times and the cost per request and per call.

    python scripts/py_policy_cost.py TRACE.og N   # a trace from `mmesim synth-trace`
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


trace, n = sys.argv[1], int(sys.argv[2])
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
