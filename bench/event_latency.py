#!/usr/bin/env python3
"""Event-to-queryable latency: from a capture call in a job to the moment GraphQL returns it.

    npm run build && /usr/bin/python3 bench/event_latency.py [--events 200] [--rate 20]

Starts the real server (`node bin/provml.js serve` on the machine's PostgreSQL, a fresh database),
then a Python capture client logs one metric point every 1/rate seconds while a second thread
polls the run's metric series over GraphQL every 10 ms and notes when each step first appears.
Runs the client's defaults (flush on idle, linger 0.1 s) and, as the baseline in the same run,
the batching the client had before issue 15 (`linger=None`: a batch once per 1 s flush interval
or when 50 events are queued), then that with the 0.2 s interval once advised for monitoring.
Prints median and p99 per setting and the ingest requests the client sent (target: p99 <= 500 ms
with the defaults; the ProvLake paper: < 5 s).
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.join(ROOT, "clients", "python", "tests"))

import provml  # noqa: E402
from server_harness import RealServer  # noqa: E402

SPEC = {"name": "latency-bench", "kind": "LEARNING", "transformations": [{"name": "train"}]}


def query(url, q):
    req = urllib.request.Request(url + "/graphql", data=json.dumps({"query": q}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


SETTINGS = (
    ("defaults (flush on idle, linger 0.1 s)", {}),
    ("before: a batch per 1 s flush_interval", {"flush_interval": 1.0, "linger": None}),
    ("before: a batch per 0.2 s flush_interval", {"flush_interval": 0.2, "linger": None}),
)


def measure(server, events, rate, options):
    client = provml.Client(spec=SPEC, server=server.url, handle_sigterm=False, gpu=False,
                           **options)
    client.flush(30)  # registered: the figures are the events', not the start-up's
    batches = client.stats.batches
    logged = {}
    seen = {}
    done = threading.Event()
    q = '{ execution(id: "%s") { metrics(name: "lat", limit: 5000) { step } } }' % client.run

    def poll():
        while not done.is_set() or len(seen) < len(logged):
            body = query(server.url, q)
            now = time.monotonic()
            run = (body.get("data") or {}).get("execution")
            for point in (run or {}).get("metrics", []):
                seen.setdefault(int(point["step"]), now)
            if done.is_set() and now - last[0] > 10:
                break
            time.sleep(0.01)

    last = [time.monotonic()]
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    for step in range(events):
        logged[step] = time.monotonic()
        client.log_metric("lat", float(step), step=step)
        last[0] = time.monotonic()
        time.sleep(1.0 / rate)
    done.set()
    poller.join(30)
    batches = client.stats.batches - batches
    client.close(timeout=10)
    lat = sorted((seen[s] - logged[s]) * 1000 for s in logged if s in seen)
    missing = len(logged) - len(lat)
    return lat, missing, batches


def pct(xs, p):
    return xs[min(len(xs) - 1, int((len(xs) - 1) * p))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0, help="capture calls per second")
    args = ap.parse_args()
    server = RealServer().start()
    try:
        print("event-to-queryable latency: %d metric points at %.0f/s, polled every 10 ms over GraphQL"
              % (args.events, args.rate))
        for name, options in SETTINGS:
            lat, missing, batches = measure(server, args.events, args.rate, options)
            print("  %-42s median %4.0f ms, p99 %4.0f ms, max %4.0f ms, %d requests%s"
                  % (name + ":", pct(lat, 0.5), pct(lat, 0.99), lat[-1], batches,
                     "" if not missing else ", %d never seen" % missing))
    finally:
        server.close()


if __name__ == "__main__":
    main()
