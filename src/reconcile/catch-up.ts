/**
 * Waiting, briefly, for the outbox to be drained up to now: a reconciliation asked for right after a
 * delivery then finds that delivery in PostgreSQL. Bounded: with PostgreSQL slow or down the request
 * goes on with what PostgreSQL holds.
 */
import type { Redis } from 'ioredis';
import { outboxKey } from '../records/outbox-events.js';

export async function outboxCaughtUp(redis: Redis, prefix: string, timeoutMs: number): Promise<boolean> {
  const key = outboxKey(prefix);
  const last = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  if (last.length === 0) return true;
  const upTo = last[0]![0];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Entries leave the stream only once committed to PostgreSQL.
    if ((await redis.xrange(key, '-', upTo, 'COUNT', 1)).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
