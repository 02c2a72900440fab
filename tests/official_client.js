'use strict';
// The official clients as truth for rtbench's own: socket.io-client (npm),
// sockjs-client (npm) or ws's WebSocket client, connected to a peer through a byte-counting TCP
// relay of this script's, receiving `count` messages. Driven by
// tests/peers_test.cpp, which runs rtbench's C++ client beside it on the
// same peer and compares what both saw.
//
//   node tests/official_client.js KIND PORT COUNT
//     KIND: ws | socketio-ws | socketio-polling | socketio-upgrade |
//           sockjs-ws | sockjs-xhr-streaming | sockjs-xhr-polling
//
// Prints "ready" once subscribed (after "!head N"), then one JSON line:
// {"messages":N,"seqs_in_order":true,"first":"…","last":"…","bytes_down":B,"bytes_up":B}
// bytes_*: the relay's count from the subscription's "!head" to the last
// message (the messages' own cost), both directions.
const net = require('net');
const path = require('path');

const peers = path.join(__dirname, '..', 'peers', 'node_modules');
const [kind, port, count] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
if (!kind || !(port > 0) || !(count > 0)) {
  process.stderr.write('usage: node official_client.js ws|socketio-*|sockjs-* PORT COUNT\n');
  process.exit(2);
}
setTimeout(() => {
  process.stderr.write(`official_client: ${kind}: gave up after 30 s (${seqs.length} of ${count} messages)\n`);
  process.exit(1);
}, 30000).unref();

// The relay: every byte each way is counted, none is changed.
let down = 0, up = 0;
const relay = net.createServer((c) => {
  const s = net.connect(port, '127.0.0.1');
  c.on('data', (d) => { up += d.length; s.write(d); });
  s.on('data', (d) => { down += d.length; c.write(d); });
  c.on('close', () => s.destroy());
  s.on('close', () => c.destroy());
  c.on('error', () => {});
  s.on('error', () => {});
});

const seqs = [];
let first = null, last = null;
let mark = null;

function onRecord(rec) {
  if (rec.startsWith('!head ')) {
    mark = { down, up };
    process.stdout.write('ready\n');
    return;
  }
  seqs.push(Number(rec.slice(0, rec.indexOf(' '))));
  if (first === null) first = rec;
  last = rec;
  if (seqs.length === count) {
    const inOrder = seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1);
    process.stdout.write(JSON.stringify({
      messages: seqs.length, seqs_in_order: inOrder, first, last,
      bytes_down: down - mark.down, bytes_up: up - mark.up,
    }) + '\n');
    process.exit(0);
  }
}

relay.listen(0, '127.0.0.1', () => {
  const via = relay.address().port;
  if (kind === 'ws') {
    const WebSocket = require(path.join(peers, 'ws'));
    const ws = new WebSocket(`ws://127.0.0.1:${via}/ws?id=official`);
    ws.on('message', (data) => onRecord(data.toString()));
    ws.on('error', (e) => { process.stderr.write(`official_client: ${e.message}\n`); process.exit(1); });
    return;
  }
  if (kind.startsWith('sockjs-')) {
    // sockjs-client with its `transports` pinned to the row's one; the
    // query on the base URL goes on every transport URL it makes.
    const SockJS = require(path.join(peers, 'sockjs-client'));
    const transports = { 'sockjs-ws': ['websocket'], 'sockjs-xhr-streaming': ['xhr-streaming'],
                         'sockjs-xhr-polling': ['xhr-polling'] }[kind];
    const sock = new SockJS(`http://127.0.0.1:${via}/sockjs?id=official`, null, { transports });
    sock.onmessage = (e) => onRecord(e.data);
    sock.onclose = (e) => {
      process.stderr.write(`official_client: SockJS closed: ${e.code} ${e.reason}\n`);
      process.exit(1);
    };
    return;
  }
  const { io } = require(path.join(peers, 'socket.io-client'));
  const transports = { 'socketio-ws': ['websocket'], 'socketio-polling': ['polling'],
                       'socketio-upgrade': ['polling', 'websocket'] }[kind];
  const socket = io(`http://127.0.0.1:${via}`, { transports, query: { id: 'official' }, reconnection: false });
  // Upgrade: the client is subscribed once it has moved to the WebSocket,
  // as rtbench's client is.
  let head = null;
  const maybeReady = () => {
    if (head !== null && (kind !== 'socketio-upgrade' || socket.io.engine.transport.name === 'websocket')) {
      const h = head;
      head = null;
      onRecord(h);
    }
  };
  socket.on('m', (rec) => {
    if (rec.startsWith('!head ')) {
      head = rec;
      return maybeReady();
    }
    onRecord(rec);
  });
  socket.io.on('open', () => socket.io.engine.on('upgrade', maybeReady));
  socket.on('connect_error', (e) => { process.stderr.write(`official_client: ${e.message}\n`); process.exit(1); });
});
