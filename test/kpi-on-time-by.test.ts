/**
 * The figures read "on time" from the generated column on_time_by (migration 003); this checks it
 * against the reference reading of the rules (sqlOnTimeReference) on every combination of status,
 * supplement requests and dates, at instants before, on and after each boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { migrate } from '../src/records/migrate.js';
import { createPool, type Pool } from '../src/records/pool.js';
import { sqlOnTime, sqlOnTimeReference } from '../src/kpi/rules.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const H = 3_600_000;
const D = 24 * H;
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe('on_time_by', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('kpiontime');
    pool = createPool(db.url, pino({ level: 'silent' }), { max: 2 });
    await migrate(pool);
    // Every combination: 13 statuses × 3 request counts × due date or none × end-of-handling dates × pause dates.
    await pool.query(
      `INSERT INTO kpi_dossier (ma_ho_so, revision, unit, status, received_at, due_at, finished_at, returned_at, last_progress_at,
                                supplement_requests, supplement_at, resumed_at, fee_bearing, paid_online, vneid,
                                reused_digitised, result_documents, accepted_at)
       SELECT 'U-' || row_number() OVER (), 1, 'U', st, $1::timestamptz, due, fin, ret, lst, n, sup, res, false, false, false, false, false, now()
       FROM unnest(ARRAY[NULL, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1]::smallint[]) st,
            unnest(ARRAY[0, 1, 2]) n,
            unnest(ARRAY[NULL, $2]::timestamptz[]) due,
            unnest(ARRAY[NULL, $3, $4]::timestamptz[]) fin,
            unnest(ARRAY[NULL, $5]::timestamptz[]) ret,
            unnest(ARRAY[NULL, $6]::timestamptz[]) lst,
            unnest(ARRAY[NULL, $7]::timestamptz[]) sup,
            unnest(ARRAY[NULL, $8, $9]::timestamptz[]) res`,
      [at(0), at(10 * D), at(5 * D), at(12 * D), at(11 * D), at(9 * D), at(2 * D), at(3 * D), at(4 * D + 12 * H)],
    );
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const instants = [-D, D, 9 * D, 10 * D - 1, 10 * D, 10 * D + 1, 11 * D, 11 * D + 1, 12 * D + 12 * H, 12 * D + 12 * H + 1, 13 * D, 40 * D];

  for (const zone of ['UTC', 'Asia/Ho_Chi_Minh']) {
    it(`agrees with the reference rules at every instant (session time zone ${zone})`, async () => {
      const client = await pool.connect();
      try {
        await client.query(`SET TIME ZONE '${zone}'`);
        for (const ms of instants) {
          const { rows } = await client.query<{ rows: number; on_time: number; differ: number }>(
            `SELECT count(*)::int AS rows,
                    count(*) FILTER (WHERE ${sqlOnTime('$1::timestamptz')})::int AS on_time,
                    count(*) FILTER (WHERE ${sqlOnTime('$1::timestamptz')} <> ${sqlOnTimeReference('$1::timestamptz')})::int AS differ
             FROM kpi_dossier d`,
            [at(ms)],
          );
          expect(rows[0]).toMatchObject({ rows: 13 * 3 * 2 * 3 * 2 * 2 * 2 * 3, differ: 0 });
          expect(rows[0]!.on_time).toBeGreaterThan(0);
        }
      } finally {
        client.release();
      }
    });
  }

  it('follows the row when the projection updates its dates', async () => {
    await pool.query(`UPDATE kpi_dossier SET status = 4, supplement_requests = 0, due_at = $1 WHERE ma_ho_so = 'U-1'`, [at(10 * D)]);
    const { rows } = await pool.query<{ on_time_by: Date }>(`SELECT on_time_by FROM kpi_dossier WHERE ma_ho_so = 'U-1'`);
    expect(rows[0]!.on_time_by.toISOString()).toBe(at(10 * D));
  });
});
