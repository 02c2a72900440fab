'use strict';
// rtbench's messages over SockJS (the `sockjs-protocol` 0.3.x document),
// served by the real `sockjs` 0.3.24 server for Node, with rtbench's hub
// behind it (peers/README.md). Wire format and costs: README.md here.
//
//   prefix    /sockjs: GET /sockjs/info, then a session's transport at
//             /sockjs/<server>/<session>/{websocket,xhr_streaming,xhr,xhr_send}
//   identity  ?id=ID&rooms=A,B on the transport's URL (the request that
//             opens the session): a bad one closes the session, c[3001,…]
//   messages  one SockJS message each: the body "seq publish_ns tag payload"
//             or a control record ("!head N"), as the websocket contract's
//   upstream  one SockJS message each from the client: "to tag payload"
//
// SockJS has no replay: a client whose session ends opens a new one and gets
// the messages from then on ("!head N" again) — SockJS's behaviour, which the
// rows show as it is. Within one session nothing is lost between xhr
// requests: the session buffers until the next one (disconnect_delay, 5 s).
const http = require('http');
const sockjs = require('sockjs');
const peer = require('../common/peer');

const opt = peer.parseArgs(process.argv.slice(2), {
  'sockjs-heartbeat-ms': 'number',
  'sockjs-response-limit': 'number',
});
const hub = new peer.Hub(opt);
const publisher = new peer.Publisher(hub);

const server = http.createServer({ maxHeaderSize: opt.maxHeader }, (req, res) => {
  if (peer.handleControl(req, res, { hub, publisher, opt, counters: () => counters, drop }, server.address().port)) return;
  ++hub.stats.bad_requests;
  res.writeHead(404, { Connection: 'close', 'Content-Type': 'text/plain' });
  res.end('not found\n');
});
const { counters, sockets } = peer.limitConnections(server, opt);
// An upgrade outside /sockjs: SockJS leaves it to us, and nothing else would
// answer it.
server.on('upgrade', (req, socket) => {
  ++hub.stats.bad_requests;
  socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nnot found\n');
});

// SockJS's defaults but for these: no logging; the heartbeat interval and
// the streaming response limit as asked (25 s and 128 KiB are SockJS's); the
// largest WebSocket message as `rtbench serve --max-message` allows a record
// (JSON may escape every character, plus the frame's own bytes).
const sjs = sockjs.createServer({
  prefix: '/sockjs',
  log: () => {},
  heartbeat_delay: opt['sockjs-heartbeat-ms'] || 25000,
  response_limit: opt['sockjs-response-limit'] || 128 * 1024,
  faye_server_options: { maxLength: opt.maxMessage * 6 + 256 },
});
sjs.installHandlers(server);
// Every request counts, SockJS's too: installHandlers put its own listener
// in front of those above (calling them only for paths it does not take),
// so the count goes in front of it.
server.prependListener('request', () => ++counters.requests);
server.prependListener('upgrade', () => ++counters.requests);

// One subscriber per SockJS session. SockJS drops no slow client (a
// session's buffer grows): neither does this peer, so slow_consumers stays 0
// here, as it would in production.
sjs.on('connection', (conn) => {
  const filter = peer.readFilter(new URL(conn.url, 'http://x').searchParams);
  if (!filter) {
    ++hub.stats.bad_requests;
    return conn.close(3001, 'bad id or rooms');
  }
  const sub = {
    filter,
    route: '/sockjs/',
    conn,
    dead: false,
    deliver(body) {
      if (sub.dead) return false;
      ++hub.stats.frames_sent;
      conn.write(body);
      return true;
    },
  };
  if (!hub.subscribe(sub, null)) return;
  conn.on('data', (record) => {
    const up = peer.parseUpstream(record);
    if (!up || up.payload.length > opt.maxMessage) {
      ++hub.stats.bad_requests;
      gone(sub);
      return conn.close(3002, 'bad record');
    }
    ++hub.stats.upstream;
    hub.publish(up.to, up.tag, up.payload);
  });
  conn.on('close', () => gone(sub));
});

function gone(sub) {
  sub.dead = true;
  hub.unsubscribe(sub);
}

// Server-side close of every SockJS session (resume tests): the client gets
// c[1000,…] and opens a new session.
function drop(path) {
  let n = 0;
  for (const s of [...hub.subs]) {
    if (s.route !== path) continue;
    gone(s);
    s.conn.close(1000, 'dropped');
    ++n;
  }
  return n;
}

peer.listen(server, opt, 'sockjs', sockets, () => {
  publisher.stop();
  for (const s of [...hub.subs]) s.conn.close(1001, 'server stopping');
});
