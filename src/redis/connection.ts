/**
 * The gateway's Redis connections. Two kinds, because they must behave oppositely during an outage:
 *
 * - `commands` serves requests: every command has a deadline (`REDIS_COMMAND_TIMEOUT_MS`), so a request
 *   that needs Redis answers 503 `store_unavailable` within a few seconds whatever Redis does (down,
 *   unreachable, stuck in a script, restarting) instead of hanging.
 * - `blocking` runs BullMQ workers: blocking pops must wait as long as they like, and a worker simply waits
 *   out a Redis restart, so no deadline and no retry limit (BullMQ requires `maxRetriesPerRequest: null`).
 * - `confirmed` carries the accepts that must be confirmed by replicas (Redis WAIT, see durability.ts): one
 *   command at a time, nothing pipelined in between, and nothing resent by itself after a reconnection.
 *
 * With REDIS_SENTINELS every connection (and every duplicate BullMQ makes of one) asks the Sentinels for
 * the master, checks the node it reaches is a master, and reconnects when a Sentinel announces a failover.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config.js';
import type { SentinelWatch } from './sentinel-watch.js';

export type RedisPurpose = 'commands' | 'blocking' | 'confirmed';

export interface RedisConnectionOptions {
  purpose: RedisPurpose;
  /** CLIENT SETNAME, visible in `CLIENT LIST` on the Redis side. */
  name: string;
  logger: Logger;
  /** With Sentinels: moves this connection (and its duplicates) to the new master when a failover is announced. */
  watch?: SentinelWatch | null;
}

export function redisOptions(config: RedisConfig, purpose: RedisPurpose, name: string): RedisOptions {
  if (purpose === 'confirmed') return confirmedOptions(config, name);
  const commands = purpose === 'commands';
  return {
    ...endpointOptions(config),
    connectionName: name,
    ...(commands ? { commandTimeout: config.commandTimeoutMs } : {}),
    // Commands queued while the connection is down fail after one reconnection attempt (or their deadline).
    maxRetriesPerRequest: commands ? 1 : null,
    // Kept on so a brief reconnect or failover is absorbed; the deadline above bounds the wait.
    enableOfflineQueue: true,
    // Commands issued in the same tick by concurrent requests go out in one write.
    enableAutoPipelining: commands,
    connectTimeout: Math.min(5_000, Math.max(1_000, config.commandTimeoutMs)),
    retryStrategy: retryStrategy(config),
  };
}

/**
 * Reconnection delays. Behind Sentinels each attempt asks them for the master afresh, and the promoted
 * replica is usually named within a second or two of the crash, so retry often (every 500 ms at most)
 * to resume ingest soon after; a lone Redis is retried more gently.
 */
function retryStrategy(config: RedisConfig): (times: number) => number {
  return config.sentinel ? (times) => Math.min(times * 100, 500) : (times) => Math.min(times * 200, 2_000);
}

/**
 * What a node that became a replica answers (a failover this connection has not noticed yet, or a demoted
 * master back up): writes are refused with READONLY, blocking commands are ended with UNBLOCKED. Either way
 * reconnect, which asks the Sentinels again and checks the role of the node reached; a refused write is
 * resent (Redis did not run it), an ended blocking command fails to its caller (BullMQ issues it again).
 */
function reconnectOnDemotion(err: Error): 1 | 2 | false {
  if (err.message.startsWith('READONLY')) return 2;
  if (err.message.startsWith('UNBLOCKED') && err.message.includes('instance state changed')) return 1;
  return false;
}

/** Where to connect: the Sentinels (with REDIS_URL's credentials, database and TLS), or REDIS_URL itself. */
function endpointOptions(config: RedisConfig): RedisOptions {
  const sentinel = config.sentinel;
  if (!sentinel) return { reconnectOnError: reconnectOnDemotion };
  const url = new URL(config.url);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  const tls = url.protocol === 'rediss:';
  return {
    sentinels: sentinel.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: sentinel.masterName,
    role: 'master',
    ...(sentinel.password === undefined ? {} : { sentinelPassword: sentinel.password }),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    db: Number.isInteger(db) ? db : 0,
    ...(tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    // Not ioredis's failoverDetector: a +switch-master arriving while the connection is re-resolving the
    // master (the usual case after a crash) ends the connection for good ("Connection is closed." forever).
    // SentinelWatch does its work instead; a crashed master breaks the sockets, a demoted one answers READONLY.
    failoverDetector: false,
    sentinelRetryStrategy: (times) => Math.min(times * 100, 1_000),
    sentinelReconnectStrategy: (times) => Math.min(times * 200, 2_000),
    reconnectOnError: reconnectOnDemotion,
  };
}

function confirmedOptions(config: RedisConfig, name: string): RedisOptions {
  return {
    ...endpointOptions(config),
    connectionName: name,
    // WAIT may take the whole confirmation timeout on top of the accept itself.
    commandTimeout: config.commandTimeoutMs + config.durability.replicaAckTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    enableAutoPipelining: false,
    // A WAIT resent on a new connection would count replicas for a connection that wrote nothing and
    // confirm an accept the new master may never have had: a broken connection fails what it carried.
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.min(5_000, Math.max(1_000, config.commandTimeoutMs)),
    retryStrategy: retryStrategy(config),
  };
}

export function createRedisConnection(config: RedisConfig, options: RedisConnectionOptions): Redis {
  const { logger, name } = options;
  const redisOpts = redisOptions(config, options.purpose, name);
  const client = config.sentinel ? new Redis(redisOpts) : new Redis(config.url, redisOpts);
  options.watch?.watch(client);
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
