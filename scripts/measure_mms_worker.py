#!/usr/bin/env python3
"""Measures what one model costs in a SageMaker XGBoost multi-model container.

In multi-model mode the SageMaker XGBoost container runs Multi Model Server
with one Python worker process per loaded model (SAGEMAKER_NUM_MODEL_WORKERS
= 1; aws/sagemaker-xgboost-container, serving.py). Loading a model starts
such a worker: Python imports numpy, scipy, pandas, xgboost and the
SageMaker handler (sagemaker-inference, and sagemaker-containers' encoders,
which bring boto3 and flask, exactly as the container's handler_service.py
imports them), then reads the booster. This script does the
same in a fresh process and reports:

* rss_mib: the worker's resident memory once the model is loaded
  (mmesim's `model_overhead_mib` default for CPU types);
* load_cpu_ms: CPU time of the imports plus reading the booster
  (mmesim's `load_overhead_ms` in examples/validation/aim408-*.toml);
* predict_cpu_ms: CPU time of one request in the handler, a CSV row of 17
  features decoded into a DMatrix, predicted and the answer encoded as CSV
  (the validation scenario's `service_ms`);
* unload_ms: wall time from asking a loaded worker to stop (SIGTERM, the
  way Multi Model Server unregisters a model) to its exit (the scenario's
  `unload_ms`).

The model is the AIM408 notebook's: binary:logistic, 20 rounds, 17
features. Run it on an idle machine:

    python3 -m venv /tmp/mms && /tmp/mms/bin/pip install xgboost numpy scipy pandas \
        sagemaker-inference sagemaker-containers "protobuf<3.21" "jinja2<3.1" \
        "itsdangerous<2.1" "werkzeug<2.1" "markupsafe<2.1"

(the pins keep sagemaker-containers, a 2020 package, importable).
    /tmp/mms/bin/python scripts/measure_mms_worker.py

Each figure is the median of 5 fresh processes. Not part of the tests (it
needs the packages above).
"""
import json
import statistics
import subprocess
import sys

CHILD = r"""
import collections, collections.abc, json, os, resource, sys, tempfile, time
# sagemaker-containers predates Python 3.10, which moved these ABCs.
for name in ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable"):
    setattr(collections, name, getattr(collections.abc, name))
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1e3
def rss_mib():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
path = sys.argv[1]
t0 = cpu()
import numpy, scipy.sparse, pandas, xgboost
import sagemaker_inference.default_handler_service, sagemaker_inference.transformer
from sagemaker_containers.beta.framework import encoders  # as the container's handler_service.py
bst = xgboost.Booster()
bst.load_model(path)
load_ms = cpu() - t0
row = ",".join(str(x) for x in numpy.random.default_rng(1).random(17))
times = []
for _ in range(200):
    t = cpu()
    x = numpy.array([float(v) for v in row.split(",")]).reshape(1, -1)
    p = bst.predict(xgboost.DMatrix(x), validate_features=False)
    ",".join(str(v) for v in p).encode()
    times.append(cpu() - t)
times.sort()
print(json.dumps({"rss_mib": rss_mib(), "load_cpu_ms": load_ms, "predict_cpu_ms": times[len(times) // 2]}), flush=True)
sys.stdin.read()
"""


def main():
    import numpy
    import xgboost

    rng = numpy.random.default_rng(0)
    x = rng.random((3000, 17))
    y = (rng.random(3000) > 0.5).astype(float)
    bst = xgboost.train({"objective": "binary:logistic", "nthread": 1}, xgboost.DMatrix(x, label=y), num_boost_round=20)
    path = "/tmp/mmesim-aim408-model.json"
    bst.save_model(path)
    import time

    runs = []
    for _ in range(5):
        child = subprocess.Popen([sys.executable, "-c", CHILD, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        r = json.loads(child.stdout.readline())
        t = time.perf_counter()
        child.terminate()
        child.wait()
        r["unload_ms"] = (time.perf_counter() - t) * 1e3
        runs.append(r)
    out = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    out["python"] = sys.version.split()[0]
    out["xgboost"] = xgboost.__version__
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
