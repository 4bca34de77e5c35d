/** Recent lookups (identifiers masked). */
import { state, t } from './state.js';
import { $, h } from './dom.js';
import { clock, mask, ms } from './ui-format.js';

export function renderAudit() {
  const table = $('audit');
  const data = state.data.audit;
  if (!data) {
    table.replaceChildren(h('caption', { class: 'empty', text: state.data.auditError ? t('failedLoad') : t('loading') }));
    return;
  }
  if (data.items.length === 0) {
    table.replaceChildren(h('caption', { class: 'empty', text: t('noAudit') }));
    return;
  }
  const outcomeClass = { found: 'ok', not_found: 'muted', rejected: 'warn', error: 'bad', unknown: 'warn' };
  table.replaceChildren(
    h('thead', {}, h('tr', {}, ...['at', 'officer', 'dossier', 'subject', 'outcome'].map((c) => h('th', { text: t(c) })))),
    h(
      'tbody',
      {},
      ...data.items.map((a) =>
        h(
          'tr',
          { 'data-testid': 'audit-entry' },
          h('td', { class: 'mono', text: clock(a.at) }),
          h('td', { class: 'mono' }, a.officer, h('div', { class: 'sub', text: a.client })),
          h('td', { class: 'mono', text: a.dossierCode }),
          h('td', { class: 'mono' }, mask(a.subject), h('div', { class: 'sub', text: a.source })),
          h(
            'td',
            { class: 'nowrap' },
            h('span', { class: 'tag ' + (outcomeClass[a.outcome] || 'muted'), text: t('o_' + a.outcome) + ' · ' + a.status }),
            h('div', { class: 'sub', text: ms(a.latencyMs) }),
          ),
        ),
      ),
    ),
  );
}
