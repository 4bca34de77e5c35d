/**
 * The durable records in PostgreSQL: the pool, the migrations (applied at start-up, retried in the
 * background while PostgreSQL is down, so the gateway starts and syncs without it), the outbox
 * drainer and its handlers, periodic maintenance (retention), and the readiness check entry.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.js';
import { OutboxDrainer, type RecordHandler } from './drainer.js';
import { isConnectionError, RecordsUnavailable } from './errors.js';
import { migrate, readMigrations, type Migration } from './migrate.js';
import { createPool, type Pool, type PoolClient } from './pool.js';

export type { RecordHandler } from './drainer.js';

/** Work a handler does now and then on the lease holder: retention, mostly. */
export interface MaintenanceTask {
  name: string;
  run(pool: Pool): Promise<void>;
}

export interface RecordsCheck {
  status: 'ok' | 'fail';
  latencyMs?: number;
  reason?: string;
  migrated?: boolean;
}

export interface RecordsOptions {
  databaseUrl: string | undefined;
  redis: Redis;
  prefix: string;
  logger: Logger;
  metrics: Metrics;
  /** Whether this process drains the outbox (all of them may: the lease picks one). */
  drain?: boolean;
  batchSize?: number;
  idleMs?: number;
  maintenanceIntervalMs?: number;
  migrations?: Migration[];
}

const CHECK_BOUND_MS = 1_000;

export class Records {
  readonly drainer: OutboxDrainer | null;
  private readonly poolOrNull: Pool | null;
  private migrated = false;
  private migrating: Promise<void> | null = null;
  private stopped = false;
  private readonly tasks: MaintenanceTask[] = [];
  private maintenanceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: RecordsOptions) {
    this.poolOrNull = o.databaseUrl ? createPool(o.databaseUrl, o.logger) : null;
    this.drainer =
      this.poolOrNull && o.drain !== false
        ? new OutboxDrainer({ redis: o.redis, prefix: o.prefix, pool: this.poolOrNull, logger: o.logger, metrics: o.metrics, batchSize: o.batchSize, idleMs: o.idleMs })
        : null;
  }

  get configured(): boolean {
    return this.poolOrNull !== null;
  }

  get ready(): boolean {
    return this.migrated;
  }

  register(handler: RecordHandler): void {
    this.drainer?.register(handler);
  }

  addMaintenance(task: MaintenanceTask): void {
    this.tasks.push(task);
  }

  /** The pool, for reads; RecordsUnavailable while PostgreSQL is unset or its tables are not migrated. */
  pool(): Pool {
    if (!this.poolOrNull) throw new RecordsUnavailable('PostgreSQL is not configured (DATABASE_URL is not set)');
    if (!this.migrated) throw new RecordsUnavailable('PostgreSQL is not reachable yet (its tables are not migrated)');
    return this.poolOrNull;
  }

  /** A read: connection failures become RecordsUnavailable (503), anything else stays a bug (500). */
  async read<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
    const pool = this.pool();
    try {
      return await work(pool);
    } catch (e) {
      if (isConnectionError(e)) throw new RecordsUnavailable('PostgreSQL is unreachable', { cause: e });
      throw e;
    }
  }

  /** A write in one transaction, with the same error mapping as read. */
  async write<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.read(async (pool) => {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const r = await work(client);
        await client.query('COMMIT');
        return r;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw e;
      } finally {
        client.release(broken);
      }
    });
  }

  /** Migrates (retrying while PostgreSQL is down), then starts the drainer and maintenance. */
  start(): void {
    if (!this.poolOrNull) {
      this.o.logger.warn('DATABASE_URL is not set: indicators and dossier history answer 503 store_unavailable');
      return;
    }
    this.migrating ??= this.migrateUntilDone();
  }

  /** Resolves once migrated (or stopped); for start-up paths and tests that need the tables. */
  async whenReady(): Promise<void> {
    await this.migrating;
  }

  private async migrateUntilDone(): Promise<void> {
    const pool = this.poolOrNull!;
    const migrations = this.o.migrations ?? readMigrations();
    let attempt = 0;
    while (!this.stopped) {
      try {
        const applied = await migrate(pool, migrations);
        if (applied.length > 0) this.o.logger.info({ applied }, 'PostgreSQL migrations applied');
        this.migrated = true;
        break;
      } catch (e) {
        attempt++;
        if (!isConnectionError(e)) {
          // A broken migration will not heal by waiting; say so loudly, keep syncing, try again later.
          this.o.logger.error({ err: (e as Error).message }, 'PostgreSQL migration failed');
        } else if (attempt === 1 || attempt % 30 === 0) {
          this.o.logger.warn({ err: (e as Error).message }, 'PostgreSQL unreachable at start-up: retrying; sync goes on, records wait in Redis');
        }
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5))).unref());
      }
    }
    if (this.stopped || !this.migrated) return;
    this.drainer?.start();
    if (this.drainer && this.tasks.length > 0) {
      const every = this.o.maintenanceIntervalMs ?? 3_600_000;
      const tick = () => {
        void (this.drainer?.holdsLease ? this.maintain() : Promise.resolve()).finally(() => {
          if (!this.stopped) this.maintenanceTimer = setTimeout(tick, every).unref();
        });
      };
      this.maintenanceTimer = setTimeout(tick, Math.min(every, 60_000)).unref();
    }
  }

  /** Runs every maintenance task once (only the drainer's lease holder, so one process does it). */
  async maintain(): Promise<void> {
    if (!this.poolOrNull || !this.migrated) return;
    for (const t of this.tasks) {
      try {
        await t.run(this.poolOrNull);
      } catch (e) {
        this.o.logger.warn({ task: t.name, err: (e as Error).message }, 'records maintenance failed; retried at the next interval');
      }
    }
  }

  /** `checks.postgres` of /health/ready: informational, PostgreSQL being down never makes the gateway unready. */
  async check(): Promise<RecordsCheck> {
    if (!this.poolOrNull) return { status: 'fail', reason: 'DATABASE_URL is not set: indicators and history are unavailable' };
    const started = performance.now();
    try {
      await Promise.race([
        this.poolOrNull.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_BOUND_MS} ms`)), CHECK_BOUND_MS).unref()),
      ]);
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      return this.migrated
        ? { status: 'ok', latencyMs, migrated: true }
        : { status: 'fail', latencyMs, migrated: false, reason: 'tables not migrated yet' };
    } catch (e) {
      return { status: 'fail', latencyMs: Math.round(performance.now() - started), migrated: this.migrated, reason: `PostgreSQL unreachable: ${(e as Error).message}` };
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.maintenanceTimer) clearTimeout(this.maintenanceTimer);
    await this.drainer?.stop();
    await this.poolOrNull?.end().catch(() => undefined);
  }
}
