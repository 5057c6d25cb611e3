// Bridges: each bridge to an upstream broker (GET /api/v1/bridges) with its
// state, address in use, last error and CONNACK code, and counts.
import { h, formatNumber } from '../dom.js';
import { mountListView } from './list_view.js';

const COLUMNS = ['Bridge', 'State', 'Address', 'Forwarded out', 'Forwarded in', 'Queued', 'Dropped', 'Failures',
  'CONNACK', 'Last error'];

const STATE_BADGE = { connected: 'ok', connecting: 'info', backing_off: 'warn', stopped: 'off' };

function stateBadge(b) {
  const text = b.refused ? 'refused' : b.state.replace('_', ' ');
  return h(`span.badge.${b.refused ? 'warn' : STATE_BADGE[b.state] ?? 'off'}`, {}, text);
}

function row(b) {
  const cell = (key, text) => h('td', { dataset: { key } }, text);
  return h('tr', { dataset: { name: b.name } },
    h('td', {}, h('strong', {}, b.name), h('div.muted.small', {}, `${b.client_id}${b.tls ? ' · TLS' : ''}`)),
    cell('state', stateBadge(b)),
    cell('address', b.address || '–'),
    cell('forwarded_out', formatNumber(b.forwarded_out)),
    cell('forwarded_in', formatNumber(b.forwarded_in)),
    cell('queued', formatNumber(b.queued)),
    cell('dropped', formatNumber(b.dropped)),
    cell('failures', formatNumber(b.failures)),
    cell('connack_code', b.connack_code === null ? '–' : String(b.connack_code)),
    cell('last_error', b.last_error || '–'));
}

export function mount(section, { api }) {
  return mountListView(section, api, {
    id: 'bridges', title: 'Bridges', path: '/api/v1/bridges', noun: 'bridge', columns: COLUMNS, row,
    intro: ['Connections to upstream MQTT brokers (the config\'s "bridges"): what crossed each way, ',
      'what waits to go upstream, and why the last connection failed.'],
  });
}
