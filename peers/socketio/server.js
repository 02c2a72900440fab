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

const server = http.createServer({ maxHeaderSize: opt.maxHeader }, (req, res) => {
  ++counters.requests;
  if (peer.handleControl(req, res, { hub, publisher, opt, counters: () => counters, drop }, server.address().port)) return;
  ++hub.stats.bad_requests;
  res.writeHead(404, { Connection: 'close', 'Content-Type': 'text/plain' });
  res.end('not found\n');
});
const { counters, sockets } = peer.limitConnections(server, opt);

// Socket.IO's defaults but for these: no client bundle served; the largest
// message as `rtbench serve --max-message` allows it (plus the packet's own
// bytes); the heartbeat interval as asked (25 s, Socket.IO's default).
const io = new Server(server, {
  serveClient: false,
  maxHttpBufferSize: opt.maxMessage + 256,
  pingInterval: opt['sio-ping-ms'] || 25000,
});
io.engine.on('connection_error', () => ++hub.stats.bad_requests);

// The namespaces a client may use: "/" and "/rtb" (--sio-namespace).
const namespaces = [io.of('/'), io.of('/rtb')];
for (const nsp of namespaces) nsp.on('connection', serve);

// Messages fan out the way a Socket.IO application fans them out: an emit to
// a room (each client is in the room client:<id> and in the rooms it joined)
// or to the whole namespace, which Socket.IO encodes once for every
// recipient. Socket.IO drops no slow client (its buffers grow): neither does
// this peer, so slow_consumers stays 0 here, as it would in production.
hub.broadcast = (to, body) => {
  for (const nsp of namespaces) {
    if (to.kind === 'all') nsp.emit('m', body);
    else nsp.to(to.kind === 'room' ? to.name : `client:${to.name}`).emit('m', body);
  }
};

function serve(socket) {
  const filter = peer.readFilter(new URLSearchParams(socket.handshake.query));
  if (!filter) {
    ++hub.stats.bad_requests;
    return socket.disconnect(true);
  }
  if (filter.id !== null) socket.join(`client:${filter.id}`);
  for (const room of filter.rooms) socket.join(room);
  // The hub's own delivery carries only the "!head N" a new subscriber is
  // told first; the messages go through hub.broadcast.
  const sub = { filter, route: '/socket.io/', socket, deliver: (body) => socket.emit('m', body) };
  hub.subscribe(sub, null);
  socket.on('join', (room, ack) => {
    if (typeof room !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(room) || typeof ack !== 'function') {
      ++hub.stats.bad_requests;
      return socket.disconnect(true);
    }
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

peer.listen(server, opt, 'socketio', sockets, () => {
  publisher.stop();
  for (const s of io.sockets.sockets.values()) s.disconnect(true);
});
