// The dashboard with authentication on, against the real gateway: a password
// file made with `mqgate passwd`, an API token and HTTP roles in the config.
// The page must ask for a login on the gateway's 401, send the credentials to
// REST (Authorization header) and to the stream (access_token), and every view
// must then work within the role the gateway grants; a refusal (403) is shown,
// not swallowed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { gatewayBinary, startGateway } from './harness.mjs';
import { mosquittoSub, mosquittoPub } from './clients.mjs';
import { sendRequest } from './requests_form.mjs';

const WAIT = { timeout: 15000 };
const ARTIFACTS = process.env.MQGATE_ARTIFACTS ?? join(tmpdir(), 'mqgate-dashboard-artifacts');
const NODE = 'edge-dash-1';
const ADMIN_PASSWORD = 'correct horse battery';
const VIEWER_TOKEN = 'viewer-t0k3n-5f1c';

let dir;
let gateway;
let browser;
const cleanup = [];

// `mqgate passwd FILE USER` with the password on stdin, as an operator would.
async function passwd(file, user, password) {
  const child = spawn(gatewayBinary(), ['passwd', file, user], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdin.end(`${password}\n`);
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT.timeout);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  assert.equal(code, 0, `mqgate passwd failed: ${stderr}`);
}

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'mqgate-login-'));
  const passwordFile = join(dir, 'passwd');
  await passwd(passwordFile, 'admin', ADMIN_PASSWORD);
  const config = join(dir, 'mqgate.json');
  await writeFile(config, JSON.stringify({
    node_name: NODE,
    auth: {
      allow_anonymous: true,  // MQTT devices (mosquitto_sub/pub here) stay anonymous; HTTP needs a login
      password_file: passwordFile,
      user_roles: { admin: 'admin' },
      tokens: [{ token: VIEWER_TOKEN, name: 'viewer', role: 'subscribe' }],
    },
  }));
  gateway = await startGateway({ args: ['--config', config] });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
});

after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
  await browser?.close();
  await gateway?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sub(options) {
  const cli = mosquittoSub(gateway.mqttPort, options);
  cleanup.push(() => cli.kill('SIGKILL'));
  return cli;
}

// What the gateway itself says about the login, without the browser.
async function status(path, authorization) {
  const r = await fetch(`${gateway.url}${path}`, { headers: authorization ? { Authorization: authorization } : {} });
  return r.status;
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  cleanup.push(() => context.close());
  const page = await context.newPage();
  const streamUrls = [];
  page.on('websocket', (ws) => streamUrls.push(ws.url()));
  return { page, streamUrls };
}

test('the gateway really wants credentials here', async () => {
  assert.equal(await status('/api/v1/stats'), 401);
  assert.equal(await status('/api/v1/stats', `Bearer ${VIEWER_TOKEN}`), 200);
});

test('user login: wrong password refused, right one opens every view; the stream, publish and kick work as admin', async () => {
  const { page, streamUrls } = await newPage();
  const listener = sub({ id: 'login-listener', topics: ['login/#'] });

  await page.goto(`${gateway.url}/#/clients`);
  const dialog = page.getByRole('dialog', { name: 'Sign in to mqgate' });
  await dialog.waitFor(WAIT);
  await page.screenshot({ path: join(ARTIFACTS, 'login.png') });

  await dialog.getByLabel('User', { exact: true }).fill('admin');
  await dialog.getByLabel('Password', { exact: true }).fill('not the password');
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.getByText('These credentials were refused.').waitFor(WAIT);

  await dialog.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.waitFor({ state: 'hidden', ...WAIT });
  await page.locator('#conn-indicator[data-state="open"]').waitFor(WAIT);
  await page.locator('#node-name', { hasText: NODE }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Log out' }).waitFor(WAIT);
  const basic = Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');
  assert.ok(streamUrls.some((u) => new URL(u).searchParams.get('access_token') === basic), streamUrls.join(' '));

  // Clients: the anonymous MQTT client is listed as connected.
  await page.locator('tr[data-clientid="login-listener"][data-connected="true"]').waitFor(WAIT);

  // Live messages come through the authenticated stream.
  await page.goto(`${gateway.url}/#/live`);
  await page.getByLabel('Topic filter').fill('login/live/#');
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.locator('.chip', { hasText: 'login/live/#' }).waitFor(WAIT);
  await mosquittoPub(gateway.mqttPort, { topic: 'login/live/a', payload: 'through the stream' });
  await page.locator('li.message[data-topic="login/live/a"]', { hasText: 'through the stream' }).waitFor(WAIT);

  // Publish as admin reaches the MQTT subscriber.
  await page.goto(`${gateway.url}/#/publish`);
  await page.getByLabel('Topic', { exact: true }).fill('login/form');
  await page.getByLabel('Payload').fill('signed in');
  await page.getByRole('button', { name: 'Publish' }).click();
  assert.equal(await listener.waitForLine(/^login\/form /), 'login/form signed in');
  await page.locator('.publish-result .result-ok', { hasText: '200' }).waitFor(WAIT);

  // A request to a device passes authentication: no device listens, which is the answer.
  await page.goto(`${gateway.url}/#/requests`);
  const requests = await sendRequest(page, { Topic: 'nodevice/req', 'Response topic': 'nodevice/res' });
  await requests.locator('.result-error[data-status="no_matching_subscribers"]', { hasText: '404' }).waitFor(WAIT);

  // Kick (admin only) disconnects the MQTT client.
  await page.goto(`${gateway.url}/#/clients/login-listener`);
  const detail = page.getByRole('complementary', { name: 'Client detail' });
  await detail.getByRole('heading', { name: 'login-listener' }).waitFor(WAIT);
  await detail.getByRole('button', { name: 'Kick' }).click();
  await detail.getByRole('button', { name: 'Confirm kick' }).click();
  await listener.exit();
  await page.locator('tr[data-clientid="login-listener"][data-connected="false"]').waitFor(WAIT);
  await page.screenshot({ path: join(ARTIFACTS, 'login-admin.png') });

  // The tab keeps its login over a reload; logging out asks again.
  await page.reload();
  await page.locator('#conn-indicator[data-state="open"]').waitFor(WAIT);
  assert.equal(await dialog.isVisible(), false);
  await page.getByRole('button', { name: 'Log out' }).click();
  await dialog.waitFor(WAIT);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('mqgate.credentials')), null);
});

test('token login with the subscribe role: views and stream work, publish and requests are refused with the 403 shown', async () => {
  const { page, streamUrls } = await newPage();
  await page.goto(`${gateway.url}/`);
  const dialog = page.getByRole('dialog', { name: 'Sign in to mqgate' });
  await dialog.waitFor(WAIT);
  await dialog.getByRole('radio', { name: 'Token' }).check();
  await dialog.getByRole('textbox', { name: 'Token' }).fill('not-a-token');
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.getByText('These credentials were refused.').waitFor(WAIT);
  await dialog.getByRole('textbox', { name: 'Token' }).fill(VIEWER_TOKEN);
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.waitFor({ state: 'hidden', ...WAIT });
  await page.locator('#conn-indicator[data-state="open"]').waitFor(WAIT);
  assert.ok(streamUrls.some((u) => new URL(u).searchParams.get('access_token') === VIEWER_TOKEN), streamUrls.join(' '));

  // Events arrive live over the token's stream.
  await page.goto(`${gateway.url}/#/events`);
  const watcher = sub({ id: 'token-watcher', topics: ['token/#'] });
  await page.locator('li.event[data-event="client.connected"]', { hasText: 'token-watcher' }).waitFor(WAIT);
  await watcher.kill('SIGKILL');

  await page.goto(`${gateway.url}/#/publish`);
  await page.getByLabel('Topic', { exact: true }).fill('token/form');
  await page.getByLabel('Payload').fill('not allowed');
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.locator('.publish-result .result-error', { hasText: '403' }).waitFor(WAIT);
  // Still signed in: a 403 is a refusal of this action, not of the login.
  assert.equal(await dialog.isVisible(), false);
  // A request to a device needs the publish role too.
  await page.goto(`${gateway.url}/#/requests`);
  const requests = await sendRequest(page, { Topic: 'token/dev/req', 'Response topic': 'token/dev/res' });
  await requests.locator('.result-error[data-status="forbidden"]', { hasText: '403' }).waitFor(WAIT);
  assert.equal(await dialog.isVisible(), false);
  await page.screenshot({ path: join(ARTIFACTS, 'login-token-403.png') });
});
