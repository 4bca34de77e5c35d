/**
 * The indicators page: a period picker, the verdict (which units lag, in red, first), the city's
 * figures, the units table sorted by fully-online rate with colour bands against the thresholds (a
 * click shows the unit's procedures), the warnings list, and CSV / Excel exports.
 */
import { state, t, addTexts } from './state.js';
import { $, h } from './dom.js';
import { ApiError, api } from './api.js';
import { num } from './ui-format.js';
import { KPI_TEXTS } from './kpi-texts.js';
import { band, formatRate, laggingUnits, localStamp, periodKind, periodOf, periodTitle, shiftPeriod, warningMessage } from './kpi-format.js';

addTexts(KPI_TEXTS);

const KPI_REFRESH_MS = 60000;
const WARNINGS_SHOWN = 200;

export const kpi = {
  period: periodOf(Date.now(), 'month'),
  units: null,
  warnings: null,
  error: null,
  open: new Set(),
  details: {},
  timer: null,
};

const rate = (r) => formatRate(r, state.lang);
const q = () => '?period=' + encodeURIComponent(kpi.period);

export async function refreshKpi() {
  clearTimeout(kpi.timer);
  if (!state.key || state.page !== 'kpi') return;
  const asked = kpi.period;
  try {
    const [units, warnings] = await Promise.all([api('/v1/kpi/units' + q()), api('/v1/kpi/warnings' + q())]);
    // The period changed while this was on its way: its answer is no longer wanted.
    if (asked !== kpi.period) return;
    kpi.units = units;
    kpi.warnings = warnings;
    kpi.error = null;
    await Promise.all([...kpi.open].map((u) => loadDetail(u)));
  } catch (e) {
    if (asked !== kpi.period) return;
    kpi.error = e;
  }
  renderKpi();
  kpi.timer = setTimeout(refreshKpi, KPI_REFRESH_MS);
}

async function loadDetail(unit) {
  try {
    kpi.details[unit] = await api('/v1/kpi/units/' + encodeURIComponent(unit) + q());
  } catch (e) {
    kpi.details[unit] = { error: e };
  }
}

function setPeriod(label) {
  kpi.period = label;
  kpi.units = null;
  kpi.warnings = null;
  kpi.details = {};
  kpi.open.clear();
  renderKpi();
  refreshKpi();
}

async function toggle(unit) {
  if (kpi.open.has(unit)) kpi.open.delete(unit);
  else {
    kpi.open.add(unit);
    if (!kpi.details[unit]) await loadDetail(unit);
  }
  renderKpi();
}

async function download(format) {
  try {
    const res = await fetch('/v1/kpi/units' + q() + '&format=' + format, {
      headers: { Authorization: 'Bearer ' + state.key },
      cache: 'no-store',
      signal: AbortSignal.timeout(30000),
    });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: 'chi-so-' + kpi.period + '.' + format, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    $('kpi-error').hidden = false;
    $('kpi-error').textContent = t('kpiExportFailed', { msg: e.message });
  }
}

export function wireKpi() {
  $('kpi-prev').addEventListener('click', () => setPeriod(shiftPeriod(kpi.period, -1)));
  $('kpi-next').addEventListener('click', () => setPeriod(shiftPeriod(kpi.period, 1)));
  $('kpi-kind').addEventListener('change', (ev) => setPeriod(periodOf(Date.now(), ev.target.value)));
  $('kpi-csv').addEventListener('click', () => download('csv'));
  $('kpi-xlsx').addEventListener('click', () => download('xlsx'));
}

function unitName(u) {
  return u.name || t('kpiNotCatalogued');
}

/** The CSP forbids style attributes; a width set through the CSSOM is allowed. */
function bar(r) {
  const fill = h('span');
  fill.style.width = Math.round(Math.max(0, Math.min(1, r || 0)) * 100) + '%';
  return h('div', { class: 'bar', 'aria-hidden': 'true' }, fill);
}

/** A rate with its colour band, a bar for the eye and the count behind it. */
function rateCell(r, threshold, count, min, detail, withBar) {
  const b = band(r, threshold, count, min);
  return h(
    'td',
    { class: 'rate ' + b, 'data-band': b },
    withBar ? bar(r) : null,
    h('span', { class: 'pct', text: rate(r) }),
    detail ? h('span', { class: 'sub', text: detail }) : null,
  );
}

function renderVerdictKpi(a) {
  const th = a.thresholds;
  const lagging = laggingUnits(a.units, th);
  const el = $('kpi-verdict');
  el.className = 'overall ' + (a.total.received === 0 ? 'unknown' : lagging.length ? 'bad' : 'ok');
  el.dataset.lagging = String(lagging.length);
  $('kpi-verdict-title').textContent =
    a.total.received === 0 ? t('kpiNoData') : lagging.length ? t('kpiLagging', { n: num(lagging.length), t: rate(th.fullyOnlineRate) }) : t('kpiLaggingNone', { t: rate(th.fullyOnlineRate) });
  const shown = lagging.slice(0, 6).map((u) => unitName(u) + ' ' + rate(u.fullyOnlineRate));
  if (lagging.length > 6) shown.push(t('kpiLaggingMore', { n: num(lagging.length - 6) }));
  $('kpi-verdict-detail').replaceChildren(...(shown.length ? [h('li', { text: t('kpiLaggingList', { list: shown.join(' · ') }) })] : []));
}

function renderCity(a, dueSoon) {
  const th = a.thresholds;
  const tot = a.total;
  const card = (label, value, note, level, id) =>
    h('div', { class: 'kpi ' + level, id }, h('div', { class: 'kpi-label', text: label }), h('div', { class: 'kpi-value', text: value }), h('div', { class: 'kpi-note', text: note || '' }));
  const bandLevel = (b) => (b === 'bad' ? 'bad' : b === 'warn' ? 'warn' : b === 'ok' ? 'ok' : 'neutral');
  $('kpi-city').replaceChildren(
    card(t('kpiReceived'), num(tot.received), t('kpiCity'), 'neutral', 'kpi-city-received'),
    card(t('kpiFully'), rate(tot.fullyOnlineRate), num(tot.fullyOnline) + ' / ' + num(tot.fullyOnlineEligible), bandLevel(band(tot.fullyOnlineRate, th.fullyOnlineRate, tot.fullyOnlineEligible, 1)), 'kpi-city-fully'),
    card(t('kpiOnTime'), rate(tot.onTimeRate), num(tot.onTime) + ' / ' + num(tot.received), bandLevel(band(tot.onTimeRate, th.onTimeRate, tot.received, 1)), 'kpi-city-ontime'),
    card(t('kpiOverdue'), num(tot.overdueOpen), '', tot.overdueOpen > 0 ? 'bad' : 'ok', 'kpi-city-overdue'),
    card(t('kpiDueSoon', { h: num(th.dueSoonHours) }), num(dueSoon), '', dueSoon > 0 ? 'warn' : 'ok', 'kpi-city-duesoon'),
  );
}

function detailRow(unit, cols) {
  const d = kpi.details[unit];
  let body;
  if (!d) body = h('div', { class: 'empty', text: t('loading') });
  else if (d.error) body = h('div', { class: 'empty', text: t('failedLoad') });
  else if (d.procedures.length === 0) body = h('div', { class: 'empty', text: t('kpiNoProcedures') });
  else {
    const th = kpi.units.thresholds;
    body = h(
      'table',
      { class: 'table procedures' },
      h('thead', {}, h('tr', {}, ...['kpiProcedure', 'kpiOnlineLevel', 'kpiDossiers', 'kpiColFully', 'kpiColOnTime', 'kpiColOverdue', 'kpiColSynced'].map((c) => h('th', { text: t(c) })))),
      h(
        'tbody',
        {},
        ...d.procedures.map((p) =>
          h(
            'tr',
            { 'data-testid': 'kpi-procedure', 'data-procedure': p.maTTHC || '' },
            h('td', {}, h('span', { class: 'mono', text: p.maTTHC || '—' }), h('div', { class: 'sub', text: p.name || t('kpiNotCatalogued') })),
            h('td', { text: p.onlineLevel ? t('ol_' + p.onlineLevel) : '—' }),
            h('td', { class: 'num', text: num(p.received) }),
            rateCell(p.fullyOnlineRate, th.fullyOnlineRate, p.fullyOnlineEligible, 1, p.fullyOnlineEligible ? num(p.fullyOnline) + '/' + num(p.fullyOnlineEligible) : '', false),
            rateCell(p.onTimeRate, th.onTimeRate, p.received, 1, '', false),
            h('td', { class: 'num' + (p.overdueOpen > 0 ? ' bad-text' : ''), text: num(p.overdueOpen) }),
            h('td', { class: 'num', text: rate(p.syncedRate) }),
          ),
        ),
      ),
    );
  }
  return h('tr', { class: 'detail', 'data-testid': 'kpi-detail', 'data-unit': unit }, h('td', { colspan: String(cols) }, body));
}

function renderUnits(a) {
  const th = a.thresholds;
  // The export has every indicator; the screen keeps what decides who needs a nudge.
  const headers = ['kpiUnit', 'kpiLevel', 'kpiDossiers', 'kpiColFully', 'kpiColOnTime', 'kpiColOverdue', 'kpiColOnline', 'kpiColSynced', 'kpiColPaid'];
  const rows = [];
  for (const u of a.units) {
    const b = band(u.fullyOnlineRate, th.fullyOnlineRate, u.fullyOnlineEligible, th.minDossiers);
    const open = kpi.open.has(u.unit);
    rows.push(
      h(
        'tr',
        {
          class: 'unit-row band-' + b + (open ? ' open' : ''),
          'data-testid': 'kpi-unit',
          'data-unit': u.unit,
          'data-band': b,
          tabindex: '0',
          'aria-expanded': String(open),
          onclick: () => toggle(u.unit),
          onkeydown: (ev) => (ev.key === 'Enter' || ev.key === ' ') && (ev.preventDefault(), toggle(u.unit)),
        },
        h('td', { class: 'unit-name' }, h('span', { class: 'caret', 'aria-hidden': 'true', text: open ? '▾' : '▸' }), h('strong', { text: unitName(u) }), h('div', { class: 'sub mono', text: u.unit })),
        h('td', { text: u.level ? t('lv_' + u.level) : '—' }),
        h('td', { class: 'num', text: num(u.received) }),
        rateCell(u.fullyOnlineRate, th.fullyOnlineRate, u.fullyOnlineEligible, th.minDossiers, u.fullyOnlineEligible ? num(u.fullyOnline) + '/' + num(u.fullyOnlineEligible) + (b === 'few' ? ' · ' + t('kpiFew') : '') : '', true),
        rateCell(u.onTimeRate, th.onTimeRate, u.received, th.minDossiers, '', false),
        h('td', { class: 'num' + (u.overdueOpen > 0 ? ' bad-text' : ''), text: num(u.overdueOpen) }),
        h('td', { class: 'num', text: rate(u.onlineRate) }),
        h('td', { class: 'num', text: rate(u.syncedRate) }),
        h('td', { class: 'num', text: rate(u.paidOnlineRate) }),
      ),
    );
    if (open) rows.push(detailRow(u.unit, headers.length));
  }
  $('kpi-units').replaceChildren(h('thead', {}, h('tr', {}, ...headers.map((c) => h('th', { text: t(c) })))), h('tbody', {}, ...rows));
  $('kpi-legend').textContent = t('kpiLegend', { n: num(th.minDossiers) }) + ' · ' + t('kpiClickHint');
}

function renderWarnings(w, units) {
  const names = new Map(units.units.map((u) => [u.unit, u.name]));
  const root = $('kpi-warnings');
  if (w.items.length === 0) {
    root.replaceChildren(h('div', { class: 'alert-ok' }, h('span', { 'aria-hidden': 'true', text: '✓' }), t('kpiNoWarnings')));
    return;
  }
  const items = w.items.slice(0, WARNINGS_SHOWN).map((x) =>
    h(
      'div',
      { class: 'alert ' + (x.code === 'dossier_due_soon' ? 'warning' : 'critical'), 'data-testid': 'kpi-warning', 'data-code': x.code, 'data-unit': x.unit },
      h('div', { class: 'alert-title' }, h('span', { class: 'tag ' + (x.code === 'dossier_due_soon' ? 'warn' : 'bad'), text: t('w_' + x.code) }), ' ', (names.get(x.unit) || x.unit) + (x.maHoSo ? ' — ' + x.maHoSo : '')),
      h('div', { class: 'alert-meta', text: warningMessage(x.message, state.lang) }),
    ),
  );
  if (w.items.length > WARNINGS_SHOWN) items.push(h('div', { class: 'subhead', text: t('kpiMoreWarnings', { shown: num(WARNINGS_SHOWN), total: num(w.items.length) }) }));
  root.replaceChildren(...items);
}

export function renderKpi() {
  if (state.page !== 'kpi') return;
  $('kpi-kind').value = periodKind(kpi.period);
  $('kpi-period').textContent = periodTitle(kpi.period, state.lang);
  for (const [id, key] of [['kpi-prev', 'kpiPrev'], ['kpi-next', 'kpiNext'], ['kpi-csv', 'kpiCsv'], ['kpi-xlsx', 'kpiXlsx']]) $(id).textContent = t(key);
  for (const o of $('kpi-kind').options) o.textContent = t({ month: 'kpiMonth', quarter: 'kpiQuarter', year: 'kpiYear' }[o.value]);
  const err = $('kpi-error');
  if (kpi.error) {
    err.hidden = false;
    err.textContent = kpi.error instanceof ApiError && kpi.error.status === 503 ? t('kpiUnavailable') : kpi.error instanceof ApiError && kpi.error.status === 403 ? t('kpiForbidden') : t('failedLoad') + ': ' + kpi.error.message;
  } else err.hidden = true;
  const a = kpi.units;
  const w = kpi.warnings;
  $('kpi-asof').textContent = a ? t('kpiAsOf', { time: localStamp(a.asOf) }) : t('loading');
  if (!a || !w) {
    $('kpi-units').replaceChildren(h('caption', { class: 'empty', text: kpi.error ? t('failedLoad') : t('loading') }));
    $('kpi-warnings').replaceChildren();
    $('kpi-city').replaceChildren();
    return;
  }
  renderVerdictKpi(a);
  renderCity(a, w.items.filter((x) => x.code === 'dossier_due_soon').length);
  renderUnits(a);
  renderWarnings(w, a);
}
