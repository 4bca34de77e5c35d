/**
 * The lookup cache index (src/lookup/cache-index.ts) on a real Redis: it learns the keys already cached,
 * the keys any connection writes, and errs towards "may hold" whenever it cannot be sure.
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheIndex } from '../src/lookup/cache-index.js';
import { RedisRecordCache } from '../src/lookup/cache.js';
import { waitFor } from './support/gateway.js';
import { testRedis, uniquePrefix } from './support/redis.js';

const logger = pino({ level: 'silent' });
let prefix: string;
let redis: Redis;
let other: Redis;
let cleanup: () => Promise<void>;
let cleanupOther: () => Promise<void>;
const indexes: CacheIndex[] = [];

beforeEach(() => {
  prefix = uniquePrefix('cache-index');
  ({ redis, cleanup } = testRedis(prefix));
  ({ redis: other, cleanup: cleanupOther } = testRedis(prefix));
});
afterEach(async () => {
  for (const i of indexes.splice(0)) await i.close();
  await cleanupOther();
  await cleanup();
});

function index(options: { maxKeys?: number } = {}): CacheIndex {
  const i = new CacheIndex({ redis, prefix: `${prefix}:cache:`, maxTtlMs: 60_000, logger, connectionName: prefix, ...options });
  indexes.push(i);
  return i;
}

describe('the lookup cache index', () => {
  it('knows the keys cached before it started, and that others are absent', async () => {
    await other.set(`${prefix}:cache:dkdn:b:0100109106`, '{}', 'EX', 60);
    const i = index();
    expect(i.mayHold(`${prefix}:cache:dkdn:b:0100109106`)).toBe(true);
    await i.start();
    expect(i.ready).toBe(true);
    expect(i.mayHold(`${prefix}:cache:dkdn:b:0100109106`)).toBe(true);
    expect(i.mayHold(`${prefix}:cache:dkdn:b:0100109107`)).toBe(false);
  });

  it('learns a key another process writes', async () => {
    const i = index();
    await i.start();
    const key = `${prefix}:cache:hotich:x:1`;
    expect(i.mayHold(key)).toBe(false);
    await other.set(key, '{}', 'EX', 60);
    await waitFor('invalidation received', () => i.mayHold(key));
    // Keys outside the prefix are not its business.
    await other.set(`${prefix}:sync:d:1`, '1');
    expect(i.size).toBe(1);
  });

  it('forgets a key a read missed, unless a change came in between', async () => {
    const i = index();
    await i.start();
    const a = `${prefix}:cache:dkdn:b:a`;
    i.wrote(a, 60_000);
    const mark = i.mark();
    i.missed(a, mark);
    expect(i.mayHold(a)).toBe(false);
    i.wrote(a, 60_000);
    const before = i.mark();
    await other.set(`${prefix}:cache:dkdn:b:b`, '{}', 'EX', 60);
    await waitFor('invalidation received', () => i.mark() !== before);
    i.missed(a, before);
    expect(i.mayHold(a)).toBe(true);
  });

  it('says "may hold" for every key while its connection is down, and is in step again after', async () => {
    const i = index();
    await i.start();
    const key = `${prefix}:cache:dkdn:b:c`;
    expect(i.mayHold(key)).toBe(false);
    const list = (await other.client('LIST')) as string;
    const id = list.split('\n').find((l) => l.includes(` name=${prefix} `))?.match(/^id=(\d+)/)?.[1];
    expect(id).toBeDefined();
    await other.client('KILL', 'ID', id!);
    await waitFor('out of step', () => !i.ready, 5_000);
    expect(i.mayHold(key)).toBe(true);
    // Written while it was away: found by the scan after it reconnects.
    await other.set(key, '{}', 'EX', 60);
    await waitFor('back in step', () => i.ready, 10_000);
    expect(i.mayHold(key)).toBe(true);
    expect(i.mayHold(`${prefix}:cache:dkdn:b:d`)).toBe(false);
  });

  it('gives up past maxKeys: every key may be held again', async () => {
    const i = index({ maxKeys: 2 });
    await i.start();
    for (const k of ['1', '2', '3']) i.wrote(`${prefix}:cache:dkdn:b:${k}`, 60_000);
    expect(i.ready).toBe(false);
    expect(i.mayHold(`${prefix}:cache:dkdn:b:unknown`)).toBe(true);
  });

  it('lets the record cache skip a read that would miss, and read one that may hit', async () => {
    const i = index();
    await i.start();
    const cache = new RedisRecordCache<{ n: number }>(redis, `${prefix}:cache:dkdn`, 60, i);
    expect(cache.mayHold('b:1')).toBe(false);
    await cache.set('b:1', { n: 1 });
    expect(cache.mayHold('b:1')).toBe(true);
    expect(await cache.get('b:1')).toEqual({ n: 1 });
    await other.del(`${prefix}:cache:dkdn:b:1`);
    expect(await cache.get('b:1')).toBeNull();
  });
});
