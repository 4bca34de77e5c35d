/** A record cache in Redis with a fixed time to live. */
import type { Redis } from 'ioredis';

export interface RecordCache<T> {
  get(key: string): Promise<T | null>;
  set(key: string, value: T): Promise<void>;
}

export class RedisRecordCache<T> implements RecordCache<T> {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly ttlSeconds: number) {}

  async get(key: string): Promise<T | null> {
    const raw = await this.redis.get(`${this.prefix}:${key}`);
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  async set(key: string, value: T): Promise<void> {
    await this.redis.set(`${this.prefix}:${key}`, JSON.stringify(value), 'EX', this.ttlSeconds);
  }
}
