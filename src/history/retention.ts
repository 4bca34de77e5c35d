/**
 * Retention of the history and of the reconciliation tables, as a scheduled delete that stays cheap on
 * a large table: rows leave in batches picked by an index (the history's primary key starts with the
 * entry time), each batch its own short statement, so no long transaction holds locks or bloats.
 */
import type { Pool } from '../records/pool.js';

export interface RetentionSettings {
  /** Days history events and per-dossier reconciliation rows are kept (HISTORY_RETENTION_DAYS). */
  historyDays: number;
  /** Days the full dossier copies kept for repairs are kept (DOSSIER_COPY_RETENTION_DAYS). */
  copyDays: number;
  /** Days finished on-demand runs and hourly figures are kept. */
  runDays: number;
}

const BATCH = 5_000;
/** Batches of one table in one pass; the rest waits for the next pass. */
const MAX_BATCHES = 200;

export interface RetentionResult {
  history: number;
  dossiers: number;
  copies: number;
  runs: number;
}

export async function enforceRetention(pool: Pool, settings: RetentionSettings, nowMs = Date.now()): Promise<RetentionResult> {
  const day = 86_400_000;
  const historyCutoffMs = nowMs - settings.historyDays * day;
  const history = await batched(pool, (limit) => [
    `DELETE FROM dossier_history WHERE (entry_ms, entry_seq) IN (
       SELECT entry_ms, entry_seq FROM dossier_history WHERE entry_ms < $1 ORDER BY entry_ms, entry_seq LIMIT $2)`,
    [historyCutoffMs, limit],
  ]);
  const historyCutoff = new Date(historyCutoffMs).toISOString();
  const dossiers = await batched(pool, (limit) => [
    `DELETE FROM reconcile_dossiers WHERE ma_ho_so IN (
       SELECT ma_ho_so FROM reconcile_dossiers WHERE updated_at < $1 ORDER BY updated_at LIMIT $2)`,
    [historyCutoff, limit],
  ]);
  const copyCutoff = new Date(nowMs - settings.copyDays * day).toISOString();
  const copies = await batched(pool, (limit) => [
    `DELETE FROM dossier_copies WHERE (ma_ho_so, revision) IN (
       SELECT ma_ho_so, revision FROM dossier_copies WHERE stored_at < $1 ORDER BY stored_at LIMIT $2)`,
    [copyCutoff, limit],
  ]);
  const runCutoff = new Date(nowMs - settings.runDays * day).toISOString();
  const runs = await batched(pool, (limit) => [
    `DELETE FROM reconcile_runs WHERE id IN (
       SELECT id FROM reconcile_runs WHERE created_at < $1 AND finished_at IS NOT NULL ORDER BY created_at LIMIT $2)`,
    [runCutoff, limit],
  ]);
  await pool.query('DELETE FROM reconcile_hourly WHERE hour < $1', [runCutoff]);
  return { history, dossiers, copies, runs };
}

async function batched(pool: Pool, statement: (limit: number) => [string, unknown[]]): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const [sql, params] = statement(BATCH);
    const { rowCount } = await pool.query(sql, params);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < BATCH) break;
  }
  return total;
}
