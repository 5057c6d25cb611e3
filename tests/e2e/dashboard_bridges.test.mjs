// The dashboard's bridges panel in headless Chromium: a gateway with two
// bridges, one to another mqgate as its upstream (which refuses the bridge
// protocol level 0x84, so the bridge asks again with plain 3.1.1) and one to a
// closed port, and the panel showing each one's state, counts and error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, startGateway } from './harness.mjs';

const WAIT = { timeout: 15000 };
const ARTIFACTS = process.env.MQGATE_ARTIFACTS ?? join(tmpdir(), 'mqgate-dashboard-artifacts');

let upstream;
let gateway;
let browser;
let page;
let configDir;
const pageErrors = [];

// A loopback port nothing listens on: bound, then closed.
async function closedPort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  upstream = await startGateway();
  const bridge = (name, port) => ({
    name, addresses: [`127.0.0.1:${port}`], topics: [{ filter: 'panel/#', direction: 'out', qos: 1 }],
    reconnect: { min_ms: 200, max_ms: 1000 } });
  configDir = await mkdtemp(join(tmpdir(), 'mqgate-e2e-bridges-'));
  const config = join(configDir, 'mqgate.json');
  await writeFile(config, JSON.stringify({
    node_name: 'edge', bridges: [bridge('cluster', upstream.mqttPort), bridge('spare', await closedPort())] }));
  gateway = await startGateway({ args: ['--config', config] });
  ({ browser, page } = await openPage(pageErrors));
});

after(async () => {
  await browser?.close();
  await gateway?.stop();
  await upstream?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

test('bridges panel: state, address, counts and last error per bridge', async () => {
  await page.goto(`${gateway.url}/#/bridges`);
  await page.getByRole('heading', { name: 'Bridges' }).waitFor(WAIT);
  const cluster = page.locator('#bridges-table tr[data-name="cluster"]');
  const spare = page.locator('#bridges-table tr[data-name="spare"]');
  await cluster.locator('td[data-key="state"]', { hasText: 'connected' }).waitFor(WAIT);
  for (let i = 0; i < 3; ++i) {
    const r = await fetch(`${gateway.url}/api/v1/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ topic: `panel/${i}`, payload: `m${i}`, qos: 1 }) });
    assert.equal(r.status, 200);
  }
  // The panel refreshes itself: wait for the upstream's acknowledgements.
  await cluster.locator('td[data-key="forwarded_out"]', { hasText: '3' }).waitFor(WAIT);
  await spare.locator('td[data-key="last_error"]', { hasText: 'connect' }).waitFor(WAIT);
  assert.equal(await cluster.locator('td[data-key="connack_code"]').textContent(), '0');
  assert.equal(await cluster.locator('td[data-key="address"]').textContent(), `127.0.0.1:${upstream.mqttPort}`);
  assert.match(await cluster.textContent(), /edge-cluster/);
  assert.equal(await spare.locator('td[data-key="connack_code"]').textContent(), '–');
  assert.notEqual(await spare.locator('td[data-key="failures"]').textContent(), '0');
  assert.equal(await page.locator('nav.tabs a[data-view="bridges"]').getAttribute('aria-current'), 'page');
  await page.screenshot({ path: join(ARTIFACTS, 'bridges.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
