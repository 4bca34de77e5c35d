/**
 * One delivery round for one dossier, independent of the queue library: take the lease, send the
 * latest accepted data if the portal lacks it, then every pending progress item it may now receive,
 * in ThoiDiemXuLy order, ten at a time; record each outcome atomically.
 */
import type { Logger } from 'pino';
import { compareProgress, chunk, MAX_PROGRESS_PER_CALL, type PortalDossier } from '../domain/dossier.js';
import { UpstreamRejected, UpstreamUnavailable, isUpstreamError } from '../domain/errors.js';
import { parseJson } from '../domain/json.js';
import type { NationalPortal } from '../ports/national-portal.js';
import type { Metrics } from '../ops/metrics.js';
import type { DeliverySnapshot, PendingProgress, Settlement, SyncStore } from './store.js';

/** What the queue layer must do after a round. */
export type RoundResult =
  | { kind: 'done' }
  | { kind: 'more' }
  | { kind: 'busy'; retryInMs: number }
  /** The portal's circuit is open: wait without spending an attempt. */
  | { kind: 'hold'; retryInMs: number; error: Error }
  /** A retryable failure: try again after a backoff that grows with `attempts`. */
  | { kind: 'retry'; error: Error; attempts: number }
  | { kind: 'exhausted'; error: Error };

export interface DeliveryDeps {
  store: SyncStore;
  /** The portal behind its guard (breaker, bulkhead, timeout). */
  portal: NationalPortal;
  metrics: Metrics;
  logger: Logger;
  leaseMs: number;
  /** Failed rounds after which a retryable failure becomes a dead letter. */
  maxAttempts: number;
}

export interface RoundInput {
  maHoSo: string;
  token: string;
}

/** What a failure handler needs to know about the attempt. */
interface Attempt extends RoundInput {
  /** This round's number for the dossier's current work, counting from 1 after the last round that delivered something. */
  number: number;
  maxAttempts: number;
}

export async function deliverRound(deps: DeliveryDeps, input: RoundInput): Promise<RoundResult> {
  const readAtMs = Date.now();
  const snap = await deps.store.begin(input.maHoSo, input.token, deps.leaseMs);
  if ('busyMs' in snap) return { kind: 'busy', retryInMs: Math.max(100, Math.min(snap.busyMs, 2_000)) };
  return deliverSnapshot(deps, input, snap, readAtMs);
}

/**
 * The round itself, once the lease is held (`input.token`) and the snapshot read at `readAtMs`: by
 * begin-4 in deliverRound, or by the accept script for a direct delivery (src/sync/direct.ts).
 */
export async function deliverSnapshot(deps: DeliveryDeps, input: RoundInput, snap: DeliverySnapshot, readAtMs: number): Promise<RoundResult> {
  const { store, portal, metrics } = deps;
  const { maHoSo: m, token } = input;
  const attempt: Attempt = { ...input, number: snap.attempts + 1, maxAttempts: deps.maxAttempts };

  const renew = setInterval(() => void store.renew(m, token, deps.leaseMs).catch(() => undefined), Math.floor(deps.leaseMs / 3));
  // What the portal acknowledged and is not yet recorded, and whether anything was recorded this round.
  const round: RoundProgress = { ackedRevision: undefined, progressed: false };
  try {
    let delivered = snap.delivered;
    if (snap.delivered < snap.accepted && snap.deadRevision !== snap.accepted) {
      try {
        await portal.syncDossier((snap.dossier ?? parseJson(snap.data)) as PortalDossier, { knownToPortal: snap.knownToPortal });
        round.ackedRevision = snap.accepted;
        delivered = snap.accepted;
        metrics.deliveries.inc({ kind: 'dossier', result: 'delivered' });
      } catch (error) {
        return await failed(deps, attempt, round, error, {
          readAtMs,
          kind: 'dossier',
          revision: snap.accepted,
          failedDossierRevision: snap.accepted,
          unsent: [],
        });
      }
    }

    const sendable = snap.progress.filter((p) => p.revision <= delivered).sort((a, b) => compareProgress(a.item, b.item));
    const batches = chunk(sendable, MAX_PROGRESS_PER_CALL);
    let lastAcked: string[] = [];
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      try {
        await portal.updateProgress(batch.map((p) => p.item));
        metrics.deliveries.inc({ kind: 'progress', result: 'delivered' }, batch.length);
      } catch (error) {
        const outcome = await failed(deps, attempt, round, error, {
          readAtMs,
          kind: 'progress',
          revision: Math.max(...batch.map((p) => p.revision)),
          // On the last attempt everything still unsent goes into the letter, not just this call's items.
          unsent: error instanceof UpstreamRejected ? batch : batches.slice(i).flat(),
        });
        // A refused batch is dead-lettered; the steps after it still go to the portal.
        if (outcome.kind === 'more') continue;
        return outcome;
      }
      const keys = batch.map((p) => p.key);
      if (i === batches.length - 1) {
        // The last call's acknowledgement is recorded by the commit below, in the same round trip.
        lastAcked = keys;
      } else {
        // Recorded as soon as the portal answered, so a crash re-sends only the call in flight.
        await store.settle(m, token, { mode: 'record', readAtMs, ackedProgress: keys, ...recordOf(round) });
        round.ackedRevision = undefined;
        round.progressed = true;
      }
    }

    const settlement: Settlement = { mode: 'commit', readAtMs, ackedProgress: lastAcked, ...recordOf(round) };
    const finished = await store.settle(m, token, settlement);
    return finished ? { kind: 'done' } : { kind: 'more' };
  } finally {
    clearInterval(renew);
  }
}

interface RoundProgress {
  /** The revision whose data the portal acknowledged in this round and that is not yet recorded. */
  ackedRevision: number | undefined;
  /** Something was acknowledged and recorded earlier in this round. */
  progressed: boolean;
}

function recordOf(round: RoundProgress): Pick<Settlement, 'ackedRevision' | 'progressed'> {
  return round.ackedRevision === undefined ? { progressed: round.progressed } : { ackedRevision: round.ackedRevision, progressed: round.progressed };
}

interface FailureContext {
  readAtMs: number;
  kind: 'dossier' | 'progress';
  revision: number;
  failedDossierRevision?: number;
  unsent: PendingProgress[];
}

/**
 * Records a failed call and says what happens next: go on, retry later, hold, or give up. A round that
 * got something acknowledged before failing starts the count of attempts (and the backoff) again.
 */
async function failed(deps: DeliveryDeps, input: Attempt, round: RoundProgress, error: unknown, ctx: FailureContext): Promise<RoundResult> {
  const { store, metrics, logger } = deps;
  const { maHoSo: m, token } = input;
  const err = error instanceof Error ? error : new Error(String(error));
  const progressed = round.progressed || round.ackedRevision !== undefined;
  const base: Settlement = { mode: 'retry', readAtMs: ctx.readAtMs, ...recordOf(round) };
  // Whatever happens next, the acknowledgement carried here is recorded by this settle.
  if (round.ackedRevision !== undefined) {
    round.ackedRevision = undefined;
    round.progressed = true;
  }
  const number = progressed ? 1 : input.number;
  if (ctx.failedDossierRevision !== undefined) base.failedDossierRevision = ctx.failedDossierRevision;
  const code = isUpstreamError(err) ? err.code : 'internal_error';
  base.error = { code, message: cut(err.message) };

  if (err instanceof UpstreamUnavailable && err.details.reason === 'bulkhead_full') {
    // This process has enough calls in flight: this dossier alone steps back a moment, no attempt spent.
    await store.settle(m, token, { ...base, mode: 'yield' });
    return { kind: 'busy', retryInMs: 100 };
  }
  if (err instanceof UpstreamUnavailable && err.details.reason === 'circuit_open') {
    // Not an attempt: the gateway itself held the call back. Keep what was achieved, free the lease.
    await store.settle(m, token, { ...base, mode: 'hold' });
    return { kind: 'hold', retryInMs: (err.details.retryAfterSeconds ?? 1) * 1_000, error: err };
  }

  const rejected = err instanceof UpstreamRejected;
  if (rejected || number >= input.maxAttempts) {
    const items = ctx.kind === 'progress' ? ctx.unsent : [];
    await store.settle(m, token, {
      ...base,
      mode: rejected ? 'rejected' : 'exhausted',
      letter: {
        maHoSo: m,
        revision: ctx.revision,
        kind: ctx.kind,
        reason: rejected
          ? { code: 'upstream_rejected', message: cut(err.details.upstreamMessage ?? err.message), upstreamCode: err.details.upstreamCode }
          : { code: 'attempts_exhausted', message: cut(err.message), upstreamCode: null },
        attempts: number,
        failedAt: new Date().toISOString(),
        items: items.map((p) => [p.key, p.raw]),
      },
      removedProgress: items.map((p) => p.key),
    });
    metrics.deliveries.inc({ kind: ctx.kind, result: 'dead' });
    logger.warn({ maHoSo: m, kind: ctx.kind, revision: ctx.revision, code, reason: err.message }, 'delivery became a dead letter');
    return rejected ? { kind: 'more' } : { kind: 'exhausted', error: err };
  }

  await store.settle(m, token, base);
  metrics.deliveries.inc({ kind: ctx.kind, result: 'retry' });
  logger.info({ maHoSo: m, kind: ctx.kind, code, reason: err.message, attempt: number }, 'delivery failed; will retry');
  return { kind: 'retry', error: err, attempts: number };
}

/** Stored messages (last error, dead letters) keep at most this many characters of an upstream's text. */
export const MAX_STORED_MESSAGE = 1_000;

function cut(text: string): string {
  return text.length > MAX_STORED_MESSAGE ? `${text.slice(0, MAX_STORED_MESSAGE - 1)}…` : text;
}
