"""The Python package against the CLI: same reports, same errors.

The CLI binary is $MMESIM_CLI (scripts/python-tests.sh builds it and sets
it: then a missing binary fails the comparisons), else
target/release/mmesim, without which they are skipped.
"""

import json
import os
import pathlib
import subprocess
import sys
import threading

import pytest

import mmesim

ROOT = pathlib.Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "examples" / "scenarios" / "quickstart.toml"
CLI = pathlib.Path(os.environ.get("MMESIM_CLI", ROOT / "target" / "release" / "mmesim"))


def cli_json(*args):
    if not CLI.exists():
        if "MMESIM_CLI" in os.environ:
            pytest.fail(f"MMESIM_CLI={CLI}: no such binary")
        pytest.skip(f"no CLI binary at {CLI}")
    out = subprocess.run([str(CLI), "run", *map(str, args), "--json", "-q"], capture_output=True, text=True, check=True)
    return out.stdout


def load_toml(path):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        tomllib = pytest.importorskip("tomli")
    with open(path, "rb") as f:
        return tomllib.load(f)


def test_the_report_is_the_clis_json_byte_for_byte():
    r = mmesim.Scenario.from_toml(QUICKSTART).run()
    assert r.json.strip() == cli_json(QUICKSTART).strip()


def test_overrides_and_seed_match_the_clis_set_and_seed():
    s = mmesim.Scenario.from_toml(QUICKSTART).set("cluster.instances", 3).set("workload.arrival.rate_per_s", 80.0)
    s.seed = 7
    want = cli_json(QUICKSTART, "--set", "cluster.instances=3", "--set", "workload.arrival.rate_per_s=80.0", "--seed", 7)
    assert s.run().json.strip() == want.strip()


def test_a_dict_gives_the_same_report_as_its_file():
    d = load_toml(QUICKSTART)
    a = mmesim.Scenario.from_dict(d, origin="quickstart").run()
    b = mmesim.Scenario.from_toml(QUICKSTART).run()
    assert a.to_dict() == b.to_dict()
    assert a.json == b.json


def test_fields_read_as_attributes_items_and_dicts():
    r = mmesim.Scenario.from_toml(QUICKSTART).run()
    d = json.loads(r.json)
    assert r.requests.arrived == d["requests"]["arrived"] == r["requests"]["arrived"]
    assert r.latency_ms.p99 == d["latency_ms"]["p99"]
    assert r.model_cache_hit == d["model_cache_hit"]
    assert r.to_dict() == d
    # Accounting holds, as the CLI's report promises.
    q = r.requests
    assert q.arrived == q.completed + q.failed + q.rejected
    with pytest.raises(AttributeError):
        r.no_such_field
    with pytest.raises(AttributeError):
        r.cost_usd = 0


def test_same_scenario_same_seed_same_report_across_threads():
    s = mmesim.Scenario.from_toml(QUICKSTART)
    want = s.run().json
    got = [None] * 4

    def one(i):
        got[i] = s.run().json

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 4


def test_per_minute_rows_are_the_metrics_csv():
    r = mmesim.Scenario.from_toml(QUICKSTART).run(metrics=True)
    rows = r.minutes(as_dataframe=False)
    assert rows and set(rows[0]) >= {"minute", "metric", "dimension", "value"}
    endpoint = [x for x in rows if x["dimension"] == "endpoint" and x["metric"] == "Invocations"]
    # Every request measured or not arrives in some minute's Invocations.
    assert sum(x["value"] for x in endpoint) == r.requests.arrived
    with pytest.raises(ValueError, match="metrics=True"):
        mmesim.Scenario.from_toml(QUICKSTART).run().minutes()


def test_per_minute_rows_as_a_dataframe():
    pd = pytest.importorskip("pandas")
    r = mmesim.Scenario.from_toml(QUICKSTART).run(metrics=True)
    df = r.minutes()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(r.minutes(as_dataframe=False))


def test_a_missing_file_is_file_not_found_naming_it():
    with pytest.raises(FileNotFoundError, match="no-such-scenario.toml"):
        mmesim.Scenario.from_toml("no-such-scenario.toml")


def test_a_bad_value_is_a_value_error_naming_file_and_field_and_changes_nothing():
    s = mmesim.Scenario.from_toml(QUICKSTART)
    before = s.run().json
    with pytest.raises(ValueError, match=r"quickstart.toml.*cluster\.instances"):
        s.set("cluster.instances", -1)
    with pytest.raises(ValueError, match=r"cluster\.bogus"):
        s.set("cluster.bogus", 1)
    assert s.run().json == before


def test_a_bad_dict_is_a_value_error_naming_origin_and_field():
    d = load_toml(QUICKSTART)
    d["cluster"]["instances"] = "many"
    with pytest.raises(ValueError, match=r"mine.*cluster\.instances"):
        mmesim.Scenario.from_dict(d, origin="mine")
    d = load_toml(QUICKSTART)
    d["clutser"] = {}
    with pytest.raises(ValueError, match="clutser"):
        mmesim.Scenario.from_dict(d)
    with pytest.raises(ValueError, match=r"cluster\.instances.*object"):
        mmesim.Scenario.from_toml(QUICKSTART).set("cluster.instances", object())
    with pytest.raises(ValueError):
        mmesim.Scenario.from_dict(["not", "a", "dict"])


def test_the_clis_warnings_and_a_changed_copy():
    s = mmesim.Scenario.from_toml(QUICKSTART)
    assert s.warnings() == []
    assert s.name == "quickstart" and s.origin.endswith("quickstart.toml")
    # GPUUtilization on a CPU type is legal but surely a mistake: the CLI
    # warns, and so does the package. with_overrides leaves `s` as it was.
    t = s.with_overrides(**{"autoscaling": {"policy": "target-tracking", "metric": "GPUUtilization"}})
    (w,) = t.warnings()
    assert w.startswith("autoscaling.metric: `GPUUtilization` on ")
    assert s.warnings() == []


def cli_sweep_csv(sweep_file):
    if not CLI.exists():
        if "MMESIM_CLI" in os.environ:
            pytest.fail(f"MMESIM_CLI={CLI}: no such binary")
        pytest.skip(f"no CLI binary at {CLI}")
    out = subprocess.run([str(CLI), "sweep", str(sweep_file), "--csv", "-", "-q"], capture_output=True, text=True, check=True)
    return out.stdout


AXES = {"cluster.instances": [1, 2], "seed": [1, 2]}


def test_a_sweep_gives_the_rows_of_mmesim_sweep(tmp_path):
    f = tmp_path / "sweep.toml"
    f.write_text(f'base = "{QUICKSTART.as_posix()}"\n[axes]\n"cluster.instances" = [1, 2]\n"seed" = [1, 2]\n')
    want = list(csv_rows(cli_sweep_csv(f)))
    got = mmesim.sweep(mmesim.Scenario.from_toml(QUICKSTART), AXES, threads=2, as_dataframe=False)
    assert [{k: str(v) for k, v in row.items()} for row in got] == want
    assert [r["point"] for r in got] == [0, 1, 2, 3]
    # Each point is its scenario run alone.
    one = mmesim.Scenario.from_toml(QUICKSTART).set("cluster.instances", 2).set("seed", 1).run()
    assert got[2]["model_cache_hit"] == pytest.approx(one.model_cache_hit, rel=1e-11)


def test_a_sweep_is_the_same_on_one_thread_and_as_a_dataframe():
    base = mmesim.Scenario.from_toml(QUICKSTART)
    a = mmesim.sweep(base, AXES, threads=1, as_dataframe=False)
    b = mmesim.sweep(base, AXES, threads=2, as_dataframe=False)
    assert a == b
    pd = pytest.importorskip("pandas")
    df = mmesim.sweep(base, AXES, threads=2)
    assert isinstance(df, pd.DataFrame) and list(df["point"]) == [0, 1, 2, 3]


def test_a_bad_axis_is_a_value_error_naming_it():
    base = mmesim.Scenario.from_toml(QUICKSTART)
    with pytest.raises(ValueError, match=r"cluster\.instances"):
        mmesim.sweep(base, {"cluster.instances": [1, -2]})
    with pytest.raises(ValueError, match="axes"):
        mmesim.sweep(base, {})
    with pytest.raises(ValueError, match="threads"):
        mmesim.sweep(base, AXES, threads=0)


def csv_rows(text):
    import csv as _csv
    import io as _io

    return _csv.DictReader(_io.StringIO(text))


def write_csv_trace(path, n=3000):
    # A deterministic, skewed little trace: object i % k for growing k.
    lines = ["timestamp_s,object,size_bytes"]
    for i in range(n):
        obj = (i * 7919) % (1 + i % 97)
        lines.append(f"{i // 10},{obj},{100 + 10 * (obj % 5)}")
    path.write_text("\n".join(lines) + "\n")


def test_a_cache_replay_gives_the_results_of_mmesim_cache(tmp_path):
    trace = tmp_path / "t.csv"
    write_csv_trace(trace)
    if not CLI.exists():
        if "MMESIM_CLI" in os.environ:
            pytest.fail(f"MMESIM_CLI={CLI}: no such binary")
        pytest.skip(f"no CLI binary at {CLI}")
    out = subprocess.run(
        [str(CLI), "cache", "--trace", str(trace), "--format", "csv", "--policy", "lru,fifo,belady", "--size", "10%,50%", "--json"],
        capture_output=True, text=True, check=True,
    )
    want = json.loads(out.stdout)
    got = mmesim.cache_replay(trace, ["lru", "fifo", "belady"], ["10%", "50%"], format="csv", threads=2, as_dataframe=False)
    assert got == want
    assert [(r["policy"], r["size"]) for r in got] == [(p, s) for p in ["lru", "fifo", "belady"] for s in ["10%", "50%"]]
    # Belady is optimal: never more misses than LRU at the same size.
    by = {(r["policy"], r["size"]): r["misses"] for r in got}
    assert by[("belady", "10%")] <= by[("lru", "10%")]
    assert mmesim.cache_replay(trace, "lru,fifo,belady", "10%,50%", format="csv", as_dataframe=False) == got


def test_a_cache_replay_names_its_bad_input(tmp_path):
    trace = tmp_path / "t.csv"
    write_csv_trace(trace, 50)
    with pytest.raises(ValueError, match="policies.*nope"):
        mmesim.cache_replay(trace, ["nope"], ["10%"], format="csv")
    with pytest.raises(ValueError, match="sizes"):
        mmesim.cache_replay(trace, ["lru"], ["ten"], format="csv")
    with pytest.raises(ValueError, match="format"):
        mmesim.cache_replay(trace, ["lru"], ["10%"], format="parquet")
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        mmesim.cache_replay(tmp_path / "missing.csv", ["lru"], ["10%"], format="csv")


REC_ARGS = dict(p99_ms=5000.0, min_hit=0.9, types=["ml.m5.xlarge", "ml.r5.xlarge"], max_instances=12, seeds=1)


def test_a_recommendation_is_the_clis():
    if not CLI.exists():
        if "MMESIM_CLI" in os.environ:
            pytest.fail(f"MMESIM_CLI={CLI}: no such binary")
        pytest.skip(f"no CLI binary at {CLI}")
    out = subprocess.run(
        [str(CLI), "recommend", str(QUICKSTART), "--p99-ms", "5000", "--min-hit", "0.9",
         "--types", "ml.m5.xlarge,ml.r5.xlarge", "--max-instances", "12", "--seeds", "1", "--json", "-q"],
        capture_output=True, text=True, check=True,
    )
    want = json.loads(out.stdout)
    r = mmesim.recommend(mmesim.Scenario.from_toml(QUICKSTART), threads=2, **REC_ARGS)
    assert r.to_dict() == want
    ranked = r.table(as_dataframe=False)
    assert ranked == want["ranked"]
    # Ranked cheapest first, and every one of them passes.
    costs = [x["cost_per_hour"] for x in ranked]
    assert ranked and costs == sorted(costs) and all(x["passes"] for x in ranked)
    assert r.cheapest == (want["ranked"][0] if want["ranked"] else None)


def test_a_recommendation_as_a_dataframe_and_its_errors():
    pd = pytest.importorskip("pandas")
    r = mmesim.recommend(mmesim.Scenario.from_toml(QUICKSTART), threads=2, **REC_ARGS)
    df = r.table()
    assert isinstance(df, pd.DataFrame) and len(df) == len(r.ranked)
    with pytest.raises(ValueError, match="which"):
        r.table("best")
    with pytest.raises(ValueError, match="max-instances"):
        mmesim.recommend(mmesim.Scenario.from_toml(QUICKSTART), p99_ms=500.0, max_instances=0)
    with pytest.raises(ValueError, match="ml.nope"):
        mmesim.recommend(mmesim.Scenario.from_toml(QUICKSTART), p99_ms=500.0, types=["ml.nope"])


def test_a_scenario_pickles_as_itself():
    import pickle

    s = mmesim.Scenario.from_toml(QUICKSTART).set("cluster.instances", 3)
    t = pickle.loads(pickle.dumps(s))
    assert t.origin == s.origin and t.run().json == s.run().json


def test_a_sweep_on_a_process_pool_is_the_same_sweep():
    from concurrent.futures import ProcessPoolExecutor

    base = mmesim.Scenario.from_toml(QUICKSTART)
    want = mmesim.sweep(base, AXES, threads=2, as_dataframe=False)
    with ProcessPoolExecutor(max_workers=2) as ex:
        assert mmesim.sweep(base, AXES, executor=ex, as_dataframe=False) == want
        assert mmesim.sweep(base, AXES, executor=ex, shards=3, as_dataframe=False) == want
        with pytest.raises(ValueError, match=r"cluster\.instances"):
            mmesim.sweep(base, {"cluster.instances": [1, -2]}, executor=ex)


def test_a_sweep_on_a_dask_cluster_is_the_same_sweep():
    distributed = pytest.importorskip("dask.distributed")
    base = mmesim.Scenario.from_toml(QUICKSTART)
    want = mmesim.sweep(base, AXES, threads=2, as_dataframe=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            assert mmesim.sweep(base, AXES, executor=client, as_dataframe=False) == want


class PyLRU(mmesim.EvictionPolicy):
    """LRU in Python: an ordered dict, least recent first."""

    name = "py-lru"

    def __init__(self):
        from collections import OrderedDict

        self.order = OrderedDict()

    def on_insert(self, id, size):
        self.order[id] = None

    def on_access(self, id):
        self.order.move_to_end(id)

    def on_remove(self, id):
        del self.order[id]

    def victim(self, pinned):
        return next((k for k in self.order if k not in pinned), None)


def test_a_python_lru_misses_exactly_as_the_built_in_lru(tmp_path):
    trace = tmp_path / "t.csv"
    write_csv_trace(trace, 20000)
    got = mmesim.cache_replay(trace, ["lru", PyLRU, "fifo"], ["5%", "20%", "60%"], format="csv", as_dataframe=False)
    assert [r["policy"] for r in got] == ["lru"] * 3 + ["py-lru"] * 3 + ["fifo"] * 3
    lru, py, fifo = got[0:3], got[3:6], got[6:9]
    for a, b in zip(lru, py):
        assert {**a, "policy": "py-lru"} == b
    # Not vacuous: FIFO differs from LRU on this trace.
    assert [r["misses"] for r in fifo] != [r["misses"] for r in lru]


class BadVictim(PyLRU):
    name = "bad"

    def victim(self, pinned):
        return 10**6


class Raises(PyLRU):
    def on_access(self, id):
        raise RuntimeError("boom")


def test_a_python_policys_faults_are_raised(tmp_path):
    trace = tmp_path / "t.csv"
    write_csv_trace(trace, 2000)
    with pytest.raises(ValueError, match="policy `bad`: victim.. returned 1000000"):
        mmesim.cache_replay(trace, [BadVictim], ["5%"], format="csv")
    with pytest.raises(RuntimeError, match="boom"):
        mmesim.cache_replay(trace, [Raises], ["5%"], format="csv")
    with pytest.raises(ValueError, match="policies"):
        mmesim.cache_replay(trace, [3], ["5%"], format="csv")


def thrashing():
    """The quickstart on 2 instances, 10 minutes: memory thrashes (loads,
    unloads, models pinned by their requests)."""
    return (
        mmesim.Scenario.from_toml(QUICKSTART)
        .set("cluster.instances", 2)
        .set("duration_s", 600.0)
        .set("warmup_s", 60.0)
    )


class CountingLRU(PyLRU):
    """PyLRU that counts the victims asked for while something was pinned."""

    asked_with_pins = 0

    def victim(self, pinned):
        if pinned:
            CountingLRU.asked_with_pins += 1
        return super().victim(pinned)


class PyFIFO(PyLRU):
    name = "py-fifo"

    def on_access(self, id):
        pass


def test_a_python_lru_gives_the_built_in_lrus_report_in_a_cluster_run():
    s = thrashing()
    want = s.run().json  # [eviction] memory = disk = "lru"
    assert want.strip() == cli_json(
        QUICKSTART, "--set", "cluster.instances=2", "--set", "duration_s=600.0", "--set", "warmup_s=60.0"
    ).strip()
    CountingLRU.asked_with_pins = 0
    got = s.run(eviction=CountingLRU, disk_eviction=PyLRU)
    assert got.json == want
    # Not vacuous: models were unloaded, victims were asked for while
    # models were pinned, and FIFO gives another report.
    assert got.cache.unloads > 100
    assert CountingLRU.asked_with_pins > 0
    fifo = s.run(eviction=PyFIFO)
    assert fifo.json != want
    assert fifo.json == s.with_overrides(**{"eviction.memory": "fifo"}).run().json


class PyLeastOutstanding(mmesim.Router):
    def route(self, model, view):
        first = view.by_load(1)
        return first[0] if first else None


class HomeFirst(mmesim.Router):
    """Where the model is loaded or coming, the least loaded such instance;
    else the least loaded instance."""

    name = "home-first"

    def route(self, model, view):
        warm = [c.instance for c in view.copies(model) if c.in_memory_or_coming()]
        warm = [i for i in warm if view.instance(i).accepts]
        if warm:
            return min(warm, key=lambda i: (view.instance(i).outstanding, i))
        first = view.by_load(1)
        return first[0] if first else None


def test_a_python_router_routes_as_the_built_in_one():
    s = thrashing()
    want = s.with_overrides(**{"routing.policy": "least-outstanding"}).run()
    assert s.run(router=PyLeastOutstanding).json == want.json
    assert s.run(router=PyLeastOutstanding()).json == want.json
    # A router that reads the copies keeps the caches warmer.
    home = s.run(router=HomeFirst)
    assert home.model_cache_hit > want.model_cache_hit + 0.05
    # Python policies on both: the same as each alone would suggest.
    both = s.run(router=PyLeastOutstanding, eviction=PyLRU, disk_eviction=PyLRU)
    assert both.json == want.json


class KeepsTheView(mmesim.Router):
    kept = None

    def route(self, model, view):
        KeepsTheView.kept = view
        return view.by_load(1)[0]


class RoutesNowhere(mmesim.Router):
    name = "nowhere"

    def route(self, model, view):
        return 99


class RouterRaises(mmesim.Router):
    def route(self, model, view):
        raise KeyError("no route")


class EvictsPinned(PyLRU):
    name = "evicts-pinned"

    def victim(self, pinned):
        return next(iter(pinned)) if pinned else super().victim(pinned)


def test_python_policies_faults_in_a_cluster_run_are_raised():
    s = thrashing()
    s.run(router=KeepsTheView)
    with pytest.raises(RuntimeError, match="valid only during the route"):
        KeepsTheView.kept.by_load()
    with pytest.raises(ValueError, match="router `nowhere`: route.. returned 99, which is not an instance"):
        s.run(router=RoutesNowhere)
    with pytest.raises(KeyError, match="no route"):
        s.run(router=RouterRaises)
    with pytest.raises(ValueError, match="policy `evicts-pinned`: victim.. returned [0-9]+, which is pinned"):
        s.run(eviction=EvictsPinned)
    with pytest.raises(ValueError, match=r"eviction: a built-in policy is set in the scenario \(\[eviction\] memory = 'lru'"):
        s.run(eviction="lru")
    with pytest.raises(ValueError, match=r"disk_eviction: .*\[eviction\] disk = 'fifo'"):
        s.run(disk_eviction="fifo")
    with pytest.raises(ValueError, match="router: a Router"):
        s.run(router=3)


def test_a_calibration_is_the_clis(tmp_path):
    if not CLI.exists():
        cli_json(QUICKSTART)  # skips, or fails under MMESIM_CLI
    base = ROOT / "examples" / "calibrate" / "endpoint.toml"
    export = ROOT / "examples" / "calibrate" / "production-metrics.json"
    # Every parameter but the service-time scale fixed: a few runs.
    fix = [
        "model_overhead_mib", "memory_watermark", "max_concurrent_loads", "cpu_per_request", "request_overhead_ms",
        "download_mb_per_s", "unload_ms", "load_overhead_ms",
    ]
    args = ["--fix", ",".join(fix)]
    out_toml = tmp_path / "calibrated.toml"
    out = subprocess.run(
        [str(CLI), "calibrate", str(base), "--metrics", str(export), *args, "--json", "-q", "--out", str(out_toml)],
        capture_output=True, text=True, check=True,
    ).stdout
    cal = mmesim.calibrate(mmesim.Scenario.from_toml(base), export, fix=fix)
    assert out == cal.json + "\n"
    assert out_toml.read_text() == cal.scenario_toml
    fitted = {p["name"]: p for p in cal.table(as_dataframe=False)}
    assert fitted["memory_watermark"]["status"] == "fixed"
    assert fitted["service_scale"]["status"] == "fitted"
    assert "models.service_scale" in cal.set
    # The twin is the calibrated file's scenario, ready to run; and not
    # the base scenario.
    twin = cal.twin.run().json
    assert twin == mmesim.Scenario.from_toml(out_toml).run().json
    assert twin != mmesim.Scenario.from_toml(base).run().json
    with pytest.raises(FileNotFoundError, match="nowhere.json"):
        mmesim.calibrate(mmesim.Scenario.from_toml(base), ROOT / "nowhere.json")
    with pytest.raises(ValueError, match="--fix: unknown parameter `bogus`"):
        mmesim.calibrate(mmesim.Scenario.from_toml(base), export, fix=["bogus"])


def test_a_synthetic_trace_is_the_clis(tmp_path):
    if not CLI.exists():
        cli_json(QUICKSTART)  # skips, or fails under MMESIM_CLI
    a, b = tmp_path / "a.og", tmp_path / "b.og"
    mmesim.synth_trace(a, objects=500, requests=20000, alpha=0.8, object_bytes=1000, seed=3)
    subprocess.run(
        [str(CLI), "synth-trace", "--out", str(b), "--objects", "500", "--requests", "20000", "--alpha", "0.8",
         "--object-bytes", "1000", "--seed", "3"],
        check=True, capture_output=True,
    )
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_bytes()) == 20000 * 24  # oracle-general: 24 bytes a request
    with pytest.raises(ValueError, match="alpha"):
        mmesim.synth_trace(a, alpha=-1.0)


def test_the_notebook_example_runs_and_holds(tmp_path):
    """examples/python/eviction_notebook.py asserts its own outcome (the
    Python LRU is the built-in one on a trace and in a cluster run, Belady
    misses least, LRU's curve never rises) and draws two charts."""
    pytest.importorskip("matplotlib")
    example = ROOT / "examples" / "python" / "eviction_notebook.py"
    env = {**os.environ, "MMESIM_EXAMPLE_QUICK": "1"}
    out = subprocess.run([sys.executable, str(example), str(tmp_path)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    for png in ("miss_ratio_curves.png", "cluster_policies.png"):
        data = (tmp_path / png).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
    assert "py-slru + home-first" in out.stdout


def test_fields_read_and_set_as_attributes():
    s = mmesim.Scenario.from_toml(QUICKSTART)
    assert (s.cluster.instances, s.duration_s, s.routing.policy) == (4, 1800.0, "sticky")
    assert s.models.memory_mib.median == 120.0
    s.cluster.instances = 3
    s.duration_s = 600.0
    s.models.memory_mib.median = 100.0
    assert (s.cluster.instances, s.duration_s, s.models.memory_mib.median) == (3, 600.0, 100.0)
    want = cli_json(
        QUICKSTART, "--set", "cluster.instances=3", "--set", "duration_s=600.0", "--set", "models.memory_mib.median=100.0"
    )
    assert s.run().json.strip() == want.strip()
    # A bad value names the field and leaves the scenario as it was.
    with pytest.raises(ValueError, match="cluster.instances"):
        s.cluster.instances = -1
    assert s.cluster.instances == 3
    with pytest.raises(AttributeError, match="no field `instancez`"):
        s.cluster.instancez
    with pytest.raises(ValueError, match="instancez"):
        s.cluster.instancez = 3
    # The whole scenario as a dict, defaults filled in, is the same scenario.
    d = s.to_dict()
    assert d["cluster"]["queue_limit"] == 1000 and d["cluster"]["max_concurrent_loads"] is None
    assert mmesim.Scenario.from_dict(d, origin="again").run().json == s.run().json
