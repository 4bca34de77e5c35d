/**
 * Direct delivery: a process that both accepts and delivers (role `all`) delivers a revision it has
 * just accepted itself, at once, when the portal's circuit is closed and one of its direct slots is
 * free. The accept script takes the dossier's lease together with the job generation it claims and
 * answers the snapshot to deliver from, so a delivery that goes through costs two Redis round trips
 * (accept, settle) instead of five (accept, add job, begin, settle, finish job), and none of BullMQ's
 * per-job work. It is the queue's fast path, not a second engine: the round is the same `deliverSnapshot`
 * the worker runs, and whatever cannot finish at once (a retryable failure, an open circuit, a full
 * bulkhead, new revisions for more than MAX_ROUNDS rounds) becomes the queued job of that generation, with
 * the delay the worker would have waited. A process killed mid-delivery leaves the dossier in the lag
 * set holding its lease; the lease lapses after SYNC_LEASE_MS and the reconciler adds the job
 * (src/sync/commands/reconcile-3.lua), as for any accept whose job was never added.
 */
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { SyncConfig } from '../config.js';
import type { Metrics } from '../ops/metrics.js';
import type { NationalPortal } from '../ports/national-portal.js';
import { retryDelayMs } from '../resilience/backoff.js';
import { deliverRound, deliverSnapshot, type RoundResult } from './delivery.js';
import { enqueueDelivery, MAX_ROUNDS, type DeliveryJobData } from './queue.js';
import type { DeliverySnapshot, SyncStore } from './store.js';

export interface DirectDeliveryDeps {
  store: SyncStore;
  queue: Queue<DeliveryJobData>;
  /** The portal behind its guard. */
  portal: NationalPortal;
  /** Whether the portal's circuit is closed (an open or half-open one holds deliveries in the queue). */
  portalClosed: () => boolean;
  config: Pick<SyncConfig, 'directConcurrency' | 'leaseMs' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'shutdownGraceMs'>;
  metrics: Metrics;
  logger: Logger;
}

/**
 * A place reserved for a direct delivery, with the lease token the accept takes: `now` holds a slot,
 * `soon` a place in this process's short line of accepted dossiers waiting for a slot. Give it back
 * with `release` or hand it to `deliver`.
 */
export interface DirectPlan {
  kind: 'now' | 'soon';
  token: string;
}

/** An accepted dossier waiting in line: its lease is held, its snapshot read by the accept. */
interface Waiting {
  maHoSo: string;
  generation: number;
  token: string;
  snapshot: DeliverySnapshot;
  readAtMs: number;
}

/** How often the counts of finished direct deliveries are written to Redis, at most. */
const COUNT_FLUSH_MS = 1_000;

/** Dossiers that may wait in line for a direct slot, per slot; beyond that accepted work is queued. */
export const LINE_PER_SLOT = 16;

export class DirectDelivery {
  private active = 0;
  private seq = 0;
  private closed = false;
  private readonly id = randomBytes(6).toString('hex');
  private readonly running = new Set<Promise<void>>();
  /** Accepted dossiers waiting for a slot, oldest first. */
  private readonly line: Waiting[] = [];
  /** Places promised by `reserve` and not yet used or given back. */
  private promised = 0;
  /** Deliveries ended since the counts were last written (store.countDirect). */
  private counts = { completed: 0, failed: 0 };
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DirectDeliveryDeps) {}

  /** Direct deliveries running in this process now. */
  get inFlight(): number {
    return this.active;
  }

  /** Accepted dossiers waiting in this process for a direct slot. */
  get waiting(): number {
    return this.line.length;
  }

  get leaseMs(): number {
    return this.deps.config.leaseMs;
  }

  /**
   * Where the next accepted revision goes: a free slot now, else a place in line, else null (queue it):
   * closing, the portal's circuit not closed, or the line full. The slots are this process's own bound;
   * the portal's bulkhead still bounds calls in flight (a full one sends the dossier to the queue).
   */
  reserve(): DirectPlan | null {
    if (this.closed || !this.deps.portalClosed()) return null;
    const slots = this.deps.config.directConcurrency;
    if (this.active < slots) {
      this.active++;
      return { kind: 'now', token: this.token() };
    }
    if (this.line.length + this.promised >= slots * LINE_PER_SLOT) return null;
    this.promised++;
    return { kind: 'soon', token: this.token() };
  }

  /** Gives back a place that was not used (nothing to deliver, or the lease was not taken). */
  release(plan: DirectPlan): void {
    if (plan.kind === 'now') {
      this.active--;
      this.pump();
    } else {
      this.promised--;
    }
  }

  /**
   * Delivers the accepted revision in the background from the accept's snapshot (its lease taken for
   * the plan's token): at once (`now`), or when a slot frees (`soon`).
   */
  deliver(plan: DirectPlan, maHoSo: string, generation: number, snapshot: DeliverySnapshot, readAtMs: number): void {
    if (this.closed) {
      // Accepted while the process was stopping: the queue takes it at once rather than after the lease lapses.
      if (plan.kind === 'soon') this.promised--;
      else this.active--;
      const handOver = this.handOver(maHoSo, generation, plan.token).finally(() => this.running.delete(handOver));
      this.running.add(handOver);
      return;
    }
    if (plan.kind === 'soon') {
      this.promised--;
      this.line.push({ maHoSo, generation, token: plan.token, snapshot, readAtMs });
      this.pump();
      return;
    }
    this.track(maHoSo, generation, this.run(plan.token, maHoSo, generation, snapshot, readAtMs));
  }

  /** Takes no new deliveries, queues those waiting in line, and waits up to the grace period for those running. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queueLine();
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.deps.config.shutdownGraceMs);
        timer.unref();
      });
      // Deliveries still running after the grace period are abandoned: their leases lapse and the reconciler queues them.
      await Promise.race([Promise.allSettled([...this.running]), grace]);
      clearTimeout(timer);
    }
    clearTimeout(this.flushTimer);
    await this.flushCounts();
  }

  private token(): string {
    return `${this.id}:d${++this.seq}`;
  }

  private track(maHoSo: string, generation: number, work: Promise<void>): void {
    const run = work
      .catch((err: unknown) => this.deps.logger.error({ err, maHoSo, generation }, 'direct delivery failed unexpectedly; the reconciler will queue it'))
      .finally(() => {
        this.active--;
        this.running.delete(run);
        this.pump();
      });
    this.running.add(run);
  }

  /** Starts waiting dossiers while slots are free; if the portal cannot take them now, they go to the queue. */
  private pump(): void {
    if (this.line.length === 0 || this.closed) return;
    if (!this.deps.portalClosed()) {
      void this.queueLine();
      return;
    }
    while (this.active < this.deps.config.directConcurrency && this.line.length > 0) {
      const w = this.line.shift()!;
      this.active++;
      // A long wait may have let the lease lapse (and newer revisions come): then the round starts with begin-4.
      const fresh = Date.now() - w.readAtMs < this.deps.config.leaseMs / 2;
      this.track(w.maHoSo, w.generation, this.run(w.token, w.maHoSo, w.generation, fresh ? w.snapshot : null, w.readAtMs));
    }
  }

  /** Hands every dossier waiting in line to the queue (the worker holds them while the circuit is open). */
  private async queueLine(): Promise<void> {
    const waiting = this.line.splice(0);
    await Promise.all(waiting.map(({ maHoSo, generation, token }) => this.handOver(maHoSo, generation, token)));
  }

  /** Frees the lease a dossier holds for a direct delivery and adds the job of its generation instead. */
  private async handOver(maHoSo: string, generation: number, token: string): Promise<void> {
    await this.deps.store.release(maHoSo, token).catch(() => undefined);
    await this.queueJob(maHoSo, generation, 0);
  }

  /** Rounds for one dossier: the first from `snapshot` (lease held since the accept) or from begin-4. */
  private async run(token: string, m: string, generation: number, snapshot: DeliverySnapshot | null, readAtMs: number): Promise<void> {
    const { store, portal, metrics, logger, config } = this.deps;
    const deps = { store, portal, metrics, logger, leaseMs: config.leaseMs, maxAttempts: config.maxAttempts };
    const input = { maHoSo: m, token };
    let result: RoundResult;
    try {
      result = snapshot ? await deliverSnapshot(deps, input, snapshot, readAtMs) : await deliverRound(deps, input);
      for (let round = 1; result.kind === 'more' && round < MAX_ROUNDS; round++) result = await deliverRound(deps, input);
    } catch (err) {
      // Redis failed under the round: free the lease if it can be, and queue the job (else the reconciler will).
      logger.warn({ err, maHoSo: m }, 'direct delivery interrupted; queueing it');
      await store.release(m, token).catch(() => undefined);
      await this.queueJob(m, generation, 1_000);
      return;
    }
    switch (result.kind) {
      case 'done':
        metrics.directDeliveries.inc({ outcome: 'completed' });
        this.ended('completed');
        return;
      case 'exhausted':
        // The dead letter is recorded; nothing more to do.
        metrics.directDeliveries.inc({ outcome: 'failed' });
        this.ended('failed');
        return;
      case 'more':
        // New revisions kept arriving: the rest waits its turn in the queue, no attempt spent.
        metrics.directDeliveries.inc({ outcome: 'queued' });
        await store.release(m, token);
        await this.queueJob(m, generation, 0);
        return;
      case 'busy':
      case 'hold':
        metrics.directDeliveries.inc({ outcome: 'queued' });
        await this.queueJob(m, generation, result.retryInMs);
        return;
      case 'retry':
        metrics.directDeliveries.inc({ outcome: 'queued' });
        await this.queueJob(m, generation, retryDelayMs(result.attempts, { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs }));
        return;
    }
  }

  /** Counts a finished delivery for the queue's figures; written to Redis at most once a second. */
  private ended(outcome: 'completed' | 'failed'): void {
    this.counts[outcome]++;
    this.flushTimer ??= setTimeout(() => void this.flushCounts(), COUNT_FLUSH_MS).unref();
  }

  private async flushCounts(): Promise<void> {
    this.flushTimer = undefined;
    const counts = this.counts;
    if (counts.completed + counts.failed === 0) return;
    this.counts = { completed: 0, failed: 0 };
    try {
      await this.deps.store.countDirect(counts);
    } catch {
      // Kept for the next write: only ops figures depend on it.
      this.counts.completed += counts.completed;
      this.counts.failed += counts.failed;
    }
  }

  private async queueJob(m: string, generation: number, delayMs: number): Promise<void> {
    try {
      await enqueueDelivery(this.deps.queue, m, generation, delayMs);
    } catch (err) {
      this.deps.logger.warn({ err, maHoSo: m }, 'could not queue the rest of a direct delivery; the reconciler will');
    }
  }
}
