"""The cost of policies written in Python in a cluster run
(docs/PERFORMANCE.md, "From Python"): a scenario run with its own memory
LRU and with an LRU in Python (an OrderedDict) managing every instance's
memory tier, then with the built-in least-outstanding router and with the
same router in Python; N times each, interleaved. Prints the median times
and the cost per request and per policy call (calls counted in one more
run). The Python LRU must give the built-in one's report, and the Python
router the built-in router's.

    python scripts/py_cluster_cost.py SCENARIO.toml N [PATH=VALUE ...]
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


class CountLRU(PyLRU):
    calls = 0

    def on_insert(self, id, size):
        CountLRU.calls += 1
        super().on_insert(id, size)

    def on_access(self, id):
        CountLRU.calls += 1
        super().on_access(id)

    def on_remove(self, id):
        CountLRU.calls += 1
        super().on_remove(id)

    def victim(self, pinned):
        CountLRU.calls += 1
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


path, n = sys.argv[1], int(sys.argv[2])
s = mmesim.Scenario.from_toml(path)
for arg in sys.argv[3:]:  # PATH=VALUE, the value a number or a string
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
s.run(eviction=CountLRU)
lo.run(router=CountRouter)
med = {k: statistics.median(v) for k, v in times.items()}
print(f"{reqs} requests; {CountLRU.calls} eviction calls, {CountRouter.calls} route calls; reports equal")
for what, calls in [("lru", CountLRU.calls), ("router", CountRouter.calls)]:
    b, p = med[f"built-in {what}"], med[f"python {what}"]
    print(
        f"{what}: built-in {b:.3f} s, python {p:.3f} s ({p / b:.2f}x; "
        f"{(p - b) / reqs * 1e9:.0f} ns more per request, {(p - b) / calls * 1e9:.0f} ns more per call)"
    )
