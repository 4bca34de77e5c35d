/**
 * The portal's timestamps: `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh, which is UTC+7 all year (no DST),
 * so a fixed offset is exact and needs no time-zone database.
 */
const OFFSET_MS = 7 * 60 * 60 * 1000;

export function toPortalTimestamp(date: Date): string {
  const local = new Date(date.getTime() + OFFSET_MS);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    pad(local.getUTCFullYear(), 4) +
    pad(local.getUTCMonth() + 1) +
    pad(local.getUTCDate()) +
    pad(local.getUTCHours()) +
    pad(local.getUTCMinutes()) +
    pad(local.getUTCSeconds())
  );
}

/** The number written by `length` digits of `value` from `from`; -1 when one of them is not a digit. */
function digitsAt(value: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  // As Date.UTC reads them: years 0-99 are 1900-1999.
  const y = year < 100 ? 1900 + year : year;
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
}

/** UTC milliseconds of a portal timestamp, or NaN when it is not a real instant written as `yyyyMMddHHmmss`. */
function portalTimestampMs(value: string): number {
  if (value.length !== 14) return Number.NaN;
  const y = digitsAt(value, 0, 4);
  const mo = digitsAt(value, 4, 2);
  const d = digitsAt(value, 6, 2);
  const h = digitsAt(value, 8, 2);
  const mi = digitsAt(value, 10, 2);
  const s = digitsAt(value, 12, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return Number.NaN;
  if (d > daysInMonth(y, mo)) return Number.NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s) - OFFSET_MS;
}

/** Parses a portal timestamp; null when it is not a real instant written as `yyyyMMddHHmmss`. */
export function fromPortalTimestamp(value: string): Date | null {
  const ms = portalTimestampMs(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** Whether `value` is a portal timestamp (called by the schema for every timestamp of every body: no allocation). */
export function isPortalTimestamp(value: string): boolean {
  return !Number.isNaN(portalTimestampMs(value));
}
