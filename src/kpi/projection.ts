/**
 * The indicators' projection of the outbox (a records handler): each `accepted` event's dossier is
 * reduced to its DossierFacts (rules.ts) and upserted guarded by revision; its progress items' times
 * and statuses are kept, and each touched dossier's progress summary (supplement requests, pause) is
 * recomputed; `delivered` events raise the revision the portal acknowledged. Everything is keyed so
 * a batch copied twice changes nothing.
 */
import type { Logger } from 'pino';
import type { RecordHandler } from '../records/drainer.js';
import type { OutboxEvent } from '../records/outbox-events.js';
import type { PoolClient } from '../records/pool.js';
import { unpackDossier } from '../sync/compression.js';
import { code, dossierFacts, portalDate, STATUS_SUPPLEMENT, type DossierFacts } from './rules.js';

interface Accepted {
  revision: number;
  at: number;
  facts: DossierFacts;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function createKpiProjection(logger: Logger): RecordHandler {
  return {
    name: 'kpi',
    async handle(client: PoolClient, events: readonly OutboxEvent[]): Promise<void> {
      const latest = new Map<string, Accepted>();
      const progress = new Map<string, [string, string, number]>();
      const delivered = new Map<string, number>();
      for (const ev of events) {
        if (ev.type === 'accepted') {
          const facts = decode(ev, logger);
          if (!facts) continue;
          const seen = latest.get(ev.maHoSo);
          if (!seen || seen.revision < ev.revision) latest.set(ev.maHoSo, { revision: ev.revision, at: ev.at, facts });
          for (const [time, status] of ev.progress) {
            const at = portalDate(time);
            if (!at) continue;
            const s = code(status) ?? -1;
            progress.set(`${ev.maHoSo}\u0000${at.getTime()}\u0000${s}`, [ev.maHoSo, at.toISOString(), s]);
          }
        } else if (ev.type === 'delivered') {
          delivered.set(ev.maHoSo, Math.max(delivered.get(ev.maHoSo) ?? 0, ev.revision));
        }
      }
      const items = [...progress.values()];
      const lastProgress = new Map<string, string>();
      for (const [m, at] of items) if (!lastProgress.has(m) || lastProgress.get(m)! < at) lastProgress.set(m, at);
      const withSupplements = latest.size > 0 ? await upsertDossiers(client, [...latest.values()], lastProgress) : new Set<string>();
      if (progress.size > 0) {
        // Progress of a dossier whose accepted event could not be read has no row to attach to: skipped.
        await client.query(
          `INSERT INTO kpi_progress (ma_ho_so, at, trang_thai)
           SELECT p.m, p.at, p.s FROM unnest($1::text[], $2::timestamptz[], $3::smallint[]) AS p(m, at, s)
           WHERE EXISTS (SELECT 1 FROM kpi_dossier d WHERE d.ma_ho_so = p.m)
           ON CONFLICT DO NOTHING`,
          [items.map((p) => p[0]), items.map((p) => p[1]), items.map((p) => p[2])],
        );
        for (const [m, , st] of items) if (st === STATUS_SUPPLEMENT) withSupplements.add(m);
        // The latest progress time came with the upsert; the supplement figures need every stored item.
        const recompute = [...withSupplements].filter((m) => lastProgress.has(m));
        if (recompute.length > 0) await summariseProgress(client, recompute);
      }
      if (delivered.size > 0) {
        await client.query(
          `UPDATE kpi_dossier d SET delivered_revision = GREATEST(COALESCE(d.delivered_revision, 0), v.r), updated_at = now()
           FROM unnest($1::text[], $2::bigint[]) AS v(m, r)
           WHERE d.ma_ho_so = v.m AND (d.delivered_revision IS NULL OR d.delivered_revision < v.r)`,
          [[...delivered.keys()], [...delivered.values()]],
        );
      }
    },
  };
}

function decode(ev: OutboxEvent, logger: Logger): DossierFacts | null {
  if (!ev.data || !ev.maHoSo || ev.revision < 1) {
    logger.error({ entry: ev.id, maHoSo: ev.maHoSo }, 'accepted outbox event without dossier data or revision: not counted in the indicators');
    return null;
  }
  try {
    const dossier = JSON.parse(unpackDossier(ev.data)) as unknown;
    if (typeof dossier !== 'object' || dossier === null) throw new Error('not a JSON object');
    return dossierFacts(ev.maHoSo, dossier as Record<string, unknown>);
  } catch (e) {
    logger.error({ entry: ev.id, maHoSo: ev.maHoSo, err: (e as Error).message }, 'accepted outbox event unreadable: not counted in the indicators');
    return null;
  }
}

/**
 * Upserts the highest revision of each dossier (a lower or equal one changes nothing) with the latest
 * time of the progress it brought; returns the dossiers that already had a supplement request (their
 * supplement figures must be recomputed with the new items).
 */
async function upsertDossiers(client: PoolClient, rows: Accepted[], lastProgress: Map<string, string>): Promise<Set<string>> {
  const col = <T>(f: (r: Accepted) => T) => rows.map(f);
  const { rows: touched } = await client.query<{ ma_ho_so: string }>(
    `INSERT INTO kpi_dossier (ma_ho_so, revision, unit, ma_tthc, status, channel, received_at, due_at, finished_at, returned_at,
                              fee_bearing, paid_online, vneid, reused_digitised, result_documents, accepted_at, last_progress_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::smallint[], $6::smallint[],
                          $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[],
                          $11::boolean[], $12::boolean[], $13::boolean[], $14::boolean[], $15::boolean[], $16::timestamptz[], $17::timestamptz[])
     ON CONFLICT (ma_ho_so) DO UPDATE SET
       last_progress_at = GREATEST(kpi_dossier.last_progress_at, EXCLUDED.last_progress_at),
       revision = EXCLUDED.revision, unit = EXCLUDED.unit, ma_tthc = EXCLUDED.ma_tthc, status = EXCLUDED.status,
       channel = EXCLUDED.channel, received_at = EXCLUDED.received_at, due_at = EXCLUDED.due_at,
       finished_at = EXCLUDED.finished_at, returned_at = EXCLUDED.returned_at, fee_bearing = EXCLUDED.fee_bearing,
       paid_online = EXCLUDED.paid_online, vneid = EXCLUDED.vneid, reused_digitised = EXCLUDED.reused_digitised,
       result_documents = EXCLUDED.result_documents, accepted_at = EXCLUDED.accepted_at, updated_at = now()
     WHERE kpi_dossier.revision < EXCLUDED.revision
     RETURNING ma_ho_so, supplement_requests`,
    [
      col((r) => r.facts.maHoSo),
      col((r) => r.revision),
      col((r) => r.facts.unit),
      col((r) => r.facts.maTTHC),
      col((r) => clampSmall(r.facts.status)),
      col((r) => clampSmall(r.facts.channel)),
      col((r) => iso(r.facts.receivedAt)),
      col((r) => iso(r.facts.dueAt)),
      col((r) => iso(r.facts.finishedAt)),
      col((r) => iso(r.facts.returnedAt)),
      col((r) => r.facts.feeBearing),
      col((r) => r.facts.paidOnline),
      col((r) => r.facts.vneid),
      col((r) => r.facts.reusedDigitised),
      col((r) => r.facts.resultDocuments),
      col((r) => new Date(r.at).toISOString()),
      col((r) => lastProgress.get(r.facts.maHoSo) ?? null),
    ],
  );
  return new Set((touched as Array<{ ma_ho_so: string; supplement_requests: number }>).filter((r) => r.supplement_requests > 0).map((r) => r.ma_ho_so));
}

/** Codes beyond smallint are no code the indicators know. */
const clampSmall = (n: number | null) => (n === null || n > 32_767 ? null : n);

/** The supplement figures of the on-time rules (count, first request, resumption, latest time), from every stored item. */
export async function summariseProgress(client: PoolClient, maHoSo: string[]): Promise<void> {
  await client.query(
    `WITH s AS (
       SELECT p.ma_ho_so,
              count(DISTINCT p.at) FILTER (WHERE p.trang_thai = ${STATUS_SUPPLEMENT}) AS n,
              min(p.at) FILTER (WHERE p.trang_thai = ${STATUS_SUPPLEMENT}) AS r,
              max(p.at) AS last
       FROM kpi_progress p WHERE p.ma_ho_so = ANY($1::text[]) GROUP BY p.ma_ho_so
     ), t AS (
       SELECT s.*, (SELECT min(q.at) FROM kpi_progress q
                    WHERE q.ma_ho_so = s.ma_ho_so AND q.trang_thai <> ${STATUS_SUPPLEMENT} AND q.at > s.r) AS c
       FROM s
     )
     UPDATE kpi_dossier d SET supplement_requests = t.n, supplement_at = t.r, resumed_at = t.c, last_progress_at = t.last, updated_at = now()
     FROM t WHERE d.ma_ho_so = t.ma_ho_so`,
    [maHoSo],
  );
}
