/**
 * The indicators of shared/KPI.md, in the order API.md lists them (the JSON fields and the export
 * columns), and the SQL aggregates that count them over the counted dossiers of a period.
 */
import { KENH_ONLINE, SQL_FINISHED, SQL_OPEN, sqlOnTime } from './rules.js';

export const INDICATOR_FIELDS = [
  'received', 'online', 'onlineRate', 'fullyOnlineEligible', 'fullyOnline', 'fullyOnlineRate', 'finished', 'onTime',
  'onTimeRate', 'overdueOpen', 'synced', 'syncedRate', 'feeBearing', 'paidOnline', 'paidOnlineRate', 'vneid', 'vneidRate',
  'reusedDigitised', 'reusedDigitisedRate', 'eResult', 'eResultRate',
] as const;

export type Indicators = Record<(typeof INDICATOR_FIELDS)[number], number | null>;

/**
 * The counts, as SQL aggregates over the counted dossiers `d` of kpi_dossier joined to kpi_procedure
 * `p`, on time as of `asOf` (an SQL expression). One plain GROUP BY with FILTER clauses reading the
 * row's columns directly: no per-row CASE or function call beyond sqlOnTime's one comparison, so a
 * period's scan stays cheap and PostgreSQL aggregates it in parallel.
 */
export function sqlCounts(asOf: string): string {
  const onTime = sqlOnTime(asOf);
  const fullProc = `p.online = 'full'`;
  return `
  count(*)::int AS received,
  count(*) FILTER (WHERE d.channel = ${KENH_ONLINE})::int AS online,
  count(*) FILTER (WHERE ${fullProc})::int AS fully_online_eligible,
  count(*) FILTER (WHERE ${fullProc} AND d.channel = ${KENH_ONLINE})::int AS fully_online,
  count(*) FILTER (WHERE ${SQL_FINISHED})::int AS finished,
  count(*) FILTER (WHERE ${onTime})::int AS on_time,
  count(*) FILTER (WHERE ${SQL_OPEN} AND NOT ${onTime})::int AS overdue_open,
  count(*) FILTER (WHERE d.delivered_revision >= d.revision)::int AS synced,
  count(*) FILTER (WHERE d.fee_bearing)::int AS fee_bearing,
  count(*) FILTER (WHERE d.fee_bearing AND d.paid_online)::int AS paid_online,
  count(*) FILTER (WHERE d.vneid)::int AS vneid,
  count(*) FILTER (WHERE d.reused_digitised)::int AS reused_digitised,
  count(*) FILTER (WHERE ${SQL_FINISHED} AND d.result_documents)::int AS e_result`;
}

export interface CountsRow {
  received: number;
  online: number;
  fully_online_eligible: number;
  fully_online: number;
  finished: number;
  on_time: number;
  overdue_open: number;
  synced: number;
  fee_bearing: number;
  paid_online: number;
  vneid: number;
  reused_digitised: number;
  e_result: number;
}

export const ZERO: CountsRow = {
  received: 0, online: 0, fully_online_eligible: 0, fully_online: 0, finished: 0, on_time: 0, overdue_open: 0, synced: 0,
  fee_bearing: 0, paid_online: 0, vneid: 0, reused_digitised: 0, e_result: 0,
};

/** numerator / denominator, unrounded; null when the denominator is 0. */
const rate = (n: number, d: number): number | null => (d === 0 ? null : n / d);

export function indicators(r: CountsRow): Indicators {
  return {
    received: r.received,
    online: r.online,
    onlineRate: rate(r.online, r.received),
    fullyOnlineEligible: r.fully_online_eligible,
    fullyOnline: r.fully_online,
    fullyOnlineRate: rate(r.fully_online, r.fully_online_eligible),
    finished: r.finished,
    onTime: r.on_time,
    onTimeRate: rate(r.on_time, r.received),
    overdueOpen: r.overdue_open,
    synced: r.synced,
    syncedRate: rate(r.synced, r.received),
    feeBearing: r.fee_bearing,
    paidOnline: r.paid_online,
    paidOnlineRate: rate(r.paid_online, r.fee_bearing),
    vneid: r.vneid,
    vneidRate: rate(r.vneid, r.received),
    reusedDigitised: r.reused_digitised,
    reusedDigitisedRate: rate(r.reused_digitised, r.received),
    eResult: r.e_result,
    eResultRate: rate(r.e_result, r.finished),
  };
}

/**
 * An estimate of the part of the 766 score computable from synced data (shared/KPI.md "Points"):
 * each indicator scores max × min(1, rate / threshold); an indicator without a rate scores nothing.
 */
export function pointsEstimate(i: Indicators): { total: number; max: number } {
  const parts: Array<[number | null, number, number]> = [
    [i.onTimeRate, 20, 1],
    [i.paidOnlineRate, 6, 1],
    [i.eResultRate, 6, 1],
    [i.reusedDigitisedRate, 2, 0.8],
    [i.vneidRate, 2, 1],
    [i.fullyOnlineRate, 12, 1],
  ];
  let total = 0;
  let max = 0;
  for (const [r, points, threshold] of parts) {
    max += points;
    if (r !== null) total += points * Math.min(1, r / threshold);
  }
  return { total: Math.round(total * 100) / 100, max };
}

/** Units ascending by fully-online rate, nulls last, then by code. */
export function byFullyOnlineRate<T extends { unit: string; fullyOnlineRate: number | null }>(a: T, b: T): number {
  if (a.fullyOnlineRate !== b.fullyOnlineRate) {
    if (a.fullyOnlineRate === null) return 1;
    if (b.fullyOnlineRate === null) return -1;
    return a.fullyOnlineRate - b.fullyOnlineRate;
  }
  return a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0;
}
