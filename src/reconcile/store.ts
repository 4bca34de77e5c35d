/**
 * Reconciliation's tables in PostgreSQL (migration 021): per-dossier expectations and check times,
 * the copies a repair resends, on-demand runs and their items, and hourly figures.
 */
import type { QueryResultRow } from 'pg';
import type { Records } from '../records/records.js';
import type { ExpectedFields, FieldDrift } from './compare.js';

export interface ReconcileDossier {
  maHoSo: string;
  acceptedRevision: number;
  deliveredRevision: number | null;
  expected: ExpectedFields | null;
  expectedRevision: number | null;
  driftOpen: boolean;
  lastDrift: DriftDetail | null;
  driftFoundAt: Date | null;
  repairedAt: Date | null;
}

export type DriftDetail = { fields: FieldDrift[] } | { missing: true };

export interface RunFilter {
  maHoSo?: string;
  /** yyyyMMdd, inclusive, on NgayTiepNhan's local date. */
  receivedFrom?: string;
  receivedTo?: string;
}

export interface RunFigures {
  id: string;
  state: 'running' | 'done';
  queued: number;
  checked: number;
  matched: number;
  drifted: number;
  repaired: number;
  failed: number;
}

export interface RunItem {
  runId: string;
  maHoSo: string;
  outcome: 'matched' | 'drifted' | 'failed' | null;
  repairAttempts: number;
  deferredSince: Date | null;
  /** When the run was asked for: a drift found since then by anyone is this run's drift too. */
  runCreatedAt: Date;
}

export type CheckOutcome = 'matched' | 'drifted' | 'failed';

/** A delivered dossier whose portal copy can be checked: its expectation is of the delivered revision. */
const ELIGIBLE = 'delivered_revision IS NOT NULL AND expected_revision = delivered_revision';

const NOT_IN_RUN = 'NOT EXISTS (SELECT 1 FROM reconcile_run_items i WHERE i.ma_ho_so = d.ma_ho_so AND NOT i.settled)';

const toDate = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;

export class ReconcileStore {
  constructor(private readonly records: Pick<Records, 'read' | 'write'>) {}

  /** One statement; PostgreSQL unset, down or not migrated → RecordsUnavailable (503). */
  private query<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[] = []): Promise<{ rows: R[]; rowCount: number | null }> {
    return this.records.read((pool) => pool.query<R>(sql, params));
  }

  async dossier(maHoSo: string): Promise<ReconcileDossier | null> {
    const { rows } = await this.query(
      `SELECT ma_ho_so, accepted_revision, delivered_revision, expected, expected_revision, drift_open, last_drift, drift_found_at, repaired_at
         FROM reconcile_dossiers WHERE ma_ho_so = $1`,
      [maHoSo],
    );
    const r = rows[0] as Record<string, unknown> | undefined;
    if (!r) return null;
    return {
      maHoSo,
      acceptedRevision: Number(r.accepted_revision),
      deliveredRevision: r.delivered_revision === null ? null : Number(r.delivered_revision),
      expected: (r.expected as ExpectedFields | null) ?? null,
      expectedRevision: r.expected_revision === null ? null : Number(r.expected_revision),
      driftOpen: r.drift_open === true,
      lastDrift: (r.last_drift as DriftDetail | null) ?? null,
      driftFoundAt: (r.drift_found_at as Date | null) ?? null,
      repairedAt: (r.repaired_at as Date | null) ?? null,
    };
  }

  /**
   * Open drifts not checked for `driftAgeMs`, then the least recently checked delivered dossiers not
   * checked for `recheckAgeMs`; none that a run is about to check. The portal's acknowledgement of a
   * delivery counts as a check: a dossier is first checked `recheckAgeMs` after its delivery.
   */
  async due(limit: number, driftAgeMs: number, recheckAgeMs: number, skip: readonly string[]): Promise<string[]> {
    const drifting = await this.query<{ ma_ho_so: string }>(
      `SELECT ma_ho_so FROM reconcile_dossiers d
        WHERE drift_open AND ${ELIGIBLE} AND (checked_at IS NULL OR checked_at < now() - make_interval(secs => $2))
          AND NOT (ma_ho_so = ANY($3::text[])) AND ${NOT_IN_RUN}
        ORDER BY checked_at LIMIT $1`,
      [limit, driftAgeMs / 1000, skip],
    );
    const out = drifting.rows.map((r) => r.ma_ho_so);
    if (out.length >= limit) return out;
    const rest = await this.query<{ ma_ho_so: string }>(
      `SELECT ma_ho_so FROM reconcile_dossiers d
        WHERE ${ELIGIBLE} AND COALESCE(checked_at, delivered_at) < now() - make_interval(secs => $3)
          AND NOT (ma_ho_so = ANY($2::text[])) AND ${NOT_IN_RUN}
        ORDER BY COALESCE(checked_at, delivered_at) LIMIT $1`,
      [limit - out.length, [...skip, ...out], recheckAgeMs / 1000],
    );
    return [...out, ...rest.rows.map((r) => r.ma_ho_so)];
  }

  /** The data of `revision` as the sync state stored it (packed), or null when no copy is kept. */
  async copy(maHoSo: string, revision: number): Promise<Buffer | null> {
    const { rows } = await this.query<{ data: Buffer }>('SELECT data FROM dossier_copies WHERE ma_ho_so = $1 AND revision = $2', [maHoSo, revision]);
    return rows[0]?.data ?? null;
  }

  /** Records a check of the portal's copy, and the drift state it leaves the dossier in. */
  async checked(maHoSo: string, state: { driftOpen: boolean; lastDrift?: DriftDetail | null; newDrift?: boolean; repaired?: boolean }): Promise<void> {
    await this.query(
      `UPDATE reconcile_dossiers SET checked_at = now(), drift_open = $2, last_drift = COALESCE($3::jsonb, last_drift),
              drift_found_at = CASE WHEN $4 THEN now() ELSE drift_found_at END,
              repaired_at = CASE WHEN $5 THEN now() ELSE repaired_at END
        WHERE ma_ho_so = $1`,
      [maHoSo, state.driftOpen, state.lastDrift === undefined || state.lastDrift === null ? null : JSON.stringify(state.lastDrift), state.newDrift ?? false, state.repaired ?? false],
    );
  }

  /** A check without an answer still takes the dossier to the back of the line. */
  async touch(maHoSo: string): Promise<void> {
    await this.query('UPDATE reconcile_dossiers SET checked_at = now() WHERE ma_ho_so = $1', [maHoSo]);
  }

  /** Adds to this hour's figures. */
  async count(delta: Partial<Record<'checked' | 'matched' | 'drifted' | 'failed' | 'repaired', number>>): Promise<void> {
    await this.query(
      `INSERT INTO reconcile_hourly (hour, checked, matched, drifted, failed, repaired)
       VALUES (date_trunc('hour', now()), $1, $2, $3, $4, $5)
       ON CONFLICT (hour) DO UPDATE SET
         checked = reconcile_hourly.checked + EXCLUDED.checked, matched = reconcile_hourly.matched + EXCLUDED.matched,
         drifted = reconcile_hourly.drifted + EXCLUDED.drifted, failed = reconcile_hourly.failed + EXCLUDED.failed,
         repaired = reconcile_hourly.repaired + EXCLUDED.repaired`,
      [delta.checked ?? 0, delta.matched ?? 0, delta.drifted ?? 0, delta.failed ?? 0, delta.repaired ?? 0],
    );
  }

  /** Figures of the last 24 hours (whole hours, the current one included). */
  async last24h(): Promise<{ checked: number; matched: number; drifted: number; failed: number; repaired: number }> {
    const { rows } = await this.query(
      `SELECT COALESCE(sum(checked), 0)::int AS checked, COALESCE(sum(matched), 0)::int AS matched,
              COALESCE(sum(drifted), 0)::int AS drifted, COALESCE(sum(failed), 0)::int AS failed,
              COALESCE(sum(repaired), 0)::int AS repaired
         FROM reconcile_hourly WHERE hour > now() - interval '24 hours'`,
    );
    const r = rows[0] as Record<string, number>;
    return { checked: r.checked!, matched: r.matched!, drifted: r.drifted!, failed: r.failed!, repaired: r.repaired! };
  }

  /** Creates a run over the delivered dossiers the filter selects; returns how many it queued. */
  async createRun(id: string, by: string, filter: RunFilter): Promise<number> {
    const where = [ELIGIBLE.replace(/(delivered_revision|expected_revision)/g, 'd.$1')];
    const params: unknown[] = [id];
    if (filter.maHoSo !== undefined) {
      params.push(filter.maHoSo);
      where.push(`d.ma_ho_so = $${params.length}`);
    }
    if (filter.receivedFrom !== undefined) {
      params.push(toDate(filter.receivedFrom));
      where.push(`d.received_on >= $${params.length}::date`);
    }
    if (filter.receivedTo !== undefined) {
      params.push(toDate(filter.receivedTo));
      where.push(`d.received_on <= $${params.length}::date`);
    }
    return this.records.write(async (client) => {
      await client.query('INSERT INTO reconcile_runs (id, requested_by, filter, queued) VALUES ($1, $2, $3, 0)', [id, by, JSON.stringify(filter)]);
      const inserted = await client.query(
        `INSERT INTO reconcile_run_items (run_id, ma_ho_so) SELECT $1, d.ma_ho_so FROM reconcile_dossiers d WHERE ${where.join(' AND ')}`,
        params,
      );
      const queued = inserted.rowCount ?? 0;
      await client.query(`UPDATE reconcile_runs SET queued = $2, open = $2, finished_at = CASE WHEN $2 = 0 THEN now() END WHERE id = $1`, [id, queued]);
      return queued;
    });
  }

  async run(id: string): Promise<RunFigures | null> {
    const { rows } = await this.query('SELECT queued, checked, matched, drifted, repaired, failed, open FROM reconcile_runs WHERE id = $1', [id]);
    const r = rows[0] as Record<string, number> | undefined;
    if (!r) return null;
    return {
      id,
      state: Number(r.open) === 0 ? 'done' : 'running',
      queued: Number(r.queued),
      checked: Number(r.checked),
      matched: Number(r.matched),
      drifted: Number(r.drifted),
      repaired: Number(r.repaired),
      failed: Number(r.failed),
    };
  }

  /** The most recent runs, newest first, with their figures. */
  async recentRuns(limit: number): Promise<Array<RunFigures & { createdAt: string; requestedBy: string; filter: RunFilter }>> {
    const { rows } = await this.query<{ id: string; created_at: Date; requested_by: string; filter: RunFilter }>(
      'SELECT id, created_at, requested_by, filter FROM reconcile_runs ORDER BY created_at DESC LIMIT $1',
      [limit],
    );
    const out = [];
    for (const r of rows) {
      const figures = await this.run(r.id);
      if (figures) out.push({ ...figures, createdAt: r.created_at.toISOString(), requestedBy: r.requested_by, filter: r.filter });
    }
    return out;
  }

  /** Run items whose turn has come, oldest first. */
  async dueItems(limit: number, skip: readonly string[]): Promise<RunItem[]> {
    const { rows } = await this.query(
      `SELECT i.run_id, i.ma_ho_so, i.outcome, i.repair_attempts, i.deferred_since, r.created_at
         FROM reconcile_run_items i JOIN reconcile_runs r ON r.id = i.run_id
        WHERE NOT i.settled AND i.next_at <= now() AND NOT (i.ma_ho_so = ANY($2::text[]))
        ORDER BY i.next_at LIMIT $1`,
      [limit, skip],
    );
    return (rows as Array<Record<string, unknown>>).map((r) => ({
      runId: String(r.run_id),
      maHoSo: String(r.ma_ho_so),
      outcome: (r.outcome as RunItem['outcome']) ?? null,
      repairAttempts: Number(r.repair_attempts),
      deferredSince: (r.deferred_since as Date | null) ?? null,
      runCreatedAt: r.created_at as Date,
    }));
  }

  /**
   * Updates a run item: its outcome once checked, whether it was repaired, and either settled or due
   * again after `retryInMs`.
   */
  async updateItem(
    item: Pick<RunItem, 'runId' | 'maHoSo'>,
    change: { outcome?: CheckOutcome; repaired?: boolean; repairAttempt?: boolean; settled: boolean; retryInMs?: number; deferred?: boolean },
  ): Promise<void> {
    await this.records.write(async (client) => {
      const before = await client.query<{ outcome: CheckOutcome | null; repaired: boolean; settled: boolean }>(
        'SELECT outcome, repaired, settled FROM reconcile_run_items WHERE run_id = $1 AND ma_ho_so = $2 FOR UPDATE',
        [item.runId, item.maHoSo],
      );
      const old = before.rows[0];
      if (!old) return;
      const outcome = old.outcome ?? change.outcome ?? null;
      const repaired = old.repaired || (change.repaired ?? false);
      await client.query(
        `UPDATE reconcile_run_items SET
           outcome = $3, repaired = $4, repair_attempts = repair_attempts + $5,
           settled = $6, next_at = now() + make_interval(secs => $7),
           deferred_since = CASE WHEN $8 THEN COALESCE(deferred_since, now()) ELSE NULL END
         WHERE run_id = $1 AND ma_ho_so = $2`,
        [item.runId, item.maHoSo, outcome, repaired, change.repairAttempt ? 1 : 0, change.settled, (change.retryInMs ?? 0) / 1000, change.deferred ?? false],
      );
      const counted = old.outcome === null && outcome !== null;
      const d = {
        checked: counted ? 1 : 0,
        matched: counted && outcome === 'matched' ? 1 : 0,
        drifted: counted && outcome === 'drifted' ? 1 : 0,
        failed: counted && outcome === 'failed' ? 1 : 0,
        repaired: !old.repaired && repaired ? 1 : 0,
        settled: !old.settled && change.settled ? 1 : 0,
      };
      if (Object.values(d).every((v) => v === 0)) return;
      await client.query(
        `UPDATE reconcile_runs SET checked = checked + $2, matched = matched + $3, drifted = drifted + $4, failed = failed + $5,
                repaired = repaired + $6, open = open - $7, finished_at = CASE WHEN open - $7 = 0 THEN now() ELSE finished_at END
          WHERE id = $1`,
        [item.runId, d.checked, d.matched, d.drifted, d.failed, d.repaired, d.settled],
      );
    });
  }
}
