// Headless Chromium as the browser paths' real client: MQTT.js's browser
// bundle over /mqtt (QoS 0/1/2 both ways, retained, large messages, wills),
// and the browser's own WebSocket and EventSource on the JSON stream and SSE,
// compressed as a browser asks (http.stream_compression is on here).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { launchChromium, startGateway, once, run } from './harness.mjs';

const WAIT = 15000;
const require = createRequire(import.meta.url);
const bundle = path.join(path.dirname(require.resolve('mqtt/package.json')), 'dist', 'mqtt.min.js');

let gw;
let browser;

before(async () => {
  const config = path.join(mkdtempSync(path.join(tmpdir(), 'mqgate-browser-')), 'mqgate.json');
  writeFileSync(config, JSON.stringify({ http: { stream_compression: true } }));
  gw = await startGateway(['--config', config]);
  browser = await launchChromium(WAIT);
});

after(async () => {
  if (browser) await browser.close();
  await gw.stop();
});

test('MQTT.js in Chromium subscribes over ws:// and receives a message from mosquitto_pub', async () => {
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  await page.setContent('<!doctype html><title>mqtt.js</title>');
  await page.addScriptTag({ path: bundle });
  const protocol = await page.evaluate((url) => new Promise((resolve, reject) => {
    window.received = [];
    const client = window.mqtt.connect(url, { clientId: 'chromium-1', reconnectPeriod: 0 });
    window.client = client;
    client.on('error', (e) => reject(new Error(String(e))));
    client.on('message', (topic, payload, packet) => {
      window.received.push({ topic, payload: payload.toString(), qos: packet.qos });
    });
    client.on('connect', () => {
      client.subscribe('browser/#', { qos: 1 }, (err) => (err ? reject(new Error(String(err))) : resolve(client.stream.socket?.protocol ?? '')));
    });
  }), gw.wsUrl);
  assert.equal(protocol, 'mqtt');

  const r = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), '-q', '1', '-t', 'browser/hello',
    '-m', 'hello from TCP']);
  assert.equal(r.code, 0, r.stderr);
  await page.waitForFunction(() => window.received.length > 0, null, { timeout: WAIT });
  const received = await page.evaluate(() => window.received);
  assert.deepEqual(received[0], { topic: 'browser/hello', payload: 'hello from TCP', qos: 1 });

  const res = await fetch(`${gw.httpUrl}/api/v1/clients/chromium-1`);
  const info = await res.json();
  assert.equal(info.protocol ?? info.data?.protocol, 'mqtt-ws');
  await page.evaluate(() => new Promise((resolve) => window.client.end(false, {}, resolve)));
  await page.close();
});

// A page on the gateway's own origin (EventSource needs no CORS there) with MQTT.js loaded.
async function gatewayPage() {
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  await page.goto(`${gw.httpUrl}/healthz`);
  await page.addScriptTag({ path: bundle });
  return page;
}

// An MQTT.js client over TCP in Node: the other end of the browser's messages.
async function tcpClient(id, subscribe) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, { clientId: id, reconnectPeriod: 0 });
  await once(client, 'connect', WAIT);
  client.inbox = [];
  client.on('message', (topic, payload, packet) => client.inbox.push({ topic, payload, qos: packet.qos, retain: packet.retain }));
  if (subscribe) await client.subscribeAsync(subscribe, { qos: 2 });
  return client;
}

// Resolves once `client` has received `n` messages (its inbox fills first: its handler came first).
async function inboxHas(client, n, what) {
  if (client.inbox.length >= n) return;
  await once(client, 'message', WAIT, () => client.inbox.length >= n, what);
}

test('MQTT.js in Chromium: QoS 0/1/2 both ways, retained, and a 256 KiB message', async () => {
  const node = await tcpClient('node-peer', 'bpath/from-browser/#');
  await node.publishAsync('bpath/to-browser/kept', 'retained value', { qos: 1, retain: true });
  const page = await gatewayPage();
  await page.evaluate((url) => new Promise((resolve, reject) => {
    window.received = [];
    window.client = window.mqtt.connect(url, { clientId: 'chromium-qos', reconnectPeriod: 0 });
    window.client.on('error', (e) => reject(new Error(String(e))));
    window.client.on('message', (topic, payload, packet) => {
      window.received.push({ topic, size: payload.length, text: payload.length < 100 ? payload.toString() : '', qos: packet.qos, retain: packet.retain });
    });
    window.client.on('connect', () => window.client.subscribe('bpath/to-browser/#', { qos: 2 }, (err) => (err ? reject(new Error(String(err))) : resolve())));
  }), gw.wsUrl);
  await page.waitForFunction(() => window.received.some((m) => m.retain), null, { timeout: WAIT });

  for (const qos of [0, 1, 2]) await node.publishAsync(`bpath/to-browser/q${qos}`, `to browser ${qos}`, { qos });
  await node.publishAsync('bpath/to-browser/large', Buffer.alloc(256 * 1024, 'a'), { qos: 1 });
  await page.waitForFunction(() => window.received.length >= 5, null, { timeout: WAIT });
  // MQTT.js hands a QoS 2 message over at PUBREL, after the round trip: the order across QoS levels is not kept.
  const received = (await page.evaluate(() => window.received)).sort((a, b) => a.topic.localeCompare(b.topic));
  assert.deepEqual(received.map((m) => [m.topic, m.text, m.qos, m.retain]), [
    ['bpath/to-browser/kept', 'retained value', 1, true],
    ['bpath/to-browser/large', '', 1, false],
    ['bpath/to-browser/q0', 'to browser 0', 0, false],
    ['bpath/to-browser/q1', 'to browser 1', 1, false],
    ['bpath/to-browser/q2', 'to browser 2', 2, false],
  ]);
  assert.equal(received[1].size, 256 * 1024);

  await page.evaluate(() => Promise.all([0, 1, 2].map((qos) => window.client.publishAsync(`bpath/from-browser/q${qos}`, `from browser ${qos}`, { qos }))
    .concat([window.client.publishAsync('bpath/from-browser/large', new Uint8Array(256 * 1024).fill(98), { qos: 2 })])));
  await inboxHas(node, 4, 'the browser\'s four messages over TCP');
  const byTopic = Object.fromEntries(node.inbox.map((m) => [m.topic, m]));
  for (const qos of [0, 1, 2]) {
    assert.equal(byTopic[`bpath/from-browser/q${qos}`].payload.toString(), `from browser ${qos}`);
    assert.equal(byTopic[`bpath/from-browser/q${qos}`].qos, qos);
  }
  assert.ok(byTopic['bpath/from-browser/large'].payload.equals(Buffer.alloc(256 * 1024, 'b')));
  await page.evaluate(() => new Promise((resolve) => window.client.end(false, {}, resolve)));
  await page.close();
  await node.publishAsync('bpath/to-browser/kept', '', { qos: 1, retain: true });
  await node.endAsync();
});

test('the will of MQTT.js in Chromium is published when its page closes without DISCONNECT', async () => {
  const node = await tcpClient('will-watcher', 'bpath/will/#');
  const page = await gatewayPage();
  await page.evaluate((url) => new Promise((resolve, reject) => {
    const client = window.mqtt.connect(url, { clientId: 'chromium-will', reconnectPeriod: 0, will: { topic: 'bpath/will/chromium', payload: 'page gone', qos: 1 } });
    client.on('error', (e) => reject(new Error(String(e))));
    client.on('connect', () => resolve());
  }), gw.wsUrl);
  await page.close();  // the browser drops the WebSocket; MQTT.js sends no DISCONNECT
  await inboxHas(node, 1, 'the will');
  assert.equal(node.inbox[0].topic, 'bpath/will/chromium');
  assert.equal(node.inbox[0].payload.toString(), 'page gone');
  await node.endAsync();
});

test('the JSON stream in Chromium is agreed with permessage-deflate and reads every message in order', async () => {
  const page = await gatewayPage();
  const extensions = await page.evaluate((url) => new Promise((resolve, reject) => {
    window.frames_ = [];
    const ws = new WebSocket(url);
    ws.onerror = () => reject(new Error('stream error'));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      window.frames_.push(f);
      if (f.type === 'ack' && f.id === 1) resolve(ws.extensions);
    };
    ws.onopen = () => ws.send(JSON.stringify({ op: 'subscribe', id: 1, filter: 'bpath/stream/#', qos: 1 }));
  }), `ws://127.0.0.1:${gw.httpPort}/api/v1/stream`);
  assert.match(extensions, /^permessage-deflate/);
  const node = await tcpClient('stream-feeder');
  for (let i = 0; i < 100; i++) await node.publishAsync('bpath/stream/n', String(i), { qos: 1 });
  await page.waitForFunction(() => window.frames_.filter((f) => f.type === 'message').length >= 100, null, { timeout: WAIT });
  const payloads = await page.evaluate(() => window.frames_.filter((f) => f.type === 'message').map((f) => f.payload));
  assert.deepEqual(payloads, Array.from({ length: 100 }, (_, i) => String(i)));
  await node.endAsync();
  await page.close();
});

test('EventSource in Chromium reads the SSE stream gzip-encoded', async () => {
  const page = await gatewayPage();
  const encoding = new Promise((resolve) => page.on('response', (r) => {
    if (r.url().includes('/api/v1/stream/sse')) resolve(r.headers()['content-encoding'] ?? '');
  }));
  await page.evaluate((url) => new Promise((resolve, reject) => {
    window.events_ = [];
    const source = new EventSource(url);
    source.onerror = () => reject(new Error('EventSource error'));
    source.onopen = () => resolve();
    source.addEventListener('message', (e) => window.events_.push(JSON.parse(e.data).payload));
  }), '/api/v1/stream/sse?filter=bpath/sse/%23&qos=1');
  assert.equal(await encoding, 'gzip');
  const node = await tcpClient('sse-feeder');
  for (let i = 0; i < 20; i++) await node.publishAsync('bpath/sse/n', `e${i}`, { qos: 1 });
  await page.waitForFunction(() => window.events_.length >= 20, null, { timeout: WAIT });
  assert.deepEqual(await page.evaluate(() => window.events_), Array.from({ length: 20 }, (_, i) => `e${i}`));
  await node.endAsync();
  await page.close();
});
