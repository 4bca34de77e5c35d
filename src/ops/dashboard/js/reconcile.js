/**
 * Reconciliation with the portal: figures of the last 24 hours, the latest runs, and (for `ops` keys)
 * a form to reconcile the dossiers received in a date range. Reads /v1/ops/reconcile on its own
 * timer, so the panel adds nothing to the main refresh loop.
 */
import { addTexts, state, t } from './state.js';
import { $, h } from './dom.js';
import { ApiError, api } from './api.js';
import { toast } from './dead-letters.js';
import { num, clock } from './ui-format.js';

const EVERY_MS = 10000;
/** While a run is going, its figures move: read them more often. */
const RUNNING_MS = 2000;
/** Before sign-in: look again shortly, so the panel fills as soon as a key is there. */
const SIGNED_OUT_MS = 500;

addTexts({
  vi: {
    reconcile: 'Đối soát với Cổng DVC quốc gia',
    rcLast24h: '24 giờ qua',
    rc_checked: 'Kiểm tra',
    rc_matched: 'Khớp',
    rc_drifted: 'Sai lệch',
    rc_repaired: 'Đã sửa',
    rc_failed: 'Lỗi',
    rcRuns: 'Các lượt đối soát gần đây',
    rcNoRuns: 'Chưa có lượt đối soát theo yêu cầu.',
    rcFrom: 'Tiếp nhận từ',
    rcTo: 'đến',
    rcStart: 'Đối soát',
    rcStarted: 'Đã xếp {n} hồ sơ để đối soát ({id})',
    rcFailed: 'Không bắt đầu được: {msg}',
    rcUnavailable: 'Chưa đọc được dữ liệu đối soát (PostgreSQL chưa sẵn sàng).',
    rcRate: 'Tự động: {n} hồ sơ/phút',
    rcOff: 'Đối soát tự động đang tắt',
    rcRunning: 'đang chạy',
    rcDone: 'xong',
    rcAll: 'tất cả',
  },
  en: {
    reconcile: 'Reconciliation with the national portal',
    rcLast24h: 'last 24 hours',
    rc_checked: 'Checked',
    rc_matched: 'Matched',
    rc_drifted: 'Drifted',
    rc_repaired: 'Repaired',
    rc_failed: 'Failed',
    rcRuns: 'Recent runs',
    rcNoRuns: 'No on-demand run yet.',
    rcFrom: 'Received from',
    rcTo: 'to',
    rcStart: 'Reconcile',
    rcStarted: '{n} dossier(s) queued for reconciliation ({id})',
    rcFailed: 'Could not start: {msg}',
    rcUnavailable: 'Reconciliation figures cannot be read (PostgreSQL is not available).',
    rcRate: 'Continuous: {n} dossiers a minute',
    rcOff: 'Continuous reconciliation is off',
    rcRunning: 'running',
    rcDone: 'done',
    rcAll: 'all',
  },
});

const FIGURES = ['checked', 'matched', 'drifted', 'repaired', 'failed'];
let data = null;
let failed = null;
let timer = null;

/** `2026-11-29` (an <input type=date> value) → `20261129`; '' when empty. */
export function toDay(value) {
  return value ? value.replace(/-/g, '') : '';
}

export async function refreshReconcile() {
  clearTimeout(timer);
  // Signed out, or a kpi-only key (the indicators page alone): nothing to read here yet.
  if (!state.key || !state.canSeeOps) {
    data = null;
    timer = setTimeout(refreshReconcile, SIGNED_OUT_MS);
    return;
  }
  try {
    data = await api('/v1/ops/reconcile');
    failed = null;
  } catch (e) {
    failed = e;
  }
  renderReconcile();
  const running = data && data.runs.some((r) => r.state === 'running');
  timer = setTimeout(refreshReconcile, running ? RUNNING_MS : EVERY_MS);
}

export function renderReconcile() {
  const panel = $('reconcile-panel');
  if (!panel) return;
  const figures = $('reconcile-figures');
  const runs = $('reconcile-runs');
  $('reconcile-title').textContent = t('reconcile');
  $('reconcile-form').hidden = !state.canAct;
  $('reconcile-from-label').textContent = t('rcFrom');
  $('reconcile-to-label').textContent = t('rcTo');
  $('reconcile-start').textContent = t('rcStart');
  if (!data || !data.available) {
    $('reconcile-rate').textContent = '';
    figures.replaceChildren(h('p', { class: 'empty', text: failed || (data && !data.available) ? t('rcUnavailable') : t('loading') }));
    runs.replaceChildren();
    return;
  }
  $('reconcile-rate').textContent = data.perMinute > 0 ? t('rcRate', { n: num(data.perMinute) }) : t('rcOff');
  figures.replaceChildren(
    h('div', { class: 'sub', text: t('rcLast24h') }),
    h(
      'div',
      { class: 'rc-figures' },
      ...FIGURES.map((f) =>
        h(
          'div',
          { class: 'rc-figure' + (f === 'drifted' && data.last24h.drifted > data.last24h.repaired ? ' warn' : ''), 'data-testid': 'rc-' + f },
          h('div', { class: 'kpi-label', title: t('rc_' + f), text: t('rc_' + f) }),
          h('div', { class: 'rc-value', text: num(data.last24h[f]) }),
        ),
      ),
    ),
  );
  if (data.runs.length === 0) {
    runs.replaceChildren(h('caption', { class: 'empty', text: t('rcNoRuns') }));
    return;
  }
  const range = (f) => (f.maHoSo ? f.maHoSo : f.receivedFrom || f.receivedTo ? (f.receivedFrom || '…') + ' – ' + (f.receivedTo || '…') : t('rcAll'));
  runs.replaceChildren(
    h('caption', { text: t('rcRuns') }),
    h('thead', {}, h('tr', {}, ...['at', 'rcAll', 'rc_checked', 'rc_drifted', 'rc_repaired', 'rc_failed'].map((c) => h('th', { text: c === 'rcAll' ? '' : t(c) })))),
    h(
      'tbody',
      {},
      ...data.runs.map((r) =>
        h(
          'tr',
          { 'data-testid': 'reconcile-run', 'data-id': r.id },
          h('td', { class: 'mono nowrap', title: r.id }, clock(r.createdAt), h('div', { class: 'sub', text: r.state === 'done' ? t('rcDone') : t('rcRunning') })),
          h('td', { class: 'mono', text: range(r.filter || {}) }),
          h('td', { class: 'mono', text: num(r.checked) + ' / ' + num(r.queued) }),
          h('td', { class: 'mono', text: num(r.drifted) }),
          h('td', { class: 'mono', text: num(r.repaired) }),
          h('td', { class: 'mono', text: num(r.failed) }),
        ),
      ),
    ),
  );
}

async function startRun(ev) {
  ev.preventDefault();
  const body = {};
  const from = toDay($('reconcile-from').value);
  const to = toDay($('reconcile-to').value);
  if (from) body.receivedFrom = from;
  if (to) body.receivedTo = to;
  const button = $('reconcile-start');
  button.disabled = true;
  try {
    const r = await api('/v1/ops/reconcile', { method: 'POST', body });
    toast(t('rcStarted', { n: num(r.queued), id: r.id }));
  } catch (e) {
    toast(t('rcFailed', { msg: e instanceof ApiError ? e.message : String(e) }), true);
  }
  button.disabled = false;
  refreshReconcile();
}

export function startReconcilePanel() {
  const form = $('reconcile-form');
  if (!form) return;
  form.addEventListener('submit', startRun);
  for (const b of document.querySelectorAll('.lang button')) b.addEventListener('click', () => renderReconcile());
  refreshReconcile();
}
