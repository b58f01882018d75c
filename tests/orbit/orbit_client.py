# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the Orbit tests: HTTP with JSON, signed device requests, checks."""

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

URL = os.environ["ORBIT_URL"]
DB = os.environ["ORBIT_DB"]
ORBIT = os.environ["ORBIT"]
DEVICE = os.environ["ORBIT_DEVICE"]
KOS = os.environ["KOS"]
TMP = os.environ["T"]
checks = 0


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    global checks
    if not condition:
        fail(message)
    checks += 1


def call(method, path, body=None, token=None, raw=None, headers=None):
    """Returns (status, parsed JSON body). Every answer must be JSON."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(URL + path, data=data, method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        answer = json.loads(text)
    except ValueError:
        fail(f"{method} {path}: answer {status} is not JSON: {text[:200]!r}")
    if status >= 400:
        check(isinstance(answer, dict) and isinstance(answer.get("error"), str) and answer["error"],
              f"{method} {path}: error {status} without a message: {answer}")
    return status, answer


def device(key, method, path, body="", repeat=1, nonce=None, timestamp=None, body_file=None):
    """A signed device request; returns [(status, answer)] for each send. body_file: a
    file whose bytes are the body (binary)."""
    args = [DEVICE, "--url", URL, "--key", key, "--repeat", str(repeat)]
    if body_file:
        args += ["--body-file", body_file]
    if nonce:
        args += ["--nonce", nonce]
    if timestamp is not None:
        args += ["--time", str(timestamp)]
    args += [method, path]
    if body:
        args.append(body)
    out = subprocess.run(args, capture_output=True, text=True, timeout=90)
    lines = out.stdout.split("\n")
    results = []
    i = 0
    while i + 1 < len(lines) and len(results) < repeat:
        status = int(lines[i])
        if status == 0:
            raise ConnectionError(f"device {method} {path}: no answer from orbit")
        results.append((status, json.loads(lines[i + 1])))
        i += 2
    if len(results) != repeat:
        fail(f"device {method} {path}: {out.stdout!r} {out.stderr!r}")
    return results


def admin(*args, stdin=None):
    out = subprocess.run([ORBIT, "admin", "--db", DB] + list(args), input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"orbit admin {' '.join(args)}: {out.stderr}")
    return out.stdout.strip()


def user(email, password):
    admin("create-user", email, stdin=password + "\n")
    status, answer = call("POST", "/api/v1/login", {"email": email, "password": password})
    check(status == 200, f"login {email}: {status} {answer}")
    return answer["token"]


def device_key(name):
    stem = os.path.join(TMP, name)
    subprocess.run([KOS, "key", "generate", stem], check=True, capture_output=True)
    with open(stem + ".pub") as f:
        return stem + ".key", f.read()


def digest(data):
    return hashlib.sha256(data).hexdigest()
