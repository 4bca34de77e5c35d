/**
 * The sync state's bounds: how many steps may wait, and that accepting a revision does the same Redis
 * work whatever already waits (counted in commands and what they read, on a private Redis, never timed).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import type { ProgressItem } from '../src/domain/dossier.js';
import { PACK_FROM_BACKLOG, SyncStore } from '../src/sync/store.js';
import { ensureRedis, type RedisHandle } from '../scripts/ensure-redis.js';
import { freePort } from '../scripts/free-port.js';
import { uniquePrefix } from './support/redis.js';

let handle: RedisHandle;
let redis: Redis;

beforeAll(async () => {
  // A Redis of this test alone: its MONITOR sees only what this test does.
  handle = await ensureRedis(`redis://127.0.0.1:${await freePort()}`);
  redis = new Redis(handle.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  await handle?.stop();
});

const M = '000.00.01.H26-261129-0200';

function steps(from: number, n: number): ProgressItem[] {
  return Array.from({ length: n }, (_, i) => {
    const minute = from + i;
    const t = `2026${String(1 + Math.floor(minute / 40000) % 12).padStart(2, '0')}${String(1 + Math.floor(minute / 1440) % 28).padStart(2, '0')}${String(Math.floor(minute / 60) % 24).padStart(2, '0')}${String(minute % 60).padStart(2, '0')}00`;
    return sampleProgress(M, t, 4);
  });
}

/** Every command Redis ran (scripts' inner commands included) while `action` ran. */
async function commandsDuring(action: () => Promise<unknown>): Promise<string[]> {
  const monitor = await redis.monitor();
  const seen: string[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => seen.push(String(args[0]).toUpperCase()));
  await new Promise((r) => setTimeout(r, 50));
  await action();
  await redis.ping();
  await new Promise((r) => setTimeout(r, 100));
  monitor.disconnect();
  return seen;
}

/** Commands whose cost grows with what a key holds. */
const RANGE_READS = new Set(['LRANGE', 'HGETALL', 'HKEYS', 'HVALS', 'SMEMBERS', 'ZRANGE', 'LREM', 'LPOS', 'SORT', 'SCAN', 'HSCAN', 'SSCAN', 'ZSCAN', 'KEYS']);

describe('accepting a revision', () => {
  it('does the same Redis work with 5 or 5,000 steps waiting', async () => {
    const prefix = uniquePrefix('cost');
    const store = new SyncStore(redis, prefix, { maxPendingProgress: 10_000 });
    const few = `${M}1`;
    const many = `${M}2`;
    await store.accept({ revision: 1, dossier: sampleDossier(few), progress: steps(0, 5).map((p) => ({ ...p, MaHoSo: few })) });
    for (let i = 0; i < 5; i++) {
      await store.accept({ revision: i + 1, dossier: sampleDossier(many), progress: steps(i * 1000, 1000).map((p) => ({ ...p, MaHoSo: many })) });
    }
    expect((await store.status(many))!.pendingProgress).toBe(5_000);
    const next = (m: string) => steps(900_000, 3).map((p) => ({ ...p, MaHoSo: m }));
    const small = await commandsDuring(() => store.accept({ revision: 2, dossier: sampleDossier(few), progress: next(few) }));
    const large = await commandsDuring(() => store.accept({ revision: 6, dossier: sampleDossier(many), progress: next(many) }));
    const inScript = (cmds: string[]) => cmds.filter((c) => c !== 'PING' && c !== 'EVALSHA' && c !== 'EVAL');
    expect(inScript(small)).toContain('HSET');
    expect(inScript(large)).toEqual(inScript(small));
    expect(inScript(large).filter((c) => RANGE_READS.has(c))).toEqual([]);
    expect((await store.status(many))!.pendingProgress).toBe(5_003);
  });
});

describe('SYNC_MAX_PENDING_PROGRESS', () => {
  it('refuses a revision that would leave more steps unacknowledged, and writes nothing of it', async () => {
    const prefix = uniquePrefix('limit');
    const store = new SyncStore(redis, prefix, { maxPendingProgress: 10 });
    expect(await store.accept({ revision: 1, dossier: sampleDossier(M), progress: steps(0, 8) })).toMatchObject({ outcome: 'accepted' });
    // Steps already waiting do not count twice; new ones do.
    expect(await store.accept({ revision: 2, dossier: sampleDossier(M), progress: [...steps(0, 8), ...steps(100, 2)] })).toMatchObject({ outcome: 'accepted' });
    const before = await redis.dump(store.keys.dossier(M));
    expect(await store.accept({ revision: 3, dossier: sampleDossier(M, { GhiChu: 'too many' }), progress: steps(200, 1) })).toEqual({
      outcome: 'too_many_pending',
      waiting: 11,
      limit: 10,
    });
    expect(await redis.dump(store.keys.dossier(M))).toEqual(before);
    expect(await store.status(M)).toMatchObject({ acceptedRevision: 2, pendingProgress: 10 });
    // A revision without new steps still goes through.
    expect(await store.accept({ revision: 3, dossier: sampleDossier(M), progress: [] })).toMatchObject({ outcome: 'accepted' });
  });
});

describe('stored dossier data', () => {
  it('is deflated while a backlog waits and stored plain when deliveries keep up', async () => {
    const prefix = uniquePrefix('store-pack');
    const store = new SyncStore(redis, prefix);
    const stored = async (m: string) => (await redis.getBuffer(store.keys.data(m)))![0];
    const accept = (m: string) => store.accept({ revision: 1, dossier: sampleDossier(m), progress: [] });
    // The first accept knows no backlog yet: deflated.
    await accept(`${M}-a`);
    expect(await stored(`${M}-a`)).toBe(0x01);
    await accept(`${M}-b`);
    expect(await stored(`${M}-b`)).toBe(0x00);
    expect((await store.begin(`${M}-b`, 't', 10_000)) as { data: string }).toMatchObject({ data: JSON.stringify(sampleDossier(`${M}-b`)) });
    // A backlog of PACK_FROM_BACKLOG dossiers: deflated again.
    await redis.zadd(store.keys.lag, ...Array.from({ length: PACK_FROM_BACKLOG }, (_, i) => [i, `other-${i}`]).flat());
    await accept(`${M}-c`);
    await accept(`${M}-d`);
    expect(await stored(`${M}-d`)).toBe(0x01);
    expect((await store.begin(`${M}-d`, 't', 10_000)) as { data: string }).toMatchObject({ data: JSON.stringify(sampleDossier(`${M}-d`)) });
  });
});
