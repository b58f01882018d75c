#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""check-trace-json: checks a Chrome JSON trace from kos trace json, event by event.

Usage: check-trace-json.py FILE [--apps A,B] [--names N,...] [--categories C,...]
       [--min-events N] [--max-events N] [--threads-min N] [--burst N] [--print-pids APP]

Always: the file is JSON with a traceEvents list; every event has ph, pid, tid; every
trace event (B, E, i, C) has a numeric ts with at most three decimals; per thread, ts never
goes back; every B has its E on the same thread, properly nested (the E names its B);
every process has a process_name; every B/E/i event's name is in --names and its
category in --categories; only --apps appear. --burst N: instants "n" carry i as a
contiguous run ending at N-1. Prints a one-line summary.
"""
import argparse
import json
import re
import sys


def fail(msg):
    print("check-trace-json: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--apps")
    ap.add_argument("--names")
    ap.add_argument("--categories")
    ap.add_argument("--min-events", type=int, default=0)
    ap.add_argument("--max-events", type=int)
    ap.add_argument("--threads-min", type=int, default=0)
    ap.add_argument("--burst", type=int)
    ap.add_argument("--pids", action="store_true", help="print the pids per app and exit")
    ap.add_argument("--require-pid", type=int, help="this pid has trace events")
    ap.add_argument("--print-tids", action="store_true", help="print the thread ids with events, one a line")
    ap.add_argument("--lost", type=int, help="the lost-events counter ends at this value")
    ap.add_argument("--some-lost", action="store_true", help="some events were counted lost")
    a = ap.parse_args()
    with open(a.file, encoding="ascii") as f:
        text = f.read()
    doc = json.loads(text)
    events = doc["traceEvents"]
    procs, threads = {}, {}
    for e in events:
        for k in ("ph", "pid", "tid"):
            if k not in e:
                fail(f"event without {k}: {e}")
        if e["ph"] == "M" and e["name"] == "process_name":
            procs[e["pid"]] = e["args"]["name"]
        if e["ph"] == "M" and e["name"] == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    if a.pids:
        for pid, app in sorted(procs.items()):
            print(app, pid)
        return
    # ts as written: integer microseconds, a dot, three digits (the nanoseconds).
    for m in re.finditer(r'"ts":([0-9.]+)', text):
        if not re.fullmatch(r"[0-9]+\.[0-9]{3}", m.group(1)):
            fail(f"ts {m.group(1)} is not microseconds with three decimals")
    apps = set(a.apps.split(",")) if a.apps else None
    names = set(a.names.split(",")) if a.names else None
    cats = set(a.categories.split(",")) if a.categories else None
    stacks, last_ts = {}, {}
    n_trace = 0
    burst = []
    lost = 0
    for e in events:
        ph = e["ph"]
        if ph == "M":
            continue
        if ph not in ("B", "E", "i", "C"):
            fail(f"unknown phase {ph}")
        n_trace += 1
        pid, tid = e["pid"], e["tid"]
        if ph == "C" and e["name"] == "lost events":
            lost += sum(e["args"].values())
        if pid not in procs:
            fail(f"pid {pid} has no process_name")
        if apps is not None and procs[pid] not in apps:
            fail(f"event of app {procs[pid]}, not one of {sorted(apps)}")
        key = (pid, tid)
        ts = e["ts"]
        if ph != "C" or e["name"] != "lost events":
            if key in last_ts and ts < last_ts[key]:
                fail(f"time goes back on thread {key}: {ts} after {last_ts[key]}")
            last_ts[key] = ts
        if ph in ("B", "E", "i"):
            if names is not None and e["name"] not in names:
                fail(f"unexpected name {e['name']!r}")
            if cats is not None and e["cat"] not in cats:
                fail(f"unexpected category {e['cat']!r}")
        st = stacks.setdefault(key, [])
        if ph == "B":
            st.append(e["name"])
        elif ph == "E":
            if not st:
                fail(f"E {e['name']} without B on thread {key}")
            top = st.pop()
            if top != e["name"]:
                fail(f"E {e['name']} closes B {top} on thread {key}")
        if ph == "i" and e["name"] == "n":
            burst.append(e["args"]["i"])
    for key, st in stacks.items():
        if st:
            fail(f"B {st} without E on thread {key}")
    if n_trace < a.min_events:
        fail(f"{n_trace} events, fewer than {a.min_events}")
    if a.max_events is not None and n_trace > a.max_events:
        fail(f"{n_trace} events, more than {a.max_events}")
    traced_threads = {k for k in last_ts}
    if a.print_tids:
        for k in sorted(traced_threads):
            print(k[1])
        return
    if len(traced_threads) < a.threads_min:
        fail(f"{len(traced_threads)} threads, fewer than {a.threads_min}")
    for key in traced_threads:
        if key not in threads:
            fail(f"thread {key} has no thread_name")
    if a.require_pid is not None and not any(k[0] == a.require_pid for k in last_ts):
        fail(f"no events of pid {a.require_pid}")
    if a.lost is not None and lost != a.lost:
        fail(f"{lost} events counted lost, not {a.lost}")
    if a.some_lost and lost == 0:
        fail("no events counted lost")
    if a.burst is not None:
        if not burst:
            fail("no burst events")
        if burst != list(range(burst[0], burst[0] + len(burst))) or burst[-1] != a.burst - 1:
            fail(f"burst is not the newest contiguous run: {burst[0]}..{burst[-1]} ({len(burst)})")
        print(f"burst {burst[0]}..{burst[-1]} ({len(burst)} events)")
    print(f"{n_trace} events, {len(traced_threads)} threads, {len(procs)} processes, {lost} lost: ok")


main()
