/** Dead letters and their replay. */
import { state, t } from './state.js';
import { $, h } from './dom.js';
import { ApiError, api } from './api.js';
import { refresh, signOut } from './session.js';
import { renderAll } from './render.js';
import { clock, num } from './ui-format.js';

export function renderDeadLetters() {
  const table = $('dead-letters');
  const data = state.data.dead;
  const total = state.data.sync ? state.data.sync.deadLetters : data ? data.items.length : 0;
  $('dead-count').textContent = data ? '(' + num(total) + ')' : '';
  const all = $('replay-all');
  all.hidden = !state.canAct || !data || data.items.length === 0;
  if (!all.hidden) {
    all.textContent = state.confirmAll ? t('replayConfirm', { n: num(total) }) : t('replayAll', { n: num(total) });
    all.classList.toggle('confirm', Boolean(state.confirmAll));
  }
  if (!data) {
    table.replaceChildren(h('caption', { class: 'empty', text: state.data.deadError ? t('failedLoad') : t('loading') }));
    return;
  }
  if (data.items.length === 0) {
    table.replaceChildren(h('caption', { class: 'empty', text: t('noDead') }));
  } else {
    const cols = ['maHoSo', 'kind', 'reason', 'failedAt'];
    if (state.canAct) cols.push('action');
    table.replaceChildren(
      h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { text: t(c) })))),
      h(
        'tbody',
        {},
        ...data.items.map((l) =>
          h(
            'tr',
            { 'data-testid': 'dead-letter', 'data-id': l.id, 'data-mahoso': l.maHoSo },
            h('td', { class: 'mono' }, l.maHoSo, h('div', { class: 'sub', text: t('revision') + ' ' + num(l.revision) })),
            h('td', { class: 'nowrap', text: t('k_' + l.kind) }),
            h(
              'td',
              { class: 'reason' },
              h('span', { class: 'tag ' + (l.reason.code === 'upstream_rejected' ? 'bad' : 'warn'), text: t('rc_' + l.reason.code) }),
              l.reason.upstreamCode === null ? null : h('span', { class: 'sub', text: ' ' + t('portalCode') + ' ' + l.reason.upstreamCode }),
              h('div', { class: 'msg', title: l.reason.message, text: l.reason.message }),
            ),
            h('td', { class: 'nowrap', title: l.failedAt }, clock(l.failedAt), h('div', { class: 'sub', text: t('attemptsN', { n: num(l.attempts) }) })),
            state.canAct
              ? h('td', { class: 'action' }, h('button', { type: 'button', class: 'replay', 'data-testid': 'replay', 'data-id': l.id, text: t('replay'), onclick: () => replayOne(l) }))
              : null,
          ),
        ),
      ),
    );
    if (total > data.items.length) table.append(h('caption', { class: 'empty', text: t('moreDead', { shown: num(data.items.length), total: num(total) }) }));
  }
  const replays = (state.data.sync && state.data.sync.recentReplays) || [];
  $('replays').textContent = replays.length
    ? t('recentReplays') + ' ' + replays.slice(0, 3).map((r) => t('replayLine', { time: clock(r.at), by: r.by, m: r.maHoSo })).join(' · ')
    : '';
}

let toastTimer = null;
export function toast(message, bad) {
  const el = $('toast');
  el.textContent = message;
  el.className = 'toast' + (bad ? ' bad' : '');
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 6000);
}

export function replayError(e) {
  if (e instanceof ApiError && e.status === 403) {
    state.canAct = false;
    renderAll();
    toast(t('replayForbidden'), true);
  } else if (e instanceof ApiError && e.status === 401) {
    signOut(t('sessionEnded'));
  } else {
    toast(t('replayFailed', { msg: e.message }), true);
  }
}

export async function replayOne(letter) {
  for (const b of document.querySelectorAll('button.replay[data-id="' + CSS.escape(letter.id) + '"]')) b.disabled = true;
  try {
    const r = await api('/v1/ops/dead-letters/' + encodeURIComponent(letter.id) + '/replay', { method: 'POST' });
    toast(t('replayed', { n: num(r.replayed) }) + ' (' + letter.maHoSo + ')');
  } catch (e) {
    replayError(e);
  }
  refresh();
}

export async function replayAll() {
  if (!state.confirmAll) {
    state.confirmAll = setTimeout(() => {
      state.confirmAll = null;
      renderDeadLetters();
    }, 5000);
    renderDeadLetters();
    return;
  }
  clearTimeout(state.confirmAll);
  state.confirmAll = null;
  $('replay-all').disabled = true;
  try {
    const r = await api('/v1/ops/dead-letters/replay', { method: 'POST' });
    toast(t('replayed', { n: num(r.replayed) }));
  } catch (e) {
    replayError(e);
  }
  $('replay-all').disabled = false;
  refresh();
}
