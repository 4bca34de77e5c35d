/**
 * The outbox handler of the dossier history and of what reconciliation needs, run by the drainer
 * inside its transaction (docs/outbox.md). Every statement is set-based over the batch and idempotent:
 * history rows are keyed by entry id, copies by (dossier, revision), and the per-dossier row only moves
 * forward (a lower revision never overwrites a higher one), so a batch copied twice changes nothing.
 */
import type { PoolClient } from '../records/pool.js';
import type { OutboxEvent } from '../records/outbox-events.js';
import { parseJson } from '../domain/json.js';
import { compactDossier, unpackDossier } from '../sync/compression.js';
import { pickCompared, receivedOn, type ExpectedFields } from '../reconcile/compare.js';

/** Event types the history shows; an unknown type is recorded too, with its detail (more may come). */
export const HISTORY_TYPES = ['accepted', 'delivered', 'progress_delivered', 'dead_letter', 'replayed', 'drift', 'repaired'] as const;

interface Copy {
  maHoSo: string;
  revision: number;
  data: Buffer;
  fields: ExpectedFields;
  receivedOn: string | null;
  at: number;
}

export async function handleOutboxBatch(client: PoolClient, events: readonly OutboxEvent[]): Promise<void> {
  const about = events.filter((e) => e.maHoSo !== '' && /^\d+-\d+$/.test(e.id));
  if (about.length === 0) return;
  const copies = new Map<string, Copy>();
  for (const e of about) {
    if (e.type !== 'accepted' || e.data === null) continue;
    const copy = decodeCopy(e);
    if (copy) copies.set(e.id, copy);
  }
  await insertHistory(client, about, copies);
  await insertCopies(client, [...copies.values()]);
  await recordAccepted(client, about);
  await recordDelivered(client, about);
}

function decodeCopy(e: OutboxEvent): Copy | null {
  let dossier: unknown;
  try {
    dossier = parseJson(unpackDossier(e.data!));
  } catch {
    // A copy that cannot be read cannot be resent; the history still records the acceptance.
    return null;
  }
  if (typeof dossier !== 'object' || dossier === null || Array.isArray(dossier)) return null;
  const fields = pickCompared(dossier as Record<string, unknown>);
  // Stored for a year: deflated even when the sync state held it plain (compression.ts).
  return { maHoSo: e.maHoSo, revision: e.revision, data: compactDossier(e.data!), fields, receivedOn: receivedOn(fields), at: e.at };
}

/** What an event's history row says: counts, codes and the portal's answer, never the dossier's data. */
function detailOf(e: OutboxEvent, copy: Copy | undefined): Record<string, unknown> {
  if (e.type === 'accepted') {
    const detail: Record<string, unknown> = { items: e.progress.length };
    const status = copy?.fields.TrangThaiHoSo;
    if (typeof status === 'number' || typeof status === 'string') detail.TrangThaiHoSo = status;
    return detail;
  }
  const d = e.detail;
  return typeof d === 'object' && d !== null && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
}

async function insertHistory(client: PoolClient, events: OutboxEvent[], copies: Map<string, Copy>): Promise<void> {
  const ms: string[] = [];
  const seq: string[] = [];
  const m: string[] = [];
  const type: string[] = [];
  const rev: number[] = [];
  const at: string[] = [];
  const detail: string[] = [];
  for (const e of events) {
    const [a, b] = e.id.split('-') as [string, string];
    ms.push(a);
    seq.push(b);
    m.push(e.maHoSo);
    type.push(e.type);
    rev.push(e.revision);
    at.push(new Date(e.at).toISOString());
    detail.push(JSON.stringify(detailOf(e, copies.get(e.id))));
  }
  await client.query(
    `INSERT INTO dossier_history (entry_ms, entry_seq, ma_ho_so, type, revision, at, detail)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::jsonb[])
     ON CONFLICT DO NOTHING`,
    [ms, seq, m, type, rev, at, detail],
  );
}

async function insertCopies(client: PoolClient, copies: Copy[]): Promise<void> {
  if (copies.length === 0) return;
  await client.query(
    `INSERT INTO dossier_copies (ma_ho_so, revision, data, fields, stored_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::jsonb[], $5::timestamptz[])
     ON CONFLICT DO NOTHING`,
    [
      copies.map((c) => c.maHoSo),
      copies.map((c) => c.revision),
      copies.map((c) => c.data),
      copies.map((c) => JSON.stringify({ fields: c.fields, receivedOn: c.receivedOn })),
      copies.map((c) => new Date(c.at).toISOString()),
    ],
  );
}

/** The highest revision per dossier among the events of one type. */
function highest(events: OutboxEvent[], type: string): Array<{ maHoSo: string; revision: number; at: number }> {
  const best = new Map<string, { maHoSo: string; revision: number; at: number }>();
  for (const e of events) {
    if (e.type !== type) continue;
    const cur = best.get(e.maHoSo);
    if (!cur || e.revision > cur.revision) best.set(e.maHoSo, { maHoSo: e.maHoSo, revision: e.revision, at: e.at });
  }
  return [...best.values()];
}

async function recordAccepted(client: PoolClient, events: OutboxEvent[]): Promise<void> {
  const rows = highest(events, 'accepted');
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO reconcile_dossiers AS d (ma_ho_so, accepted_revision, updated_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[])
     ON CONFLICT (ma_ho_so) DO UPDATE
       SET accepted_revision = GREATEST(d.accepted_revision, EXCLUDED.accepted_revision), updated_at = EXCLUDED.updated_at`,
    [rows.map((r) => r.maHoSo), rows.map((r) => r.revision), rows.map((r) => new Date(r.at).toISOString())],
  );
}

/**
 * The portal acknowledged revision r: its compared fields (from its copy) become what the portal should
 * show, and copies of older revisions are no longer needed to repair it.
 */
async function recordDelivered(client: PoolClient, events: OutboxEvent[]): Promise<void> {
  const rows = highest(events, 'delivered');
  if (rows.length === 0) return;
  const params = [rows.map((r) => r.maHoSo), rows.map((r) => r.revision), rows.map((r) => new Date(r.at).toISOString())];
  await client.query(
    `INSERT INTO reconcile_dossiers AS d
       (ma_ho_so, accepted_revision, delivered_revision, delivered_at, expected, expected_revision, received_on, updated_at)
     SELECT u.m, u.r, u.r, u.at, c.fields->'fields', CASE WHEN c.fields IS NULL THEN NULL ELSE u.r END,
            (c.fields->>'receivedOn')::date, u.at
       FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS u(m, r, at)
       LEFT JOIN dossier_copies c ON c.ma_ho_so = u.m AND c.revision = u.r
     ON CONFLICT (ma_ho_so) DO UPDATE SET
       delivered_revision = EXCLUDED.delivered_revision,
       delivered_at = EXCLUDED.delivered_at,
       accepted_revision = GREATEST(d.accepted_revision, EXCLUDED.accepted_revision),
       expected = COALESCE(EXCLUDED.expected, d.expected),
       expected_revision = COALESCE(EXCLUDED.expected_revision, d.expected_revision),
       received_on = CASE WHEN EXCLUDED.expected IS NULL THEN d.received_on ELSE EXCLUDED.received_on END,
       -- The portal now holds freshly delivered data: an earlier drift no longer describes it.
       drift_open = false,
       updated_at = EXCLUDED.updated_at
     WHERE d.delivered_revision IS NULL OR d.delivered_revision < EXCLUDED.delivered_revision`,
    params,
  );
  await client.query(
    `DELETE FROM dossier_copies c USING unnest($1::text[], $2::bigint[]) AS u(m, r)
      WHERE c.ma_ho_so = u.m AND c.revision < u.r`,
    params.slice(0, 2),
  );
}
