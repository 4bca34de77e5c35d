/**
 * A circuit breaker in opossum's manner (states, events, an `EOPENBREAKER` error of its own), with the
 * one thing opossum lacks: a half-open state that lets several trial calls through and decides on
 * their failure share, not on a single call. With a quarter of requests failing at random, one trial
 * call is a coin toss that can keep a healthy upstream cut off for minutes.
 *
 * Closed: every settled call is counted in a rolling window of ten buckets; after a failure, when the
 * window holds at least `volumeThreshold` calls and at least `errorThresholdPercent` of them failed, the
 * circuit opens. Open: every call is refused at once for `openMs`. Half-open: the first
 * `halfOpenTrials` calls go through (others are refused); the circuit opens again as soon as the
 * trials' failures reach the threshold share of the trials, and closes, with an empty window, as soon
 * as enough trials succeeded that they no longer can. When traffic is too thin to run every trial,
 * the circuit decides after each further `openMs` on the trials that settled. A call started in an
 * earlier state counts for nothing once the state has changed.
 *
 * Events (listeners get no argument): `open` when the circuit opens (again), `halfOpen` when the
 * open period ends, `close` when the trials succeeded.
 */
export interface BreakerOptions {
  /** Share of failed calls in the window at which the circuit opens, percent. */
  errorThresholdPercent: number;
  /** Calls the window must hold before the share is looked at. */
  volumeThreshold: number;
  /** Length of the rolling window, ms. */
  windowMs: number;
  /** How long the circuit stays open before the trials, ms. */
  openMs: number;
  /** Trial calls let through while half-open; 1 behaves as opossum. */
  halfOpenTrials: number;
  /** True for an error that is the upstream working as it should (counted as a success). */
  isSuccess?: (error: unknown) => boolean;
  now?: () => number;
}

export type BreakerEvent = 'open' | 'halfOpen' | 'close';

/** Thrown by `fire` for a call the breaker refused; `code` as opossum's. */
export class BreakerOpenError extends Error {
  readonly code = 'EOPENBREAKER';
  constructor(name: string) {
    super(`Breaker is open: ${name}`);
  }
}

interface Bucket {
  start: number;
  calls: number;
  failures: number;
}

export class Breaker {
  private state: 'closed' | 'open' | 'half-open' = 'closed';
  /** Changes with every state change; a call counts only in the epoch it started in. */
  private epoch = 0;
  private buckets: Bucket[] = [];
  private trialsStarted = 0;
  private trialsSettled = 0;
  private trialFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Map<BreakerEvent, Array<() => void>>();
  private readonly now: () => number;
  private readonly bucketMs: number;

  constructor(readonly name: string, private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
    this.bucketMs = Math.max(1, Math.floor(options.windowMs / 10));
  }

  get opened(): boolean {
    return this.state === 'open';
  }

  get halfOpen(): boolean {
    return this.state === 'half-open';
  }

  on(event: BreakerEvent, listener: () => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  /** Runs `action` unless the circuit refuses it (then rejects with BreakerOpenError). */
  async fire<A extends unknown[], T>(action: (...args: A) => Promise<T>, ...args: A): Promise<T> {
    if (this.state === 'open') throw new BreakerOpenError(this.name);
    const trial = this.state === 'half-open';
    if (trial) {
      if (this.trialsStarted >= this.options.halfOpenTrials) throw new BreakerOpenError(this.name);
      this.trialsStarted++;
    }
    const epoch = this.epoch;
    try {
      const result = await action(...args);
      this.settled(epoch, trial, false);
      return result;
    } catch (error) {
      this.settled(epoch, trial, !(this.options.isSuccess?.(error) ?? false));
      throw error;
    }
  }

  shutdown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private settled(epoch: number, trial: boolean, failed: boolean): void {
    if (epoch !== this.epoch) return;
    if (trial) {
      this.trialsSettled++;
      if (failed) this.trialFailures++;
      const { halfOpenTrials, errorThresholdPercent } = this.options;
      const reopenAt = Math.max(1, Math.ceil((errorThresholdPercent * halfOpenTrials) / 100));
      if (this.trialFailures >= reopenAt) this.open();
      else if (this.trialsSettled - this.trialFailures > halfOpenTrials - reopenAt) this.close();
      return;
    }
    const bucket = this.currentBucket();
    bucket.calls++;
    if (!failed) return;
    bucket.failures++;
    let calls = 0;
    let failures = 0;
    for (const b of this.buckets) {
      calls += b.calls;
      failures += b.failures;
    }
    if (calls >= this.options.volumeThreshold && failures * 100 >= this.options.errorThresholdPercent * calls) this.open();
  }

  private currentBucket(): Bucket {
    const now = this.now();
    const start = now - (now % this.bucketMs);
    const oldest = start - this.options.windowMs + this.bucketMs;
    while (this.buckets.length > 0 && this.buckets[0]!.start < oldest) this.buckets.shift();
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.start === start) return last;
    const bucket = { start, calls: 0, failures: 0 };
    this.buckets.push(bucket);
    return bucket;
  }

  private enter(state: Breaker['state']): void {
    this.state = state;
    this.epoch++;
    this.trialsStarted = 0;
    this.trialsSettled = 0;
    this.trialFailures = 0;
    this.buckets = [];
  }

  private open(): void {
    this.enter('open');
    this.arm(() => {
      this.enter('half-open');
      this.emit('halfOpen');
      this.arm(() => this.decideOnSettledTrials());
    });
    this.emit('open');
  }

  /** Thin traffic ran fewer trials than asked for: judge those that settled (none settled: wait on). */
  private decideOnSettledTrials(): void {
    if (this.state !== 'half-open') return;
    if (this.trialsSettled === 0) return this.arm(() => this.decideOnSettledTrials());
    if (this.trialFailures * 100 >= this.options.errorThresholdPercent * this.trialsSettled) this.open();
    else this.close();
  }

  private arm(then: () => void): void {
    this.shutdown();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      then();
    }, this.options.openMs);
    this.timer.unref();
  }

  private close(): void {
    this.shutdown();
    this.enter('closed');
    this.emit('close');
  }

  private emit(event: BreakerEvent): void {
    for (const l of this.listeners.get(event) ?? []) l();
  }
}
