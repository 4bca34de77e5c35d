/** Per-test Redis isolation: every test gets its own key prefix, and its keys are removed after it. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function uniquePrefix(label = 't'): string {
  return `test-${label}-${randomBytes(4).toString('hex')}`;
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** A connection for a test plus a cleanup that removes every key under `prefix` and disconnects. */
export function testRedis(prefix: string): { redis: Redis; cleanup: () => Promise<void> } {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  return {
    redis,
    cleanup: async () => {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}
