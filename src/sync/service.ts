/**
 * Accepting revisions: validate, record atomically, and make sure a delivery is under way: started at
 * once by this process (src/sync/direct.ts) when it delivers and has a slot, else a queued job. A 202
 * is answered only after the revision is in Redis; if adding the job fails afterwards, the reconciler
 * adds it, so nothing accepted is lost.
 */
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { progressItemKey, type AcceptOutcome, type DossierRevision, type DossierSyncStatus, type ProgressItem } from '../domain/dossier.js';
import { totalFieldErrors, ValidationFailed, type FieldError } from '../domain/errors.js';
import type { Metrics } from '../ops/metrics.js';
import type { DirectDelivery } from './direct.js';
import { enqueueDelivery, type DeliveryJobData } from './queue.js';
import type { SyncStore } from './store.js';

export interface RevisionValidator {
  (body: unknown, basePath: string): FieldError[];
}

export class SyncService {
  constructor(
    private readonly deps: {
      store: SyncStore;
      queue: Queue<DeliveryJobData>;
      metrics: Metrics;
      logger: Logger;
      validate: RevisionValidator;
      /** Set where this process also delivers (role `all`): accepted work may start at once, without a job. */
      direct?: DirectDelivery | null;
    },
  ) {}

  /**
   * Checks a revision body against the schema and the rules the schema cannot say.
   * `pathMaHoSo` is the MaHoSo of the URL when there is one.
   */
  parse(body: unknown, pathMaHoSo: string | null, basePath = ''): DossierRevision {
    const errors = this.deps.validate(body, basePath);
    if (errors.length === 0) {
      const b = body as { dossier: { MaHoSo: string }; progress?: ProgressItem[] };
      const m = b.dossier.MaHoSo;
      if (pathMaHoSo !== null && m !== pathMaHoSo) {
        errors.push({ path: `${basePath}/dossier/MaHoSo`, message: `must equal the MaHoSo of the URL (${pathMaHoSo})` });
      }
      (b.progress ?? []).forEach((item, i) => {
        if (item.MaHoSo !== m) errors.push({ path: `${basePath}/progress/${i}/MaHoSo`, message: `must be the dossier's MaHoSo (${m})` });
      });
    }
    if (errors.length > 0) {
      const first = errors[0]!;
      const total = totalFieldErrors(errors);
      const more = total > 1 ? ` (and ${total - 1} more)` : '';
      throw new ValidationFailed('invalid_body', `${first.path || 'body'} ${first.message}${more}`, errors);
    }
    const b = body as { revision: number; dossier: DossierRevision['dossier']; progress?: ProgressItem[] };
    return { revision: b.revision, dossier: b.dossier, progress: dedupeProgress(b.progress ?? []) };
  }

  async accept(rev: DossierRevision): Promise<AcceptOutcome> {
    const { store, queue, metrics, logger, direct } = this.deps;
    const m = rev.dossier.MaHoSo;
    const plan = direct?.reserve() ?? null;
    const readAtMs = Date.now();
    let result: Awaited<ReturnType<SyncStore['accept']>>;
    try {
      result = await store.accept(rev, { nowMs: readAtMs, ...(plan ? { lease: { token: plan.token, ms: direct!.leaseMs } } : {}) });
    } catch (err) {
      if (plan) {
        direct!.release(plan);
        // The script may have run (a replica confirmation that failed): free its lease so the reconciler
        // need not wait for it to lapse before it queues the work.
        store.release(m, plan.token).catch(() => undefined);
      }
      throw err;
    }
    let started = false;
    if (plan) {
      // The accept claimed a generation (no job exists) and took the lease: deliver from its snapshot.
      if (result.outcome === 'accepted' && result.generation > 0 && result.direct !== undefined) {
        direct!.deliver(plan, m, result.generation, result.direct, readAtMs);
        started = true;
      } else {
        direct!.release(plan);
      }
    }
    if (result.outcome === 'too_many_pending') {
      throw new ValidationFailed(
        'invalid_body',
        `progress: a dossier holds at most ${result.limit} progress items not yet acknowledged by the portal (SYNC_MAX_PENDING_PROGRESS); this revision would make it ${result.waiting}, so none of it was accepted`,
        [{ path: '/progress', message: `would leave ${result.waiting} progress items unacknowledged, more than the limit of ${result.limit}` }],
      );
    }
    metrics.syncOutcomes.inc({ outcome: result.outcome });
    if (result.outcome === 'stale') return { outcome: 'stale', maHoSo: m, revision: rev.revision, currentRevision: result.current };
    if (result.outcome === 'duplicate') return { outcome: 'duplicate', maHoSo: m, revision: rev.revision };
    if (result.generation > 0 && !started) {
      try {
        await enqueueDelivery(queue, m, result.generation);
      } catch (err) {
        logger.warn({ err, maHoSo: m }, 'accepted but could not enqueue; the reconciler will');
      }
    }
    return { outcome: 'accepted', maHoSo: m, revision: rev.revision };
  }

  status(m: string): Promise<DossierSyncStatus | null> {
    return this.deps.store.status(m);
  }
}

/** The same step sent twice in one revision is one step. */
function dedupeProgress(items: ProgressItem[]): ProgressItem[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = progressItemKey(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
