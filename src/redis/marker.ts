/**
 * Detects a Redis that came back without the gateway's data. A Redis restarted without persistence
 * (or restored from an old snapshot, or flushed) answers as if nothing happened: readiness would say ok,
 * lag would read 0, and every revision accepted but not yet delivered would be gone without a word.
 *
 * So the first gateway process to find no marker under QUEUE_PREFIX writes one (a random token); every
 * process remembers the token it found and re-reads it every REDIS_MARKER_CHECK_INTERVAL_MS. A marker
 * that vanished or changed means the data it stood beside is gone: the loss is logged, the marker is
 * written again (so a second loss is seen too), and for ALERT_STORE_DATA_LOST_SECONDS the alert
 * `store_data_lost` fires and readiness fails with the reason.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface DataLoss {
  /** When this process saw the marker gone (ISO 8601). */
  detectedAt: string;
  /** ms since the epoch, for the hold period. */
  at: number;
}

export interface StoreMarkerOptions {
  redis: Redis;
  prefix: string;
  logger: Logger;
  checkIntervalMs: number;
  /** How long a detected loss keeps the alert firing and readiness failing. */
  holdMs: number;
}

export function markerKey(prefix: string): string {
  return `${prefix}:marker`;
}

export class StoreMarker {
  private token: string | null = null;
  private loss: DataLoss | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly key: string;

  constructor(private readonly o: StoreMarkerOptions) {
    this.key = markerKey(o.prefix);
  }

  /** Reads (or writes) the marker once, then keeps checking it. Never throws: Redis may be down at start. */
  async start(): Promise<void> {
    await this.check().catch(() => undefined);
    const tick = () => {
      this.check()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.checkIntervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.o.checkIntervalMs).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The loss seen within the hold period, or null. */
  dataLoss(now = Date.now()): DataLoss | null {
    if (this.loss && now - this.loss.at > this.o.holdMs) this.loss = null;
    return this.loss;
  }

  /** One check; rejects when Redis cannot answer (nothing is concluded then). */
  async check(now = Date.now()): Promise<void> {
    const { redis, logger } = this.o;
    if (this.token === null) {
      const mine = `${new Date(now).toISOString()}/${randomBytes(8).toString('hex')}`;
      const created = await redis.set(this.key, mine, 'NX');
      this.token = created === 'OK' ? mine : await redis.get(this.key);
      if (created === 'OK') logger.info({ key: this.key }, 'no store marker in Redis: wrote one (first start with this Redis and QUEUE_PREFIX, or its data was lost before)');
      return;
    }
    const found = await redis.get(this.key);
    if (found === this.token) return;
    if (found === null) {
      // Written again at once, so the other processes see a changed token and a second loss is seen too.
      const fresh = `${new Date(now).toISOString()}/${randomBytes(8).toString('hex')}`;
      const created = await redis.set(this.key, fresh, 'NX');
      this.token = created === 'OK' ? fresh : await redis.get(this.key);
    } else {
      this.token = found;
    }
    this.loss = { detectedAt: new Date(now).toISOString(), at: now };
    logger.error(
      { key: this.key },
      'Redis came back without the gateway\'s data (its marker key vanished): revisions accepted but not yet delivered, dead letters and the lookup audit kept there are lost; check Redis persistence (appendonly yes) and have the sources send their open dossiers again',
    );
  }
}
