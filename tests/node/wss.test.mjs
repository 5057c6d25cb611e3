// MQTT.js over WSS (/mqtt on an https listener) and the JSON stream over
// WSS, with certificates made at test time by the openssl CLI; mosquitto
// clients over mqtts as their peers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { startGateway, once, within, run, spawnLines, waitLine } from './harness.mjs';

const WAIT = 10000;
let gw;
let dir;
let ca;
const clients = [];
const children = [];

async function openssl(args) {
  const r = await run('openssl', args, 30000);
  assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

// A CA and a server certificate for 127.0.0.1 signed by it.
async function makeCertificates() {
  const p = (name) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=wss test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await openssl(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-set_serial', '7',
    '-days', '2', '-extfile', p('server.ext'), '-out', p('server.pem')]);
  return { ca: p('ca.pem'), cert: p('server.pem'), key: p('server.key') };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mqgate-wss-'));
  const files = await makeCertificates();
  ca = readFileSync(files.ca);
  const tls = { port: 0, cert: files.cert, key: files.key };
  const config = join(dir, 'mqgate.json');
  writeFileSync(config, JSON.stringify({ listeners: { mqtts: [tls], https: [tls] } }));
  gw = await startGateway(['--config', config]);
  assert.ok(gw.ports.https > 0 && gw.ports.mqtts > 0, 'https and mqtts listeners announced');
});

after(async () => {
  for (const c of clients) c.end(true);
  for (const c of children) c.stop();
  if (gw) await gw.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const wssUrl = (path) => `wss://127.0.0.1:${gw.ports.https}${path}`;

async function wssClient(options = {}) {
  const c = mqtt.connect(wssUrl('/mqtt'), { ca, reconnectPeriod: 0, connectTimeout: WAIT, ...options });
  clients.push(c);
  await once(c, 'connect', WAIT);
  return c;
}

const mqttsArgs = () => ['-h', '127.0.0.1', '-p', String(gw.ports.mqtts), '--cafile', join(dir, 'ca.pem'), '-V', 'mqttv311'];

test('MQTT.js over wss: subscribe and receive a publish from an mqtts client', async () => {
  const c = await wssClient({ clientId: 'wss-sub' });
  const granted = await new Promise((resolve, reject) =>
    c.subscribe('wss/t', { qos: 1 }, (err, g) => (err ? reject(err) : resolve(g))));
  assert.equal(granted[0].qos, 1);
  const message = once(c, 'message', WAIT);
  const r = await run('mosquitto_pub', [...mqttsArgs(), '-t', 'wss/t', '-m', 'over mqtts', '-q', '1']);
  assert.equal(r.code, 0, r.stderr);
  const [topic, payload] = await message;
  assert.equal(topic, 'wss/t');
  assert.equal(payload.toString(), 'over mqtts');

  const res = await run('curl', ['-sS', '--cacert', join(dir, 'ca.pem'), `https://127.0.0.1:${gw.ports.https}/api/v1/clients/wss-sub`]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(JSON.parse(res.stdout).protocol, 'mqtt-wss');
});

test('MQTT.js over wss publishes to an mqtts subscriber', async () => {
  const sub = spawnLines('mosquitto_sub', [...mqttsArgs(), '-t', 'wss/out', '-q', '1', '-d']);
  children.push(sub);
  await waitLine(sub, /received SUBACK/, WAIT);
  const c = await wssClient({ clientId: 'wss-pub' });
  await new Promise((resolve, reject) => c.publish('wss/out', 'from wss', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  await waitLine(sub, /^from wss$/, WAIT);
});

test('a wss client that does not trust the CA is refused', async () => {
  const c = mqtt.connect(wssUrl('/mqtt'), { reconnectPeriod: 0, connectTimeout: WAIT });
  clients.push(c);
  const err = await once(c, 'error', WAIT);
  assert.match(String(err.code ?? err.message), /SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify|self.signed/i);
});

test('the JSON stream over wss', async () => {
  const ws = new WebSocket(wssUrl('/api/v1/stream'), { ca });
  await once(ws, 'open', WAIT);
  const frames = [];
  const next = (pred) => within(WAIT, 'a stream frame', new Promise((resolve) => {
    const seen = frames.find(pred);
    if (seen) return resolve(seen);
    ws.on('message', (data) => { const f = JSON.parse(data.toString()); if (pred(f)) resolve(f); });
  }));
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  ws.send(JSON.stringify({ op: 'subscribe', id: 1, filter: 'wss/json', qos: 0 }));
  assert.equal((await next((f) => f.id === 1)).type, 'ack');
  const r = await run('mosquitto_pub', [...mqttsArgs(), '-t', 'wss/json', '-m', 'to the stream']);
  assert.equal(r.code, 0, r.stderr);
  const msg = await next((f) => f.type === 'message');
  assert.equal(msg.topic, 'wss/json');
  assert.equal(msg.payload, 'to the stream');
  ws.close();
  await once(ws, 'close', WAIT);
});
