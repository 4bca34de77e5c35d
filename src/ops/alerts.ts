/**
 * Alert rules evaluated on a timer: sync lag, dead letters growing, a circuit open too long, Redis
 * unreachable or short of the replicas REDIS_MIN_REPLICAS_ACK needs, a backlog growing too long. Firing and resolved alerts are kept for /v1/ops/alerts,
 * logged, and posted to a webhook in the background (retried; never blocking the gateway).
 */
import axios from 'axios';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { AlertConfig } from '../config.js';
import { HistoryStore } from '../history/store.js';
import type { Metrics } from './metrics.js';
import type { Records } from '../records/records.js';
import type { StoreMarker } from '../redis/marker.js';

export interface Alert {
  rule: string;
  /** What is affected: an upstream name, a queue name, or `gateway`. */
  subject: string;
  severity: 'warning' | 'critical';
  summary: string;
  value: number;
  threshold: number;
  state: 'firing' | 'resolved';
  since: string;
  resolvedAt: string | null;
}

/**
 * Rules evaluated elsewhere (the indicators' unit warnings, say): each round a source reports every
 * subject of its rules it knows about; a firing alert of its rules that it no longer reports is
 * resolved. A source that fails leaves its alerts as they are until it answers again.
 */
export interface AlertSource {
  name: string;
  rules: readonly string[];
  observe(now: number): Promise<Observation[]>;
}

export interface Observation {
  rule: string;
  subject: string;
  severity: Alert['severity'];
  breached: boolean;
  value: number;
  threshold: number;
  summary: string;
}

const HISTORY = 200;
const WEBHOOK_ATTEMPTS = 5;

/**
 * What the rules read, as the ops service provides it. An interface of its own, so this module and
 * service.ts (which builds the engine) do not import each other.
 */
export interface AlertInputs {
  readiness(): Promise<{ ok: boolean; checks: Readonly<Record<string, { status: 'ok' | 'fail'; reason?: string; [more: string]: unknown }>> }>;
  upstreams(): ReadonlyArray<{ name: string; circuit: 'closed' | 'open' | 'half-open'; openedAt: string | null }>;
  queues(): Promise<ReadonlyArray<{ name: string; waiting: number; delayed: number }>>;
  deps: {
    store: { syncLagSeconds(now?: number): Promise<number>; deadLetterCount(): Promise<number> };
    marker?: Pick<StoreMarker, 'dataLoss'>;
    records?: Records;
  };
}

export class AlertEngine {
  private readonly firing = new Map<string, Alert>();
  private readonly history: Alert[] = [];
  private readonly backlog: Array<{ at: number; value: number }> = [];
  private readonly deadLetters: Array<{ at: number; value: number }> = [];
  /** When each upstream's circuit was first seen away from closed (a failed trial re-opens it with a new openedAt). */
  private readonly openSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private webhookChain: Promise<void> = Promise.resolve();
  private readonly sources: AlertSource[] = [];

  constructor(
    private readonly deps: { ops: AlertInputs; config: AlertConfig; redis: Redis; prefix: string; logger: Logger; metrics: Metrics },
  ) {
    const firing = this.firing;
    new Gauge({
      name: 'gateway_alerts_firing',
      help: 'Alerts firing now, by rule',
      labelNames: ['rule'] as const,
      registers: [deps.metrics.registry],
      collect(this: Gauge<'rule'>) {
        this.reset();
        for (const a of firing.values()) this.inc({ rule: a.rule });
      },
    });
  }

  start(): void {
    const tick = () => {
      this.evaluate()
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'alert evaluation failed'))
        .finally(() => {
          this.timer = setTimeout(tick, this.deps.config.evaluateIntervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, Math.min(1_000, this.deps.config.evaluateIntervalMs)).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  list(): { firing: Alert[]; recent: Alert[] } {
    return { firing: [...this.firing.values()], recent: [...this.history].reverse() };
  }

  /** One evaluation of every rule; returns the alerts that changed state. */
  addSource(source: AlertSource): void {
    this.sources.push(source);
  }

  async evaluate(now = Date.now()): Promise<Alert[]> {
    const observations = await this.observe(now);
    for (const source of this.sources) {
      let reported: Observation[];
      try {
        reported = await source.observe(now);
      } catch (err) {
        this.deps.logger.warn({ source: source.name, err: (err as Error).message }, 'alert source failed; its alerts are kept as they are');
        continue;
      }
      observations.push(...reported);
      const seen = new Set(reported.map((o) => `${o.rule}:${o.subject}`));
      for (const [key, a] of this.firing) {
        if (source.rules.includes(a.rule) && !seen.has(key)) observations.push({ rule: a.rule, subject: a.subject, severity: a.severity, summary: a.summary, value: a.value, threshold: a.threshold, breached: false });
      }
    }
    const changed: Alert[] = [];
    for (const o of observations) {
      const key = `${o.rule}:${o.subject}`;
      const current = this.firing.get(key);
      if (o.breached && !current) {
        const alert: Alert = { ...pick(o), state: 'firing', since: new Date(now).toISOString(), resolvedAt: null };
        this.firing.set(key, alert);
        changed.push(alert);
      } else if (o.breached && current) {
        current.value = o.value;
        current.summary = o.summary;
      } else if (!o.breached && current) {
        this.firing.delete(key);
        const resolved: Alert = { ...current, value: o.value, state: 'resolved', resolvedAt: new Date(now).toISOString() };
        changed.push(resolved);
      }
    }
    for (const a of changed) {
      this.history.push({ ...a });
      if (this.history.length > HISTORY) this.history.shift();
      const log = { rule: a.rule, about: a.subject, value: a.value, threshold: a.threshold };
      if (a.state === 'firing') this.deps.logger.warn(log, `ALERT firing: ${a.summary}`);
      else this.deps.logger.info(log, `alert resolved: ${a.summary}`);
      this.notify(a);
    }
    return changed;
  }

  private async observe(now: number): Promise<Observation[]> {
    const { ops } = this.deps;
    const c = this.deps.config;
    const out: Observation[] = [];

    const ready = await ops.readiness();
    const redisOk = ready.checks.redis?.status === 'ok';
    out.push({
      rule: 'redis_unreachable',
      subject: 'gateway',
      severity: 'critical',
      breached: !redisOk,
      value: redisOk ? 0 : 1,
      threshold: 1,
      summary: redisOk ? 'Redis answers' : `Redis is unreachable: ${ready.checks.redis?.reason ?? ''}`,
    });

    // Fewer replicas acknowledging than REDIS_MIN_REPLICAS_ACK: every new revision is answered 503.
    // Both figures come with the readiness check of Redis (its `minReplicasAck` is the configured one).
    const required = Number(ready.checks.redis?.minReplicasAck ?? 0);
    if (required > 0 && redisOk) {
      const acking = Number(ready.checks.redis?.acknowledgingReplicas ?? 0);
      out.push({
        rule: 'redis_replicas_missing',
        subject: 'gateway',
        severity: 'critical',
        breached: acking < required,
        value: acking,
        threshold: required,
        summary:
          acking < required
            ? `${acking} Redis replica(s) acknowledge, ${required} required (REDIS_MIN_REPLICAS_ACK): new revisions are refused with 503`
            : `${acking} Redis replica(s) acknowledge (${required} required)`,
      });
    }

    const loss = ops.deps.marker?.dataLoss(now) ?? null;
    out.push({
      rule: 'store_data_lost',
      subject: 'gateway',
      severity: 'critical',
      breached: loss !== null,
      value: loss ? 1 : 0,
      threshold: 1,
      summary: loss
        ? `Redis came back without the gateway's data (marker key vanished, seen ${loss.detectedAt}): accepted work not yet delivered is lost`
        : 'the store marker is in place',
    });

    for (const u of ops.upstreams()) {
      // Counted from when the circuit left closed, not from its latest opening: with the upstream still down
      // every trial call re-opens it, so openedAt never gets older than the open time (30 s by default).
      if (u.circuit === 'closed') this.openSince.delete(u.name);
      else if (!this.openSince.has(u.name)) this.openSince.set(u.name, u.openedAt ? Math.min(now, Date.parse(u.openedAt)) : now);
      const since = this.openSince.get(u.name);
      const openFor = since === undefined ? 0 : (now - since) / 1000;
      out.push({
        rule: 'circuit_open',
        subject: u.name,
        severity: 'critical',
        breached: openFor > c.circuitOpenSeconds,
        value: Math.round(openFor),
        threshold: c.circuitOpenSeconds,
        summary: `circuit of ${u.name} open for ${Math.round(openFor)} s (limit ${c.circuitOpenSeconds} s)`,
      });
    }

    // Without Redis the remaining figures cannot be read; the redis rule already says so.
    if (!redisOk) return out;

    const lag = await ops.deps.store.syncLagSeconds(now);
    out.push({
      rule: 'sync_lag',
      subject: 'dossier-sync',
      severity: 'warning',
      breached: lag > c.syncLagSeconds,
      value: Math.round(lag),
      threshold: c.syncLagSeconds,
      summary: `oldest undelivered revision is ${Math.round(lag)} s old (limit ${c.syncLagSeconds} s)`,
    });

    const dead = await ops.deps.store.deadLetterCount();
    const grown = growth(this.deadLetters, now, dead, c.deadLettersWindowSeconds * 1000);
    out.push({
      rule: 'dead_letters_growing',
      subject: 'dossier-sync',
      severity: 'warning',
      breached: grown >= c.deadLettersGrowth,
      value: grown,
      threshold: c.deadLettersGrowth,
      summary: `${grown} new dead letter(s) in the last ${c.deadLettersWindowSeconds} s (${dead} in all)`,
    });

    const [q] = await ops.queues();
    const backlog = q ? q.waiting + q.delayed : 0;
    const growingFor = growingSince(this.backlog, now, backlog, c.backlogGrowthSeconds * 1000);
    out.push({
      rule: 'backlog_growing',
      subject: q?.name ?? 'dossier-sync',
      severity: 'warning',
      breached: growingFor >= c.backlogGrowthSeconds,
      value: Math.round(growingFor),
      threshold: c.backlogGrowthSeconds,
      summary: `backlog of ${backlog} deliveries has been growing for ${Math.round(growingFor)} s (limit ${c.backlogGrowthSeconds} s)`,
    });

    const drift = await this.driftLastHour();
    if (drift !== null) {
      out.push({
        rule: 'reconcile_drift',
        subject: 'dvcqg',
        severity: 'warning',
        breached: drift > c.driftPerHour,
        value: drift,
        threshold: c.driftPerHour,
        summary: `${drift} dossier(s) found differing from the portal in the last hour (limit ${c.driftPerHour})`,
      });
    }
    return out;
  }

  /** Drifts recorded in the last hour; null without PostgreSQL (or while it is down): the rule is not evaluated. */
  private async driftLastHour(): Promise<number | null> {
    const records = this.deps.ops.deps.records;
    if (!records?.configured || !records.ready) return null;
    try {
      return await new HistoryStore(records).driftsSince(3_600);
    } catch {
      return null;
    }
  }

  private notify(alert: Alert): void {
    const url = this.deps.config.webhookUrl;
    if (!url) return;
    const body = { source: 'dvc-gateway', alert };
    // Sent one after another in the background so a slow receiver sees alerts in order and never blocks evaluation.
    this.webhookChain = this.webhookChain.then(async () => {
      for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
        try {
          await axios.post(url, body, { timeout: this.deps.config.webhookTimeoutMs, headers: { 'Content-Type': 'application/json' } });
          return;
        } catch (err) {
          if (attempt === WEBHOOK_ATTEMPTS) {
            this.deps.logger.error({ rule: alert.rule, err: (err as Error).message }, 'alert webhook failed; giving up');
            return;
          }
          await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)).unref());
        }
      }
    });
  }
}

function pick(o: Observation) {
  const { rule, subject, severity, summary, value, threshold } = o;
  return { rule, subject, severity, summary, value, threshold };
}

/** Increase of a counter over the window (samples kept for the window only). */
function growth(samples: Array<{ at: number; value: number }>, now: number, value: number, windowMs: number): number {
  samples.push({ at: now, value });
  while (samples.length > 1 && samples[0]!.at < now - windowMs) samples.shift();
  const min = Math.min(...samples.map((s) => s.value));
  return Math.max(0, value - min);
}

/** Seconds the backlog has been above zero and above where it was when that stretch began. */
function growingSince(samples: Array<{ at: number; value: number }>, now: number, value: number, windowMs: number): number {
  if (value === 0) {
    samples.length = 0;
    return 0;
  }
  samples.push({ at: now, value });
  while (samples.length > 2 && samples[0]!.at < now - 4 * windowMs) samples.shift();
  // The stretch: the samples before this one that never went down. Growing: the backlog is above where the stretch
  // began. A plateau (no new work between two evaluations) keeps the stretch; only a fall ends it.
  let start = samples.length - 1;
  while (start > 0 && samples[start - 1]!.value <= samples[start]!.value) start--;
  return samples[start]!.value < value ? (now - samples[start]!.at) / 1000 : 0;
}
