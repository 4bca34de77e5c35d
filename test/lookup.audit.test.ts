/**
 * No lookup answer leaves without its audit record: against a Redis of this test alone, filled up
 * (maxmemory, noeviction: writes refused with OOM) and then stopped (SIGSTOP), a lookup answers 503
 * store_unavailable with no data, and every answer that did carry data has its record. The audit
 * query's edge bounds answer an empty page, not a 500.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/free-port.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';

let redisProcess: ChildProcess | null = null;
let redisUrl = '';
let redisPort = 0;

function startRedis(): ChildProcess {
  return spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}
let control: Redis;
let t: TestGateway | null = null;
const purpose = { 'x-dossier-code': '000.00.01.H26-261129-0004', 'x-officer-id': 'CB010' };

beforeAll(async () => {
  redisPort = await freePort();
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  redisProcess = startRedis();
  control = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  control.on('error', () => undefined);
  await waitFor('the private redis-server', async () => (await control.ping()) === 'PONG');
  t = await startTestGateway({ env: { REDIS_URL: redisUrl, DKDN_CACHE_TTL_SECONDS: '0' } });
});
afterAll(async () => {
  await t?.stop().catch(() => undefined);
  control?.disconnect();
  redisProcess?.kill('SIGKILL');
});

const lookup = (code: string) => api(t!.url, 'GET', `/v1/businesses/${code}`, { key: KEYS.lookup, headers: purpose });

describe('the audit is written before the answer leaves', () => {
  it('answers a lookup with its record in the audit', async () => {
    const r = await lookup('0100109106');
    expect(r.status).toBe(200);
    const audit = await api(t!.url, 'GET', '/v1/ops/audit?subject=0100109106', { key: KEYS.opsRead });
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ source: 'dkdn', outcome: 'found', status: 200, officer: 'CB010' });
  });

  it('the audit query answers empty pages for bounds before any entry, and 400 for malformed ones', async () => {
    for (const q of ['to=1960-01-01T00:00:00Z', 'cursor=0-0', 'from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z', 'from=1960-01-01T00:00:00Z&limit=1']) {
      const r = await api(t!.url, 'GET', `/v1/ops/audit?${q}`, { key: KEYS.opsRead });
      expect(r.status, q).toBe(200);
      if (!q.startsWith('from=1960')) expect(r.body, q).toEqual({ items: [], nextCursor: null });
    }
    for (const q of ['cursor=99999999999999999999999-0', 'cursor=1-x', 'to=yesterday', 'from=1', 'limit=0']) {
      const r = await api(t!.url, 'GET', `/v1/ops/audit?${q}`, { key: KEYS.opsRead });
      expect(r.body, q).toMatchObject({ status: 400, code: 'invalid_query' });
    }
  });

  it('with Redis full (writes refused), a lookup answers 503 store_unavailable and no data', async () => {
    const used = Number(/used_memory:(\d+)/.exec(await control.info('memory'))![1]);
    await control.config('SET', 'maxmemory-policy', 'noeviction');
    await control.config('SET', 'maxmemory', String(Math.max(1024 * 1024, used - 1024 * 1024)));
    try {
      const r = await lookup('0100233488');
      expect(r.body).toMatchObject({ status: 503, code: 'store_unavailable' });
      expect(JSON.stringify(r.body)).not.toMatch(/0100233488|Sông Hồng|enterpriseCode/);
    } finally {
      await control.config('SET', 'maxmemory', '0');
    }
    const audit = await api(t!.url, 'GET', '/v1/ops/audit?subject=0100233488', { key: KEYS.opsRead });
    expect(audit.body.items).toEqual([]);
  });

  it('with Redis not answering, a lookup answers 503 store_unavailable and no data', async () => {
    // Stopped, not killed: its connections stay open and nothing answers, the worst case for a client.
    redisProcess!.kill('SIGSTOP');
    try {
      const r = await lookup('0100233488');
      expect(r.body).toMatchObject({ status: 503, code: 'store_unavailable' });
      expect(JSON.stringify(r.body)).not.toMatch(/Sông Hồng|enterpriseCode/);
    } finally {
      redisProcess!.kill('SIGCONT');
    }
    await waitFor('Redis to answer again', async () => (await control.ping()) === 'PONG');
    expect((await lookup('0100233488')).status).toBe(200);
  });
});
