# SPDX-License-Identifier: Apache-2.0
"""The role matrix, endpoint by endpoint: owner, user, a member of another organisation,
no token, an expired token, a revoked session token (logout), a revoked API token, a device
signature on a user endpoint, and a user token on a device endpoint. 404 (not 403) for
another organisation's objects."""

import sys
from orbit_client import admin, call, check, device, device_key, digest, user
import orbit_client

alice = user("alice@acme.example", "alice-password")
admin("create-org", "acme", "--owner", "alice@acme.example")
bob = user("bob@acme.example", "bob-password")
carol = user("carol@globex.example", "carol-password")
admin("create-org", "globex", "--owner", "carol@globex.example")
expired = admin("create-token", "alice@acme.example", "--expires-in", "0")
status, answer = call("POST", "/api/v1/login", {"email": "alice@acme.example", "password": "alice-password"})
revoked = answer["token"]
check(call("POST", "/api/v1/logout", token=revoked)[0] == 200, "logout")
revoked_api = call("POST", "/api/v1/tokens", {"name": "revoked-script"}, token=alice)[1]["token"]
revoked_api_id = [t["id"] for t in call("GET", "/api/v1/tokens", token=revoked_api)[1]["tokens"] if t["current"]][0]
check(call("DELETE", f"/api/v1/tokens/{revoked_api_id}", token=alice)[0] == 200, "revoke an API token")
check(call("POST", "/api/v1/login", {"email": "alice@acme.example", "password": "wrong"})[0] == 401, "wrong password")

orgs = {o["name"]: o["id"] for o in call("GET", "/api/v1/orgs", token=alice)[1]["orgs"]}
acme = orgs["acme"]
globex = call("GET", "/api/v1/orgs", token=carol)[1]["orgs"][0]["id"]
check(call("POST", f"/api/v1/orgs/{acme}/members", {"email": "bob@acme.example", "role": "user"}, token=alice)[0] == 200,
      "add bob as user")
user("dave@acme.example", "dave-password")
check(call("POST", f"/api/v1/orgs/{acme}/members", {"email": "dave@acme.example", "role": "user"}, token=alice)[0] == 200,
      "add dave as user")
dave_id = [m["user"] for m in call("GET", f"/api/v1/orgs/{acme}/members", token=alice)[1]["members"]
           if m["email"] == "dave@acme.example"][0]

# acme's objects, made by its owner
project = call("POST", f"/api/v1/orgs/{acme}/projects", {"name": "weather"}, token=alice)[1]["id"]
deployment = call("POST", f"/api/v1/orgs/{acme}/projects/{project}/deployments", {"name": "production"},
                  token=alice)[1]["id"]
key, pem = device_key("station")
dev = call("POST", f"/api/v1/orgs/{acme}/devices", {"name": "station-1", "public_key": pem, "deployment": deployment},
           token=alice)[1]["id"]
spare_deployment = call("POST", f"/api/v1/orgs/{acme}/projects/{project}/deployments", {"name": "spare"},
                        token=alice)[1]["id"]
spare_dev = call("POST", f"/api/v1/orgs/{acme}/devices",
                 {"name": "spare-1", "public_key": device_key("spare")[1], "deployment": deployment}, token=alice)[1]["id"]
gproject = call("POST", f"/api/v1/orgs/{globex}/projects", {"name": "widgets"}, token=carol)[1]["id"]

counter = [0]


def fresh(prefix):
    counter[0] += 1
    return f"{prefix}-{counter[0]}"


_, signer_pem = device_key("signer")
blob = b"an object of acme\n"

# (method, path, body factory, access); access: view, change, self
O = f"/api/v1/orgs/{acme}"
endpoints = [
    ("GET", "/api/v1/me", None, "self"),
    ("GET", "/api/v1/orgs", None, "self"),
    ("POST", "/api/v1/tokens", lambda: {"name": fresh("script")}, "self"),
    ("GET", O, None, "view"),
    ("GET", O + "/members", None, "view"),
    ("POST", O + "/members", lambda: {"email": "bob@acme.example", "role": "user"}, "change"),
    ("GET", O + "/projects", None, "view"),
    ("POST", O + "/projects", lambda: {"name": fresh("project")}, "change"),
    ("GET", f"{O}/projects/{project}", None, "view"),
    ("GET", f"{O}/projects/{project}/keys", None, "view"),
    ("POST", f"{O}/projects/{project}/keys", lambda: {"public_key": device_key(fresh("k"))[1]}, "change"),
    ("GET", f"{O}/projects/{project}/deployments", None, "view"),
    ("POST", f"{O}/projects/{project}/deployments", lambda: {"name": fresh("deployment")}, "change"),
    ("GET", f"{O}/projects/{project}/releases", None, "view"),
    ("GET", f"{O}/deployments/{deployment}", None, "view"),
    ("GET", O + "/devices", None, "view"),
    ("POST", O + "/devices",
     lambda: {"name": fresh("dev"), "public_key": device_key(fresh("d"))[1], "deployment": deployment}, "change"),
    ("GET", f"{O}/devices/{dev}", None, "view"),
    ("POST", f"{O}/devices/{dev}/move", lambda: {"deployment": deployment}, "change"),
    ("POST", f"{O}/devices/{dev}/retry", None, "change"),
    ("POST", O + "/objects/missing", lambda: {"digests": [digest(blob)]}, "change"),
    ("PUT", f"{O}/objects/{digest(blob)}", lambda: blob, "change"),
    ("GET", O + "/audit", None, "change"),
    ("GET", f"{O}/devices/{dev}/reports", None, "view"),
    ("POST", f"{O}/deployments/{deployment}/enrolment-tokens", lambda: {"expires_in": 60}, "change"),
    ("POST", f"{O}/devices/{dev}/accept", None, "change"),
    ("GET", "/api/v1/server", None, "self"),
    ("GET", f"{O}/devices/{dev}/manifest", None, "view404"),
    ("POST", f"{O}/devices/{dev}/commands", lambda: {"command": "trace-start", "app": "sensor"}, "change"),
    ("GET", f"{O}/devices/{dev}/commands", None, "view"),
    ("GET", f"{O}/devices/{dev}/traces", None, "view"),
    ("GET", f"{O}/traces/1", None, "view404"),
    ("GET", f"{O}/traces/1/json", None, "view404"),
    ("GET", f"{O}/releases/999999/graph.svg", None, "view404"),
    ("POST", f"{O}/deployments/{deployment}/retry", None, "change"),
    ("GET", "/api/v1/tokens", None, "self"),
    ("DELETE", f"{O}/releases/999999", None, "change404"),
    ("DELETE", f"{O}/devices/{spare_dev}", None, "change"),
    ("DELETE", f"{O}/deployments/{spare_deployment}", None, "change"),
    ("DELETE", f"{O}/members/{dave_id}", None, "change"),
]

success = {"GET": 200, "POST": 200, "PUT": 201, "DELETE": 200}
created = {"/api/v1/tokens", O + "/projects", f"{O}/projects/{project}/keys",
           f"{O}/deployments/{deployment}/enrolment-tokens", f"{O}/devices/{dev}/commands",
           f"{O}/projects/{project}/deployments", O + "/devices"}


def send(method, path, make, token=None, device_key_path=None):
    body = make() if make else None
    if device_key_path:
        import json
        if isinstance(body, bytes):
            return device(device_key_path, method, path, body.decode())[0]
        return device(device_key_path, method, path, json.dumps(body) if body is not None else "")[0]
    if isinstance(body, bytes):
        return call(method, path, raw=body, token=token)
    return call(method, path, body, token=token)


for method, path, make, access in endpoints:
    want = 201 if method != "GET" and (path in created or method == "PUT") else success[method]
    what = f"{method} {path}"
    if access in ("view404", "change404"):  # an endpoint whose object does not exist
        want, access = 404, access[:-3]
    status, answer = send(method, path, make, token=alice)
    check(status == want, f"owner: {what}: {status} {answer}, expected {want}")
    status, answer = send(method, path, make, token=bob)
    expect = 403 if access == "change" else want
    check(status == expect, f"user role: {what}: {status} {answer}, expected {expect}")
    status, answer = send(method, path, make, token=carol)
    expect = want if access == "self" else 404
    check(status == expect, f"other organisation: {what}: {status} {answer}, expected {expect}")
    for name, token in (("no token", None), ("expired token", expired), ("revoked token", revoked),
                        ("revoked API token", revoked_api)):
        status, answer = send(method, path, make, token=token)
        check(status == 401, f"{name}: {what}: {status} {answer}, expected 401")
    status, answer = send(method, path, make, device_key_path=key)
    check(status == 401, f"device signature on a user endpoint: {what}: {status} {answer}, expected 401")

check(call("GET", "/api/v1/orgs", token=expired)[1]["error"] == "token expired", "expired says so")
check(call("GET", "/api/v1/orgs", token=revoked)[1]["error"] == "token revoked", "revoked says so")
check(call("GET", "/api/v1/orgs", token=revoked_api)[1]["error"] == "token revoked", "a revoked API token says so")

# another organisation's objects through one's own organisation's paths: 404
G = f"/api/v1/orgs/{globex}"
for method, path, body in (("GET", f"{G}/projects/{project}", None),
                           ("GET", f"{G}/deployments/{deployment}", None),
                           ("GET", f"{G}/devices/{dev}", None),
                           ("POST", f"{G}/devices/{dev}/move", {"deployment": deployment}),
                           ("POST", f"{G}/projects/{project}/deployments", {"name": "intrusion"}),
                           ("GET", f"{G}/projects/{project}/releases", None)):
    status, answer = call(method, path, body, token=carol)
    check(status == 404, f"cross-organisation {method} {path}: {status} {answer}, expected 404")
# and carol cannot move acme's device into her deployment, nor hers into acme's
gdeployment = call("POST", f"{G}/projects/{gproject}/deployments", {"name": "lab"}, token=carol)[1]["id"]
status, answer = call("POST", f"{O}/devices/{dev}/move", {"deployment": gdeployment}, token=alice)
check(status == 404, f"moving a device into another organisation's deployment: {status} {answer}")

# device endpoints: only a device signature
for method, path, body in (("POST", "/api/v1/device/checkin", '{"wait":0}'),
                           ("POST", "/api/v1/device/progress", '{"release":1,"state":"downloading"}'),
                           ("POST", "/api/v1/device/manifest", '{"dtb":"AAAA"}'),
                           ("POST", "/api/v1/device/commands/1", '{"state":"done"}'),
                           ("POST", "/api/v1/device/commands/1/trace", '{}')):
    for name, token in (("owner token", alice), ("no token", None)):
        import json
        status, answer = call(method, path, json.loads(body), token=token)
        check(status == 401, f"{name} on device endpoint {path}: {status} {answer}")
status, answer = device(key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(status == 200 and answer["target"] is None, f"device check-in: {status} {answer}")
status, answer = call("GET", "/api/v1/device/store/refs/release-1", token=alice)
check(status == 401, f"user token on the device store: {status} {answer}")

# the audit log is the owner's, and it recorded the changes with who made them
status, answer = call("GET", f"{O}/audit", token=alice)
actions = {a["action"] for a in answer["audit"]}
check({"project.create", "deployment.create", "device.register", "device.move", "member.set",
      "device.delete", "deployment.delete", "member.remove"} <= actions,
      f"audit actions: {actions}")

print(f"{orbit_client.checks} checks passed")
