// MQTT over WebSocket (/mqtt) with MQTT.js, raw `ws` frames and Debian's
// mosquitto clients over TCP as peers of the WebSocket clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { startGateway, once, within, run, spawnLines, waitLine } from './harness.mjs';

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

async function mosquittoSub(args) {
  const sub = spawnLines('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), '-d', ...args]);
  children.push(sub);
  await waitLine(sub, /Client .* received SUBACK/, WAIT);
  return sub;
}

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
