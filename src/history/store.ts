/** Reading a dossier's history from PostgreSQL, in outbox entry order, a page at a time. */
import type { QueryResultRow } from 'pg';
import type { Records } from '../records/records.js';

export interface HistoryEvent {
  /** The outbox entry id: the event's identity and order. */
  id: string;
  at: string;
  type: string;
  revision: number;
  detail: Record<string, unknown>;
}

export interface HistoryPage {
  maHoSo: string;
  events: HistoryEvent[];
  nextCursor: string | null;
}

/** A cursor is the entry id of the last event of the previous page. */
export const CURSOR = /^(\d{1,15})-(\d{1,15})$/;

export class HistoryStore {
  constructor(private readonly records: Pick<Records, 'read'>) {}

  private query<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[] = []): Promise<{ rows: R[] }> {
    return this.records.read((pool) => pool.query<R>(sql, params));
  }

  /** Events after `cursor`, oldest first; null when the dossier has no history at all. */
  async page(maHoSo: string, limit: number, cursor: string | undefined): Promise<HistoryPage | null> {
    const [ms, seq] = cursor ? cursor.split('-') : ['-1', '-1'];
    const { rows } = await this.query<{ entry_ms: number; entry_seq: number; at: Date; type: string; revision: number; detail: Record<string, unknown> }>(
      `SELECT entry_ms, entry_seq, at, type, revision, detail FROM dossier_history
        WHERE ma_ho_so = $1 AND (entry_ms, entry_seq) > ($2::bigint, $3::bigint)
        ORDER BY entry_ms, entry_seq LIMIT $4`,
      [maHoSo, ms, seq, limit + 1],
    );
    if (rows.length === 0 && !(await this.exists(maHoSo))) return null;
    const more = rows.length > limit;
    const events = rows.slice(0, limit).map((r) => ({
      id: `${r.entry_ms}-${r.entry_seq}`,
      at: r.at.toISOString(),
      type: r.type,
      revision: Number(r.revision),
      detail: r.detail ?? {},
    }));
    return { maHoSo, events, nextCursor: more ? events[events.length - 1]!.id : null };
  }

  async exists(maHoSo: string): Promise<boolean> {
    const { rows } = await this.query('SELECT 1 FROM dossier_history WHERE ma_ho_so = $1 LIMIT 1', [maHoSo]);
    return rows.length > 0;
  }

  /** Drifts recorded in the last `seconds` (the reconcile_drift alert). */
  async driftsSince(seconds: number): Promise<number> {
    const { rows } = await this.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM dossier_history WHERE type = 'drift' AND at > now() - make_interval(secs => $1)`,
      [seconds],
    );
    return rows[0]?.n ?? 0;
  }
}
