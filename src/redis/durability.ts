/**
 * How sure a write must be before it is answered. Redis replicates asynchronously: a master that dies
 * right after answering may hand over to a replica that never saw the write. With REDIS_MIN_REPLICAS_ACK
 * > 0 an accept is confirmed with `WAIT n timeout` (or `WAITAOF 1 n timeout`) before the 202.
 *
 * WAIT counts the replicas that hold every write made so far *on its connection*, and cannot run inside a
 * script, so it must follow the accept on the same connection with nothing able to slip in or hold it up.
 * Hence a small pool of dedicated connections (no auto-pipelining, no resending after a reconnect): each
 * write takes one connection to itself for the accept and its WAIT.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config.js';
import { GatewayError } from '../domain/errors.js';
import { createRedisConnection } from './connection.js';
import type { RedisDurabilityConfig } from './ha-config.js';
import type { SentinelWatch } from './sentinel-watch.js';

/**
 * Dedicated connections for confirmed accepts. Each holds one accept and its WAIT at a time, so this
 * bounds the accepts confirmed at once; Redis answers all WAITs blocked at once with one round of
 * replica acknowledgements, so more connections mean more accepts confirmed per round. 64, as many as
 * the PUTs a busy source keeps in flight: with 16 the rate of 202s fell to 0.68-0.97 of the plain one.
 */
const CONFIRMED_CONNECTIONS = 64;

/** Redis could not promise the write: the request answers 503 `store_unavailable`, the source sends it again. */
export class WriteNotConfirmed extends GatewayError {
  readonly code = 'store_unavailable';
  readonly retryable = true;
}

export interface WriteDurability {
  /** Every connection a write may run on (so scripts can be defined on each). */
  readonly connections: readonly Redis[];
  /**
   * Runs `write` on one connection and, when `mustConfirm(result)`, resolves only once enough replicas
   * hold it; otherwise rejects with WriteNotConfirmed (the write itself stays in Redis).
   */
  run<T>(write: (redis: Redis) => Promise<T>, mustConfirm: (result: T) => boolean): Promise<T>;
}

/** No confirmation: the write runs on the shared connection, answered when the master has it. */
export function immediateWrites(redis: Redis): WriteDurability {
  return { connections: [redis], run: (write) => write(redis) };
}

export class ReplicaConfirmedWrites implements WriteDurability {
  private readonly idle: Redis[];
  private readonly waiting: Array<(redis: Redis) => void> = [];

  /**
   * @param connections dedicated connections (purpose `confirmed`), owned by the caller
   * @param acquireTimeoutMs the longest a write waits for a free connection before answering 503
   */
  constructor(
    readonly connections: readonly Redis[],
    private readonly config: RedisDurabilityConfig,
    private readonly acquireTimeoutMs: number,
  ) {
    if (connections.length === 0) throw new Error('ReplicaConfirmedWrites needs at least one connection');
    this.idle = [...connections];
  }

  async run<T>(write: (redis: Redis) => Promise<T>, mustConfirm: (result: T) => boolean): Promise<T> {
    const redis = await this.acquire();
    try {
      // The WAIT is sent right behind the write, without waiting for its reply: one round trip for both. The
      // connection is this call's alone, so nothing can come between them or queue ahead of the WAIT.
      let order = 0;
      let writtenAs = 0;
      let waitedAs = 0;
      const writing = write(redis).finally(() => (writtenAs = ++order));
      const waiting = this.waitCommand(redis).finally(() => (waitedAs = ++order));
      const [written, waited] = await Promise.allSettled([writing, waiting]);
      if (written.status === 'rejected') throw written.reason;
      const result = written.value;
      if (!mustConfirm(result)) return result;
      // Replies come in the order Redis ran the commands. A WAIT answered before the write ran (ioredis resends
      // a script as EVAL after NOSCRIPT, behind the WAIT) or one that failed proves nothing: wait again now.
      if (waited.status === 'fulfilled' && waitedAs > writtenAs) this.check(waited.value);
      else this.check(await this.waitCommand(redis));
      return result;
    } finally {
      this.release(redis);
    }
  }

  /** Waits until the replicas (and with REDIS_WAIT_AOF, the disks) hold every write made on `redis`. */
  async confirm(redis: Redis): Promise<void> {
    this.check(await this.waitCommand(redis));
  }

  /** WAIT (or WAITAOF) on `redis`; resolves with what it confirmed, a failure of the command included. */
  private async waitCommand(redis: Redis): Promise<{ local: number; replicas: number } | { error: Error }> {
    const { minReplicasAck: n, replicaAckTimeoutMs: timeout, waitAof } = this.config;
    try {
      if (!waitAof) return { local: 1, replicas: await redis.wait(n, timeout) };
      const [local, replicas] = (await redis.call('WAITAOF', '1', String(n), String(timeout))) as [number, number];
      return { local, replicas };
    } catch (err) {
      return { error: err as Error };
    }
  }

  private check(c: { local: number; replicas: number } | { error: Error }): void {
    const { minReplicasAck: n, replicaAckTimeoutMs: timeout, waitAof } = this.config;
    if ('error' in c) {
      throw new WriteNotConfirmed(`Redis could not confirm the write to its replicas (${c.error.message}); send it again`, { cause: c.error });
    }
    if (c.local >= 1 && c.replicas >= n) return;
    const what = waitAof ? `fsynced by the master: ${c.local >= 1 ? 'yes' : 'no'}, by ${c.replicas} of ${n} replica(s)` : `held by ${c.replicas} of ${n} replica(s)`;
    throw new WriteNotConfirmed(`The write was not confirmed within ${timeout} ms (${what}); send it again`);
  }

  private acquire(): Promise<Redis> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    return new Promise<Redis>((resolve, reject) => {
      const take = (redis: Redis) => {
        clearTimeout(timer);
        resolve(redis);
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new WriteNotConfirmed(`Redis is too slow to confirm writes: none of ${this.connections.length} connections came free within ${this.acquireTimeoutMs} ms`));
      }, this.acquireTimeoutMs);
      timer.unref();
      this.waiting.push(take);
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.connections.map((c) => c.quit()));
  }

  private release(redis: Redis): void {
    const next = this.waiting.shift();
    if (next) next(redis);
    else this.idle.push(redis);
  }
}

/** The confirmed-writes pool when REDIS_MIN_REPLICAS_ACK > 0 or REDIS_WAIT_AOF asks for one; null otherwise. */
export function createConfirmedWrites(
  config: RedisConfig,
  logger: Logger,
  watch: SentinelWatch | null,
  size = CONFIRMED_CONNECTIONS,
): ReplicaConfirmedWrites | null {
  const { minReplicasAck, waitAof } = config.durability;
  if (minReplicasAck === 0 && !waitAof) return null;
  const connections = Array.from({ length: size }, (_, i) =>
    createRedisConnection(config, { purpose: 'confirmed', name: `gateway-confirmed-${i}`, logger, watch }),
  );
  // Waiting for a free connection counts against the same deadline as any request-path command.
  return new ReplicaConfirmedWrites(connections, config.durability, config.commandTimeoutMs);
}
