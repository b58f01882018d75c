# SPDX-License-Identifier: Apache-2.0
"""Bad input: malformed and oversized JSON, wrong types, unknown fields, SQL
metacharacters, path traversal, an object whose bytes do not match its name, a release
that does not check out, a replayed device signature. Each gets a JSON error with a clear
message and changes nothing."""

import http.client
import json
import os
import subprocess
import urllib.parse

import orbit_client
from orbit_client import KOS, TMP, URL, admin, call, check, device, device_key, digest, user

alice = user("alice@acme.example", "alice-password")
admin("create-org", "acme", "--owner", "alice@acme.example")
acme = call("GET", "/api/v1/orgs", token=alice)[1]["orgs"][0]["id"]
O = f"/api/v1/orgs/{acme}"
project = call("POST", O + "/projects", {"name": "weather"}, token=alice)[1]["id"]
deployment = call("POST", f"{O}/projects/{project}/deployments", {"name": "production"}, token=alice)[1]["id"]
key, pem = device_key("station")
dev = call("POST", O + "/devices", {"name": "station", "public_key": pem, "deployment": deployment}, token=alice)[1]["id"]


def state():
    """Everything a bad request could have changed, as the API shows it."""
    return json.dumps([call("GET", p, token=alice)[1] for p in (
        O + "/projects", f"{O}/projects/{project}/deployments", O + "/devices", O + "/members", O + "/audit",
        f"{O}/projects/{project}/keys", f"{O}/projects/{project}/releases", f"{O}/devices/{dev}/reports")],
        sort_keys=True)


before = state()


def refused(method, path, raw, want, words, token=alice):
    status, answer = call(method, path, raw=raw, token=token,
                          headers={"Content-Type": "application/json"})
    check(status == want, f"{method} {path} {raw[:80]!r}: {status} {answer}, expected {want}")
    check(words in answer["error"], f"{method} {path}: message {answer['error']!r} lacks {words!r}")


P = O + "/projects"
refused("POST", P, b'{"name": "x"', 400, "not valid JSON")
refused("POST", P, b'[1, 2]', 400, "must be a JSON object")
refused("POST", P, b'"name"', 400, "not valid JSON")
refused("POST", P, b'{"name": 5}', 400, "must be a string")
refused("POST", P, b'{"name": null}', 400, "must be a string")
refused("POST", P, b'{"name": "ok", "admin": true}', 400, "unknown field \"admin\"")
refused("POST", P, b'{}', 400, "missing field \"name\"")
refused("POST", P, b'{"name": "a", "name": "b"}', 400, "not valid JSON")
refused("POST", P, b'{"name": "a\\u0000b"}', 400, "not valid JSON")
refused("POST", P, json.dumps({"name": "x" * 65}).encode(), 400, "1 to 64 characters")
refused("POST", P, json.dumps({"name": "x" * (70 * 1024)}).encode(), 413, "larger than")
for evil in ("'; DROP TABLE projects; --", "x' OR '1'='1", "../../etc", ".hidden", "a/b", "robert\"); --"):
    refused("POST", P, json.dumps({"name": evil}).encode(), 400, "field \"name\"")
refused("POST", O + "/members", json.dumps({"email": "' OR 1=1 --", "role": "owner"}).encode(), 404, "no such user")
refused("POST", O + "/members", json.dumps({"email": "alice@acme.example", "role": "root"}).encode(), 400, "\"role\"")
refused("POST", O + "/devices", json.dumps({"name": "d", "public_key": "not a key", "deployment": deployment}).encode(),
        400, "not an Ed25519 public key")
refused("POST", O + "/devices", json.dumps({"name": "d", "public_key": pem, "deployment": "1"}).encode(), 400,
        "must be an integer")
refused("POST", O + "/devices", json.dumps({"name": "d", "public_key": pem, "deployment": -1}).encode(), 400,
        "between 0 and")
refused("POST", O + "/devices", json.dumps({"name": "d", "public_key": pem, "deployment": 999}).encode(), 404,
        "no such deployment")
refused("POST", O + "/devices", json.dumps({"name": "dup", "public_key": pem, "deployment": deployment}).encode(), 409,
        "already exists")
refused("POST", O + "/objects/missing", json.dumps({"digests": ["../../etc/passwd"]}).encode(), 400, "not a SHA-256")
status, answer = call("POST", "/api/v1/login", {"email": "' OR '1'='1", "password": "' OR '1'='1"})
check(status == 401, f"SQL in a login: {status} {answer}")

# an object whose bytes do not hash to its name is not kept
blob = b"the real bytes\n"
refused("PUT", f"{O}/objects/{digest(b'other bytes')}", blob, 400, "do not hash to")
status, answer = call("POST", O + "/objects/missing", {"digests": [digest(b"other bytes")]}, token=alice)
check(answer["missing"] == [digest(b"other bytes")], f"a refused object is not there: {answer}")

# path traversal: paths that are not routes are 404 JSON, never a file
conn_host = urllib.parse.urlsplit(URL).netloc
for path in ("/api/v1/orgs/1/objects/../../../../etc/passwd", "/api/v1/device/store/../../../etc/passwd",
             "/api/v1/device/store/objects/../../kos-store", "/api/v1/device/store/.hidden",
             "/api/v1/device/store/refs/..", "/api/v1/orgs/01/projects", "/api/v1/orgs/1%2f../projects",
             f"/api/v1/orgs/{acme}/objects/{'A' * 64}", "/api/v1/orgs/99999999999999999999/projects"):
    c = http.client.HTTPConnection(conn_host, timeout=10)
    c.request("GET" if "objects/" not in path or "store" in path else "PUT", path,
              headers={"Authorization": "Bearer " + alice})
    r = c.getresponse()
    body = json.loads(r.read())
    check(r.status in (401, 404, 405) and body.get("error"), f"traversal {path}: {r.status} {body}")
    c.close()

# a release that does not check out
refused("POST", f"{O}/projects/{project}/releases",
        json.dumps({"manifest": digest(b"x"), "signatures": digest(b"y")}).encode(), 400, "was not uploaded")

# device requests: a bad signature, a replay, malformed headers
status, answer = device(key, "POST", "/api/v1/device/progress", '{"release": 1, "state": "launched"}')[0]
check(status == 400 and "\"state\"" in answer["error"], f"unknown progress state: {status} {answer}")
results = device(key, "POST", "/api/v1/device/checkin", '{"wait":0}', repeat=3, nonce="00112233445566778899aabbccddeeff")
check([r[0] for r in results] == [200, 401, 401], f"replays refused: {results}")
c = http.client.HTTPConnection(conn_host, timeout=10)
c.request("POST", "/api/v1/device/checkin", body="{}", headers={
    "X-Kos-Device": "0" * 64, "X-Kos-Time": "1", "X-Kos-Nonce": "zz", "X-Kos-Signature": "00"})
r = c.getresponse()
body = json.loads(r.read())
check(r.status == 401 and "X-Kos-Nonce" in body["error"], f"malformed device headers: {r.status} {body}")
c.close()
status, answer = device(key, "PUT", f"{O}/objects/{digest(b'by a device')}", "by a device")[0]
check(status == 401 and "for users" in answer["error"], f"an upload with device credentials: {status} {answer}")
other_key, _ = device_key("stranger")
status, answer = device(other_key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(status == 401 and "unknown device" in answer["error"], f"an unenrolled key: {status} {answer}")
status, answer = device(key, "POST", "/api/v1/device/checkin", '{"wait":0, "extra": 1}')[0]
check(status == 400 and "unknown field" in answer["error"], f"an unknown field from a device: {status} {answer}")

after = state()
# the device's own check-ins changed its last_seen (and so online); nothing else may differ
check(json.loads(before)[:2] == json.loads(after)[:2] and json.loads(before)[3:] == json.loads(after)[3:],
      "bad input changed nothing")
devs_before = [{k: v for k, v in d.items() if k not in ("last_seen", "online")} for d in json.loads(before)[2]["devices"]]
devs_after = [{k: v for k, v in d.items() if k not in ("last_seen", "online")} for d in json.loads(after)[2]["devices"]]
check(devs_before == devs_after, "devices unchanged")

print(f"{orbit_client.checks} checks passed")
