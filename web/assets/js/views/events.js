// Events: the broker's event log, loaded once over REST and then live from
// the stream; gaps after a reconnect are filled from REST again.
import { h, replaceChildren, formatTime, renderPayload } from '../dom.js';

const INITIAL = 300;
const KEEP = 1000;

const KINDS = {
  'client.connected': ['Connected', 'ok'],
  'client.disconnected': ['Disconnected', 'off'],
  'client.kicked': ['Kicked', 'warn'],
  'client.auth_failed': ['Login refused', 'warn'],
  'will.published': ['Will published', 'will'],
  'session.subscribed': ['Subscribed', 'info'],
  'session.unsubscribed': ['Unsubscribed', 'info'],
  'command.sent': ['Command sent', 'info'],
  'command.acked': ['Command acked', 'ok'],
  'command.replied': ['Command replied', 'ok'],
  'command.expired': ['Command expired', 'warn'],
};

const GROUPS = {
  all: () => true,
  connections: (e) => e.event.startsWith('client.'),
  wills: (e) => e.event === 'will.published',
  subscriptions: (e) => e.event.startsWith('session.'),
};

export function mount(section, { api, stream }) {
  const events = [];  // ascending seq
  const seen = new Set();
  let loaded = false;
  let lastSeq = 0;

  const group = h('select', { id: 'event-group' },
    h('option', { value: 'all' }, 'All events'),
    h('option', { value: 'connections' }, 'Connects and disconnects'),
    h('option', { value: 'wills' }, 'Last wills'),
    h('option', { value: 'subscriptions' }, 'Subscriptions'));
  const filter = h('input', { type: 'search', id: 'event-filter', placeholder: 'client id or topic' });
  const status = h('p.muted.small', { 'aria-live': 'polite' });
  const list = h('ol.event-list', { 'aria-label': 'Events, newest first' });

  section.append(
    h('div.view-head', {}, h('h1', { id: 'h-events' }, 'Events'),
      h('div.toolbar', {},
        h('label.inline', {}, 'Show ', group),
        h('label.inline', {}, 'Filter ', filter))),
    h('div.card', {}, status, list));
  group.addEventListener('change', render);
  filter.addEventListener('input', render);

  function add(e) {
    if (seen.has(e.seq)) return false;
    seen.add(e.seq);
    lastSeq = Math.max(lastSeq, e.seq);
    events.push(e);
    if (events.length > 1 && events.at(-2).seq > e.seq) events.sort((a, b) => a.seq - b.seq);
    while (events.length > KEEP) seen.delete(events.shift().seq);
    return true;
  }

  function matches(e) {
    if (!GROUPS[group.value](e)) return false;
    const q = filter.value.trim().toLowerCase();
    return !q || [e.clientid, e.topic].some((v) => (v ?? '').toLowerCase().includes(q));
  }

  function render() {
    const shown = events.filter(matches).reverse();
    status.textContent = loaded ? `${events.length} events · live` : 'Loading…';
    replaceChildren(list, shown.length ? shown.map(item) : h('li.empty', {}, 'No events yet.'));
  }

  function item(e) {
    const [label, tone] = KINDS[e.event] ?? [e.event, 'info'];
    const details = [];
    if (e.event === 'client.disconnected' && e.reason) details.push(h('span', {}, 'reason: ', h('strong.reason', {}, e.reason)));
    if (e.event === 'client.connected') {
      details.push(h('span.muted', {}, `${e.ipaddress}:${e.peerport} · ${e.protocol} · keepalive ${e.keepalive}s` +
        (e.clean_session ? ' · clean' : ' · persistent')));
    }
    if (e.event.startsWith('session.')) details.push(h('span', {}, h('code', {}, e.topic), ` QoS ${e.qos}`));
    if (e.event.startsWith('command.')) details.push(h('span', {}, h('code', {}, e.topic), ` QoS ${e.qos} · id `, h('code', {}, e.id)));
    if (e.event === 'will.published') {
      details.push(h('div.will', {},
        h('span', {}, 'topic ', h('code.will-topic', {}, e.topic)),
        h('span', {}, 'payload ', renderPayload(e.payload, e.encoding, { compact: true })),
        h('span.muted', {}, `QoS ${e.qos}${e.retain ? ' · retained' : ''}`)));
    }
    return h(`li.event.${tone}`, { dataset: { event: e.event, seq: e.seq } },
      h('time', { dateTime: e.time }, formatTime(e.ts)),
      h(`span.badge.${tone}`, {}, label),
      h('span.mono.client', {}, e.clientid),
      h('div.event-details', {}, details));
  }

  async function load(since) {
    let cursor = since;
    // Bounded: at most a few pages, newest wins if the log moved on.
    for (let page = 0; page < 5; page++) {
      const body = await api.get(`/api/v1/events?since=${cursor}&limit=${INITIAL}`);
      body.data.forEach(add);
      if (body.data.length < INITIAL) return;
      cursor = body.meta.next_since;
    }
  }

  async function initial() {
    try {
      const head = await api.get('/api/v1/events?limit=1');
      await load(Math.max(0, head.meta.last_seq - INITIAL));
      loaded = true;
    } catch (e) {
      status.textContent = `Cannot load events: ${e.message}`;
      return;
    }
    render();
  }

  stream.addEventListener('event', ({ detail }) => {
    if (add(detail) && loaded && !section.hidden) render();
  });
  stream.addEventListener('reconnected', () => load(lastSeq).then(render).catch(() => {}));

  initial();
  return { show: render };
}
