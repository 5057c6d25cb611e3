// A line chart of per-second rates on a <canvas>, sized to its box and
// coloured from the page's CSS variables so it follows the theme.

export class RateChart {
  // series: [{key, label, colorVar}]
  constructor(canvas, series, { points = 60 } = {}) {
    this.canvas = canvas;
    this.series = series;
    this.points = points;
    this.samples = [];  // {t, values: {key: n}}
    new ResizeObserver(() => this.draw()).observe(canvas);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.draw());
  }

  push(t, values) {
    this.samples.push({ t, values });
    if (this.samples.length > this.points) this.samples.shift();
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const rect = canvas.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(rect.width * ratio);
    const height = Math.round(rect.height * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const w = rect.width;
    const hgt = rect.height;
    const style = getComputedStyle(canvas);
    const color = (name) => style.getPropertyValue(name).trim() || '#888';
    ctx.clearRect(0, 0, w, hgt);

    const pad = { left: 44, right: 12, top: 12, bottom: 22 };
    const plotW = w - pad.left - pad.right;
    const plotH = hgt - pad.top - pad.bottom;
    let max = 1;
    for (const s of this.samples) for (const { key } of this.series) max = Math.max(max, s.values[key] ?? 0);
    const scale = niceCeiling(max);

    ctx.font = `11px ${style.fontFamily}`;
    ctx.fillStyle = color('--muted');
    ctx.strokeStyle = color('--grid');
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const y = pad.top + plotH - (plotH * i) / 4;
      ctx.beginPath();
      ctx.moveTo(pad.left, Math.round(y) + 0.5);
      ctx.lineTo(pad.left + plotW, Math.round(y) + 0.5);
      ctx.stroke();
      ctx.fillText(formatTick((scale * i) / 4), pad.left - 6, y);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText(`last ${this.points} s`, pad.left, hgt - 6);
    ctx.textAlign = 'right';
    ctx.fillText('now', pad.left + plotW, hgt - 6);

    const step = plotW / Math.max(1, this.points - 1);
    const offset = this.points - this.samples.length;
    for (const { key, colorVar } of this.series) {
      const stroke = color(colorVar);
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.beginPath();
      this.samples.forEach((s, i) => {
        const x = pad.left + (offset + i) * step;
        const y = pad.top + plotH - (plotH * (s.values[key] ?? 0)) / scale;
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
      if (this.samples.length > 1) {
        ctx.globalAlpha = 0.12;
        ctx.lineTo(pad.left + (offset + this.samples.length - 1) * step, pad.top + plotH);
        ctx.lineTo(pad.left + offset * step, pad.top + plotH);
        ctx.closePath();
        ctx.fillStyle = stroke;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
    }
  }
}

function niceCeiling(n) {
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (n <= m * magnitude) return m * magnitude;
  return 10 * magnitude;
}

function formatTick(n) {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(2)}`;
}
