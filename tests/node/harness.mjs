// Starts the gateway for a test and stops it: loopback, ephemeral ports,
// bounded waits. MQGATE_BINARY names the binary (ctest sets it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

export const START_TIMEOUT_MS = 15000;

// Resolves `promise` or rejects after `ms` with `what` (text, or a function
// giving it) in the message.
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${typeof what === 'function' ? what() : what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Resolves with the first event `name` on `emitter` whose arguments pass
// `accept`, within `ms`.
export function once(emitter, name, ms, accept = () => true, what = `event '${name}'`) {
  let handler;
  const p = new Promise((resolve) => {
    handler = (...args) => {
      if (!accept(...args)) return;
      emitter.off(name, handler);
      resolve(args.length <= 1 ? args[0] : args);
    };
    emitter.on(name, handler);
  });
  return within(ms, what, p).finally(() => emitter.off(name, handler));
}

export async function startGateway(extraArgs = []) {
  const binary = process.env.MQGATE_BINARY;
  assert.ok(binary, 'MQGATE_BINARY must name the mqgate binary');
  // Under AddressSanitizer freed memory sits in a quarantine (256 MB by
  // default) and would count as RSS in the memory-bound checks.
  const asan = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=16'].filter(Boolean).join(':');
  // A fresh data directory: no state leaks between gateways.
  const dataDir = mkdtempSync(join(tmpdir(), 'mqgate-node-'));
  const child = spawn(binary, ['--bind', '127.0.0.1', '--mqtt-port', '0', '--http-port', '0',
    '--data-dir', dataDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Two I/O threads unless the environment chose (as tests/integration/harness.py):
    // the default is one, and streams and their publishers should also meet across threads.
    env: { MQGATE_THREADS: '2', ...process.env, ASAN_OPTIONS: asan },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  // ports: every listener by kind ("mqtt", "mqtts", "http", "https"), the first of each.
  const gw = { child, stderr: () => stderr, mqttPort: 0, httpPort: 0, ports: {} };
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      for (const line of stdout.split('\n')) {
        const m = /^listening (\w+) (.+):(\d+)$/.exec(line.trim());
        if (m && !(m[1] in gw.ports)) gw.ports[m[1]] = Number(m[3]);
        if (m && m[1] === 'mqtt') gw.mqttPort = Number(m[3]);
        if (m && m[1] === 'http') gw.httpPort = Number(m[3]);
        if (line.trim() === 'ready') resolve();
      }
    });
    child.on('exit', (code, signal) => reject(new Error(`mqgate exited early (${code ?? signal}): ${stderr}`)));
  });
  await within(START_TIMEOUT_MS, 'mqgate start-up', ready);
  assert.ok(gw.mqttPort > 0 && gw.httpPort > 0, `ports parsed from: ${stdout}`);
  gw.wsUrl = `ws://127.0.0.1:${gw.httpPort}/mqtt`;
  gw.httpUrl = `http://127.0.0.1:${gw.httpPort}`;
  gw.rssKiB = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  };
  // AddressSanitizer's allocator (redzones, quarantine, caches) inflates RSS
  // by a factor: memory-bound assertions hold only in uninstrumented builds.
  gw.sanitized = () => /lib(asan|tsan)/.test(readFileSync(`/proc/${child.pid}/maps`, 'utf8'));
  gw.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.kill('SIGTERM');
    const { code, signal } = await within(10000, 'mqgate shutdown', exited);
    assert.equal(signal, null, `mqgate died of ${signal}`);
    assert.equal(code, 0, `mqgate exit code; stderr:\n${stderr}`);
    assert.doesNotMatch(stderr, /Sanitizer|runtime error:/, 'sanitizer report on stderr');
  };
  return gw;
}

// Runs a command to completion (bounded); resolves { code, stdout, stderr }.
export function run(cmd, args, ms = 10000) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return within(ms, `${cmd} ${args.join(' ')}`, done).catch((e) => { child.kill('SIGKILL'); throw e; });
}

// A long-running subprocess (e.g. mosquitto_sub) whose stdout lines arrive as
// 'line' events; killed by stop().
// stdout is a pipe, so the command runs line-buffered under stdbuf.
export function spawnLines(cmd, args) {
  const child = spawn('stdbuf', ['-oL', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffer = '';
  child.lines = [];
  child.stdout.on('data', (d) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      child.lines.push(line);
      child.emit('line', line);
    }
  });
  child.stop = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  return child;
}

// Resolves with the first line of a spawnLines() child (seen or coming)
// matching `re`, within `ms`.
export function waitLine(child, re, ms = 10000) {
  const seen = child.lines.find((l) => re.test(l));
  if (seen !== undefined) return Promise.resolve(seen);
  return once(child, 'line', ms, (l) => re.test(l), () => `a line matching ${re}; got:\n${child.lines.join('\n')}`);
}

// A JSON stream client over `ws`: frames are collected, next() waits for one
// matching a predicate (already received or coming).
export class Frames {
  constructor(ws) {
    this.ws = ws;
    this.all = [];
    this.unread = [];
    this.waiters = [];
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? { binary: data } : JSON.parse(data.toString());
      this.all.push(frame);
      const w = this.waiters.findIndex((x) => x.pred(frame));
      if (w >= 0) {
        const [x] = this.waiters.splice(w, 1);
        x.resolve(frame);
      } else {
        this.unread.push(frame);
      }
    });
  }

  next(pred, ms = 10000, what = 'a frame') {
    const i = this.unread.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0]);
    let entry;
    const p = new Promise((resolve) => {
      entry = { pred, resolve };
      this.waiters.push(entry);
    });
    return within(ms, what, p).finally(() => {
      const k = this.waiters.indexOf(entry);
      if (k >= 0) this.waiters.splice(k, 1);
    });
  }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
}

// A JSON stream (/api/v1/stream) of `gw`, open, its frames collected;
// `sockets` keeps it for the test file's cleanup.
export async function openJsonStream(gw, sockets, ms = 10000) {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.httpPort}/api/v1/stream`);
  sockets.push(ws);
  const frames = new Frames(ws);
  await once(ws, 'open', ms);
  return frames;
}

// What a slow reader of the JSON stream or SSE checks: the numbered messages
// it got arrive in order, and with the counts of the `dropped` notices they
// add up to the `sent` messages. `items` are the JSON objects in arrival
// order; `numberOf` gives a message's number, or undefined for one that is
// not part of the count.
export function assertInOrderAndCounted(items, sent, numberOf) {
  let last = -1;
  let received = 0;
  let dropped = 0;
  let notices = 0;
  for (const f of items) {
    if (f.type === 'dropped') {
      notices += 1;
      dropped += f.count;
    } else if (f.type === 'message' && numberOf(f) !== undefined) {
      const n = numberOf(f);
      assert.ok(n > last, `message ${n} arrived after ${last}`);
      last = n;
      received += 1;
    }
  }
  assert.equal(received + dropped, sent, `received ${received} + dropped ${dropped} (in ${notices} notices)`);
  return { received, dropped, notices };
}

// A mosquitto_sub on `gw`'s MQTT port with `args`, kept in `children` for the
// test file's cleanup; resolves once its SUBACK has come (-d prints it).
export async function mosquittoSub(gw, children, args, ms = 10000) {
  const sub = spawnLines('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), '-d', ...args]);
  children.push(sub);
  await waitLine(sub, /Client .* received SUBACK/, ms);
  return sub;
}

// Debian's chromium, headless, for the browser tests (playwright-core is
// loaded only by the files that use it).
export async function launchChromium(timeout) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    timeout,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
