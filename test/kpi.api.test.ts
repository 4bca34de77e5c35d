/**
 * /v1/kpi against a real PostgreSQL: dossiers whose every indicator is known by construction reach
 * the projection through the outbox (entries written as docs/outbox.md describes), and every figure
 * of every unit and of the total, the warnings, the exports, the roles and the error order are
 * checked; the database is dumped and searched for the personal data that was sent.
 */
import { execFileSync } from 'node:child_process';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxKey } from '../src/records/outbox-events.js';
import { api, KEYS, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { catalog, NOVEMBER_DELIVERED, novemberRevisions, pushAccepted, pushDelivered, SECRETS, U1, U2 } from './support/kpi-fixtures.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { testRedis } from './support/redis.js';

const Q = '?period=2026-11';

describe('indicators', () => {
  let t: TestGateway;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('kpi');
    t = await startTestGateway({ env: { DATABASE_URL: db.url, KPI_WARN_MIN_DOSSIERS: '2' } });
    await waitFor('PostgreSQL migrated', () => t.gateway.records.ready);
    const put = await api(t.url, 'PUT', '/v1/kpi/catalog', { key: KEYS.ops, body: catalog });
    expect(put).toMatchObject({ status: 200, body: { procedures: 2, fullyOnline: 1, units: 3 } });
    const { redis, cleanup } = testRedis(t.prefix);
    for (const rev of novemberRevisions()) await pushAccepted(redis, t.prefix, rev);
    for (const [m, r] of NOVEMBER_DELIVERED) await pushDelivered(redis, t.prefix, m, r);
    await waitFor('the outbox drained', async () => (await redis.xlen(outboxKey(t.prefix))) === 0);
    redis.disconnect();
    void cleanup;
  });

  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  it('computes every figure of every unit and of the total', async () => {
    const r = await api(t.url, 'GET', `/v1/kpi/units${Q}`, { key: KEYS.kpi });
    expect(r.status).toBe(200);
    expect(r.body.period).toEqual({ label: '2026-11', from: '2026-11-01T00:00:00+07:00', to: '2026-11-30T23:59:59+07:00' });
    expect(r.body.asOf).toBe('2026-11-30T23:59:59+07:00');
    expect(r.body.units.map((u: { unit: string }) => u.unit)).toEqual([U1, U2, 'X.EMPTY', 'Z99']);
    const [u1, u2, empty, z] = r.body.units;
    expect(u1).toMatchObject({
      unit: U1, name: 'Sở Xây dựng', level: 'city',
      received: 6, online: 4, onlineRate: 4 / 6, fullyOnlineEligible: 4, fullyOnline: 2, fullyOnlineRate: 0.5, finished: 2,
      onTime: 4, onTimeRate: 4 / 6, overdueOpen: 1, synced: 1, syncedRate: 1 / 6, feeBearing: 2, paidOnline: 2, paidOnlineRate: 1,
      vneid: 1, vneidRate: 1 / 6, reusedDigitised: 1, reusedDigitisedRate: 1 / 6, eResult: 1, eResultRate: 0.5,
    });
    expect(u2).toMatchObject({
      unit: U2, level: 'commune', received: 2, online: 2, onlineRate: 1, fullyOnlineEligible: 2, fullyOnline: 2, fullyOnlineRate: 1,
      finished: 0, onTime: 1, onTimeRate: 0.5, overdueOpen: 1, synced: 0, syncedRate: 0, feeBearing: 0, paidOnline: 0,
      paidOnlineRate: null, vneid: 0, eResult: 0, eResultRate: null,
    });
    expect(empty).toMatchObject({ unit: 'X.EMPTY', received: 0, onlineRate: null, fullyOnlineRate: null, onTimeRate: null });
    expect(z).toMatchObject({ unit: 'Z99', name: null, level: null, received: 1, online: 0, onlineRate: 0, fullyOnlineEligible: 0, fullyOnlineRate: null, onTime: 1 });
    expect(r.body.total).toMatchObject({
      received: 9, online: 6, fullyOnlineEligible: 6, fullyOnline: 4, fullyOnlineRate: 4 / 6, finished: 2, onTime: 6, onTimeRate: 6 / 9,
      overdueOpen: 2, synced: 1, feeBearing: 2, paidOnline: 2, vneid: 1, reusedDigitised: 1, eResult: 1, eResultRate: 0.5,
    });
  });

  it('counts by the month of NgayTiepNhan in UTC+7', async () => {
    const oct = await api(t.url, 'GET', '/v1/kpi/units?period=2026-10', { key: KEYS.kpi });
    expect(oct.body.total.received).toBe(1);
    expect(oct.body.units.find((u: { unit: string }) => u.unit === U1).received).toBe(1);
    const q4 = await api(t.url, 'GET', '/v1/kpi/units?period=2026-Q4', { key: KEYS.kpi });
    expect(q4.body.period).toEqual({ label: '2026-Q4', from: '2026-10-01T00:00:00+07:00', to: '2026-12-31T23:59:59+07:00' });
    expect(q4.body.total.received).toBe(10);
    const year = await api(t.url, 'GET', '/v1/kpi/units?period=2026', { key: KEYS.kpi });
    expect(year.body.period.to).toBe('2026-12-31T23:59:59+07:00');
    expect(year.body.asOf).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
    const current = await api(t.url, 'GET', '/v1/kpi/units', { key: KEYS.kpi });
    expect(current.body.period.label).toMatch(/^\d{4}-\d{2}$/);
  });

  it('answers one unit with its procedures', async () => {
    const r = await api(t.url, 'GET', `/v1/kpi/units/${U1}${Q}`, { key: KEYS.kpi });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ unit: U1, name: 'Sở Xây dựng', level: 'city', received: 6, fullyOnlineRate: 0.5, asOf: '2026-11-30T23:59:59+07:00' });
    expect(r.body.procedures.map((p: { maTTHC: string }) => p.maTTHC)).toEqual(['1.000001', '1.000002', '1.000009']);
    expect(r.body.procedures[0]).toMatchObject({ name: 'Cấp giấy phép xây dựng', onlineLevel: 'full', received: 4, fullyOnline: 2, onTime: 2 });
    expect(r.body.procedures[2]).toMatchObject({ name: null, onlineLevel: null, received: 1, fullyOnlineEligible: 0 });
    const empty = await api(t.url, 'GET', `/v1/kpi/units/X.EMPTY${Q}`, { key: KEYS.kpi });
    expect(empty).toMatchObject({ status: 200, body: { received: 0, procedures: [] } });
    // Z99 has no dossier in December but has one in November: known.
    expect((await api(t.url, 'GET', '/v1/kpi/units/Z99?period=2026-12', { key: KEYS.kpi })).status).toBe(200);
    expect((await api(t.url, 'GET', `/v1/kpi/units/NOPE${Q}`, { key: KEYS.kpi })).body.code).toBe('not_found');
  });

  it('lists warnings: unit-level first, then dossiers by NgayHenTra', async () => {
    const r = await api(t.url, 'GET', `/v1/kpi/warnings${Q}`, { key: KEYS.kpi });
    expect(r.status).toBe(200);
    expect(r.body.items.map((w: { code: string; unit: string; maHoSo: string | null }) => [w.code, w.unit, w.maHoSo])).toEqual([
      ['fully_online_rate_low', U1, null],
      ['on_time_rate_low', U1, null],
      ['on_time_rate_low', U2, null],
      ['dossier_overdue', U2, `${U2}-261101-0010`],
      ['dossier_overdue', U1, `${U1}-261101-0002`],
      ['dossier_due_soon', U2, `${U2}-261101-0011`],
    ]);
    expect(r.body.items[0]).toMatchObject({ maTTHC: null, value: 0.5, threshold: 0.9 });
    expect(r.body.items[3]).toMatchObject({ maTTHC: '1.000001', value: null, threshold: null });
    expect(typeof r.body.items[3].message).toBe('string');
    const only = await api(t.url, 'GET', `/v1/kpi/warnings${Q}&unit=${U1}&code=dossier_overdue`, { key: KEYS.kpi });
    expect(only.body.items.map((w: { maHoSo: string }) => w.maHoSo)).toEqual([`${U1}-261101-0002`]);
  });

  it('exports the units table as CSV and XLSX', async () => {
    const res = await fetch(`${t.url}/v1/kpi/units${Q}&format=csv`, { headers: { authorization: `Bearer ${KEYS.kpi}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe(
      'unit,name,level,received,online,onlineRate,fullyOnlineEligible,fullyOnline,fullyOnlineRate,finished,onTime,onTimeRate,overdueOpen,synced,syncedRate,feeBearing,paidOnline,paidOnlineRate,vneid,vneidRate,reusedDigitised,reusedDigitisedRate,eResult,eResultRate',
    );
    expect(lines).toHaveLength(6);
    expect(lines[1]!.startsWith(`${U1},Sở Xây dựng,city,6,4,`)).toBe(true);
    expect(lines[2]).toContain(',0,0,,0,'); // U2: feeBearing 0, paidOnline 0, paidOnlineRate empty, vneid 0
    expect(lines[5]!.startsWith('TOTAL,,,9,6,')).toBe(true);
    const x = await fetch(`${t.url}/v1/kpi/units${Q}&format=xlsx`, { headers: { authorization: `Bearer ${KEYS.kpi}` } });
    expect(x.headers.get('content-type')).toMatch(/spreadsheetml/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await x.arrayBuffer()) as never);
    const ws = wb.worksheets[0]!;
    expect(ws.getRow(1).getCell(1).value).toBe('unit');
    expect(ws.getRow(2).getCell(1).value).toBe(U1);
    expect(ws.getRow(2).getCell(4).value).toBe(6);
    expect(ws.getRow(6).getCell(1).value).toBe('TOTAL');
  });

  it('checks key and role, then the query, in that order', async () => {
    expect((await api(t.url, 'GET', '/v1/kpi/units?period=bad')).status).toBe(401);
    expect((await api(t.url, 'GET', '/v1/kpi/units?period=bad', { key: KEYS.sync })).status).toBe(403);
    for (const q of ['period=', 'period=2026-q1', 'period=2026-13', 'period=2026-Q5', 'format=pdf', 'period=2026-11&period=2026-10']) {
      const r = await api(t.url, 'GET', `/v1/kpi/units?${q}`, { key: KEYS.kpi });
      expect([q, r.status, r.body.code]).toEqual([q, 400, 'invalid_query']);
    }
    expect((await api(t.url, 'GET', '/v1/kpi/warnings?code=nope', { key: KEYS.kpi })).body.code).toBe('invalid_query');
    for (const key of [KEYS.kpi, KEYS.opsRead, KEYS.ops]) expect((await api(t.url, 'GET', `/v1/kpi/units${Q}`, { key })).status).toBe(200);
    expect((await api(t.url, 'PUT', '/v1/kpi/catalog', { key: KEYS.kpi, body: catalog })).status).toBe(403);
    expect((await api(t.url, 'PUT', '/v1/kpi/catalog', { key: KEYS.opsRead, body: catalog })).status).toBe(403);
  });

  it('reads and validates the catalogue', async () => {
    const r = await api(t.url, 'GET', '/v1/kpi/catalog', { key: KEYS.kpi });
    expect(r.body.counts).toEqual({ procedures: 2, fullyOnline: 1, partiallyOnline: 1, city: 1, commune: 1, fullyOnlineCity: 1, fullyOnlineCommune: 0 });
    expect(r.body.units.map((u: { code: string }) => u.code)).toEqual([U1, U2, 'X.EMPTY']);
    const bad = await api(t.url, 'PUT', '/v1/kpi/catalog', {
      key: KEYS.ops,
      body: { procedures: [{ maTTHC: '', level: 'province', online: 'full', name: 'x' }, { maTTHC: 'a', name: 1, level: 'city', online: 'some' }], units: [{ code: 'u', level: 'city' }, { code: 'u', level: 'x' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_body');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual([
      '/procedures/0/maTTHC', '/procedures/0/level', '/procedures/1/name', '/procedures/1/online', '/units/1/level', '/units/1/code',
    ]);
    // Nothing of an invalid catalogue is applied.
    expect((await api(t.url, 'GET', '/v1/kpi/catalog', { key: KEYS.kpi })).body.counts.procedures).toBe(2);
  });

  it('changes nothing when the same events are copied again (a drainer that died before XDEL)', async () => {
    const before = (await api(t.url, 'GET', `/v1/kpi/units${Q}`, { key: KEYS.kpi })).body;
    const { redis, cleanup } = testRedis(`${t.prefix}-none`);
    for (const rev of novemberRevisions()) await pushAccepted(redis, t.prefix, rev);
    for (const [m, r] of NOVEMBER_DELIVERED) await pushDelivered(redis, t.prefix, m, r);
    await waitFor('the outbox drained', async () => (await redis.xlen(outboxKey(t.prefix))) === 0);
    await cleanup();
    const after = (await api(t.url, 'GET', `/v1/kpi/units${Q}`, { key: KEYS.kpi })).body;
    expect(after.units).toEqual(before.units);
    expect(after.total).toEqual(before.total);
  });

  it('stores no personal data (the database dumped and searched)', () => {
    const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', db.url], { maxBuffer: 64 << 20 }).toString('utf8');
    expect(dump).toContain(`${U1}-261101-0001`);
    for (const [field, value] of Object.entries(SECRETS)) expect([field, dump.includes(value)]).toEqual([field, false]);
    expect(dump).not.toContain('Thủ tục');
  });
});

describe('indicators without PostgreSQL', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answer 503 store_unavailable after the query checks, and readiness stays ok', async () => {
    expect((await api(t.url, 'GET', '/v1/kpi/units?period=2026-13', { key: KEYS.kpi })).status).toBe(400);
    const r = await api(t.url, 'GET', '/v1/kpi/units', { key: KEYS.kpi });
    expect([r.status, r.body.code]).toEqual([503, 'store_unavailable']);
    expect((await api(t.url, 'PUT', '/v1/kpi/catalog', { key: KEYS.ops, body: { procedures: 'x' } })).status).toBe(400);
    expect((await api(t.url, 'PUT', '/v1/kpi/catalog', { key: KEYS.ops, body: catalog })).status).toBe(503);
    const ready = await api(t.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.postgres.status).toBe('fail');
  });
});
