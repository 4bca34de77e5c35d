/**
 * Which lookup cache keys Redis may hold, known in this process without asking: Redis's own client-side
 * caching support (`CLIENT TRACKING … BCAST PREFIX`) tells every gateway process the name of each cache
 * key written, deleted or expired under the prefix, whoever wrote it; a SCAN at start (and after every
 * reconnection, since messages may have been missed) reads the keys already there. A lookup whose key
 * is not in the index then goes to the registry at once, without a cache read that would miss: one Redis
 * round trip less on the path of every uncached lookup.
 *
 * The index only ever errs towards asking: until it is in step, while its connection is down, or past
 * `maxKeys`, every key "may be held"; a key written while a read of it was missing stays listed. Its
 * cost is one subscriber connection and a few dozen bytes per cached key.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface CacheIndexOptions {
  /** A connection to copy (ioredis `duplicate()`): the index holds a subscriber connection of its own. */
  redis: Redis;
  /** The prefix of every cache key, e.g. `gw:cache:`. */
  prefix: string;
  /** Keys past which the index gives up and every key may be held again (memory bound). Default 1,000,000. */
  maxKeys?: number;
  /** The longest a cache key lives, ms: entries learnt longer ago are dropped. */
  maxTtlMs: number;
  logger: Logger;
  /** The subscriber's connection name (CLIENT LIST). Default `gateway-cache-index`. */
  connectionName?: string;
}

const INVALIDATE = '__redis__:invalidate';
const SCAN_COUNT = 1_000;
const SWEEP_MS = 60_000;

export class CacheIndex {
  private readonly subscriber: Redis;
  /** Cache keys Redis may hold, each with when it expires at the latest (ms). */
  private readonly keys = new Map<string, number>();
  private inStep = false;
  /** Tracking is on and the subscription made, on the current connection. */
  private tracking = false;
  private closed = false;
  /** Bumped by every invalidation message: a read that missed removes its key only if none came meanwhile. */
  private changes = 0;
  private readonly maxKeys: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | null = null;

  constructor(private readonly options: CacheIndexOptions) {
    this.maxKeys = options.maxKeys ?? 1_000_000;
    this.subscriber = options.redis.duplicate({ connectionName: options.connectionName ?? 'gateway-cache-index', autoResubscribe: false, enableAutoPipelining: false, lazyConnect: true });
    this.subscriber.on('message', (channel: string, message: unknown) => {
      if (channel === INVALIDATE) this.invalidated(message);
    });
    this.subscriber.on('error', () => undefined);
    // Messages may have been missed while disconnected: ask for every key until in step again.
    this.subscriber.on('close', () => {
      this.inStep = false;
      this.tracking = false;
    });
    this.subscriber.on('ready', () => {
      if (!this.closed) void this.resync();
    });
  }

  /** Connects and reads the keys already cached; lookups ask Redis for every key until this is done. */
  async start(): Promise<void> {
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS).unref();
    await this.subscriber.connect().catch((err: unknown) => {
      this.options.logger.warn({ reason: (err as Error).message }, 'lookup cache index: not connected; every lookup reads the cache');
    });
    await this.syncing;
  }

  /** False only when Redis surely holds no such key: then the cache read can be skipped. */
  mayHold(key: string): boolean {
    if (!this.inStep) return true;
    const until = this.keys.get(key);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.keys.delete(key);
      return false;
    }
    return true;
  }

  /** A mark for `missed`: taken before reading a key. */
  mark(): number {
    return this.changes;
  }

  /** A read of `key` found nothing: forget it, unless the key changed since `mark` (it may have been written). */
  missed(key: string, mark: number): void {
    if (mark === this.changes) this.keys.delete(key);
  }

  /** This process writes `key` with `ttlMs` (the invalidation will say so too; this is at once, when the write is sent). */
  wrote(key: string, ttlMs: number): void {
    this.remember(key, Date.now() + ttlMs);
  }

  get size(): number {
    return this.keys.size;
  }

  get ready(): boolean {
    return this.inStep;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.inStep = false;
    clearInterval(this.sweepTimer);
    this.keys.clear();
    this.subscriber.disconnect();
  }

  /** On every (re)connection: tracking on, invalidations redirected to this connection itself, then a scan. */
  private resync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        this.inStep = false;
        const id = await this.subscriber.client('ID');
        await this.subscriber.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', 'PREFIX', this.options.prefix);
        await this.subscriber.subscribe(INVALIDATE);
        this.tracking = true;
        await this.scan();
      } catch (err) {
        this.options.logger.warn({ reason: (err as Error).message }, 'lookup cache index could not start; every lookup reads the cache');
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  /** Reads the keys already cached (tracking is on first: a key written meanwhile is found or announced). */
  private async scan(): Promise<void> {
    const { prefix, redis, logger } = this.options;
    this.inStep = false;
    this.keys.clear();
    const until = Date.now() + this.options.maxTtlMs;
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', SCAN_COUNT);
      for (const key of found) this.remember(key, until);
      cursor = next;
    } while (cursor !== '0' && !this.closed);
    this.inStep = !this.closed && this.tracking && this.keys.size <= this.maxKeys;
    logger.info({ keys: this.keys.size, inStep: this.inStep }, 'lookup cache index read');
  }

  private invalidated(message: unknown): void {
    this.changes++;
    // A null message: the database was flushed, nothing is held any more.
    if (message === null) {
      this.keys.clear();
      return;
    }
    const until = Date.now() + this.options.maxTtlMs;
    for (const key of Array.isArray(message) ? message : [message]) if (typeof key === 'string') this.remember(key, until);
  }

  private remember(key: string, until: number): void {
    this.keys.set(key, until);
    if (this.keys.size > this.maxKeys && this.inStep) {
      this.inStep = false;
      this.options.logger.warn({ maxKeys: this.maxKeys }, 'lookup cache index full: every lookup reads the cache again');
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, until] of this.keys) if (until < now) this.keys.delete(key);
    // Given up when full: once expiries made room, read the keys again (the subscription is still on).
    if (!this.inStep && this.tracking && this.keys.size <= this.maxKeys && !this.syncing && !this.closed) {
      this.syncing = this.scan()
        .catch(() => undefined)
        .finally(() => {
          this.syncing = null;
        });
    }
  }
}

/** The prefix as a SCAN pattern matching it literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
