// REST calls with the credentials the user logged in with. Credentials live
// in sessionStorage: they survive a reload but not the tab.
import { utf8ToBase64 } from './dom.js';

const STORAGE_KEY = 'mqgate.credentials';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export class Api extends EventTarget {
  constructor() {
    super();
    try {
      this.credentials = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    } catch {
      this.credentials = null;
    }
  }

  // {kind: 'basic', user, password} or {kind: 'token', token}; null logs out.
  setCredentials(credentials) {
    this.credentials = credentials;
    if (credentials) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
    else sessionStorage.removeItem(STORAGE_KEY);
    this.dispatchEvent(new Event('credentials'));
  }

  // The secret itself, as the stream's access_token query parameter wants it.
  accessToken() {
    const c = this.credentials;
    if (!c) return null;
    return c.kind === 'token' ? c.token : utf8ToBase64(`${c.user}:${c.password}`);
  }

  authorizationHeader() {
    const c = this.credentials;
    if (!c) return null;
    return c.kind === 'token' ? `Bearer ${c.token}` : `Basic ${utf8ToBase64(`${c.user}:${c.password}`)}`;
  }

  // Resolves to {status, body} (body parsed when JSON); rejects with ApiError
  // on 4xx/5xx and dispatches 'unauthorized' on 401 so the app can ask for a
  // login.
  async request(method, path, body) {
    const headers = { Accept: 'application/json' };
    const used = this.credentials;
    const auth = this.authorizationHeader();
    if (auth) headers.Authorization = auth;
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', `cannot reach the gateway: ${e.message}`);
    }
    const text = await response.text();
    let parsed = text;
    if ((response.headers.get('Content-Type') ?? '').includes('json') && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    // A request still in flight when the user logged in says nothing about
    // the new credentials.
    if (response.status === 401 && used === this.credentials) this.dispatchEvent(new Event('unauthorized'));
    if (!response.ok) {
      const error = parsed?.error ?? {};
      throw new ApiError(response.status, error.code ?? `http_${response.status}`,
        error.message ?? `${method} ${path}: HTTP ${response.status}`, parsed);
    }
    return { status: response.status, body: parsed };
  }

  get(path) { return this.request('GET', path).then((r) => r.body); }
  post(path, body) { return this.request('POST', path, body); }
  delete(path) { return this.request('DELETE', path); }
}

// "a/b c/#" -> "a/b%20c/%23": each topic level its own path segment, as the
// retained routes want.
export function topicPath(topic) {
  return topic.split('/').map(encodeURIComponent).join('/');
}
