// Webhook requests verified by the Standard Webhooks spec's own verifier
// (npm `standardwebhooks`), as a receiver written in JavaScript would: a
// signature the library rejects fails the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import standardwebhooks from 'standardwebhooks';
import { startGateway, within } from './harness.mjs';

const { Webhook, WebhookVerificationError } = standardwebhooks;
const WAIT = 10000;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

let gw;
let dir;
let server;
const received = [];  // { headers, body }
let arrived = () => {};

before(async () => {
  server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
      arrived();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  dir = mkdtempSync(join(tmpdir(), 'mqgate-webhook-verify-'));
  const config = join(dir, 'mqgate.json');
  writeFileSync(config, JSON.stringify({
    webhooks: [{
      name: 'verify', url: `http://127.0.0.1:${server.address().port}/hook`, secret: SECRET,
      events: ['client.connected', 'message.publish'], topics: ['verify/#'],
    }],
  }));
  gw = await startGateway(['--config', config]);
});

after(async () => {
  if (gw) await gw.stop();
  if (server) server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function waitForRequests(n) {
  return within(WAIT, () => `${n} webhook requests, got ${received.length}`, new Promise((resolve) => {
    arrived = () => { if (received.length >= n) resolve(); };
    arrived();
  }));
}

test('every request verifies with the standardwebhooks library, and a changed body does not', async () => {
  const client = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, { clientId: 'verify-1', reconnectPeriod: 0 });
  try {
    await within(WAIT, 'MQTT.js connect', new Promise((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    }));
    await client.publishAsync('verify/1', 'hello', { qos: 1 });
    await waitForRequests(2);
  } finally {
    client.end(true);
  }
  const verifier = new Webhook(SECRET);
  const events = received.slice(0, 2).map(({ headers, body }) => verifier.verify(body, headers));
  assert.deepEqual(events.map((e) => [e.event, e.clientid]), [['client.connected', 'verify-1'], ['message.publish', 'verify-1']]);
  assert.equal(events[1].topic, 'verify/1');
  assert.equal(events[1].payload, 'hello');

  const { headers, body } = received[1];
  assert.throws(() => verifier.verify(body.replace('hello', 'hellO'), headers), WebhookVerificationError);
});
