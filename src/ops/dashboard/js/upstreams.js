/** Upstream cards and queue lines. */
import { state, t } from './state.js';
import { $, h } from './dom.js';
import { upstreamLabel } from './render.js';
import { ago, clock, duration, num } from './ui-format.js';

export const CIRCUIT = {
  closed: { key: 'c_closed', symbol: '●' },
  'half-open': { key: 'c_half', symbol: '◐' },
  open: { key: 'c_open', symbol: '✕' },
};

export function renderUpstreams() {
  const root = $('upstreams');
  const ups = state.data.upstreams && state.data.upstreams.upstreams;
  if (!ups) {
    root.replaceChildren(h('div', { class: 'panel empty', text: state.data.upstreamsError ? t('failedLoad') : t('loading') }));
    return;
  }
  root.replaceChildren(
    ...ups.map((u) => {
      const c = CIRCUIT[u.circuit] || { key: u.circuit, symbol: '?' };
      const failRate = u.requests > 0 ? u.failures / u.requests : 0;
      const note = u.circuit !== 'closed' && u.openedAt
        ? h('div', { class: 'upstream-note bad', text: t('openSince', { time: clock(u.openedAt), ago: ago(u.openedAt) }) + (u.lastError ? ' — ' + u.lastError.message : '') })
        : u.lastError
          ? h('div', { class: 'upstream-note', title: u.lastError.message, text: t('lastError', { ago: ago(u.lastError.at), msg: u.lastError.code + ' ' + u.lastError.message }) })
          : h('div', { class: 'upstream-note', text: t('noErrors') });
      return h(
        'article',
        { class: 'upstream ' + u.circuit, 'data-testid': 'upstream', 'data-name': u.name, 'data-circuit': u.circuit },
        h('div', {}, h('div', { class: 'upstream-name', text: upstreamLabel(u.name) }), h('div', { class: 'upstream-code', text: u.name + ' · ' + u.kind + ' · ' + t('last5m') })),
        h('div', { class: 'circuit ' + u.circuit }, h('span', { class: 'circuit-symbol', 'aria-hidden': 'true', text: c.symbol }), t(c.key)),
        h(
          'div',
          { class: 'upstream-figures' },
          figure(t('latencyP'), latencies(u.latencyMs), u.latencyMs.p95 > 2000 ? 'warn' : ''),
          figure(t('requests5m'), num(u.requests)),
          figure(t('failures'), num(u.failures), failRate >= 0.5 ? 'bad' : u.failures > 0 ? 'warn' : ''),
          figure(t('timeouts'), num(u.timeouts), u.timeouts > 0 ? 'warn' : ''),
          figure(t('rejected'), num(u.rejected), u.rejected > 0 ? 'warn' : ''),
        ),
        note,
      );
    }),
  );
}

export function latencies(l) {
  if (l.p50 === null) return '—';
  const v = (x) => (x === null ? '—' : num(Math.round(x)));
  return v(l.p50) + ' · ' + v(l.p95) + ' · ' + v(l.p99) + ' ms';
}

export function figure(label, value, cls) {
  return h('div', { class: 'figure ' + (cls || '') }, h('span', { class: 'v', text: value }), h('span', { class: 'l', text: label }));
}

export function renderQueues() {
  const root = $('queues');
  const qs = state.data.queues && state.data.queues.queues;
  if (!qs) {
    root.replaceChildren(h('div', { class: 'empty', text: state.data.queuesError ? t('failedLoad') : t('loading') }));
    return;
  }
  root.replaceChildren(
    ...qs.map((q) =>
      h(
        'div',
        { class: 'queue-line', 'data-testid': 'queue', 'data-name': q.name },
        h('span', { class: 'queue-name', text: q.name }),
        figure(t('waiting'), num(q.waiting)),
        figure(t('active'), num(q.active)),
        figure(t('delayed'), num(q.delayed)),
        figure(t('failed'), num(q.failed), q.failed > 0 ? 'warn' : ''),
        figure(t('oldest'), q.oldestWaitingAgeSeconds === null ? '—' : duration(q.oldestWaitingAgeSeconds)),
      ),
    ),
  );
}
