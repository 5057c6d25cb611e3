// The dashboard's webhooks panel in headless Chromium: a gateway with two
// webhooks, one to a receiver answering 200 and one to a receiver answering
// 503, and the panel showing each one's counts, last status and error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, startGateway } from './harness.mjs';

const WAIT = { timeout: 15000 };
const ARTIFACTS = process.env.MQGATE_ARTIFACTS ?? join(tmpdir(), 'mqgate-dashboard-artifacts');

let gateway;
let browser;
let page;
let configDir;
const receivers = [];
const pageErrors = [];

// A receiver on 127.0.0.1 answering every POST with `status`.
async function receiver(status) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(status, { 'Content-Length': '0' }); res.end(); });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receivers.push(server);
  return `http://127.0.0.1:${server.address().port}/hook`;
}

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const hook = (name, url) => ({ name, url, events: ['message.publish'], topics: ['panel/#'], timeout_ms: 2000 });
  configDir = await mkdtemp(join(tmpdir(), 'mqgate-e2e-webhooks-'));
  const config = join(configDir, 'mqgate.json');
  await writeFile(config, JSON.stringify({ webhooks: [hook('crm', await receiver(200)), hook('audit', await receiver(503))] }));
  gateway = await startGateway({ args: ['--config', config] });
  ({ browser, page } = await openPage(pageErrors));
});

after(async () => {
  await browser?.close();
  await gateway?.stop();
  for (const server of receivers) server.close();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

test('webhooks panel: counts, pending, last status and error, last success per webhook', async () => {
  for (let i = 0; i < 3; ++i) {
    const r = await fetch(`${gateway.url}/api/v1/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ topic: `panel/${i}`, payload: `m${i}` }) });
    assert.equal(r.status, 200);
  }
  await page.goto(`${gateway.url}/#/webhooks`);
  await page.getByRole('heading', { name: 'Webhooks' }).waitFor(WAIT);
  const crm = page.locator('#webhooks-table tr[data-name="crm"]');
  const audit = page.locator('#webhooks-table tr[data-name="audit"]');
  // The panel refreshes itself: wait for what the receivers made of the three events.
  await crm.locator('td[data-key="delivered"]', { hasText: '3' }).waitFor(WAIT);
  await audit.locator('td[data-key="last_error"]', { hasText: 'HTTP 503' }).waitFor(WAIT);
  assert.equal(await crm.locator('td[data-key="pending"]').textContent(), '0');
  assert.equal(await crm.locator('td[data-key="last_status"]').textContent(), '200');
  assert.notEqual(await crm.locator('td[data-key="last_success"]').textContent(), '–');
  assert.equal(await audit.locator('td[data-key="pending"]').textContent(), '3');  // retried, none delivered
  assert.equal(await audit.locator('td[data-key="delivered"]').textContent(), '0');
  assert.equal(await audit.locator('td[data-key="last_status"]').textContent(), '503');
  assert.equal(await audit.locator('td[data-key="last_success"]').textContent(), '–');
  assert.match(await crm.textContent(), /127\.0\.0\.1:\d+\/hook/);
  assert.equal(await page.locator('nav.tabs a[data-view="webhooks"]').getAttribute('aria-current'), 'page');
  await page.screenshot({ path: join(ARTIFACTS, 'webhooks.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
