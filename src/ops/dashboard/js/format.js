/**
 * Pure helpers of the dashboard: no DOM, no storage, so they are unit-tested in Node
 * (test/dashboard-helpers.test.ts) and shared by every page.
 */

/** `key` in the language's table, else in Vietnamese, else the key itself; `{name}` replaced by vars. */
export function translate(tables, lang, key, vars) {
  const table = tables[lang] || tables.vi;
  let text = key in table ? table[key] : key in tables.vi ? tables.vi[key] : key;
  if (vars) for (const [k, v] of Object.entries(vars)) text = text.split('{' + k + '}').join(String(v));
  return text;
}

/** Number, time and duration formatters for a language (`getLang()` read at each call); `t` translates units. */
export function makeFormatters(getLang, t, now = () => Date.now()) {
  const locale = () => (getLang() === 'en' ? 'en-GB' : 'vi-VN');
  const num = (n) => (n === null || n === undefined ? '—' : new Intl.NumberFormat(locale()).format(n));
  function clock(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    const sameDay = new Date(now()).toDateString() === d.toDateString();
    const opts = sameDay ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' };
    return d.toLocaleString(locale(), opts);
  }
  function ago(iso) {
    if (!iso) return '';
    const sec = Math.max(0, Math.round((now() - new Date(iso).getTime()) / 1000));
    if (sec < 90) return t('agoS', { n: sec });
    if (sec < 5400) return t('agoM', { n: Math.round(sec / 60) });
    return t('agoH', { n: Math.round(sec / 3600) });
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 120) return t('s', { n: num(Math.round(seconds)) });
    if (seconds < 7200) return t('m', { n: num(Math.round(seconds / 60)) });
    return t('hr', { n: num(Math.round(seconds / 360) / 10) });
  }
  const ms = (v) => (v === null || v === undefined ? '—' : t('ms', { n: num(Math.round(v)) }));
  return { locale, num, clock, ago, duration, ms };
}

/** Identification numbers are personal data and the screen may be seen by the public: keep the last 4. */
export function mask(subject) {
  const str = String(subject || '');
  return str.length <= 4 ? '••••' : '•'.repeat(Math.min(8, str.length - 4)) + str.slice(-4);
}

/** A round top for a count axis whose half is a whole number too (4, 6, 8, 10, 20, 40, …). */
export function niceMax(v) {
  if (v <= 4) return 4;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 4, 6, 8, 10]) if (m * p >= v && (m * p) % 2 === 0) return m * p;
  return 10 * p;
}
