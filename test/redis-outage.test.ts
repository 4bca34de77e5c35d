/**
 * Redis trouble answers fast (shared/API.md "Conventions"): with a private redis-server that the test
 * kills, freezes, fills to maxmemory, turns read-only, keeps busy and restarts empty, every request
 * needing Redis answers 503 `store_unavailable` (batch items too), /health/live and /metrics keep
 * answering, no log line carries a command's arguments, and a Redis that came back without the
 * gateway's data raises `store_data_lost`.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier } from '../adapters/dvcqg/index.js';
import { createLogger } from '../src/logger.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { PrivateRedis } from './support/private-redis.js';

const SECRET_NAME = 'Nguyễn Thị Bí Mật';
const M = '000.00.01.H26-261201-0100';

let redis: PrivateRedis;
let t: TestGateway;
const logLines: string[] = [];
let revision = 1;

beforeAll(async () => {
  redis = await PrivateRedis.start(['--busy-reply-threshold', '200']);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  t = await startTestGateway({
    env: {
      REDIS_URL: redis.url,
      REDIS_COMMAND_TIMEOUT_MS: '1000',
      REDIS_MARKER_CHECK_INTERVAL_MS: '200',
      ALERT_EVALUATE_INTERVAL_MS: '200',
    },
    logger: createLogger('debug', 'test', sink),
  });
});
afterAll(async () => {
  if (t && !redis.running) await redis.start();
  redis?.resume();
  await t?.stop();
  await redis?.kill();
});

const put = (m = M) => api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: revision++, dossier: sampleDossier(m, { ChuHoSo: SECRET_NAME }) } });

async function expectStoreUnavailable(): Promise<void> {
  const r = await put();
  expect(r.status).toBe(503);
  expect(r.body.code).toBe('store_unavailable');
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  const batch = await api(t.url, 'POST', '/v1/dossiers/batch', {
    key: KEYS.sync,
    body: { items: [1, 2].map((i) => ({ revision: revision++, dossier: sampleDossier(`${M}-${i}`, { ChuHoSo: SECRET_NAME }) })) },
  });
  expect(batch.status).toBe(207);
  for (const item of batch.body.results) expect(item.error.code).toBe('store_unavailable');
}

async function expectStillAnswering(): Promise<void> {
  expect((await api(t.url, 'GET', '/health/live')).status).toBe(200);
  const metrics = await api(t.url, 'GET', '/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.body).toContain('gateway_http_requests_total');
  // The queue gauge is shown from its last good reading.
  expect(metrics.body).toContain('gateway_queue_jobs{');
}

async function expectAcceptingAgain(): Promise<void> {
  await waitFor('a PUT accepted again', async () => (await put()).status === 202, 30_000);
}

function expectNoArgumentsLogged(): void {
  const joined = logLines.join('');
  expect(joined).not.toContain(SECRET_NAME);
  expect(joined).not.toMatch(/"args"\s*:/);
}

describe('with Redis in trouble', () => {
  it('accepts while Redis is well, and scrapes the queue gauges', async () => {
    expect((await put()).status).toBe(202);
    expect((await api(t.url, 'GET', '/metrics')).body).toContain('gateway_queue_jobs{');
  });

  it('answers 503 store_unavailable while Redis is down; /health/live, /metrics and /v1/ops/queues answer', async () => {
    await redis.kill();
    await expectStoreUnavailable();
    await expectStillAnswering();
    const queues = await api(t.url, 'GET', '/v1/ops/queues', { key: KEYS.opsRead });
    expect(queues.status).toBe(503);
    expect(queues.body.code).toBe('store_unavailable');
    const ready = await api(t.url, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    await redis.start();
    await expectAcceptingAgain();
  });

  it('answers 503 while Redis holds its connections but answers nothing', async () => {
    redis.pause();
    try {
      await expectStoreUnavailable();
      await expectStillAnswering();
      expect((await api(t.url, 'GET', '/v1/ops/queues', { key: KEYS.opsRead })).status).toBe(503);
    } finally {
      redis.resume();
    }
    await expectAcceptingAgain();
  });

  it('answers 503 when Redis is full (maxmemory, noeviction)', async () => {
    const admin = redis.client();
    try {
      const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', String(used + 256 * 1024));
      const filler = 'x'.repeat(16 * 1024);
      await expect(
        (async () => {
          for (let i = 0; i < 1_000; i++) await admin.set(`filler:${i}`, filler);
        })(),
      ).rejects.toThrow(/OOM/);
      // Kept over the limit whatever memory the failed writes give back.
      const now = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
      await admin.config('SET', 'maxmemory', String(now - 128 * 1024));
      await expectStoreUnavailable();
      await expectStillAnswering();
      await admin.config('SET', 'maxmemory', '0');
      await expectAcceptingAgain();
    } finally {
      await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
      admin.disconnect();
    }
  });

  it('answers 503 when Redis is read-only (a replica)', async () => {
    const admin = redis.client();
    try {
      // A master that does not exist: Redis becomes a read-only replica and keeps its data.
      await admin.replicaof('127.0.0.1', '1');
      await expectStoreUnavailable();
      await admin.replicaof('NO', 'ONE');
      await expectAcceptingAgain();
    } finally {
      await admin.replicaof('NO', 'ONE').catch(() => undefined);
      admin.disconnect();
    }
  });

  it('answers 503 while Redis is busy running a script', async () => {
    const admin = redis.client();
    const busy = redis.client();
    const script = busy.eval('local i = 0 while true do i = i + 1 end', 0).catch(() => undefined);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await expectStoreUnavailable();
      await expectStillAnswering();
    } finally {
      await waitFor('script killed', async () => (await admin.script('KILL').then(() => true, (e: Error) => /NOTBUSY/.test(e.message))) === true, 10_000);
      await script;
      admin.disconnect();
      busy.disconnect();
    }
    await expectAcceptingAgain();
  });

  it('logged none of the command arguments of the failed writes', () => {
    expect(logLines.some((l) => l.includes('store unavailable'))).toBe(true);
    expectNoArgumentsLogged();
  });

  it('raises store_data_lost, fails readiness and logs it when Redis comes back empty', async () => {
    expect((await put()).status).toBe(202);
    await redis.kill();
    await redis.start();
    const alert = await waitFor(
      'store_data_lost firing',
      async () => ((await api(t.url, 'GET', '/v1/ops/alerts', { key: KEYS.opsRead })).body.firing as Array<{ rule: string }> | undefined)?.find((a) => a.rule === 'store_data_lost'),
      30_000,
    );
    expect(alert).toMatchObject({ rule: 'store_data_lost', severity: 'critical', state: 'firing' });
    const ready = await waitFor('readiness failing on the lost data', async () => {
      const r = await api(t.url, 'GET', '/health/ready');
      return r.status === 503 && r.body.checks.redisData?.status === 'fail' ? r : undefined;
    });
    expect(ready.body.checks.redisData.reason).toMatch(/without the gateway's data/);
    expect(logLines.some((l) => l.includes('Redis came back without the gateway') && l.includes('"level":50'))).toBe(true);
    // New work is still accepted: only what was lost is lost.
    expect((await put()).status).toBe(202);
    expectNoArgumentsLogged();
  });
});
