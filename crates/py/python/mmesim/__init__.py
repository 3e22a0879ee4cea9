"""mmesim from Python: simulate multi-model inference endpoints.

The simulator is the Rust crate workspace of mmesim; this package runs it
in-process (the native module ``mmesim._native``), with the GIL released
during runs. A run gives the same report as ``mmesim run --json``, field for
field and value for value.

    import mmesim
    s = mmesim.Scenario.from_toml("examples/scenarios/quickstart.toml")
    s.set("cluster.instances", 8)            # dotted paths, as --set
    r = s.run()
    r.latency_ms.p99, r.model_cache_hit      # attribute access
    r.to_dict()                              # the JSON report as a dict
    r.minutes()                              # per-minute rows: a pandas
                                             # DataFrame, or a list of dicts

Also: ``sweep``, ``cache_replay``, ``recommend``, ``calibrate`` and
``synth_trace`` (the CLI's commands), and policies written in Python
(``EvictionPolicy``, ``Router``) for cluster runs and cache replays.

Errors carry the CLI's messages: ``FileNotFoundError`` for a missing file,
``ValueError`` for a bad field, key or value.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _native

__all__ = [
    "Scenario", "Report", "Recommendation", "Calibration", "EvictionPolicy", "Router", "sweep", "cache_replay",
    "recommend", "calibrate", "synth_trace", "__version__",
]
__version__ = _native.__version__


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


class _Fields:
    """A read-only view of a JSON object with attribute access."""

    __slots__ = ("_d",)

    def __init__(self, d: Dict[str, Any]):
        object.__setattr__(self, "_d", d)

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._d[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._d[key])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("reports are read-only")

    def __contains__(self, key: str) -> bool:
        return key in self._d

    def __iter__(self):
        return iter(self._d)

    def keys(self):
        return self._d.keys()

    def to_dict(self) -> Dict[str, Any]:
        """The fields as plain (nested) dicts and lists: a deep copy."""
        return json.loads(json.dumps(self._d))

    def __dir__(self):
        return list(self._d.keys()) + ["to_dict", "keys"]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Fields):
            return self._d == other._d
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._d!r})"


def _wrap(v: Any) -> Any:
    return _Fields(v) if isinstance(v, dict) else v


class Report(_Fields):
    """A run's report: the fields of ``mmesim run --json``.

    ``r.requests.arrived``, ``r["latency_ms"]["p99"]`` and ``r.to_dict()``
    all read the same JSON; ``r.json`` is that JSON, byte for byte as the
    CLI prints it. ``r.minutes()`` gives the per-minute rows of
    ``mmesim run --metrics`` when the run kept them.
    """

    __slots__ = ("_json", "_csv")

    def __init__(self, report_json: str, metrics_csv: str = ""):
        super().__init__(json.loads(report_json))
        object.__setattr__(self, "_json", report_json)
        object.__setattr__(self, "_csv", metrics_csv)

    @property
    def json(self) -> str:
        """The report exactly as ``mmesim run --json`` prints it."""
        return self._json

    def minutes(self, as_dataframe: Optional[bool] = None):
        """The per-minute rows (``mmesim run --metrics``'s CSV): a pandas
        DataFrame when pandas is installed (or ``as_dataframe=True``), else
        a list of dicts with numbers as numbers. Needs a run made with
        ``run(metrics=True)``."""
        if not self._csv:
            raise ValueError("this run kept no per-minute rows: run it with run(metrics=True)")
        return _table(self._csv, as_dataframe)


def _table(text: str, as_dataframe: Optional[bool]):
    """CSV text as a pandas DataFrame (by default when pandas is installed)
    or a list of dicts with numbers as numbers."""
    if as_dataframe is None:
        as_dataframe = _has_pandas()
    if as_dataframe:
        import pandas as pd

        return pd.read_csv(io.StringIO(text))
    return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def sweep(
    base: "Scenario",
    axes: Dict[str, List[Any]],
    threads: Optional[int] = None,
    as_dataframe: Optional[bool] = None,
    executor: Any = None,
    shards: Optional[int] = None,
):
    """Runs ``base`` at every point of the grid ``axes`` (dotted paths to
    lists of values, like a sweep file's ``[axes]``: the last axis varies
    fastest) and returns one row per point: the point's number, its
    parameters and its figures, exactly the rows of ``mmesim sweep --csv``.
    A pandas DataFrame when pandas is installed (or ``as_dataframe=True``),
    else a list of dicts. Every value and every point is checked before
    anything runs; a bad one raises ``ValueError`` naming its axis.

    Without ``executor`` the points run here on ``threads`` threads
    (default: every core), the GIL released. With one (anything with a
    ``concurrent.futures``-style ``submit``: a ``ProcessPoolExecutor``, a
    Dask ``Client``), the sweep is cut into ``shards``
    (default: one per point, at most 256) that the executor runs wherever it
    runs things, each on one thread; their rows are merged as
    ``mmesim merge`` merges shards. The rows are the same either way.
    """
    if not isinstance(axes, dict):
        raise ValueError(f"axes: a dict of dotted paths to lists of values, got {type(axes).__name__}")
    if executor is None:
        return _table(_native.sweep(base._s, axes, threads), as_dataframe)
    points = _native.sweep_len(base._s, axes)
    n = min(points, 256) if shards is None else shards
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"shards: a positive number of shards, got {n!r}")
    n = min(n, points)
    state = base._s.state()
    futures = [executor.submit(_sweep_shard, state, axes, k, n) for k in range(1, n + 1)]
    parts = [(f"shard {k}/{n}", f.result()) for k, f in zip(range(1, n + 1), futures)]
    return _table(_native.sweep_merge(parts), as_dataframe)


def _number(s: str) -> Union[int, float, str]:
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def _sweep_shard(state, axes, k: int, n: int) -> str:
    """One shard of a sweep, where an executor runs it: its rows as JSON
    Lines. Module-level so that executors can pickle it."""
    return _native.sweep(_native.Scenario.from_state(*state), axes, 1, "<sweep>", (k, n))


class EvictionPolicy:
    """An eviction policy written in Python, for :func:`cache_replay` and
    for cluster runs (``Scenario.run(eviction=...)``).

    Subclass it and pass the class (or any zero-argument callable making a
    fresh policy): the cache makes one per size in a replay, one per
    instance (and tier) in a cluster run, and tells it what happens, as it
    tells the built-in policies:

    * ``on_insert(id, size)``: object ``id`` (a dense integer) of ``size``
      bytes entered the cache (after a miss);
    * ``on_access(id)``: a hit on ``id``;
    * ``on_remove(id)``: ``id`` left the cache (it was the victim; in a
      cluster, also when its instance failed or was removed);
    * ``victim(pinned)``: the cache needs room: which held ``id`` to
      evict? ``pinned`` is the frozenset of held ids that may not be
      evicted now (in a cluster, models serving or awaited by requests;
      always empty in a replay). The victim is removed next
      (``on_remove``), so ``victim`` only proposes; ``None`` means every
      held id is pinned;
    * ``on_unpin(id)`` (optional): a pinned id is free to go again. Only
      called when the subclass defines it.

    In a cluster run, ids are the instance's own small numbers for the
    models it has to do with (reused once a model left both its tiers),
    not the scenario's model ids.

    ``name`` (default: the class name, lower case) names it in results and
    errors. An exception in a method, or a victim the cache does not hold
    (or that is pinned), is raised when the replay or run ends (as
    ``ValueError`` for a bad victim). A call costs what a Python method
    call costs (docs/PERFORMANCE.md).
    """

    name: Optional[str] = None

    def on_insert(self, id: int, size: int) -> None:
        raise NotImplementedError

    def on_access(self, id: int) -> None:
        raise NotImplementedError

    def on_remove(self, id: int) -> None:
        raise NotImplementedError

    def victim(self, pinned: "frozenset[int]") -> Optional[int]:
        raise NotImplementedError

    def on_unpin(self, id: int) -> None:
        """Optional; not called unless a subclass defines it."""


class Router:
    """A routing policy written in Python, for cluster runs
    (``Scenario.run(router=...)``): one router for the endpoint, asked
    where each request goes.

    Subclass it and define ``route(model, view)``: ``model`` is the
    request's model id, ``view`` a read-only view of the cluster, valid
    during that call only:

    * ``view.now``: simulated seconds;
    * ``view.by_load(k=None)``: ids of the instances accepting requests,
      fewest outstanding requests first (``by_load(1)[0]`` is
      ``least-outstanding``'s choice);
    * ``view.accepting()``: the same ids in id order;
    * ``view.copies(model)``: the instances holding or fetching the
      model, as ``ModelCopy`` (``instance``, ``memory``: ``absent``,
      ``pending``, ``loading``, ``loaded`` or ``unloading``; ``disk``:
      ``absent``, ``pending``, ``downloading`` or ``present``;
      ``in_memory_or_coming()``);
    * ``view.instance(id)`` / ``view.instances()``: ``Instance`` records
      (``accepts``, ``outstanding``, ``serving``, ``queued_for_slot``,
      ``slot_load``, ``slots``, ``memory_capacity``, ``memory_free``,
      ``loaded_models``, ``zone``, ``lru_last_used``, …);
    * ``view.instance_count``, ``view.model_count``,
      ``view.model_memory(model)``.

    Return an instance id that accepts requests, or ``None`` to turn the
    request away (counted as ``no_healthy_instance``). Set
    ``reads_lru_age = True`` to read ``Instance.lru_last_used`` (the
    simulation then keeps a recency order per instance; otherwise it is
    ``None``). Randomised routers should seed their own generator, so
    that runs repeat. An exception, or an id that does not accept
    requests, is raised when the run ends.
    """

    name: Optional[str] = None
    reads_lru_age: bool = False

    def route(self, model: int, view: Any) -> Optional[int]:
        raise NotImplementedError


def _defines(cls: Any, method: str, base: type) -> bool:
    """Whether ``cls`` (a class) has its own ``method``, not ``base``'s."""
    own = getattr(cls, method, None)
    return own is not None and own is not getattr(base, method, None)


def _evictor_spec(make: Any, what: str):
    """``(make, name, defines on_unpin)`` for the native run."""
    if make is None:
        return None
    if isinstance(make, str):
        tier = "disk" if what == "disk_eviction" else "memory"
        raise ValueError(f"{what}: a built-in policy is set in the scenario ([eviction] {tier} = {make!r}, or "
                         f"s.set('eviction.{tier}', {make!r})); pass an EvictionPolicy class here")
    if not callable(make):
        raise ValueError(f"{what}: an EvictionPolicy class (or a callable making one), got {make!r}")
    cls = make if isinstance(make, type) else type(make())
    return (make, _policy_name(make), _defines(cls, "on_unpin", EvictionPolicy))


def _router_spec(router: Any):
    """``(router, name, reads_lru_age)`` for the native run."""
    if router is None:
        return None
    if isinstance(router, type):
        router = router()
    if isinstance(router, str) or not callable(getattr(router, "route", None)):
        raise ValueError(f"router: a Router (a class or an object with route(model, view)), got {router!r}")
    return (router, _policy_name(router), bool(getattr(router, "reads_lru_age", False)))


def _policy_name(p: Any) -> str:
    name = getattr(p, "name", None)
    if isinstance(name, str) and name:
        return name
    return getattr(p, "__name__", type(p).__name__).lower()



def cache_replay(
    trace: Union[str, "os.PathLike[str]"],
    policies: Union[str, List[Any]],
    sizes: Union[str, List[Union[str, int, float]]],
    format: str = "oracle-general",
    threads: Optional[int] = None,
    as_dataframe: Optional[bool] = None,
):
    """Replays a cache trace (``format``: ``"oracle-general"``, libCacheSim's
    binary records, or ``"csv"``) through every (policy, size) pair, like
    ``mmesim cache``: ``policies`` are names (``["lru", "gdsf"]`` or
    ``"all"``) or :class:`EvictionPolicy` subclasses (one made per size),
    ``sizes`` are cache sizes (``["1%", "10%"]``, ``"512MiB"``, or bytes as
    numbers). The built-in policies run on ``threads`` threads (default:
    every core), the GIL released; Python ones run here, holding it.
    Returns one row per replay in policy-major order, with the fields of
    ``mmesim cache --json`` (``policy``, ``size``, ``cache_bytes``,
    ``requests``, ``misses``, ``miss_ratio``, …): a pandas DataFrame when
    pandas is installed (or ``as_dataframe=True``), else a list of dicts."""
    if isinstance(policies, str):
        groups = [[policies]]
    else:
        groups = []
        for p in policies:
            if isinstance(p, str):
                if groups and isinstance(groups[-1], list):
                    groups[-1].append(p)
                else:
                    groups.append([p])
            elif callable(p):
                groups.append(p)
            else:
                raise ValueError(f"policies: a name or an EvictionPolicy class, got {p!r}")
    rows: List[Dict[str, Any]] = []
    for g in groups:
        if isinstance(g, list):
            rows.extend(json.loads(_native.cache_replay(trace, ",".join(g), sizes, format, threads)))
        else:
            rows.extend(json.loads(_native.cache_replay_python(trace, g, _policy_name(g), sizes, format)))
    return _rows(rows, as_dataframe)


def _rows(rows: List[Dict[str, Any]], as_dataframe: Optional[bool], columns: Optional[List[str]] = None):
    """Rows (dicts) as a pandas DataFrame (by default when pandas is
    installed; ``columns`` name an empty one's) or as they are."""
    if as_dataframe is None:
        as_dataframe = _has_pandas()
    if as_dataframe:
        import pandas as pd

        return pd.DataFrame(rows, columns=columns if not rows else None)
    return rows


def synth_trace(
    path: Union[str, "os.PathLike[str]"],
    objects: int = 1_000_000,
    requests: int = 10_000_000,
    alpha: float = 1.0,
    object_bytes: int = 1,
    seed: int = 42,
    sparse_ids: bool = False,
) -> None:
    """Writes a synthetic cache trace to ``path``, as ``mmesim synth-trace``
    does (byte for byte): ``requests`` requests for ``objects`` objects of
    ``object_bytes`` bytes each, Zipf-popular with skew ``alpha``, in
    libCacheSim's oracle-general form (with next-access times, so
    ``belady`` can replay it); ``sparse_ids`` scrambles the ids into 64-bit
    ones like a real trace's hashed ids. For :func:`cache_replay`."""
    _native.synth_trace(path, objects, requests, alpha, object_bytes, seed, sparse_ids)


class Recommendation(_Fields):
    """What ``mmesim recommend --json`` prints: ``targets``, ``seeds``,
    ``survive_zone_loss``, ``ranked`` (the configurations that meet every
    target, cheapest first), ``no_fit``, ``evaluated``, ``notes``;
    ``cheapest`` is the first ranked one (``None`` if none fits) and
    :meth:`table` a list as a DataFrame."""

    __slots__ = ("_json",)

    def __init__(self, text: str):
        super().__init__(json.loads(text))
        object.__setattr__(self, "_json", text)

    @property
    def json(self) -> str:
        """The recommendation as JSON (``mmesim recommend --json``'s
        fields)."""
        return self._json

    @property
    def cheapest(self) -> Optional[Dict[str, Any]]:
        ranked = self._d["ranked"]
        return dict(ranked[0]) if ranked else None

    def table(self, which: str = "ranked", as_dataframe: Optional[bool] = None):
        """One of the lists (``"ranked"``, ``"no_fit"``, ``"evaluated"``),
        one row per configuration: a pandas DataFrame when pandas is
        installed (or ``as_dataframe=True``), else a list of dicts."""
        if which not in ("ranked", "no_fit", "evaluated"):
            raise ValueError(f"which: one of ranked, no_fit, evaluated, got {which!r}")
        return _rows([dict(r) for r in self._d[which]], as_dataframe, _EVALUATION_COLUMNS)


_EVALUATION_COLUMNS = [
    "instance_type", "instances", "cost_per_hour", "passes", "missed", "p99_ms", "p99_ms_all_zones",
    "model_cache_hit", "unloads_per_min", "error_rate", "memory_headroom_pct", "vcpu_headroom_pct", "runs",
]


def recommend(
    base: "Scenario",
    p99_ms: float,
    min_hit: Optional[float] = None,
    max_errors: float = 0.001,
    types: Optional[List[str]] = None,
    max_instances: int = 32,
    seeds: int = 3,
    survive_zone_loss: bool = False,
    exhaustive: bool = False,
    threads: Optional[int] = None,
) -> Recommendation:
    """The cheapest instance type and count of ``base`` that meet a p99
    target (and optionally a hit ratio and an error rate), as
    ``mmesim recommend`` finds them, with its defaults (§11 of the guide);
    the GIL released. ``r.table()`` is the ranked list as a DataFrame,
    ``r.cheapest`` the answer."""
    return Recommendation(
        _native.recommend(
            base._s, p99_ms, min_hit, max_errors, types, max_instances, seeds, survive_zone_loss, exhaustive, threads
        )
    )


class Calibration(_Fields):
    """What ``mmesim calibrate --json`` prints: ``parameters`` (each with
    its ``initial`` and ``fitted`` value, ``status``, ``reason``),
    ``metrics`` (observed against twin), ``warnings``, ``set`` (the fields
    it sets), ``runs``, ``window_min``; ``twin`` is the calibrated
    :class:`Scenario`, ``scenario_toml`` what ``--out`` writes, and
    :meth:`table` the parameters or the metrics as a DataFrame."""

    __slots__ = ("_json", "_toml", "_twin")

    def __init__(self, text: str, scenario_toml: str, twin: "Scenario"):
        super().__init__(json.loads(text))
        object.__setattr__(self, "_json", text)
        object.__setattr__(self, "_toml", scenario_toml)
        object.__setattr__(self, "_twin", twin)

    @property
    def json(self) -> str:
        """The calibration exactly as ``mmesim calibrate --json`` prints it."""
        return self._json

    @property
    def scenario_toml(self) -> str:
        """The calibrated scenario as ``mmesim calibrate --out`` writes it."""
        return self._toml

    @property
    def twin(self) -> "Scenario":
        """The calibrated scenario, ready to run, sweep or recommend."""
        return self._twin

    def table(self, which: str = "parameters", as_dataframe: Optional[bool] = None):
        """``"parameters"`` or ``"metrics"``, one row each: a pandas
        DataFrame when pandas is installed (or ``as_dataframe=True``), else
        a list of dicts."""
        if which not in ("parameters", "metrics"):
            raise ValueError(f"which: one of parameters, metrics, got {which!r}")
        return _rows([dict(r) for r in self._d[which]], as_dataframe)


def calibrate(
    base: "Scenario",
    metrics: Union[str, "os.PathLike[str]"],
    window: Optional[Tuple[float, float]] = None,
    fix: Optional[List[str]] = None,
    tolerance: float = 0.01,
) -> Calibration:
    """A digital twin of a running endpoint, as ``mmesim calibrate``
    fits it (§14 of the guide): ``base`` is what you know of the endpoint,
    ``metrics`` its per-minute CloudWatch export (the JSON of
    ``aws cloudwatch get-metric-data``, or its CSV); ``window`` the
    compared seconds ``(from, to)`` (default: from the end of the warm-up
    to the end), ``fix`` the parameters to leave as they are,
    ``tolerance`` the relative error at which a metric counts as matched.
    The GIL is released meanwhile."""
    text, toml_text, twin = _native.calibrate(base._s, metrics, window, fix, tolerance)
    return Calibration(text, toml_text, Scenario(twin))


class _Section:
    """One table of a scenario (``s.cluster``): its fields read and set as
    attributes, each set validated as ``Scenario.set`` validates it."""

    __slots__ = ("_scenario", "_path", "_d")

    def __init__(self, scenario: "Scenario", path: str, d: Dict[str, Any]):
        object.__setattr__(self, "_scenario", scenario)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_d", d)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._d:
            raise AttributeError(f"`{self._path}` has no field `{name}`")
        v = self._d[name]
        return _Section(self._scenario, f"{self._path}.{name}", v) if isinstance(v, dict) else v

    def __setattr__(self, name: str, value: Any) -> None:
        path = f"{self._path}.{name}"
        self._scenario.set(path, value)
        # Read back what the scenario now holds under this table.
        d = self._scenario.to_dict()
        for part in self._path.split("."):
            d = d[part]
        object.__setattr__(self, "_d", d)

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(json.dumps(self._d))

    def __dir__(self):
        return list(self._d.keys())

    def __repr__(self) -> str:
        return f"<{self._path}: {self._d!r}>"


class Scenario:
    """A validated scenario: the TOML file's tables, with the CLI's defaults
    and checks.

    Build one with :meth:`from_toml` or :meth:`from_dict`; change it with
    :meth:`set` (dotted paths, like ``mmesim run --set``) or by attribute
    (``s.cluster.instances = 8``); read it the same way, or whole with
    :meth:`to_dict`; run it with :meth:`run`. Every change is validated at once, and a bad one raises
    ``ValueError`` naming the field and leaves the scenario as it was.
    """

    __slots__ = ("_s",)

    def __init__(self, native: "_native.Scenario"):
        self._s = native

    @staticmethod
    def from_toml(path: Union[str, "os.PathLike[str]"]) -> "Scenario":
        """Reads a scenario file (``FileNotFoundError`` if there is none)."""
        return Scenario(_native.Scenario.from_toml(path))

    @staticmethod
    def from_dict(d: Dict[str, Any], origin: str = "<dict>") -> "Scenario":
        """A scenario from a dict shaped like the file
        (``{"name": "x", "cluster": {"instances": 4}, ...}``); ``origin``
        names it in error messages."""
        if not isinstance(d, dict):
            raise ValueError(f"{origin}: a scenario is a dict of the file's tables, got {type(d).__name__}")
        return Scenario(_native.Scenario.from_dict(d, origin))

    def set(self, path: str, value: Any) -> "Scenario":
        """Sets one field by dotted path (``"cluster.instances"``,
        ``"workload.arrival.rate_per_s"``, ``"faults.0.at_s"``) and
        validates again; returns the scenario, so calls chain."""
        self._s = self._s.with_overrides({path: value})
        return self

    def with_overrides(self, **fields: Any) -> "Scenario":
        """A copy with fields set: ``s.with_overrides(**{"cluster.instances": 8})``."""
        return Scenario(self._s.with_overrides(fields))

    def to_dict(self) -> Dict[str, Any]:
        """Every field of the scenario, defaults filled in (``None``: left
        to mmesim, e.g. the instance type's own limit), as nested dicts;
        ``Scenario.from_dict`` of it is the same scenario."""
        return json.loads(self._s.to_json())

    def __getattr__(self, name: str) -> Any:
        # Fields read as attributes: s.cluster.instances, s.duration_s.
        if name.startswith("_"):
            raise AttributeError(name)
        d = self.to_dict()
        if name not in d:
            raise AttributeError(f"a scenario has no field `{name}`")
        v = d[name]
        return _Section(self, name, v) if isinstance(v, dict) else v

    def __setattr__(self, name: str, value: Any) -> None:
        # Fields set as attributes, like set(): s.duration_s = 600.0.
        prop = getattr(type(self), name, None)
        if name == "_s" or (isinstance(prop, property) and prop.fset is not None):
            object.__setattr__(self, name, value)
        else:
            self.set(name, value)

    @property
    def name(self) -> str:
        return self._s.name

    @property
    def seed(self) -> int:
        return self._s.seed

    @seed.setter
    def seed(self, value: int) -> None:
        self.set("seed", value)

    @property
    def origin(self) -> str:
        """The file it was read from, or the origin given to from_dict."""
        return self._s.origin

    def warnings(self) -> List[str]:
        """The warnings ``mmesim run`` prints for this scenario."""
        return self._s.warnings()

    def run(
        self,
        metrics: bool = False,
        eviction: Any = None,
        disk_eviction: Any = None,
        router: Any = None,
    ) -> Report:
        """Runs the scenario to completion and returns its report; with
        ``metrics=True`` the report also keeps the per-minute rows
        (:meth:`Report.minutes`).

        Policies written in Python replace the scenario's own:
        ``eviction`` the memory tier's and ``disk_eviction`` the disk
        tier's (:class:`EvictionPolicy` classes: one is made per instance),
        ``router`` the routing policy (a :class:`Router` class or object).
        Built-in policies run with the GIL released, so threads run
        scenarios in parallel; a run with Python policies holds it."""
        report_json, metrics_csv = self._s.run(
            metrics,
            _evictor_spec(eviction, "eviction"),
            _evictor_spec(disk_eviction, "disk_eviction"),
            _router_spec(router),
        )
        return Report(report_json, metrics_csv)

    def __getstate__(self):
        # Pickled as its TOML, origin and base folder: rebuilt and checked
        # again where it is unpickled (another process, a cluster's worker).
        return self._s.state()

    def __setstate__(self, state) -> None:
        self._s = _native.Scenario.from_state(*state)

    def __repr__(self) -> str:
        return f"Scenario(name={self.name!r}, origin={self.origin!r})"
