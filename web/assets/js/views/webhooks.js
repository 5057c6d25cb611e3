// Webhooks: each configured webhook (GET /api/v1/webhooks) with its counts,
// pending events, last status and error and last success, refreshed while shown.
import { h, formatNumber, formatDateTime } from '../dom.js';
import { mountListView } from './list_view.js';

const COLUMNS = ['Webhook', 'Pending', 'In flight', 'Delivered', 'Failed attempts', 'Expired', 'Overflowed', 'Refused',
  'Last status', 'Last error', 'Last success'];

// The last attempt at a glance: answered 2xx, answered otherwise, or no answer (0).
function statusBadge(status) {
  if (!status) return h('span.badge.off', {}, 'no answer');
  return h(`span.badge.${status >= 200 && status < 300 ? 'ok' : 'warn'}`, {}, String(status));
}

function row(w) {
  const cell = (key, text) => h('td', { dataset: { key } }, text);
  return h('tr', { dataset: { name: w.name } },
    h('td', {}, h('strong', {}, w.name), h('div.muted.small', {}, w.url)),
    cell('pending', formatNumber(w.pending)),
    cell('in_flight', formatNumber(w.in_flight)),
    cell('delivered', formatNumber(w.delivered)),
    cell('failed_attempts', formatNumber(w.failed_attempts)),
    cell('expired', formatNumber(w.expired)),
    cell('overflowed', formatNumber(w.overflowed)),
    cell('refused', formatNumber(w.refused)),
    cell('last_status', w.delivered || w.failed_attempts ? statusBadge(w.last_status) : '–'),  // '–': never tried
    cell('last_error', w.last_error || '–'),
    cell('last_success', formatDateTime(w.last_success)));
}

export function mount(section, { api }) {
  return mountListView(section, api, {
    id: 'webhooks', title: 'Webhooks', path: '/api/v1/webhooks', noun: 'webhook', columns: COLUMNS, row,
    intro: ['Events pushed to HTTP endpoints (the config\'s "webhooks"). ',
      'Events given up are listed at /api/v1/webhooks/{name}/failed.'],
  });
}
