/** A record cache in Redis with a fixed time to live, and what this process knows of its keys. */
import type { Redis } from 'ioredis';
import type { CacheIndex } from './cache-index.js';

export interface RecordCache<T> {
  /** False when the cache surely holds nothing for `key`: a read would miss, skip it. */
  mayHold(key: string): boolean;
  get(key: string): Promise<T | null>;
  set(key: string, value: T): Promise<void>;
}

export class RedisRecordCache<T> implements RecordCache<T> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    /** The keys Redis may hold (src/lookup/cache-index.ts); without it every read goes to Redis. */
    private readonly index: CacheIndex | null = null,
  ) {}

  mayHold(key: string): boolean {
    return this.index?.mayHold(`${this.prefix}:${key}`) ?? true;
  }

  async get(key: string): Promise<T | null> {
    const full = `${this.prefix}:${key}`;
    const mark = this.index?.mark() ?? 0;
    const raw = await this.redis.get(full);
    if (raw === null) {
      this.index?.missed(full, mark);
      return null;
    }
    return JSON.parse(raw) as T;
  }

  async set(key: string, value: T): Promise<void> {
    const full = `${this.prefix}:${key}`;
    // Listed as soon as the write is sent: a lookup arriving before its acknowledgement reads the cache
    // (on the same connection, so after the write) rather than calling the registry again. A write that
    // fails leaves a key listed that is not there: a read that misses, which the index errs towards.
    this.index?.wrote(full, this.ttlSeconds * 1000);
    await this.redis.set(full, JSON.stringify(value), 'EX', this.ttlSeconds);
  }
}
