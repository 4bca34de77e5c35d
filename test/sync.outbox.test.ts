/**
 * The outbox (docs/outbox.md): each state change appends exactly its own event, in the script that
 * makes the change, and nothing at all when the outbox is off.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import { FakeNationalPortal } from '../adapters/fake/index.js';
import { UpstreamTimeout } from '../src/domain/errors.js';
import { Metrics } from '../src/ops/metrics.js';
import { unpackDossier } from '../src/sync/compression.js';
import { deliverRound, type DeliveryDeps } from '../src/sync/delivery.js';
import { appendOutbox } from '../src/sync/outbox.js';
import { SyncStore } from '../src/sync/store.js';
import { testRedis, uniquePrefix } from './support/redis.js';
import type { Redis } from 'ioredis';

const M = '000.00.01.H26-261129-0300';
let redis: Redis;
let cleanup: () => Promise<void>;
let prefix: string;
let portal: FakeNationalPortal;

beforeEach(() => {
  prefix = uniquePrefix('outbox');
  ({ redis, cleanup } = testRedis(prefix));
  portal = new FakeNationalPortal();
});
afterEach(async () => {
  await cleanup();
});

function depsFor(store: SyncStore, maxAttempts = 130): DeliveryDeps {
  return { store, portal, metrics: new Metrics({ defaults: false }), logger: pino({ level: 'silent' }), leaseMs: 5_000, maxAttempts };
}

interface Entry {
  id: string;
  f: Record<string, string>;
  x?: Buffer;
}

/** Entries written since `after` (exclusive), fields as strings; `x` kept as bytes. */
async function entries(store: SyncStore, after = '-'): Promise<Entry[]> {
  const raw = (await redis.xrangeBuffer(store.keys.outbox, after === '-' ? '-' : `(${after}`, '+')) as Array<[Buffer, Buffer[]]>;
  return raw.map(([id, flat]) => {
    const f: Record<string, string> = {};
    let x: Buffer | undefined;
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!.toString();
      if (name === 'x') x = flat[i + 1]!;
      else f[name] = flat[i + 1]!.toString();
    }
    return { id: id.toString(), f, ...(x ? { x } : {}) };
  });
}

const last = (es: Entry[]) => es[es.length - 1]?.id ?? '-';

describe('the outbox', () => {
  it('gets one event per state change: accepted, delivered, progress_delivered, dead_letter, replayed', async () => {
    const store = new SyncStore(redis, prefix, { outbox: true });
    const deps = depsFor(store, 2);
    const p1 = sampleProgress(M, '20261129080000', 2);
    const p2 = sampleProgress(M, '20261129090000', 4);

    // accepted: the stored data and the steps it added (a step sent twice counts once).
    await store.accept({ revision: 1, dossier: sampleDossier(M, { GhiChu: 'r1' }), progress: [p1, p2] });
    let es = await entries(store);
    expect(es.map((e) => e.f.t)).toEqual(['accepted']);
    expect(es[0]!.f).toMatchObject({ t: 'accepted', m: M, r: '1' });
    expect(Number(es[0]!.f.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.parse(unpackDossier(es[0]!.x!))).toMatchObject({ MaHoSo: M, GhiChu: 'r1' });
    expect(JSON.parse(es[0]!.f.g!)).toEqual([['20261129080000', 2], ['20261129090000', 4]]);

    // A stale and a duplicate send change nothing, so they write nothing.
    let mark = last(es);
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [] });
    expect(await entries(store, mark)).toEqual([]);

    // A revision re-sending a waiting step adds none.
    await store.accept({ revision: 2, dossier: sampleDossier(M, { GhiChu: 'r2' }), progress: [p1] });
    es = await entries(store, mark);
    expect(es.map((e) => [e.f.t, e.f.r, e.f.g])).toEqual([['accepted', '2', '[]']]);
    mark = last(es);

    // delivered, then progress_delivered with the number of items.
    expect(await deliverRound(deps, { maHoSo: M, token: 'w' })).toEqual({ kind: 'done' });
    es = await entries(store, mark);
    expect(es.map((e) => e.f.t)).toEqual(['delivered', 'progress_delivered']);
    expect(es[0]!.f).toMatchObject({ m: M, r: '2' });
    expect(es[0]!.f.d).toBeUndefined();
    expect(es[1]!.f).toMatchObject({ m: M, r: '2' });
    expect(JSON.parse(es[1]!.f.d!)).toEqual({ items: 2 });
    mark = last(es);

    // dead_letter: a step whose call times out on its last attempt.
    const p3 = sampleProgress(M, '20261129100000', 5);
    await store.accept({ revision: 3, dossier: sampleDossier(M), progress: [p3] });
    mark = last(await entries(store, mark));
    const original = portal.updateProgress.bind(portal);
    portal.updateProgress = async () => {
      throw new UpstreamTimeout('slow', { upstream: 'dvcqg', timeoutMs: 10 });
    };
    // The data goes through (delivered), the step does not: a round that delivered something retries.
    expect((await deliverRound(deps, { maHoSo: M, token: 'w' })).kind).toBe('retry');
    expect((await entries(store, mark)).map((e) => e.f.t)).toEqual(['delivered']);
    mark = last(await entries(store, mark));
    expect((await deliverRound(deps, { maHoSo: M, token: 'w' })).kind).toBe('exhausted');
    es = await entries(store, mark);
    expect(es.map((e) => e.f.t)).toEqual(['dead_letter']);
    const letter = (await store.deadLetters(10)).items[0]!;
    expect(es[0]!.f).toMatchObject({ m: M, r: '3' });
    expect(JSON.parse(es[0]!.f.d!)).toEqual({
      kind: 'progress',
      letterId: letter.id,
      reason: { code: 'attempts_exhausted', message: expect.any(String), upstreamCode: null },
    });
    mark = last(es);

    // replayed, by whom; then the step's delivery.
    portal.updateProgress = original;
    await store.replay(letter.id, 'ops-alice');
    es = await entries(store, mark);
    expect(es.map((e) => [e.f.t, e.f.m, e.f.r])).toEqual([['replayed', M, '3']]);
    expect(JSON.parse(es[0]!.f.d!)).toEqual({ letterId: letter.id, by: 'ops-alice' });
    mark = last(es);
    expect(await deliverRound(deps, { maHoSo: M, token: 'w' })).toEqual({ kind: 'done' });
    es = await entries(store, mark);
    expect(es.map((e) => [e.f.t, e.f.d])).toEqual([['progress_delivered', '{"items":1}']]);
  });

  it('gets a dead_letter event for a rejected dossier', async () => {
    const store = new SyncStore(redis, prefix, { outbox: true });
    portal.rejectMaHoSo([M]);
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [] });
    const mark = last(await entries(store));
    expect(await deliverRound(depsFor(store), { maHoSo: M, token: 'w' })).toEqual({ kind: 'more' });
    const es = await entries(store, mark);
    expect(es.map((e) => e.f.t)).toEqual(['dead_letter']);
    expect(JSON.parse(es[0]!.f.d!)).toMatchObject({ kind: 'dossier', reason: { code: 'upstream_rejected', upstreamCode: '9' } });
  });

  it('stays empty when off', async () => {
    const store = new SyncStore(redis, prefix);
    portal.rejectMaHoSo([`${M}X`]);
    await store.accept({ revision: 1, dossier: sampleDossier(M), progress: [sampleProgress(M, '20261129080000', 2)] });
    await store.accept({ revision: 1, dossier: sampleDossier(`${M}X`), progress: [] });
    expect(await deliverRound(depsFor(store), { maHoSo: M, token: 'w' })).toEqual({ kind: 'done' });
    expect(await deliverRound(depsFor(store), { maHoSo: `${M}X`, token: 'w' })).toEqual({ kind: 'more' });
    const letter = (await store.deadLetters(10)).items[0]!;
    await store.replay(letter.id, 'ops');
    expect(await redis.exists(store.keys.outbox)).toBe(0);
  });

  it('takes events from other modules through appendOutbox, alone or in a MULTI', async () => {
    const store = new SyncStore(redis, prefix, { outbox: true });
    const id = await appendOutbox(redis, store.keys, { type: 'drift', maHoSo: M, revision: 4, atMs: 1_700_000_000_000, detail: { missing: true } });
    await appendOutbox(redis.multi().hset(`${prefix}:x`, 'a', 1), store.keys, { type: 'repaired', maHoSo: M, revision: 4, detail: {} }).exec();
    const es = await entries(store);
    expect(es[0]).toEqual({ id, f: { t: 'drift', m: M, r: '4', at: '1700000000000', d: '{"missing":true}' } });
    expect(es[1]!.f).toMatchObject({ t: 'repaired', m: M, r: '4', d: '{}' });
  });
});
