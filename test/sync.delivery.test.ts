/**
 * The delivery rules on the in-memory portal: one round at a time, on the real Redis store, without
 * HTTP or the queue, so each rule is seen on its own.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import { FakeNationalPortal } from '../adapters/fake/index.js';
import { UpstreamTimeout, UpstreamUnavailable } from '../src/domain/errors.js';
import { Metrics } from '../src/ops/metrics.js';
import { parseJson } from '../src/domain/json.js';
import { deliverRound, type DeliveryDeps } from '../src/sync/delivery.js';
import { SyncStore } from '../src/sync/store.js';
import { testRedis, uniquePrefix } from './support/redis.js';

let store: SyncStore;
let portal: FakeNationalPortal;
let deps: DeliveryDeps;
let cleanup: () => Promise<void>;

beforeEach(() => {
  const prefix = uniquePrefix('delivery');
  const r = testRedis(prefix);
  cleanup = r.cleanup;
  store = new SyncStore(r.redis, prefix);
  portal = new FakeNationalPortal();
  deps = { store, portal, metrics: new Metrics({ defaults: false }), logger: pino({ level: 'silent' }), leaseMs: 5_000, maxAttempts: 130 };
});
afterEach(async () => {
  await cleanup();
});

const M = '000.00.01.H26-261129-0100';
const round = (token = 'w1') => deliverRound(deps, { maHoSo: M, token });
const steps = (n: number, rev = 1) =>
  Array.from({ length: n }, (_, i) => sampleProgress(M, `20261129${String(8 + Math.floor(i / 60)).padStart(2, '0')}${String(i % 60).padStart(2, '0')}00`, 4)).map(
    (item) => ({ ...item, rev }),
  );

describe('a delivery round', () => {
  it('sends the latest data first, then progress in time order, ten at a time', async () => {
    const items = steps(25).map(({ rev: _rev, ...item }) => item);
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [...items].reverse() });
    expect(await round()).toEqual({ kind: 'done' });
    const calls = portal.calls();
    expect(calls.map((c) => c.method)).toEqual(['syncDossier', 'updateProgress', 'updateProgress', 'updateProgress']);
    expect(portal.progress(M).map((p) => p.ThoiDiemXuLy)).toEqual(items.map((p) => p.ThoiDiemXuLy));
    expect(await store.status(M)).toMatchObject({ state: 'delivered', deliveredRevision: 1, pendingProgress: 0, attempts: 1 });
  });

  it('never sends a step before the portal acknowledged its dossier', async () => {
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [sampleProgress(M, '20261129080000', 2)] });
    portal.failNext(new UpstreamUnavailable('down', { upstream: 'dvcqg' }));
    expect((await round()).kind).toBe('retry');
    expect(portal.progress(M)).toHaveLength(0);
    expect(await store.status(M)).toMatchObject({ state: 'retrying', attempts: 1, pendingProgress: 1, lastError: { code: 'upstream_unavailable' } });
    expect(await round()).toEqual({ kind: 'done' });
    expect(portal.progress(M)).toHaveLength(1);
  });

  it('holds without counting an attempt while the circuit is open', async () => {
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [] });
    portal.failNext(new UpstreamUnavailable('open', { upstream: 'dvcqg', reason: 'circuit_open', retryAfterSeconds: 7 }));
    const r = await round();
    expect(r).toMatchObject({ kind: 'hold', retryInMs: 7_000 });
    expect((await store.status(M))!.attempts).toBe(0);
  });

  it('turns a rejection into a dead letter and goes on with the rest', async () => {
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [] });
    portal.rejectMaHoSo([M]);
    expect(await round()).toEqual({ kind: 'more' });
    expect(await round()).toEqual({ kind: 'done' });
    const status = await store.status(M);
    expect(status).toMatchObject({ state: 'dead', deliveredRevision: null, lastError: { code: 'upstream_rejected' } });
    const { items } = await store.deadLetters(10);
    expect(items).toEqual([expect.objectContaining({ maHoSo: M, revision: 1, kind: 'dossier', reason: expect.objectContaining({ code: 'upstream_rejected', upstreamCode: '9' }) })]);
    expect(await store.syncLagSeconds()).toBe(0);
  });

  it('on the last attempt, puts everything unsent into one attempts_exhausted letter', async () => {
    deps.maxAttempts = 2;
    const items = steps(12).map(({ rev: _rev, ...item }) => item);
    await store.accept({ revision: 3, dossier: sampleDossier(M), progress: items });
    portal.failNext(new UpstreamTimeout('slow', { upstream: 'dvcqg', timeoutMs: 10 }), 1);
    // The first round fails on the data; the second delivers the data and its progress times out: having
    // delivered something, it starts the count again; the third delivers nothing on its last attempt.
    const original = portal.updateProgress.bind(portal);
    portal.updateProgress = async () => {
      throw new UpstreamTimeout('slow', { upstream: 'dvcqg', timeoutMs: 10 });
    };
    expect(await round()).toMatchObject({ kind: 'retry', attempts: 1 });
    expect(await round()).toMatchObject({ kind: 'retry', attempts: 1 });
    expect((await round()).kind).toBe('exhausted');
    portal.updateProgress = original;
    const { items: letters } = await store.deadLetters(10);
    expect(letters).toEqual([expect.objectContaining({ kind: 'progress', revision: 3, attempts: 2, reason: expect.objectContaining({ code: 'attempts_exhausted' }) })]);
    expect(await store.status(M)).toMatchObject({ state: 'dead', deliveredRevision: 3, pendingProgress: 0 });
    // Replay puts the twelve steps back; the next round sends them.
    expect(await store.replay(letters[0]!.id, 'test')).toMatchObject({ maHoSo: M });
    expect(await round()).toEqual({ kind: 'done' });
    expect(portal.progress(M)).toHaveLength(12);
  });

  it('starts the backoff again from the base after a round that delivered something', async () => {
    const items = steps(30).map(({ rev: _rev, ...item }) => item);
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: items });
    const down = new UpstreamUnavailable('down', { upstream: 'dvcqg' });
    portal.failNext(down, 3);
    for (const n of [1, 2, 3]) expect(await round()).toMatchObject({ kind: 'retry', attempts: n });
    // Data and the first two calls go through, the third fails: the next wait is the first one again.
    let calls = 0;
    const original = portal.updateProgress.bind(portal);
    portal.updateProgress = async (batch, ctx) => {
      if (++calls === 3) throw down;
      return original(batch, ctx);
    };
    expect(await round()).toMatchObject({ kind: 'retry', attempts: 1 });
    expect(await store.status(M)).toMatchObject({ attempts: 1, deliveredRevision: 1, pendingProgress: 10, state: 'retrying' });
    expect(await round()).toEqual({ kind: 'done' });
    expect(portal.progress(M)).toHaveLength(30);
  });

  it('records each acknowledged progress call as soon as the portal answers it', async () => {
    const items = steps(25).map(({ rev: _rev, ...item }) => item);
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: items });
    const seen: number[] = [];
    const original = portal.updateProgress.bind(portal);
    portal.updateProgress = async (batch, ctx) => {
      // What Redis says while the next call is in flight: every earlier call is already recorded.
      seen.push((await store.status(M))!.pendingProgress);
      return original(batch, ctx);
    };
    expect(await round()).toEqual({ kind: 'done' });
    expect(seen).toEqual([25, 15, 5]);
  });

  it('lets only one worker deliver a dossier at a time', async () => {
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [] });
    portal.hangNext(1);
    const first = round('w1');
    await new Promise((r) => setTimeout(r, 20));
    expect((await round('w2')).kind).toBe('busy');
    void first.catch(() => undefined);
  });
});

describe('the reconciler', () => {
  it('finds accepted work whose delivery job went missing, once', async () => {
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [] }, { nowMs: Date.now() - 60_000 });
    // No job was ever added (as if the process died right after accepting).
    const first = await store.reconcile(30_000);
    expect(first.missing).toEqual([{ maHoSo: M, generation: 2 }]);
    expect(first.nextOffset).toBe(0);
    // Too recent work is left to the request that accepted it.
    await store.accept({ revision: 1, dossier: sampleDossier(`${M}-2`), progress: [] });
    expect((await store.reconcile(30_000)).missing.map((x) => x.maHoSo)).not.toContain(`${M}-2`);
  });

  it('walks a large lag set page by page', async () => {
    for (let i = 0; i < 5; i++) await store.accept({ revision: 1, dossier: sampleDossier(`${M}-${i}`), progress: [] }, { nowMs: Date.now() - 60_000 });
    const a = await store.reconcile(30_000, 0, 2);
    const b = await store.reconcile(30_000, a.nextOffset, 2);
    const c = await store.reconcile(30_000, b.nextOffset, 2);
    expect([a.nextOffset, b.nextOffset, c.nextOffset]).toEqual([2, 4, 0]);
    expect(new Set([...a.missing, ...b.missing, ...c.missing].map((x) => x.maHoSo)).size).toBe(5);
  });
});

describe('what a delivered dossier leaves in Redis', () => {
  it('drops the data copy once delivered, and forgets the state after the retention period', async () => {
    const prefix = uniquePrefix('retention');
    const r = testRedis(prefix);
    try {
      const kept = new SyncStore(r.redis, prefix, { retentionSeconds: 3_600 });
      await kept.accept({ revision: 1, dossier: sampleDossier(M), progress: [sampleProgress(M, '20261129080000', 2)] });
      expect(await deliverRound({ ...deps, store: kept }, { maHoSo: M, token: 'w1' })).toEqual({ kind: 'done' });
      expect(await r.redis.exists(kept.keys.data(M))).toBe(0);
      const ttl = await r.redis.ttl(kept.keys.dossier(M));
      expect(ttl).toBeGreaterThan(3_000);
      expect(ttl).toBeLessThanOrEqual(3_600);
      // New work makes the dossier permanent again until it is delivered.
      await kept.accept({ revision: 2, dossier: sampleDossier(M), progress: [] });
      expect(await r.redis.ttl(kept.keys.dossier(M))).toBe(-1);
      expect(await kept.status(M)).toMatchObject({ acceptedRevision: 2, deliveredRevision: 1, state: 'pending' });
    } finally {
      await r.cleanup();
    }
  });
});

describe('fields the gateway does not know', () => {
  it('reach the portal exactly as sent, large integers included', async () => {
    const text = `{"revision":1,"dossier":${JSON.stringify(sampleDossier(M)).slice(0, -1)},"MaHoSoLienThong":12345678901234567890,"PhiKhac":1.5}}`;
    const body = parseJson(text) as { revision: number; dossier: Parameters<typeof store.accept>[0]['dossier'] };
    await store.accept({ revision: body.revision, dossier: body.dossier, progress: [] });
    let sent = '';
    const capture = { ...portal, syncDossier: async (d: unknown) => void (sent = JSON.stringify(d)), updateProgress: async () => undefined, findDossier: async () => null };
    expect(await deliverRound({ ...deps, portal: capture }, { maHoSo: M, token: 'w1' })).toEqual({ kind: 'done' });
    expect(sent).toContain('"MaHoSoLienThong":12345678901234567890');
    expect(sent).toContain('"PhiKhac":1.5');
  });
});

describe('a stored step', () => {
  it('reaches the portal with every field it was sent with', async () => {
    const item = { ...sampleProgress(M, '20261129080000', 3), YKienXuLy: 'Đồng ý', SoThuTu: 7 };
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [item] });
    expect(await round()).toEqual({ kind: 'done' });
    expect(portal.progress(M)).toEqual([item]);
  });
});

describe('a full bulkhead', () => {
  it('makes only this dossier step back, without an attempt or an error', async () => {
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [] });
    portal.failNext(new UpstreamUnavailable('busy', { upstream: 'dvcqg', reason: 'bulkhead_full', retryAfterSeconds: 1 }));
    expect(await round()).toEqual({ kind: 'busy', retryInMs: 100 });
    expect(await store.status(M)).toMatchObject({ state: 'pending', attempts: 0, lastError: null });
    expect(await round()).toEqual({ kind: 'done' });
  });
});
