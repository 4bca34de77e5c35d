/** The two pages of the dashboard, operations and indicators (#kpi), and which one is shown. */
import { state } from './state.js';
import { $ } from './dom.js';
import { refresh } from './session.js';
import { renderAll } from './render.js';
import { refreshKpi } from './kpi-page.js';

export function showPage() {
  const onKpi = state.page === 'kpi';
  $('board').hidden = onKpi;
  $('kpi-page').hidden = !onKpi;
  $('updated').hidden = onKpi;
  $('board-link').hidden = onKpi || !state.canSeeOps;
  $('nav-ops').hidden = !state.canSeeOps;
  for (const b of document.querySelectorAll('#nav button')) b.setAttribute('aria-current', String(b.dataset.page === state.page));
  renderAll();
  if (onKpi) refreshKpi();
  else refresh();
}

export function goTo(page) {
  state.page = page === 'kpi' || !state.canSeeOps ? 'kpi' : 'ops';
  const hash = state.page === 'kpi' ? '#kpi' : '';
  if (location.hash !== hash) history.replaceState(null, '', location.pathname + location.search + hash);
  if (state.key) showPage();
}
