#!/usr/bin/python3
"""WebSocket interop with an independent implementation (Debian's
python3-websockets).

  ws_interop.py client RTBENCH_BINARY   their client against our server
  ws_interop.py server PORT_FILE        their server for our client
                                        (driven by tests/interop_test.cpp)
"""
import asyncio
import os
import subprocess
import sys
import tempfile
import time

import websockets

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def payload(n):
    return "".join(ALPHABET[i % 64] for i in range(n))


def body(seq, tag, p):
    return f"{seq} {time.monotonic_ns()} {tag} {p}"


async def their_client(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws?id=py", max_size=1 << 20) as ws:
        first = await ws.recv()
        assert first.startswith("!head "), first
        seqs = []
        while len(seqs) < 20:
            rec = await asyncio.wait_for(ws.recv(), 10)
            seq, _ts, tag, p = rec.split(" ", 3)
            assert tag.startswith("s") and p == payload(len(p)), rec
            seqs.append(int(seq))
        assert seqs == list(range(seqs[0], seqs[0] + 20)), seqs
        # client -> server, addressed back to us
        await ws.send(f"client:py interop1 {payload(300)}")
        while True:
            rec = await asyncio.wait_for(ws.recv(), 10)
            parts = rec.split(" ", 3)
            if parts[2] == "interop1":
                assert parts[3] == payload(300)
                break
        # a large message in one frame, both ways
        await ws.send(f"client:py big {payload(60000)}")
        while True:
            rec = await asyncio.wait_for(ws.recv(), 10)
            if rec.split(" ", 3)[2] == "big":
                assert len(rec.split(" ", 3)[3]) == 60000
                break
    # The server answered our close handshake (else websockets raises).
    return ws.close_code


def client_mode(rtbench):
    with tempfile.TemporaryDirectory() as tmp:
        pf = os.path.join(tmp, "port")
        srv = subprocess.Popen([rtbench, "serve", "--transport", "websocket", "--port", "0", "--port-file", pf,
                                "--publish-rate", "100", "--duration", "60"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(500):
                if os.path.exists(pf):
                    break
                time.sleep(0.01)
            code = asyncio.run(their_client(int(open(pf).read())))
            assert code == 1000, code
        finally:
            srv.terminate()
            srv.wait(10)
    print("websockets client -> rtbench server: 1 passed, 0 failed")


async def their_server(port_file):
    async def handler(ws, path=None):
        await ws.send("!head 0")
        for seq in range(1, 21):
            await ws.send(body(seq, f"s{seq}", payload(100)))
        seq = 20
        async for rec in ws:  # upstream records: to tag payload
            to, tag, p = rec.split(" ", 2)
            seq += 1
            await ws.send(body(seq, tag, p))

    async with websockets.serve(handler, "127.0.0.1", 0, max_size=1 << 20) as server:
        port = server.sockets[0].getsockname()[1]
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(port_file + ".tmp", port_file)
        await asyncio.sleep(60)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("client", "server"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "client":
        client_mode(sys.argv[2])
    else:
        asyncio.run(their_server(sys.argv[2]))
