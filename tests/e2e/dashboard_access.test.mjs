// The header's "Open access" badge: shown while a listener beyond loopback
// lets anyone in (/api/v1/stats open_listeners), naming each in its tooltip;
// absent on loopback. The open gateway binds 0.0.0.0, the browser still
// talks to 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startGateway } from './harness.mjs';

const WAIT = { timeout: 15000 };
const ARTIFACTS = process.env.MQGATE_ARTIFACTS ?? join(tmpdir(), 'mqgate-dashboard-artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let open;
let loopback;
let browser;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  open = await startGateway({ bind: '0.0.0.0' });
  loopback = await startGateway();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await open?.stop();
  await loopback?.stop();
});

async function dashboard(gateway) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(gateway.url + '/');
  // The first stats poll has landed once the node name replaces the placeholder.
  await page.waitForFunction(() => document.getElementById('node-name').textContent !== '…', null, WAIT);
  return page;
}

test('bound to 0.0.0.0 without credentials: the header shows open access and names the listeners', async () => {
  const page = await dashboard(open);
  const badge = page.locator('#open-access');
  await badge.waitFor({ state: 'visible', ...WAIT });
  assert.match(await badge.textContent(), /Open access/);
  const title = await badge.getAttribute('title');
  assert.match(title, new RegExp(`mqtt 0\\.0\\.0\\.0:${open.mqttPort}: anonymous MQTT`));
  assert.match(title, new RegExp(`http 0\\.0\\.0\\.0:${open.httpPort}: HTTP API without credentials, anonymous MQTT`));
  await page.screenshot({ path: join(ARTIFACTS, 'open-access.png') });
  await page.close();
});

test('on loopback: no open-access badge', async () => {
  const page = await dashboard(loopback);
  assert.equal(await page.locator('#open-access').isVisible(), false);
  await page.close();
});
