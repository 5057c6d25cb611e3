// MQTT over WebSocket (/mqtt) with MQTT.js, raw `ws` frames and Debian's
// mosquitto clients over TCP as peers of the WebSocket clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { startGateway, once, within, run, waitLine, mosquittoSub as subscribeCli } from './harness.mjs';

const WAIT = 10000;
let gw;
const clients = [];
const children = [];

before(async () => { gw = await startGateway(); });
after(async () => {
  for (const c of clients) c.end(true);
  for (const c of children) c.stop();
  await gw.stop();
});

async function wsClient(options = {}) {
  const c = mqtt.connect(gw.wsUrl, { reconnectPeriod: 0, connectTimeout: WAIT, ...options });
  clients.push(c);
  await once(c, 'connect', WAIT);
  return c;
}

// Collects messages; next() resolves with the first one matching.
function inbox(client) {
  const got = [];
  const waiters = [];
  client.on('message', (topic, payload, packet) => {
    const m = { topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain };
    const w = waiters.findIndex((x) => x.pred(m));
    if (w >= 0) waiters.splice(w, 1)[0].resolve(m);
    else got.push(m);
  });
  return {
    next(pred, ms = WAIT) {
      const i = got.findIndex(pred);
      if (i >= 0) return Promise.resolve(got.splice(i, 1)[0]);
      return within(ms, 'an MQTT message', new Promise((resolve) => waiters.push({ pred, resolve })));
    },
    got,
  };
}

const mosquittoSub = (args) => subscribeCli(gw, children, args, WAIT);

const pub = (args) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), ...args]);

test('connects with subprotocol mqtt and is listed as mqtt-ws', async () => {
  await wsClient({ clientId: 'ws-listed' });
  const res = await fetch(`${gw.httpUrl}/api/v1/clients/ws-listed`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.protocol ?? body.data?.protocol, 'mqtt-ws');
});

test('an upgrade without an MQTT subprotocol is refused with 400 and a JSON error', async () => {
  const ws = new WebSocket(gw.wsUrl, ['chat']);
  ws.on('error', () => {});
  const [, res] = await once(ws, 'unexpected-response', WAIT);
  assert.equal(res.statusCode, 400);
  let body = '';
  res.on('data', (d) => { body += d; });
  await once(res, 'end', WAIT);
  assert.equal(JSON.parse(body).error.code, 'invalid_subprotocol');
});

test('subprotocol mqttv3.1 is accepted and answered', async () => {
  const ws = new WebSocket(gw.wsUrl, ['mqttv3.1']);
  await once(ws, 'open', WAIT);
  assert.equal(ws.protocol, 'mqttv3.1');
  ws.close();
});

test('wildcard subscriptions and QoS 0/1/2 in both directions between WebSocket clients', async () => {
  const a = await wsClient({ clientId: 'ws-a' });
  const b = await wsClient({ clientId: 'ws-b' });
  const inA = inbox(a);
  const inB = inbox(b);
  await a.subscribeAsync({ 'q/+/a': { qos: 2 } });
  await b.subscribeAsync({ 'q/#': { qos: 2 } });
  for (const qos of [0, 1, 2]) {
    await b.publishAsync(`q/${qos}/a`, `to-a-${qos}`, { qos });
    await a.publishAsync(`q/${qos}/b`, `to-b-${qos}`, { qos });
  }
  for (const qos of [0, 1, 2]) {
    const m = await inA.next((x) => x.topic === `q/${qos}/a`);
    assert.deepEqual([m.payload, m.qos], [`to-a-${qos}`, qos]);
    const n = await inB.next((x) => x.topic === `q/${qos}/b`);
    assert.deepEqual([n.payload, n.qos], [`to-b-${qos}`, qos]);
  }
  // '+' matches one level only.
  await b.publishAsync('q/1/a/deeper', 'x', { qos: 1 });
  await inB.next((x) => x.topic === 'q/1/a/deeper');
  assert.ok(!inA.got.some((x) => x.topic === 'q/1/a/deeper'));
});

test('retained messages arrive on subscribe with the retain flag', async () => {
  const a = await wsClient({ clientId: 'ws-ret-pub' });
  await a.publishAsync('ret/ws', 'kept', { qos: 1, retain: true });
  const b = await wsClient({ clientId: 'ws-ret-sub' });
  const inB = inbox(b);
  await b.subscribeAsync({ 'ret/#': { qos: 1 } });
  const m = await inB.next((x) => x.topic === 'ret/ws');
  assert.deepEqual([m.payload, m.retain], ['kept', true]);
});

test('the will is published when the WebSocket is destroyed', async () => {
  const watcher = await wsClient({ clientId: 'ws-will-watch' });
  const inbound = inbox(watcher);
  await watcher.subscribeAsync({ 'will/#': { qos: 1 } });
  const dying = await wsClient({ clientId: 'ws-will', will: { topic: 'will/ws', payload: 'gone', qos: 1, retain: false } });
  dying.stream.destroy();
  const m = await inbound.next((x) => x.topic === 'will/ws');
  assert.equal(m.payload, 'gone');
});

test('a TCP client and a WebSocket client exchange messages both ways', async () => {
  const w = await wsClient({ clientId: 'ws-peer' });
  const inW = inbox(w);
  await w.subscribeAsync({ 'tcp2ws/#': { qos: 2 } });
  const sub = await mosquittoSub(['-i', 'tcp-peer', '-q', '2', '-t', 'ws2tcp/#', '-F', '%q %t %p']);
  for (const qos of [0, 1, 2]) {
    const r = await pub(['-i', `tcp-pub-${qos}`, '-q', String(qos), '-t', `tcp2ws/${qos}`, '-m', `from-tcp-${qos}`]);
    assert.equal(r.code, 0, r.stderr);
    const m = await inW.next((x) => x.topic === `tcp2ws/${qos}`);
    assert.deepEqual([m.payload, m.qos], [`from-tcp-${qos}`, qos]);
    await w.publishAsync(`ws2tcp/${qos}`, `from-ws-${qos}`, { qos });
    await waitLine(sub, new RegExp(`^${qos} ws2tcp/${qos} from-ws-${qos}$`), WAIT);
  }
});

test('a session started over WebSocket continues over TCP', async () => {
  const w = await wsClient({ clientId: 'cross-session', clean: false });
  await w.subscribeAsync({ 'cross/#': { qos: 1 } });
  await w.endAsync();
  const r = await pub(['-i', 'cross-pub', '-q', '1', '-t', 'cross/x', '-m', 'queued']);
  assert.equal(r.code, 0, r.stderr);
  const got = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), '-i', 'cross-session', '-c',
    '-q', '1', '-t', 'cross/#', '-C', '1', '-W', '10', '-F', '%t %p']);
  assert.equal(got.stdout.trim(), 'cross/x queued');
});

// --- raw frames ---

const CONNECT = (id) => {
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), Buffer.from(id)]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
};
const SUBSCRIBE_A_B = Buffer.from([0x82, 8, 0, 1, 0, 3, 0x61, 0x2f, 0x62, 0]);
const PINGREQ = Buffer.from([0xc0, 0]);

async function rawSocket() {
  const ws = new WebSocket(gw.wsUrl, ['mqtt']);
  let received = Buffer.alloc(0);
  ws.bytes = () => received;
  ws.on('message', (data) => {
    received = Buffer.concat([received, data]);
    ws.emit('bytes');
  });
  await once(ws, 'open', WAIT);
  return ws;
}

function receivedAtLeast(ws, n) {
  if (ws.bytes().length >= n) return Promise.resolve();
  return once(ws, 'bytes', WAIT, () => ws.bytes().length >= n);
}

test('a packet split over two frames and two packets in one frame are decoded', async () => {
  const ws = await rawSocket();
  const connect = CONNECT('raw-split');
  ws.send(connect.subarray(0, 5), { binary: true });
  ws.send(connect.subarray(5), { binary: true });
  await receivedAtLeast(ws, 4);
  assert.deepEqual([...ws.bytes().subarray(0, 4)], [0x20, 2, 0, 0]);
  ws.send(Buffer.concat([SUBSCRIBE_A_B, PINGREQ]), { binary: true });
  await receivedAtLeast(ws, 4 + 5 + 2);
  assert.deepEqual([...ws.bytes().subarray(4, 11)], [0x90, 3, 0, 1, 0, 0xd0, 0]);
  ws.close();
});

test('a text frame closes the connection', async () => {
  const ws = await rawSocket();
  ws.send(CONNECT('raw-text'), { binary: true });
  await receivedAtLeast(ws, 4);
  const closed = once(ws, 'close', WAIT);
  ws.send('this is text');
  await closed;
  // The broker saw the connection go: the client is no longer connected.
  const res = await fetch(`${gw.httpUrl}/api/v1/clients/raw-text`);
  const body = await res.json();
  assert.equal(body.connected ?? body.data?.connected, false);
});

test('a text frame is answered with close code 1003 [MQTT-6.0.0-1]', async () => {
  const ws = await rawSocket();
  ws.send(CONNECT('raw-text-code'), { binary: true });
  await receivedAtLeast(ws, 4);
  const closed = once(ws, 'close', WAIT);
  ws.send('text');
  const [code] = await closed;
  assert.equal(code, 1003);
});

test('a ping is answered with a pong carrying its data, between the frames of one message', async () => {
  const ws = await rawSocket();
  const pong = once(ws, 'pong', WAIT);
  const connect = CONNECT('raw-ping');
  // One binary message in two frames with a ping between them (RFC 6455 5.4).
  ws.send(connect.subarray(0, 6), { binary: true, fin: false });
  ws.ping(Buffer.from('are you there'));
  ws.send(connect.subarray(6), { binary: true, fin: true });
  assert.equal((await pong).toString(), 'are you there');
  await receivedAtLeast(ws, 4);
  assert.deepEqual([...ws.bytes().subarray(0, 4)], [0x20, 2, 0, 0]);
  ws.close();
});

test('a close frame is answered with its code, and the will is published (no DISCONNECT came)', async () => {
  const watcher = await wsClient({ clientId: 'ws-close-watch' });
  const inbound = inbox(watcher);
  await watcher.subscribeAsync({ 'will/close': { qos: 1 } });
  const ws = await rawSocket();
  // CONNECT with a will (flags 0x06: clean session, will at QoS 0).
  const str = (t) => Buffer.concat([Buffer.from([0, t.length]), Buffer.from(t)]);
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x06, 0, 60]), str('ws-close'),
    str('will/close'), str('closed')]);
  ws.send(Buffer.concat([Buffer.from([0x10, body.length]), body]), { binary: true });
  await receivedAtLeast(ws, 4);
  const closed = once(ws, 'close', WAIT);
  ws.close(4001, 'bye');
  const [code] = await closed;
  assert.equal(code, 4001);
  const m = await inbound.next((x) => x.topic === 'will/close');
  assert.equal(m.payload, 'closed');
});

// An upgrade by hand over a TCP socket, so that the test can send what `ws` will not.
async function upgradedSocket() {
  const net = await import('node:net');
  const socket = net.connect(gw.httpPort, '127.0.0.1');
  await once(socket, 'connect', WAIT);
  socket.write('GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n');
  let received = Buffer.alloc(0);
  socket.bytes = () => received;
  socket.on('data', (d) => { received = Buffer.concat([received, d]); socket.emit('bytes'); });
  await once(socket, 'bytes', WAIT, () => received.includes('\r\n\r\n'));
  assert.match(received.toString('latin1'), /^HTTP\/1\.1 101/);
  received = received.subarray(received.indexOf('\r\n\r\n') + 4);
  return socket;
}

test('an unmasked client frame is answered with close code 1002 and the connection ends', async () => {
  const socket = await upgradedSocket();
  const ended = once(socket, 'close', WAIT);
  const connect = CONNECT('raw-unmasked');
  socket.write(Buffer.concat([Buffer.from([0x82, connect.length]), connect]));  // no mask bit
  await ended;
  assert.deepEqual([...socket.bytes()], [0x88, 2, 0x03, 0xea]);  // close 1002, then the end
});

// Before its CONNECT a peer is closed on a first byte that is not a
// CONNECT's, or a CONNECT header over mqtt.max_connect_size (64 KiB), at once:
// well before the connect timeout (10 s), with nothing more buffered.
for (const [what, bytes] of [
  ['a first packet that is not CONNECT', [0x30, 0x97, 0xff, 0x3f]],
  ['a CONNECT header announcing 196 KiB', [0x10, 0x80, 0x80, 0x0c]],
]) {
  test(`${what} closes the connection at once`, async () => {
    const ws = await rawSocket();
    const closed = once(ws, 'close', 5000);
    ws.send(Buffer.from(bytes), { binary: true });
    await closed;
    assert.equal(ws.bytes().length, 0, 'the server answered');
  });
}

// --- $SYS connection events ---

test('$SYS/brokers/<node>/clients/<id>/connected and /disconnected carry EMQX fields and skip #', async () => {
  const sys = await mosquittoSub(['-i', 'sys-watch', '-v', '-t', '$SYS/brokers/+/clients/+/connected',
    '-t', '$SYS/brokers/+/clients/+/disconnected']);
  const all = await mosquittoSub(['-i', 'hash-watch', '-v', '-t', '#']);
  const c = await wsClient({ clientId: 'sys-client', keepalive: 30 });
  const connectedLine = await waitLine(sys, /^\$SYS\/brokers\/[^/]+\/clients\/sys-client\/connected /, WAIT);
  const connected = JSON.parse(connectedLine.slice(connectedLine.indexOf(' ') + 1));
  assert.equal(connected.clientid, 'sys-client');
  assert.equal(connected.keepalive, 30);
  assert.equal(connected.proto_name, 'MQTT');
  assert.equal(connected.proto_ver, 4);
  assert.equal(connected.clean_session, true);
  assert.equal(connected.ipaddress, '127.0.0.1');
  assert.equal(connected.sockport, gw.httpPort);
  assert.equal(typeof connected.connected_at, 'number');
  assert.equal(typeof connected.ts, 'number');
  assert.ok('username' in connected);
  await c.endAsync();
  const goneLine = await waitLine(sys, /^\$SYS\/brokers\/[^/]+\/clients\/sys-client\/disconnected /, WAIT);
  const gone = JSON.parse(goneLine.slice(goneLine.indexOf(' ') + 1));
  assert.equal(gone.reason, 'normal');
  assert.equal(typeof gone.disconnected_at, 'number');
  // A message published after the events reaches '#'; the events did not.
  assert.equal((await pub(['-t', 'after/sys', '-m', 'marker'])).code, 0);
  await waitLine(all, /^after\/sys marker$/, WAIT);
  assert.ok(!all.lines.some((l) => l.startsWith('$SYS')), all.lines.join('\n'));
});
