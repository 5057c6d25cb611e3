// The JSON stream's WebSocket itself (/api/v1/stream over ws://, which runs on
// the TCP path with mqgate's own framing once Beast has answered the
// upgrade): pings both ways, fragmented and oversized messages, the close
// handshake from either side, and the idle timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startGateway, once, within, Frames } from './harness.mjs';

const WAIT = 10000;
const IDLE_S = 2;  // http.idle_timeout: a ping after 1 s without a frame, the close after 2 s
const MAX_MESSAGE = 1024;
let gw;
const sockets = [];

function configFile() {
  const dir = mkdtempSync(join(tmpdir(), 'mqgate-json-stream-ws-'));
  const config = join(dir, 'mqgate.json');
  writeFileSync(config, JSON.stringify({ http: { idle_timeout: IDLE_S, ws_max_message_size: MAX_MESSAGE } }));
  return config;
}

before(async () => { gw = await startGateway(['--config', configFile()]); });
after(async () => {
  for (const ws of sockets) ws.terminate();
  await gw.stop();
});

async function open(g = gw) {
  const ws = new WebSocket(`ws://127.0.0.1:${g.httpPort}/api/v1/stream`);
  sockets.push(ws);
  const frames = new Frames(ws);
  await once(ws, 'open', WAIT);
  return { ws, frames };
}

test('a ping from the client is answered with a pong carrying its data', async () => {
  const { ws } = await open();
  ws.ping('are you there');
  const data = await once(ws, 'pong', WAIT);
  assert.equal(data.toString(), 'are you there');
});

test('an op sent in three fragments is read as one message', async () => {
  const { ws, frames } = await open();
  ws.send('{"op":"pi', { fin: false });
  ws.send('ng","id":"fr', { fin: false });
  ws.send('agmented"}', { fin: true });
  assert.deepEqual(await frames.next((f) => f.id === 'fragmented', WAIT, 'the pong op'),
    { type: 'pong', id: 'fragmented' });
});

test('a text message that is not UTF-8 is answered invalid_json, and the stream stays open', async () => {
  const { ws, frames } = await open();
  ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
  const bad = await frames.next((f) => f.type === 'error', WAIT, 'the error frame');
  assert.equal(bad.error.code, 'invalid_json');
  frames.send({ op: 'ping', id: 'after' });
  assert.deepEqual(await frames.next((f) => f.id === 'after', WAIT, 'the pong op'), { type: 'pong', id: 'after' });
});

test('a message over http.ws_max_message_size closes the stream with 1009, in one frame or in fragments', async () => {
  const { ws } = await open();
  const closed = once(ws, 'close', WAIT);
  ws.send(JSON.stringify({ op: 'ping', id: 'big', pad: 'x'.repeat(MAX_MESSAGE) }));
  const [code] = await closed;
  assert.equal(code, 1009);

  const fragmented = await open();
  const closedToo = once(fragmented.ws, 'close', WAIT);
  for (let i = 0; i < 4; i++) fragmented.ws.send('y'.repeat(MAX_MESSAGE / 2), { fin: false });
  fragmented.ws.send('y', { fin: true });
  const [codeToo] = await closedToo;
  assert.equal(codeToo, 1009);
});

test('a close from the client is answered with its code, then the connection ends', async () => {
  const { ws, frames } = await open();
  frames.send({ op: 'ping', id: 'before' });
  await frames.next((f) => f.id === 'before', WAIT, 'the pong op');
  const closed = once(ws, 'close', WAIT);
  ws.close(4000, 'done here');
  const [code] = await closed;
  assert.equal(code, 4000);
});

test('an idle stream is pinged after half of http.idle_timeout and stays open while the client answers', async () => {
  const { ws, frames } = await open();
  const opened = Date.now();
  // ws answers each ping with a pong by itself: three pings, a second apart
  // or more, take the stream past the timeout.
  for (const n of ['first', 'second', 'third']) await once(ws, 'ping', WAIT, () => true, `the ${n} ping`);
  assert.ok(Date.now() - opened > IDLE_S * 1000, 'the pings went on past the idle timeout');
  assert.equal(ws.readyState, WebSocket.OPEN);
  frames.send({ op: 'ping', id: 'still' });
  assert.deepEqual(await frames.next((f) => f.id === 'still', WAIT, 'the pong op'), { type: 'pong', id: 'still' });
});

test('a client that answers nothing is pinged, then closed after http.idle_timeout', async () => {
  // A bare socket: the handshake by hand, then silence (no pong).
  const socket = net.connect(gw.httpPort, '127.0.0.1');
  await once(socket, 'connect', WAIT);
  const key = crypto.randomBytes(16).toString('base64');
  socket.write(`GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let bytes = Buffer.alloc(0);
  socket.on('data', (d) => { bytes = Buffer.concat([bytes, d]); });
  const opened = Date.now();
  await within(WAIT, 'the server closing the idle connection', new Promise((resolve) => socket.once('close', resolve)));
  const text = bytes.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 101 /);
  const frames = bytes.subarray(text.indexOf('\r\n\r\n') + 4);
  assert.deepEqual([...frames.subarray(0, 2)], [0x89, 0x00], 'an empty ping first');
  assert.ok(Date.now() - opened >= IDLE_S * 1000 - 300, `closed after ${Date.now() - opened} ms`);
});

test('at shutdown an open stream is closed with 1001 (going away)', async () => {
  const other = await startGateway(['--config', configFile()]);
  try {
    const { ws } = await open(other);
    const closed = once(ws, 'close', WAIT);
    await other.stop();
    const [code] = await closed;
    assert.equal(code, 1001);
  } finally {
    await other.stop();
  }
});
