/**
 * Direct delivery (src/sync/direct.ts): revisions accepted by a process that also delivers go to the
 * portal without a queued job while the portal's circuit is closed; whatever cannot finish at once
 * becomes the queued job of its generation. Real Redis and BullMQ queue, the in-memory portal, no worker
 * unless a test starts one: a job appearing (or not) is what each test checks.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import { FakeNationalPortal } from '../adapters/fake/index.js';
import { UpstreamUnavailable } from '../src/domain/errors.js';
import type { NationalPortal } from '../src/ports/national-portal.js';
import { revisionErrors } from '../src/http/validation.js';
import { Metrics } from '../src/ops/metrics.js';
import { DirectDelivery, LINE_PER_SLOT } from '../src/sync/direct.js';
import { createSyncQueue, type DeliveryJobData } from '../src/sync/queue.js';
import { SyncService } from '../src/sync/service.js';
import { SyncStore } from '../src/sync/store.js';
import { waitFor } from './support/gateway.js';
import { testRedis, uniquePrefix } from './support/redis.js';

const logger = pino({ level: 'silent' });
let redis: Redis;
let store: SyncStore;
let queue: Queue<DeliveryJobData>;
let portal: FakeNationalPortal;
let metrics: Metrics;
let circuitClosed: boolean;
let cleanup: () => Promise<void>;
let closeables: Array<{ close(): Promise<void> }>;

beforeEach(() => {
  const prefix = uniquePrefix('direct');
  const r = testRedis(prefix);
  cleanup = r.cleanup;
  redis = r.redis;
  store = new SyncStore(r.redis, prefix);
  queue = createSyncQueue(r.redis, prefix);
  portal = new FakeNationalPortal();
  metrics = new Metrics({ defaults: false });
  circuitClosed = true;
  closeables = [];
});
afterEach(async () => {
  for (const c of closeables.reverse()) await c.close();
  await queue.close();
  await cleanup();
});

function start(slots = 4, portalOf: NationalPortal = portal) {
  const direct = new DirectDelivery({
    store,
    queue,
    portal: portalOf,
    portalClosed: () => circuitClosed,
    config: { directConcurrency: slots, leaseMs: 5_000, maxAttempts: 130, backoffBaseMs: 1_000, backoffMaxMs: 60_000, shutdownGraceMs: 2_000 },
    metrics,
    logger,
  });
  closeables.push(direct);
  const sync = new SyncService({ store, queue, metrics, logger, validate: revisionErrors, direct });
  return { direct, sync };
}

const M = (i: number) => `000.00.01.H26-261201-D${String(i).padStart(3, '0')}`;
const revision = (m: string, r = 1) => ({ revision: r, dossier: sampleDossier(m), progress: [sampleProgress(m, '20261201080000', 2)] });

async function jobCounts() {
  return queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
}

describe('direct delivery', () => {
  it('delivers an accepted revision with no queued job, and counts it for the queue figures', async () => {
    const { direct, sync } = start();
    await sync.accept(revision(M(1)));
    await waitFor('delivered', async () => (await store.status(M(1)))?.state === 'delivered');
    expect(portal.dossier(M(1))).toBeDefined();
    expect(portal.progress(M(1))).toHaveLength(1);
    expect(await jobCounts()).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 });
    expect(await queue.getJob(`g1-${M(1)}`)).toBeUndefined();
    await direct.close();
    expect((await store.directFigures()).lastHour.completed).toBe(1);
    expect(await store.undeliveredCount()).toBe(0);
  });

  it('turns a retryable failure into the delayed job of the same generation, attempt counted', async () => {
    const { sync } = start();
    portal.failNext(new UpstreamUnavailable('down', { upstream: 'dvcqg' }));
    await sync.accept(revision(M(2)));
    await waitFor('job queued', async () => (await jobCounts()).delayed === 1);
    const job = await queue.getJob(`g1-${M(2)}`);
    expect(job?.data).toEqual({ m: M(2) });
    expect(await store.status(M(2))).toMatchObject({ state: 'retrying', attempts: 1, lastError: { code: 'upstream_unavailable' } });
    expect(portal.dossier(M(2))).toBeUndefined();
  });

  it('queues instead while the circuit is not closed', async () => {
    const { direct, sync } = start();
    circuitClosed = false;
    await sync.accept(revision(M(3)));
    expect(await jobCounts()).toMatchObject({ waiting: 1 });
    expect(direct.inFlight).toBe(0);
    expect(portal.calls()).toHaveLength(0);
  });

  it('lines dossiers up when every slot is busy and delivers them all; a full line queues the rest', async () => {
    const gate = deferred();
    // Every DongBoHoSoMC waits until the gate opens, so the slots stay busy while the line fills.
    const slow = gatedPortal(gate.promise);
    const slots = 2;
    const { direct, sync } = start(slots, slow);
    const total = slots + slots * LINE_PER_SLOT + 3;
    for (let i = 0; i < total; i++) await sync.accept(revision(M(100 + i)));
    expect(direct.inFlight).toBe(slots);
    expect(direct.waiting).toBe(slots * LINE_PER_SLOT);
    // The three past the line went to the queue at once.
    expect((await jobCounts()).waiting).toBe(3);
    gate.resolve();
    await waitFor('line delivered', async () => direct.inFlight === 0 && direct.waiting === 0);
    for (let i = 0; i < slots + slots * LINE_PER_SLOT; i++) expect(portal.progress(M(100 + i))).toHaveLength(1);
  });

  it('hands the line to the queue, leases released, when the process stops', async () => {
    const gate = deferred();
    const slow = gatedPortal(gate.promise);
    const { direct, sync } = start(1, slow);
    for (let i = 0; i < 4; i++) await sync.accept(revision(M(200 + i)));
    expect(direct.waiting).toBe(3);
    const closing = direct.close();
    gate.resolve();
    await closing;
    expect((await jobCounts()).waiting).toBe(3);
    for (let i = 1; i < 4; i++) expect(await redis.get(store.keys.lease(M(200 + i)))).toBeNull();
    expect((await store.status(M(200)))?.state).toBe('delivered');
  });

  it('hands to the queue a revision whose accept ends after the stop began', async () => {
    const { direct } = start();
    const plan = direct.reserve()!;
    const closing = direct.close();
    const accepted = await store.accept(revision(M(250)), { lease: { token: plan.token, ms: 5_000 } });
    if (accepted.outcome !== 'accepted' || !accepted.direct) throw new Error('the accept should have taken the lease');
    direct.deliver(plan, M(250), accepted.generation, accepted.direct, Date.now());
    await closing;
    await waitFor('job queued', async () => (await jobCounts()).waiting === 1);
    expect(await redis.get(store.keys.lease(M(250)))).toBeNull();
    expect(direct.inFlight).toBe(0);
    expect(portal.calls()).toHaveLength(0);
  });

  it('coalesces a revision accepted during the delivery into the same direct run', async () => {
    const gate = deferred();
    // Only the first DongBoHoSoMC waits: the second revision is accepted while it does.
    const slow = gatedPortal(gate.promise, 1);
    const { direct, sync } = start(4, slow);
    await sync.accept(revision(M(300), 1));
    await sync.accept({ revision: 2, dossier: sampleDossier(M(300), { TrangThaiHoSo: 9 }), progress: [sampleProgress(M(300), '20261201090000', 4)] });
    gate.resolve();
    await waitFor('both delivered', async () => (await store.status(M(300)))?.deliveredRevision === 2 && direct.inFlight === 0);
    expect(portal.dossier(M(300))?.TrangThaiHoSo).toBe(9);
    expect(portal.progress(M(300)).map((p) => p.TrangThai)).toEqual([2, 4]);
    expect(await jobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
  });
});

describe('queue figures', () => {
  it('keep a minute bucket per minute and sum the last hour', async () => {
    // Near the real time: the buckets expire two hours after their minute, by Redis's clock.
    const now = Date.now();
    await store.countDirect({ completed: 5, failed: 1 }, now - 60_000);
    await store.countDirect({ completed: 2, failed: 0 }, now);
    await store.countDirect({ completed: 7, failed: 0 }, now - 61 * 60_000);
    expect(await store.directFigures(now)).toEqual({ lastMinute: { completed: 5, failed: 1 }, lastHour: { completed: 7, failed: 1 } });
  });
});

/** The in-memory portal whose first `calls` DongBoHoSoMC (all, by default) wait for `gate`. */
function gatedPortal(gate: Promise<void>, calls = Number.POSITIVE_INFINITY): NationalPortal {
  let held = 0;
  return {
    syncDossier: async (...args) => {
      if (held++ < calls) await gate;
      return portal.syncDossier(...args);
    },
    updateProgress: (...args) => portal.updateProgress(...args),
    findDossier: (...args) => portal.findDossier(...args),
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
