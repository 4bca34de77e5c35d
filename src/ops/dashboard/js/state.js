/** What the page knows: the key, the last answers, the rolling history; the translator bound to the chosen language. */
import { I18N } from './i18n.js';
import { translate } from './format.js';

export const REFRESH_MS = 5000;
export const STALE_MS = 15000;
export const HISTORY_MAX = 360; // 30 min at one sample per 5 s
export const KEY_STORE = 'gw.ops.apiKey';
export const HISTORY_STORE = 'gw.ops.history';
export const LANG_STORE = 'gw.ops.lang';

export const state = {
  lang: readLang(),
  key: sessionStorage.getItem(KEY_STORE),
  who: null,
  canAct: false,
  /** GET /v1/sources: name, kind, label {vi, en}, path of each sector source. */
  sources: [],
  data: {},
  lastOk: 0,
  okAt: {},
  history: readHistory(),
  timer: null,
  inFlight: false,
  confirmAll: null,
  /** 'ops' (operations) or 'kpi' (indicators), from the address's #fragment. */
  page: location.hash === '#kpi' ? 'kpi' : 'ops',
  /** Whether the key may see the operations page (ops-read); a `kpi`-only key sees the indicators only. */
  canSeeOps: true,
};

export function t(key, vars) {
  return translate(I18N, state.lang, key, vars);
}

/** A page adds its own texts ({vi: {...}, en: {...}}) so each page keeps its words next to its code. */
export function addTexts(tables) {
  for (const [lang, table] of Object.entries(tables)) Object.assign((I18N[lang] ??= {}), table);
}

export function readLang() {
  const v = localStorage.getItem(LANG_STORE);
  return v === 'en' ? 'en' : 'vi';
}
export function readHistory() {
  try {
    const v = JSON.parse(sessionStorage.getItem(HISTORY_STORE) || '[]');
    return Array.isArray(v) ? v.slice(-HISTORY_MAX) : [];
  } catch {
    return [];
  }
}
