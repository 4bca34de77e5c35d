/**
 * One guard per upstream: a bulkhead (at most N calls in flight), a circuit breaker (breaker.ts), and the
 * bookkeeping ops need (5-minute figures, Prometheus series, state-change logs). Calls refused by the
 * guard itself become UpstreamUnavailable with the seconds until the next trial call.
 */
import type { Logger } from 'pino';
import { UpstreamRejected, UpstreamTimeout, UpstreamUnavailable, isUpstreamError } from '../domain/errors.js';
import type { Metrics } from '../ops/metrics.js';
import { DeadlineExceeded } from '../ports/call-context.js';
import { Breaker } from './breaker.js';
import type { ResilienceOptions } from './options.js';
import { SlidingStats, type CallOutcome } from './stats.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface UpstreamStatus {
  name: string;
  kind: string;
  circuit: CircuitState;
  openedAt: string | null;
  requests: number;
  failures: number;
  timeouts: number;
  rejected: number;
  inFlight: number;
  /** Calls waiting for a place in the bulkhead. */
  waiting: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  lastError: { code: string; message: string; at: string } | null;
}

/** An upstream call under the guard's deadline: `signal` aborts (DeadlineExceeded) at `deadlineAt`. */
type Action = (signal: AbortSignal, deadlineAt: number) => Promise<unknown>;

export class UpstreamGuard {
  private readonly breaker: Breaker;
  private readonly stats = new SlidingStats();
  private inFlight = 0;
  /** Calls waiting for a place in the bulkhead, oldest first. */
  private readonly waiters: Array<() => void> = [];
  private openedAtMs: number | null = null;
  private lastError: UpstreamStatus['lastError'] = null;
  private readonly stateListeners: Array<(state: CircuitState) => void> = [];
  /** This upstream's series, bound once: a call counts without hashing its labels. */
  private readonly series: { requests: Record<CallOutcome, { inc(): void }>; duration: { observe(seconds: number): void } };

  constructor(
    readonly name: string,
    readonly kind: string,
    private readonly options: ResilienceOptions,
    private readonly deps: { metrics: Metrics; logger: Logger },
  ) {
    // The guard's deadline (run) is the only one the breaker sees: it keeps no timer of its own.
    this.breaker = new Breaker(name, {
      errorThresholdPercent: options.errorThresholdPercent,
      volumeThreshold: options.volumeThreshold,
      windowMs: options.windowMs,
      openMs: options.openMs,
      halfOpenTrials: options.halfOpenTrials,
      // A refused payload or a "not found" is the upstream working as it should.
      isSuccess: (error: unknown) => error instanceof UpstreamRejected || !isUpstreamError(error),
    });
    const { metrics, logger } = deps;
    const outcomes: CallOutcome[] = ['success', 'failure', 'timeout', 'rejected', 'short_circuit'];
    this.series = {
      requests: Object.fromEntries(outcomes.map((outcome) => [outcome, metrics.upstreamRequests.labels({ upstream: name, outcome })])) as Record<CallOutcome, { inc(): void }>,
      duration: metrics.upstreamDuration.labels({ upstream: name }),
    };
    metrics.circuitState.set({ upstream: name }, 0);
    const transition = (state: CircuitState, value: number) => () => {
      if (state === 'open') this.openedAtMs = Date.now();
      if (state === 'closed') this.openedAtMs = null;
      metrics.circuitState.set({ upstream: name }, value);
      metrics.circuitTransitions.inc({ upstream: name, state });
      const log = { upstream: name, circuit: state };
      if (state === 'open') logger.warn({ ...log, retryInMs: options.openMs }, `circuit of ${name} opened`);
      else logger.info(log, `circuit of ${name} is ${state}`);
      for (const l of this.stateListeners) l(state);
    };
    this.breaker.on('open', transition('open', 2));
    this.breaker.on('halfOpen', transition('half-open', 1));
    this.breaker.on('close', transition('closed', 0));
  }

  get state(): CircuitState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half-open';
    return 'closed';
  }

  onStateChange(listener: (state: CircuitState) => void): void {
    this.stateListeners.push(listener);
  }

  /** Seconds until the next trial call while open (at least 1); null when closed. */
  retryAfterSeconds(): number | null {
    if (this.state === 'closed' || this.openedAtMs === null) return null;
    const ms = this.openedAtMs + this.options.openMs - Date.now();
    return Math.max(1, Math.ceil(ms / 1000));
  }

  /** Runs one upstream call under the bulkhead and the breaker. */
  async run<T>(action: (signal: AbortSignal, deadlineAt: number) => Promise<T>): Promise<T> {
    if (this.inFlight >= this.options.maxConcurrent) {
      if (this.waiters.length >= (this.options.maxWaiting ?? 0)) {
        this.count('short_circuit', null);
        throw new UpstreamUnavailable(`${this.name}: ${this.options.maxConcurrent} calls already in flight`, {
          upstream: this.name,
          reason: 'bulkhead_full',
          retryAfterSeconds: 1,
        });
      }
      // A finishing call hands its place over (inFlight stays as it is).
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else {
      this.inFlight++;
    }
    const started = performance.now();
    const controller = new AbortController();
    const { timeoutMs } = this.options;
    const deadlineAt = Date.now() + timeoutMs;
    const timer = setTimeout(() => controller.abort(new DeadlineExceeded(timeoutMs)), timeoutMs);
    try {
      const result = (await this.breaker.fire(action as Action, controller.signal, deadlineAt)) as T;
      this.count('success', performance.now() - started);
      return result;
    } catch (error) {
      throw this.settleError(error, performance.now() - started);
    } finally {
      clearTimeout(timer);
      const next = this.waiters.shift();
      if (next) next();
      else this.inFlight--;
    }
  }

  status(): UpstreamStatus {
    const f = this.stats.figures();
    return {
      name: this.name,
      kind: this.kind,
      circuit: this.state,
      openedAt: this.openedAtMs === null ? null : new Date(this.openedAtMs).toISOString(),
      requests: f.requests,
      failures: f.failures,
      timeouts: f.timeouts,
      rejected: f.rejected,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
      latencyMs: f.latencyMs,
      lastError: this.lastError,
    };
  }

  shutdown(): void {
    this.breaker.shutdown();
  }

  private settleError(error: unknown, latencyMs: number): unknown {
    const code = (error as { code?: unknown })?.code;
    if (code === 'EOPENBREAKER') {
      this.count('short_circuit', null);
      return new UpstreamUnavailable(`${this.name}: circuit open`, {
        upstream: this.name,
        reason: 'circuit_open',
        retryAfterSeconds: this.retryAfterSeconds() ?? Math.ceil(this.options.openMs / 1000),
      });
    }
    if (error instanceof UpstreamTimeout) this.count('timeout', latencyMs);
    else if (error instanceof UpstreamRejected) this.count('rejected', latencyMs);
    else if (isUpstreamError(error)) this.count('failure', latencyMs);
    else this.count('success', latencyMs);
    if (isUpstreamError(error) && !(error instanceof UpstreamRejected)) {
      this.lastError = { code: error.code, message: error.message, at: new Date().toISOString() };
    }
    return error;
  }

  private count(outcome: CallOutcome, latencyMs: number | null): void {
    this.stats.record(outcome, latencyMs);
    this.series.requests[outcome].inc();
    if (latencyMs !== null) this.series.duration.observe(latencyMs / 1000);
  }
}
