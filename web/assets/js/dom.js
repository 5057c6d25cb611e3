// Small DOM and formatting helpers shared by the views.

// h('button.primary', {onclick}, 'Text'): an element from a tag with optional
// classes, attributes/properties and children (strings become text nodes, so
// nothing from the broker is ever parsed as HTML).
export function h(spec, props = {}, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && !key.includes('-') && key !== 'list' && key !== 'form') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// A form field: a label, its control and an optional hint the control is
// described by.
export function field(label, control, hint) {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div.field', {}, h('label', { for: control.id }, label), control,
    hint ? h('span.small.muted', { id: hintId }, hint) : null);
}

export function formatNumber(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: n < 10 ? 1 : 0 }).format(n);
}

export function formatTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function formatDateTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { hour12: false });
}

export function formatDuration(seconds) {
  if (seconds === undefined || seconds === null) return '–';
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${hr}h`;
  if (hr) return `${hr}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function utf8ToBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function hexDump(bytes, max = 4096) {
  const shown = bytes.subarray(0, max);
  const lines = [];
  for (let i = 0; i < shown.length; i += 16) {
    const row = Array.from(shown.subarray(i, i + 16), (b) => b.toString(16).padStart(2, '0'));
    lines.push(i.toString(16).padStart(6, '0') + '  ' + row.join(' '));
  }
  if (bytes.length > max) lines.push(`… ${bytes.length - max} more bytes`);
  return lines.join('\n');
}

// A payload as the API gives it ({payload, encoding}), rendered for reading:
// JSON pretty-printed, text as text, binary as hex and base64.
export function renderPayload(payload, encoding, { compact = false } = {}) {
  if (encoding === 'base64') {
    let bytes;
    try {
      bytes = base64ToBytes(payload ?? '');
    } catch {
      return h('span.payload.muted', {}, '(undecodable base64)');
    }
    if (compact) return h('code.payload.binary', { title: payload }, `binary, ${bytes.length} B: ${hexDump(bytes, 16).slice(8)}`);
    return h('div.payload.binary', {},
      h('div.payload-label', {}, `Binary · ${bytes.length} bytes · hex`),
      h('pre', {}, hexDump(bytes)),
      h('div.payload-label', {}, 'base64'),
      h('pre.wrap', {}, payload));
  }
  const text = payload ?? '';
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const pretty = JSON.stringify(JSON.parse(trimmed), null, 2);
      if (compact) return h('code.payload.json', { title: pretty }, JSON.stringify(JSON.parse(trimmed)));
      return h('pre.payload.json', {}, pretty);
    } catch {
      // Not JSON after all: shown as text below.
    }
  }
  if (text === '') return h('span.payload.muted', {}, '(empty)');
  return compact ? h('code.payload', { title: text }, text) : h('pre.payload.wrap', {}, text);
}

// A view's show() and hide(): `refresh` now and every `ms` while the view is shown.
export function refreshWhileShown(refresh, ms) {
  let timer = null;
  return {
    show() {
      clearInterval(timer);
      timer = setInterval(refresh, ms);
      refresh();
    },
    hide() { clearInterval(timer); },
  };
}

// Runs fn at most once per `ms`; a call in between runs once at the end.
export function throttle(fn, ms) {
  let timer = null;
  let pending = false;
  const run = () => {
    pending = false;
    fn();
    timer = setTimeout(() => {
      timer = null;
      if (pending) run();
    }, ms);
  };
  return () => {
    if (timer) pending = true;
    else run();
  };
}
