#!/usr/bin/python3
"""The websocket contract (transports/websocket/README.md), checked with an
independent client (Debian's python3-websockets) against any server that
claims it: rtbench's own and every peer that serves it. Both must pass the
same checks, so a peer's row beside the reference server's compares servers
that do the same thing.

  ws_contract.py rtbench RTBENCH_BINARY      `rtbench serve --transport websocket`
  ws_contract.py node-ws PROJECT_ROOT        peers/node-ws/server.js
"""
import asyncio
import http.client
import os
import subprocess
import sys
import tempfile
import time

import websockets

TOKEN = "contract-test-token-0123456789"
HISTORY = 20


def start(kind, where, port_file):
    env = dict(os.environ, RTBENCH_CONTROL_TOKEN=TOKEN)
    # --max-queue 8: a resume replays more than that (HISTORY messages), which
    # must never count as a slow consumer. Live messages are published at
    # 100/s, so only a server stalled 80 ms (9 due at once) could queue 8
    # for a client that keeps up; at 1000/s with --max-queue 2, a 2 ms stall
    # of a loaded CI machine dropped one.
    common = ["--port", "0", "--port-file", port_file, "--control", "--history", str(HISTORY), "--max-queue", "8"]
    if kind == "rtbench":
        cmd = [where, "serve", "--transport", "websocket"] + common
    else:
        cmd = ["node", os.path.join(where, "peers", kind, "server.js")] + common
    srv = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(1000):
        if os.path.exists(port_file):
            return srv, int(open(port_file).read().split()[0])
        if srv.poll() is not None:
            raise SystemExit(f"{kind}: the server exited at start: {srv.stderr.read().decode()}")
        time.sleep(0.01)
    srv.kill()
    raise SystemExit(f"{kind}: the server did not write its port within 10 s")


def http_call(port, method, target, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request(method, target, headers=headers or {})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body


def control(port, target):
    status, body = http_call(port, "POST", target, {"Rtb-Control-Token": TOKEN})
    assert status == 200, (target, status, body)
    return body


async def recv(ws, timeout=5):
    return await asyncio.wait_for(ws.recv(), timeout)


async def nothing_within(ws, seconds):
    try:
        rec = await asyncio.wait_for(ws.recv(), seconds)
    except asyncio.TimeoutError:
        return True
    raise AssertionError(f"received {rec!r}, expected nothing")


def seq_of(rec):
    return int(rec.split(" ", 1)[0])


async def checks(port):
    url = f"ws://127.0.0.1:{port}/ws"
    a = await websockets.connect(f"{url}?id=a&rooms=r1,r2")
    b = await websockets.connect(f"{url}?id=b")
    # A new subscriber first hears where "now" is.
    for ws in (a, b):
        first = await recv(ws)
        assert first.startswith("!head "), first

    # Rooms: three messages to room r1 reach its member only, in order,
    # with the tag and payload the publisher gives them.
    control(port, "/control/publish?rate=100&payload=16&count=3&to=room:r1")
    got = [await recv(a) for _ in range(3)]
    seqs = [seq_of(r) for r in got]
    assert seqs == list(range(seqs[0], seqs[0] + 3)), got
    for r in got:
        _seq, _ns, tag, payload = r.split(" ", 3)
        assert tag.startswith("s") and payload == "ABCDEFGHIJKLMNOP", r
    await nothing_within(b, 0.3)

    # Upstream: to one client, then to all; each arrives with the sender's
    # tag and payload and a sequence number of the server's.
    await b.send("client:a t1 hello")
    r = await recv(a)
    assert r.split(" ", 3)[2:] == ["t1", "hello"], r
    await b.send("all t2 world")
    for ws in (a, b):
        r = await recv(ws)
        assert r.split(" ", 3)[2:] == ["t2", "world"], r
    last = seq_of(r)

    # Resume: while a is away, 2 * HISTORY messages go out; coming back with
    # since=<last it saw> it is told what the history lost, then gets the rest.
    await a.close()
    control(port, f"/control/publish?rate=100&payload=8&count={2 * HISTORY}")
    for _ in range(2 * HISTORY):
        r = await recv(b)
    head = seq_of(r)
    assert head == last + 2 * HISTORY, (head, last)
    a = await websockets.connect(f"{url}?id=a&rooms=r1,r2&since={last}")
    gap = await recv(a)
    assert gap == f"!gap {last + 1} {head - HISTORY}", gap
    replay = [seq_of(await recv(a)) for _ in range(HISTORY)]
    assert replay == list(range(head - HISTORY + 1, head + 1)), replay
    await nothing_within(a, 0.2)

    # A bad upstream record: Close 1008 (policy violation).
    await b.send("nowhere t3 x")
    try:
        await recv(b)
        raise AssertionError("the server kept a client that sent a bad record")
    except websockets.exceptions.ConnectionClosed as e:
        assert e.code == 1008, e.code
    await a.close()

    # Bad requests: a 4xx, and the server goes on.
    for query, status in (("?id=bad!", 400), ("?since=x", 400)):
        try:
            await websockets.connect(f"{url}{query}")
            raise AssertionError(f"upgrade with {query} accepted")
        except websockets.exceptions.InvalidStatusCode as e:
            assert e.status_code == status, (query, e.status_code)
    status, _ = http_call(port, "GET", "/ws")
    assert status == 426, status
    status, _ = http_call(port, "POST", "/control/stop")
    assert status == 403, status
    status, _ = http_call(port, "POST", "/control/stop",
                          {"Rtb-Control-Token": TOKEN, "Origin": "http://evil.example"})
    assert status == 403, status
    status, stats = http_call(port, "GET", "/stats")
    assert status == 200 and '"bad_requests":' in stats, stats
    c = await websockets.connect(f"{url}?id=c")
    assert (await recv(c)).startswith("!head ")
    await c.close()


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    kind, where = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        srv, port = start(kind, where, os.path.join(tmp, "port"))
        try:
            asyncio.run(asyncio.wait_for(checks(port), 60))
        finally:
            srv.terminate()
            try:
                srv.wait(10)
            except subprocess.TimeoutExpired:
                srv.kill()
                raise SystemExit(f"{kind}: the server did not stop within 10 s of SIGTERM")
    print(f"websocket contract, {kind}: passed")


if __name__ == "__main__":
    main()
