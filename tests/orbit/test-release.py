# SPDX-License-Identifier: Apache-2.0
"""End to end with the device client: two organisations, users of each role, a project
with two deployments, devices enrolled, a release uploaded with `kos release upload` and
attached; a long-polling device is told, an offline one when it connects; the device
upgrades from Orbit with `kos upgrade`; progress reports, a failure not offered again
until an owner retries; a replayed device request refused; releases that do not check
out refused; manifest inspection as JSON and DOT."""

import http.client
import json
import os
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import orbit_client
from orbit_client import KOS, TMP, URL, admin, call, check, device, device_key, fail, user

alice = user("alice@acme.example", "alice-password")
admin("create-org", "acme", "--owner", "alice@acme.example")
bob = user("bob@acme.example", "bob-password")
carol = user("carol@globex.example", "carol-password")
admin("create-org", "globex", "--owner", "carol@globex.example")
acme = call("GET", "/api/v1/orgs", token=alice)[1]["orgs"][0]["id"]
globex = call("GET", "/api/v1/orgs", token=carol)[1]["orgs"][0]["id"]
O = f"/api/v1/orgs/{acme}"
call("POST", O + "/members", {"email": "bob@acme.example", "role": "user"}, token=alice)

token_file = os.path.join(TMP, "alice.token")
with open(token_file, "w") as f:
    f.write(alice + "\n")


def kos(*args, stdin=None, expect=0):
    out = subprocess.run([KOS] + list(args), input=stdin, capture_output=True, text=True, timeout=120)
    check(out.returncode == expect, f"kos {' '.join(args)}: exit {out.returncode}: {out.stdout} {out.stderr}")
    return out


# kos orbit login gives a working token
out = kos("orbit", "--orbit", URL, "login", "alice@acme.example", stdin="alice-password\n")
check(len(out.stdout.strip()) == 64, "kos orbit login prints a token")

project = call("POST", O + "/projects", {"name": "weather"}, token=alice)[1]["id"]
development = call("POST", f"{O}/projects/{project}/deployments", {"name": "development"}, token=alice)[1]["id"]
production = call("POST", f"{O}/projects/{project}/deployments", {"name": "production"}, token=alice)[1]["id"]

# the release: two app images, a manifest naming them, signed by the project's key
keys = os.path.join(TMP, "keys")
os.makedirs(keys)
subprocess.run([KOS, "key", "generate", os.path.join(keys, "release")], check=True, capture_output=True)
subprocess.run([KOS, "key", "generate", os.path.join(TMP, "evil")], check=True, capture_output=True)
# two trusted keys, so that which one signed is a real answer
subprocess.run([KOS, "key", "generate", os.path.join(TMP, "other")], check=True, capture_output=True)
with open(os.path.join(TMP, "other.pub")) as f:
    check(call("POST", f"{O}/projects/{project}/keys", {"public_key": f.read()}, token=alice)[0] == 201, "trust other key")
with open(os.path.join(keys, "release.pub")) as f:
    release_pem = f.read()
    check(call("POST", f"{O}/projects/{project}/keys", {"public_key": release_pem}, token=alice)[0] == 201, "trust key")

images = []
for name in ("sensor", "uplink"):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(os.urandom(40000))
    images.append((name, path, orbit_client.digest(open(path, "rb").read())))


def make_manifest(version, apps, key):
    dts = os.path.join(TMP, f"release-{version}.dts")
    dtb = os.path.join(TMP, f"release-{version}.dtb")
    with open(dts, "w") as f:
        f.write('/dts-v1/;\n/ {\n\tcompatible = "kos,manifest-v1";\n')
        f.write(f'\tversion = <{version}>;\n\tdescription = "weather station {version}";\n\tapps {{\n')
        for name, _, d in apps:
            f.write(f'\t\t{name} {{ image = "{d}"; }};\n')
        f.write('\t};\n};\n')
    kos("manifest", "build", dts, "-o", dtb)
    kos("manifest", "sign", dtb, "--key", key)
    return dtb


dtb = make_manifest(1, images, os.path.join(keys, "release.key"))
upload = ["release", "upload", "--orbit", URL, "--project", str(project), "--token-file", token_file, dtb]

# refused: an object missing; then a signature by an untrusted key; then a user-role token
out = kos(*upload, images[0][1], expect=1)
check("is missing" in out.stderr, f"a release with a missing object is refused: {out.stderr}")
check(out.stdout.count("sent ") == 3, f"the manifest, its signatures and one image were sent: {out.stdout}")
evil = make_manifest(9, images, os.path.join(TMP, "evil.key"))
out = kos("release", "upload", "--orbit", URL, "--project", str(project), "--token-file", token_file, evil,
          images[0][1], images[1][1], expect=1)
check("no signature by a trusted key" in out.stderr, f"an untrusted signature is refused: {out.stderr}")
with open(os.path.join(TMP, "bob.token"), "w") as f:
    f.write(bob)
out = kos("release", "upload", "--orbit", URL, "--project", str(project), "--token-file",
          os.path.join(TMP, "bob.token"), dtb, images[0][1], images[1][1], expect=1)
check("owner role" in out.stderr, f"a user-role token cannot upload: {out.stderr}")

out = kos(*upload, images[0][1], images[1][1])
lines = out.stdout.strip().split("\n")
check(lines[-1].startswith("release "), f"upload prints the release: {out.stdout}")
release = int(lines[-1].split()[1])
check(sum(1 for l in lines if l.startswith("kept ")) == 4, f"every file was already there: {out.stdout}")
out = kos(*upload, images[0][1], images[1][1], expect=1)
check("already exists" in out.stderr, f"the same release twice: {out.stderr}")
check(all(l.startswith("kept ") for l in out.stdout.strip().split("\n")), f"nothing sent again: {out.stdout}")
# a user of another organisation sees none of it
check(call("GET", f"/api/v1/orgs/{globex}/releases/{release}", token=carol)[0] == 404, "cross-org release")
check(call("GET", f"{O}/releases/{release}", token=carol)[0] == 404, "non-member release")

# manifest inspection
status, answer = call("GET", f"{O}/releases/{release}", token=bob)
check(status == 200 and [a["name"] for a in answer["manifest_content"]["apps"]] == ["sensor", "uplink"],
      f"release manifest content: {answer}")
release_key_id = [k["key_id"] for k in call("GET", f"{O}/projects/{project}/keys", token=bob)[1]["keys"]
                  if k["public_key"] == release_pem]
check(len(release_key_id) == 1, "the release key is listed once")
check(answer["signed_by"] == release_key_id[0], f"the release says which trusted key signed it: {answer['signed_by']}")
listed = call("GET", f"{O}/projects/{project}/releases", token=bob)[1]["releases"]
check([r["signed_by"] for r in listed if r["id"] == release] == release_key_id, f"and so does the listing: {listed}")
status, answer = call("GET", f"{O}/releases/{release}/graph", token=bob)
check(status == 200 and answer["dot"].startswith("digraph"), f"release graph: {answer}")

# devices: two in production (one connected, one offline), one in development
devices = {}
for name, deployment in (("online", production), ("offline", production), ("lab", development)):
    key, pem = device_key(name)
    status, answer = call("POST", O + "/devices", {"name": name, "public_key": pem, "deployment": deployment},
                          token=alice)
    check(status == 201, f"register {name}: {status} {answer}")
    devices[name] = (answer["id"], key)

# a replayed device request is refused, and so is a stale one
results = device(devices["lab"][1], "POST", "/api/v1/device/checkin", '{"wait":0}', repeat=2)
check(results[0][0] == 200, f"first send: {results[0]}")
check(results[1][0] == 401 and "replayed" in results[1][1]["error"], f"replay: {results[1]}")
status, answer = device(devices["lab"][1], "POST", "/api/v1/device/checkin", '{"wait":0}',
                        timestamp=int(time.time()) - 3600)[0]
check(status == 401, f"a request an hour old: {status} {answer}")

# the connected device long-polls; attach tells it
polled = {}


def long_poll():
    started = time.monotonic()
    polled["answer"] = device(devices["online"][1], "POST", "/api/v1/device/checkin", '{"wait":30}')[0]
    polled["at"] = time.monotonic()


thread = threading.Thread(target=long_poll)
thread.start()
# the check-in has reached the server once the device's last_seen is set
while call("GET", f"{O}/devices/{devices['online'][0]}", token=bob)[1]["last_seen"] == 0:
    time.sleep(0.02)
attached = time.monotonic()
check(call("POST", f"{O}/deployments/{production}/attach", {"release": release}, token=bob)[0] == 403,
      "a user cannot attach")
check(call("POST", f"/api/v1/orgs/{globex}/deployments/{production}/attach", {"release": release}, token=carol)[0] == 404,
      "another organisation cannot attach")
out = kos("orbit", "--orbit", URL, "--token-file", token_file, "attach", str(production), str(release))
thread.join()
status, answer = polled["answer"]
check(status == 200 and answer["target"]["release"] == release, f"long poll told of the attach: {status} {answer}")
print(f"long-polling device told {(polled['at'] - attached) * 1000:.0f} ms after the attach began")
target = answer["target"]
check(target["source"].startswith("http://device-") and "/api/v1/device/store" in target["source"], f"source: {target}")

# the device upgrades from Orbit with kos upgrade, and reports its progress
dev_store = os.path.join(TMP, "device-store")
kos("store", "init", dev_store)
for state in ("downloading",):
    check(device(devices["online"][1], "POST", "/api/v1/device/progress",
                 json.dumps({"release": release, "state": state}))[0][0] == 200, state)
out = kos("upgrade", dev_store, "--from", target["source"], "--trust", keys, "--ref", target["ref"])
check(f"manifest {target['manifest']}" in out.stdout, f"kos upgrade from Orbit: {out.stdout}")
check(target["signatures"] not in out.stdout and target["source"].split("@")[0].split(":")[-1] not in out.stdout + out.stderr,
      "the download token is not printed")
for state in ("installed", "booted", "confirmed"):
    check(device(devices["online"][1], "POST", "/api/v1/device/progress",
                 json.dumps({"release": release, "state": state}))[0][0] == 200, state)
status, answer = device(devices["online"][1], "POST", "/api/v1/device/checkin",
                        json.dumps({"manifest": target["manifest"]}))[0]
check(status == 200 and answer["target"] is None, f"a device running the target is told nothing new: {answer}")
check(answer.get("upload_manifest") is True, f"the server asks for a running manifest it has not seen: {answer}")
check(call("GET", f"{O}/devices/{devices['online'][0]}/manifest", token=bob)[0] == 404, "no running manifest yet")
import base64
status, answer = device(devices["online"][1], "POST", "/api/v1/device/manifest",
                        json.dumps({"dtb": base64.b64encode(open(evil, "rb").read()).decode()}))[0]
check(status == 400 and "not the manifest the device reported" in answer["error"], f"another manifest: {answer}")
status, answer = device(devices["online"][1], "POST", "/api/v1/device/manifest",
                        json.dumps({"dtb": base64.b64encode(open(dtb, "rb").read()).decode()}))[0]
check(status == 200 and answer["manifest"] == target["manifest"], f"running manifest uploaded: {status} {answer}")
status, answer = call("GET", f"{O}/devices/{devices['online'][0]}/manifest", token=bob)
check(status == 200 and [a["name"] for a in answer["manifest_content"]["apps"]] == ["sensor", "uplink"]
      and answer["dot"].startswith("digraph"), f"the device's running manifest, inspected: {status} {answer}")
check(call("GET", f"/api/v1/orgs/{globex}/devices/{devices['online'][0]}/manifest", token=carol)[0] == 404,
      "another organisation cannot inspect it")
status, answer = device(devices["online"][1], "POST", "/api/v1/device/checkin",
                        json.dumps({"manifest": target["manifest"]}))[0]
check("upload_manifest" not in answer, f"not asked again: {answer}")
# a forged download token (another device's id, or a changed MAC) opens nothing
import base64
user_part, token_part = target["source"].split("//")[1].split("@")[0].split(":")
for forged in (f"device-{devices['offline'][0]}:{token_part}", f"{user_part}:{token_part[:-1]}{'0' if token_part[-1] != '0' else '1'}"):
    status, answer = call("GET", f"/api/v1/device/store/refs/{target['ref']}",
                          headers={"Authorization": "Basic " + base64.b64encode(forged.encode()).decode()})
    check(status == 401, f"forged download token {forged[:20]}: {status} {answer}")
# without the download token, or with another device's view, the store refuses
check(call("GET", f"/api/v1/device/store/{target['ref']}".replace("store/release", "store/refs/release"))[0] == 401,
      "store without a token")

# the offline device hears when it connects; it fails; it is not offered the release again
status, answer = device(devices["offline"][1], "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(status == 200 and answer["target"]["release"] == release, f"offline device told on connecting: {answer}")
check(device(devices["offline"][1], "POST", "/api/v1/device/progress",
             json.dumps({"release": release, "state": "failed", "reason": "fell back to generation 1"}))[0][0] == 200,
      "failure report")
status, answer = device(devices["offline"][1], "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(answer["target"] is None, f"a failed device is not offered the release again: {answer}")
check(call("POST", f"{O}/devices/{devices['offline'][0]}/retry", token=bob)[0] == 403, "a user cannot retry")
check(call("POST", f"{O}/devices/{devices['offline'][0]}/retry", token=alice)[0] == 200, "an owner retries")
status, answer = device(devices["offline"][1], "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(answer["target"]["release"] == release, f"offered again after the retry: {answer}")

# the development device was not moved
status, answer = device(devices["lab"][1], "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(answer["target"] is None, f"the development device has no target: {answer}")

# status shows each device's progress
out = kos("orbit", "--orbit", URL, "--token-file", token_file, "status", str(production))
status = json.loads(out.stdout)
states = {d["name"]: d["state"] for d in status["devices"]}
check(states == {"online": "confirmed", "offline": "assigned"}, f"deployment status: {states}")

# a phased rollout: 25% then 100% of four devices; a failure in the first phase pauses it;
# the next phase starts only when the first confirmed; a device of the next phase that
# long-polls through it all is told when its phase starts
canary = call("POST", f"{O}/projects/{project}/deployments", {"name": "fleet"}, token=alice)[1]["id"]
fleet = []
for i in range(4):
    key, pem = device_key(f"fleet{i}")
    d = call("POST", O + "/devices", {"name": f"fleet{i}", "public_key": pem, "deployment": canary}, token=alice)[1]
    fleet.append((d["id"], key))


def checkin(i, wait=0):
    status, answer = device(fleet[i][1], "POST", "/api/v1/device/checkin", json.dumps({"wait": wait}))[0]
    check(status == 200, f"fleet{i} check-in: {status} {answer}")
    return answer["target"]


def report(i, state, reason=""):
    status, answer = device(fleet[i][1], "POST", "/api/v1/device/progress",
                            json.dumps({"release": release, "state": state, "reason": reason}))[0]
    check(status == 200, f"fleet{i} reports {state}: {status} {answer}")


def rollout_state():
    return call("GET", f"{O}/deployments/{canary}", token=bob)[1]["rollout"]


late = {}
late_thread = threading.Thread(target=lambda: late.update(answer=checkin(3, wait=60)))
late_thread.start()
while call("GET", f"{O}/devices/{fleet[3][0]}", token=bob)[1]["last_seen"] == 0:
    time.sleep(0.02)
kos("orbit", "--orbit", URL, "--token-file", token_file, "attach", str(canary), str(release), "--phases", "25%,100%")
check({k: v for k, v in rollout_state().items() if k != "per_phase"} == {"phases": "25%,100%", "phase": 0, "state": "running"},
      f"rollout: {rollout_state()}")
states0 = {"assigned": 0, "downloading": 0, "installed": 0, "booted": 0, "confirmed": 0, "failed": 0, "none": 0}
check(rollout_state()["per_phase"] == [
    {"phase": 1, "first": 1, "last": 1, "devices": 1, "states": dict(states0, assigned=1)},
    {"phase": 2, "first": 2, "last": 4, "devices": 3, "states": dict(states0, assigned=3)}],
    f"devices per phase and state: {rollout_state()['per_phase']}")
check(checkin(1) is None, "a device of the second phase waits for it")
check(checkin(0)["release"] == release, "the first phase's device is offered the release")
report(0, "downloading")
report(0, "failed", "fell back to generation 1")
check(rollout_state()["state"] == "paused", f"a failure in the first phase pauses the rollout: {rollout_state()}")
check(rollout_state()["per_phase"][0]["states"]["failed"] == 1, f"the failure counted: {rollout_state()}")
check(call("POST", f"{O}/deployments/{canary}/retry", token=bob)[0] == 403, "a user cannot retry a deployment")
out = kos("orbit", "--orbit", URL, "--token-file", token_file, "retry-deployment", str(canary))
check(json.loads(out.stdout)["retried"] == 1, f"retry every failed device: {out.stdout}")
check(rollout_state()["per_phase"][0]["states"] == dict(states0, none=1), f"retried: {rollout_state()}")
check(checkin(0) is None, "a paused rollout offers nothing new")
out = kos("orbit", "--orbit", URL, "--token-file", token_file, "rollout", str(canary), "resume")
check(json.loads(out.stdout)["state"] == "running", f"resume: {out.stdout}")
check(checkin(0)["release"] == release, "offered again after retry and resume")
for state in ("downloading", "installed", "booted"):
    report(0, state)
check(rollout_state()["phase"] == 0, "installed and booted are not confirmed: still the first phase")
check(late_thread.is_alive(), "the second phase's long-polling device is still waiting")
report(0, "confirmed")
late_thread.join()
check(late["answer"] is not None and late["answer"]["release"] == release,
      f"the long-polling device was told when its phase started: {late}")
check(rollout_state()["phase"] == 1, f"the second phase started: {rollout_state()}")
check(checkin(1)["release"] == release, "the second phase's devices are offered the release")
out = kos("orbit", "--orbit", URL, "--token-file", token_file, "rollout", str(canary), "abort")
check(json.loads(out.stdout)["state"] == "aborted", f"abort: {out.stdout}")
check(checkin(2) is None, "an aborted rollout offers nothing")
check(call("POST", f"{O}/deployments/{canary}/rollout", {"action": "resume"}, token=bob)[0] == 403,
      "a user cannot control a rollout")
check(call("POST", f"{O}/deployments/{canary}/attach", {"release": release, "phases": "50%,10%"},
           token=alice)[0] == 400, "phases must grow")

# enrolment by token: a device asks to join, is refused until an owner accepts it
status, answer = call("POST", f"{O}/deployments/{development}/enrolment-tokens", {}, token=bob)
check(status == 403, f"a user cannot make enrolment tokens: {status} {answer}")
status, answer = call("POST", f"{O}/deployments/{development}/enrolment-tokens", {"expires_in": 3600}, token=alice)
check(status == 201, f"enrolment token: {status} {answer}")
enrolment = answer["token"]
joiner_key, _ = device_key("joiner")
out = subprocess.run([orbit_client.DEVICE, "--url", URL, "--key", joiner_key, "--enrol", enrolment, "joiner"],
                     capture_output=True, text=True)
status, answer = int(out.stdout.split("\n")[0]), json.loads(out.stdout.split("\n")[1])
check(status == 202 and answer["state"] == "pending", f"enrolment: {status} {answer}")
joiner = answer["device"]
out = subprocess.run([orbit_client.DEVICE, "--url", URL, "--key", joiner_key, "--enrol", "0" * 64, "joiner2"],
                     capture_output=True, text=True)
check(out.stdout.startswith("401"), f"a wrong enrolment token: {out.stdout}")
status, answer = device(joiner_key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(status == 401 and "acceptance" in answer["error"], f"a pending device is refused: {status} {answer}")
check(call("POST", f"{O}/devices/{joiner}/accept", token=bob)[0] == 403, "a user cannot accept a device")
check(call("POST", f"/api/v1/orgs/{globex}/devices/{joiner}/accept", token=carol)[0] == 404, "nor another org")
check(call("POST", f"{O}/devices/{joiner}/accept", token=alice)[0] == 200, "an owner accepts the device")
status, answer = device(joiner_key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(status == 200, f"an accepted device checks in: {status} {answer}")

# the command queue: a long-polling device hears of a queued command at once; it uploads a
# trace, which the organisation's users download and no one else
lab_id, lab_key = devices["lab"]
heard = {}
poller = threading.Thread(target=lambda: heard.update(
    answer=device(lab_key, "POST", "/api/v1/device/checkin", '{"wait":60}')[0]))
before_seen = call("GET", f"{O}/devices/{lab_id}", token=bob)[1]["last_seen"]
poller.start()
while call("GET", "/api/v1/server", token=bob)[1]["long_polls"] == 0:
    time.sleep(0.02)
check(call("POST", f"{O}/devices/{lab_id}/commands", {"command": "trace-start", "app": "sensor"}, token=bob)[0] == 403,
      "a user cannot queue commands")
check(call("POST", f"/api/v1/orgs/{globex}/devices/{lab_id}/commands", {"command": "trace-start", "app": "sensor"},
           token=carol)[0] == 404, "another organisation cannot queue commands")
check(call("POST", f"{O}/devices/{lab_id}/commands", {"command": "reboot", "app": "sensor"}, token=alice)[0] == 400,
      "an unknown command")
status, answer = call("POST", f"{O}/devices/{lab_id}/commands", {"command": "trace-start", "app": "sensor"}, token=alice)
check(status == 201 and answer["state"] == "queued", f"queue trace-start: {status} {answer}")
poller.join()
status, answer = heard["answer"]
check(status == 200 and answer["commands"] == [{"id": answer["commands"][0]["id"], "command": "trace-start",
                                                "app": "sensor"}], f"the long-polling device got the command: {answer}")
start_id = answer["commands"][0]["id"]
status, answer = device(lab_key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check("commands" not in answer, f"a command is delivered once: {answer}")
check(device(lab_key, "POST", f"/api/v1/device/commands/{start_id}", '{"state":"done"}')[0][0] == 200, "result")
check(device(devices["online"][1], "POST", f"/api/v1/device/commands/{start_id}", '{"state":"done"}')[0][0] == 404,
      "another device cannot report on the command")
upload_id = call("POST", f"{O}/devices/{lab_id}/commands", {"command": "trace-upload", "app": "sensor"},
                 token=alice)[1]["id"]
status, answer = device(lab_key, "POST", f"/api/v1/device/commands/{upload_id}/trace", "early")[0]
check(status == 404, f"a trace before the command was delivered: {status} {answer}")
status, answer = device(lab_key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check([c["id"] for c in answer["commands"]] == [upload_id], f"trace-upload delivered: {answer}")
trace = "".join(f"event {i} sensor wakes\n" for i in range(2000))
status, answer = device(lab_key, "POST", f"/api/v1/device/commands/{upload_id}/trace", trace)[0]
check(status == 201 and answer["size"] == len(trace), f"trace upload: {status} {answer}")
trace_id = answer["trace"]
status, answer = call("GET", f"{O}/devices/{lab_id}/commands", token=bob)
check([c["state"] for c in answer["commands"]] == ["done", "done"], f"command states: {answer}")
status, answer = call("GET", f"{O}/devices/{lab_id}/traces", token=bob)
check(status == 200 and answer["traces"][0]["id"] == trace_id, f"traces: {answer}")
request = urllib.request.Request(f"{URL}{O}/traces/{trace_id}", headers={"Authorization": "Bearer " + bob})
with urllib.request.urlopen(request) as response:
    check(response.read().decode() == trace, "the downloaded trace is the uploaded one")
check(call("GET", f"/api/v1/orgs/{globex}/traces/{trace_id}", token=carol)[0] == 404, "another org cannot download")
check(call("GET", f"{O}/traces/{trace_id}")[0] == 401, "nor anyone without a token")
# as Chrome/Perfetto JSON: bytes that are not a trace file get a 422 that says so; a trace
# file converts to exactly what `kos trace json` makes of it
status, answer = call("GET", f"{O}/traces/{trace_id}/json", token=bob)
check(status == 422 and "is not a valid trace file" in answer["error"], f"a bad trace as JSON: {status} {answer}")
native = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz", "corpus", "trace-file",
                      "small.kostrace")
native_id = call("POST", f"{O}/devices/{lab_id}/commands", {"command": "trace-upload", "app": "sensor"},
                 token=alice)[1]["id"]
device(lab_key, "POST", "/api/v1/device/checkin", '{"wait":0}')
status, answer = device(lab_key, "POST", f"/api/v1/device/commands/{native_id}/trace", body_file=native)[0]
check(status == 201 and answer["size"] == os.path.getsize(native), f"a native trace upload: {status} {answer}")
native_trace = answer["trace"]
kos("trace", "json", native, "-o", os.path.join(TMP, "small.json"))
with open(os.path.join(TMP, "small.json"), "rb") as f:
    expected = f.read()
request = urllib.request.Request(f"{URL}{O}/traces/{native_trace}/json", headers={"Authorization": "Bearer " + bob})
with urllib.request.urlopen(request) as response:
    check(response.headers["Content-Type"] == "application/json", f"JSON type: {response.headers['Content-Type']}")
    got = response.read()
check(got == expected, f"the server's JSON is kos trace json's: {got[:200]!r}")
check(len(json.loads(got)["traceEvents"]) > 0, "the JSON has trace events")
request = urllib.request.Request(f"{URL}{O}/traces/{native_trace}", headers={"Authorization": "Bearer " + bob})
with urllib.request.urlopen(request) as response, open(native, "rb") as f:
    check(response.read() == f.read(), "the native download is the uploaded trace file")
check(call("GET", f"/api/v1/orgs/{globex}/traces/{native_trace}/json", token=carol)[0] == 404,
      "another org cannot download it as JSON")
# a trace larger than 16 MiB is refused (413) whoever sends it, and nothing is stored
big_id = call("POST", f"{O}/devices/{lab_id}/commands", {"command": "trace-upload", "app": "sensor"},
              token=alice)[1]["id"]
status, answer = device(lab_key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check([c["id"] for c in answer["commands"]] == [big_id], f"the second trace-upload delivered: {answer}")
connection = http.client.HTTPConnection(urllib.parse.urlsplit(URL).netloc, timeout=60)
connection.request("POST", f"/api/v1/device/commands/{big_id}/trace", body=b"t" * (16 * 1024 * 1024 + 1),
                   headers={"X-Kos-Device": "0" * 64, "X-Kos-Time": "0", "X-Kos-Nonce": "0" * 32,
                            "X-Kos-Signature": "0" * 128})
response = connection.getresponse()
answer = json.loads(response.read())
check(response.status == 413 and "larger than" in answer["error"], f"an oversized trace: {response.status} {answer}")
status, answer = call("GET", f"{O}/devices/{lab_id}/traces", token=bob)
check([t["id"] for t in answer["traces"]] == [trace_id, native_trace], f"the oversized trace was not stored: {answer}")

print(f"{orbit_client.checks} checks passed")
