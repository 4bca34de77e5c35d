/**
 * Several worker processes sharing one Redis: an API-only gateway takes the revisions, two worker
 * gateways deliver them, and per-dossier leases keep every dossier's deliveries in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress, startDvcqgSimulator, type DvcqgSimulator } from '../adapters/dvcqg/index.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { uniquePrefix } from './support/redis.js';

let portal: DvcqgSimulator;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  portal = await startDvcqgSimulator({ port: 0, seed: 11, faults: { latencyMs: 5, latencyJitterMs: 20, errorRate: 0.1 } });
  const prefix = uniquePrefix('workers');
  const env = { SYNC_CONCURRENCY: '8', DVCQG_TIMEOUT_MS: '1000', DVCQG_CIRCUIT_MIN_CALLS: '1000' };
  gateways.push(await startTestGateway({ prefix, portalSim: portal, env: { ...env, GATEWAY_ROLE: 'api' } }));
  gateways.push(await startTestGateway({ prefix, portalSim: portal, env: { ...env, GATEWAY_ROLE: 'worker' } }));
  gateways.push(await startTestGateway({ prefix, portalSim: portal, env: { ...env, GATEWAY_ROLE: 'worker' } }));
});
afterAll(async () => {
  // Workers first; the API gateway removes the shared keys last.
  for (const g of gateways.reverse()) await g.stop();
  await portal?.close();
});

describe('two worker processes', () => {
  it('deliver every revision in order, each dossier by one worker at a time', async () => {
    const [apiGateway] = gateways;
    expect(apiGateway!.gateway.worker).toBeNull();
    const ms = Array.from({ length: 25 }, (_, i) => `000.00.01.H26-261129-W${i}`);
    for (let rev = 1; rev <= 4; rev++) {
      await Promise.all(
        ms.map((m) =>
          api(apiGateway!.url, 'PUT', `/v1/dossiers/${m}`, {
            key: KEYS.sync,
            body: { revision: rev, dossier: sampleDossier(m, { GhiChu: `rev-${rev}` }), progress: [sampleProgress(m, `2026112909${String(rev).padStart(2, '0')}00`, 4)] },
          }),
        ),
      );
      await new Promise((r) => setTimeout(r, 30));
    }
    for (const m of ms) {
      await waitFor(`${m} delivered`, async () => {
        const s = (await api(apiGateway!.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
        return s.state === 'delivered' && s.deliveredRevision === 4 && s.pendingProgress === 0;
      }, 60_000);
    }
    for (const m of ms) {
      const revisions = portal.history(m).map((h) => Number(String(h.dossier.GhiChu).slice(4)));
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      expect(revisions.at(-1)).toBe(4);
      const steps = portal.progress(m).map((p) => String(p.ThoiDiemXuLy));
      expect(steps).toEqual([...steps].sort());
      expect(new Set(steps).size).toBe(4);
    }
    // Worker processes answer probes and scrapes, and nothing else.
    const worker = gateways[1]!;
    expect((await api(worker.url, 'GET', '/health/ready')).body.status).toBe('ok');
    expect((await api(worker.url, 'GET', '/metrics')).status).toBe(200);
    expect((await api(worker.url, 'GET', `/v1/dossiers/${ms[0]}`, { key: KEYS.sync })).status).toBe(404);
    // Both workers took part.
    const delivered = await Promise.all(gateways.slice(1).map(async (g) => (await g.gateway.metrics.registry.getSingleMetric('gateway_sync_deliveries_total')!.get()).values));
    for (const values of delivered) expect(values.some((v) => v.labels.kind === 'dossier' && v.labels.result === 'delivered' && v.value > 0)).toBe(true);
  });
});
