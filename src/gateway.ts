/**
 * Composition root: configuration → adapters → guards → services → HTTP and workers. Everything the
 * process runs is started here and stopped by the returned `stop()`, in the reverse order.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createDvcqgPortal } from '../adapters/dvcqg/index.js';
import { SOURCES } from '../adapters/sources.js';
import type { AnySectorSource } from './lookup/source.js';
import type { Config } from './config.js';
import { ClientDirectory, authenticateBeforeBody } from './http/auth.js';
import { SessionStore } from './http/sessions.js';
import { docsRoutes } from './http/routes/docs.js';
import { PLANNED_ROUTES } from './http/planned-routes.js';
import packageJson from '../package.json' with { type: 'json' };
import { createApp } from './http/app.js';
import { problemFor } from './http/problem.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { dossierRoutes } from './http/routes/dossiers.js';
import { batchErrors, revisionErrors } from './http/validation.js';
import { Metrics } from './ops/metrics.js';
import { UpstreamGuard } from './resilience/guard.js';
import { guardPortal } from './resilience/guarded.js';
import { DirectDelivery } from './sync/direct.js';
import { createSyncQueue, SyncWorker } from './sync/queue.js';
import { SyncService } from './sync/service.js';
import { SyncStore } from './sync/store.js';
import { createLookups } from './lookup/compose.js';
import { opsRoutes } from './http/routes/ops.js';
import { dashboardRoutes } from './http/routes/dashboard.js';
import { whoamiRoutes } from './http/routes/whoami.js';
import { healthRoutes } from './http/routes/health.js';
import { lookupRoutes } from './http/routes/lookups.js';
import { OpsService, opsConfig } from './ops/service.js';
import { checkRedisDurability, createRedisConnection } from './redis/connection.js';
import { createConfirmedWrites } from './redis/durability.js';
import { SentinelWatch } from './redis/sentinel-watch.js';
import { checkDurabilitySupport, checkSentinels } from './redis/startup-checks.js';
import { StoreMarker } from './redis/marker.js';
import { Records } from './records/records.js';
import { createKpiProjection } from './kpi/projection.js';
import { KpiService } from './kpi/service.js';
import { kpiRetention } from './kpi/retention.js';
import { kpiRoutes } from './http/routes/kpi.js';
import { kpiAlertSource } from './kpi/alerts.js';
import { handleOutboxBatch } from './history/outbox-handler.js';
import { enforceRetention } from './history/retention.js';
import { HistoryStore } from './history/store.js';
import { historyRoutes } from './http/routes/history.js';
import { reconcileRoutes } from './http/routes/reconcile.js';
import { ReconcileEvents } from './reconcile/events.js';
import { Reconciler } from './reconcile/reconciler.js';
import { ReconcileStore } from './reconcile/store.js';

export interface Gateway {
  server: Server;
  port: number;
  http: HttpServer;
  worker: SyncWorker | null;
  store: SyncStore;
  metrics: Metrics;
  records: Records;
  /** The reconciler of a worker process with PostgreSQL; null otherwise. */
  reconciler: Reconciler | null;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  logger: Logger;
  /** The sector sources served; adapters/sources.ts by default. */
  sources?: readonly AnySectorSource[];
  /** Metrics registry; a fresh one by default (tests run several gateways in one process). */
  metrics?: Metrics;
}

export async function startGateway(config: Config, options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const sources = options.sources ?? SOURCES;
  const metrics = options.metrics ?? new Metrics();
  // An unknown master name would otherwise make every connection retry forever; stop with the reason instead.
  if (config.redis.sentinel) await checkSentinels(config.redis);
  const watch = config.redis.sentinel ? new SentinelWatch(config.redis.sentinel, logger) : null;
  watch?.start();
  const redis = createRedisConnection(config.redis, { purpose: 'commands', name: 'gateway', logger, watch });
  const workerRedis = createRedisConnection(config.redis, { purpose: 'blocking', name: 'gateway-worker', logger, watch });
  // The lookups' cache and audit on a connection of their own: the command connection carries BullMQ's
  // scripts, and ioredis copies every defined script onto each auto-pipelined batch it builds, which cost
  // more CPU per lookup than the rest of the lookup's Redis work (docs/sources.md, profile).
  const lookupRedis = createRedisConnection(config.redis, { purpose: 'commands', name: 'gateway-lookups', logger, watch });
  await redis.ping();
  await checkRedisDurability(redis, logger);
  await checkDurabilitySupport(redis, config.redis, logger);
  const confirmedWrites = createConfirmedWrites(config.redis, logger, watch);

  const portalGuard = new UpstreamGuard('dvcqg', 'portal', config.dvcqg.resilience, { metrics, logger });
  // One guard per sector source of the list, each listed by ops from start-up.
  const sourceGuards = new Map(
    sources.map((s) => [s.name, new UpstreamGuard(s.name, s.kind, config.sources[s.name]!.resilience, { metrics, logger })] as const),
  );
  const guards: Record<string, UpstreamGuard> = { dvcqg: portalGuard, ...Object.fromEntries(sourceGuards) };
  const portalAdapter = createDvcqgPortal({ ...config.dvcqg, timeoutMs: config.dvcqg.resilience.timeoutMs, logger });
  const portal = guardPortal(portalAdapter, portalGuard);

  const store = new SyncStore(redis, config.queuePrefix, {
    retentionSeconds: config.sync.stateRetentionDays * 86_400,
    outbox: config.databaseUrl !== undefined,
    maxPendingProgress: config.sync.maxPendingProgress,
    ...(confirmedWrites ? { durability: confirmedWrites } : {}),
  });
  // Requests add jobs and read counts through the command connection, so they fail fast when Redis is down.
  const queue = createSyncQueue(redis, config.queuePrefix);
  // Connection trouble is already logged once by the Redis clients; without a listener BullMQ prints each.
  queue.on('error', () => undefined);
  let worker: SyncWorker | null = null;
  if (config.role !== 'api') {
    worker = new SyncWorker({ connection: workerRedis, prefix: config.queuePrefix, config: config.sync, store, queue, portal, metrics, logger });
    worker.start();
  }
  // A process that accepts and delivers starts deliveries from the accept itself while the portal's circuit is closed.
  const direct =
    config.role === 'all' && config.sync.directConcurrency > 0
      ? new DirectDelivery({ store, queue, portal, portalClosed: () => portalGuard.state === 'closed', config: config.sync, metrics, logger })
      : null;
  const sync = new SyncService({
    store,
    queue,
    metrics,
    logger,
    validate: revisionErrors,
    direct,
  });

  // Durable records in PostgreSQL: every process may drain the outbox (a lease picks one at a time).
  const records = new Records({ databaseUrl: config.databaseUrl, redis, prefix: config.queuePrefix, logger, metrics });
  records.register(createKpiProjection(logger));
  records.addMaintenance(kpiRetention(config.kpi.retentionMonths, logger));
  const kpi = new KpiService(records, config.kpi);
  // Dossier history and reconciliation (docs/history.md).
  records.register({ name: 'history', handle: handleOutboxBatch });
  records.addMaintenance({
    name: 'history-retention',
    run: async (pool) => {
      const { retentionDays, copyRetentionDays } = config.history;
      const removed = await enforceRetention(pool, { historyDays: retentionDays, copyDays: copyRetentionDays, runDays: 30 });
      if (removed.history + removed.dossiers + removed.copies + removed.runs > 0) logger.info(removed, 'history retention: old rows deleted');
    },
  });
  const historyStore = new HistoryStore(records);
  const reconcileStore = new ReconcileStore(records);
  const reconciler =
    records.configured && config.role !== 'api'
      ? new Reconciler({
          store: reconcileStore,
          sync: store,
          portal,
          guard: portalGuard,
          maxConcurrent: config.dvcqg.resilience.maxConcurrent,
          events: new ReconcileEvents(redis, config.queuePrefix),
          checks: metrics.reconcileChecks,
          redis,
          prefix: config.queuePrefix,
          logger,
          perMinute: config.history.reconcilePerMinute,
          leaseMs: config.sync.leaseMs,
        })
      : null;

  const lookups = await createLookups({
    sources,
    settings: config.sources,
    guards: sourceGuards,
    redis: lookupRedis,
    keyPrefix: config.queuePrefix,
    audit: config.audit,
    statusOf: (error) => problemFor(error).problem.status,
    metrics,
    logger,
  });
  const marker = new StoreMarker({
    redis,
    prefix: config.queuePrefix,
    logger,
    checkIntervalMs: config.redis.markerCheckIntervalMs,
    holdMs: config.alerts.storeDataLostSeconds * 1000,
  });
  await marker.start();
  const ops = new OpsService({ config: opsConfig(config), redis, store, queue, guards, metrics, logger, worker, direct, audit: lookups.audit, records, marker });
  // Unit-level indicator warnings become alerts where /v1 is served (the processes whose alerts are listed).
  if (config.role !== 'worker' && config.databaseUrl) ops.alerts.addSource(kpiAlertSource(kpi, () => records.ready, metrics.registry));

  // Every process answers health and metrics; only API processes serve /v1 and the dashboard.
  const directory = new ClientDirectory(config.clients, { redis, keyPrefix: config.queuePrefix });
  const routers = [healthRoutes({ ops, metrics })];
  if (config.role !== 'worker') {
    if (config.clients.length === 0) logger.warn('GATEWAY_CLIENTS_FILE is not set: no client can call /v1');
    for (const c of config.clients) {
      if (c.weakKey) logger.warn({ client: c.name }, 'API key shorter than 16 characters: easy to guess');
    }
    routers.push(
      // Lookups first: an officer waits on them, and no other router's paths overlap theirs.
      lookupRoutes({ directory, lookups: lookups.service, sources }),
      dossierRoutes({ directory, sync, validateBatch: (b) => batchErrors(b) }),
      opsRoutes({ directory, ops, store, queue, logger }),
      whoamiRoutes({ directory }),
      kpiRoutes({ directory, kpi }),
      historyRoutes({ directory, history: historyStore, store, redis, prefix: config.queuePrefix }),
      reconcileRoutes({ directory, reconcile: reconcileStore, redis, prefix: config.queuePrefix, logger, perMinute: config.history.reconcilePerMinute }),
      dashboardRoutes({ directory, queue, sessions: new SessionStore(redis, config.queuePrefix) }),
      docsRoutes({ app: () => app, sources, planned: PLANNED_ROUTES, version: packageJson.version }),
    );
  }
  const app = createApp({ logger, metrics, routers, beforeBody: config.role !== 'worker' ? [authenticateBeforeBody(directory)] : [] });
  const http = await startHttpServer(app, { port: config.port, host: config.host, ...config.http }, { logger, metrics });
  const { server, port } = http;
  logger.info({ port, role: config.role }, 'gateway listening');
  ops.start();
  records.start();
  let stopping: Promise<void> | null = null;
  // Reconciliation starts once the tables exist (PostgreSQL may come up later than the gateway), unless
  // the gateway is stopping by then.
  void records.whenReady().then(() => {
    if (stopping === null) reconciler?.start();
  });
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      await Promise.all([worker?.close(), direct?.close()]);
      ops.stop();
      marker.stop();
      await reconciler?.stop();
      await records.stop();
      await queue.close();
      await lookups.close();
      portalAdapter.close();
      for (const g of Object.values(guards)) g.shutdown();
      await Promise.allSettled([redis.quit(), workerRedis.quit(), lookupRedis.quit(), confirmedWrites?.close()]);
      watch?.close();
      logger.info('stopped');
    })());

  return { server, port, http, worker, store, metrics, records, reconciler, stop };
}
