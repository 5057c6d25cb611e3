// Publish: one message through POST /api/v1/publish, with the answer shown.
import { h, replaceChildren } from '../dom.js';

export function mount(section, { api }) {
  const topic = h('input', { name: 'topic', id: 'pub-topic', required: true, spellcheck: false, placeholder: 'sensors/kitchen/temperature' });
  const payload = h('textarea', { name: 'payload', id: 'pub-payload', rows: 6, spellcheck: false, placeholder: '{"celsius": 21.5}' });
  const encoding = h('select', { name: 'encoding', id: 'pub-encoding' },
    h('option', { value: 'plain' }, 'Text (UTF-8)'), h('option', { value: 'base64' }, 'Binary (base64)'));
  const qos = h('select', { name: 'qos', id: 'pub-qos' }, [0, 1, 2].map((q) => h('option', { value: q }, `QoS ${q}`)));
  const retain = h('input', { type: 'checkbox', name: 'retain', id: 'pub-retain' });
  const submit = h('button.primary', { type: 'submit' }, 'Publish');
  const result = h('div.publish-result', { role: 'status', 'aria-live': 'polite' });

  const form = h('form.card.stack', { onsubmit: (e) => { e.preventDefault(); send(); } },
    h('label', {}, 'Topic', topic),
    h('label', {}, 'Payload', payload),
    h('div.row', {},
      h('label', {}, 'Encoding', encoding),
      h('label', {}, 'QoS', qos),
      h('label.check', {}, retain, ' Retain')),
    h('div.actions', {}, submit));

  section.append(h('div.view-head', {}, h('h1', { id: 'h-publish' }, 'Publish')), h('div.split.even', {}, form, h('div.card', {}, h('h2', {}, 'Answer'), result)));
  replaceChildren(result, h('p.muted', {}, 'Nothing published yet.'));

  async function send() {
    submit.disabled = true;
    const body = { topic: topic.value, payload: payload.value, encoding: encoding.value, qos: Number(qos.value), retain: retain.checked };
    try {
      const answer = await api.post('/api/v1/publish', body);
      const matched = answer.body?.matched ?? 0;
      replaceChildren(result,
        h('p.result-ok', {}, `${answer.status} · published to ${body.topic}` +
          (matched ? ` · ${matched} subscriber${matched === 1 ? '' : 's'} matched` : ' · no subscriber matched') +
          (body.retain ? ' · retained' : '')),
        h('pre.payload.json', {}, JSON.stringify(answer.body, null, 2)));
    } catch (e) {
      replaceChildren(result,
        h('p.result-error', {}, `${e.status || 'Error'} · ${e.message}`),
        e.body ? h('pre.payload.json', {}, JSON.stringify(e.body, null, 2)) : null);
    } finally {
      submit.disabled = false;
    }
  }

  return {};
}
