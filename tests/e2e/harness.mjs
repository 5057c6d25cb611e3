// Starts the gateway binary (MQGATE_BINARY) on loopback (or `bind`: traffic
// still goes to 127.0.0.1) with ephemeral ports
// and learns the ports from its "listening <kind> <addr>:<port>" lines, then
// waits for "ready". Every wait is bounded.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 10000;

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Debian's chromium, headless, and a desktop-sized page whose script errors
// are pushed to `errors`. HTTP errors a test causes on purpose (404 while
// waiting) are logged by Chromium as console errors too; those are not script
// errors.
export async function openPage(errors) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  return { browser, page };
}

export function gatewayBinary() {
  const binary = process.env.MQGATE_BINARY;
  if (!binary) throw new Error('MQGATE_BINARY is not set (ctest sets it to the built mqgate)');
  return binary;
}

// Ports default to 0 (any free one); a restart passes the previous ones.
export async function startGateway({ args = [], mqttPort = 0, httpPort = 0, bind = '127.0.0.1' } = {}) {
  // A fresh data directory: no state leaks between gateways.
  const dataDir = mkdtempSync(join(tmpdir(), 'mqgate-e2e-'));
  const child = spawn(gatewayBinary(),
    ['--bind', bind, '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data-dir', dataDir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const lines = createInterface({ input: child.stdout });
  const ports = {};

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway not ready within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before ready:\n${output.join('\n')}`));
    });
    lines.on('line', (line) => {
      output.push(line);
      const m = /^listening (\w+) \S+:(\d+)$/.exec(line);
      if (m) ports[m[1]] ??= Number(m[2]);
      if (line === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  if (!ports.http || !ports.mqtt) throw new Error(`gateway did not announce mqtt and http ports:\n${output.join('\n')}`);

  return {
    mqttPort: ports.mqtt,
    httpPort: ports.http,
    url: `http://127.0.0.1:${ports.http}`,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
