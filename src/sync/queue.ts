/**
 * The BullMQ side of sync: the `dossier-sync` queue, its workers, and the reconciler. A job only
 * says "this dossier has work"; what to send is always read from the sync state at delivery time,
 * so revisions accepted while a job waits are coalesced into it.
 */
import { randomBytes } from 'node:crypto';
import { DelayedError, MetricsTime, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SyncConfig } from '../config.js';
import type { NationalPortal } from '../ports/national-portal.js';
import type { Metrics } from '../ops/metrics.js';
import { retryDelayMs } from '../resilience/backoff.js';
import { deliverRound } from './delivery.js';
import { QUEUE_NAME, jobId } from './keys.js';
import type { SyncStore } from './store.js';

export interface DeliveryJobData {
  m: string;
}

/** Rounds one job (or direct delivery) runs before it yields its slot to other dossiers (new revisions kept arriving). */
export const MAX_ROUNDS = 5;

/**
 * Jobs carry no options but their id: attempts and backoff belong to the dossier's sync state (one
 * count per piece of work, whatever job runs it), and keeping the job hash small keeps a waiting
 * revision cheap in Redis. Removal of finished jobs is set on the worker.
 */
export function createSyncQueue(connection: Redis, prefix: string): Queue<DeliveryJobData> {
  return new Queue<DeliveryJobData>(QUEUE_NAME, { connection, prefix });
}

/** Adds the delivery job of a generation, to run now or after `delayMs`. */
export async function enqueueDelivery(queue: Queue<DeliveryJobData>, maHoSo: string, generation: number, delayMs = 0): Promise<void> {
  await queue.add('deliver', { m: maHoSo }, delayMs > 0 ? { jobId: jobId(maHoSo, generation), delay: delayMs } : { jobId: jobId(maHoSo, generation) });
}

export interface SyncWorkerDeps {
  connection: Redis;
  prefix: string;
  config: SyncConfig;
  store: SyncStore;
  queue: Queue<DeliveryJobData>;
  portal: NationalPortal;
  metrics: Metrics;
  logger: Logger;
}

export class SyncWorker {
  readonly worker: Worker<DeliveryJobData>;
  private readonly id = randomBytes(6).toString('hex');
  private reconcileTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private reconcileOffset = 0;

  constructor(private readonly deps: SyncWorkerDeps) {
    const { config } = deps;
    this.worker = new Worker<DeliveryJobData>(QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: config.concurrency,
      // Needed for queue.rateLimit() to hold every worker while the portal's circuit is open.
      limiter: { max: 1_000_000, duration: 1_000 },
      // A killed worker's jobs are taken up again within about lockDuration + stalledInterval.
      lockDuration: 15_000,
      stalledInterval: 5_000,
      maxStalledCount: 20,
      // A few recent completions stay visible to ops (counts, bull-board); ids are never reused.
      removeOnComplete: { count: 1_000, age: 3_600 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
    });
    this.worker.on('error', (err) => deps.logger.error({ err }, 'sync worker error'));
    this.worker.on('failed', (job, err) => deps.logger.warn({ jobId: job?.id, err: err.message }, 'delivery job ended'));
  }

  start(): void {
    const tick = async () => {
      try {
        await this.reconcile();
      } catch (err) {
        this.deps.logger.warn({ err }, 'reconcile pass failed');
      }
      if (!this.closed) this.reconcileTimer = setTimeout(tick, this.deps.config.reconcileIntervalMs).unref();
    };
    this.reconcileTimer = setTimeout(tick, Math.min(1_000, this.deps.config.reconcileIntervalMs)).unref();
  }

  /** Re-adds delivery jobs that went missing, looking at the next stretch of the lag set; returns how many. */
  async reconcile(olderThanMs = Math.max(this.deps.config.reconcileIntervalMs, 5_000)): Promise<number> {
    const { nextOffset, missing } = await this.deps.store.reconcile(olderThanMs, this.reconcileOffset);
    this.reconcileOffset = nextOffset;
    for (const { maHoSo, generation } of missing) await enqueueDelivery(this.deps.queue, maHoSo, generation);
    if (missing.length > 0) this.deps.logger.warn({ count: missing.length }, 're-queued dossiers whose delivery job was missing');
    return missing.length;
  }

  /** Stops taking jobs and waits up to the grace period for deliveries in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.deps.config.shutdownGraceMs).unref());
    const outcome = await Promise.race([this.worker.close().then(() => 'closed' as const), grace]);
    // Deliveries still running after the grace period are abandoned; their jobs stall and another worker resumes them.
    if (outcome === 'timeout') await this.worker.close(true);
  }

  private async process(job: Job<DeliveryJobData>, token: string | undefined): Promise<string> {
    const m = job.data.m;
    const { store, portal, metrics, logger, config } = this.deps;
    const leaseToken = `${this.id}:${job.id}`;
    const deps = { store, portal, metrics, logger, leaseMs: config.leaseMs, maxAttempts: config.maxAttempts };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const result = await deliverRound(deps, { maHoSo: m, token: leaseToken });
      switch (result.kind) {
        case 'done':
          return 'delivered';
        case 'more':
          continue;
        case 'busy':
          await job.moveToDelayed(Date.now() + result.retryInMs + Math.floor(Math.random() * 250), token);
          throw new DelayedError();
        case 'hold':
          await this.deps.queue.rateLimit(result.retryInMs);
          throw Worker.RateLimitError();
        case 'retry': {
          // Waiting in `delayed` is the retry: the job itself never fails for a retryable error.
          const delay = retryDelayMs(result.attempts, { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs });
          await job.moveToDelayed(Date.now() + delay, token);
          throw new DelayedError();
        }
        case 'exhausted':
          throw new UnrecoverableError(`attempts exhausted: ${result.error.message}`);
      }
    }
    // New revisions kept arriving: give other dossiers a turn, without spending an attempt.
    await this.deps.store.release(m, leaseToken);
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }
}
