#!/usr/bin/python3
"""Every transport from a real browser: Debian's headless Chromium opens the
page served by `rtbench serve --transport all`, and the page's own clients
(each transport's page.js: fetch, EventSource, WebSocket, ...) must receive
every message in order, with the clients that resume by themselves
(EventSource with Last-Event-ID) resuming after the server drops them. The
list of transports is the server's own (/transports). Driven with
Debian's chromedriver over the W3C WebDriver HTTP protocol. A screenshot is
saved next to the test output. The page runs twice: over http:// and over
https:// (`serve --tls`, the browser accepting the throw-away certificate),
where WebSocket is wss:// and every fetch is TLS. If Chromium cannot start, the test fails and
says why: it is never skipped.

usage: browser_test.py RTBENCH_BINARY OUTPUT_DIR
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

RUN_S = 6


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wd(port, method, path, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())["value"]
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"WebDriver {method} {path}: {e.code} {e.read()[:500]!r}")


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def start_server(rtbench, tmp, tls):
    """`rtbench serve` on a free loopback port; returns (process, port)."""
    port_file = os.path.join(tmp, "port-tls" if tls else "port")
    cmd = [rtbench, "serve", "--transport", "all", "--port", "0", "--port-file", port_file,
           "--publish-rate", "20", "--sse-retry-ms", "300", "--duration", "120", "--control"]
    server = subprocess.Popen(cmd + (["--tls"] if tls else []), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    for _ in range(500):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return server, int(open(port_file).read().split()[0])
        time.sleep(0.01)
    server.kill()
    fail("rtbench serve" + (" --tls" if tls else "") + " did not start")


def run_page(dport, session, base, names, out_dir, label):
    """Opens the page at `base`, waits for its timed run, checks every transport."""
    wd(dport, "POST", f"/session/{session}/url", {"url": f"{base}/?run={RUN_S}"})
    result = None
    deadline = time.time() + RUN_S + 30
    while time.time() < deadline:
        result = wd(dport, "POST", f"/session/{session}/execute/sync",
                    {"script": "return window.rtbenchResult || null;", "args": []})
        if result and result.get("done"):
            break
        time.sleep(0.5)
    shot = wd(dport, "GET", f"/session/{session}/screenshot")
    path = os.path.join(out_dir, f"browser_test{label}.png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot))
    print(f"{base}: screenshot {path}")
    if not result or not result.get("done"):
        fail(f"{base}: the page did not finish its {RUN_S} s run")
    print(json.dumps(result, indent=1))
    if "error" in result:
        fail(f"{base}: the page failed: {result['error']}")
    got = result["transports"]
    if set(got) != names:
        fail(f"{base}: the page ran {sorted(got)}, the server has {sorted(names)}")
    bad = {k: v["why"] for k, v in got.items() if v["verdict"] != "pass"}
    if bad:
        fail(f"{base}: transports failed in the browser: {bad}")
    if not any(v["dropped"] and v["opens"] >= 2 for v in got.values()):
        fail(f"{base}: no transport was shown to resume after a server-side drop")
    print(f"{base}: {len(got)} passed, 0 failed")


def main(rtbench, out_dir):
    for exe in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.access(exe, os.X_OK):
            fail(f"{exe} is missing: tools/setup installs Debian's chromium and chromium-driver")
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="rtbench-browser-")
    driver = None
    session = None
    servers = []
    dport = free_port()
    try:
        # Plain HTTP, then HTTPS with the server's throw-away certificate
        # (the browser is told to accept it): wss:// and TLS fetches too.
        servers.append(start_server(rtbench, tmp, tls=False))
        servers.append(start_server(rtbench, tmp, tls=True))
        with urllib.request.urlopen(f"http://127.0.0.1:{servers[0][1]}/transports", timeout=10) as r:
            names = {t["name"] for t in json.loads(r.read())}
        driver = subprocess.Popen(["/usr/bin/chromedriver", f"--port={dport}"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                wd(dport, "GET", "/status", timeout=2)
                break
            except Exception:
                time.sleep(0.1)
        else:
            fail("chromedriver did not start")
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={tmp}/profile", "--window-size=1200,700",
                "--ignore-certificate-errors"]
        try:
            session = wd(dport, "POST", "/session", {"capabilities": {"alwaysMatch": {
                "browserName": "chrome", "acceptInsecureCerts": True,
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
        except Exception as e:
            fail(f"Chromium could not start under chromedriver: {e}")
        run_page(dport, session, f"http://127.0.0.1:{servers[0][1]}", names, out_dir, "")
        run_page(dport, session, f"https://127.0.0.1:{servers[1][1]}", names, out_dir, "_https")
    finally:
        if session:
            try:
                wd(dport, "DELETE", f"/session/{session}", timeout=10)
            except Exception:
                pass
        for p in [driver] + [s for s, _ in servers]:
            if p:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
