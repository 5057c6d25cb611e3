// Live messages: subscribe to filters over the stream and watch messages
// arrive; pause holds them back, resume shows what came meanwhile.
import { h, replaceChildren, formatTime, renderPayload } from '../dom.js';

const KEEP = 500;

export function mount(section, { stream, toast }) {
  let paused = false;
  let held = [];
  let received = 0;

  const filterInput = h('input', { id: 'live-filter', value: '#', required: true, spellcheck: false });
  const qos = h('select', { id: 'live-qos' }, [0, 1, 2].map((q) => h('option', { value: q }, `QoS ${q}`)));
  const chips = h('ul.chips', { 'aria-label': 'Active subscriptions' });
  const pause = h('button.ghost', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const clear = h('button.ghost', { type: 'button' }, 'Clear');
  const status = h('p.muted.small', { 'aria-live': 'polite' });
  const list = h('ol.message-list', { 'aria-label': 'Messages, newest first' });

  const form = h('form.toolbar', { onsubmit: (e) => { e.preventDefault(); subscribe(); } },
    h('label.inline', {}, 'Topic filter ', filterInput),
    h('label.inline', {}, 'QoS ', qos),
    h('button.primary', { type: 'submit' }, 'Subscribe'));
  section.append(
    h('div.view-head', {}, h('h1', { id: 'h-live' }, 'Live messages'), form),
    h('div.card', {},
      h('div.live-controls', {}, chips, h('div.toolbar', {}, pause, clear)),
      status, list));

  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      const flushing = held;
      held = [];
      flushing.forEach(show);
    }
    renderStatus();
  });
  clear.addEventListener('click', () => {
    list.replaceChildren();
    held = [];
    received = 0;
    renderStatus();
  });

  function renderStatus() {
    const subs = stream.filters.size;
    const parts = [subs ? `${received} received` : 'Subscribe to a topic filter to watch messages.'];
    if (paused) parts.push(`paused · ${held.length} waiting`);
    status.textContent = parts.join(' · ');
  }

  function renderChips() {
    replaceChildren(chips, [...stream.filters].map(([filter, q]) => h('li.chip', {},
      h('code', {}, filter), h('span.muted', {}, ` QoS ${q}`),
      h('button.ghost.small', { type: 'button', 'aria-label': `Unsubscribe from ${filter}`,
        onclick: () => unsubscribe(filter) }, '×'))));
    renderStatus();
  }

  async function subscribe() {
    const filter = filterInput.value;
    try {
      await stream.subscribe(filter, Number(qos.value));
    } catch (e) {
      toast(`Cannot subscribe to ${filter}: ${e.message}`, 'error');
      return;
    }
    renderChips();
  }

  async function unsubscribe(filter) {
    try {
      await stream.unsubscribe(filter);
    } catch (e) {
      toast(`Unsubscribe: ${e.message}`, 'error');
    }
    renderChips();
  }

  function show(m) {
    list.prepend(h('li.message', { dataset: { topic: m.topic } },
      h('div.message-meta', {},
        h('time', { dateTime: m.time }, formatTime(m.ts)),
        h('code.topic', {}, m.topic),
        h('span.badge', {}, `QoS ${m.qos}`),
        m.retain ? h('span.badge.info', {}, 'retained') : null,
        m.encoding === 'base64' ? h('span.badge.warn', {}, 'binary') : null),
      renderPayload(m.payload, m.encoding)));
    while (list.childElementCount > KEEP) list.lastElementChild.remove();
  }

  stream.addEventListener('message', ({ detail }) => {
    received++;
    if (paused) {
      held.push(detail);
      if (held.length > KEEP) held.shift();
    } else {
      show(detail);
    }
    renderStatus();
  });
  stream.addEventListener('dropped', ({ detail }) => toast(`The gateway dropped ${detail.count} messages: this page read too slowly`, 'warning'));

  renderStatus();
  return { show: renderChips };
}
