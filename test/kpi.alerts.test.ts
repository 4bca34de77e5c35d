/**
 * Unit-level indicator warnings as alerts: `kpi_unit_lagging` fires once when a unit starts lagging in
 * the current month, resolves when it stops, and both reach ALERT_WEBHOOK_URL.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPortalTimestamp } from '../src/domain/dates.js';
import type { Alert } from '../src/ops/alerts.js';
import { outboxKey } from '../src/records/outbox-events.js';
import { api, KEYS, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { catalog, P_FULL, pushAccepted, U1 } from './support/kpi-fixtures.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { testRedis } from './support/redis.js';

describe('kpi_unit_lagging', () => {
  let db: TestDatabase;
  let t: TestGateway;
  let server: Server;
  const received: Alert[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alert: Alert }).alert);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    db = await createTestDatabase('kpialerts');
    t = await startTestGateway({
      env: {
        DATABASE_URL: db.url,
        KPI_WARN_MIN_DOSSIERS: '3',
        ALERT_EVALUATE_INTERVAL_MS: '200',
        ALERT_WEBHOOK_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
      },
    });
    await waitFor('PostgreSQL migrated', () => t.gateway.records.ready);
    expect((await api(t.url, 'PUT', '/v1/kpi/catalog', { key: KEYS.ops, body: catalog })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
    server?.closeAllConnections();
    server?.close();
  });

  it('fires once when a unit lags in the current month, resolves when it stops, both posted', async () => {
    const { redis, cleanup } = testRedis(`${t.prefix}-unused`);
    const today = toPortalTimestamp(new Date(Date.now() - 60_000));
    const due = toPortalTimestamp(new Date(Date.now() + 10 * 86_400_000));
    const push = (n: number, r: number, kenh: number) =>
      pushAccepted(redis, t.prefix, { m: `${U1}-A-${n}`, r, d: { MaTTHC: P_FULL, KenhThucHien: kenh, TrangThaiHoSo: 2, NgayTiepNhan: today, NgayHenTra: due } });
    for (let i = 1; i <= 3; i++) await push(i, 1, 1);
    await waitFor('the alert fires', async () => {
      const a = (await api(t.url, 'GET', '/v1/ops/alerts', { key: KEYS.opsRead })).body;
      return a.firing.some((x: Alert) => x.rule === 'kpi_unit_lagging' && x.subject === U1);
    });
    const firing = (await api(t.url, 'GET', '/v1/ops/alerts', { key: KEYS.opsRead })).body.firing.find((x: Alert) => x.rule === 'kpi_unit_lagging');
    expect(firing).toMatchObject({ severity: 'warning', value: 0, threshold: 0.9, state: 'firing' });
    expect(firing.summary).toContain('fully_online_rate_low');

    for (let i = 1; i <= 3; i++) await push(i, 2, 2);
    await waitFor('the outbox drained', async () => (await redis.xlen(outboxKey(t.prefix))) === 0);
    await waitFor('the alert resolves', async () => {
      const a = (await api(t.url, 'GET', '/v1/ops/alerts', { key: KEYS.opsRead })).body;
      return !a.firing.some((x: Alert) => x.rule === 'kpi_unit_lagging') && a.recent.some((x: Alert) => x.rule === 'kpi_unit_lagging' && x.state === 'resolved');
    });
    await waitFor('both posted', () => received.filter((a) => a.rule === 'kpi_unit_lagging').length >= 2);
    expect(received.filter((a) => a.rule === 'kpi_unit_lagging').map((a) => [a.subject, a.state])).toEqual([
      [U1, 'firing'],
      [U1, 'resolved'],
    ]);
    await cleanup();
  });
});
