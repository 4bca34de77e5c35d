/**
 * Retention of the indicator facts (KPI_RETENTION_MONTHS, default 60): dossiers received longer ago
 * are deleted with their progress items, in slices so a large first run never holds a long lock.
 */
import type { Logger } from 'pino';
import type { MaintenanceTask } from '../records/records.js';

const SLICE = 10_000;

export function kpiRetention(months: number, logger: Logger): MaintenanceTask {
  return {
    name: 'kpi-retention',
    async run(pool) {
      let deleted = 0;
      for (;;) {
        // A dossier never received (no NgayTiepNhan) is dated by when it was last accepted.
        const r = await pool.query(
          `DELETE FROM kpi_dossier WHERE ma_ho_so IN (
             SELECT ma_ho_so FROM kpi_dossier
             WHERE received_at < now() - make_interval(months => $1::int)
                OR (received_at IS NULL AND accepted_at < now() - make_interval(months => $1::int))
             LIMIT ${SLICE})`,
          [months],
        );
        deleted += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < SLICE) break;
      }
      if (deleted > 0) logger.info({ deleted, months }, 'indicator facts past retention deleted');
    },
  };
}
