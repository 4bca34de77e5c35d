/** Sign-in, sign-out and the refresh loop of the operations page. */
import { HISTORY_MAX, HISTORY_STORE, KEY_STORE, REFRESH_MS, state, t } from './state.js';
import { $ } from './dom.js';
import { ApiError, api } from './api.js';
import { renderAll, renderWho } from './render.js';
import { showPage } from './pages.js';

export async function signIn(key) {
  const who = await api('/v1/ops/whoami', { key });
  state.key = key;
  state.who = who;
  state.canAct = who.roles.includes('ops');
  state.canSeeOps = who.roles.includes('ops-read');
  if (!state.canSeeOps) state.page = 'kpi';
  sessionStorage.setItem(KEY_STORE, key);
  // The sector sources' labels come from the gateway, so a new source needs no change here (the
  // operations page shows them; a kpi-only key has no use for them and may not read them).
  state.sources = [];
  if (state.canSeeOps) {
    try {
      state.sources = (await api('/v1/sources', { key })).sources;
    } catch {
      /* labels fall back to the upstream's name */
    }
  }
  // The cookie lets bull-board's own pages (which cannot send a Bearer header) see the queue.
  if (state.canSeeOps) {
    try {
      await fetch('/ops/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ apiKey: key }), credentials: 'same-origin' });
    } catch {
      /* the board link will ask to sign in again; the dashboard itself works without it */
    }
  }
  showBoard();
}

export function signOut(message) {
  clearTimeout(state.timer);
  state.key = null;
  state.who = null;
  state.canAct = false;
  state.data = {};
  state.lastOk = 0;
  state.okAt = {};
  sessionStorage.removeItem(KEY_STORE);
  fetch('/ops/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
  showSignIn(message);
}

export function showSignIn(message) {
  $('board').hidden = true;
  $('kpi-page').hidden = true;
  for (const id of ['signout', 'refresh', 'board-link', 'whoami', 'updated', 'nav']) $(id).hidden = true;
  $('signin').hidden = false;
  const err = $('signin-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('apikey').value = '';
  $('apikey').focus();
}

export function showBoard() {
  $('signin').hidden = true;
  for (const id of ['signout', 'refresh', 'whoami', 'nav']) $(id).hidden = false;
  renderWho();
  showPage();
}

// ---------- refresh loop ----------

export async function refresh() {
  clearTimeout(state.timer);
  if (!state.key) return;
  // The operations figures are read only while their page is shown.
  if (state.page !== 'ops') return;
  if (state.inFlight) return;
  state.inFlight = true;
  const calls = {
    queues: api('/v1/ops/queues'),
    upstreams: api('/v1/ops/upstreams'),
    sync: api('/v1/ops/sync'),
    alerts: api('/v1/ops/alerts'),
    dead: api('/v1/ops/dead-letters?limit=100'),
    audit: api('/v1/ops/audit?limit=20'),
  };
  const names = Object.keys(calls);
  const results = await Promise.allSettled(Object.values(calls));
  state.inFlight = false;
  if (!state.key) return;
  const unauthorized = results.find((r) => r.status === 'rejected' && r.reason instanceof ApiError && r.reason.status === 401);
  if (unauthorized) return signOut(t('sessionEnded'));
  let anyOk = false;
  results.forEach((r, i) => {
    const name = names[i];
    if (r.status === 'fulfilled') {
      state.data[name] = r.value;
      state.okAt[name] = Date.now();
      delete state.data[name + 'Error'];
      anyOk = true;
    } else {
      state.data[name + 'Error'] = r.reason;
    }
  });
  if (anyOk) {
    state.lastOk = Date.now();
    sample();
  }
  renderAll();
  state.timer = setTimeout(refresh, REFRESH_MS);
}

export function sample() {
  const q = (state.data.queues && state.data.queues.queues) || [];
  const main = q.find((x) => x.name === 'dossier-sync') || q[0];
  if (!main) return;
  state.history.push({
    t: Date.now(),
    backlog: main.waiting + main.delayed,
    completed: main.perMinute.completed,
    failed: main.perMinute.failed,
  });
  while (state.history.length > HISTORY_MAX) state.history.shift();
  try {
    sessionStorage.setItem(HISTORY_STORE, JSON.stringify(state.history));
  } catch {
    /* storage full: the chart still works for this page */
  }
}
