// The dashboard's static files over plain HTTP: every file under web/ is
// served byte for byte with its content type and ETag, revalidation answers
// 304, and no spelling of a path outside the embedded table reaches a file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway } from './harness.mjs';

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
const REQUEST_TIMEOUT_MS = 5000;

let gateway;
before(async () => { gateway = await startGateway(); });
after(async () => { await gateway?.stop(); });

// One request on its own connection, the target sent exactly as given (fetch
// and http.request would resolve "..").
function raw(target, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.httpPort, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer to ${method} ${target}`)); }, REQUEST_TIMEOUT_MS);
    socket.on('connect', () => {
      const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${gateway.httpPort}`, 'Connection: close',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      const split = bytes.indexOf('\r\n\r\n');
      const head = bytes.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(head[0].split(' ')[1]);
      const fields = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        fields[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status, headers: fields, body: bytes.subarray(split + 4) });
    });
  });
}

async function webFiles(dir = WEB_DIR) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await webFiles(path));
    else out.push('/' + relative(WEB_DIR, path).split(sep).join('/'));
  }
  return out;
}

const TYPES = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

test('every file under web/ is served byte for byte with its type, ETag and no-cache', async () => {
  const files = await webFiles();
  assert.ok(files.includes('/index.html') && files.includes('/assets/js/main.js'), files.join(' '));
  const etags = new Set();
  for (const path of files) {
    const r = await raw(path);
    assert.equal(r.status, 200, path);
    assert.deepEqual(r.body, await readFile(join(WEB_DIR, path)), `${path} differs from web/`);
    const ext = path.split('.').pop();
    if (TYPES[ext]) assert.equal(r.headers['content-type'], TYPES[ext], path);
    assert.match(r.headers.etag ?? '', /^"[0-9a-f]{16,}"$/, path);
    assert.equal(r.headers['cache-control'], 'no-cache', path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    etags.add(r.headers.etag);
  }
  assert.equal(etags.size, files.length, 'ETags differ between files');
});

test('GET / is index.html; HEAD has its headers and no body', async () => {
  const root = await raw('/');
  const index = await raw('/index.html');
  assert.equal(root.status, 200);
  assert.equal(root.headers['content-type'], TYPES.html);
  assert.deepEqual(root.body, index.body);
  assert.match(root.body.toString(), /<title>mqgate<\/title>/);

  const head = await raw('/', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(root.body.length));
  assert.equal(head.headers.etag, root.headers.etag);
  assert.equal(head.body.length, 0);
});

test('If-None-Match with the ETag answers 304 without a body; another ETag gets the file', async () => {
  const first = await raw('/assets/app.css');
  const etag = first.headers.etag;
  for (const value of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
    const again = await raw('/assets/app.css', { headers: { 'If-None-Match': value } });
    assert.equal(again.status, 304, value);
    assert.equal(again.body.length, 0, value);
    assert.equal(again.headers.etag, etag, value);
  }
  const stale = await raw('/assets/app.css', { headers: { 'If-None-Match': '"0000000000000000"' } });
  assert.equal(stale.status, 200);
  assert.deepEqual(stale.body, first.body);
});

test('path traversal and other spellings outside the table are 404, never a file', async () => {
  const index = (await raw('/index.html')).body.toString();
  const attempts = [
    '/../etc/passwd', '/../../../../etc/passwd', '/%2e%2e/etc/passwd', '/%2E%2E/%2E%2E/etc/passwd',
    '/..%2fetc%2fpasswd', '/..%2F..%2Fetc%2Fpasswd', '/%252e%252e/etc/passwd', '/%252e%252e%252fetc%252fpasswd',
    '/..\\..\\etc\\passwd', '/assets\\..\\index.html', '/%5c..%5c..%5cetc%5cpasswd', '/etc/passwd', '//etc/passwd',
    '/assets/../index.html', '/assets/js/../../index.html', '/./index.html', '/assets/./app.css', '/%2findex.html',
    '/web/index.html', '/index.html/', '/INDEX.HTML', '/index.html%00', '/index.html%00.css', '/assets/',
    '/assets', '/.git/config', '/CMakeLists.txt', '/proc/self/environ',
  ];
  for (const target of attempts) {
    const r = await raw(target);
    assert.equal(r.status, 404, target);
    const body = r.body.toString();
    assert.doesNotMatch(body, /root:|\[core\]|cmake_minimum_required|PATH=/, target);
    assert.notEqual(body, index, target);
  }
  // An absolute-form target is refused before any lookup.
  const absolute = await raw('http://127.0.0.1/etc/passwd');
  assert.ok(absolute.status >= 400 && absolute.status < 500, String(absolute.status));
  assert.doesNotMatch(absolute.body.toString(), /root:/);
});

test('unknown dashboard paths get the HTML 404 page, unknown API paths the JSON error', async () => {
  const page = await raw('/no/such/page');
  assert.equal(page.status, 404);
  assert.equal(page.headers['content-type'], TYPES.html);
  assert.match(page.body.toString(), /Not found/);

  const api = await raw('/api/v1/no-such-thing');
  assert.equal(api.status, 404);
  assert.equal(api.headers['content-type'], 'application/json');
  assert.equal(JSON.parse(api.body).error.code, 'not_found');
});

test('only GET and HEAD: other methods get 405 with Allow', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const r = await raw('/index.html', { method, headers: { 'Content-Length': '0' } });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD', method);
  }
});
