#!/usr/bin/env python3
"""Measures the client-side CPU of one request of the published load tests.

Both validated load tests run Locust users that call boto3's
`sagemaker-runtime` `invoke_endpoint` (a closed loop): AIM408
(load-testing/locustfile.py: one CSV row of 17 features) and the GPU
benchmark (aws-samples/sagemaker-mme-gpu-benchmarking,
locust/locust_benchmark_sm.py: `json.dumps` of a 1x3x224x224 FP32 image,
inside the timed region, per request). A Locust worker is one Python process:
the CPU its users spend per request (building the body, botocore's request
signing, the HTTP exchange) is serialised within it, so a few worker
processes cap the request rate whatever the endpoint does.

This script replays that client code against a local HTTP server that
answers at once, and reports the client process's CPU time per request
(median of 5 batches): the `client_cpu_ms` of the closed-loop clients in
examples/validation/. TLS is not included (the local server is plain HTTP).

    python3 -m venv /tmp/lc && /tmp/lc/bin/pip install boto3 numpy
    /tmp/lc/bin/python scripts/measure_load_client.py
"""
import http.server
import json
import os
import resource
import statistics
import threading

import boto3
import numpy as np


class Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"0.5"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # botocore closing its connections


def cpu_ms():
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return (r.ru_utime + r.ru_stime) * 1e3


def main():
    server = Server(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "x")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "x")
    client = boto3.session.Session().client(
        "sagemaker-runtime", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{server.server_port}"
    )
    row = ",".join(str(x) for x in np.random.default_rng(1).random(17))
    cv_payload = {
        "inputs": [
            {"name": "INPUT__0", "shape": [1, 3, 224, 224], "datatype": "FP32", "data": np.random.rand(3, 224, 224).tolist()}
        ]
    }

    def aim408():
        client.invoke_endpoint(EndpointName="e", Body=row, ContentType="text/csv", TargetModel="churn-xgb-KS.tar.gz")

    def gpu_cv():
        payload = json.dumps(cv_payload)
        client.invoke_endpoint(
            EndpointName="e", Body=payload, ContentType="application/octet-stream", TargetModel="resnet50-v0.tar.gz"
        )

    out = {}
    for name, call, n in [("aim408_csv_row", aim408, 300), ("gpu_cv_json_3mb", gpu_cv, 20)]:
        call()  # connection and first-call set-up
        per = []
        for _ in range(5):
            t = cpu_ms()
            for _ in range(n):
                call()
            per.append((cpu_ms() - t) / n)
        out[name + "_cpu_ms"] = round(statistics.median(per), 2)
    out["payload_bytes_gpu_cv"] = len(json.dumps(cv_payload))
    out["boto3"] = boto3.__version__
    print(json.dumps(out, indent=2))
    server.shutdown()


if __name__ == "__main__":
    main()
