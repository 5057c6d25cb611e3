// Clients: every known session with its connection status, a filter, and a
// detail panel (subscriptions, queue figures, will, kick).
import { h, replaceChildren, formatNumber, formatDateTime, throttle } from '../dom.js';

const REFRESH_MS = 5000;

export function mount(section, { api, stream, toast, navigate }) {
  let clients = [];
  let selected = null;  // clientid shown in the detail panel
  // The client whose kick awaits confirmation. Kept outside the DOM because the
  // detail panel is re-rendered on every event and every refresh tick; the
  // question must survive those until the user answers it.
  let confirmingKick = null;
  let visible = false;
  let timer = null;

  const filter = h('input', { type: 'search', id: 'client-filter', placeholder: 'client id, user or address',
    'aria-controls': 'clients-table' });
  const showDisconnected = h('input', { type: 'checkbox', id: 'show-disconnected', checked: true });
  const summary = h('p.muted.small', { 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table.data', { id: 'clients-table' },
    h('caption.visually-hidden', {}, 'Clients'),
    h('thead', {}, h('tr', {},
      ['Status', 'Client ID', 'User', 'Address', 'Protocol', 'Subs', 'In flight', 'Queued', 'Dropped', 'Since']
        .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  const detail = h('aside.card.client-detail', { 'aria-label': 'Client detail', hidden: true });

  section.append(
    h('div.view-head', {}, h('h1', { id: 'h-clients' }, 'Clients'),
      h('div.toolbar', {},
        h('label.inline', {}, 'Filter ', filter),
        h('label.inline', {}, showDisconnected, ' Show disconnected'),
        h('button.ghost', { type: 'button', onclick: () => refresh() }, 'Refresh'))),
    h('div.split', {}, h('div.card.table-wrap', {}, summary, table), detail));

  filter.addEventListener('input', render);
  showDisconnected.addEventListener('change', render);

  function matches(c) {
    if (!showDisconnected.checked && !c.connected) return false;
    const q = filter.value.trim().toLowerCase();
    if (!q) return true;
    return [c.clientid, c.username, c.ip_address].some((v) => (v ?? '').toLowerCase().includes(q));
  }

  function render() {
    const shown = clients.filter(matches);
    const connected = clients.filter((c) => c.connected).length;
    summary.textContent = `${connected} connected, ${clients.length - connected} disconnected sessions` +
      (shown.length !== clients.length ? ` · ${shown.length} shown` : '');
    replaceChildren(tbody, shown.length ? shown.map(row) :
      h('tr', {}, h('td.empty', { colSpan: 10 }, clients.length ? 'No client matches the filter.' : 'No clients yet.')));
  }

  function row(c) {
    const href = `#/clients/${encodeURIComponent(c.clientid)}`;
    return h('tr', {
      className: c.clientid === selected ? 'selected' : '',
      dataset: { clientid: c.clientid, connected: String(c.connected) },
      onclick: (e) => { if (e.target.tagName !== 'A') navigate(href); },
    },
    h('td', {}, status(c.connected)),
    h('td.mono', {}, h('a', { href }, c.clientid || '(empty)')),
    h('td', {}, c.username || '–'),
    h('td.mono', {}, c.ip_address ? `${c.ip_address}:${c.port}` : '–'),
    h('td', {}, c.protocol ?? '–'),
    h('td.num', {}, formatNumber(c.subscriptions_cnt)),
    h('td.num', {}, formatNumber(c.inflight_cnt)),
    h('td.num', {}, formatNumber(c.mqueue_len)),
    h('td.num', {}, formatNumber(c.mqueue_dropped)),
    h('td', {}, formatDateTime(c.connected ? c.connected_at : c.disconnected_at)));
  }

  async function refresh() {
    try {
      const body = await api.get('/api/v1/clients?limit=1000');
      clients = body.data;
      render();
      if (selected !== null) await renderDetail();
    } catch (e) {
      summary.textContent = `Cannot load clients: ${e.message}`;
    }
  }

  async function renderDetail() {
    const id = selected;
    let info;
    let subs;
    try {
      const path = `/api/v1/clients/${encodeURIComponent(id)}`;
      [info, subs] = await Promise.all([api.get(path), api.get(`${path}/subscriptions?limit=1000`)]);
    } catch (e) {
      if (id !== selected) return;
      replaceChildren(detail, closeButton(), h('h2', {}, id), h('p.muted', {}, e.status === 404 ? 'This client is gone.' : e.message));
      return;
    }
    if (id !== selected) return;
    const facts = [
      ['Status', status(info.connected)],
      ['User', info.username || '–'],
      ['Address', info.ip_address ? `${info.ip_address}:${info.port}` : '–'],
      ['Protocol', info.protocol],
      ['Keep alive', `${info.keepalive} s`],
      ['Clean session', info.clean_session ? 'yes' : 'no'],
      ['Connected at', formatDateTime(info.connected_at)],
      ['Disconnected at', formatDateTime(info.disconnected_at)],
      ['Disconnect reason', info.disconnect_reason ?? '–'],
      ['Will topic', info.will_topic ?? '–'],
      ['In flight', formatNumber(info.inflight_cnt)],
      ['Queued', formatNumber(info.mqueue_len)],
      ['Dropped', formatNumber(info.mqueue_dropped)],
      ['Messages in', formatNumber(info.messages_in)],
      ['Messages out', formatNumber(info.messages_out)],
    ];
    replaceChildren(detail,
      closeButton(),
      h('h2.mono', { id: 'client-detail-title' }, info.clientid),
      h('dl.facts', {}, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
      h('h3', {}, `Subscriptions (${subs.data.length})`),
      subs.data.length
        ? h('ul.sub-list', { 'aria-label': 'Subscriptions' }, subs.data.map((s) =>
          h('li', {}, h('code', {}, s.topic), h('span.badge', {}, `QoS ${s.qos}`))))
        : h('p.muted', {}, 'No subscriptions.'),
      info.connected ? kickControls(info.clientid) : null);
  }

  function closeButton() {
    return h('button.ghost.close', { type: 'button', 'aria-label': 'Close detail', onclick: () => navigate('#/clients') }, '×');
  }

  function kickControls(id) {
    const box = h('div.actions');
    const ask = () => replaceChildren(box,
      h('span', {}, `Disconnect ${id}? Its will is published.`),
      h('button.danger', { type: 'button', onclick: () => kick(id) }, 'Confirm kick'),
      h('button.ghost', { type: 'button', onclick: () => { confirmingKick = null; replaceChildren(box, kickButton); } },
        'Cancel'));
    const kickButton = h('button.danger', { type: 'button', onclick: () => { confirmingKick = id; ask(); } }, 'Kick');
    if (confirmingKick === id) ask();
    else box.append(kickButton);
    return box;
  }

  async function kick(id) {
    confirmingKick = null;
    try {
      await api.delete(`/api/v1/clients/${encodeURIComponent(id)}`);
      toast(`Kicked ${id}`, 'success');
    } catch (e) {
      toast(`Kick failed: ${e.message}`, 'error');
    }
    refresh();
  }

  const onEvent = throttle(() => { if (visible) refresh(); }, 300);
  stream.addEventListener('event', onEvent);
  stream.addEventListener('reconnected', onEvent);

  return {
    show([id]) {
      visible = true;
      selected = id ?? null;
      if (confirmingKick !== selected) confirmingKick = null;
      detail.hidden = selected === null;
      if (selected !== null) replaceChildren(detail, h('p.muted', {}, 'Loading…'));
      clearInterval(timer);
      timer = setInterval(refresh, REFRESH_MS);
      refresh();
    },
    hide() {
      visible = false;
      clearInterval(timer);
    },
  };
}

function status(connected) {
  return h(`span.status.${connected ? 'on' : 'off'}`, {}, connected ? 'connected' : 'disconnected');
}
