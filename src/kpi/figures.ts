/**
 * The figures of a period, computed in PostgreSQL: one scan of the period's counted dossiers (index
 * on received_at, or on unit and received_at), aggregated per unit or per procedure in one GROUP BY
 * (the catalogue, a few thousand rows, joined by hash). The total is the
 * sum of those rows (every dossier is in exactly one group), added up in Node over at most a few
 * hundred rows: a plain GROUP BY lets PostgreSQL aggregate in parallel, GROUPING SETS would not.
 */
import { inTransaction, type Pool } from '../records/pool.js';
import { sqlCounts, ZERO, type CountsRow } from './indicators.js';
import { SQL_COUNTED, sqlOnTime } from './rules.js';
import type { Period } from './period.js';

export interface GroupRow extends CountsRow {
  key: string | null;
}

/** The total of group rows: each count is a sum, the groups being disjoint. */
export function sumRows(rows: readonly CountsRow[]): CountsRow {
  const total = { ...ZERO };
  for (const r of rows) for (const k of Object.keys(total) as Array<keyof CountsRow>) total[k] += r[k];
  return total;
}

/**
 * Counts per unit (groupBy 'unit') or per procedure of one unit ('ma_tthc').
 *
 * The period's rows are read by a bitmap scan of the index (each heap page once, in order): rows
 * are stored in arrival order, so the planner, seeing the index perfectly correlated, would pick a
 * plain index scan, which visits the heap page again for every row of it and costs about a third
 * more. JIT compilation is off too: it starts on a year's figures (2 M rows) and costs more to
 * compile (~120 ms) than it saves. SET LOCAL keeps both to this one statement.
 */
export async function countsBy(pool: Pool, period: Period, asOf: Date, groupBy: 'unit' | 'ma_tthc', unit?: string): Promise<GroupRow[]> {
  const params: unknown[] = [period.from.toISOString(), period.until.toISOString(), asOf.toISOString()];
  let unitFilter = '';
  if (unit !== undefined) {
    params.push(unit);
    unitFilter = `AND d.unit = $4`;
  }
  return inTransaction(pool, async (client) => {
    await client.query('SET LOCAL enable_indexscan = off; SET LOCAL jit = off');
    const { rows } = await client.query<GroupRow>(
      `SELECT d.${groupBy} AS key, ${sqlCounts('$3::timestamptz')}
       FROM kpi_dossier d LEFT JOIN kpi_procedure p ON p.ma_tthc = d.ma_tthc
       WHERE d.received_at >= $1::timestamptz AND d.received_at < $2::timestamptz AND ${SQL_COUNTED} ${unitFilter}
       GROUP BY d.${groupBy}`,
      params,
    );
    return rows;
  });
}

export interface DossierWarningRow {
  ma_ho_so: string;
  unit: string;
  ma_tthc: string | null;
  due_at: Date | null;
  on_time: boolean;
}

/** Counted open dossiers that are overdue, or on time and due within `dueSoonHours` after asOf. */
export async function dossierWarningRows(pool: Pool, period: Period, asOf: Date, dueSoonHours: number, unit?: string): Promise<DossierWarningRow[]> {
  const params: unknown[] = [period.from.toISOString(), period.until.toISOString(), asOf.toISOString(), dueSoonHours * 3_600];
  let unitFilter = '';
  if (unit !== undefined) {
    params.push(unit);
    unitFilter = `AND d.unit = $5`;
  }
  const { rows } = await pool.query<DossierWarningRow>(
    `SELECT * FROM (
       SELECT d.ma_ho_so, d.unit, d.ma_tthc, d.due_at, d.status, ${sqlOnTime('$3::timestamptz')} AS on_time
       FROM kpi_dossier d
       WHERE d.status IN (2, 4, 5, 6) AND d.received_at >= $1::timestamptz AND d.received_at < $2::timestamptz ${unitFilter}
     ) w
     WHERE NOT w.on_time
        OR (w.status IN (2, 4, 6) AND w.due_at <= $3::timestamptz + make_interval(secs => $4::float8))
     ORDER BY w.due_at NULLS LAST, w.ma_ho_so COLLATE "C"`,
    params,
  );
  return rows;
}

/** Whether a unit has ever had a dossier projected (any period, any status). */
export async function unitKnown(pool: Pool, unit: string): Promise<boolean> {
  const { rows } = await pool.query<{ known: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM kpi_unit WHERE code = $1) OR EXISTS (SELECT 1 FROM kpi_dossier WHERE unit = $1) AS known`,
    [unit],
  );
  return rows[0]?.known ?? false;
}
