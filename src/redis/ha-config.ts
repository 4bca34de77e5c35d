/**
 * Redis high-availability settings: where the Sentinels are, and how many replicas must hold an accepted
 * revision before it is answered 202. Read by config.ts through the shared env reader.
 */
import { ConfigError, type EnvReader } from '../config-env.js';

export interface SentinelAddress {
  host: string;
  port: number;
}

export interface RedisSentinelConfig {
  sentinels: SentinelAddress[];
  /** The master's name at the Sentinels (`sentinel monitor <name> …`). */
  masterName: string;
  /** For Sentinels that require AUTH (`requirepass` in sentinel.conf); the master's is in REDIS_URL. */
  password: string | undefined;
}

export interface RedisDurabilityConfig {
  /** Replicas that must confirm an accept (Redis WAIT) before it is answered 202; 0: no waiting. */
  minReplicasAck: number;
  /** How long the confirmation may take before the request answers 503 `store_unavailable`. */
  replicaAckTimeoutMs: number;
  /** Also wait until the master's and those replicas' AOF hold it on disk (WAITAOF, Redis 7.2+). */
  waitAof: boolean;
}

export interface RedisHaConfig {
  /** Null: REDIS_URL names the one Redis to use. */
  sentinel: RedisSentinelConfig | null;
  durability: RedisDurabilityConfig;
}

const MASTER_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** `host:port,host:port,…`; a host may be an IPv6 address in brackets (`[::1]:26379`). */
export function parseSentinelList(value: string, variable = 'REDIS_SENTINELS'): SentinelAddress[] {
  const seen = new Set<string>();
  const entries = value.split(',').map((e) => e.trim());
  return entries.map((entry, i) => {
    if (entry === '') throw new ConfigError(variable, `entry ${i + 1} is empty; expected host:port,host:port,…`);
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(entry);
    if (!m) throw new ConfigError(variable, `"${entry}" is not host:port (an IPv6 host goes in brackets: [::1]:26379)`);
    const host = (m[1] ?? m[2])!;
    const port = Number(m[3]);
    if (port < 1 || port > 65535) throw new ConfigError(variable, `"${entry}": port must be 1-65535`);
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) throw new ConfigError(variable, `lists ${entry} twice`);
    seen.add(key);
    return { host, port };
  });
}

export function readRedisHa(env: EnvReader): RedisHaConfig {
  const list = env.optionalString('REDIS_SENTINELS');
  const masterName = env.string('REDIS_SENTINEL_MASTER', 'mymaster');
  if (!MASTER_NAME.test(masterName)) {
    throw new ConfigError('REDIS_SENTINEL_MASTER', `must be 1-100 letters, digits, ".", "-" or "_", got "${masterName}"`);
  }
  const sentinel: RedisSentinelConfig | null =
    list === undefined ? null : { sentinels: parseSentinelList(list), masterName, password: env.optionalString('REDIS_SENTINEL_PASSWORD') };
  const minReplicasAck = env.int('REDIS_MIN_REPLICAS_ACK', 0, { min: 0, max: 32 });
  const replicaAckTimeoutMs = env.int('REDIS_REPLICA_ACK_TIMEOUT_MS', 500, { min: 1, max: 60_000 });
  const waitAof = env.bool('REDIS_WAIT_AOF', false);
  return { sentinel, durability: { minReplicasAck, replicaAckTimeoutMs, waitAof } };
}
