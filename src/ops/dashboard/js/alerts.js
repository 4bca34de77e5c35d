/** Firing and recently resolved alerts. */
import { I18N } from './i18n.js';
import { state, t } from './state.js';
import { $, h } from './dom.js';
import { upstreamLabel } from './render.js';
import { ago, clock, num } from './ui-format.js';

export function ruleTitle(rule) {
  const key = 'r_' + rule;
  const v = t(key);
  return v === key ? rule : v;
}

/** The server's summary is English; in Vietnamese, known rules are said from their figures. */
export function alertSummary(a) {
  const key = 'as_' + a.rule;
  if (state.lang !== 'vi' || !(key in I18N.vi)) return a.summary;
  return t(key, { value: num(a.value), threshold: num(a.threshold) });
}

export function renderAlerts() {
  const root = $('alerts');
  const data = state.data.alerts;
  if (!data) {
    root.replaceChildren(h('div', { class: 'empty', text: state.data.alertsError ? t('failedLoad') : t('loading') }));
    return;
  }
  const items = [];
  if (data.firing.length === 0) items.push(h('div', { class: 'alert-ok' }, h('span', { 'aria-hidden': 'true', text: '✓' }), t('noAlerts')));
  const order = { critical: 0, warning: 1 };
  for (const a of [...data.firing].sort((p, q) => order[p.severity] - order[q.severity])) {
    items.push(
      h(
        'div',
        { class: 'alert ' + a.severity, 'data-testid': 'alert', 'data-rule': a.rule },
        h('div', { class: 'alert-title', text: ruleTitle(a.rule) + (a.subject && a.subject !== 'gateway' ? ' — ' + upstreamLabel(a.subject) : '') }),
        h('div', { class: 'alert-meta', title: a.summary, text: t(a.severity) + ' · ' + t('since', { time: clock(a.since), ago: ago(a.since) }) + ' · ' + alertSummary(a) }),
      ),
    );
  }
  const resolved = data.recent.filter((a) => a.state === 'resolved').slice(0, 5);
  if (resolved.length) {
    items.push(h('div', { class: 'subhead', text: t('recentAlerts') }));
    for (const a of resolved) {
      items.push(
        h(
          'div',
          { class: 'alert resolved' },
          h('div', { class: 'alert-title', text: ruleTitle(a.rule) + (a.subject && a.subject !== 'gateway' ? ' — ' + a.subject : '') }),
          h('div', { class: 'alert-meta', text: t('resolvedAt', { time: clock(a.resolvedAt) }) }),
        ),
      );
    }
  }
  root.replaceChildren(...items);
}
