// Overview: the broker's figures and a live chart of message rates.
import { h, formatNumber, formatDuration } from '../dom.js';
import { RateChart } from '../chart.js';

const CARDS = [
  ['connections', 'Connections'],
  ['sessions', 'Sessions'],
  ['subscriptions', 'Subscriptions'],
  ['retained', 'Retained'],
  ['inflight', 'In flight'],
  ['queued', 'Queued'],
  ['messages_dropped', 'Dropped'],
  ['uptime_seconds', 'Uptime'],
];

export function mount(section, { bus }) {
  const values = {};
  const cards = CARDS.map(([key, label]) => {
    values[key] = h('dd.stat-value', { id: `stat-${key}` }, '–');
    return h('div.stat-card', {}, h('dt', {}, label), values[key]);
  });
  const rateIn = h('span.legend-value', { id: 'rate-in' }, '–');
  const rateOut = h('span.legend-value', { id: 'rate-out' }, '–');
  const canvas = h('canvas.rate-chart', { role: 'img', 'aria-label': 'Messages in and out per second, last 60 seconds' });
  const totals = h('p.muted.small', {});

  section.append(
    h('div.view-head', {}, h('h1', { id: 'h-overview' }, 'Overview')),
    h('dl.stat-grid', {}, cards),
    h('div.card', {},
      h('div.card-head', {},
        h('h2', {}, 'Messages per second'),
        h('div.legend', {},
          h('span.legend-item.in', {}, h('span.swatch', { 'aria-hidden': 'true' }), 'In ', rateIn),
          h('span.legend-item.out', {}, h('span.swatch', { 'aria-hidden': 'true' }), 'Out ', rateOut))),
      canvas,
      totals));

  const chart = new RateChart(canvas, [
    { key: 'in', label: 'In', colorVar: '--series-in' },
    { key: 'out', label: 'Out', colorVar: '--series-out' },
  ]);

  bus.addEventListener('stats', ({ detail: { stats, rateIn: rIn, rateOut: rOut } }) => {
    for (const [key] of CARDS) {
      values[key].textContent = key === 'uptime_seconds' ? formatDuration(stats[key]) : formatNumber(stats[key]);
    }
    rateIn.textContent = formatNumber(rIn);
    rateOut.textContent = formatNumber(rOut);
    totals.textContent = `Totals since start: ${formatNumber(stats.messages_received)} received, ` +
      `${formatNumber(stats.messages_sent)} sent, ${formatNumber(stats.connections_total)} connections accepted, ` +
      `peak ${formatNumber(stats.connections_max)} at once.`;
    if (rIn !== null) chart.push(stats.time_ms, { in: rIn, out: rOut });
  });

  return { show: () => chart.draw() };
}
