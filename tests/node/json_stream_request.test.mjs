// The JSON stream's "request" op (issue 14) through the ws package: a device
// (MQTT.js over TCP) answers on the response topic; a silent one times out;
// a stream closed mid-wait leaves no request or reply subscription behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startGateway, once, within, openJsonStream } from './harness.mjs';

const WAIT = 10000;
let gw;
const sockets = [];
const devices = [];

before(async () => { gw = await startGateway(); });
after(async () => {
  for (const ws of sockets) ws.terminate();
  for (const d of devices) d.end(true);
  await gw.stop();
});

const openStream = () => openJsonStream(gw, sockets, WAIT);

// Subscribes to `filter`; answers each request with answer(topic, payload) -> [topic, payload] or null.
async function device(id, filter, answer) {
  const c = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, { clientId: id, reconnectPeriod: 0 });
  devices.push(c);
  await once(c, 'connect', WAIT);
  c.on('message', (topic, payload) => {
    const reply = answer(topic, payload.toString());
    if (reply) c.publish(reply[0], reply[1], { qos: 1 });
  });
  await within(WAIT, 'SUBACK', new Promise((resolve, reject) => c.subscribe(filter, { qos: 1 }, (e) => (e ? reject(e) : resolve()))));
  return c;
}

async function stats() {
  return (await fetch(`${gw.httpUrl}/api/v1/stats`)).json();
}

test('a request op is answered by a response frame with the device reply', async () => {
  await device('js-pump', 'js/pump/req/+', (topic, payload) => [`js/pump/res/${topic.split('/').pop()}`, `pong ${payload}`]);
  const s = await openStream();
  s.send({ op: 'request', id: 'r1', topic: 'js/pump/req/{request_id}', response_topic: 'js/pump/res/{request_id}', payload: 'status?', timeout_ms: 5000 });
  const frame = await s.next((f) => f.id === 'r1');
  assert.equal(frame.type, 'response');
  assert.equal(frame.response.payload, 'pong status?');
  assert.equal(frame.response.topic, `js/pump/res/${frame.request_id}`);
  assert.equal(typeof frame.elapsed_ms, 'number');
});

test('a silent device gives an error frame with code timeout; bad ops are refused at once', async () => {
  await device('js-mute', 'js/mute/req', () => null);
  const s = await openStream();
  s.send({ op: 'request', id: 2, topic: 'js/mute/req', response_topic: 'js/mute/res', timeout_ms: 200 });
  const frame = await s.next((f) => f.id === 2);
  assert.equal(frame.type, 'error');
  assert.equal(frame.error.code, 'timeout');
  s.send({ op: 'request', id: 3, topic: 'js/nobody/req', response_topic: 'js/nobody/res' });
  assert.equal((await s.next((f) => f.id === 3)).error.code, 'no_matching_subscribers');
  s.send({ op: 'request', id: 4, topic: 'js/mute/req' });
  assert.equal((await s.next((f) => f.id === 4)).error.code, 'invalid_response_topic');
});

test('closing the stream cancels its waiting request', async () => {
  await device('js-mute2', 'js/mute2/req', () => null);
  const before = (await stats()).internal_subscriptions;
  const s = await openStream();
  s.send({ op: 'request', id: 5, topic: 'js/mute2/req', response_topic: 'js/mute2/res', timeout_ms: 60000 });
  const deadline = Date.now() + WAIT;
  while ((await stats()).requests_pending !== 1) {
    assert.ok(Date.now() < deadline, 'the request never became pending');
    await new Promise((r) => setTimeout(r, 20));
  }
  s.ws.close();
  await once(s.ws, 'close', WAIT);
  for (;;) {
    const now = await stats();
    if (now.requests_pending === 0 && now.internal_subscriptions === before) break;
    assert.ok(Date.now() < deadline, `still waiting: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});
