// MQTT.js's browser bundle in headless Chromium connects to /mqtt and
// receives what mosquitto_pub publishes over TCP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startGateway, run } from './harness.mjs';

const WAIT = 15000;
const require = createRequire(import.meta.url);
const bundle = path.join(path.dirname(require.resolve('mqtt/package.json')), 'dist', 'mqtt.min.js');

let gw;
let browser;

before(async () => {
  gw = await startGateway();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    timeout: WAIT,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
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
