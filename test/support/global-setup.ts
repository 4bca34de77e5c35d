/**
 * Makes sure a Redis answers before any test runs: the one in REDIS_URL (default 127.0.0.1:6379), or a
 * local `redis-server` started on a free port for this run and stopped after it.
 */
import { ensureRedis } from '../../scripts/ensure-redis.js';

export default async function setup(): Promise<() => Promise<void>> {
  const redis = await ensureRedis(process.env.REDIS_URL);
  process.env.REDIS_URL = redis.url;
  return async () => {
    await redis.stop();
  };
}
