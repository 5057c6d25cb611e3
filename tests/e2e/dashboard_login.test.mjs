// The dashboard's login when the API answers 401. Authentication itself is
// issue 5; here the browser's own routing plays a gateway that wants
// "admin:secret", so what is checked is the page: it asks, keeps the
// credentials for the tab, sends them as a header to REST and as
// access_token to the stream. Accepted requests reach the real gateway
// without the credentials (it has none configured), and the stream is
// answered here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startGateway } from './harness.mjs';

const WAIT = { timeout: 15000 };
const ARTIFACTS = process.env.MQGATE_ARTIFACTS ?? join(tmpdir(), 'mqgate-dashboard-artifacts');
const BASIC = Buffer.from('admin:secret').toString('base64');

// Passes an accepted request on to the gateway without its credentials.
function forward(route) {
  const { authorization, ...headers } = route.request().headers();
  return route.continue({ headers });
}

// A stand-in for the stream: acks every op that has an id.
function fakeStream(ws) {
  ws.onMessage((text) => {
    const op = JSON.parse(text);
    if (op.id !== undefined) ws.send(JSON.stringify({ type: 'ack', id: op.id, op: op.op }));
  });
}

let gateway;
let browser;
before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  gateway = await startGateway();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
});
after(async () => {
  await browser?.close();
  await gateway?.stop();
});

test('a 401 brings up the login form; the credentials go to REST as a header and to the stream as access_token', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const authHeaders = [];
  const streamUrls = [];
  await page.route('**/api/v1/**', (route) => {
    const auth = route.request().headers().authorization;
    authHeaders.push(auth ?? null);
    if (auth === `Basic ${BASIC}`) return forward(route);
    return route.fulfill({ status: 401, contentType: 'application/json',
      headers: { 'WWW-Authenticate': 'Basic realm="mqgate"' },
      body: JSON.stringify({ error: { code: 'unauthorized', message: 'credentials required' } }) });
  });
  await page.routeWebSocket(/\/api\/v1\/stream/, (ws) => {
    streamUrls.push(ws.url());
    if (new URL(ws.url()).searchParams.get('access_token') === BASIC) fakeStream(ws);
    else ws.close({ code: 1008, reason: 'unauthorized' });
  });

  await page.goto(gateway.url + '/#/clients');
  const dialog = page.getByRole('dialog', { name: 'Sign in to mqgate' });
  await dialog.waitFor(WAIT);
  await page.screenshot({ path: join(ARTIFACTS, 'login.png') });

  await dialog.getByLabel('User', { exact: true }).fill('admin');
  await dialog.getByLabel('Password', { exact: true }).fill('wrong');
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.getByText('These credentials were refused.').waitFor(WAIT);

  await dialog.getByLabel('Password', { exact: true }).fill('secret');
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.waitFor({ state: 'hidden', ...WAIT });
  await page.locator('#conn-indicator[data-state="open"]').waitFor(WAIT);
  await page.getByRole('heading', { name: 'Clients' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Log out' }).waitFor(WAIT);

  assert.ok(authHeaders.includes(`Basic ${BASIC}`));
  assert.ok(streamUrls.some((u) => new URL(u).searchParams.get('access_token') === BASIC), streamUrls.join(' '));
  const stored = await page.evaluate(() => sessionStorage.getItem('mqgate.credentials'));
  assert.deepEqual(JSON.parse(stored), { kind: 'basic', user: 'admin', password: 'secret' });

  // A reload keeps the tab's login: no dialog, REST answers.
  await page.reload();
  await page.locator('#conn-indicator[data-state="open"]').waitFor(WAIT);
  assert.equal(await dialog.isVisible(), false);
  await context.close();
});

test('a token login sends Authorization: Bearer and the token as access_token', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const streamUrls = [];
  let bearerSeen = false;
  await page.route('**/api/v1/**', (route) => {
    const auth = route.request().headers().authorization;
    if (auth === 'Bearer t0k3n-123') {
      bearerSeen = true;
      return forward(route);
    }
    return route.fulfill({ status: 401, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unauthorized', message: 'token required' } }) });
  });
  await page.routeWebSocket(/\/api\/v1\/stream/, (ws) => {
    streamUrls.push(ws.url());
    if (new URL(ws.url()).searchParams.get('access_token') === 't0k3n-123') fakeStream(ws);
    else ws.close({ code: 1008, reason: 'unauthorized' });
  });
  await page.goto(gateway.url + '/');
  const dialog = page.getByRole('dialog', { name: 'Sign in to mqgate' });
  await dialog.waitFor(WAIT);
  await dialog.getByRole('radio', { name: 'Token' }).check();
  await dialog.getByRole('textbox', { name: 'Token' }).fill('t0k3n-123');
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.waitFor({ state: 'hidden', ...WAIT });
  await page.locator('#conn-indicator[data-state="open"]').waitFor(WAIT);
  assert.ok(bearerSeen);
  assert.ok(streamUrls.some((u) => new URL(u).searchParams.get('access_token') === 't0k3n-123'));
  await context.close();
});
