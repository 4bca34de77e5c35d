/**
 * Dashboard sessions: bull-board's pages cannot send a Bearer header, so after sign-in the browser
 * holds a cookie with an opaque random session id. Redis keeps, under the id's SHA-256 and with a
 * time to live, which client it stands for (by the hash of its key): the cookie never carries the key,
 * and a copy of Redis gives no usable session.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export const SESSION_TTL_SECONDS = 8 * 3600;

const digest = (id: string) => createHash('sha256').update(id).digest('hex');

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = SESSION_TTL_SECONDS,
  ) {}

  /** A new session for the client whose key hashes to `clientKeyHash`; returns its id. */
  async create(clientKeyHash: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(id), clientKeyHash, 'EX', this.ttlSeconds);
    return id;
  }

  /** The client key hash of a live session, or null. */
  async find(id: string): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    return this.redis.get(this.key(id));
  }

  async end(id: string): Promise<void> {
    if (/^[A-Za-z0-9_-]{43}$/.test(id)) await this.redis.del(this.key(id));
  }

  private key(id: string): string {
    return `${this.prefix}:ops-session:${digest(id)}`;
  }
}
