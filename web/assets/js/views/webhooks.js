// Webhooks: each configured webhook (GET /api/v1/webhooks) with its counts,
// pending events, last status and error and last success, refreshed while shown.
import { h, replaceChildren, formatNumber, formatDateTime, refreshWhileShown } from '../dom.js';

const REFRESH_MS = 2000;

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
  const summary = h('p.muted.small', { 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table.data', { id: 'webhooks-table' },
    h('caption.visually-hidden', {}, 'Webhooks'),
    h('thead', {}, h('tr', {}, COLUMNS.map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  section.append(
    h('div.view-head', {}, h('h1', { id: 'h-webhooks' }, 'Webhooks'),
      h('div.toolbar', {}, h('button.ghost', { type: 'button', onclick: () => refresh() }, 'Refresh'))),
    h('p.muted.small', {}, 'Events pushed to HTTP endpoints (the config\'s "webhooks"). ',
      'Events given up are listed at /api/v1/webhooks/{name}/failed.'),
    h('div.card.table-wrap', {}, summary, table));

  async function refresh() {
    try {
      const { data } = await api.get('/api/v1/webhooks');
      summary.textContent = data.length ? `${data.length} webhook${data.length === 1 ? '' : 's'}` : 'No webhooks configured.';
      replaceChildren(tbody, data.map(row));
    } catch (e) {
      summary.textContent = `Cannot load webhooks: ${e.message}`;
    }
  }

  return refreshWhileShown(refresh, REFRESH_MS);
}
