'use strict';
// What every Node peer shares with rtbench's reference server, so the
// harness drives a peer exactly as it drives `rtbench serve`:
//
//  - the message format (harness/message.hpp): bodies "seq publish_ns tag
//    payload", upstream records "to tag payload", targets all | room:R |
//    client:ID, control records "!head N" and "!gap A B";
//  - the hub: sequence numbers, a bounded history for resume (?since=N),
//    delivery to every subscriber a target names;
//  - the constant-rate publisher (harness/schedule.hpp: message i is due at
//    t0 + round(i * 1e9 / rate), tagged s<due>, its payload
//    harness/payload.cpp's for that due time), and its control endpoint
//    (POST /control/publish, /control/stop, /control/drop; GET /stats),
//    guarded as transports/common/control_auth.cpp guards it;
//  - the command line `rtbench run` starts a server with (--port-file ...).
//
// Times are process.hrtime.bigint(): libuv reads CLOCK_MONOTONIC, the
// clock of the harness's now_ns(), so a tag's due time means the same here.
const crypto = require('crypto');
const fs = require('fs');

const now = () => process.hrtime.bigint();

// ---- the command line ---------------------------------------------------------

// Flags every peer takes (a subset of `rtbench serve`'s, same meanings).
// `extra` adds a peer's own: name -> 'flag' | 'number'.
function parseArgs(argv, extra = {}) {
  const o = {
    bind: '127.0.0.1', port: 0, portFile: '', control: false, history: 10000,
    historyBytes: 64 << 20, maxMessage: 64 * 1024, maxHeader: 8 * 1024, maxQueue: 4096, maxConnections: 19000,
    idleTimeoutMs: 60000, headerTimeoutMs: 10000, testDropEvery: 0,
  };
  const numbers = {
    '--port': 'port', '--history': 'history', '--history-bytes': 'historyBytes', '--max-message': 'maxMessage',
    '--max-header': 'maxHeader', '--max-queue': 'maxQueue', '--max-connections': 'maxConnections',
    '--idle-timeout-ms': 'idleTimeoutMs', '--header-timeout-ms': 'headerTimeoutMs', '--test-drop-every': 'testDropEvery',
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const whole = () => {
      const v = value();
      if (!/^[0-9]+$/.test(v)) usage(`${a} takes a whole number, not '${v}'`);
      return Number(v);
    };
    const own = extra[a.slice(2)];
    if (a === '--bind') o.bind = value();
    else if (a === '--port-file') o.portFile = value();
    else if (a === '--control') o.control = true;
    else if (numbers[a]) o[numbers[a]] = whole();
    else if (own === 'flag') o[a.slice(2)] = true;
    else if (own === 'number') o[a.slice(2)] = whole();
    else usage(`unknown option ${a}`);
  }
  if (o.port > 65535) usage('--port must be 0..65535');
  if (o.control) {
    o.token = process.env.RTBENCH_CONTROL_TOKEN || '';
    if (!/^[A-Za-z0-9_-]{16,}$/.test(o.token))
      usage('--control needs a token of 16 or more [A-Za-z0-9_-] in RTBENCH_CONTROL_TOKEN');
  }
  return o;
}

function usage(why) {
  process.stderr.write(`${process.argv[1]}: ${why}\n`);
  process.exit(2);
}

// The port, written atomically once listening (what `rtbench serve
// --port-file` does, and what the harness waits for).
function writePortFile(file, port) {
  if (!file) return;
  fs.writeFileSync(`${file}.tmp`, `${port}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

// ---- the HTTP server's limits, listening and stopping ----------------------------

// `rtbench serve`'s limits on an http.Server: the header and keep-alive
// timeouts, and --max-connections (a connection beyond it is closed at
// once, counted as refused). Returns the counters /stats reports and the
// open sockets (for a stop).
function limitConnections(server, opt) {
  server.headersTimeout = opt.headerTimeoutMs;
  server.requestTimeout = 0; // a long request body is not a peer's concern; headersTimeout bounds the header
  server.keepAliveTimeout = opt.idleTimeoutMs;
  const counters = { accepted: 0, refused: 0, active: 0, requests: 0 };
  const sockets = new Set();
  server.on('connection', (socket) => {
    ++counters.accepted;
    if (counters.active >= opt.maxConnections) {
      ++counters.refused;
      return socket.destroy();
    }
    ++counters.active;
    sockets.add(socket);
    socket.on('close', () => {
      --counters.active;
      sockets.delete(socket);
    });
  });
  return { counters, sockets };
}

// Listens, writes the port file, and on SIGTERM runs `stop` and closes
// every connection: a peer ends as `rtbench serve` does.
function listen(server, opt, name, sockets, stop) {
  server.on('error', (e) => {
    process.stderr.write(`${name}: cannot listen on ${opt.bind}:${opt.port}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(opt.port, opt.bind, () => writePortFile(opt.portFile, server.address().port));
  process.on('SIGTERM', () => {
    stop();
    for (const s of sockets) s.destroy();
    server.close(() => process.exit(0));
  });
}

// ---- the message format ----------------------------------------------------------

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function parseTarget(to) {
  if (to === 'all') return { kind: 'all' };
  const colon = to.indexOf(':');
  if (colon < 0) return null;
  const kind = to.slice(0, colon), name = to.slice(colon + 1);
  if (!NAME.test(name) || (kind !== 'room' && kind !== 'client')) return null;
  return { kind, name };
}

// "to tag payload": a tag is 1..64 printable non-space characters.
function parseUpstream(rec) {
  const a = rec.indexOf(' ');
  const b = a < 0 ? -1 : rec.indexOf(' ', a + 1);
  if (b < 0) return null;
  const to = parseTarget(rec.slice(0, a));
  const tag = rec.slice(a + 1, b);
  const payload = rec.slice(b + 1);
  // Printable ASCII only, as harness/message.cpp's parse_upstream: so a
  // length is a byte count, and SSE-safe.
  if (!to || tag.length < 1 || tag.length > 64 || !/^[\x21-\x7e]+$/.test(tag) || !/^[\x20-\x7e]*$/.test(payload))
    return null;
  return { to, tag, payload };
}

// ?id=ID&rooms=A,B: who a subscriber is (the C++ read_filter).
function readFilter(params) {
  const id = params.get('id');
  if (id !== null && !NAME.test(id)) return null;
  const rooms = params.get('rooms');
  const list = rooms === null || rooms === '' ? [] : rooms.split(',');
  if (list.some((r) => !NAME.test(r))) return null;
  return { id, rooms: new Set(list) };
}

function matches(filter, to) {
  if (to.kind === 'all') return true;
  if (to.kind === 'room') return filter.rooms.has(to.name);
  return filter.id === to.name;
}

// ---- payloads: harness/payload.cpp, byte for byte ---------------------------------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const MASK = (1n << 64n) - 1n;

class SplitMix {
  constructor(seed) { this.s = BigInt.asUintN(64, seed); }
  next() {
    this.s = (this.s + 0x9E3779B97F4A7C15n) & MASK;
    let z = this.s;
    z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & MASK;
    return z ^ (z >> 31n);
  }
  below(n) { return Number(this.next() % BigInt(n)); }
}

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'EUR-USD', 'AAPL', 'MSFT', 'GOOG', 'NVDA'];
const ROOMS = ['general', 'random', 'support', 'dev', 'ops', 'sales'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const WORDS = ['the', 'deploy', 'is', 'done', 'see', 'you', 'at', 'standup', 'latency', 'looks', 'fine',
  'on', 'my', 'side', 'can', 'someone', 'review', 'this', 'pull', 'request', 'please', 'thanks',
  'build', 'failed', 'again', 'retrying', 'now', 'lunch', 'anyone', 'meeting', 'moved', 'tomorrow'];

function pattern(n) {
  let s = B64URL.repeat(Math.ceil(n / B64URL.length));
  return s.slice(0, n);
}

function appendWords(out, n, g) {
  const end = out.length + n;
  while (out.length < end) {
    const last = out[out.length - 1];
    if (out.length + 1 < end && out.length > 0 && last !== '"' && last !== ' ') out += ' ';
    const w = WORDS[g.below(WORDS.length)];
    out += w.slice(0, Math.min(w.length, end - out.length));
  }
  return out;
}

function event(g) {
  const id = g.next() % 100000000n;
  const ts = 1700000000000n + g.next() % 100000000000n;
  if (g.below(2) === 0) {
    const price = (Number(g.next() % 10000000n) / 100).toFixed(2);
    const qty = (Number(g.next() % 100000n) / 10000).toFixed(4);
    const symbol = SYMBOLS[g.below(SYMBOLS.length)];
    const side = g.below(2) ? 'buy' : 'sell';
    return `{"type":"trade","symbol":"${symbol}","price":${price},"qty":${qty},"side":"${side}","id":${id},"ts":${ts}`;
  }
  const text = appendWords('', 12 + g.below(30), g);
  const room = ROOMS[g.below(ROOMS.length)];
  const user = USERS[g.below(USERS.length)];
  return `{"type":"chat","room":"${room}","user":"${user}${g.below(100)}","text":"${text}","id":${id},"ts":${ts}`;
}

function jsonPayload(n, g) {
  let e = event(g);
  const note = ',"note":"';
  if (e.length + note.length + 2 <= n) return appendWords(e + note, n - e.length - note.length - 2, g) + '"}';
  if (n >= 2) return appendWords('"', n - 2, g) + '"';
  return n === 1 ? '0' : '';
}

// make_payload(kind, n, key) of harness/payload.cpp.
function makePayload(kind, n, key) {
  if (kind === 'pattern') return pattern(n);
  const g = new SplitMix(key);
  if (kind === 'random') {
    let s = '';
    for (let i = 0; i < n; ++i) s += B64URL[Number(g.next() & 63n)];
    return s;
  }
  return jsonPayload(n, g);
}

// ---- the hub ------------------------------------------------------------------------

// Messages get sequence numbers here; the last `history` of them (and no
// more than `historyBytes`; either 0: none) are kept for a subscriber that
// resumes, as transports/common/hub.cpp keeps them. A subscriber is
// { filter, deliver(body, replay) } and its transport decides how a body
// goes out. A peer whose library fans out by itself (Socket.IO's rooms)
// sets `broadcast(to, body)` instead: it gets every message once.
class Hub {
  constructor(opt) {
    this.opt = opt;
    this.seq = 0;
    this.history = []; // { seq, to, body }, contiguous, ending at this.seq
    this.historyBytes = 0;
    this.subs = new Set();
    this.broadcast = null;
    this.stats = { published: 0, upstream: 0, frames_sent: 0, slow_consumers: 0, bad_requests: 0 };
  }

  publish(to, tag, payload) {
    const seq = ++this.seq;
    const body = `${seq} ${now()} ${tag} ${payload}`;
    ++this.stats.published;
    if (this.opt.history > 0 && this.opt.historyBytes > 0) {
      this.history.push({ seq, to, body });
      this.historyBytes += body.length;
    }
    while (this.history.length > this.opt.history || this.historyBytes > this.opt.historyBytes)
      this.historyBytes -= this.history.shift().body.length;
    // --test-drop-every N: every Nth message is not delivered live (it
    // stays in the history), to prove the harness sees the loss.
    if (this.opt.testDropEvery && seq % this.opt.testDropEvery === 0) return seq;
    if (this.broadcast) this.broadcast(to, body);
    else for (const s of this.subs) if (matches(s.filter, to)) s.deliver(body, false);
    return seq;
  }

  // What a subscriber resuming after `cursor` missed: a gap record when the
  // history no longer reaches back that far, then its messages.
  since(cursor, filter) {
    const out = [];
    if (cursor >= this.seq) return out;
    const firstKept = this.seq - this.history.length + 1; // seq + 1 with no history
    if (cursor + 1 < firstKept) out.push(`!gap ${cursor + 1} ${firstKept - 1}`);
    for (let i = Math.max(0, cursor + 1 - firstKept); i < this.history.length; ++i)
      if (matches(filter, this.history[i].to)) out.push(this.history[i].body);
    return out;
  }

  // A new subscriber is told where "now" is ("!head N"), so its first
  // reconnect already resumes without loss; a resuming one gets what it
  // missed (replay: true, never judged a slow consumer for it, as
  // push_session's paged replay is not). Both before anything published
  // after this call. False when the subscriber went away meanwhile.
  subscribe(sub, cursor) {
    const first = cursor === null ? [`!head ${this.seq}`] : this.since(cursor, sub.filter);
    for (const b of first) if (sub.deliver(b, true) === false) return false;
    this.subs.add(sub);
    return true;
  }

  unsubscribe(sub) { this.subs.delete(sub); }
}

// ---- the publisher (transports/common/publisher.cpp) ---------------------------------

const MAX_BURST = 1000;

class Publisher {
  constructor(hub) {
    this.hub = hub;
    this.st = { running: false, rate: 0, t0: 0n, firstSeq: 0, count: 0, published: 0, maxBehind: 0n };
    this.timer = null;
  }

  // harness/schedule.hpp's due(), saturating ~126 years out as it does.
  due(i) {
    const d = i * 1e9 / this.st.rate;
    return this.st.t0 + BigInt(d < 4e18 ? Math.round(d) : 4e18);
  }

  start(rate, size, to, count, kind) {
    this.stop();
    this.st = { running: true, rate, t0: now() + 1000000n, firstSeq: this.hub.seq + 1, count, published: 0, maxBehind: 0n };
    this.size = size;
    this.kind = kind;
    this.to = to;
    this.payload = pattern(size);
    this.arm();
  }

  stop() {
    this.st.running = false;
    if (this.timer) (this.immediate ? clearImmediate : clearTimeout)(this.timer);
    this.timer = null;
  }

  // Node's timers count whole milliseconds: the wake-up may come up to 1 ms
  // after a message is due. Every message carries its due time, so that
  // lateness is in the latency, as a late Asio timer's is.
  arm() {
    // setTimeout takes at most 2^31 - 1 ms; a longer wait wakes early and
    // waits again.
    const wait = Math.min(Number(this.due(this.st.published) - now()) / 1e6, 2147483647);
    this.immediate = !(wait > 0);
    this.timer = wait > 0 ? setTimeout(() => this.fire(), wait) : setImmediate(() => this.fire());
  }

  fire() {
    if (!this.st.running) return;
    let t = now();
    for (let burst = 0; burst < MAX_BURST; ++burst) {
      if (this.st.count && this.st.published >= this.st.count) break;
      const due = this.due(this.st.published);
      if (due > t) break;
      if (t - due > this.st.maxBehind) this.st.maxBehind = t - due;
      const payload = this.kind === 'pattern' ? this.payload : makePayload(this.kind, this.size, due);
      this.hub.publish(this.to, `s${due}`, payload);
      ++this.st.published;
      t = now();
    }
    if (this.st.count && this.st.published >= this.st.count) {
      this.st.running = false;
      return;
    }
    this.arm();
  }
}

// ---- the control endpoint -------------------------------------------------------------

function sameSecret(a, b) {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// Why a control request is refused, or null (control_auth.cpp).
function controlRefusal(req, opt, port) {
  const given = req.headers['rtb-control-token'];
  if (typeof given !== 'string' || !sameSecret(given, opt.token)) return 'missing or wrong Rtb-Control-Token';
  const host = req.headers.host;
  if (!host) return 'no Host header';
  const bound = opt.bind.includes(':') ? `[${opt.bind}]` : opt.bind;
  if (![ '127.0.0.1', 'localhost', '[::1]', bound ].some((n) => host === `${n}:${port}`))
    return `Host '${host}' is not this server`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`)
    return `foreign Origin '${origin}'`;
  return null;
}

// Serves /stats and /control/* on `server` (an http.Server). `peer` is
// { hub, publisher, opt, counters(), drop(path) }. Returns true when it
// answered the request.
function handleControl(req, res, peer, port) {
  const url = new URL(req.url, 'http://x');
  const answer = (status, body, type = 'text/plain') => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (url.pathname === '/stats') {
    answer(200, statsJson(peer), 'application/json');
    return true;
  }
  if (!url.pathname.startsWith('/control/')) return false;
  if (!peer.opt.control) return answer(404, 'not found\n'), true;
  const why = controlRefusal(req, peer.opt, port);
  if (why) return answer(403, `control refused: ${why}\n`), true;
  if (req.method !== 'POST') return answer(405, 'POST only\n'), true;
  const q = url.searchParams;
  if (url.pathname === '/control/publish') {
    const rate = Number(q.get('rate'));
    const size = q.get('payload');
    const count = q.get('count') ?? '0';
    const to = parseTarget(q.get('to') ?? 'all');
    const kind = q.get('kind') ?? 'pattern';
    if (!(rate > 0 && rate <= 1e6)) return answer(400, 'rate must be a number in (0, 1e+06] messages/s\n'), true;
    if (size === null || !/^[0-9]+$/.test(size) || Number(size) > peer.opt.maxMessage)
      return answer(400, 'payload must be a byte count up to --max-message\n'), true;
    if (!/^[0-9]+$/.test(count)) return answer(400, 'bad count\n'), true;
    if (!to) return answer(400, 'bad target\n'), true;
    if (!['pattern', 'random', 'json'].includes(kind)) return answer(400, 'kind must be pattern, random or json\n'), true;
    peer.publisher.start(rate, Number(size), to, Number(count), kind);
    answer(200, statsJson(peer), 'application/json');
  } else if (url.pathname === '/control/stop') {
    peer.publisher.stop();
    answer(200, statsJson(peer), 'application/json');
  } else if (url.pathname === '/control/drop') {
    const path = q.get('path');
    if (!path) return answer(400, 'POST /control/drop?path=/route\n'), true;
    answer(200, `${peer.drop(path)}\n`);
  } else {
    answer(404, 'not found\n');
  }
  return true;
}

function statsJson(peer) {
  const h = peer.hub, p = peer.publisher.st, c = peer.counters();
  return JSON.stringify({
    accepted: c.accepted, refused: c.refused, active: c.active, requests: c.requests,
    bad_requests: h.stats.bad_requests, slow_consumers: h.stats.slow_consumers, published: h.stats.published,
    upstream: h.stats.upstream, frames_sent: h.stats.frames_sent, subscribers: h.subs.size, head_seq: h.seq,
    history_messages: h.history.length, history_bytes: h.historyBytes, pub_running: p.running ? 1 : 0,
    pub_rate_hz: p.rate, pub_t0_ns: '@T0', pub_first_seq: p.firstSeq, pub_count: p.published,
    pub_max_behind_ns: '@BEHIND',
  }).replace('"@T0"', String(p.t0)).replace('"@BEHIND"', String(p.maxBehind)) + '\n';
}

module.exports = {
  now, parseArgs, usage, writePortFile, limitConnections, listen, parseTarget, parseUpstream, readFilter, matches, makePayload,
  Hub, Publisher, handleControl,
};
