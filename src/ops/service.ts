/**
 * What operations staff and monitoring read: queue figures (from BullMQ, on demand), upstream health
 * (from the guards), sync lag and dead letters (from the sync state), readiness checks, and the
 * Prometheus collectors that read the same sources on scrape.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { AlertConfig, Config } from '../config.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { UpstreamGuard, UpstreamStatus } from '../resilience/guard.js';
import type { SyncWorker } from '../sync/queue.js';
import type { SyncStore } from '../sync/store.js';
import type { Records } from '../records/records.js';
import { readReplication, type ReplicationState } from '../redis/replication.js';
import type { Metrics } from './metrics.js';
import { AlertEngine } from './alerts.js';
import type { StoreMarker } from '../redis/marker.js';

export interface QueueFigures {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  oldestWaitingAgeSeconds: number | null;
  perMinute: { completed: number; failed: number };
  /** Deliveries made by accepting processes without a job (src/sync/direct.ts); included in the figures above. */
  direct: { active: number; waiting: number; completedLastHour: number; failedLastHour: number };
}

export interface CheckResult {
  status: 'ok' | 'fail';
  latencyMs?: number;
  reason?: string;
  [more: string]: unknown;
}

/** The slice of the configuration ops reads. */
export interface OpsConfig {
  role: Config['role'];
  queuePrefix: string;
  redis: Config['redis'];
  alerts: AlertConfig;
  /** Deliveries one worker runs at once, shown by readiness. */
  syncConcurrency: number;
  /** How many clients the clients file names, shown by readiness. */
  clientCount: number;
}

/** The ops slice of a whole configuration. */
export function opsConfig(config: Config): OpsConfig {
  return { role: config.role, queuePrefix: config.queuePrefix, redis: config.redis, alerts: config.alerts, syncConcurrency: config.sync.concurrency, clientCount: config.clients.length };
}

export interface OpsDeps {
  config: OpsConfig;
  redis: Redis;
  store: SyncStore;
  queue: Queue;
  guards: Record<string, UpstreamGuard>;
  metrics: Metrics;
  logger: Logger;
  worker: SyncWorker | null;
  /** This process's direct deliveries, when it runs them. */
  direct?: { readonly inFlight: number; readonly waiting: number } | null;
  audit: AuditLog;
  /** The durable records; its check is informational (PostgreSQL down never makes the gateway unready). */
  records?: Records;
  /** Detects a Redis that came back without the gateway's data. */
  marker?: StoreMarker;
}

const READY_CACHE_MS = 1_000;
const REDIS_BOUND_MS = 1_000;

export class OpsService {
  readonly alerts: AlertEngine;
  private readyCache: { at: number; value: Promise<{ ok: boolean; checks: Record<string, CheckResult> }> } | null = null;

  constructor(readonly deps: OpsDeps) {
    const { metrics } = deps;
    const queueJobs: Gauge<'queue' | 'state'> = new Gauge({
      name: 'gateway_queue_jobs',
      help: 'Jobs in each queue by state, read from BullMQ on scrape; direct deliveries counted as active, waiting (in line), completed or failed',
      labelNames: ['queue', 'state'] as const,
      registers: [metrics.registry],
      collect: async () => {
        const { counts } = await this.jobCounts();
        for (const [state, n] of Object.entries(counts)) queueJobs.set({ queue: deps.queue.name, state }, n);
      },
    });
    new Gauge({
      name: 'gateway_sync_lag_seconds',
      help: 'Age of the oldest accepted revision not yet delivered to the portal (0 when none; dead letters not counted)',
      registers: [metrics.registry],
      collect: async function (this: Gauge) {
        this.set(await deps.store.syncLagSeconds());
      },
    });
    new Gauge({
      name: 'gateway_dead_letters',
      help: 'Dead letters waiting for an operator',
      registers: [metrics.registry],
      collect: async function (this: Gauge) {
        this.set(await deps.store.deadLetterCount());
      },
    });
    new Gauge({
      name: 'gateway_sync_undelivered_dossiers',
      help: 'Dossiers whose highest accepted revision the portal has not acknowledged yet',
      registers: [metrics.registry],
      collect: async function (this: Gauge) {
        this.set(await deps.store.undeliveredCount());
      },
    });
    const readiness = () => this.readiness();
    new Gauge({
      name: 'gateway_redis_up',
      help: 'Whether Redis answered the readiness check (1) or not (0); alert redis_unreachable',
      registers: [metrics.registry],
      collect: async function (this: Gauge) {
        const { checks } = await readiness();
        this.set(checks.redis?.status === 'ok' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gateway_store_data_lost',
      help: 'Whether Redis was found without the gateway\'s data (its marker key vanished) within ALERT_STORE_DATA_LOST_SECONDS (1) or not (0); alert store_data_lost',
      registers: [metrics.registry],
      collect: function (this: Gauge) {
        this.set(deps.marker?.dataLoss() ? 1 : 0);
      },
    });
    const minReplicasAck = deps.config.redis.durability.minReplicasAck;
    new Gauge({
      name: 'gateway_redis_replicas_acknowledging',
      help: 'Redis replicas connected and caught up, able to confirm a write (WAIT); alert redis_replicas_missing below gateway_redis_replicas_required',
      registers: [metrics.registry],
      collect: async function (this: Gauge) {
        const { checks } = await readiness();
        this.set(Number(checks.redis?.acknowledgingReplicas ?? 0));
      },
    });
    new Gauge({
      name: 'gateway_redis_replicas_required',
      help: 'REDIS_MIN_REPLICAS_ACK: replicas that must confirm an accepted revision before its 202',
      registers: [metrics.registry],
      collect: function (this: Gauge) {
        this.set(minReplicasAck);
      },
    });
    this.alerts = new AlertEngine({ ops: this, config: deps.config.alerts, redis: deps.redis, prefix: deps.config.queuePrefix, logger: deps.logger, metrics });
  }

  start(): void {
    this.alerts.start();
  }

  stop(): void {
    this.alerts.stop();
  }

  /**
   * BullMQ's job counts with the direct deliveries folded in (the queue's fast path, src/sync/direct.ts):
   * this process's running ones as active and its line as waiting, those of the last hour as completed
   * or failed. `prioritized` stays apart, as BullMQ counts it.
   */
  private async jobCounts(): Promise<{
    counts: Record<string, number> & { waiting: number; active: number; completed: number; failed: number };
    direct: { active: number; waiting: number } & Awaited<ReturnType<SyncStore['directFigures']>>;
  }> {
    const [counts, direct] = await Promise.all([
      this.deps.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
      this.deps.store.directFigures(),
    ]);
    const running = { active: this.deps.direct?.inFlight ?? 0, waiting: this.deps.direct?.waiting ?? 0 };
    return {
      counts: {
        ...counts,
        waiting: (counts.waiting ?? 0) + running.waiting,
        active: (counts.active ?? 0) + running.active,
        completed: (counts.completed ?? 0) + direct.lastHour.completed,
        failed: (counts.failed ?? 0) + direct.lastHour.failed,
      },
      direct: { ...running, ...direct },
    };
  }

  async queues(): Promise<QueueFigures[]> {
    const q = this.deps.queue;
    const [{ counts, direct }, oldest, completed, failed] = await Promise.all([
      this.jobCounts(),
      q.getJobs(['wait'], 0, 0, true),
      q.getMetrics('completed', 0, 1),
      q.getMetrics('failed', 0, 1),
    ]);
    const first = oldest[0];
    return [
      {
        name: q.name,
        waiting: counts.waiting + (counts.prioritized ?? 0),
        active: counts.active,
        delayed: counts.delayed ?? 0,
        failed: counts.failed,
        completed: counts.completed,
        oldestWaitingAgeSeconds: first ? Math.max(0, Math.round((Date.now() - first.timestamp) / 100) / 10) : null,
        perMinute: { completed: (completed.data[0] ?? 0) + direct.lastMinute.completed, failed: (failed.data[0] ?? 0) + direct.lastMinute.failed },
        direct: { active: direct.active, waiting: direct.waiting, completedLastHour: direct.lastHour.completed, failedLastHour: direct.lastHour.failed },
      },
    ];
  }

  upstreams(): UpstreamStatus[] {
    return Object.values(this.deps.guards).map((g) => g.status());
  }

  /** Ready: Redis answers within its bound, the workers run (where this process has them), config loaded. */
  readiness(): Promise<{ ok: boolean; checks: Record<string, CheckResult> }> {
    const now = Date.now();
    if (this.readyCache && now - this.readyCache.at < READY_CACHE_MS) return this.readyCache.value;
    const value = this.checkReadiness();
    this.readyCache = { at: now, value };
    return value;
  }

  /** What readiness says of Redis's replication; a node that is not master cannot take writes. */
  private replicationCheck(r: ReplicationState): Partial<CheckResult> {
    const { sentinel, durability } = this.deps.config.redis;
    const acknowledging = r.replicas.filter((x) => x.acknowledging).length;
    return {
      ...(r.role === 'master' ? {} : { status: 'fail', reason: `the Redis in use is a ${r.role}, not a master: writes are refused` }),
      master: r.address,
      role: r.role,
      sentinelMaster: sentinel?.masterName ?? null,
      connectedReplicas: r.replicas.length,
      acknowledgingReplicas: acknowledging,
      minReplicasAck: durability.minReplicasAck,
      replicas: r.replicas.map(({ address, state, lagSeconds, acknowledging: acks }) => ({ address, state, lagSeconds, acknowledging: acks })),
    };
  }

  private async checkReadiness(): Promise<{ ok: boolean; checks: Record<string, CheckResult> }> {
    const checks: Record<string, CheckResult> = {};
    const started = performance.now();
    try {
      // INFO replication doubles as the ping, and says which node is master and who replicates it.
      const replication = await Promise.race([
        readReplication(this.deps.redis),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${REDIS_BOUND_MS} ms`)), REDIS_BOUND_MS).unref()),
      ]);
      checks.redis = { status: 'ok', latencyMs: Math.round((performance.now() - started) * 10) / 10, ...this.replicationCheck(replication) };
    } catch (e) {
      checks.redis = { status: 'fail', latencyMs: Math.round(performance.now() - started), reason: `Redis unreachable: ${(e as Error).message}` };
    }
    const loss = this.deps.marker?.dataLoss();
    checks.redisData = loss
      ? { status: 'fail', since: loss.detectedAt, reason: 'Redis came back without the gateway\'s data (its marker key vanished): work accepted before is lost' }
      : { status: 'ok' };
    const worker = this.deps.worker;
    if (worker) {
      const running = worker.worker.isRunning();
      checks.workers = running
        ? { status: 'ok', concurrency: this.deps.config.syncConcurrency }
        : { status: 'fail', reason: 'the sync worker is not running' };
    } else {
      checks.workers = { status: 'ok', reason: `role ${this.deps.config.role}: deliveries run in worker processes` };
    }
    checks.config = { status: 'ok', role: this.deps.config.role, clients: this.deps.config.clientCount };
    checks.upstreams = {
      status: 'ok',
      reason: 'informational: an upstream being down does not make the gateway unready',
      circuits: Object.fromEntries(this.upstreams().map((u) => [u.name, u.circuit])),
    };
    const ok = Object.values(checks).every((c) => c.status === 'ok');
    if (this.deps.records) checks.postgres = { ...(await this.deps.records.check()), informational: true };
    return { ok, checks };
  }
}
