# %% [markdown]
# # Eviction policies from a notebook: miss-ratio curves and a cluster run
#
# What this shows: mmesim from Python, as a researcher uses it in a
# notebook (this file is a script of cells, `# %%`, which VS Code, Spyder
# and Jupytext open as a notebook; or run it whole with
# `python examples/python/eviction_notebook.py [OUT_DIR]`):
#
# 1. a synthetic Zipf trace, replayed through the built-in eviction
#    policies and two written here in Python (LRU and segmented LRU), at
#    seven cache sizes: miss-ratio curves plotted with matplotlib;
# 2. the same Python policies managing the model memory of every instance
#    of a thrashing endpoint, and a Python router, next to the built-in
#    ones: hit ratio and p99 latency side by side.
#
# ```text
#   synth_trace ──► zipf.og ──► cache_replay(lru, fifo, …, SLRU, PyLRU) ──► miss_ratio_curves.png
#
#   quickstart.toml (3 instances: memory thrashes)
#        │ router: sticky | HomeFirst (Python)
#        ▼
#   instance ── memory tier: lru | fifo | PyLRU | SLRU (one Python object per instance)
#                                               ──► cluster_policies.png
# ```
#
# It asserts its outcome: the Python LRU misses exactly as the built-in
# LRU on the trace and gives the very same report in the cluster run,
# Belady's offline optimum misses least at every size, and LRU's curve
# never rises with the cache size (LRU is a stack algorithm).
#
# Needs: `pip install ./crates/py matplotlib pandas`.

# %%
import os
import pathlib
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")  # files, not windows: delete this line in a notebook
import matplotlib.pyplot as plt

import mmesim

HERE = pathlib.Path(__file__).resolve().parent if "__file__" in globals() else pathlib.Path.cwd()
ROOT = HERE.parents[1] if (HERE.parents[1] / "examples").is_dir() else pathlib.Path.cwd()
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 and "__file__" in globals() else pathlib.Path(".")
OUT.mkdir(parents=True, exist_ok=True)
# A smaller trace and run when MMESIM_EXAMPLE_QUICK is set (the test suite
# runs this file with an unoptimised build).
QUICK = bool(os.environ.get("MMESIM_EXAMPLE_QUICK"))

# %% [markdown]
# ## Two eviction policies written in Python
#
# A policy is told what happens (`on_insert`, `on_access`, `on_remove`)
# and asked for a `victim` among the objects it holds, skipping the
# `pinned` ones (models serving requests, in a cluster run). It only
# proposes: the cache removes the victim and calls `on_remove`.


# %%
class PyLRU(mmesim.EvictionPolicy):
    """Least recently used: an ordered dict, least recent first."""

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


class SLRU(mmesim.EvictionPolicy):
    """Segmented LRU (R. Karedla, J. S. Love, B. G. Wherry, IEEE Computer
    1994): new objects enter a probationary segment; a hit promotes one to
    the protected segment, which keeps at most 80 % of the objects (its
    least recent one goes back to probation). Victims come from probation
    first, so one-hit objects do not push out the popular ones."""

    name = "py-slru"
    PROTECTED_SHARE = 0.8

    def __init__(self):
        self.probation = OrderedDict()
        self.protected = OrderedDict()

    def on_insert(self, id, size):
        self.probation[id] = None

    def on_access(self, id):
        if id in self.protected:
            self.protected.move_to_end(id)
            return
        del self.probation[id]
        self.protected[id] = None
        held = len(self.probation) + len(self.protected)
        if len(self.protected) > self.PROTECTED_SHARE * held:
            old, _ = self.protected.popitem(last=False)
            self.probation[old] = None

    def on_remove(self, id):
        if self.probation.pop(id, 0) == 0:
            del self.protected[id]

    def victim(self, pinned):
        for segment in (self.probation, self.protected):
            for k in segment:
                if k not in pinned:
                    return k
        return None


# %% [markdown]
# ## Miss-ratio curves on a synthetic trace
#
# 200,000 requests for 20,000 objects, Zipf-popular with skew 0.8
# (`mmesim synth-trace`). Sizes are shares of the trace's footprint.

# %%
trace = OUT / "zipf.og"
objects, requests = (5_000, 50_000) if QUICK else (20_000, 200_000)
mmesim.synth_trace(trace, objects=objects, requests=requests, alpha=0.8, seed=7)
sizes = ["0.5%", "1%", "2%", "5%", "10%", "20%", "40%"]
built_in = ["lru", "fifo", "sieve", "s3fifo", "arc", "lfu", "belady"]
curves = mmesim.cache_replay(trace, [*built_in, PyLRU, SLRU], sizes, as_dataframe=True)
table = curves.pivot(index="cache_bytes", columns="policy", values="miss_ratio")
print(table.round(4).to_string())

# %%
fig, ax = plt.subplots(figsize=(8, 5))
for policy in table.columns:
    dashed = policy.startswith("py-")
    ax.plot(table.index, table[policy], marker="o" if not dashed else "x",
            linestyle="--" if dashed else "-", label=policy)
ax.set_xscale("log")
ax.set_xlabel("cache size (objects)")
ax.set_ylabel("miss ratio")
ax.set_title(f"Miss-ratio curves, Zipf(0.8) trace, {objects:,} objects")
ax.grid(True, which="both", alpha=0.3)
ax.legend(ncol=2)
fig.tight_layout()
fig.savefig(OUT / "miss_ratio_curves.png", dpi=110)

# %%
# The Python LRU is the built-in LRU, miss for miss.
assert (table["py-lru"] == table["lru"]).all()
# Belady's offline optimum misses least at every size.
assert (table.drop(columns="belady").min(axis=1) >= table["belady"]).all()
# LRU is a stack algorithm: a bigger cache never misses more.
assert table["lru"].is_monotonic_decreasing
# Segmented LRU keeps the popular objects out of reach of one-hit ones.
assert (table["py-slru"] < table["lru"]).all()

# %% [markdown]
# ## The same policies managing an endpoint's model memory
#
# The quickstart endpoint on 3 instances instead of 4: its 200 models
# (58 GiB with their container workers) do not fit in 3 × 14 GiB of model
# memory, and memory thrashes. Each
# instance gets its own Python policy object; pinned models (serving or
# awaited) are never proposed. A Python router that sends each request
# where its model is already loaded (or coming) competes with the
# built-in `sticky` one.


# %%
class HomeFirst(mmesim.Router):
    """Where the model is loaded or coming, the least loaded such
    instance; else the least loaded instance."""

    name = "home-first"

    def route(self, model, view):
        warm = [c.instance for c in view.copies(model) if c.in_memory_or_coming()]
        warm = [i for i in warm if view.instance(i).accepts]
        if warm:
            return min(warm, key=lambda i: (view.instance(i).outstanding, i))
        first = view.by_load(1)
        return first[0] if first else None


s = (
    mmesim.Scenario.from_toml(ROOT / "examples" / "scenarios" / "quickstart.toml")
    .set("cluster.instances", 3)
    .set("duration_s", 600.0 if QUICK else 900.0)
    .set("warmup_s", 120.0)
)
runs = {
    "lru (built-in)": s.run(),
    "fifo (built-in)": s.with_overrides(**{"eviction.memory": "fifo"}).run(),
    "py-lru": s.run(eviction=PyLRU),
    "py-slru": s.run(eviction=SLRU),
    "py-slru + home-first": s.run(eviction=SLRU, router=HomeFirst),
}
import pandas as pd  # noqa: E402

cluster = pd.DataFrame(
    [
        {
            "policy": name,
            "hit_ratio": r.model_cache_hit,
            "p99_s": r.latency_ms.p99 / 1000,
            "loads": r.cache.loads,
            "failed": r.requests.failed,
        }
        for name, r in runs.items()
    ]
).set_index("policy")
print(cluster.round(3).to_string())

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
cluster["hit_ratio"].plot.barh(ax=left, color="tab:blue")
left.set_xlabel("model cache hit ratio")
cluster["p99_s"].plot.barh(ax=right, color="tab:orange")
right.set_xlabel("p99 latency (s)")
right.set_ylabel("")
right.set_yticklabels([])
fig.suptitle("Quickstart on 3 instances: memory policies and routers")
fig.tight_layout()
fig.savefig(OUT / "cluster_policies.png", dpi=110)

# %%
# The Python LRU gives the built-in LRU's report, byte for byte.
assert runs["py-lru"].json == runs["lru (built-in)"].json
# Not vacuous: the endpoint thrashes, and another policy changes the run.
assert runs["lru (built-in)"].cache.unloads > 100
assert runs["fifo (built-in)"].json != runs["lru (built-in)"].json
print(f"figures in {OUT.resolve()}")
