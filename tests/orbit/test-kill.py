# SPDX-License-Identifier: Apache-2.0
"""Durability: kill -9 of orbit under a load of check-ins and progress reports loses no
acknowledged report, and leaves a database that opens.

Eight devices at once, each in turn sending a progress report and a check-in that reports
a new app state (so every check-in writes). Acknowledged means answered 200.

  test-kill.py load PID    set up, load orbit, SIGKILL PID once enough reports and
                           check-ins were acknowledged; writes what was sent and
                           acknowledged to $T/acked.json
  test-kill.py verify      (orbit restarted on the same database) every acknowledged
                           progress report is there, and each device shows the app state
                           of its last acknowledged check-in (or of the one it sent after,
                           which orbit may have committed without answering); a request
                           accepted before the kill is refused as a replay
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import orbit_client
from orbit_client import KOS, TMP, URL, admin, call, check, device, device_key, user

ACKED = os.path.join(TMP, "acked.json")
REPLAY = os.path.join(TMP, "replay.json")
SETUP = os.path.join(TMP, "setup.json")
KILL_AFTER_REPORTS = 150
KILL_AFTER_CHECKINS = 150
DEVICES = 8


def setup():
    alice = user("alice@acme.example", "alice-password")
    admin("create-org", "acme", "--owner", "alice@acme.example")
    acme = call("GET", "/api/v1/orgs", token=alice)[1]["orgs"][0]["id"]
    O = f"/api/v1/orgs/{acme}"
    project = call("POST", O + "/projects", {"name": "weather"}, token=alice)[1]["id"]
    deployment = call("POST", f"{O}/projects/{project}/deployments", {"name": "production"}, token=alice)[1]["id"]
    subprocess.run([KOS, "key", "generate", os.path.join(TMP, "release")], check=True, capture_output=True)
    with open(os.path.join(TMP, "release.pub")) as f:
        call("POST", f"{O}/projects/{project}/keys", {"public_key": f.read()}, token=alice)
    image = os.path.join(TMP, "app")
    with open(image, "wb") as f:
        f.write(os.urandom(1000))
    dts, dtb = os.path.join(TMP, "r.dts"), os.path.join(TMP, "r.dtb")
    with open(dts, "w") as f:
        f.write('/dts-v1/;\n/ {\n\tcompatible = "kos,manifest-v1";\n\tversion = <1>;\n\tapps {\n')
        f.write(f'\t\tapp {{ image = "{orbit_client.digest(open(image, "rb").read())}"; }};\n\t}};\n}};\n')
    subprocess.run([KOS, "manifest", "build", dts, "-o", dtb], check=True, capture_output=True)
    subprocess.run([KOS, "manifest", "sign", dtb, "--key", os.path.join(TMP, "release.key")], check=True,
                   capture_output=True)
    out = subprocess.run([KOS, "release", "upload", "--orbit", URL, "--project", str(project), dtb, image],
                         env=dict(os.environ, KOS_ORBIT_TOKEN=alice), capture_output=True, text=True)
    check(out.returncode == 0, f"release upload: {out.stderr}")
    release = int(out.stdout.strip().split("\n")[-1].split()[1])
    devices = []
    for i in range(DEVICES):
        key, pem = device_key(f"device{i}")
        d = call("POST", O + "/devices", {"name": f"device{i}", "public_key": pem, "deployment": deployment},
                 token=alice)[1]["id"]
        devices.append((d, key))
    with open(SETUP, "w") as f:
        json.dump({"token": alice, "org": acme, "release": release, "devices": devices}, f)
    return alice, acme, release, devices


REPLAY_NONCE = "5eed" * 8


def load(pid):
    _, _, release, devices = setup()
    # a signed check-in orbit accepts now: resent after the restart, it must be refused
    replay_time = int(time.time())
    status, answer = device(devices[0][1], "POST", "/api/v1/device/checkin", '{"wait":0}', nonce=REPLAY_NONCE,
                            timestamp=replay_time)[0]
    check(status == 200, f"the check-in to replay later: {status} {answer}")
    with open(REPLAY, "w") as f:
        json.dump(replay_time, f)
    acked = []
    checkins = {d: {"sent": -1, "acked": -1} for d, _ in devices}
    n_checkins = [0]
    lock = threading.Condition()
    stop = threading.Event()

    def reporter(index, device_id, key):
        n = 0
        while not stop.is_set():
            n += 1
            reason = f"device {device_id} report {n}"
            try:
                status, _ = device(key, "POST", "/api/v1/device/progress",
                                   json.dumps({"release": release, "state": "downloading", "reason": reason}))[0]
            except (SystemExit, ConnectionError):
                return  # no answer: orbit is gone
            if status != 200:
                return
            with lock:
                acked.append([device_id, reason])
                lock.notify_all()
            # a check-in reporting a changed app state: a write orbit must not lose once it answered
            with lock:
                checkins[device_id]["sent"] = n
            body = {"wait": 0, "apps": [{"name": "sensor", "state": "running", "restarts": n}]}
            try:
                status, _ = device(key, "POST", "/api/v1/device/checkin", json.dumps(body))[0]
            except (SystemExit, ConnectionError):
                return
            if status != 200:
                return
            with lock:
                checkins[device_id]["acked"] = n
                n_checkins[0] += 1
                lock.notify_all()

    threads = [threading.Thread(target=reporter, args=(i, d, k)) for i, (d, k) in enumerate(devices)]
    for t in threads:
        t.start()
    with lock:
        while len(acked) < KILL_AFTER_REPORTS or n_checkins[0] < KILL_AFTER_CHECKINS:
            lock.wait()
        os.kill(pid, signal.SIGKILL)  # while the devices keep sending
    stop.set()
    for t in threads:
        t.join()
    with open(ACKED, "w") as f:
        json.dump({"reports": acked, "checkins": checkins}, f)
    print(f"killed orbit after {len(acked)} acknowledged reports and {n_checkins[0]} acknowledged check-ins")


def verify():
    with open(SETUP) as f:
        s = json.load(f)
    with open(ACKED) as f:
        saved = json.load(f)
    acked, checkins = saved["reports"], saved["checkins"]
    stored = set()
    for device_id, _ in s["devices"]:
        status, answer = call("GET", f"/api/v1/orgs/{s['org']}/devices/{device_id}/reports", token=s["token"])
        check(status == 200, f"reports of device {device_id}: {status} {answer}")
        stored |= {(device_id, r["reason"]) for r in answer["reports"]}
    lost = [a for a in acked if tuple(a) not in stored]
    check(not lost, f"acknowledged reports lost: {lost[:5]} ({len(lost)} of {len(acked)})")
    for device_id, _ in s["devices"]:
        c = checkins[str(device_id)]
        status, answer = call("GET", f"/api/v1/orgs/{s['org']}/devices/{device_id}", token=s["token"])
        check(status == 200, f"device {device_id}: {status} {answer}")
        restarts = answer["apps"][0]["restarts"] if answer["apps"] else -1
        check(c["acked"] <= restarts <= c["sent"],
              f"device {device_id}: stored check-in {restarts}, last acknowledged {c['acked']}, last sent {c['sent']}")
    # a nonce spent before the kill stays spent
    with open(REPLAY) as f:
        replay_time = json.load(f)
    status, answer = device(s["devices"][0][1], "POST", "/api/v1/device/checkin", '{"wait":0}', nonce=REPLAY_NONCE,
                            timestamp=replay_time)[0]
    check(status == 401 and "replayed" in answer["error"], f"a request replayed after the restart: {status} {answer}")
    # and the server still works: a new report is stored
    status, _ = device(s["devices"][0][1], "POST", "/api/v1/device/progress",
                       json.dumps({"release": s["release"], "state": "installed"}))[0]
    check(status == 200, "a report after the restart")
    print(f"all {len(acked)} acknowledged reports survived ({len(stored)} stored), and every device's last "
          f"acknowledged check-in ({sum(c['acked'] >= 0 for c in checkins.values())} devices)")


if sys.argv[1] == "load":
    load(int(sys.argv[2]))
else:
    verify()
print(f"{orbit_client.checks} checks passed")
