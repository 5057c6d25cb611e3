// Compression of the JSON stream (http.stream_compression): permessage-deflate
// negotiated with `ws` (as a browser offers it) and SSE gzip read by curl
// --compressed; refused when the client does not offer it or the option is off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import { startGateway, once, within, run, spawnLines, waitLine, Frames } from './harness.mjs';

const WAIT = 10000;
let on;   // stream_compression true
let off;  // the default
const sockets = [];
const children = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqgate-compression-'));
  const config = join(dir, 'mqgate.json');
  writeFileSync(config, JSON.stringify({ http: { stream_compression: true } }));
  on = await startGateway(['--config', config]);
  off = await startGateway();
});
after(async () => {
  for (const ws of sockets) ws.terminate();
  for (const c of children) c.stop();
  await on.stop();
  await off.stop();
});

// A JSON stream with the `ws` options given; resolves { frames, extensions, ws }.
async function stream(gw, options = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.httpPort}/api/v1/stream`, options);
  sockets.push(ws);
  const frames = new Frames(ws);
  let extensions;
  ws.on('upgrade', (res) => { extensions = res.headers['sec-websocket-extensions'] ?? ''; });
  await once(ws, 'open', WAIT);
  return { ws, frames, extensions };
}

async function subscribe(s, filter) {
  s.frames.send({ op: 'subscribe', id: 'sub', filter, qos: 1 });
  await s.frames.next((f) => f.type === 'ack' && f.id === 'sub', WAIT, 'the subscribe ack');
}

// `count` QoS 1 messages numbered in their payload, over MQTT.
async function publishNumbered(gw, topic, count) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, { reconnectPeriod: 0 });
  await once(client, 'connect', WAIT);
  for (let i = 0; i < count; i++) await client.publishAsync(topic, JSON.stringify({ n: i, reading: 20.5 + i / 100 }), { qos: 1 });
  await client.endAsync();
}

async function receiveNumbered(s, topic, count) {
  const seen = [];
  for (let i = 0; i < count; i++) {
    const f = await s.frames.next((m) => m.type === 'message' && m.topic === topic, WAIT, `message ${i} on ${topic}`);
    seen.push(JSON.parse(f.payload).n);
  }
  assert.deepEqual(seen, [...Array(count).keys()], 'every message, in order');
}

test('permessage-deflate is agreed with a client that offers it, and saves bytes', async () => {
  const s = await stream(on);
  assert.match(s.extensions, /^permessage-deflate\b/);
  assert.match(s.extensions, /server_max_window_bits=12/);
  await subscribe(s, 'zip/a');
  const before = s.ws._socket.bytesRead;
  const plain = await (async () => {
    await publishNumbered(on, 'zip/a', 200);
    await receiveNumbered(s, 'zip/a', 200);
    return s.frames.all.filter((f) => f.type === 'message').reduce((n, f) => n + JSON.stringify(f).length, 0);
  })();
  const wire = s.ws._socket.bytesRead - before;
  // Keys, topic and timestamps repeat from one message to the next: the window codes them as references.
  assert.ok(wire < plain / 2, `${wire} bytes on the wire for ${plain} bytes of JSON`);
});

test('a compressed message from the client is read, and a large one survives the round trip', async () => {
  const s = await stream(on, { perMessageDeflate: { threshold: 0 } });  // the client compresses everything
  assert.match(s.extensions, /^permessage-deflate\b/);
  await subscribe(s, 'zip/big');
  const payload = 'x'.repeat(20000) + 'end';
  s.frames.send({ op: 'publish', id: 'p', topic: 'zip/big', payload, qos: 0 });
  const ack = await s.frames.next((f) => f.id === 'p', WAIT, 'the publish ack');
  assert.equal(ack.type, 'ack');
  const msg = await s.frames.next((f) => f.type === 'message' && f.topic === 'zip/big', WAIT, 'the large message');
  assert.equal(msg.payload, payload);
});

test('server_no_context_takeover asked by the client is honoured', async () => {
  const s = await stream(on, { perMessageDeflate: { serverNoContextTakeover: true } });
  assert.match(s.extensions, /server_no_context_takeover/);
  await subscribe(s, 'zip/reset');
  await publishNumbered(on, 'zip/reset', 50);
  await receiveNumbered(s, 'zip/reset', 50);
});

test('no compression for a client that does not offer it, nor when the option is off', async () => {
  const plainClient = await stream(on, { perMessageDeflate: false });
  assert.equal(plainClient.extensions, '');
  const offered = await stream(off);  // ws offers permessage-deflate by default
  assert.equal(offered.extensions, '');
  for (const s of [plainClient, offered]) await subscribe(s, 'zip/plain');
  await publishNumbered(on, 'zip/plain', 20);
  await receiveNumbered(plainClient, 'zip/plain', 20);
  await publishNumbered(off, 'zip/plain', 20);
  await receiveNumbered(offered, 'zip/plain', 20);
});

// curl's -D - prints the answer's header lines first, then the (decoded) body.
function sse(gw, topic, args) {
  const curl = spawnLines('curl', ['-sN', '-D', '-', ...args,
    `http://127.0.0.1:${gw.httpPort}/api/v1/stream/sse?filter=${encodeURIComponent(topic)}`]);
  children.push(curl);
  return curl;
}

test('SSE is gzip for a client that accepts it, each event readable as it comes', async () => {
  const curl = sse(on, 'zip/sse', ['--compressed']);
  await waitLine(curl, /^: mqgate stream/, WAIT);
  assert.ok(curl.lines.some((l) => /^content-encoding: gzip\s*$/i.test(l)), curl.lines.join('\n'));
  for (let i = 0; i < 3; i++) {
    // The stream stays open: the event must come out of the gzip stream on its own, flushed.
    assert.equal((await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(on.mqttPort), '-t', 'zip/sse', '-m', `e${i}`])).code, 0);
    await waitLine(curl, new RegExp(`"payload":"e${i}"`), WAIT);
  }
});

test('SSE stays plain when gzip is refused (q=0), not offered, or the option is off', async () => {
  const cases = [[on, ['-H', 'Accept-Encoding: gzip;q=0, identity']], [on, []], [off, ['-H', 'Accept-Encoding: gzip']]];
  for (const [gw, args] of cases) {
    const curl = sse(gw, 'zip/plain-sse', args);
    await waitLine(curl, /^: mqgate stream/, WAIT);  // plain text: curl was not asked to decode anything
    assert.ok(!curl.lines.some((l) => /^content-encoding:/i.test(l)), curl.lines.join('\n'));
    curl.stop();
  }
});
