'use strict';
// rtbench's WebSocket contract (transports/websocket/README.md) served by
// Node's `ws` 8.x: GET /ws?id=ID&rooms=A,B&since=N upgrades; one text frame
// per message; upstream records arrive as text frames. The harness starts
// it as it starts `rtbench serve` (peers/README.md); by hand:
//
//   RTBENCH_CONTROL_TOKEN=... node peers/node-ws/server.js --port 8080 --control
const http = require('http');
const { WebSocketServer } = require('ws');
const peer = require('../common/peer');

const opt = peer.parseArgs(process.argv.slice(2), { 'ws-deflate': 'flag', 'ws-ping-ms': 'number' });
const hub = new peer.Hub(opt);
const publisher = new peer.Publisher(hub);

// ws's own options, at its defaults but for these: no compression unless
// asked (ws's default, said aloud), the largest message as `rtbench serve
// --max-message` allows it (plus room for the record's own fields).
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: opt['ws-deflate'] === true,
  maxPayload: opt.maxMessage + 256,
});

const server = http.createServer({ maxHeaderSize: opt.maxHeader }, (req, res) => {
  ++counters.requests;
  if (peer.handleControl(req, res, { hub, publisher, opt, counters: () => counters, drop }, server.address().port)) return;
  ++hub.stats.bad_requests;
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/ws') {
    res.writeHead(426, { Upgrade: 'websocket', Connection: 'close', 'Content-Type': 'text/plain' });
    return res.end('WebSocket upgrade required\n');
  }
  res.writeHead(404, { Connection: 'close', 'Content-Type': 'text/plain' });
  res.end('not found\n');
});
const { counters, sockets } = peer.limitConnections(server, opt);

// The upgrade: a bad id, rooms or since is a 400 before any 101.
server.on('upgrade', (req, socket, head) => {
  ++counters.requests;
  const refuse = (status, why) => {
    ++hub.stats.bad_requests;
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${why.length}\r\n\r\n${why}`);
  };
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/echo' || url.pathname === '/broadcast')
    return wss.handleUpgrade(req, socket, head, (ws) => servePlain(ws, url.pathname));
  if (url.pathname !== '/ws') return refuse('404 Not Found', 'not found\n');
  const filter = peer.readFilter(url.searchParams);
  if (!filter) return refuse('400 Bad Request', 'bad id or rooms\n');
  const since = url.searchParams.get('since');
  if (since !== null && !/^[0-9]+$/.test(since)) return refuse('400 Bad Request', 'bad since\n');
  wss.handleUpgrade(req, socket, head, (ws) => serve(ws, filter, since === null ? null : Number(since)));
});

// One subscriber: messages go out as text frames; one that falls more than
// --max-queue messages (of the current size) behind is dropped as a slow
// consumer, as `rtbench serve` drops it.
function serve(ws, filter, cursor) {
  const sub = {
    filter,
    route: '/ws',
    ws,
    dead: false,
    deliver(body, replay) {
      if (sub.dead) return false;
      if (!replay && ws.bufferedAmount > opt.maxQueue * body.length) {
        ++hub.stats.slow_consumers;
        gone(sub);
        ws.terminate();
        return false;
      }
      ++hub.stats.frames_sent;
      ws.send(body);
      return true;
    },
  };
  if (!hub.subscribe(sub, cursor)) return;
  ws.isAlive = true;
  ws.on('pong', () => { ws.isAlive = true; });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return reject(sub, 1003);
    const up = peer.parseUpstream(data.toString());
    if (!up || up.payload.length > opt.maxMessage) return reject(sub, 1008);
    ++hub.stats.upstream;
    hub.publish(up.to, up.tag, up.payload);
  });
  ws.on('close', () => gone(sub));
  ws.on('error', (e) => {
    // ws has closed with 1009 (a message over maxPayload): a bad request, as
    // Beast's 1009 is one for `rtbench serve`. 'close' follows any error.
    if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') ++hub.stats.bad_requests;
  });
}

function gone(sub) {
  sub.dead = true;
  hub.unsubscribe(sub);
}

// The external-target contract (README.md, "External targets"), so that
// this server can also be loaded as a server of someone else's (`rtbench
// run --target ws://…/echo`): /echo returns each message to its sender,
// /broadcast sends it to every connection there, the sender's too. No
// envelope, no hub: the bytes go back as they came.
const broadcastRoom = new Set();
function servePlain(ws, path) {
  if (path === '/broadcast') broadcastRoom.add(ws);
  ws.on('message', (data, isBinary) => {
    if (path === '/echo') return ws.send(data, { binary: isBinary });
    for (const c of broadcastRoom) c.send(data, { binary: isBinary });
  });
  ws.on('close', () => broadcastRoom.delete(ws));
  ws.on('error', () => ws.terminate());
}

// A bad record: delivery stops, a Close with a code that says why (RFC 6455
// 7.4.1), 1 s for the client to answer it.
function reject(sub, code) {
  ++hub.stats.bad_requests;
  gone(sub);
  sub.ws.close(code);
  setTimeout(() => sub.ws.terminate(), 1000).unref();
}

// Server-side disconnect of every connection on one route (resume tests).
function drop(path) {
  let n = 0;
  for (const s of [...hub.subs]) {
    if (s.route !== path) continue;
    gone(s);
    s.ws.terminate();
    ++n;
  }
  return n;
}

// --ws-ping-ms: ping every connection that often; one that did not answer
// the previous ping is gone (ws's own heartbeat recipe).
if (opt['ws-ping-ms'] > 0) {
  setInterval(() => {
    for (const ws of wss.clients) {
      if (!ws.isAlive) {
        ws.terminate();
        continue;
      }
      ws.isAlive = false;
      ws.ping();
    }
  }, opt['ws-ping-ms']).unref();
}

peer.listen(server, opt, 'node-ws', sockets, () => {
  publisher.stop();
  for (const ws of wss.clients) ws.terminate();
});
