# SPDX-License-Identifier: Apache-2.0
"""Long-poll benchmark client: N check-ins with wait=60 held open at once (each signed in
advance), then an attach; prints how many the server held and the time from the attach
request to the last device being told.

usage: orbit-longpoll.py URL PRESIGNED TOKEN ORG DEPLOYMENT RELEASE N"""

import asyncio
import json
import sys
import time
import urllib.parse
import urllib.request

url, presigned, token, org, deployment, release, n = sys.argv[1:8]
n = int(n)
host = urllib.parse.urlsplit(url)
body = b'{"wait":60}'


def api(method, path, data=None):
    r = urllib.request.Request(url + path, data=json.dumps(data).encode() if data else None, method=method)
    r.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(r) as response:
        return json.loads(response.read())


async def poll(line, key, done):
    t, nonce, sig = line.split()
    reader, writer = await asyncio.open_connection(host.hostname, host.port)
    writer.write((f"POST /api/v1/device/checkin HTTP/1.1\r\nHost: {host.netloc}\r\n"
                  f"X-Kos-Device: {key}\r\nX-Kos-Time: {t}\r\nX-Kos-Nonce: {nonce}\r\n"
                  f"X-Kos-Signature: {sig}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    await writer.drain()
    data = await reader.read(65536)
    done.append((time.monotonic(), b'"release"' in data))
    writer.close()


async def main():
    with open(presigned) as f:
        key = f.readline().strip()
        lines = [f.readline() for _ in range(n)]
    done = []
    tasks = []
    for i in range(0, n, 500):
        tasks += [asyncio.create_task(poll(l, key, done)) for l in lines[i:i + 500]]
        await asyncio.sleep(0.05)
    held = 0
    deadline = time.monotonic() + 60
    while held < n and time.monotonic() < deadline:
        held = api("GET", "/api/v1/server")["long_polls"]
        await asyncio.sleep(0.2)
    start = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(
        None, lambda: api("POST", f"/api/v1/orgs/{org}/deployments/{deployment}/attach", {"release": int(release)}))
    await asyncio.gather(*tasks, return_exceptions=True)
    told = [t for t, ok in done if ok]
    last = max(told) - start if told else float("nan")
    print(f"long polls held {held}; told {len(told)} of {n}; attach to last told {last * 1000:.0f} ms")


asyncio.run(main())
