/**
 * A Redis lease: one holder at a time across every gateway process. The holder renews it while it
 * works; a holder that dies lets it lapse after `ttlMs`, and another process takes over.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class Lease {
  private readonly token = randomBytes(12).toString('hex');
  private held = false;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly ttlMs: number,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Renews the lease if held, else tries to take it; true while this process holds it. */
  async hold(): Promise<boolean> {
    if (this.held) {
      const renewed = (await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) as number;
      if (renewed === 1) return true;
      this.held = false;
    }
    this.held = (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
    return this.held;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }
}
