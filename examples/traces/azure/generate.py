#!/usr/bin/env python3
"""Writes the synthetic Azure Functions 2019 sample (day d01) next to this script.

Not the real data: made-up traffic in the published layout of the
AzurePublicDataset "Azure Functions Trace 2019" (see README.md). Deterministic:
running it again writes the same bytes.
"""
import hashlib
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
MINUTES = 1440
RNG = random.Random(2019)

TRIGGERS = ["http"] * 40 + ["timer"] * 15 + ["queue"] * 15 + ["event"] * 10 + ["storage"] * 8 + \
    ["orchestration"] * 7 + ["others"] * 5
# Quantile z-scores of p0, p1, p25, p50, p75, p99, p100 for a log-normal.
Z = [-3.0, -2.326, -0.674, 0.0, 0.674, 2.326, 3.5]


def h(label):
    return hashlib.sha256(("mmesim-sample-" + label).encode()).hexdigest()


def poisson(lam):
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(RNG.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= RNG.random()
        if p <= limit:
            return k
        k += 1


def diurnal(peak):
    """Relative rate per minute: a day/night cycle peaking at minute `peak`."""
    return [1.0 + 0.75 * math.cos(2 * math.pi * (m - peak) / MINUTES) for m in range(MINUTES)]


def spread(total, weights):
    s = sum(weights)
    return [poisson(total * w / s) for w in weights]


def fmt(x):
    return ("%.3f" % x).rstrip("0").rstrip(".")


def main():
    # Apps: 34 apps of 1-4 functions (most have one), 14 owners.
    owners = [h("owner-%d" % i) for i in range(14)]
    apps, functions = [], []
    for a in range(34):
        n = RNG.choices([1, 2, 3, 4], weights=[55, 25, 12, 8])[0]
        app = {"owner": RNG.choice(owners), "app": h("app-%d" % a), "funcs": []}
        apps.append(app)
        for f in range(n):
            fn = {"app": app, "function": h("function-%d-%d" % (a, f)), "trigger": RNG.choice(TRIGGERS)}
            app["funcs"].append(fn)
            functions.append(fn)
    RNG.shuffle(functions)  # rows of one app are not adjacent in the real files either

    # Popularity: heavy-tailed daily totals by rank (timers get theirs from their period).
    ranked = [f for f in functions if f["trigger"] != "timer"]
    for r, f in enumerate(ranked, start=1):
        f["total"] = max(3, int(45000 / r ** 2.1))
    for f in functions:
        peak = 840 + RNG.randint(-90, 90)  # busiest around 14:00
        if f["trigger"] == "timer":
            period = RNG.choice([1, 5, 10, 15, 30, 60])
            offset = RNG.randrange(period)
            f["counts"] = [1 if (m - offset) % period == 0 else 0 for m in range(MINUTES)]
        elif f["trigger"] in ("queue", "event") and f["total"] >= 50:
            # 70 % diurnal, 30 % in a few bursts of 3-10 minutes.
            counts = spread(f["total"] * 0.7, diurnal(peak))
            for _ in range(RNG.randint(2, 5)):
                start, length = RNG.randrange(MINUTES - 10), RNG.randint(3, 10)
                per = max(1, int(f["total"] * 0.3 / 4 / length))
                for m in range(start, start + length):
                    counts[m] += per
            f["counts"] = counts
        else:
            f["counts"] = spread(f["total"], diurnal(peak))
        # Durations: a log-normal with median 10 ms .. 3 s.
        median = math.exp(RNG.uniform(math.log(10), math.log(3000)))
        sigma = RNG.uniform(0.2, 1.0)
        f["pcts"] = [median * math.exp(sigma * z) for z in Z]
        f["average"] = median * math.exp(sigma * sigma / 2)
    for app in apps:
        app["memory"] = RNG.uniform(50, 300)

    # Realistic gaps: two unpopular functions without durations, one
    # single-function app without memory.
    tail = sorted((f for f in functions if len(f["app"]["funcs"]) > 1), key=lambda f: sum(f["counts"]))
    no_duration = {id(tail[0]), id(tail[1])}
    single = sorted((a for a in apps if len(a["funcs"]) == 1), key=lambda a: sum(a["funcs"][0]["counts"]))
    no_memory = id(single[len(single) // 2])

    with open(os.path.join(HERE, "invocations_per_function_md.anon.d01.csv"), "w", newline="") as out:
        out.write(",".join(["HashOwner", "HashApp", "HashFunction", "Trigger"] +
                           [str(m) for m in range(1, MINUTES + 1)]) + "\n")
        for f in functions:
            out.write(",".join([f["app"]["owner"], f["app"]["app"], f["function"], f["trigger"]] +
                               [str(c) for c in f["counts"]]) + "\n")
    with open(os.path.join(HERE, "function_durations_percentiles.anon.d01.csv"), "w", newline="") as out:
        out.write("HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
                  "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
                  "percentile_Average_99,percentile_Average_100\n")
        for f in sorted(functions, key=lambda f: f["function"]):
            if id(f) in no_duration:
                continue
            p = f["pcts"]
            row = [f["average"], sum(f["counts"]), p[0] * 0.9, p[6] * 1.1] + p
            out.write(",".join([f["app"]["owner"], f["app"]["app"], f["function"], fmt(row[0]), str(row[1])] +
                               [fmt(x) for x in row[2:]]) + "\n")
    with open(os.path.join(HERE, "app_memory_percentiles.anon.d01.csv"), "w", newline="") as out:
        out.write("HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,"
                  "AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,"
                  "AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\n")
        for a in sorted(apps, key=lambda a: a["app"]):
            if id(a) == no_memory:
                continue
            m = a["memory"]
            pcts = [m * k for k in (0.62, 0.7, 0.88, 0.99, 1.08, 1.25, 1.4, 1.6)]
            samples = 12 * sum(1 for c in zip(*[f["counts"] for f in a["funcs"]]) if any(c)) or 12
            out.write(",".join([a["owner"], a["app"], str(samples), fmt(m)] + [fmt(x) for x in pcts]) + "\n")

    total = sum(sum(f["counts"]) for f in functions)
    print("%d functions in %d apps, %d invocations" % (len(functions), len(apps), total))
    print("top daily totals:", sorted((sum(f["counts"]) for f in functions), reverse=True)[:8])


if __name__ == "__main__":
    main()
