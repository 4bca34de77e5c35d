/**
 * Which errors mean "Redis cannot serve this now" (answered 503 `store_unavailable`, retried later) as
 * opposed to a bug (500). ioredis raises these for a connection that is down or resetting, a command past
 * its deadline, and replies such as OOM (maxmemory reached under noeviction), READONLY (a replica, or a
 * master being demoted), BUSY (a long script), LOADING (a restart reading its data), MASTERDOWN.
 */
import { StoreUnavailable } from '../domain/errors.js';

/** Redis reply prefixes that say the server cannot take the command now, not that the command is wrong. */
const UNAVAILABLE_REPLY = /(?:^|: -|\s-)(OOM|READONLY|BUSY|LOADING|MASTERDOWN|NOREPLICAS|MISCONF|TRYAGAIN|CLUSTERDOWN|NOTREADY|UNBLOCKED)\b/;

const CLIENT_SIDE =
  /^(Command timed out|Connection is closed\.?|Stream isn't writeable|Reached the max retries per request limit|Command aborted|None of the sentinels are available|All sentinels are unreachable|Failed to refresh slots cache)/;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** The short reason an unavailable-Redis error stands for (`connection`, `timeout`, `oom`, `readonly`, …), or null if it is not one. */
export function redisUnavailableReason(error: unknown): string | null {
  if (error === null || typeof error !== 'object') return null;
  if (error instanceof StoreUnavailable) return error.details.reason;
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.name === 'ReplyError') {
    const m = UNAVAILABLE_REPLY.exec(message);
    return m ? m[1]!.toLowerCase() : null;
  }
  if (e.name === 'MaxRetriesPerRequestError') return 'connection';
  if (message.startsWith('Command timed out')) return 'timeout';
  if (CLIENT_SIDE.test(message)) return 'connection';
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'connection';
  return null;
}

export function isRedisUnavailable(error: unknown): boolean {
  return redisUnavailableReason(error) !== null;
}

const EXPLAIN: Record<string, string> = {
  connection: 'cannot reach its store (Redis)',
  timeout: 'got no answer from its store (Redis) in time',
  oom: 'finds its store (Redis) full',
  readonly: 'finds its store (Redis) read-only (a replica, or a failover under way)',
  busy: 'finds its store (Redis) busy',
  loading: 'finds its store (Redis) still loading its data',
};

/** The domain error for an unavailable-Redis error (the original kept as cause, never in the message). */
export function storeUnavailable(error: unknown): StoreUnavailable {
  if (error instanceof StoreUnavailable) return error;
  const reason = redisUnavailableReason(error) ?? 'connection';
  return new StoreUnavailable(`The gateway ${EXPLAIN[reason] ?? `cannot use its store (Redis: ${reason})`}; retry shortly`, { store: 'redis', reason }, { cause: error });
}
