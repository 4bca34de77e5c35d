/**
 * History and reconciliation end to end through the API: revisions pushed, delivered by the workers
 * to the portal simulator, rejected and replayed, then the portal tampered with and reconciled; and a
 * PostgreSQL outage (a private server stopped and started again) during which the events wait in the
 * outbox and arrive afterwards, complete and in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { createTestDatabase, startPrivatePostgres, type PrivatePostgres, type TestDatabase } from './support/postgres.js';

let serial = 0;
const code = () => `000.00.04.H26-261201-${String(++serial).padStart(3, '0')}${Math.floor(Math.random() * 1e6)}`;

async function delivered(t: TestGateway, m: string, revision: number): Promise<void> {
  await waitFor(`${m} r${revision} delivered`, async () => {
    const s = (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
    return s.deliveredRevision === revision && s.state === 'delivered' && s.pendingProgress === 0;
  });
}

async function historyTypes(t: TestGateway, m: string): Promise<Array<[string, number]>> {
  const r = await api(t.url, 'GET', `/v1/dossiers/${m}/history?limit=1000`, { key: KEYS.opsRead });
  return (r.body.events ?? []).map((e: { type: string; revision: number }) => [e.type, e.revision]);
}

describe('through the API', () => {
  let db: TestDatabase;
  let t: TestGateway;
  beforeAll(async () => {
    db = await createTestDatabase('history_e2e');
    t = await startTestGateway({ env: { DATABASE_URL: db.url, RECONCILE_PER_MINUTE: '0' } });
    await t.gateway.records.whenReady();
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  const put = (m: string, body: unknown) => api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body });

  it('records revisions, deliveries, a dead letter and its replay; stale and duplicate sends make no event', async () => {
    const m = code();
    expect((await put(m, { revision: 2, dossier: sampleDossier(m), progress: [sampleProgress(m, '20261201080000', 2)] })).status).toBe(202);
    await delivered(t, m, 2);
    expect((await put(m, { revision: 2, dossier: sampleDossier(m) })).body.outcome).toBe('duplicate');
    expect((await put(m, { revision: 1, dossier: sampleDossier(m) })).body.outcome).toBe('stale');
    t.portal.setFaults({ rejectMaHoSo: [m], rejectErrorCode: 9, rejectMessage: 'Dữ liệu hồ sơ không hợp lệ' });
    expect((await put(m, { revision: 3, dossier: sampleDossier(m, { TrangThaiHoSo: 4 }) })).status).toBe(202);
    await waitFor('dead letter', async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'dead');
    t.portal.resetFaults();
    const letters = (await api(t.url, 'GET', '/v1/ops/dead-letters?limit=500', { key: KEYS.opsRead })).body.items as Array<{ id: string; maHoSo: string }>;
    const letter = letters.find((l) => l.maHoSo === m)!;
    expect((await api(t.url, 'POST', `/v1/ops/dead-letters/${letter.id}/replay`, { key: KEYS.ops })).status).toBe(202);
    await delivered(t, m, 3);
    const expected: Array<[string, number]> = [
      ['accepted', 2],
      ['delivered', 2],
      ['progress_delivered', 2],
      ['accepted', 3],
      ['dead_letter', 3],
      ['replayed', 3],
      ['delivered', 3],
    ];
    await waitFor('the whole history', async () => JSON.stringify(await historyTypes(t, m)) === JSON.stringify(expected));
    const events = (await api(t.url, 'GET', `/v1/dossiers/${m}/history`, { key: KEYS.sync })).body.events;
    expect(events[2].detail).toEqual({ items: 1 });
    expect(events[4].detail.reason).toMatchObject({ code: 'upstream_rejected', upstreamCode: '9', message: 'Dữ liệu hồ sơ không hợp lệ' });
    expect(events[5].detail).toMatchObject({ letterId: letter.id, by: 'ops-staff' });
    for (let i = 1; i < events.length; i++) expect(Date.parse(events[i].at)).toBeGreaterThanOrEqual(Date.parse(events[i - 1].at));
  });

  it('repairs a tampered portal copy with the data only: no progress is sent again', async () => {
    const m = code();
    const d = sampleDossier(m, { NgayTiepNhan: '20251102090000', TrangThaiHoSo: 4 });
    const progress = [sampleProgress(m, '20251102091000', 2), sampleProgress(m, '20251102100000', 4)];
    expect((await put(m, { revision: 1, dossier: d, progress })).status).toBe(202);
    await delivered(t, m, 1);
    await waitFor('delivery recorded', async () => (await historyTypes(t, m)).length === 3);
    t.portal.tamperDossier(m, { TrangThaiHoSo: 9, NgayKetThucXuLy: '20251110000000' });
    const progressCalls = t.portal.calls().filter((c) => c.service === 'CapNhatTienDoHoSoMC').length;
    const run = await api(t.url, 'POST', '/v1/ops/reconcile', { key: KEYS.ops, body: { maHoSo: m } });
    expect(run.body.queued).toBe(1);
    const figures = await waitFor('done', async () => {
      const r = (await api(t.url, 'GET', `/v1/ops/reconcile/${run.body.id}`, { key: KEYS.opsRead })).body;
      return r.state === 'done' ? r : undefined;
    });
    expect(figures).toEqual({ id: run.body.id, state: 'done', queued: 1, checked: 1, matched: 0, drifted: 1, repaired: 1, failed: 0 });
    expect(t.portal.dossier(m)).toEqual(d);
    expect(t.portal.calls().filter((c) => c.service === 'CapNhatTienDoHoSoMC').length).toBe(progressCalls);
    expect(t.portal.progress(m)).toHaveLength(2);
    await waitFor('drift and repair recorded', async () => (await historyTypes(t, m)).map(([type]) => type).join() === 'accepted,delivered,progress_delivered,drift,repaired');
    const drift = (await api(t.url, 'GET', `/v1/dossiers/${m}/history`, { key: KEYS.opsRead })).body.events[3];
    expect(drift.detail.fields).toEqual([
      { field: 'TrangThaiHoSo', portal: 9, expected: 4 },
      { field: 'NgayKetThucXuLy', portal: '20251110000000', expected: null },
    ]);
  });

  it('answers 503 store_unavailable without PostgreSQL', async () => {
    const other = await startTestGateway({ portalSim: t.portal });
    try {
      const r = await api(other.url, 'GET', `/v1/dossiers/${code()}/history`, { key: KEYS.opsRead });
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('store_unavailable');
      expect((await api(other.url, 'POST', '/v1/ops/reconcile', { key: KEYS.ops, body: {} })).body.code).toBe('store_unavailable');
      expect((await api(other.url, 'POST', '/v1/ops/reconcile', { key: KEYS.ops, body: { x: 1 } })).status).toBe(400);
    } finally {
      await other.stop();
    }
  });
});

describe('PostgreSQL outage', () => {
  let pg: PrivatePostgres;
  let t: TestGateway;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    t = await startTestGateway({ env: { DATABASE_URL: pg.url, RECONCILE_PER_MINUTE: '0' } });
    await t.gateway.records.whenReady();
  });
  afterAll(async () => {
    await t?.stop();
    pg?.destroy();
  });

  it('keeps the events in the outbox while PostgreSQL is down and delivers them afterwards, in order', async () => {
    const m = code();
    const put = (revision: number, status: number) =>
      api(t.url, 'PUT', `/v1/dossiers/${m}`, {
        key: KEYS.sync,
        body: { revision, dossier: sampleDossier(m, { TrangThaiHoSo: status }), progress: [sampleProgress(m, `2026120108${String(revision).padStart(2, '0')}00`, status)] },
      });
    expect((await put(1, 2)).status).toBe(202);
    await delivered(t, m, 1);
    await waitFor('first events', async () => (await historyTypes(t, m)).length === 3);

    pg.stop();
    expect((await api(t.url, 'GET', `/v1/dossiers/${m}/history`, { key: KEYS.opsRead })).body.code).toBe('store_unavailable');
    for (let r = 2; r <= 4; r++) {
      // Sync goes on while PostgreSQL is down: 202 and delivery as usual.
      expect((await put(r, 4)).status).toBe(202);
      await delivered(t, m, r);
    }
    const redis = (await import('./support/redis.js')).testRedis(t.prefix);
    expect(await redis.redis.xlen(`${t.prefix}:outbox`)).toBeGreaterThanOrEqual(9);
    redis.redis.disconnect();

    pg.start();
    const expected: Array<[string, number]> = [];
    for (let r = 1; r <= 4; r++) expected.push(['accepted', r], ['delivered', r], ['progress_delivered', r]);
    await waitFor('every event after the outage', async () => JSON.stringify(await historyTypes(t, m)) === JSON.stringify(expected), 60_000);
  });
});
