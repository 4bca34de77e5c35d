/** Redis memory as the benchmarks report it, and removal of every key of a benchmark's prefix. */
import type { Redis } from 'ioredis';

/** `used_memory` of INFO memory, bytes: everything Redis holds, other users' keys included. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (!m) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

/** `MEMORY USAGE key SAMPLES 0` (exact, every element counted), or null when the key does not exist. */
export async function keyMemory(redis: Redis, key: string): Promise<number | null> {
  const n = (await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number | null;
  return n === null ? null : Number(n);
}

export interface MemoryUnderPrefix {
  keys: number;
  bytes: number;
  /** Keys and bytes per key family: the key with its last segment (an id) cut off, e.g. `gw:sync:d`. */
  families: Map<string, { keys: number; bytes: number }>;
}

/**
 * The memory of every key under `prefix:`, summed from MEMORY USAGE: unlike a used_memory difference,
 * it counts nothing another user of the same Redis wrote meanwhile.
 */
export async function memoryUnderPrefix(redis: Redis, prefix: string, familyOf: (key: string) => string): Promise<MemoryUnderPrefix> {
  const out: MemoryUnderPrefix = { keys: 0, bytes: 0, families: new Map() };
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const k of keys) pipeline.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    const answers = (await pipeline.exec()) ?? [];
    keys.forEach((k, i) => {
      const bytes = Number(answers[i]?.[1] ?? 0);
      const family = familyOf(k);
      const f = out.families.get(family) ?? { keys: 0, bytes: 0 };
      f.keys++;
      f.bytes += bytes;
      out.families.set(family, f);
      out.keys++;
      out.bytes += bytes;
    });
  } while (cursor !== '0');
  return out;
}

/** Deletes every key under `prefix:` (SCAN + UNLINK); returns how many. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
