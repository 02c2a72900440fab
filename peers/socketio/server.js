'use strict';
// rtbench's messages over Socket.IO 4.8 (Engine.IO v4, Socket.IO protocol
// v5), served by the real `socket.io` server: what a Socket.IO application
// that fans messages out does, with rtbench's hub behind it (peers/README.md).
//
//   connect   /socket.io/?EIO=4&transport=polling|websocket&id=ID  (the
//             Engine.IO handshake), then the namespace ("/" or any /NAME)
//   rooms     event "join" with the room's name and an acknowledgement;
//             the server joins the socket and acknowledges ([] as the ack)
//   messages  event "m" with one body ("seq publish_ns tag payload") or a
//             control record ("!head N"), as the websocket contract's frames
//   upstream  event "up" with one record ("to tag payload")
//
// Socket.IO has no replay: a client that reconnects gets the messages from
// then on ("!head N" again), and what went out meanwhile is lost — Socket.IO's
// behaviour, which the row shows as it is.
const http = require('http');
const { Server } = require('socket.io');
const peer = require('../common/peer');

const opt = peer.parseArgs(process.argv.slice(2), { 'sio-ping-ms': 'number' });
const hub = new peer.Hub(opt);
const publisher = new peer.Publisher(hub);
const counters = { accepted: 0, refused: 0, active: 0, requests: 0 };
const sockets = new Set();

const server = http.createServer({ maxHeaderSize: opt.maxHeader }, (req, res) => {
  ++counters.requests;
  if (peer.handleControl(req, res, { hub, publisher, opt, counters: () => counters, drop }, server.address().port)) return;
  ++hub.stats.bad_requests;
  res.writeHead(404, { Connection: 'close', 'Content-Type': 'text/plain' });
  res.end('not found\n');
});
server.headersTimeout = opt.headerTimeoutMs;
server.requestTimeout = 0;
server.keepAliveTimeout = opt.idleTimeoutMs;

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

// Socket.IO's defaults but for these: no client bundle served; the largest
// message as `rtbench serve --max-message` allows it (plus the packet's own
// bytes); the heartbeat interval as asked (25 s, Socket.IO's default).
const io = new Server(server, {
  serveClient: false,
  maxHttpBufferSize: opt.maxMessage + 256,
  pingInterval: opt['sio-ping-ms'] || 25000,
});
io.engine.on('connection_error', () => ++hub.stats.bad_requests);

// Every namespace: "/" and any /NAME a client connects to.
for (const nsp of [io.of('/'), io.of(/^\/[A-Za-z0-9_.-]{1,64}$/)]) nsp.on('connection', serve);

function serve(socket) {
  const filter = peer.readFilter(new URLSearchParams(socket.handshake.query));
  if (!filter) {
    ++hub.stats.bad_requests;
    return socket.disconnect(true);
  }
  const sub = {
    filter,
    route: '/socket.io/',
    socket,
    deliver(body) {
      // A client more than --max-queue packets behind (Engine.IO's write
      // buffer) is dropped as a slow consumer, as `rtbench serve` drops one.
      if (socket.conn.writeBuffer.length > opt.maxQueue) {
        ++hub.stats.slow_consumers;
        hub.unsubscribe(sub);
        return socket.disconnect(true);
      }
      ++hub.stats.frames_sent;
      socket.emit('m', body);
    },
  };
  hub.subscribe(sub, null);
  socket.on('join', (room, ack) => {
    if (typeof room !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(room) || typeof ack !== 'function') {
      ++hub.stats.bad_requests;
      return socket.disconnect(true);
    }
    filter.rooms.add(room);
    socket.join(room);
    ack();
  });
  socket.on('up', (record) => {
    const up = typeof record === 'string' ? peer.parseUpstream(record) : null;
    if (!up || up.payload.length > opt.maxMessage) {
      ++hub.stats.bad_requests;
      return socket.disconnect(true);
    }
    ++hub.stats.upstream;
    hub.publish(up.to, up.tag, up.payload);
  });
  socket.on('disconnect', () => hub.unsubscribe(sub));
}

// Server-side disconnect of every Socket.IO connection (resume tests).
function drop(path) {
  let n = 0;
  for (const s of [...hub.subs]) {
    if (s.route !== path) continue;
    hub.unsubscribe(s);
    s.socket.conn.close();
    ++n;
  }
  return n;
}

server.on('error', (e) => {
  process.stderr.write(`socketio: cannot listen on ${opt.bind}:${opt.port}: ${e.message}\n`);
  process.exit(1);
});
server.listen(opt.port, opt.bind, () => peer.writePortFile(opt.portFile, server.address().port));

process.on('SIGTERM', () => {
  publisher.stop();
  io.close();
  for (const s of sockets) s.destroy();
  server.close(() => process.exit(0));
});
