/**
 * Indicators end to end through the HTTP API: dossiers pushed with PUT /v1/dossiers reach the figures
 * through the outbox, portal acknowledgements make them `synced`, and a PostgreSQL stopped mid-run
 * delays nothing: 202s go on, /v1/kpi answers 503, and once it is back every revision is counted.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, KEYS, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { catalog, dossier, P_FULL, SECRETS, U1, U2 } from './support/kpi-fixtures.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/postgres.js';

const Q = '?period=2026-11';

function revision(m: string, r: number, fields: Record<string, unknown>, progress: Array<[string, number]> = []) {
  return {
    revision: r,
    dossier: dossier(m, { MaTTHC: P_FULL, KenhThucHien: 2, TrangThaiHoSo: 2, NgayTiepNhan: '20261110080000', NgayHenTra: '20261130170000', ...fields }),
    progress: progress.map(([at, s]) => ({ MaHoSo: m, ThoiDiemXuLy: at, TrangThai: s, NguoiXuLy: SECRETS.NguoiXuLy, NoiDungXuLy: SECRETS.TrichYeuHoSo })),
  };
}

describe('indicators through the API', () => {
  let pg: PrivatePostgres;
  let t: TestGateway;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    t = await startTestGateway({ env: { DATABASE_URL: pg.url } });
    await waitFor('PostgreSQL migrated', () => t.gateway.records.ready);
    expect((await api(t.url, 'PUT', '/v1/kpi/catalog', { key: KEYS.ops, body: catalog })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
    pg?.destroy();
  });

  const units = async () => (await api(t.url, 'GET', `/v1/kpi/units${Q}`, { key: KEYS.kpi })).body;

  it('counts accepted revisions, the highest only, and synced once the portal acknowledged it', async () => {
    const m1 = `${U1}-261110-0001`;
    const put = (m: string, body: unknown) => api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body });
    expect((await put(m1, revision(m1, 1, { KenhThucHien: 1 }, [['20261110090000', 2]]))).status).toBe(202);
    expect((await put(m1, revision(m1, 3, { TrangThaiHoSo: 10, NgayTra: '20261112080000', NgayKetThucXuLy: '20261112080000', DanhSachGiayToKetQua: [{ a: 1 }] }, [['20261112080000', 10]]))).status).toBe(202);
    expect((await put(m1, revision(m1, 2, { TrangThaiHoSo: 4 }))).body.outcome).toBe('stale');
    const m2 = `${U2}-261110-0002`;
    expect((await put(m2, revision(m2, 1, { KenhThucHien: '1', TrangThaiHoSo: 5 }, [['20261111080000', 5]]))).status).toBe(202);

    await waitFor('both dossiers synced', async () => (await units()).total?.synced === 2, 30_000);
    const body = await units();
    const u1 = body.units.find((u: { unit: string }) => u.unit === U1);
    expect(u1).toMatchObject({ received: 1, online: 1, fullyOnline: 1, finished: 1, onTime: 1, synced: 1, eResult: 1, eResultRate: 1 });
    const u2 = body.units.find((u: { unit: string }) => u.unit === U2);
    expect(u2).toMatchObject({ received: 1, online: 0, fullyOnlineRate: 0, onTime: 1, overdueOpen: 0, synced: 1 });
  });

  it('keeps accepting with PostgreSQL stopped, answers 503, and catches up when it is back', async () => {
    pg.stop();
    const sent: string[] = [];
    for (let i = 1; i <= 20; i++) {
      const m = `${U1}-261120-${String(i).padStart(4, '0')}`;
      const r = await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: revision(m, 1, { NgayTiepNhan: '20261120080000' }) });
      expect(r.status).toBe(202);
      sent.push(m);
    }
    const down = await api(t.url, 'GET', `/v1/kpi/units${Q}`, { key: KEYS.kpi });
    expect([down.status, down.body.code]).toEqual([503, 'store_unavailable']);
    const ready = await api(t.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.postgres.status).toBe('fail');

    pg.start();
    await waitFor('every revision counted', async () => (await units()).total?.received === 22, 40_000);
    await waitFor('every revision synced', async () => (await units()).total?.synced === 22, 40_000);
    // Readiness is cached for a second: the check follows shortly.
    await waitFor('checks.postgres ok', async () => (await api(t.url, 'GET', '/health/ready')).body.checks.postgres.status === 'ok');
  });

  it('stores none of the personal data that was sent', () => {
    const dump = execFileSync('pg_dump', ['--data-only', pg.url], { maxBuffer: 64 << 20 }).toString('utf8');
    expect(dump).toContain(`${U1}-261110-0001`);
    for (const [field, value] of Object.entries(SECRETS)) expect([field, dump.includes(value)]).toEqual([field, false]);
  });
});
