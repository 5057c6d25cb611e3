// Commands: the commands waiting for their devices (/api/v1/commands) with
// their status, kept live from the command.* events of the stream; a form to
// queue one and a cancel button for those still queued.
import { h, replaceChildren, renderPayload, formatTime, field } from '../dom.js';

const KEEP = 500;  // newest commands shown (the list API's pages are up to 1000)
const TONE = { queued: 'info', sent: 'info', acked: 'ok', replied: 'ok', expired: 'warn', cancelled: 'off' };

export function mount(section, { api, stream, toast }) {
  const commands = new Map();  // id -> command as GET /api/v1/commands/{id} shows it
  let loaded = false;

  const input = (name, props = {}) => h('input', { name, id: `cmd-${name}`, spellcheck: false, ...props });
  const clientid = input('clientid', { required: true, placeholder: 'pump7' });
  const topic = input('topic', { required: true, placeholder: 'devices/{clientid}/cmd' });
  const payload = h('textarea', { name: 'payload', id: 'cmd-payload', rows: 3, spellcheck: false, placeholder: 'reboot' });
  const qos = h('select', { name: 'qos', id: 'cmd-qos' },
    [0, 1, 2].map((q) => h('option', { value: q, selected: q === 1 }, `QoS ${q}`)));
  const ttl = input('ttl_s', { type: 'number', min: 1, step: 1, value: 3600 });
  const responseTopic = input('response_topic', { placeholder: 'devices/{clientid}/res' });
  const submit = h('button.primary', { type: 'submit' }, 'Queue command');
  const outcome = h('p.small', { id: 'cmd-outcome', role: 'status', 'aria-live': 'polite' });

  const form = h('form.card.stack', { onsubmit: (e) => { e.preventDefault(); queue(); } },
    h('h2', {}, 'New command'),
    field('Device', clientid, 'The client id; the command waits until it is connected and subscribed.'),
    field('Topic', topic, '{clientid} becomes the device, {request_id} the command id.'),
    field('Payload', payload),
    h('div.row', {}, field('QoS', qos), field('TTL (s)', ttl)),
    field('Response topic (optional)', responseTopic, 'Where the device answers; the reply is kept with the command.'),
    h('div.actions', {}, submit),
    outcome);

  const summary = h('p.muted.small', { 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table.data.commands', { id: 'commands-table' },
    h('caption.visually-hidden', {}, 'Commands, newest first'),
    h('thead', {}, h('tr', {},
      ['Id', 'Device', 'Topic', 'Status', 'History', 'Created', 'Changed', 'Reply', ''].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  section.append(h('div.view-head', {}, h('h1', { id: 'h-commands' }, 'Commands')),
    form, h('div.card.table-wrap', {}, summary, table));

  function upsert(command) {
    // Answers to two refreshes of one command may cross: an older record never replaces a newer one.
    if ((commands.get(command.id)?.history.length ?? 0) > command.history.length) return;
    commands.set(command.id, command);
    // The newest KEEP: a Map iterates in insertion order, commands come in the order they were queued.
    for (const id of commands.keys()) {
      if (commands.size <= KEEP) break;
      commands.delete(id);
    }
  }

  function render() {
    // Newest first; ids grow in the order commands are queued, so they break ties within a millisecond.
    const shown = [...commands.values()].sort((a, b) => b.created_at_ms - a.created_at_ms || (a.id < b.id ? 1 : -1));
    const waiting = shown.filter((c) => c.status === 'queued').length;
    summary.textContent = loaded ? `${shown.length} commands · ${waiting} queued · live` : 'Loading…';
    replaceChildren(tbody, shown.length ? shown.map(row) : h('tr', {}, h('td.empty', { colSpan: 9 }, 'No commands yet.')));
  }

  function row(c) {
    const last = c.history.at(-1);
    return h('tr', { dataset: { id: c.id, status: c.status } },
      h('td.mono', {}, c.id),
      h('td.mono', {}, c.clientid),
      h('td.mono', {}, c.topic),
      h('td', {}, h(`span.badge.${TONE[c.status] ?? 'info'}`, {}, c.status)),
      h('td.small.history', {}, c.history.map((s) => s.status).join(' → ')),
      h('td', {}, formatTime(c.created_at_ms)),
      h('td', {}, formatTime(last?.ts)),
      h('td', {}, c.reply ? renderPayload(c.reply.payload, c.reply.encoding, { compact: true }) : '–'),
      h('td', {}, c.status === 'queued'
        ? h('button.ghost', { type: 'button', 'aria-label': `Cancel command ${c.id}`, onclick: () => cancel(c.id) }, 'Cancel')
        : null));
  }

  async function refresh(id) {
    try {
      upsert(await api.get(`/api/v1/commands/${encodeURIComponent(id)}`));
      render();
    } catch {
      // Forgotten meanwhile (done commands beyond commands.max_pending), or the gateway is away: the next load shows it.
    }
  }

  async function load() {
    try {
      const head = await api.get('/api/v1/commands?limit=1');
      const page = Math.max(1, Math.ceil(head.meta.count / KEEP));
      // The last page and the one before it: the newest KEEP, whatever the page boundaries.
      const pages = page > 1 ? [page - 1, page] : [page];
      commands.clear();
      for (const p of pages) (await api.get(`/api/v1/commands?limit=${KEEP}&page=${p}`)).data.forEach(upsert);
      loaded = true;
    } catch (e) {
      summary.textContent = `Cannot load commands: ${e.message}`;
      return;
    }
    render();
  }

  async function queue() {
    const body = { clientid: clientid.value.trim(), topic: topic.value, payload: payload.value, qos: Number(qos.value),
      ttl_s: Number(ttl.value) };
    if (responseTopic.value.trim()) body.response_topic = responseTopic.value.trim();
    submit.disabled = true;
    try {
      const answer = await api.post('/api/v1/commands', body);
      outcome.className = 'small result-ok';
      outcome.textContent = `${answer.status} · queued as ${answer.body.id}`;
      await refresh(answer.body.id);
    } catch (e) {
      outcome.className = 'small result-error';
      outcome.textContent = `${e.status || 'Error'} · ${e.code}: ${e.message}`;
    } finally {
      submit.disabled = false;
    }
  }

  async function cancel(id) {
    try {
      const answer = await api.delete(`/api/v1/commands/${encodeURIComponent(id)}`);
      upsert(answer.body);
      render();
    } catch (e) {
      toast(`Cannot cancel: ${e.message}`, 'error');
      refresh(id);
    }
  }

  // A command event names the command; its full record (history, reply) comes from REST.
  stream.addEventListener('event', ({ detail }) => {
    if (detail.event?.startsWith('command.') && detail.id) refresh(detail.id);
  });
  stream.addEventListener('reconnected', load);

  load();
  return { show: render };
}
