// The JSON stream over WebSocket (/api/v1/stream): ops, acks, messages,
// events, errors, and a slow consumer's bounded queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { startGateway, once, run, spawnLines, waitLine, openJsonStream, assertInOrderAndCounted } from './harness.mjs';

const WAIT = 10000;
let gw;
const sockets = [];
const children = [];

before(async () => { gw = await startGateway(); });
after(async () => {
  for (const ws of sockets) ws.terminate();
  for (const c of children) c.stop();
  await gw.stop();
});

const openStream = () => openJsonStream(gw, sockets, WAIT);

const pub = (args) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), ...args]);

test('subscribe gets an ack, then retained messages, then live ones; publish is acknowledged', async () => {
  const s = await openStream();
  s.send({ op: 'publish', id: 'r', topic: 'js/kept/c', payload: 'old', retain: true, qos: 1 });
  assert.deepEqual(await s.next((f) => f.id === 'r'), { type: 'ack', id: 'r', op: 'publish', matched: 0 });
  s.send({ op: 'subscribe', id: 1, filter: 'js/+/c', qos: 1 });
  const ack = await s.next((f) => f.type === 'ack' && f.id === 1);
  assert.deepEqual(ack, { type: 'ack', id: 1, op: 'subscribe', filter: 'js/+/c', qos: 1 });
  const retained = await s.next((f) => f.type === 'message');
  assert.equal(s.all.indexOf(ack) < s.all.indexOf(retained), true, 'ack before the retained message');
  assert.equal(retained.topic, 'js/kept/c');
  assert.equal(retained.payload, 'old');
  assert.equal(retained.retain, true);
  assert.equal(retained.encoding, 'plain');

  // From MQTT (TCP) to the stream.
  assert.equal((await pub(['-q', '1', '-t', 'js/live/c', '-m', 'from mqtt'])).code, 0);
  const live = await s.next((f) => f.type === 'message' && f.topic === 'js/live/c');
  assert.equal(live.payload, 'from mqtt');
  assert.equal(live.qos, 1);
  assert.equal(live.retain, false);
  assert.equal(typeof live.ts, 'number');
  assert.match(live.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // From the stream to MQTT and back to the stream, binary as base64.
  const sub = spawnLines('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), '-d', '-t', 'js/bin/c', '-F', '%t %x']);
  children.push(sub);
  await waitLine(sub, /received SUBACK/, WAIT);
  s.send({ op: 'publish', id: 3, topic: 'js/bin/c', payload: Buffer.from([0xff, 0x00, 0x41]).toString('base64'), payload_encoding: 'base64' });
  const pubAck = await s.next((f) => f.id === 3);
  assert.equal(pubAck.type, 'ack');
  assert.equal(pubAck.matched, 2, 'the MQTT subscriber and the stream itself');
  await waitLine(sub, /^js\/bin\/c ff0041$/, WAIT);
  const bin = await s.next((f) => f.type === 'message' && f.topic === 'js/bin/c');
  assert.equal(bin.encoding, 'base64');
  assert.deepEqual([...Buffer.from(bin.payload, 'base64')], [0xff, 0x00, 0x41]);

  s.send({ op: 'unsubscribe', id: 4, filter: 'js/+/c' });
  assert.deepEqual(await s.next((f) => f.id === 4), { type: 'ack', id: 4, op: 'unsubscribe', filter: 'js/+/c' });
  s.send({ op: 'publish', id: 5, topic: 'js/live/c', payload: 'not for us' });
  assert.equal((await s.next((f) => f.id === 5)).matched, 0);
});

test('malformed ops get an error frame and the stream stays open', async () => {
  const s = await openStream();
  s.send('{"op": "subscribe", ');
  const bad = await s.next((f) => f.type === 'error');
  assert.equal(bad.id, null);
  assert.equal(bad.error.code, 'invalid_json');
  s.send({ op: 'dance', id: 7 });
  assert.equal((await s.next((f) => f.type === 'error' && f.id === 7)).error.code, 'invalid_op');
  s.send({ op: 'subscribe', id: 8, filter: 'a/#/b' });
  assert.equal((await s.next((f) => f.id === 8)).error.code, 'invalid_filter');
  s.send({ op: 'publish', id: 9, topic: 'a/+', payload: 'x' });
  assert.equal((await s.next((f) => f.id === 9)).error.code, 'invalid_topic');
  s.send({ op: 'publish', id: 10, topic: 'a/b', qos: 3 });
  assert.equal((await s.next((f) => f.id === 10)).error.code, 'invalid_qos');
  s.send({ op: 'publish', id: 11, topic: 'a/b', payload: '!!', encoding: 'base64' });
  assert.equal((await s.next((f) => f.id === 11)).error.code, 'invalid_payload');
  s.send({ op: 'events', id: 12, filter: ['client.exploded'] });
  assert.equal((await s.next((f) => f.id === 12)).error.code, 'invalid_event');
  // A repeated key (a proxy reading the first "topic" sees another message) and deep nesting.
  s.send('{"op":"publish","id":14,"topic":"js/public","payload":"x","topic":"js/secret"}');
  const dup = await s.next((f) => f.type === 'error' && /duplicate key 'topic'/.test(f.error.message));
  assert.equal(dup.error.code, 'invalid_json');
  s.send(`{"op":"ping","id":15,"x":${'['.repeat(100)}${']'.repeat(100)}}`);
  const deep = await s.next((f) => f.type === 'error' && /nesting/.test(f.error.message));
  assert.equal(deep.error.code, 'invalid_json');
  s.send({ op: 'ping', id: 13 });
  assert.deepEqual(await s.next((f) => f.id === 13), { type: 'pong', id: 13 });
});

test('a publish to $SYS is refused with forbidden_topic: only the broker writes there', async () => {
  const s = await openStream();
  s.send({ op: 'subscribe', id: 1, filter: '$SYS/brokers/+/clients/+/connected' });
  await s.next((f) => f.id === 1 && f.type === 'ack');
  s.send({ op: 'publish', id: 2, topic: '$SYS/brokers/mqgate/clients/spoofed/connected', payload: '{}' });
  const refused = await s.next((f) => f.id === 2);
  assert.equal(refused.type, 'error');
  assert.equal(refused.error.code, 'forbidden_topic');
  s.send({ op: 'publish', id: 3, topic: '$SYS/broker/uptime', payload: 'fake', retain: true });
  assert.equal((await s.next((f) => f.id === 3)).error.code, 'forbidden_topic');
  // A message the stream got would be queued before the answer to its publish.
  assert.deepEqual(s.all.filter((f) => f.type === 'message' && f.topic.includes('spoofed')), []);
});

test('connection events: connect, clean disconnect without will, killed client with will', async () => {
  const s = await openStream();
  s.send({ op: 'events', id: 1, filter: ['client.connected', 'client.disconnected', 'will.published'] });
  assert.deepEqual(await s.next((f) => f.id === 1),
    { type: 'ack', id: 1, op: 'events', filter: ['client.connected', 'client.disconnected', 'will.published'] });

  const r = await pub(['-i', 'ev-clean', '-t', 'ev/x', '-m', 'y', '--will-topic', 'ev/will', '--will-payload', 'never']);
  assert.equal(r.code, 0, r.stderr);
  const conn = await s.next((f) => f.type === 'event' && f.event === 'client.connected' && f.clientid === 'ev-clean');
  assert.equal(conn.ipaddress, '127.0.0.1');
  assert.equal(conn.protocol, 'mqtt');
  assert.equal(typeof conn.seq, 'number');
  const disc = await s.next((f) => f.type === 'event' && f.event === 'client.disconnected' && f.clientid === 'ev-clean');
  assert.equal(disc.reason, 'normal');
  assert.ok(disc.seq > conn.seq);

  const victim = spawnLines('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), '-d', '-i', 'ev-killed',
    '-t', 'ev/none', '--will-topic', 'ev/will', '--will-payload', 'died', '--will-qos', '1']);
  children.push(victim);
  await waitLine(victim, /received SUBACK/, WAIT);
  await s.next((f) => f.type === 'event' && f.event === 'client.connected' && f.clientid === 'ev-killed');
  victim.kill('SIGKILL');
  const will = await s.next((f) => f.type === 'event' && f.event === 'will.published' && f.clientid === 'ev-killed');
  assert.deepEqual([will.topic, will.payload, will.qos], ['ev/will', 'died', 1]);
  const gone = await s.next((f) => f.type === 'event' && f.event === 'client.disconnected' && f.clientid === 'ev-killed');
  assert.equal(gone.reason, 'network_error');
  // The clean disconnect published no will.
  assert.ok(!s.all.some((f) => f.event === 'will.published' && f.clientid === 'ev-clean'));
  // Events not asked for are not sent.
  assert.ok(!s.all.some((f) => f.event === 'session.subscribed'));
});

async function tcpPublisher(id) {
  const c = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, { clientId: id, reconnectPeriod: 0 });
  await once(c, 'connect', WAIT);
  return c;
}

test('a consumer that stops reading is closed with 1008 while the broker memory stays bounded', async () => {
  const s = await openStream();
  s.send({ op: 'subscribe', id: 1, filter: 'flood/#', qos: 1 });
  await s.next((f) => f.id === 1);
  const closed = once(s.ws, 'close', 60000);
  s.ws._socket.pause();
  const before = gw.rssKiB();
  const publisher = await tcpPublisher('flooder-1');
  const payload = 'x'.repeat(2048);
  const total = 20000;  // 40 MB: far over the 1 MiB queue
  for (let i = 0; i < total; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, k) => publisher.publishAsync(`flood/${i + k}`, payload, { qos: 1 })));
  }
  const grown = gw.rssKiB() - before;
  await publisher.endAsync();
  s.ws._socket.resume();
  const [code, reason] = await closed;
  assert.equal(code, 1008);
  assert.match(reason.toString(), /queue/);
  const messages = s.all.filter((f) => f.type === 'message').length;
  assert.ok(messages < total, `got ${messages} of ${total}`);
  if (!gw.sanitized()) assert.ok(grown < 32 * 1024, `RSS grew by ${grown} KiB during the flood`);
});

test('QoS 0 messages to a slow consumer are dropped and counted, and the stream stays open', async () => {
  const s = await openStream();
  s.send({ op: 'subscribe', id: 1, filter: 'flood0/#', qos: 0 });
  await s.next((f) => f.id === 1);
  s.ws._socket.pause();
  const publisher = await tcpPublisher('flooder-0');
  const payload = 'y'.repeat(1024);
  const total = 20000;
  for (let i = 0; i < total; i += 1000) {
    for (let k = 0; k < 1000; ++k) publisher.publish(`flood0/${i + k}`, payload, { qos: 0 });
    // A QoS 1 marker flushes the batch through the broker before the next.
    await publisher.publishAsync('flood0-marker', '', { qos: 1 });
  }
  await publisher.endAsync();
  s.ws._socket.resume();
  const dropped = await s.next((f) => f.type === 'dropped', 30000, 'a dropped frame');
  assert.ok(dropped.count > 0);
  s.send({ op: 'ping', id: 'alive' });
  await s.next((f) => f.id === 'alive', 30000);
  const messages = s.all.filter((f) => f.type === 'message').length;
  const counted = s.all.filter((f) => f.type === 'dropped').reduce((n, f) => n + f.count, 0);
  assert.ok(messages < total);
  assert.ok(messages + counted <= total);
});

test('a slow reader gets QoS 0 messages in order, and they and the dropped counts add up to what was sent', async () => {
  const s = await openStream();
  s.send({ op: 'subscribe', id: 1, filter: 'slow/#', qos: 0 });
  s.send({ op: 'subscribe', id: 2, filter: 'slow-end', qos: 1 });
  await s.next((f) => f.id === 2);
  const publisher = await tcpPublisher('slow-feeder');
  const pad = 'p'.repeat(1000);
  const bursts = 4;
  const perBurst = 5000;
  // The reader stops reading for each burst (the queue fills and QoS 0 is
  // dropped), then reads everything before the next.
  for (let b = 0; b < bursts; ++b) {
    s.ws._socket.pause();
    for (let k = 0; k < perBurst; ++k) publisher.publish(`slow/${k % 7}`, `${b * perBurst + k}:${pad}`, { qos: 0 });
    await publisher.publishAsync('slow-flush', '', { qos: 1 });
    s.ws._socket.resume();
  }
  // QoS 1 on the stream: never dropped, and after every message before it.
  await publisher.publishAsync('slow-end', 'end', { qos: 1 });
  await publisher.endAsync();
  await s.next((f) => f.type === 'message' && f.topic === 'slow-end', 30000, 'the end marker');
  const counted = assertInOrderAndCounted(s.all, bursts * perBurst,
    (f) => (f.topic.startsWith('slow/') ? Number.parseInt(f.payload, 10) : undefined));
  assert.ok(counted.dropped > 0, 'the reader was slow enough to lose messages');
  // A run of drops ends only after a quarter of the queue was sent.
  assert.ok(counted.notices <= counted.received / 100 + 1, `${counted.notices} notices for ${counted.received} messages`);
  assert.equal(s.ws.readyState, WebSocket.OPEN);
});

async function retainMany(topics) {
  for (let i = 0; i < topics.length; i += 1000) {
    const items = topics.slice(i, i + 1000).map((topic) => ({ topic, payload: topic, retain: true, qos: 1 }));
    const res = await fetch(`${gw.httpUrl}/api/v1/publish/bulk`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(items) });
    assert.equal(res.status, 200, await res.text());
  }
}

test('subscribe over 5,000 retained messages: each replayed once, in order, while MQTT traffic flows', async () => {
  // Five times the stream's queue (1000 frames): replayed in chunks as the
  // consumer reads, not queued at once (which closed the stream with 1008).
  const topics = Array.from({ length: 5000 }, (_, i) => `replay/${i}`);
  await retainMany(topics);
  const s = await openStream();
  s.send({ op: 'subscribe', id: 1, filter: 'replay/#', qos: 1 });
  await s.next((f) => f.id === 1);
  await s.next((f) => f.type === 'message' && f.retain);
  // The consumer stops reading mid-replay; an MQTT client's publish round trip
  // and a live message for the stream go through the broker meanwhile.
  s.ws._socket.pause();
  const client = await tcpPublisher('replay-prober');
  await client.subscribeAsync('replay-probe/rt', { qos: 1 });
  const echoed = once(client, 'message', WAIT, (topic) => topic === 'replay-probe/rt');
  await client.publishAsync('replay-probe/rt', 'ping', { qos: 1 });
  await echoed;
  await client.publishAsync('replay/live', 'now', { qos: 1 });
  await client.endAsync();
  s.ws._socket.resume();

  const sorted = [...topics].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const last = sorted.at(-1);
  await s.next((f) => f.type === 'message' && f.retain && f.topic === last, 30000, 'the last retained message');
  await s.next((f) => f.type === 'message' && f.topic === 'replay/live' && !f.retain, WAIT, 'the live message');
  s.send({ op: 'ping', id: 'end' });
  await s.next((f) => f.id === 'end');
  const replayed = s.all.filter((f) => f.type === 'message' && f.retain).map((f) => f.topic);
  assert.equal(replayed.length, 5000);
  assert.deepEqual(replayed, sorted, 'each retained message once, in bytewise topic order');
  assert.ok(!s.all.some((f) => f.type === 'dropped'));
  assert.equal(s.ws.readyState, WebSocket.OPEN);
});

test('GET /api/v1/stream without an upgrade is answered 426', async () => {
  const res = await fetch(`${gw.httpUrl}/api/v1/stream`);
  assert.equal(res.status, 426);
  assert.equal((await res.json()).error.code, 'upgrade_required');
});
