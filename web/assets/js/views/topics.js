// Topics: retained messages as a topic tree, with their values; delete.
import { h, replaceChildren, formatDateTime, renderPayload, refreshWhileShown } from '../dom.js';
import { topicPath } from '../api.js';

const REFRESH_MS = 5000;

export function mount(section, { api, toast }) {
  let messages = [];
  const collapsed = new Set();  // tree paths the user closed survive refreshes

  const filter = h('input', { type: 'text', id: 'retained-filter', value: '#', spellcheck: false,
    'aria-describedby': 'retained-filter-help' });
  const status = h('p.muted.small', { 'aria-live': 'polite' });
  const tree = h('div.topic-tree', { role: 'tree', 'aria-label': 'Retained topics' });

  const form = h('form.toolbar', { onsubmit: (e) => { e.preventDefault(); refresh(); } },
    h('label.inline', {}, 'Topic filter ', filter),
    h('button.ghost', { type: 'submit' }, 'Refresh'));
  section.append(
    h('div.view-head', {}, h('h1', { id: 'h-topics' }, 'Topics'), form),
    h('p.muted.small', { id: 'retained-filter-help' }, 'Retained messages, by topic level. MQTT wildcards + and # work in the filter.'),
    h('div.card', {}, status, tree));

  // The API pages behind a cursor (meta.next); the tree shows at most SHOWN
  // messages, fetched in at most MAX_CALLS requests (a filter few topics
  // match can give short pages).
  const SHOWN = 1000;
  const MAX_CALLS = 20;

  async function refresh() {
    try {
      const query = `/api/v1/retained?limit=${SHOWN}&filter=${encodeURIComponent(filter.value || '#')}`;
      const found = [];
      let next = null;
      for (let calls = 0; calls < MAX_CALLS && found.length < SHOWN; ++calls) {
        const body = await api.get(query + (next === null ? '' : `&after=${encodeURIComponent(next)}`));
        found.push(...body.data.slice(0, SHOWN - found.length));
        next = body.meta.next;
        if (next === null) break;
      }
      messages = found;
      status.textContent = `${messages.length} retained message${messages.length === 1 ? '' : 's'}` +
        (next !== null ? ' shown · more not loaded' : '');
      render();
    } catch (e) {
      status.textContent = `Cannot load retained messages: ${e.message}`;
    }
  }

  function buildTree() {
    const root = { children: new Map(), message: null, count: 0 };
    for (const m of messages) {
      let node = root;
      node.count++;
      for (const level of m.topic.split('/')) {
        if (!node.children.has(level)) node.children.set(level, { children: new Map(), message: null, count: 0 });
        node = node.children.get(level);
        node.count++;
      }
      node.message = m;
    }
    return root;
  }

  function render() {
    const root = buildTree();
    replaceChildren(tree, root.children.size ? renderChildren(root, null) : h('p.empty', {}, 'No retained messages.'));
  }

  function renderChildren(node, prefix) {
    const levels = [...node.children.keys()].sort();
    return h('ul', { role: 'group' }, levels.map((level) => {
      const child = node.children.get(level);
      const path = prefix === null ? level : `${prefix}/${level}`;
      return renderNode(level, path, child);
    }));
  }

  function renderNode(level, path, node) {
    const label = h('span.level', {}, level === '' ? '(empty level)' : level);
    if (!node.children.size) {
      return h('li', { role: 'treeitem', dataset: { path } }, h('div.level-row', {}, label), leaf(node.message));
    }
    const details = h('details', { open: !collapsed.has(path) },
      h('summary', {}, label, h('span.count', { title: 'retained messages below' }, String(node.count))),
      node.message ? leaf(node.message) : null,
      renderChildren(node, path));
    details.addEventListener('toggle', () => { if (details.open) collapsed.delete(path); else collapsed.add(path); });
    return h('li', { role: 'treeitem', dataset: { path } }, details);
  }

  function leaf(m) {
    return h('div.retained', { dataset: { topic: m.topic } },
      h('div.retained-meta', {},
        h('code.topic', {}, m.topic),
        h('span.badge', {}, `QoS ${m.qos}`),
        h('span.muted.small', {}, formatDateTime(m.published_at)),
        m.from_clientid ? h('span.muted.small', {}, `from ${m.from_clientid}`) : null,
        h('button.danger.small', { type: 'button', 'aria-label': `Delete retained message on ${m.topic}`,
          onclick: () => remove(m.topic) }, 'Delete')),
      renderPayload(m.payload, m.encoding));
  }

  async function remove(topic) {
    try {
      await api.delete(`/api/v1/retained/${topicPath(topic)}`);
      toast(`Deleted the retained message on ${topic}`, 'success');
    } catch (e) {
      toast(`Delete failed: ${e.message}`, 'error');
    }
    refresh();
  }

  return refreshWhileShown(refresh, REFRESH_MS);
}
