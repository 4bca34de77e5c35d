/**
 * drift and repaired go into the history through the outbox like every other event (docs/outbox.md),
 * so they take their place in entry order and wait in Redis while PostgreSQL is down. One XADD is
 * atomic by itself: no sync state changes with them.
 */
import type { Redis } from 'ioredis';
import { appendOutbox, outboxKey } from '../sync/outbox.js';
import type { DriftDetail } from './store.js';

export class ReconcileEvents {
  private readonly keys: { outbox: string };

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = { outbox: outboxKey(prefix) };
  }

  drift(maHoSo: string, revision: number, detail: DriftDetail): Promise<string | null> {
    return appendOutbox(this.redis, this.keys, { type: 'drift', maHoSo, revision, detail: detail as Record<string, unknown> });
  }

  repaired(maHoSo: string, revision: number): Promise<string | null> {
    return appendOutbox(this.redis, this.keys, { type: 'repaired', maHoSo, revision, detail: {} });
  }
}
