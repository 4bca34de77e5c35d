/**
 * Pure helpers of the indicators page (no DOM, no storage; unit-tested in Node): periods in local
 * time (UTC+7), colour bands of a rate against its threshold, rates as percentages.
 */

const OFFSET_MS = 7 * 3600 * 1000;

/** The period of a kind ('month' | 'quarter' | 'year') that holds `nowMs`, in Hà Nội time. */
export function periodOf(nowMs, kind) {
  const d = new Date(nowMs + OFFSET_MS);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (kind === 'year') return String(y);
  if (kind === 'quarter') return y + '-Q' + (Math.floor(m / 3) + 1);
  return y + '-' + String(m + 1).padStart(2, '0');
}

export function periodKind(label) {
  if (/^\d{4}-Q[1-4]$/.test(label)) return 'quarter';
  if (/^\d{4}$/.test(label)) return 'year';
  return 'month';
}

/** The period `delta` steps before (negative) or after a label, of the same kind. */
export function shiftPeriod(label, delta) {
  const kind = periodKind(label);
  const y = Number(label.slice(0, 4));
  if (kind === 'year') return String(y + delta);
  if (kind === 'quarter') {
    const i = y * 4 + Number(label.slice(6)) - 1 + delta;
    return Math.floor(i / 4) + '-Q' + ((i % 4) + 1);
  }
  const i = y * 12 + Number(label.slice(5, 7)) - 1 + delta;
  return Math.floor(i / 12) + '-' + String((i % 12) + 1).padStart(2, '0');
}

/** A period said for people: "Tháng 11/2026", "Quý 4/2026", "Năm 2026" (English: "November 2026", "Q4 2026"). */
export function periodTitle(label, lang) {
  const kind = periodKind(label);
  const y = label.slice(0, 4);
  if (kind === 'year') return (lang === 'en' ? 'Year ' : 'Năm ') + y;
  if (kind === 'quarter') return lang === 'en' ? 'Q' + label.slice(6) + ' ' + y : 'Quý ' + label.slice(6) + '/' + y;
  const m = Number(label.slice(5, 7));
  if (lang === 'en') return new Date(Date.UTC(Number(y), m - 1, 1)).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' }) + ' ' + y;
  return 'Tháng ' + m + '/' + y;
}

/**
 * The colour band of a rate: 'bad' below its threshold, 'warn' from the threshold up to 100 %, 'ok'
 * at 100 % (Decision 4445 asks for all of them), 'few' when too few dossiers stand behind it to judge,
 * 'none' when there is no rate.
 */
export function band(rate, threshold, count, minCount) {
  if (rate === null || rate === undefined) return 'none';
  if (count < minCount) return 'few';
  if (rate < threshold) return 'bad';
  if (rate < 1) return 'warn';
  return 'ok';
}

/** 0.725 → "72,5 %" (vi) or "72.5%" (en); null → "—". */
export function formatRate(rate, lang) {
  if (rate === null || rate === undefined) return '—';
  const v = Math.round(rate * 1000) / 10;
  return lang === 'en' ? v.toFixed(1) + '%' : v.toFixed(1).replace('.', ',') + ' %';
}

/** Units whose fully-online rate is below the threshold with enough dossiers behind it (the API's order kept). */
export function laggingUnits(units, thresholds) {
  return units.filter((u) => band(u.fullyOnlineRate, thresholds.fullyOnlineRate, u.fullyOnlineEligible, thresholds.minDossiers) === 'bad');
}

/** The message of a warning in the chosen language (the gateway writes "Vietnamese · English"). */
export function warningMessage(message, lang) {
  const parts = String(message || '').split(' · ');
  return lang === 'en' && parts.length > 1 ? parts.slice(1).join(' · ') : parts[0];
}

/** An ISO instant with its offset (`2026-11-30T23:59:59+07:00`) as written there: `23:59 30/11/2026`. */
export function localStamp(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(iso || ''));
  return m ? m[4] + ':' + m[5] + ' ' + m[3] + '/' + m[2] + '/' + m[1] : '—';
}
