# SPDX-License-Identifier: Apache-2.0
"""Tokens and deletions. A user lists their own tokens and revokes any of them; a revoked
token is refused at once; another user's token is not found. Owners delete a deployment
with no devices, a device (a long poll of it ends, its signature is refused), a member
(not the last owner) and a release attached nowhere; each deletion is audited, refused
with 403 for the user role and 404 for another organisation, and refused (409) while the
object is still in use."""

import json
import os
import subprocess
import threading

import orbit_client
from orbit_client import KOS, TMP, URL, admin, call, check, device, device_key, user

alice = user("alice@acme.example", "alice-password")
admin("create-org", "acme", "--owner", "alice@acme.example")
bob = user("bob@acme.example", "bob-password")
dave = user("dave@acme.example", "dave-password")
carol = user("carol@globex.example", "carol-password")
admin("create-org", "globex", "--owner", "carol@globex.example")
acme = call("GET", "/api/v1/orgs", token=alice)[1]["orgs"][0]["id"]
globex = call("GET", "/api/v1/orgs", token=carol)[1]["orgs"][0]["id"]
O, G = f"/api/v1/orgs/{acme}", f"/api/v1/orgs/{globex}"
for email in ("bob@acme.example", "dave@acme.example"):
    check(call("POST", O + "/members", {"email": email, "role": "user"}, token=alice)[0] == 200, f"add {email}")


def audit_actions():
    return [a["action"] for a in call("GET", O + "/audit", token=alice)[1]["audit"]]


# --- tokens
status, answer = call("POST", "/api/v1/tokens", {"name": "script"}, token=alice)
check(status == 201, f"make an API token: {status} {answer}")
script = answer["token"]
check(call("GET", "/api/v1/me", token=script)[0] == 200, "the API token works")
status, answer = call("GET", "/api/v1/tokens", token=alice)
check(status == 200, f"list tokens: {status} {answer}")
tokens = answer["tokens"]
check(all(set(t) == {"id", "name", "created", "expires", "revoked", "current"} for t in tokens),
      f"a listing shows no secret: {tokens}")
check(sum(t["current"] for t in tokens) == 1 and [t for t in tokens if t["current"]][0]["name"] == "session",
      f"the token in use is marked current: {tokens}")
script_id = [t for t in tokens if t["name"] == "script"][0]["id"]
session_id = [t for t in tokens if t["current"]][0]["id"]
bob_tokens = call("GET", "/api/v1/tokens", token=bob)[1]["tokens"]
check(script_id not in [t["id"] for t in bob_tokens], f"bob does not see alice's tokens: {bob_tokens}")
status, answer = call("DELETE", f"/api/v1/tokens/{script_id}", token=bob)
check(status == 404, f"bob cannot revoke alice's token: {status} {answer}")
check(call("GET", "/api/v1/me", token=script)[0] == 200, "the token bob tried to revoke still works")
status, answer = call("DELETE", f"/api/v1/tokens/{script_id}", token=alice)
check(status == 200 and answer["revoked"] is True, f"alice revokes it: {status} {answer}")
status, answer = call("GET", "/api/v1/me", token=script)
check(status == 401 and answer["error"] == "token revoked", f"a revoked token is refused at once: {status} {answer}")
check([t for t in call("GET", "/api/v1/tokens", token=alice)[1]["tokens"] if t["id"] == script_id][0]["revoked"],
      "the listing shows it revoked")
status, answer = call("DELETE", f"/api/v1/tokens/{session_id}", token=script)
check(status == 401, f"a revoked token revokes nothing: {status} {answer}")
check(call("DELETE", "/api/v1/tokens/999999", token=alice)[0] == 404, "no such token")

# --- a project with two deployments, a device, a release
project = call("POST", O + "/projects", {"name": "weather"}, token=alice)[1]["id"]
lab = call("POST", f"{O}/projects/{project}/deployments", {"name": "lab"}, token=alice)[1]["id"]
field = call("POST", f"{O}/projects/{project}/deployments", {"name": "field"}, token=alice)[1]["id"]
key, pem = device_key("station")
dev = call("POST", O + "/devices", {"name": "station-1", "public_key": pem, "deployment": lab}, token=alice)[1]["id"]

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
check(call("POST", f"{O}/deployments/{field}/attach", {"release": release}, token=alice)[0] == 200, "attach")

# every deletion: the user role 403, another organisation 404 (through either path)
deletions = [f"{O}/deployments/{lab}", f"{O}/devices/{dev}", f"{O}/releases/{release}"]
bob_id = [m for m in call("GET", O + "/members", token=alice)[1]["members"] if m["email"] == "bob@acme.example"][0]["user"]
deletions.append(f"{O}/members/{bob_id}")
for path in deletions:
    status, answer = call("DELETE", path, token=bob)
    check(status == 403, f"user role: DELETE {path}: {status} {answer}")
    status, answer = call("DELETE", path, token=carol)
    check(status == 404, f"other organisation: DELETE {path}: {status} {answer}")
    status, answer = call("DELETE", path.replace(O, G), token=carol)
    check(status == 404, f"other organisation's path: DELETE {path.replace(O, G)}: {status} {answer}")
    status, answer = call("DELETE", path)
    check(status == 401, f"no token: DELETE {path}: {status} {answer}")
check(call("GET", f"{O}/devices/{dev}", token=alice)[0] == 200, "refused deletions changed nothing")

# in use: refused, and nothing changes
status, answer = call("DELETE", f"{O}/deployments/{lab}", token=alice)
check(status == 409 and "still has 1 device:" in answer["error"], f"a deployment with a device: {status} {answer}")
status, answer = call("DELETE", f"{O}/releases/{release}", token=alice)
check(status == 409 and "target" in answer["error"], f"an attached release: {status} {answer}")
alice_id = call("GET", "/api/v1/me", token=alice)[1]["id"]
status, answer = call("DELETE", f"{O}/members/{alice_id}", token=alice)
check(status == 409 and "last owner" in answer["error"], f"the last owner: {status} {answer}")
status, answer = call("POST", O + "/members", {"email": "alice@acme.example", "role": "user"}, token=alice)
check(status == 409 and "last owner" in answer["error"], f"the last owner made a user: {status} {answer}")
check(call("GET", O, token=alice)[1]["role"] == "owner", "alice is still the owner")
check(call("GET", f"{O}/deployments/{lab}", token=alice)[0] == 200 and
      call("GET", f"{O}/releases/{release}", token=alice)[0] == 200, "refused deletions kept the objects")

# a device: its long poll ends, its signature is refused, its history goes with it
check(device(key, "POST", "/api/v1/device/progress", json.dumps({"release": release, "state": "failed"}))[0][0] == 200,
      "a report of the device")
polled = {}


def poll():
    polled["answer"] = device(key, "POST", "/api/v1/device/checkin", '{"wait":30}')[0]


waiting = threading.Thread(target=poll)
waiting.start()
while call("GET", "/api/v1/server", token=alice)[1]["long_polls"] < 1:
    pass
status, answer = call("DELETE", f"{O}/devices/{dev}", token=alice)
check(status == 200 and answer["deleted"] is True, f"delete the device: {status} {answer}")
waiting.join(20)
check(not waiting.is_alive(), "the deleted device's long poll ended")
check(polled["answer"][0] == 401, f"and told it is unknown: {polled['answer']}")
check(call("GET", f"{O}/devices/{dev}", token=alice)[0] == 404, "the device is gone")
check(call("GET", f"{O}/devices/{dev}/reports", token=alice)[0] == 404, "its reports are gone")
status, answer = device(key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(status == 401 and answer["error"] == "unknown device key", f"its signature is refused: {status} {answer}")
check(call("DELETE", f"{O}/devices/{dev}", token=alice)[0] == 404, "deleting it again: 404")
# enrolled again with the same key, it is a new device whose requests are accepted
again = call("POST", O + "/devices", {"name": "station-1", "public_key": pem, "deployment": field}, token=alice)[1]["id"]
check(again != dev, "a new device id")
status, answer = device(key, "POST", "/api/v1/device/checkin", '{"wait":0}')[0]
check(status == 200, f"the key enrolled again checks in: {status} {answer}")
check(call("GET", f"{O}/devices/{again}", token=alice)[1]["last_seen"] > 0, "as the new device")
check(call("DELETE", f"{O}/devices/{again}", token=alice)[0] == 200, "delete it again")

# the deployment, empty now
status, answer = call("DELETE", f"{O}/deployments/{lab}", token=alice)
check(status == 200, f"delete the empty deployment: {status} {answer}")
check(call("GET", f"{O}/deployments/{lab}", token=alice)[0] == 404, "the deployment is gone")
check(lab not in [d["id"] for d in call("GET", f"{O}/projects/{project}/deployments", token=alice)[1]["deployments"]],
      "and not listed")

# the release, once no deployment targets it (its deployment deleted)
check(call("DELETE", f"{O}/deployments/{field}", token=alice)[0] == 200, "delete the release's deployment")
status, answer = call("DELETE", f"{O}/releases/{release}", token=alice)
check(status == 200, f"delete the release attached nowhere: {status} {answer}")
check(call("GET", f"{O}/releases/{release}", token=alice)[0] == 404, "the release is gone")
check(call("GET", f"{O}/projects/{project}/releases", token=alice)[1]["releases"] == [], "and not listed")
status, answer = call("POST", f"{O}/objects/missing", {"digests": [orbit_client.digest(open(image, "rb").read())]},
                      token=alice)
check(status == 200 and answer["missing"] == [], f"its objects stay uploaded: {answer}")

# a member, with the command line
token_file = os.path.join(TMP, "alice.token")
with open(token_file, "w") as f:
    f.write(alice + "\n")
out = subprocess.run([KOS, "orbit", "--orbit", URL, "--token-file", token_file, "remove-member", str(bob_id)],
                     capture_output=True, text=True)
check(out.returncode == 0 and json.loads(out.stdout)["removed"] is True, f"kos orbit remove-member: {out.stdout} {out.stderr}")
out = subprocess.run([KOS, "orbit", "--orbit", URL, "--token-file", token_file, "remove-member", str(bob_id)],
                     capture_output=True, text=True)
check(out.returncode != 0 and out.stderr.startswith("kos: ") and "no such member" in out.stderr,
      f"kos orbit remove-member again says why: {out.stderr}")
out = subprocess.run([KOS, "orbit", "--orbit", URL, "--token-file", token_file, "tokens"], capture_output=True, text=True)
check(out.returncode == 0 and alice not in out.stdout and "script" in out.stdout, f"kos orbit tokens: {out.stdout}")
status, answer = call("GET", O, token=bob)
check(status == 404, f"bob no longer sees the organisation: {status} {answer}")
check(call("DELETE", f"{O}/members/{bob_id}", token=alice)[0] == 404, "removing him again: 404")

actions = audit_actions()
for action in ("device.delete", "deployment.delete", "release.delete", "member.remove"):
    check(action in actions, f"audited: {action} in {actions}")
check(actions.count("deployment.delete") == 2, f"two deployments deleted: {actions}")

print(f"{orbit_client.checks} checks passed")
