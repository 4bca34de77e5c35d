/** Backlog and throughput over the last 30 minutes (SVG). */
import { state, t } from './state.js';
import { $, s } from './dom.js';
import { niceMax, num } from './ui-format.js';

/** Two plots on one time axis: backlog above, completed and failed per minute below. */
export function renderChart() {
  const svg = $('chart');
  const W = Math.max(300, Math.round(svg.clientWidth || 600));
  const H = Math.max(160, Math.round(svg.clientHeight || 220));
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  svg.replaceChildren();
  const hist = state.history;
  if (hist.length < 2) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, t('noHistory')));
    return;
  }
  const left = 56;
  const right = W - 12;
  const now = Date.now();
  const span = Math.min(30 * 60000, Math.max(2 * 60000, now - hist[0].t));
  const t0 = now - span;
  const x = (tm) => left + ((tm - t0) / span) * (right - left);
  const pts = hist.filter((p) => p.t >= t0);
  if (pts.length < 2) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, t('noHistory')));
    return;
  }
  const gap = 26;
  const plotH = (H - 22 - gap) / 2;
  const plots = [
    { top: 4, series: [{ key: 'backlog', cls: 'backlog', area: true }], title: t('legendBacklog') },
    { top: 4 + plotH + gap, series: [{ key: 'completed', cls: 'completed' }, { key: 'failed', cls: 'failed' }], title: t('legendCompleted') },
  ];
  for (const plot of plots) {
    const max = niceMax(Math.max(...plot.series.flatMap((se) => pts.map((p) => p[se.key] || 0))));
    const y = (v) => plot.top + plotH - (v / max) * plotH;
    for (const frac of [0, 0.5, 1]) {
      const gy = y(max * frac);
      svg.append(s('line', { class: 'grid', x1: left, x2: right, y1: gy, y2: gy }));
      svg.append(s('text', { x: left - 6, y: gy + 4, 'text-anchor': 'end' }, num(max * frac)));
    }
    for (const se of plot.series) {
      const line = pts.map((p) => x(p.t).toFixed(1) + ',' + y(p[se.key] || 0).toFixed(1)).join(' ');
      if (se.area) {
        const first = x(pts[0].t).toFixed(1);
        const last = x(pts[pts.length - 1].t).toFixed(1);
        const base = y(0).toFixed(1);
        svg.append(s('polygon', { class: se.cls + '-area', points: first + ',' + base + ' ' + line + ' ' + last + ',' + base }));
      }
      svg.append(s('polyline', { class: se.cls + '-line', points: line }));
    }
    const latest = pts[pts.length - 1];
    svg.append(s('text', { class: 'plot-title', x: left + 8, y: plot.top + 14 }, plot.title + ': ' + num(latest[plot.series[0].key])));
  }
  const minutes = Math.round(span / 60000);
  svg.append(s('text', { x: left, y: H - 4, 'text-anchor': 'start' }, t('minutesAgo', { n: minutes })));
  svg.append(s('text', { x: right, y: H - 4, 'text-anchor': 'end' }, t('now')));
}
