#!/usr/bin/env python3
"""A WebSocket server of someone else's, for `rtbench run --target`: /echo
returns each message to its sender, /broadcast sends each message to every
client connected there, the sender too. Any path else: 404. Usage:
ws_server.py [PORT [CERT KEY]] (PORT 0: any free one; prints the port)."""
import asyncio, http, ssl, sys
import websockets

room = set()

async def handler(ws, path=None):
    try:
        if (path or ws.path) == "/echo":
            async for message in ws:
                await ws.send(message)
        else:
            room.add(ws)
            async for message in ws:
                websockets.broadcast(room, message)
    except websockets.ConnectionClosed:
        pass  # a client that left without a close frame
    finally:
        room.discard(ws)

async def only_known_paths(path, headers):
    if path not in ("/echo", "/broadcast"):
        return http.HTTPStatus.NOT_FOUND, [], b"no such path\n"

async def main(port, tls):
    async with websockets.serve(handler, "127.0.0.1", port, ssl=tls, process_request=only_known_paths,
                                max_size=1 << 20) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

tls = None
if len(sys.argv) > 3:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[2], sys.argv[3])
asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8765, tls))
