/**
 * The gateway's Redis connections. Two kinds, because they must behave oppositely during an outage:
 *
 * - `commands` serves requests: every command has a deadline (`REDIS_COMMAND_TIMEOUT_MS`), so a request
 *   that needs Redis answers 503 `store_unavailable` within a few seconds whatever Redis does (down,
 *   unreachable, stuck in a script, restarting) instead of hanging.
 * - `blocking` runs BullMQ workers: blocking pops must wait as long as they like, and a worker simply waits
 *   out a Redis restart, so no deadline and no retry limit (BullMQ requires `maxRetriesPerRequest: null`).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config.js';

export type RedisPurpose = 'commands' | 'blocking';

export interface RedisConnectionOptions {
  purpose: RedisPurpose;
  /** CLIENT SETNAME, visible in `CLIENT LIST` on the Redis side. */
  name: string;
  logger: Logger;
}

export function redisOptions(config: RedisConfig, purpose: RedisPurpose, name: string): RedisOptions {
  const commands = purpose === 'commands';
  return {
    connectionName: name,
    ...(commands ? { commandTimeout: config.commandTimeoutMs } : {}),
    // Commands queued while the connection is down fail after one reconnection attempt (or their deadline).
    maxRetriesPerRequest: commands ? 1 : null,
    // Kept on so a brief reconnect or failover is absorbed; the deadline above bounds the wait.
    enableOfflineQueue: true,
    // Commands issued in the same tick by concurrent requests go out in one write.
    enableAutoPipelining: commands,
    connectTimeout: Math.min(5_000, Math.max(1_000, config.commandTimeoutMs)),
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
}

export function createRedisConnection(config: RedisConfig, options: RedisConnectionOptions): Redis {
  const { logger, name } = options;
  const client = new Redis(config.url, redisOptions(config, options.purpose, name));
  let warned = false;
  client.on('error', (err: Error) => {
    // Once per outage; the message only (ioredis errors may carry the command's arguments).
    if (!warned) logger.error({ connection: name, reason: err.message }, 'Redis connection error');
    warned = true;
  });
  client.on('ready', () => {
    if (warned) logger.info({ connection: name }, 'Redis connection restored');
    warned = false;
  });
  return client;
}

/** Production Redis must keep what a 202 promised: AOF on, nothing evicted. */
export async function checkRedisDurability(redis: Redis, logger: Logger): Promise<void> {
  try {
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as string[];
    if (appendonly !== 'yes') logger.warn('Redis runs without AOF (appendonly no): accepted revisions may be lost if Redis restarts');
    if (policy !== 'noeviction') logger.warn({ policy }, 'Redis maxmemory-policy is not noeviction: queued work may be evicted');
  } catch {
    logger.warn('could not read Redis configuration (CONFIG GET refused); check appendonly yes and maxmemory-policy noeviction');
  }
}
