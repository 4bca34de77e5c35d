/**
 * The outbox drainer (docs/outbox.md): one at a time across all gateway processes (a Redis lease),
 * it reads the stream from its start in batches, hands each batch to every registered handler inside
 * one PostgreSQL transaction, commits, and only then deletes the entries it copied. A crash between
 * commit and delete copies a batch twice, which the handlers absorb (keyed by entry id, guarded by
 * revision). PostgreSQL or Redis being down pauses it; it retries with backoff and catches up.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../ops/metrics.js';
import { isConnectionError } from './errors.js';
import { Lease } from './lease.js';
import { entryTime, outboxKey, parseEntry, type OutboxEvent, type RawEntry } from './outbox-events.js';
import { inTransaction, type Pool, type PoolClient } from './pool.js';

/** What a part of the records does with the outbox: idempotent, inside the drainer's transaction. */
export interface RecordHandler {
  name: string;
  handle(client: PoolClient, events: readonly OutboxEvent[]): Promise<void>;
}

export interface DrainerOptions {
  redis: Redis;
  prefix: string;
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  /** Entries per transaction. */
  batchSize?: number;
  /** Pause when the stream is empty; figures must include everything accepted more than 10 s ago. */
  idleMs?: number;
  leaseMs?: number;
  /** Backoff bounds while PostgreSQL or Redis is unreachable. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** A non-connection failure of one entry this many times in a row sets it aside (see setAside). */
const POISON_ATTEMPTS = 3;

export class OutboxDrainer {
  private readonly handlers: RecordHandler[] = [];
  private readonly lease: Lease;
  private readonly key: string;
  private readonly batchSize: number;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private failures = 0;
  /** Lowered after a batch failed for a reason other than the connection, to isolate the entry at fault. */
  private currentBatch: number;
  private readonly singleFailures = new Map<string, number>();
  private readonly drained: Counter<'type'>;
  private readonly batches: Counter<'result'>;
  private readonly batchSeconds: Histogram;

  constructor(private readonly o: DrainerOptions) {
    this.key = outboxKey(o.prefix);
    this.lease = new Lease(o.redis, `${o.prefix}:outbox:lease`, o.leaseMs ?? 10_000);
    this.batchSize = o.batchSize ?? 500;
    this.currentBatch = this.batchSize;
    const registers = [o.metrics.registry];
    const { redis, prefix } = o;
    const key = this.key;
    new Gauge({
      name: 'gateway_outbox_length',
      help: 'Outbox entries not yet copied to PostgreSQL',
      registers,
      async collect(this: Gauge) {
        this.set(await redis.xlen(key));
      },
    });
    new Gauge({
      name: 'gateway_outbox_lag_seconds',
      help: 'Age of the oldest outbox entry not yet copied to PostgreSQL (0 when none)',
      registers,
      async collect(this: Gauge) {
        const first = (await redis.xrange(key, '-', '+', 'COUNT', 1))[0];
        this.set(first ? Math.max(0, (Date.now() - entryTime(first[0])) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'gateway_outbox_set_aside',
      help: 'Outbox entries no handler could record, kept in <prefix>:outbox:set-aside for an operator',
      registers,
      async collect(this: Gauge) {
        this.set(await redis.xlen(`${prefix}:outbox:set-aside`));
      },
    });
    this.drained = new Counter({ name: 'gateway_outbox_events_total', help: 'Outbox events copied to PostgreSQL, by type', labelNames: ['type'] as const, registers });
    this.batches = new Counter({
      name: 'gateway_outbox_batches_total',
      help: 'Outbox batches by result: committed, failed (retried)',
      labelNames: ['result'] as const,
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'gateway_outbox_batch_duration_seconds',
      help: 'Time to copy one outbox batch to PostgreSQL, commit included',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  /** Whether this process holds the drainer's lease now (maintenance runs only there). */
  get holdsLease(): boolean {
    return this.lease.isHeld;
  }

  register(handler: RecordHandler): void {
    if (this.handlers.some((h) => h.name === handler.name)) throw new Error(`a records handler named ${handler.name} is already registered`);
    this.handlers.push(handler);
  }

  start(): void {
    this.stopped = false;
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.running = null;
    await this.lease.release().catch(() => undefined);
  }

  /**
   * Copies one batch (when this process holds the lease); returns how many entries it copied.
   * Exposed for tests and tools; the loop calls it continuously.
   */
  async drainOnce(): Promise<number> {
    if (!(await this.lease.hold())) return 0;
    const raw = (await this.o.redis.xrangeBuffer(this.key, '-', '+', 'COUNT', this.currentBatch)) as unknown as RawEntry[];
    if (raw.length === 0) return 0;
    const events = raw.map(parseEntry);
    const started = performance.now();
    try {
      await inTransaction(this.o.pool, async (client) => {
        for (const h of this.handlers) await h.handle(client, events);
      });
    } catch (e) {
      this.batches.inc({ result: 'failed' });
      if (!isConnectionError(e)) await this.isolate(events, e as Error);
      throw e;
    }
    this.batchSeconds.observe((performance.now() - started) / 1000);
    this.batches.inc({ result: 'committed' });
    for (const ev of events) this.drained.inc({ type: ev.type });
    this.singleFailures.clear();
    if (this.currentBatch < this.batchSize) this.currentBatch = Math.min(this.batchSize, this.currentBatch * 2);
    // Deleted only after the commit: if this fails the entries are copied again, harmlessly.
    await this.o.redis.xdel(this.key, ...events.map((ev) => ev.id));
    return events.length;
  }

  /**
   * A batch failed although PostgreSQL answered: some entry breaks a handler. Halve the batch until
   * the failing entry is alone; after POISON_ATTEMPTS failures of it alone, set it aside (kept, never
   * deleted) so the entries behind it are not held up forever.
   */
  private async isolate(events: OutboxEvent[], error: Error): Promise<void> {
    if (events.length > 1) {
      this.currentBatch = Math.max(1, Math.floor(events.length / 2));
      return;
    }
    const ev = events[0]!;
    const n = (this.singleFailures.get(ev.id) ?? 0) + 1;
    this.singleFailures.set(ev.id, n);
    if (n < POISON_ATTEMPTS) return;
    const raw = (await this.o.redis.xrangeBuffer(this.key, ev.id, ev.id)) as unknown as RawEntry[];
    const fields = raw[0]?.[1] ?? [];
    await this.o.redis.xadd(`${this.o.prefix}:outbox:set-aside`, '*', 'id', ev.id, 'error', error.message.slice(0, 1000), ...fields);
    await this.o.redis.xdel(this.key, ev.id);
    this.singleFailures.delete(ev.id);
    this.o.logger.error(
      { entry: ev.id, type: ev.type, maHoSo: ev.maHoSo, revision: ev.revision, err: error.message },
      'outbox entry set aside: no handler could record it (kept in the set-aside stream)',
    );
  }

  private async loop(): Promise<void> {
    const idleMs = this.o.idleMs ?? 250;
    const minMs = this.o.retryMinMs ?? 500;
    const maxMs = this.o.retryMaxMs ?? 10_000;
    while (!this.stopped) {
      let pause = idleMs;
      try {
        const n = await this.drainOnce();
        if (this.failures > 0) this.o.logger.info({ after: this.failures }, 'outbox drainer recovered: copying to PostgreSQL again');
        this.failures = 0;
        if (n === this.currentBatch || n > 0) pause = 0;
        else if (!this.lease.isHeld) pause = Math.max(idleMs, 1_000);
      } catch (e) {
        this.failures++;
        if (this.failures === 1 || this.failures % 60 === 0) {
          const why = isConnectionError(e) ? 'PostgreSQL or Redis unreachable' : 'a batch failed';
          this.o.logger.warn({ err: (e as Error).message, failures: this.failures }, `outbox drainer paused: ${why}; entries wait in Redis`);
        }
        pause = isConnectionError(e) ? Math.min(maxMs, minMs * 2 ** Math.min(this.failures - 1, 10)) : minMs;
      }
      if (pause > 0 && !this.stopped) await this.sleep(pause);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      t.unref();
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }
}
