/**
 * Periods of the indicators: a month `YYYY-MM`, a quarter `YYYY-Q1`…`YYYY-Q4` or a year `YYYY`, in
 * local time (Asia/Ho_Chi_Minh, UTC+7 all year), and the instants they are shown with (`+07:00`).
 */
import { ValidationFailed } from '../domain/errors.js';

const OFFSET_MS = 7 * 3_600_000;

export interface Period {
  /** The period as asked (`2026-11`, `2026-Q4`, `2026`). */
  label: string;
  /** The first instant of the period. */
  from: Date;
  /** The first instant after it. */
  until: Date;
}

const localMidnight = (y: number, monthIndex: number) => new Date(Date.UTC(y, monthIndex, 1) - OFFSET_MS);

/** The period a label names; undefined when the label is not one. */
export function periodOf(label: string): Period | undefined {
  let m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(label);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]) - 1;
    return { label, from: localMidnight(y, mo), until: localMidnight(y, mo + 1) };
  }
  m = /^(\d{4})-Q([1-4])$/.exec(label);
  if (m) {
    const y = Number(m[1]);
    const q = Number(m[2]) - 1;
    return { label, from: localMidnight(y, q * 3), until: localMidnight(y, q * 3 + 3) };
  }
  m = /^(\d{4})$/.exec(label);
  if (m) {
    const y = Number(m[1]);
    return { label, from: localMidnight(y, 0), until: localMidnight(y + 1, 0) };
  }
  return undefined;
}

/** The local calendar month that holds `now`. */
export function currentMonth(now: Date): Period {
  const local = new Date(now.getTime() + OFFSET_MS);
  const label = `${String(local.getUTCFullYear()).padStart(4, '0')}-${String(local.getUTCMonth() + 1).padStart(2, '0')}`;
  return periodOf(label)!;
}

/** `?period=`: absent means the current month; anything else not a period is 400 invalid_query. */
export function parsePeriod(raw: unknown, now: Date): Period {
  if (raw === undefined) return currentMonth(now);
  const p = typeof raw === 'string' ? periodOf(raw) : undefined;
  if (!p || p.from.getTime() < Date.UTC(1970, 0, 1)) {
    throw new ValidationFailed('invalid_query', 'period must be a month YYYY-MM, a quarter YYYY-Q1…YYYY-Q4 or a year YYYY', [
      { path: 'period', message: 'must be YYYY-MM, YYYY-Qn or YYYY' },
    ]);
  }
  return p;
}

/** The period's last second (`to`). */
export const lastSecond = (p: Period): Date => new Date(p.until.getTime() - 1_000);

/** asOf: the earlier of now and the end of the period, in whole seconds. */
export function asOf(p: Period, now: Date): Date {
  const floored = Math.floor(now.getTime() / 1_000) * 1_000;
  return new Date(Math.min(floored, lastSecond(p).getTime()));
}

/** An instant as ISO-8601 in local time, whole seconds: `2026-11-01T00:00:00+07:00`. */
export function localIso(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1_000) * 1_000 + OFFSET_MS).toISOString().slice(0, 19) + '+07:00';
}

export function periodJson(p: Period): { label: string; from: string; to: string } {
  return { label: p.label, from: localIso(p.from), to: localIso(lastSecond(p)) };
}
