/**
 * Start-up checks of the Redis high-availability settings, run before any connection is trusted: that the
 * Sentinels know the master named in REDIS_SENTINEL_MASTER, and that the Redis in use can give the
 * confirmation asked for (WAITAOF needs Redis 7.2 and AOF on). A setting that cannot work stops start-up
 * with a ConfigError naming it; a situation that may heal (too few replicas right now) is only warned about.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from '../config-env.js';
import type { RedisConfig } from '../config.js';
import { readReplication } from './replication.js';

/** Asks every Sentinel for the master's address; fails when none answers or none knows the name. */
export async function checkSentinels(config: RedisConfig, timeoutMs = 3_000): Promise<{ host: string; port: number }> {
  const sentinel = config.sentinel;
  if (!sentinel) throw new Error('checkSentinels needs REDIS_SENTINELS');
  const problems: string[] = [];
  let unknownName = 0;
  const answers = await Promise.all(
    sentinel.sentinels.map(async ({ host, port }) => {
      const where = `${host}:${port}`;
      const client = new Redis({
        host,
        port,
        ...(sentinel.password === undefined ? {} : { password: sentinel.password }),
        lazyConnect: true,
        connectTimeout: timeoutMs,
        commandTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const addr = (await client.call('SENTINEL', 'get-master-addr-by-name', sentinel.masterName)) as [string, string] | null;
        if (addr === null) {
          unknownName++;
          return null;
        }
        return { host: addr[0], port: Number(addr[1]) };
      } catch (err) {
        const message = (err as Error).message;
        if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(message)) {
          throw new ConfigError('REDIS_SENTINEL_PASSWORD', `the Sentinel at ${where} refused it: ${message}`);
        }
        problems.push(`${where}: ${message}`);
        return null;
      } finally {
        client.disconnect();
      }
    }),
  );
  const found = answers.find((a) => a !== null);
  if (found) return found;
  if (unknownName > 0) {
    throw new ConfigError(
      'REDIS_SENTINEL_MASTER',
      `no Sentinel knows a master named "${sentinel.masterName}" (${unknownName} of ${sentinel.sentinels.length} answered; check "sentinel monitor <name>" in sentinel.conf)`,
    );
  }
  throw new ConfigError('REDIS_SENTINELS', `none of the Sentinels answers: ${problems.join('; ')}`);
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** REDIS_WAIT_AOF needs WAITAOF (Redis 7.2+) and AOF on; REDIS_MIN_REPLICAS_ACK wants that many replicas. */
export async function checkDurabilitySupport(redis: Redis, config: RedisConfig, logger: Logger): Promise<void> {
  const { minReplicasAck, waitAof } = config.durability;
  if (waitAof) {
    const version = /redis_version:([^\r\n]+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
    if (!versionAtLeast(version, 7, 2)) {
      throw new ConfigError('REDIS_WAIT_AOF', `needs Redis 7.2 or later (WAITAOF); the Redis in use runs ${version}: unset it, or upgrade Redis`);
    }
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    if (appendonly !== 'yes') throw new ConfigError('REDIS_WAIT_AOF', 'needs AOF on the master (appendonly yes), and on the replicas');
  }
  if (minReplicasAck > 0) {
    const replication = await readReplication(redis);
    if (replication.role !== 'master') {
      throw new ConfigError(config.sentinel ? 'REDIS_SENTINELS' : 'REDIS_URL', `leads to a Redis whose role is ${replication.role}, not master`);
    }
    const acking = replication.replicas.filter((r) => r.acknowledging).length;
    if (acking < minReplicasAck) {
      logger.warn(
        { connected: replication.replicas.length, acknowledging: acking, required: minReplicasAck },
        `REDIS_MIN_REPLICAS_ACK is ${minReplicasAck} but only ${acking} replica(s) acknowledge: revisions will be answered 503 until enough replicas are back`,
      );
    }
  }
}
