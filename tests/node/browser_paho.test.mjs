// Eclipse Paho JavaScript (paho-mqtt, the other common browser MQTT client)
// in headless Chromium over /mqtt, which runs on mqgate's own WebSocket frame
// path for ws://: QoS 0/1/2 in both directions with Debian's mosquitto
// clients on TCP, a retained message, a 100 KB message, and a will published
// when the page goes away without DISCONNECT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { launchChromium, startGateway, run, waitLine, mosquittoSub as subscribeCli } from './harness.mjs';

const WAIT = 15000;
const require = createRequire(import.meta.url);
const paho = path.join(path.dirname(require.resolve('paho-mqtt/package.json')), 'paho-mqtt.js');

let gw;
let browser;
const children = [];

before(async () => {
  gw = await startGateway();
  browser = await launchChromium(WAIT);
});

after(async () => {
  for (const c of children) c.stop();
  if (browser) await browser.close();
  await gw.stop();
});

const mosquittoSub = (args) => subscribeCli(gw, children, args, WAIT);

const pub = (args) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), '-V', 'mqttv311', ...args]);

// A page with a connected Paho client (MQTT 3.1.1) whose messages collect in
// window.received; `will` is a [topic, payload] pair.
async function pahoPage(clientId, will) {
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  // A page of a real origin: Paho reads localStorage as it loads, which about:blank denies.
  await page.goto(`${gw.httpUrl}/healthz`);
  await page.addScriptTag({ path: paho });
  await page.evaluate(([port, id, willMessage]) => new Promise((resolve, reject) => {
    window.received = [];
    const client = new window.Paho.Client('127.0.0.1', port, '/mqtt', id);
    window.client = client;
    client.onMessageArrived = (m) => window.received.push({
      topic: m.destinationName, size: m.payloadBytes.length, text: m.payloadBytes.length < 1000 ? m.payloadString : '',
      qos: m.qos, retained: m.retained,
      // The large test message's bytes are i % 251.
      pattern: m.payloadBytes.every((b, i) => b === i % 251),
    });
    const options = { mqttVersion: 4, timeout: 10, cleanSession: true, onSuccess: resolve,
      onFailure: (e) => reject(new Error(`connect failed: ${e.errorMessage}`)) };
    if (willMessage) {
      const w = new window.Paho.Message(willMessage[1]);
      w.destinationName = willMessage[0];
      w.qos = 1;
      options.willMessage = w;
    }
    client.connect(options);
  }), [gw.httpPort, clientId, will]);
  return page;
}

const subscribe = (page, filter, qos) => page.evaluate(([f, q]) => new Promise((resolve, reject) => {
  window.client.subscribe(f, { qos: q, onSuccess: (r) => resolve(Array.from(r.grantedQos)),
    onFailure: (e) => reject(new Error(`subscribe failed: ${e.errorCode}`)) });
}), [filter, qos]);

const received = (page, count) => page.waitForFunction((n) => window.received.length >= n, count, { timeout: WAIT })
  .then(() => page.evaluate(() => window.received));

test('Paho JS publishes at QoS 0, 1 and 2 to a mosquitto_sub on TCP, and receives its publishes at each QoS', async () => {
  const sub = await mosquittoSub(['-i', 'paho-peer', '-q', '2', '-t', 'paho/out/#', '-F', '%q %t %p']);
  const page = await pahoPage('paho-1');
  assert.equal((await fetch(`${gw.httpUrl}/api/v1/clients/paho-1`).then((r) => r.json())).protocol, 'mqtt-ws');
  await page.evaluate(() => { for (const q of [0, 1, 2]) window.client.publish(`paho/out/${q}`, `from paho at ${q}`, q, false); });
  for (const q of [0, 1, 2]) await waitLine(sub, new RegExp(`^${q} paho/out/${q} from paho at ${q}$`), WAIT);

  assert.deepEqual(await subscribe(page, 'paho/in/#', 2), [2]);
  for (const q of [0, 1, 2]) {
    const r = await pub(['-q', String(q), '-t', `paho/in/${q}`, '-m', `from tcp at ${q}`]);
    assert.equal(r.code, 0, r.stderr);
  }
  const got = await received(page, 3);
  assert.deepEqual(got.map((m) => [m.topic, m.text, m.qos, m.retained]).sort(),
    [0, 1, 2].map((q) => [`paho/in/${q}`, `from tcp at ${q}`, q, false]));
  await page.evaluate(() => window.client.disconnect());
  await page.close();
});

test('Paho JS gets a retained message on subscribe, and a 100 KB message of its own back whole', async () => {
  const r = await pub(['-q', '1', '-r', '-t', 'paho/state', '-m', 'kept']);
  assert.equal(r.code, 0, r.stderr);
  const page = await pahoPage('paho-2');
  await subscribe(page, 'paho/state', 1);
  const [retained] = await received(page, 1);
  assert.deepEqual([retained.topic, retained.text, retained.retained], ['paho/state', 'kept', true]);

  await subscribe(page, 'paho/big', 1);
  await page.evaluate(() => {
    const bytes = new Uint8Array(100 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251;
    window.client.publish('paho/big', bytes, 1, false);
  });
  const got = await received(page, 2);
  const big = got.find((m) => m.topic === 'paho/big');
  assert.equal(big.size, 100 * 1024);
  assert.ok(big.pattern, 'every byte as sent');
  await page.evaluate(() => window.client.disconnect());
  await page.close();
  await pub(['-q', '1', '-r', '-t', 'paho/state', '-n']);
});

test('closing the page without DISCONNECT publishes the Paho client\'s will', async () => {
  const sub = await mosquittoSub(['-i', 'will-watch', '-q', '1', '-t', 'paho/wills/#', '-F', '%t %p']);
  const page = await pahoPage('paho-will', ['paho/wills/paho-will', 'gone']);
  await page.close();  // the WebSocket goes without an MQTT DISCONNECT
  await waitLine(sub, /^paho\/wills\/paho-will gone$/, WAIT);
});
