// A view listing what a GET route returns ({data: [...]}) as a table with one
// row per item, refreshed every `refreshMs` while shown (webhooks, bridges).
import { h, replaceChildren, refreshWhileShown } from '../dom.js';

export function mountListView(section, api, { id, title, intro, columns, path, row, noun, refreshMs = 2000 }) {
  const summary = h('p.muted.small', { 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table.data', { id: `${id}-table` },
    h('caption.visually-hidden', {}, title),
    h('thead', {}, h('tr', {}, columns.map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  section.append(
    h('div.view-head', {}, h('h1', { id: `h-${id}` }, title),
      h('div.toolbar', {}, h('button.ghost', { type: 'button', onclick: () => refresh() }, 'Refresh'))),
    h('p.muted.small', {}, ...intro),
    h('div.card.table-wrap', {}, summary, table));

  async function refresh() {
    try {
      const { data } = await api.get(path);
      summary.textContent = data.length ? `${data.length} ${noun}${data.length === 1 ? '' : 's'}` : `No ${noun}s configured.`;
      replaceChildren(tbody, data.map(row));
    } catch (e) {
      summary.textContent = `Cannot load ${noun}s: ${e.message}`;
    }
  }

  return refreshWhileShown(refresh, refreshMs);
}
