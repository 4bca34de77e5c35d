/**
 * drift and repaired go into the history through the outbox like every other event (docs/outbox.md),
 * so they take their place in entry order and wait in Redis while PostgreSQL is down. One XADD is
 * atomic by itself: no sync state changes with them.
 */
import type { Redis } from 'ioredis';
import { outboxKey } from '../records/outbox-events.js';
import type { DriftDetail } from './store.js';

export class ReconcileEvents {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = outboxKey(prefix);
  }

  drift(maHoSo: string, revision: number, detail: DriftDetail): Promise<string | null> {
    return this.append('drift', maHoSo, revision, detail);
  }

  repaired(maHoSo: string, revision: number): Promise<string | null> {
    return this.append('repaired', maHoSo, revision, {});
  }

  private append(type: string, maHoSo: string, revision: number, detail: unknown): Promise<string | null> {
    return this.redis.xadd(this.key, '*', 't', type, 'm', maHoSo, 'r', String(revision), 'at', String(Date.now()), 'd', JSON.stringify(detail));
  }
}
