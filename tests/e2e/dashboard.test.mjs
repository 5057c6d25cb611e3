// The dashboard in headless Chromium against the real gateway and real MQTT
// clients (mosquitto_sub/pub). Screenshots of every view go to
// MQGATE_ARTIFACTS (ctest: <build>/artifacts/dashboard).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { openPage, startGateway } from './harness.mjs';
import { mosquittoSub, mosquittoPub } from './clients.mjs';
import { sendRequest } from './requests_form.mjs';

const WAIT = { timeout: 15000 };
const ARTIFACTS = process.env.MQGATE_ARTIFACTS ?? join(tmpdir(), 'mqgate-dashboard-artifacts');

let gateway;
let browser;
let page;
const cleanup = [];
const pageErrors = [];

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  gateway = await startGateway();
  ({ browser, page } = await openPage(pageErrors));
});

after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
  await browser?.close();
  await gateway?.stop();
});

async function screenshot(name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

function sub(options) {
  const cli = mosquittoSub(gateway.mqttPort, options);
  cleanup.push(() => cli.kill('SIGKILL'));
  return cli;
}

async function api(path, init) {
  const r = await fetch(`${gateway.url}${path}`, init);
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

// Until the REST API shows the client connected with its subscription in
// place: the CLI prints nothing on connect or SUBACK, and the dashboard is
// what is under test, not the wait. Connected alone is not enough: the
// SUBSCRIBE follows the CONNACK, so a publish right after could miss it.
async function clientConnected(id) {
  await page.waitForFunction(async ([url, clientid]) => {
    const r = await fetch(`${url}/api/v1/clients/${encodeURIComponent(clientid)}`);
    if (!r.ok) return false;
    const c = await r.json();
    return c.connected && c.subscriptions_cnt > 0;
  }, [gateway.url, id], { ...WAIT, polling: 100 });
}

async function go(view) {
  await page.goto(`${gateway.url}/#/${view}`);
  await page.locator(`#view-${view.split('/')[0]}`).waitFor({ state: 'visible', ...WAIT });
}

test('overview: header, live stream indicator, counters and the rate chart', async () => {
  await page.goto(gateway.url + '/');
  await page.getByRole('heading', { name: 'Overview' }).waitFor(WAIT);
  await page.locator('#conn-indicator[data-state="open"]').waitFor(WAIT);
  assert.match(await page.locator('#conn-indicator').textContent(), /Live/);
  // Traffic in and out, so the rates and the chart have something to show.
  const listener = sub({ id: 'overview-listener', topics: ['overview/#'] });
  await clientConnected('overview-listener');
  for (let i = 0; i < 5; i++) await mosquittoPub(gateway.mqttPort, { topic: `overview/tick/${i}`, payload: String(i) });
  await listener.waitForLine(/^overview\/tick\/4 4$/);
  await page.waitForFunction(() => !['0', '–'].includes(document.querySelector('#rate-out').textContent), null, WAIT);
  // The last mosquitto_pub may still count as connected in the stats poll
  // that was current a moment ago: wait for the next one to show the listener alone.
  await page.locator('#stat-connections', { hasText: /^1$/ }).waitFor(WAIT);
  assert.equal(await page.locator('#stat-connections').textContent(), '1');
  await listener.kill();
  assert.equal(await page.title(), 'Overview · mqgate');
  await screenshot('overview');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot('overview-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  // Phone width: nothing wider than the screen but the tables' own scrollers.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
  await screenshot('overview-phone');
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('clients: a mosquitto_sub client appears as connected, filter narrows the table', async () => {
  const cli = sub({ id: 'dash-sub', topics: ['dash/#'] });
  await clientConnected('dash-sub');
  const other = sub({ id: 'other-client', topics: ['elsewhere'] });
  await clientConnected('other-client');
  await go('clients');
  await page.locator('tr[data-clientid="dash-sub"][data-connected="true"]').waitFor(WAIT);
  await page.locator('tr[data-clientid="other-client"]').waitFor(WAIT);

  await page.getByLabel('Filter').fill('dash');
  await page.locator('tr[data-clientid="other-client"]').waitFor({ state: 'detached', ...WAIT });
  assert.equal(await page.locator('tr[data-clientid="dash-sub"]').count(), 1);
  await page.getByLabel('Filter').fill('');
  await screenshot('clients');
  await other.kill();
  assert.ok(cli);
});

test('events: a client with a will killed by SIGKILL shows the disconnect and the will', async () => {
  await go('events');
  const victim = sub({ id: 'will-victim', topics: ['x/y'],
    extra: ['--will-topic', 'dash/wills/victim', '--will-payload', 'victim went away', '--will-qos', '1'] });
  await clientConnected('will-victim');
  await page.locator('li.event[data-event="client.connected"]', { hasText: 'will-victim' }).waitFor(WAIT);
  await victim.kill('SIGKILL');

  const disconnect = page.locator('li.event[data-event="client.disconnected"]', { hasText: 'will-victim' });
  await disconnect.waitFor(WAIT);
  assert.match(await disconnect.textContent(), /reason: \S+/);
  const will = page.locator('li.event[data-event="will.published"]', { hasText: 'will-victim' });
  await will.waitFor(WAIT);
  assert.equal(await will.locator('.will-topic').textContent(), 'dash/wills/victim');
  assert.match(await will.textContent(), /victim went away/);
  // Highlighted: the will row has its own colour.
  const [willBg, plainBg] = await Promise.all([
    will.evaluate((el) => getComputedStyle(el).backgroundColor),
    disconnect.evaluate((el) => getComputedStyle(el).backgroundColor)]);
  assert.notEqual(willBg, plainBg);
  // The dash-sub subscriber got the will too.
  await screenshot('events');
});

test('publish form: mosquitto_sub receives the message and the answer is shown', async () => {
  const receiver = sub({ id: 'publish-receiver', topics: ['dash/form/#'] });
  await clientConnected('publish-receiver');
  await go('publish');
  await page.getByLabel('Topic').fill('dash/form/hello');
  await page.getByLabel('Payload').fill('{"greeting": "hello from the dashboard", "n": 42}');
  await page.getByLabel('QoS').selectOption('1');
  await page.getByRole('button', { name: 'Publish' }).click();
  const line = await receiver.waitForLine(/^dash\/form\/hello /);
  assert.equal(line, 'dash/form/hello {"greeting": "hello from the dashboard", "n": 42}');
  await page.locator('.publish-result .result-ok', { hasText: '200' }).waitFor(WAIT);
  // dash-sub (dash/#) and the receiver.
  assert.match(await page.locator('.publish-result').textContent(), /2 subscribers matched/);
  await screenshot('publish');
});

test('live messages: a subscription sees mosquitto_pub messages, JSON pretty, binary as hex; pause holds', async () => {
  await go('live');
  await page.getByLabel('Topic filter').fill('dash/live/#');
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.locator('.chip', { hasText: 'dash/live/#' }).waitFor(WAIT);

  await mosquittoPub(gateway.mqttPort, { topic: 'dash/live/json', payload: '{"temp":21.5,"tags":["a","b"]}' });
  const json = page.locator('li.message[data-topic="dash/live/json"]');
  await json.waitFor(WAIT);
  assert.equal(await json.locator('pre.json').textContent(), JSON.stringify({ temp: 21.5, tags: ['a', 'b'] }, null, 2));

  await mosquittoPub(gateway.mqttPort, { topic: 'dash/live/bin', payload: Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x80]) });
  const bin = page.locator('li.message[data-topic="dash/live/bin"]');
  await bin.waitFor(WAIT);
  assert.match(await bin.textContent(), /00 01 fe ff 80/);
  assert.match(await bin.textContent(), /AAH+/);

  await page.getByRole('button', { name: 'Pause' }).click();
  await mosquittoPub(gateway.mqttPort, { topic: 'dash/live/paused', payload: 'held back' });
  await page.locator('#view-live', { hasText: '1 waiting' }).waitFor(WAIT);
  assert.equal(await page.locator('li.message[data-topic="dash/live/paused"]').count(), 0);
  await screenshot('live-paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.locator('li.message[data-topic="dash/live/paused"]').waitFor(WAIT);
  await screenshot('live');
});

test('client detail: subscriptions and figures, kick disconnects the client', async () => {
  const client = mqtt.connect(`mqtt://127.0.0.1:${gateway.mqttPort}`,
    { clientId: 'kick-me', protocolVersion: 4, reconnectPeriod: 0, keepalive: 30, clean: true,
      will: { topic: 'dash/wills/kick-me', payload: Buffer.from('kicked out'), qos: 0, retain: false } });
  cleanup.push(() => new Promise((resolve) => client.end(true, {}, resolve)));
  await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
  await client.subscribeAsync('dash/kick/+', { qos: 1 });
  const closed = new Promise((resolve) => client.once('close', resolve));

  await go('clients/kick-me');
  const detail = page.getByRole('complementary', { name: 'Client detail' });
  await detail.getByRole('heading', { name: 'kick-me' }).waitFor(WAIT);
  await detail.getByRole('list', { name: 'Subscriptions' }).getByText('dash/kick/+').waitFor(WAIT);
  assert.match(await detail.textContent(), /Will topicdash\/wills\/kick-me/);
  await screenshot('client-detail');

  await detail.getByRole('button', { name: 'Kick' }).click();
  // A refresh (timer tick, live event) re-renders the panel; the question must stay asked.
  const rerendered = page.waitForResponse((r) => r.url().includes('/api/v1/clients/kick-me/subscriptions'), WAIT);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await rerendered;
  await detail.getByRole('button', { name: 'Confirm kick' }).click();
  await closed;
  await detail.locator('.status.off').first().waitFor(WAIT);
  await page.locator('tr[data-clientid="kick-me"][data-connected="false"]').waitFor(WAIT);
  const info = await api('/api/v1/clients/kick-me');
  assert.equal(info.body.connected, false);
});

test('topics: retained messages as a tree; delete one', async () => {
  await mosquittoPub(gateway.mqttPort, { topic: 'dash/house/kitchen/temp', payload: '21.5', retain: true });
  await mosquittoPub(gateway.mqttPort, { topic: 'dash/house/kitchen/humidity', payload: '{"rh": 40}', retain: true });
  await mosquittoPub(gateway.mqttPort, { topic: 'dash/house/garage/door', payload: 'closed', retain: true });
  await go('topics');
  const temp = page.locator('.retained[data-topic="dash/house/kitchen/temp"]');
  await temp.waitFor(WAIT);
  assert.match(await temp.textContent(), /21\.5/);
  await page.locator('li[data-path="dash/house/garage/door"]').waitFor(WAIT);
  await screenshot('topics');

  await page.getByRole('button', { name: 'Delete retained message on dash/house/kitchen/temp' }).click();
  await temp.waitFor({ state: 'detached', ...WAIT });
  assert.equal((await api('/api/v1/retained/dash/house/kitchen/temp')).status, 404);
  assert.equal((await api('/api/v1/retained/dash/house/garage/door')).status, 200);
});

// A simulated device (MQTT.js): subscribed to `filter`, it answers each
// request with what `answer(topic, payload)` returns ([topic, payload] or null).
async function device(clientId, filter, answer) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${gateway.mqttPort}`,
    { clientId, protocolVersion: 4, reconnectPeriod: 0, clean: true });
  cleanup.push(() => new Promise((resolve) => client.end(true, {}, resolve)));
  await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
  client.on('message', (topic, payload) => {
    const reply = answer(topic, payload.toString());
    if (reply) client.publish(reply[0], reply[1], { qos: 1 });
  });
  await client.subscribeAsync(filter, { qos: 1 });
}

test('requests: a device answers, its reply, status and time are shown; a silent one times out', async () => {
  await device('dash-pump', 'rq/pump/req/+', (topic, payload) =>
    [topic.replace('/req/', '/res/'), JSON.stringify({ running: true, asked: payload })]);
  await device('dash-mute', 'rq/mute/req/+', () => null);
  await go('requests');
  const view = await sendRequest(page,
    { Topic: 'rq/pump/req/{request_id}', 'Response topic': 'rq/pump/res/{request_id}', Payload: 'status?' });
  const ok = view.locator('.request-result .result-ok[data-status="ok"]');
  await ok.waitFor(WAIT);
  assert.match(await ok.textContent(), /^200 · answered in \d+ ms$/);
  const text = await view.locator('.request-result').textContent();
  const id = /Request id([0-9A-Fa-f]{32})/.exec(text)?.[1];
  assert.ok(id, text);
  assert.match(text, new RegExp(`Reply topicrq/pump/res/${id}`));
  assert.equal(await view.locator('.request-result pre.json').textContent(),
    JSON.stringify({ running: true, asked: 'status?' }, null, 2));
  await screenshot('requests');

  await sendRequest(page,
    { Topic: 'rq/mute/req/{request_id}', 'Response topic': 'rq/mute/res/{request_id}', 'Timeout (ms)': '300' });
  const timedOut = view.locator('.request-result .result-error[data-status="timeout"]');
  await timedOut.waitFor(WAIT);
  assert.match(await timedOut.textContent(), /^504 · no reply within \d+ ms$/);

  await sendRequest(page, { Topic: 'rq/nobody/req', 'Response topic': 'rq/nobody/res' });
  await view.locator('.request-result .result-error[data-status="no_matching_subscribers"]', { hasText: '404' }).waitFor(WAIT);
});

test('requests: targets are answered per device, in target order', async () => {
  // The devices of the test above: pump answers, mute does not; nobody is not there.
  await go('requests');
  const view = await sendRequest(page, {
    Topic: 'rq/{clientid}/req/{request_id}', 'Response topic': 'rq/{clientid}/res/{request_id}', Payload: 'ping',
    'Timeout (ms)': '500', 'Targets (optional)': 'pump, mute nobody' });
  await view.locator('.request-result .result-ok', { hasText: '3 targets' }).waitFor(WAIT);
  const rows = view.locator('table.request-results tbody tr');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.clientid, tr.dataset.status])),
    [['pump', 'ok'], ['mute', 'timeout'], ['nobody', 'no_matching_subscribers']]);
  assert.match(await rows.first().textContent(), /"asked":"ping"/);
  await screenshot('requests-targets');
});

// Fills the Commands form with `fields` (label -> value), queues the command and returns its id.
async function queueCommand(view, fields) {
  for (const [label, value] of Object.entries(fields)) await view.getByLabel(label, { exact: true }).fill(value);
  // The outcome line still shows the previous command's answer until this one's arrives: wait for a new id.
  const before = await view.locator('#cmd-outcome').textContent();
  await view.getByRole('button', { name: 'Queue command' }).click();
  await page.waitForFunction((previous) => {
    const text = document.querySelector('#view-commands #cmd-outcome')?.textContent ?? '';
    return text.includes('queued as') && text !== previous;
  }, before, WAIT);
  const outcome = view.locator('#cmd-outcome');
  return /^202 · queued as ([0-9A-Fa-f]{32})$/.exec(await outcome.textContent())?.[1];
}

test('commands: one for an offline device is queued, then turns replied live when the device comes', async () => {
  await go('commands');
  await page.evaluate(() => { window.sameDocument = true; });
  const view = page.locator('#view-commands');
  const id = await queueCommand(view, { Device: 'dash-valve', Topic: 'cmd/{clientid}/{request_id}', Payload: 'open',
    'Response topic (optional)': 'cmd/{clientid}/res/{request_id}' });
  // A second one without a response topic: done once the device acknowledges it.
  const unanswered = await queueCommand(view, { Payload: 'close', 'Response topic (optional)': '' });
  const row = view.locator(`#commands-table tr[data-id="${id}"]`);
  for (const queued of [id, unanswered])
    await view.locator(`#commands-table tr[data-id="${queued}"][data-status="queued"]`).waitFor(WAIT);
  // Id, device, topic, status, history; then the times, no reply, and a cancel button.
  assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 5),
    [id, 'dash-valve', `cmd/dash-valve/${id}`, 'queued', 'queued']);
  assert.equal(await view.getByRole('button', { name: `Cancel command ${id}` }).count(), 1);
  await screenshot('commands-queued');

  // The device connects: the commands go out, are acknowledged and answered; the rows follow without a reload.
  await device('dash-valve', 'cmd/dash-valve/+', (topic) => [topic.replace('cmd/dash-valve/', 'cmd/dash-valve/res/'), 'opened']);
  await view.locator(`#commands-table tr[data-id="${id}"][data-status="replied"]`).waitFor(WAIT);
  // MQTT.js may send the reply before its PUBACK: the reply then wins and the command is never acked.
  assert.match(await row.locator('td.history').textContent(), /^queued → sent( → acked)? → replied$/);
  assert.match(await row.textContent(), /opened/);
  const acked = view.locator(`#commands-table tr[data-id="${unanswered}"][data-status="acked"]`);
  await acked.waitFor(WAIT);
  assert.equal(await acked.locator('td.history').textContent(), 'queued → sent → acked');
  assert.equal(await page.evaluate(() => window.sameDocument), true);
  await screenshot('commands-replied');
});

test('commands: one still queued is cancelled from its row', async () => {
  await go('commands');
  const view = page.locator('#view-commands');
  const id = await queueCommand(view, { Device: 'dash-absent', Topic: 'cmd/absent', Payload: 'never',
    'Response topic (optional)': '' });
  await view.getByRole('button', { name: `Cancel command ${id}` }).click();
  await view.locator(`#commands-table tr[data-id="${id}"][data-status="cancelled"]`).waitFor(WAIT);
  assert.equal(await view.getByRole('button', { name: `Cancel command ${id}` }).count(), 0);
  assert.equal((await api(`/api/v1/commands/${id}`)).body.status, 'cancelled');
});

test('the page ran without script errors', () => {
  assert.deepEqual(pageErrors, []);
});

// Last: it restarts the gateway.
test('the stream reconnects by itself when the gateway comes back, and says so', async () => {
  await go('overview');
  await page.locator('#conn-indicator[data-state="open"]').waitFor(WAIT);
  const { mqttPort, httpPort } = gateway;
  await gateway.stop();
  await page.locator('#conn-indicator[data-state="reconnecting"]').waitFor(WAIT);
  assert.match(await page.locator('#conn-indicator').textContent(), /Reconnecting/);
  await screenshot('reconnecting');
  gateway = await startGateway({ mqttPort, httpPort });
  await page.locator('#conn-indicator[data-state="open"]').waitFor({ timeout: 30000 });
  assert.match(await page.locator('#conn-indicator').textContent(), /reconnected 1×/);
  await page.locator('.toast', { hasText: 'Live stream reconnected' }).waitFor(WAIT);
});
