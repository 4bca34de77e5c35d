/*
 * Operations dashboard: plain browser JavaScript as native ES modules, no build step, nothing loaded
 * from elsewhere. Reads the /v1/ops JSON API every 5 s with the API key kept in sessionStorage (Bearer
 * header), keeps a rolling history for the chart, and offers replays to keys holding the `ops` role.
 * Text from the gateway (portal messages, identifiers) is only ever set as textContent.
 *
 * Modules: format.js (pure helpers, unit-tested), i18n.js (texts), state.js, dom.js, api.js,
 * session.js (sign-in, refresh loop), render.js (+ one module per panel), main.js (this: wiring).
 */
import { LANG_STORE, state, t } from './state.js';
import { $ } from './dom.js';
import { ApiError } from './api.js';
import { refresh, showSignIn, signIn, signOut } from './session.js';
import { applyStaticText, renderAll, renderUpdated, renderVerdict } from './render.js';
import { renderChart } from './chart.js';
import { replayAll } from './dead-letters.js';
import { goTo } from './pages.js';
import { refreshKpi, wireKpi } from './kpi-page.js';
import { startReconcilePanel } from './reconcile.js';

export function start() {
  applyStaticText();
  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = $('apikey').value.trim();
    if (!key) return;
    const btn = $('signin-submit');
    btn.disabled = true;
    btn.textContent = t('signingIn');
    try {
      await signIn(key);
    } catch (e) {
      const msg = e instanceof ApiError ? (e.status === 401 ? t('badKey') : e.status === 403 ? t('noRole') : e.message) : t('unreachable');
      showSignIn(msg);
    } finally {
      btn.disabled = false;
      btn.textContent = t('signIn');
    }
  });
  $('signout').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => (state.page === 'kpi' ? refreshKpi() : refresh()));
  for (const b of document.querySelectorAll('#nav button')) b.addEventListener('click', () => goTo(b.dataset.page));
  window.addEventListener('hashchange', () => goTo(location.hash === '#kpi' ? 'kpi' : 'ops'));
  wireKpi();
  $('replay-all').addEventListener('click', () => replayAll());
  startReconcilePanel();
  for (const b of document.querySelectorAll('.lang button')) {
    b.addEventListener('click', () => {
      state.lang = b.dataset.lang === 'en' ? 'en' : 'vi';
      localStorage.setItem(LANG_STORE, state.lang);
      renderAll();
    });
  }
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !state.key) return;
    if (state.page === 'kpi') refreshKpi();
    else refresh();
  });
  window.addEventListener('resize', () => state.key && renderChart());
  // Ages ("3 min ago") and the staleness banner move on even while a request hangs.
  setInterval(() => {
    if (state.key && state.lastOk) {
      renderUpdated();
      renderVerdict();
    }
  }, 1000);

  if (state.key) {
    signIn(state.key).catch((e) => {
      if (e instanceof ApiError) signOut(e.status === 403 ? t('noRole') : t('sessionEnded'));
      else showSignIn(t('unreachable'));
    });
  } else {
    showSignIn();
  }
}

start();
