/**
 * Every alert rule fires and resolves, seen the way operators see it: through GET /v1/ops/alerts and
 * through the webhook (a receiver started here). The portal is taken down and brought back, a dossier
 * is refused into a dead letter, and a private redis-server is killed and restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier } from '../adapters/dvcqg/index.js';
import { freePort } from '../scripts/free-port.js';
import type { AlertConfig } from '../src/config.js';
import { AlertEngine, type Alert, type AlertInputs } from '../src/ops/alerts.js';
import { Metrics } from '../src/ops/metrics.js';
import type { UpstreamStatus } from '../src/resilience/guard.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';

interface Delivery {
  body: { source: string; alert: Alert };
  status: number;
}

interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Answers 500 to the first delivery of each alert (rule, subject, state, since) this matches. */
  failFirst: ((alert: Alert) => boolean) | null;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const failed = new Set<string>();
  const receiver: Receiver = { url: '', deliveries: [], failFirst: null, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Delivery['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivery['body'];
      } catch {
        res.writeHead(400).end();
        return;
      }
      const a = body.alert;
      const id = `${a.rule}|${a.subject}|${a.state}|${a.since}`;
      const fail = req.method === 'POST' && receiver.failFirst?.(a) === true && !failed.has(id);
      if (fail) failed.add(id);
      const status = fail ? 500 : 204;
      receiver.deliveries.push({ body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}

/** Successful webhook deliveries of one rule, as their states in the order received. */
function delivered(r: Receiver, rule: string): Array<Alert['state']> {
  return r.deliveries.filter((d) => d.status < 300 && d.body.alert.rule === rule).map((d) => d.body.alert.state);
}

async function alerts(t: TestGateway): Promise<{ firing: Alert[]; recent: Alert[] }> {
  const r = await api(t.url, 'GET', '/v1/ops/alerts', { key: KEYS.opsRead });
  expect(r.status).toBe(200);
  return r.body as { firing: Alert[]; recent: Alert[] };
}

const firingRules = async (t: TestGateway) => new Set((await alerts(t)).firing.map((a) => a.rule));

/** The alert fired and then resolved: gone from `firing`, and `recent` holds both records. */
async function expectResolved(t: TestGateway, rule: string): Promise<void> {
  const { firing, recent } = await alerts(t);
  expect(firing.map((a) => a.rule)).not.toContain(rule);
  const mine = recent.filter((a) => a.rule === rule);
  const resolved = mine.find((a) => a.state === 'resolved');
  expect(resolved).toMatchObject({ rule, state: 'resolved' });
  expect(resolved!.resolvedAt).not.toBeNull();
  expect(mine.find((a) => a.state === 'firing' && a.since === resolved!.since)).toMatchObject({ rule, resolvedAt: null });
  // `recent` is newest first: the resolution comes before (is newer than) its firing record.
  expect(mine.indexOf(resolved!)).toBeLessThan(mine.findIndex((a) => a.state === 'firing' && a.since === resolved!.since));
}

const ALERT_ENV = {
  ALERT_EVALUATE_INTERVAL_MS: '100',
  ALERT_SYNC_LAG_SECONDS: '1',
  ALERT_CIRCUIT_OPEN_SECONDS: '1',
  ALERT_BACKLOG_GROWTH_SECONDS: '1',
  ALERT_DEAD_LETTERS_WINDOW_SECONDS: '2',
  ALERT_WEBHOOK_TIMEOUT_MS: '2000',
};

describe('alerts from the portal and the sync state', () => {
  let t: TestGateway;
  let hook: Receiver;
  beforeAll(async () => {
    hook = await startReceiver();
    t = await startTestGateway({
      env: {
        ...ALERT_ENV,
        ALERT_WEBHOOK_URL: hook.url,
        // Open long enough for circuit_open (1 s) to fire, short enough that the trial call comes soon after the portal is back.
        DVCQG_CIRCUIT_OPEN_MS: '3000',
        DVCQG_CIRCUIT_MIN_CALLS: '3',
        DVCQG_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await hook?.close();
  });
  afterEach(() => {
    t?.portal.resetFaults();
  });

  it('sync_lag, backlog_growing and circuit_open fire while the portal is down, and resolve once it is back', async () => {
    t.portal.setFaults({ down: 'unavailable' });
    const ms: string[] = [];
    let feeding = true;
    // A steady trickle of new revisions while the portal refuses everything.
    const feeder = (async () => {
      for (let i = 0; feeding && i < 200; i++) {
        const m = `000.00.01.H26-261130-A${i}`;
        const r = await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } });
        expect(r.status).toBe(202);
        ms.push(m);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const want = ['sync_lag', 'backlog_growing', 'circuit_open'];
    try {
      await waitFor('sync_lag, backlog_growing and circuit_open firing together', async () => {
        const rules = await firingRules(t);
        return want.every((r) => rules.has(r));
      });
    } finally {
      feeding = false;
      await feeder;
    }
    const { firing } = await alerts(t);
    expect(firing.find((a) => a.rule === 'sync_lag')).toMatchObject({ subject: 'dossier-sync', severity: 'warning', state: 'firing', threshold: 1 });
    expect(firing.find((a) => a.rule === 'backlog_growing')).toMatchObject({ subject: 'dossier-sync', severity: 'warning', state: 'firing', threshold: 1 });
    expect(firing.find((a) => a.rule === 'circuit_open')).toMatchObject({ subject: 'dvcqg', severity: 'critical', state: 'firing', threshold: 1 });
    expect(firing.find((a) => a.rule === 'sync_lag')!.value).toBeGreaterThanOrEqual(1);

    t.portal.resetFaults();
    for (const m of ms) {
      await waitFor(`${m} delivered`, async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'delivered');
    }
    await waitFor('all three resolved', async () => {
      const rules = await firingRules(t);
      return want.every((r) => !rules.has(r));
    });
    for (const rule of want) await expectResolved(t, rule);

    // The webhook saw each rule fire, then resolve, in that order.
    for (const rule of want) {
      await waitFor(`webhook resolution of ${rule}`, () => delivered(hook, rule).at(-1) === 'resolved');
      const states = delivered(hook, rule);
      expect(states.every((s, i) => s === (i % 2 === 0 ? 'firing' : 'resolved'))).toBe(true);
    }
    // No flapping: the lag and the circuit (through trial calls that re-open it) fire once. The backlog may
    // legitimately dip while the worker takes jobs for a trial call, so it is only held to the order above.
    expect(delivered(hook, 'sync_lag')).toEqual(['firing', 'resolved']);
    expect(delivered(hook, 'circuit_open')).toEqual(['firing', 'resolved']);
    for (const d of hook.deliveries) expect(d.body.source).toBe('dvc-gateway');
    const lag = hook.deliveries.filter((d) => d.body.alert.rule === 'sync_lag').map((d) => d.body.alert);
    expect(lag[0]).toMatchObject({ state: 'firing', resolvedAt: null });
    expect(lag[1]).toMatchObject({ state: 'resolved', since: lag[0]!.since });
    expect(Date.parse(lag[1]!.resolvedAt!)).toBeGreaterThanOrEqual(Date.parse(lag[0]!.since));
  });

  it('dead_letters_growing fires on a new dead letter and resolves once its window passes; a failed webhook post is retried', async () => {
    hook.failFirst = (a) => a.rule === 'dead_letters_growing' && a.state === 'firing';
    const m = '000.00.01.H26-261130-DL1';
    t.portal.setFaults({ rejectMaHoSo: [m], rejectErrorCode: 9, rejectMessage: 'Dữ liệu hồ sơ không hợp lệ' });
    const put = await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } });
    expect(put.status).toBe(202);

    const fired = await waitFor('dead_letters_growing firing', async () => (await alerts(t)).firing.find((a) => a.rule === 'dead_letters_growing'));
    expect(fired).toMatchObject({ subject: 'dossier-sync', severity: 'warning', state: 'firing', value: 1, threshold: 1 });
    expect((await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state).toBe('dead');

    await waitFor('dead_letters_growing resolved', async () => !(await firingRules(t)).has('dead_letters_growing'));
    await expectResolved(t, 'dead_letters_growing');

    // The first post of the firing alert was answered 500 and sent again; then came the resolution.
    await waitFor('webhook messages of dead_letters_growing', () => delivered(hook, 'dead_letters_growing').length >= 2);
    const posts = hook.deliveries.filter((d) => d.body.alert.rule === 'dead_letters_growing');
    expect(posts.map((d) => [d.body.alert.state, d.status])).toEqual([
      ['firing', 500],
      ['firing', 204],
      ['resolved', 204],
    ]);
    expect(posts[1]!.body).toEqual(posts[0]!.body);
    expect(posts[2]!.body.alert).toMatchObject({ since: fired.since, state: 'resolved' });
  });
});

/** A redis-server of this test alone, so it can be killed without disturbing the others. */
class PrivateRedis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await waitFor(`redis-server on port ${this.port}`, async () => {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    }, 10_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

describe('redis_unreachable', () => {
  let redis: PrivateRedis;
  let t: TestGateway | undefined;
  let hook: Receiver;
  beforeAll(async () => {
    hook = await startReceiver();
    redis = new PrivateRedis(await freePort());
    await redis.start();
    t = await startTestGateway({ env: { ...ALERT_ENV, REDIS_URL: redis.url, ALERT_WEBHOOK_URL: hook.url } });
  });
  afterAll(async () => {
    // The gateway's connections wait for Redis when stopping: make sure it answers first.
    if (t && !redis.running) await redis.start();
    await t?.stop();
    await redis?.stop();
    await hook?.close();
  });

  it('fires while Redis is down (the alerts API still answers) and resolves when it is back', async () => {
    const gw = t!;
    expect((await alerts(gw)).firing).toEqual([]);
    await redis.stop();
    const fired = await waitFor('redis_unreachable firing', async () => (await alerts(gw)).firing.find((a) => a.rule === 'redis_unreachable'));
    expect(fired).toMatchObject({ subject: 'gateway', severity: 'critical', state: 'firing', value: 1, threshold: 1 });
    expect(fired.summary).toMatch(/Redis is unreachable/);
    // No rule that needs Redis to be read fires or resolves on figures it could not read.
    expect((await alerts(gw)).firing.map((a) => a.rule)).toEqual(['redis_unreachable']);

    await redis.start();
    await waitFor('redis_unreachable resolved', async () => !(await firingRules(gw)).has('redis_unreachable'));
    await expectResolved(gw, 'redis_unreachable');
    await waitFor('webhook messages of redis_unreachable', () => delivered(hook, 'redis_unreachable').length >= 2);
    expect(delivered(hook, 'redis_unreachable')).toEqual(['firing', 'resolved']);
    const [firing, resolved] = hook.deliveries.filter((d) => d.body.alert.rule === 'redis_unreachable').map((d) => d.body);
    expect(firing).toMatchObject({ source: 'dvc-gateway', alert: { rule: 'redis_unreachable', state: 'firing', resolvedAt: null } });
    expect(resolved).toMatchObject({ source: 'dvc-gateway', alert: { rule: 'redis_unreachable', state: 'resolved', since: firing!.alert.since, value: 0 } });
  });
});

describe('rules evaluated directly, on a clock of the test', () => {
  // Only what observe() reads: readiness(), upstreams(), queues() and the sync store's two figures.
  function engine() {
    const world = { redis: true, circuit: 'closed' as UpstreamStatus['circuit'], openedAt: null as number | null, lag: 0, dead: 0, backlog: 0 };
    const ops = {
      readiness: async () => ({ ok: world.redis, checks: { redis: world.redis ? { status: 'ok' } : { status: 'fail', reason: 'Redis unreachable: down' } } }),
      upstreams: () => [{ name: 'dvcqg', circuit: world.circuit, openedAt: world.openedAt === null ? null : new Date(world.openedAt).toISOString() }],
      queues: async () => [{ name: 'dossier-sync', waiting: world.backlog, delayed: 0 }],
      deps: { store: { syncLagSeconds: async () => world.lag, deadLetterCount: async () => world.dead } },
    } as unknown as AlertInputs;
    const config: AlertConfig = {
      evaluateIntervalMs: 1_000,
      syncLagSeconds: 60,
      deadLettersGrowth: 1,
      deadLettersWindowSeconds: 60,
      circuitOpenSeconds: 120,
      backlogGrowthSeconds: 60,
      storeDataLostSeconds: 600,
      webhookUrl: undefined,
      webhookTimeoutMs: 1_000,
      driftPerHour: 10,
    };
    const alerts = new AlertEngine({ ops, config, redis: {} as Redis, prefix: 'unused', logger: pino({ level: 'silent' }), metrics: new Metrics() });
    const changes: string[] = [];
    const at = async (seconds: number) => {
      for (const a of await alerts.evaluate(T0 + seconds * 1_000)) changes.push(`${seconds}: ${a.rule} ${a.state}`);
    };
    return { world, alerts, changes, at };
  }
  const T0 = Date.parse('2026-11-30T08:00:00Z');

  it('circuit_open counts from when the circuit left closed, through failed trial calls that re-open it', async () => {
    const { world, alerts, changes, at } = engine();
    await at(0);
    // Open for 30 s at a time (the default) from 5 s on, the trial call failing each time: open → half-open → open again.
    for (let s = 10; s <= 140; s += 10) {
      const opened = 5 + Math.floor((s - 5) / 30) * 30;
      world.circuit = s - opened >= 25 ? 'half-open' : 'open';
      world.openedAt = T0 + opened * 1_000;
      await at(s);
    }
    expect(changes).toEqual(['130: circuit_open firing']);
    expect(alerts.list().firing).toEqual([expect.objectContaining({ rule: 'circuit_open', subject: 'dvcqg', value: 135, since: new Date(T0 + 130_000).toISOString() })]);
    world.circuit = 'closed';
    world.openedAt = null;
    await at(150);
    // Closed, then open again: counted afresh.
    world.circuit = 'open';
    world.openedAt = T0 + 155_000;
    await at(160);
    expect(changes).toEqual(['130: circuit_open firing', '150: circuit_open resolved']);
    expect(alerts.list().firing).toEqual([]);
  });

  it('backlog_growing stays firing while the backlog holds between evaluations, and resolves when it falls', async () => {
    const { world, alerts, changes, at } = engine();
    // 15 s evaluations; new work arrives in bursts, so some evaluations see no change.
    const backlog = [1, 3, 3, 5, 8, 8, 8, 12, 12, 20, 20, 20, 25];
    for (const [i, b] of backlog.entries()) {
      world.backlog = b;
      await at(i * 15);
    }
    expect(changes).toEqual(['60: backlog_growing firing']);
    expect(alerts.list().firing).toEqual([expect.objectContaining({ rule: 'backlog_growing', value: 180, summary: expect.stringMatching(/backlog of 25 /) })]);
    world.backlog = 10;
    await at(200);
    world.backlog = 11;
    await at(215);
    world.backlog = 0;
    await at(230);
    expect(changes).toEqual(['60: backlog_growing firing', '200: backlog_growing resolved']);
    // A backlog that stays where it is is not growing.
    for (let s = 245; s < 600; s += 15) {
      world.backlog = 7;
      await at(s);
    }
    expect(changes).toEqual(['60: backlog_growing firing', '200: backlog_growing resolved']);
  });

  it('while Redis is down only redis_unreachable changes: the figures read from Redis keep their last state', async () => {
    const { world, alerts, changes, at } = engine();
    world.lag = 90;
    await at(0);
    world.redis = false;
    world.lag = 0;
    await at(15);
    expect(alerts.list().firing.map((a) => a.rule).sort()).toEqual(['redis_unreachable', 'sync_lag']);
    world.redis = true;
    await at(30);
    expect(changes).toEqual(['0: sync_lag firing', '15: redis_unreachable firing', '30: redis_unreachable resolved', '30: sync_lag resolved']);
  });
});
