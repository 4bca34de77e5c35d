/** The operations page: header, verdict, figures. */
import { STALE_MS, state, t } from './state.js';
import { $, h } from './dom.js';
import { renderQueues, renderUpstreams } from './upstreams.js';
import { renderChart } from './chart.js';
import { renderAlerts, ruleTitle } from './alerts.js';
import { renderDeadLetters } from './dead-letters.js';
import { renderAudit } from './audit.js';
import { renderKpi } from './kpi-page.js';
import { ago, clock, duration, num } from './ui-format.js';

export function applyStaticText() {
  document.documentElement.lang = state.lang;
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.getAttribute('data-i18n'));
  for (const b of document.querySelectorAll('.lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
}

export function renderWho() {
  const who = state.who;
  const el = $('whoami');
  el.replaceChildren();
  if (!who) return;
  el.append(h('strong', { text: who.client }), ' · ' + (state.canAct ? t('roleOps') : t('roleRead')));
  $('readonly').hidden = state.canAct;
}

export function renderAll() {
  applyStaticText();
  renderWho();
  if (!state.key) return;
  if (state.page === 'kpi') return renderKpi();
  renderUpdated();
  renderVerdict();
  renderKpis();
  renderUpstreams();
  renderQueues();
  renderChart();
  renderAlerts();
  renderDeadLetters();
  renderAudit();
}

export function renderUpdated() {
  const now = Date.now();
  const last = state.lastOk ? new Date(state.lastOk).toISOString() : null;
  $('updated').textContent = last ? t('updatedAt', { time: clock(last) }) : t('loading');
  const banner = $('stale');
  if (state.lastOk && now - state.lastOk > STALE_MS) {
    banner.textContent = t('stale', { time: clock(last), ago: ago(last) });
    banner.hidden = false;
    return;
  }
  // Some figures failing while others answer (Redis down, say): name what is old.
  const behind = Object.keys(state.okAt).filter((n) => state.data[n + 'Error'] && now - state.okAt[n] > STALE_MS);
  banner.hidden = behind.length === 0;
  if (behind.length) {
    const oldest = new Date(Math.min(...behind.map((n) => state.okAt[n]))).toISOString();
    banner.textContent = t('partStale', { parts: behind.map((n) => t('part_' + n)).join(', '), time: clock(oldest), ago: ago(oldest) });
  }
}

export function upstreamLabel(name) {
  const source = state.sources.find((s) => s.name === name);
  if (source) return source.label[state.lang] || source.label.en || name;
  const key = 'up_' + name;
  const label = t(key);
  return label === key ? name : label;
}

export function firingAlerts() {
  return (state.data.alerts && state.data.alerts.firing) || [];
}
export const alertFiring = (rule) => firingAlerts().some((a) => a.rule === rule);

/** The one-glance verdict: worst of circuits, alerts, dead letters and freshness. */
export function renderVerdict() {
  const el = $('overall');
  const problems = [];
  let level = 'ok';
  const raise = (l) => {
    if (l === 'bad' || (l === 'warn' && level === 'ok')) level = l;
  };
  const ups = (state.data.upstreams && state.data.upstreams.upstreams) || [];
  for (const u of ups) {
    if (u.circuit === 'open') {
      raise('bad');
      problems.push(t('pCircuitOpen', { name: upstreamLabel(u.name) }));
    } else if (u.circuit === 'half-open') {
      raise('warn');
      problems.push(t('pCircuitHalf', { name: upstreamLabel(u.name) }));
    }
  }
  for (const a of firingAlerts()) {
    if (a.rule === 'circuit_open') continue; // said above, by name
    raise(a.severity === 'critical' ? 'bad' : 'warn');
    problems.push(t('pAlert', { title: ruleTitle(a.rule) }));
  }
  const sync = state.data.sync;
  if (sync && sync.deadLetters > 0) {
    raise('warn');
    problems.push(t('pDead', { n: num(sync.deadLetters) }));
  }
  const stale = !state.lastOk || Date.now() - state.lastOk > STALE_MS;
  let cls = level;
  let title = level === 'ok' ? t('allGood') : level === 'warn' ? t('attention') : t('failing');
  if (stale) {
    cls = 'unknown';
    title = state.lastOk ? t('unreachable') : t('noData');
  }
  el.className = 'overall ' + cls;
  el.dataset.level = cls;
  $('overall-title').textContent = title;
  const lines = problems.length ? problems : stale ? [] : [t('allGoodDetail')];
  $('overall-detail').replaceChildren(...lines.map((p) => h('li', { class: problems.length ? '' : 'plain', text: p })));
}

export function kpi(id, value, note, level) {
  const el = $(id);
  el.className = 'kpi ' + (level || 'neutral');
  el.querySelector('.kpi-value').textContent = value;
  el.querySelector('.kpi-note').textContent = note || '';
}

export function mainQueue() {
  const q = (state.data.queues && state.data.queues.queues) || [];
  return q.find((x) => x.name === 'dossier-sync') || q[0] || null;
}

export function renderKpis() {
  const sync = state.data.sync;
  const q = mainQueue();
  const alerts = firingAlerts();
  if (sync) {
    kpi('kpi-lag', duration(sync.lagSeconds), t('lagNote'), alertFiring('sync_lag') ? 'bad' : sync.lagSeconds > 60 ? 'warn' : 'ok');
    kpi('kpi-undelivered', num(sync.undeliveredDossiers), t('undeliveredNote'), sync.undeliveredDossiers > 0 ? 'neutral' : 'ok');
    kpi('kpi-dead', num(sync.deadLetters), t('deadNote'), alertFiring('dead_letters_growing') ? 'bad' : sync.deadLetters > 0 ? 'warn' : 'ok');
  } else {
    for (const id of ['kpi-lag', 'kpi-undelivered', 'kpi-dead']) kpi(id, '—', state.data.syncError ? t('failedLoad') : t('loading'), 'unknown');
  }
  if (q) {
    const backlog = q.waiting + q.delayed;
    kpi('kpi-backlog', num(backlog), t('backlogNote', { w: num(q.waiting), d: num(q.delayed) }), alertFiring('backlog_growing') ? 'warn' : backlog > 0 ? 'neutral' : 'ok');
    kpi('kpi-throughput', num(q.perMinute.completed), t('perMinNote', { n: num(q.perMinute.failed) }), q.perMinute.failed > 0 ? 'warn' : 'neutral');
  } else {
    for (const id of ['kpi-backlog', 'kpi-throughput']) kpi(id, '—', state.data.queuesError ? t('failedLoad') : t('loading'), 'unknown');
  }
  if (state.data.alerts) {
    const c = alerts.filter((a) => a.severity === 'critical').length;
    kpi('kpi-alerts', num(alerts.length), t('alertsNote', { c: num(c), w: num(alerts.length - c) }), c > 0 ? 'bad' : alerts.length > 0 ? 'warn' : 'ok');
  } else {
    kpi('kpi-alerts', '—', state.data.alertsError ? t('failedLoad') : t('loading'), 'unknown');
  }
}
