// The dashboard shell: header, hash routing, stats polling, login and the
// shared stream. Each view lives in views/ and is mounted once.
import { Api } from './api.js';
import { Stream } from './stream.js';
import { h, formatNumber } from './dom.js';
import * as overview from './views/overview.js';
import * as clients from './views/clients.js';
import * as events from './views/events.js';
import * as topics from './views/topics.js';
import * as live from './views/live.js';
import * as publish from './views/publish.js';
import * as requests from './views/requests.js';
import * as commands from './views/commands.js';
import * as webhooks from './views/webhooks.js';
import * as bridges from './views/bridges.js';

const STATS_PERIOD_MS = 1000;
const VIEWS = { overview, clients, events, topics, live, publish, requests, commands, webhooks, bridges };

const api = new Api();
const stream = new Stream(api);
const bus = new EventTarget();  // 'stats': {stats, rateIn, rateOut}

function toast(message, kind = 'info') {
  const el = h(`div.toast.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, message);
  document.getElementById('toasts').append(el);
  setTimeout(() => el.remove(), 5000);
}

const ctx = { api, stream, bus, toast, navigate: (hash) => { location.hash = hash; } };

// --- stats: header counters and the overview's chart ----------------------
let previous = null;
async function pollStats() {
  try {
    const stats = await api.get('/api/v1/stats');
    let rateIn = null;
    let rateOut = null;
    if (previous && stats.time_ms > previous.time_ms) {
      const dt = (stats.time_ms - previous.time_ms) / 1000;
      rateIn = Math.max(0, (stats.messages_received - previous.messages_received) / dt);
      rateOut = Math.max(0, (stats.messages_sent - previous.messages_sent) / dt);
    }
    previous = stats;
    document.getElementById('node-name').textContent = stats.node ?? location.host;
    document.getElementById('hdr-connections').textContent = formatNumber(stats.connections);
    document.getElementById('hdr-in').textContent = formatNumber(rateIn);
    document.getElementById('hdr-out').textContent = formatNumber(rateOut);
    renderOpenAccess(stats.open_listeners ?? []);
    bus.dispatchEvent(new CustomEvent('stats', { detail: { stats, rateIn, rateOut } }));
  } catch {
    // Shown by the connection indicator and the login dialog; try again.
  }
  setTimeout(pollStats, STATS_PERIOD_MS);
}

// --- open access: listeners beyond loopback that let anyone in ------------
const OPEN_MEANS = { anonymous_mqtt: 'anonymous MQTT', http_api: 'HTTP API without credentials' };
function renderOpenAccess(listeners) {
  const badge = document.getElementById('open-access');
  badge.hidden = listeners.length === 0;
  badge.title = listeners
    .map((l) => `${l.kind} ${l.address}: ${l.open.map((o) => OPEN_MEANS[o] ?? o).join(', ')}`)
    .join('\n');
}

// --- connection indicator ---------------------------------------------------
const indicator = document.getElementById('conn-indicator');
let countdown = null;
function renderIndicator() {
  const state = stream.state;
  indicator.dataset.state = state;
  const text = indicator.querySelector('.conn-text');
  clearInterval(countdown);
  const reconnects = stream.reconnects ? ` · reconnected ${stream.reconnects}×` : '';
  if (state === 'open') {
    text.textContent = `Live${reconnects}`;
  } else if (state === 'connecting') {
    text.textContent = 'Connecting…';
  } else {
    const label = state === 'offline' ? 'Offline' : 'Reconnecting';
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((stream.retryAt - Date.now()) / 1000));
      text.textContent = seconds > 0 ? `${label} · retry in ${seconds}s` : `${label}…`;
    };
    tick();
    countdown = setInterval(tick, 1000);
  }
  indicator.title = stream.lastClose ? `Last close: code ${stream.lastClose.code} ${stream.lastClose.reason}` : '';
}
stream.addEventListener('state', renderIndicator);
stream.addEventListener('reconnected', () => toast('Live stream reconnected', 'success'));
stream.addEventListener('state', (e) => {
  if (e.detail === 'reconnecting' && stream.attempt === 1) toast('Live stream dropped; reconnecting…', 'warning');
});

// --- login ------------------------------------------------------------------
const dialog = document.getElementById('login');
const form = document.getElementById('login-form');
const logout = document.getElementById('logout');

function showLogin(message = '') {
  document.getElementById('login-error').textContent = message;
  if (!dialog.open) dialog.showModal();
}
api.addEventListener('unauthorized', () =>
  showLogin(api.credentials ? 'These credentials were refused. Try again.' : ''));
api.addEventListener('credentials', () => { logout.hidden = !api.credentials; });
logout.hidden = !api.credentials;
logout.addEventListener('click', () => {
  api.setCredentials(null);
  location.reload();
});

form.addEventListener('change', () => {
  const token = form.elements.kind.value === 'token';
  form.querySelector('.login-basic').hidden = token;
  form.querySelector('.login-token').hidden = !token;
});
dialog.addEventListener('cancel', (e) => e.preventDefault());  // nothing works without a login
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = form.elements;
  api.setCredentials(f.kind.value === 'token'
    ? { kind: 'token', token: f.token.value.trim() }
    : { kind: 'basic', user: f.user.value, password: f.password.value });
  try {
    await api.get('/api/v1/stats');
  } catch (err) {
    document.getElementById('login-error').textContent =
      err.status === 401 ? 'These credentials were refused.' : err.message;
    return;
  }
  dialog.close();
  stream.restart();
  route();
});

// --- views and routing -------------------------------------------------------
const mounted = {};
let current = null;

function route() {
  const [name = 'overview', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const view = VIEWS[name] ? name : 'overview';
  for (const link of document.querySelectorAll('nav.tabs a')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (current && current !== view) {
    mounted[current].hide?.();
    document.getElementById(`view-${current}`).hidden = true;
  }
  const section = document.getElementById(`view-${view}`);
  mounted[view] ??= VIEWS[view].mount(section, ctx);
  section.hidden = false;
  current = view;
  mounted[view].show?.(rest.map(decodeURIComponent));
  document.title = `${section.querySelector('h1')?.textContent ?? view} · mqgate`;
}

window.addEventListener('hashchange', route);
stream.connect();
stream.enableEvents(['*']);
renderIndicator();
route();
pollStats();
