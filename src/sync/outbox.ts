/**
 * The outbox stream (docs/outbox.md): every change of a dossier's sync state appends its record in the
 * same Lua script. Scripts of other modules do the same by including
 * `src/sync/commands/includes/outbox.lua` and passing the stream key in KEYS; code that changes state
 * with plain commands uses `appendOutbox` inside its MULTI.
 */
import type { ChainableCommander, Redis } from 'ioredis';

export type OutboxEventType = 'accepted' | 'delivered' | 'progress_delivered' | 'dead_letter' | 'replayed' | 'drift' | 'repaired';

export interface OutboxEvent {
  type: OutboxEventType;
  maHoSo: string;
  revision: number;
  /** Milliseconds since the epoch; default now. */
  atMs?: number;
  /** The `d` field: the event's detail, JSON-encoded here. */
  detail?: Record<string, unknown>;
}

/** The stream's key under a QUEUE_PREFIX. */
export function outboxKey(prefix: string): string {
  return `${prefix}:outbox`;
}

function fields(event: OutboxEvent): string[] {
  const f = ['t', event.type, 'm', event.maHoSo, 'r', String(event.revision), 'at', String(event.atMs ?? Date.now())];
  if (event.detail !== undefined) f.push('d', JSON.stringify(event.detail));
  return f;
}

/**
 * Appends one event (`XADD <prefix>:outbox * t … m … r … at … [d …]`) on `redis`, or queues it on a
 * MULTI/pipeline so it commits with the change it records. Returns the entry id when run directly.
 */
export function appendOutbox(redis: Redis, keys: { outbox: string }, event: OutboxEvent): Promise<string | null>;
export function appendOutbox(redis: ChainableCommander, keys: { outbox: string }, event: OutboxEvent): ChainableCommander;
export function appendOutbox(redis: Redis | ChainableCommander, keys: { outbox: string }, event: OutboxEvent): Promise<string | null> | ChainableCommander {
  return (redis as Redis).xadd(keys.outbox, '*', ...fields(event));
}
