/**
 * A gateway process killed with SIGKILL in the middle of deliveries loses nothing: another process
 * sharing the same Redis finishes the work, and the portal ends with every dossier's latest data
 * and every step. A process stopped with SIGTERM first finishes the deliveries it has in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress, startDvcqgSimulator, type DvcqgSimulator } from '../adapters/dvcqg/index.js';
import { KEYS, api, clientsFile, waitFor } from './support/gateway.js';
import { redisUrl, testRedis, uniquePrefix } from './support/redis.js';
import { freePort } from '../scripts/free-port.js';
import { SyncStore } from '../src/sync/store.js';

const prefix = uniquePrefix('crash');
let portal: DvcqgSimulator;
const children: ChildProcess[] = [];

async function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('gateway up', async () => (await api(url, 'GET', '/health/ready')).status === 200, 30_000);
  return { child, url };
}

beforeAll(async () => {
  portal = await startDvcqgSimulator({ port: 0, faults: { latencyMs: 30, latencyJitterMs: 30 } });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await portal?.close();
  const { cleanup } = testRedis(prefix);
  await cleanup();
});

describe('SIGKILL mid-delivery', () => {
  it('another process finishes every delivery', async () => {
    const env = {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      GATEWAY_CLIENTS_FILE: clientsFile(),
      DVCQG_AUTH_URL: portal.authUrl,
      DVCQG_API_URL: portal.apiUrl,
      SYNC_LEASE_MS: '2000',
      SYNC_RECONCILE_INTERVAL_MS: '1000',
      SYNC_CONCURRENCY: '16',
      SYNC_DIRECT_CONCURRENCY: '16',
      LOG_LEVEL: 'warn',
    };
    const first = await startProcess(env);
    const ms = Array.from({ length: 120 }, (_, i) => `000.00.01.H26-261129-K${i}`);
    // Every dossier has 25 steps: three progress calls a round, so a kill falls between calls of a round.
    const stepsOf = (m: string) => Array.from({ length: 25 }, (_, j) => sampleProgress(m, `20261129${String(8 + Math.floor(j / 10)).padStart(2, '0')}${String(j % 10).padStart(2, '0')}00`, 2 + (j % 3)));
    await Promise.all(
      ms.map((m) => api(first.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m), progress: stepsOf(m) } })),
    );
    await waitFor('progress deliveries under way', () => portal.calls().filter((c) => c.service === 'CapNhatTienDoHoSoMC' && c.applied).length > 40);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // Revisions accepted after the crash, on the second process.
    const second = await startProcess(env);
    for (const m of ms.slice(0, 20)) {
      const r = await api(second.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 2, dossier: sampleDossier(m, { TrangThaiHoSo: 9 }) } });
      expect(r.status).toBe(202);
    }
    for (const m of ms) {
      await waitFor(`${m} delivered`, async () => {
        const s = (await api(second.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
        return s.state === 'delivered' && s.pendingProgress === 0;
      }, 90_000);
    }
    let resentDossiers = 0;
    for (const [i, m] of ms.entries()) {
      expect(portal.dossier(m)?.TrangThaiHoSo).toBe(i < 20 ? 9 : sampleDossier(m).TrangThaiHoSo);
      const received = portal.progress(m).map((p) => `${String(p.ThoiDiemXuLy)}|${String(p.TrangThai)}`);
      expect(new Set(received).size).toBe(25);
      // Each acknowledged call was recorded as soon as it was answered: only the call in flight at the
      // kill (at most 10 steps, each at most once more) may reach the portal again.
      const twice = received.length - new Set(received).size;
      expect(twice).toBeLessThanOrEqual(10);
      if (twice > 0) resentDossiers++;
    }
    // At most one call in flight per delivery slot of the killed process: its worker's and its direct ones.
    expect(resentDossiers).toBeLessThanOrEqual(Number(env.SYNC_CONCURRENCY) + Number(env.SYNC_DIRECT_CONCURRENCY));
    // A clean stop: SIGTERM drains and exits 0.
    const exited = new Promise<number | null>((r) => second.child.once('exit', (code) => r(code)));
    second.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('SIGTERM mid-delivery', () => {
  it('finishes and records the deliveries in flight before exiting', async () => {
    const env = {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: `${prefix}-term`,
      GATEWAY_CLIENTS_FILE: clientsFile(),
      DVCQG_AUTH_URL: portal.authUrl,
      DVCQG_API_URL: portal.apiUrl,
      SYNC_CONCURRENCY: '8',
      LOG_LEVEL: 'warn',
    };
    const gw = await startProcess(env);
    portal.setFaults({ latencyMs: 400, latencyJitterMs: 0 });
    const ms = Array.from({ length: 8 }, (_, i) => `000.00.01.H26-261129-T${i}`);
    const before = portal.calls().length;
    for (const m of ms) await api(gw.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } });
    await waitFor('deliveries in flight', () => portal.calls().slice(before).some((c) => c.service === 'DongBoHoSoMC'));
    const exited = new Promise<number | null>((r) => gw.child.once('exit', (code) => r(code)));
    gw.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Every dossier the portal took was recorded as delivered before the process ended.
    const { redis, cleanup } = testRedis(`${prefix}-term`);
    try {
      const store = new SyncStore(redis, `${prefix}-term`);
      const taken = ms.filter((m) => portal.dossier(m) !== undefined);
      expect(taken.length).toBeGreaterThan(0);
      for (const m of taken) expect((await store.status(m))?.deliveredRevision).toBe(1);
    } finally {
      portal.resetFaults();
      await cleanup();
    }
  });
});
