/**
 * The reconciler: asks the portal (TraCuuHoSo) for its copy of delivered dossiers, compares it with the
 * delivered revision (compare.ts), records a drift, resends the dossier's data (DongBoHoSoMC only,
 * never its progress), checks again and records `repaired` once the portal agrees.
 *
 * One process reconciles at a time (a Redis lease). It works through on-demand runs first, then,
 * at RECONCILE_PER_MINUTE, the least recently checked delivered dossiers. It never gets ahead of
 * deliveries: its calls go through the portal's guard, at most `share` at once, only while the
 * circuit is closed and at most half of the bulkhead is in use; a call the guard holds back is not
 * an outcome, the dossier simply waits its next turn.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { PortalDossier } from '../domain/dossier.js';
import { UpstreamRejected, UpstreamUnavailable, isUpstreamError } from '../domain/errors.js';
import { parseJson } from '../domain/json.js';
import type { NationalPortal } from '../ports/national-portal.js';
import { Lease } from '../records/lease.js';
import type { UpstreamGuard } from '../resilience/guard.js';
import { unpackDossier } from '../sync/compression.js';
import type { SyncStore } from '../sync/store.js';
import { compareDossier, type ExpectedFields } from './compare.js';
import type { ReconcileEvents } from './events.js';
import type { DriftDetail, ReconcileDossier, ReconcileStore, RunItem } from './store.js';

export interface ReconcilerDeps {
  store: ReconcileStore;
  sync: SyncStore;
  /** The portal behind its guard. */
  portal: NationalPortal;
  /** That guard: its circuit pauses the reconciler, its bulkhead bounds it. */
  guard: UpstreamGuard;
  /** The bulkhead's size (DVCQG_MAX_CONCURRENT). */
  maxConcurrent: number;
  events: ReconcileEvents;
  checks: Counter<'outcome'>;
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** Continuous checks a minute; 0 turns them off (runs still work). */
  perMinute: number;
  /** The sync lease of a dossier, ms: a repair holds it so no delivery of the same dossier runs alongside. */
  leaseMs: number;
  tickMs?: number;
}

/** What one check found. `held`: the guard held the call back; `deferred`: a newer revision is on its way. */
export type CheckResult =
  | { kind: 'held' }
  | { kind: 'deferred' }
  | { kind: 'failed'; reason: string }
  | { kind: 'matched'; closedDrift: boolean; driftFoundAt: Date | null }
  | { kind: 'drifted'; repaired: boolean; repairable: boolean };

const REPAIR_ATTEMPTS = 5;
const FAILURES_BEFORE_PAUSE = 3;
const PAUSE_MS = 30_000;
const MAX_PAUSE_MS = 5 * 60_000;
const DEFER_MS = 2_000;
const HELD_MS = 1_000;
/** How long a run waits for a newer revision's delivery before counting the check failed. */
const MAX_DEFER_MS = 15 * 60_000;
/** Open drifts are checked again (and their repair retried) after this long. */
const DRIFT_RECHECK_MS = 60_000;
/**
 * Continuous checks visit a dossier this long after its delivery or last check at the soonest: the
 * portal's acknowledgement is fresh evidence, and a small city does not have its few dossiers asked
 * for over and over (a large one cycles slower than this anyway).
 */
const RECHECK_MS = 15 * 60_000;

export class Reconciler {
  private readonly lease: Lease;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly share: number;
  private tokens = 1;
  private lastRefill = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking = false;
  private again = false;
  private generation = 0;
  private failingSince: number | null = null;
  private consecutiveFailures = 0;
  private pausedUntil = 0;
  private lastFailureLog = 0;

  constructor(private readonly deps: ReconcilerDeps) {
    this.lease = new Lease(deps.redis, `${deps.prefix}:reconcile:leader`, 15_000);
    // Its own small share of the portal's bulkhead: a sixteenth, at least one call.
    this.share = Math.max(1, Math.floor(deps.maxConcurrent / 16));
  }

  /** Starts (or, after stop(), starts again) the scheduling loop; a loop already running gives way to it. */
  start(): void {
    this.stopped = false;
    if (this.timer) clearTimeout(this.timer);
    const generation = ++this.generation;
    const every = this.deps.tickMs ?? 250;
    const loop = async () => {
      if (this.stopped || generation !== this.generation) return;
      try {
        await this.tick();
        if (this.failingSince !== null) this.deps.logger.info('reconciler: working again');
        this.failingSince = null;
      } catch (err) {
        // PostgreSQL or Redis down: said once, then once a minute, not four times a second.
        const now = Date.now();
        if (this.failingSince === null || now - this.lastFailureLog > 60_000) {
          this.deps.logger.warn({ err: (err as Error).message }, 'reconciler paused: a pass failed; retrying');
          this.lastFailureLog = now;
        }
        this.failingSince ??= now;
      }
      if (!this.stopped && generation === this.generation) this.timer = setTimeout(() => void loop(), every).unref();
    };
    this.timer = setTimeout(() => void loop(), every).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
    await this.lease.release().catch(() => undefined);
  }

  /** One scheduling pass: start the checks there is room and a turn for. */
  async tick(): Promise<void> {
    if (this.ticking) {
      // A check finished while a pass runs: that pass goes round once more for the freed slot.
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    } finally {
      this.ticking = false;
    }
  }

  private async pass(): Promise<void> {
    if (!(await this.lease.hold())) return;
    if (this.deps.guard.state !== 'closed' || Date.now() < this.pausedUntil) return;
    let room = this.share - this.inFlight.size;
    if (room <= 0 || this.deps.guard.status().inFlight >= this.deps.maxConcurrent / 2) return;
    const busy = [...this.inFlight.keys()];
    for (const item of await this.deps.store.dueItems(room, busy)) {
      this.launch(item.maHoSo, () => this.runItem(item));
      room--;
    }
    this.refill();
    if (room <= 0 || this.deps.perMinute <= 0 || this.tokens < 1) return;
    const want = Math.min(room, Math.floor(this.tokens));
    for (const m of await this.deps.store.due(want, DRIFT_RECHECK_MS, RECHECK_MS, [...this.inFlight.keys()])) {
      this.tokens--;
      this.launch(m, () => this.continuous(m));
    }
  }

  private refill(): void {
    const now = Date.now();
    const rate = this.deps.perMinute / 60_000;
    // At most a few seconds' worth saved up: a quiet spell does not become a burst.
    this.tokens = Math.min(Math.max(1, rate * 5_000), this.tokens + (now - this.lastRefill) * rate);
    this.lastRefill = now;
  }

  private launch(m: string, work: () => Promise<void>): void {
    const p = work()
      .catch((err: unknown) => this.deps.logger.warn({ maHoSo: m, err: (err as Error).message }, 'reconciliation of a dossier failed'))
      .finally(() => {
        this.inFlight.delete(m);
        // A freed slot is used at once rather than at the next timer pass.
        if (!this.stopped) void this.tick().catch(() => undefined);
      });
    this.inFlight.set(m, p);
  }

  private async continuous(m: string): Promise<void> {
    const result = await this.check(m);
    if (result.kind === 'held') this.tokens = Math.min(this.tokens + 1, Math.max(1, this.deps.perMinute / 12));
  }

  private async runItem(item: RunItem): Promise<void> {
    const { store } = this.deps;
    const repairing = item.outcome === 'drifted';
    const result = await this.check(item.maHoSo, repairing);
    switch (result.kind) {
      case 'held':
        return store.updateItem(item, { settled: false, retryInMs: HELD_MS, deferred: item.deferredSince !== null });
      case 'deferred': {
        if (item.deferredSince && Date.now() - item.deferredSince.getTime() > MAX_DEFER_MS) {
          return store.updateItem(item, { outcome: repairing ? 'drifted' : 'failed', settled: true });
        }
        return store.updateItem(item, { settled: false, retryInMs: DEFER_MS, deferred: true });
      }
      case 'failed':
        if (repairing) return store.updateItem(item, this.nextRepair(item));
        return store.updateItem(item, { outcome: 'failed', settled: true });
      case 'matched': {
        // For an item found drifted, agreeing now is its repair (ours, or a newer delivery's); so it is
        // when the continuous checks found and repaired this dossier's drift after the run was asked for.
        const driftedMeanwhile = result.driftFoundAt !== null && result.driftFoundAt >= item.runCreatedAt;
        if (repairing || driftedMeanwhile) return store.updateItem(item, { outcome: 'drifted', repaired: true, settled: true });
        return store.updateItem(item, { outcome: 'matched', settled: true });
      }
      case 'drifted':
        if (result.repaired) return store.updateItem(item, { outcome: 'drifted', repaired: true, settled: true });
        if (!result.repairable) return store.updateItem(item, { outcome: 'drifted', settled: true });
        return store.updateItem(item, { outcome: 'drifted', ...this.nextRepair(item) });
    }
  }

  /** A drifted item tries its repair again with a growing pause, and is settled unrepaired after REPAIR_ATTEMPTS. */
  private nextRepair(item: RunItem): { settled: boolean; retryInMs: number; repairAttempt: true } {
    const attempts = item.repairAttempts + 1;
    return { settled: attempts >= REPAIR_ATTEMPTS, retryInMs: 1_000 * 2 ** (attempts - 1), repairAttempt: true };
  }

  /**
   * Checks one dossier and, on a drift, repairs it. `recheck` marks the check of a dossier already
   * counted (a run item being repaired): it is not counted again.
   */
  async check(m: string, recheck = false): Promise<CheckResult> {
    const { store, sync, portal, events, checks, logger } = this.deps;
    const row = await store.dossier(m);
    if (!row || row.deliveredRevision === null || row.expectedRevision !== row.deliveredRevision || !row.expected) {
      return this.counted({ kind: 'failed', reason: 'no delivered revision is recorded for this dossier' }, recheck);
    }
    const revision = row.deliveredRevision;
    const status = await sync.status(m);
    if (status) {
      // Delivered further than PostgreSQL knows yet (the outbox is draining), or a newer revision is on its way.
      if (status.deliveredRevision !== null && status.deliveredRevision > revision) return { kind: 'deferred' };
      if (status.acceptedRevision > revision && status.state !== 'dead') return { kind: 'deferred' };
    }
    let found: PortalDossier | null;
    try {
      found = await portal.findDossier(m);
    } catch (error) {
      if (heldBack(error)) return { kind: 'held' };
      logger.info({ maHoSo: m, err: (error as Error).message }, 'reconciliation: the portal did not answer the check');
      // A refusal (an error_code answer) leaves the circuit alone; failures to answer count towards it.
      if (!(error instanceof UpstreamRejected)) this.portalFailed();
      else this.consecutiveFailures = 0;
      await store.touch(m);
      return this.counted({ kind: 'failed', reason: (error as Error).message }, recheck);
    }
    this.consecutiveFailures = 0;
    const drift = driftOf(row.expected, found);
    if (drift === null) {
      if (row.driftOpen) await events.repaired(m, revision);
      await store.checked(m, { driftOpen: false, repaired: row.driftOpen });
      if (!recheck) {
        checks.inc({ outcome: 'matched' });
        await store.count({ checked: 1, matched: 1, repaired: row.driftOpen ? 1 : 0 });
      } else if (row.driftOpen) await store.count({ repaired: 1 });
      return { kind: 'matched', closedDrift: row.driftOpen, driftFoundAt: row.driftFoundAt };
    }
    // The same drift seen again (a repair not yet agreed) is not a new event.
    const newDrift = !row.driftOpen || JSON.stringify(row.lastDrift) !== JSON.stringify(drift);
    if (newDrift) {
      await events.drift(m, revision, drift);
      logger.warn({ maHoSo: m, revision, drift }, 'reconciliation: the portal differs from the delivered revision');
    }
    await store.checked(m, { driftOpen: true, lastDrift: drift, newDrift });
    if (!recheck) {
      checks.inc({ outcome: 'drifted' });
      await store.count({ checked: 1, drifted: 1 });
    }
    const repair = await this.repair(row, revision, 'missing' in drift);
    if (repair === 'repaired') await store.count({ repaired: 1 });
    return { kind: 'drifted', repaired: repair === 'repaired', repairable: repair !== 'no_copy' };
  }

  /**
   * Checks the portal fails to answer, one after another, step the reconciler back (30 s, doubling to
   * 5 min), so that its own failures do not open the circuit that deliveries go through.
   */
  private portalFailed(): void {
    this.consecutiveFailures++;
    if (this.consecutiveFailures < FAILURES_BEFORE_PAUSE) return;
    const steps = this.consecutiveFailures - FAILURES_BEFORE_PAUSE;
    const pauseMs = Math.min(MAX_PAUSE_MS, PAUSE_MS * 2 ** Math.min(steps, 10));
    this.pausedUntil = Date.now() + pauseMs;
    this.deps.logger.warn({ failures: this.consecutiveFailures, pauseMs }, 'reconciliation: the portal fails the checks; pausing');
  }

  private async counted(result: CheckResult & { kind: 'failed' }, recheck: boolean): Promise<CheckResult> {
    if (!recheck) {
      this.deps.checks.inc({ outcome: 'failed' });
      await this.deps.store.count({ checked: 1, failed: 1 });
    }
    return result;
  }

  /** Sends the delivered revision's data again under the dossier's sync lease, then checks again. */
  private async repair(row: ReconcileDossier, revision: number, missing: boolean): Promise<'repaired' | 'pending' | 'no_copy'> {
    const { store, sync, portal, events, logger } = this.deps;
    const m = row.maHoSo;
    const packed = await store.copy(m, revision);
    if (!packed) {
      logger.warn({ maHoSo: m, revision }, 'reconciliation: no copy of the delivered revision is kept (DOSSIER_COPY_RETENTION_DAYS); cannot repair');
      return 'no_copy';
    }
    const token = `reconcile-${randomBytes(6).toString('hex')}`;
    const snap = await sync.begin(m, token, this.deps.leaseMs);
    if ('busyMs' in snap) return 'pending';
    try {
      // A newer revision is waiting for delivery: it will replace the portal's copy; resending ours would go backwards.
      if (snap.accepted > revision && snap.deadRevision !== snap.accepted) return 'pending';
      await portal.syncDossier(parseJson(unpackDossier(packed)) as PortalDossier, { knownToPortal: !missing });
    } catch (error) {
      if (!heldBack(error)) logger.warn({ maHoSo: m, revision, err: (error as Error).message }, 'reconciliation: resending the dossier failed');
      return 'pending';
    } finally {
      await sync.release(m, token);
    }
    let found: PortalDossier | null;
    try {
      found = await portal.findDossier(m);
    } catch {
      return 'pending';
    }
    if (driftOf(row.expected!, found) !== null) return 'pending';
    await events.repaired(m, revision);
    await store.checked(m, { driftOpen: false, repaired: true });
    logger.info({ maHoSo: m, revision }, 'reconciliation: repaired; the portal agrees with the delivered revision');
    return 'repaired';
  }
}

function driftOf(expected: ExpectedFields, found: PortalDossier | null): DriftDetail | null {
  if (found === null) return { missing: true };
  const fields = compareDossier(expected, found as Record<string, unknown>);
  return fields.length === 0 ? null : { fields };
}

/** The guard itself refused the call (circuit open, bulkhead full): no answer from the portal, no outcome. */
function heldBack(error: unknown): boolean {
  return (
    error instanceof UpstreamUnavailable &&
    isUpstreamError(error) &&
    (error.details.reason === 'circuit_open' || error.details.reason === 'bulkhead_full')
  );
}
