# SPDX-License-Identifier: Apache-2.0
"""What a device reports at check-in: its generations (number, manifest, state) and its
apps (name, state, restarts), shown by the device, the listing and the deployment with
last_seen and online; every malformed report refused with a message naming what is wrong,
changing nothing; a check-in that reports nothing keeps what was reported."""

import json

import orbit_client
from orbit_client import call, check, device, device_key, user, admin

alice = user("alice@acme.example", "alice-password")
admin("create-org", "acme", "--owner", "alice@acme.example")
acme = call("GET", "/api/v1/orgs", token=alice)[1]["orgs"][0]["id"]
O = f"/api/v1/orgs/{acme}"
project = call("POST", O + "/projects", {"name": "weather"}, token=alice)[1]["id"]
deployment = call("POST", f"{O}/projects/{project}/deployments", {"name": "production"}, token=alice)[1]["id"]
key, pem = device_key("station")
dev = call("POST", O + "/devices", {"name": "station-1", "public_key": pem, "deployment": deployment},
           token=alice)[1]["id"]
_, quiet_pem = device_key("quiet")
quiet = call("POST", O + "/devices", {"name": "quiet-1", "public_key": quiet_pem, "deployment": deployment},
             token=alice)[1]["id"]

check(call("GET", "/api/v1/server", token=alice)[1]["schema"] >= 4, "the schema has the device state migration")


def shown(device_id):
    status, answer = call("GET", f"{O}/devices/{device_id}", token=alice)
    check(status == 200, f"GET device {device_id}: {status} {answer}")
    return answer


# before any check-in: empty reports, never seen, offline
d = shown(dev)
check(d["generations"] == [] and d["apps"] == [], f"nothing reported yet: {d}")
check(d["last_seen"] == 0 and d["online"] is False, f"never seen, offline: {d}")

A, B = "a" * 64, "b" * 64
generations = [{"generation": 7, "manifest": A, "state": "good"},
               {"generation": 8, "manifest": B, "state": "current"}]
apps = [{"name": "sensor", "state": "running", "restarts": 0},
        {"name": "uplink", "state": "restarting", "restarts": 3}]
status, answer = device(key, "POST", "/api/v1/device/checkin",
                        json.dumps({"manifest": B, "wait": 0, "generations": generations, "apps": apps}))[0]
check(status == 200, f"check-in with generations and apps: {status} {answer}")

d = shown(dev)
check(d["generations"] == generations, f"generations as reported: {d['generations']}")
check(d["apps"] == apps, f"apps as reported: {d['apps']}")
check(d["manifest"] == B, f"the running manifest: {d['manifest']}")
check(d["last_seen"] > 0 and d["online"] is True, f"seen and online: {d}")
listed = {x["id"]: x for x in call("GET", O + "/devices", token=alice)[1]["devices"]}
check(listed[dev]["generations"] == generations and listed[dev]["apps"] == apps and listed[dev]["online"] is True,
      f"the listing shows the same: {listed[dev]}")
check(listed[quiet]["generations"] == [] and listed[quiet]["online"] is False, f"a quiet device: {listed[quiet]}")
in_deployment = {x["id"]: x for x in call("GET", f"{O}/deployments/{deployment}", token=alice)[1]["devices"]}
check(in_deployment[dev]["apps"] == apps and "last_seen" in in_deployment[dev] and in_deployment[dev]["online"],
      f"the deployment shows the same: {in_deployment[dev]}")

# a check-in that reports nothing keeps what was reported; a new report replaces it
check(device(key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0][0] == 200, "a bare check-in")
check(shown(dev)["apps"] == apps and shown(dev)["generations"] == generations, "a bare check-in keeps the report")
apps2 = [{"name": "sensor", "state": "failed", "restarts": 5}]
generations2 = [{"generation": 9, "manifest": A, "state": "pending"},
                {"generation": 8, "manifest": B, "state": "booted"}]
status, _ = device(key, "POST", "/api/v1/device/checkin",
                   json.dumps({"generations": generations2, "apps": apps2}))[0]
check(status == 200 and shown(dev)["apps"] == apps2 and shown(dev)["generations"] == generations2,
      "a new report replaces the old")
status, _ = device(key, "POST", "/api/v1/device/checkin", json.dumps({"apps": []}))[0]
check(status == 200 and shown(dev)["apps"] == [] and shown(dev)["generations"] == generations2,
      "an empty app list is a report; generations not reported are kept")
status, _ = device(key, "POST", "/api/v1/device/checkin", json.dumps({"apps": apps}))[0]
check(status == 200 and shown(dev)["apps"] == apps, "apps reported again")

# malformed reports: 400 naming the field, and nothing changes
g = {"generation": 1, "manifest": A, "state": "good"}
a = {"name": "sensor", "state": "running", "restarts": 1}
bad = [
    ({"generations": {"generation": 1}}, "generations", "must be an array"),
    ({"generations": [1]}, "generations", "item 0 must be an object"),
    ({"generations": [dict(g, state="great")]}, "generations", "\"state\" must be"),
    ({"generations": [dict(g, generation=-1)]}, "generations", "\"generation\" must be an integer"),
    ({"generations": [dict(g, generation=2**31)]}, "generations", "\"generation\" must be an integer"),
    ({"generations": [dict(g, generation="1")]}, "generations", "\"generation\" must be an integer"),
    ({"generations": [dict(g, manifest="ABC")]}, "generations", "\"manifest\" must be a SHA-256"),
    ({"generations": [dict(g, extra=1)]}, "generations", "exactly"),
    ({"generations": [{"generation": 1, "manifest": A}]}, "generations", "exactly"),
    ({"generations": [g, dict(g, state="bad")]}, "generations", "repeats the generation"),
    ({"generations": [dict(g, generation=i) for i in range(65)]}, "generations", "more than 64"),
    ({"apps": [dict(a, name="../etc")]}, "apps", "\"name\" must be"),
    ({"apps": [dict(a, name="x'; DROP TABLE devices; --")]}, "apps", "\"name\" must be"),
    ({"apps": [dict(a, state="RUNNING")]}, "apps", "\"state\" must be"),
    ({"apps": [dict(a, restarts=-3)]}, "apps", "\"restarts\" must be"),
    ({"apps": [dict(a, restarts=1.5)]}, "apps", "\"restarts\" must be"),
    ({"apps": [dict(a, restarts=None)]}, "apps", "\"restarts\" must be"),
    ({"apps": [a, dict(a, restarts=2)]}, "apps", "repeats the name"),
    ({"apps": [dict(a, name=f"app{i}") for i in range(129)]}, "apps", "more than 128"),
    ({"apps": apps2, "unknown": 1}, "unknown", "unknown field"),
]
for body, field, words in bad:
    status, answer = device(key, "POST", "/api/v1/device/checkin", json.dumps(body))[0]
    check(status == 400 and f"\"{field}\"" in answer.get("error", "") and words in answer["error"],
          f"refused {json.dumps(body)[:80]}: {status} {answer}")
d = shown(dev)
check(d["apps"] == apps and d["generations"] == generations2, f"refused reports changed nothing: {d}")

# the limits themselves are accepted
many_g = [{"generation": i, "manifest": A, "state": "bad"} for i in range(64)]
many_a = [{"name": f"app-{i}", "state": "stopped", "restarts": 2**31 - 1} for i in range(128)]
status, answer = device(key, "POST", "/api/v1/device/checkin", json.dumps({"generations": many_g, "apps": many_a}))[0]
check(status == 200, f"64 generations and 128 apps: {status} {answer}")
d = shown(dev)
check(d["generations"] == many_g and d["apps"] == many_a, "the largest report is kept whole")

# long polls with nothing to tell end at their own deadlines, a shorter one added later first
import threading
import time
ended = []


def poll(seconds):
    answer = device(key, "POST", "/api/v1/device/checkin", json.dumps({"wait": seconds}))[0]
    ended.append((seconds, answer))


longer = threading.Thread(target=poll, args=(3,))
longer.start()
while call("GET", "/api/v1/server", token=alice)[1]["long_polls"] < 1:
    time.sleep(0.01)
shorter = threading.Thread(target=poll, args=(1,))
shorter.start()
longer.join(30)
shorter.join(30)
check([s for s, _ in ended] == [1, 3], f"the shorter wait ended first: {ended}")
check(all(a == (200, {"target": None}) for _, a in ended), f"both told there is nothing: {ended}")

print(f"{orbit_client.checks} checks passed")
