#!/usr/bin/env python3
"""A Server-Sent Events server of someone else's, for `rtbench run --target
http://...`, on Python's standard library alone: GET /broadcast is an event
stream (text/event-stream, ended by closing the connection); a POST to
/broadcast sends its body as one event to every open stream, the sender's
too, and is answered 204. Any path else: 404. Usage: sse_server.py [PORT
[CERT KEY]] (PORT 0: any free one; prints the port)."""
import http.server, queue, ssl, sys, threading

streams, lock = set(), threading.Lock()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive POSTs; each stream closes its connection

    def do_GET(self):
        if self.path != "/broadcast":
            return self.send_error(404)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        mine = queue.Queue()
        with lock:
            streams.add(mine)
        try:
            while True:
                self.wfile.write(b"data: " + mine.get() + b"\n\n")
                self.wfile.flush()
        except OSError:
            pass  # the client left
        finally:
            with lock:
                streams.discard(mine)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/broadcast":
            return self.send_error(404)
        with lock:
            for s in streams:
                s.put(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8766), Handler)
server.daemon_threads = True
if len(sys.argv) > 3:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = tls.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
