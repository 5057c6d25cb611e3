// Requests: one request to a device (or to several, with targets) through
// POST /api/v1/requests, with its reply, status and elapsed time.
import { h, replaceChildren, renderPayload, formatTime, field } from '../dom.js';

const STATUS_TEXT = { ok: 'answered', timeout: 'timed out', no_matching_subscribers: 'no device subscribed' };
const STATUS_BADGE = { ok: 'ok', timeout: 'warn', no_matching_subscribers: 'off' };

function badge(status) {
  return h(`span.badge.${STATUS_BADGE[status] ?? 'off'}`, { dataset: { status } }, STATUS_TEXT[status] ?? status);
}

export function mount(section, { api }) {
  const input = (name, props = {}) => h('input', { name, id: `req-${name}`, spellcheck: false, ...props });
  const topic = input('topic', { required: true, placeholder: 'devices/pump7/req/{request_id}' });
  const responseTopic = input('response_topic', { required: true, placeholder: 'devices/pump7/res/{request_id}' });
  const payload = h('textarea', { name: 'payload', id: 'req-payload', rows: 5, spellcheck: false, placeholder: '{"cmd": "status"}' });
  const encoding = h('select', { name: 'encoding', id: 'req-encoding' },
    h('option', { value: 'plain' }, 'Text (UTF-8)'), h('option', { value: 'base64' }, 'Binary (base64)'));
  const qos = h('select', { name: 'qos', id: 'req-qos' },
    [0, 1, 2].map((q) => h('option', { value: q, selected: q === 1 }, `QoS ${q}`)));
  const timeout = input('timeout_ms', { type: 'number', min: 1, step: 1, value: 10000 });
  const waitForConnect = input('wait_for_connect_ms', { type: 'number', min: 0, step: 1, value: 0 });
  const key = input('correlation_key', { placeholder: 'rid' });
  const targets = input('targets', { placeholder: 'pump7 pump8' });
  const submit = h('button.primary', { type: 'submit' }, 'Send request');
  const result = h('div.request-result', { role: 'status', 'aria-live': 'polite' });

  const form = h('form.card.stack', { onsubmit: (e) => { e.preventDefault(); send(); } },
    field('Topic', topic, '{request_id} becomes a fresh id; with targets, {clientid} the device.'),
    field('Response topic', responseTopic, 'Where the device answers.'),
    field('Payload', payload),
    h('div.row', {},
      field('Encoding', encoding),
      field('QoS', qos),
      field('Timeout (ms)', timeout),
      field('Wait for device (ms)', waitForConnect)),
    field('Correlation key (optional)', key, 'The id goes into this key of a JSON payload; the reply must echo it.'),
    field('Targets (optional)', targets, 'Client ids, separated by spaces or commas: one request each, in parallel.'),
    h('div.actions', {}, submit));

  section.append(h('div.view-head', {}, h('h1', { id: 'h-requests' }, 'Requests')),
    h('div.split.even', {}, form, h('div.card', {}, h('h2', {}, 'Reply'), result)));
  replaceChildren(result, h('p.muted', {}, 'No request sent yet.'));

  function body() {
    const b = {
      topic: topic.value, response_topic: responseTopic.value, payload: payload.value, encoding: encoding.value,
      qos: Number(qos.value), timeout_ms: Number(timeout.value), wait_for_connect_ms: Number(waitForConnect.value),
    };
    if (key.value.trim()) b.correlation = `payload:${key.value.trim()}`;
    const list = targets.value.split(/[\s,]+/).filter(Boolean);
    if (list.length) b.targets = list;
    return b;
  }

  function renderReply(answer) {
    const r = answer.response;
    return [
      h('p.result-ok', { dataset: { status: 'ok' } }, `${answer.status ?? 200} · answered in ${answer.elapsed_ms} ms`),
      h('dl.facts', {},
        h('div', {}, h('dt', {}, 'Request id'), h('dd.mono', {}, answer.request_id)),
        h('div', {}, h('dt', {}, 'Reply topic'), h('dd.mono', {}, r.topic)),
        h('div', {}, h('dt', {}, 'QoS'), h('dd', {}, String(r.qos))),
        h('div', {}, h('dt', {}, 'Received'), h('dd', {}, formatTime(r.ts)))),
      h('div.payload-label', {}, 'Payload'),
      renderPayload(r.payload, r.encoding),
    ];
  }

  function renderResults(results) {
    const counts = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    const summary = Object.entries(counts).map(([s, n]) => `${n} ${STATUS_TEXT[s] ?? s}`).join(' · ');
    return [
      h('p.result-ok', {}, `200 · ${results.length} target${results.length === 1 ? '' : 's'}: ${summary}`),
      h('div.table-wrap', {}, h('table.data.request-results', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Client'), h('th', {}, 'Status'), h('th', {}, 'Elapsed'), h('th', {}, 'Reply'))),
        h('tbody', {}, results.map((r) => h('tr', { dataset: { clientid: r.clientid, status: r.status } },
          h('td.mono', {}, r.clientid),
          h('td', {}, badge(r.status)),
          h('td.num', {}, `${r.elapsed_ms} ms`),
          h('td', {}, r.response ? renderPayload(r.response.payload, r.response.encoding, { compact: true }) : '–')))))),
    ];
  }

  function renderError(e) {
    const b = e.body ?? {};
    const what = e.code === 'timeout' ? `no reply within ${b.elapsed_ms ?? '?'} ms`
      : e.code === 'no_matching_subscribers' ? 'no device subscribes to this topic' : e.code;
    return [
      h('p.result-error', { dataset: { status: e.code } }, `${e.status || 'Error'} · ${what}`),
      b.request_id ? h('p.small.muted', {}, `Request id ${b.request_id}`) : null,
      e.code === 'timeout' || e.code === 'no_matching_subscribers' ? null : h('p.small', {}, e.message),
    ];
  }

  async function send() {
    const b = body();
    submit.disabled = true;
    replaceChildren(result, h('p.muted', {}, `Waiting for the reply (up to ${b.timeout_ms + b.wait_for_connect_ms} ms)…`));
    try {
      const answer = await api.post('/api/v1/requests', b);
      replaceChildren(result, answer.body.results
        ? renderResults(answer.body.results)
        : renderReply({ ...answer.body, status: answer.status }));
    } catch (e) {
      replaceChildren(result, renderError(e));
    } finally {
      submit.disabled = false;
    }
  }

  return {};
}
