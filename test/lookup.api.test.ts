import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CITIZENS } from '../adapters/dancu-soap/fixtures/index.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { DANCU_TIMEOUT_MS: '400', DANCU_CIRCUIT_OPEN_MS: '60000', DANCU_CIRCUIT_MIN_CALLS: '4' } });
});
afterAll(async () => {
  await t?.stop();
});

const purpose = { 'x-dossier-code': '000.00.01.H26-261129-0001', 'x-officer-id': 'CB001' };
const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const citizenSchema = ajv.compile(JSON.parse(readFileSync('schemas/citizen.schema.json', 'utf8')));
const businessSchema = ajv.compile(JSON.parse(readFileSync('schemas/business.schema.json', 'utf8')));

describe('GET /v1/citizens/{SoDinhDanh}', () => {
  it('answers every fixture citizen in the canonical shape, identifiers kept as strings', async () => {
    for (const c of FIXTURE_CITIZENS) {
      const q = c.query;
      const r = await api(t.url, 'GET', `/v1/citizens/${q.idNumber}?hoVaTen=${encodeURIComponent(q.fullName)}&ngaySinh=${q.birthDate}`, { key: KEYS.lookup, headers: purpose });
      expect(r.status, c.label).toBe(200);
      expect(citizenSchema(r.body), JSON.stringify(citizenSchema.errors)).toBe(true);
      expect(r.body.idNumber).toBe(q.idNumber);
      expect(r.body.source).toBe('dancu');
    }
  });

  it('checks role, purpose, identifier and query, in that order', async () => {
    const good = FIXTURE_CITIZENS[0]!.query;
    const path = (id: string, qs = `hoVaTen=${encodeURIComponent(good.fullName)}&ngaySinh=${good.birthDate}`) => `/v1/citizens/${id}?${qs}`;
    expect((await api(t.url, 'GET', path(good.idNumber), { key: KEYS.sync, headers: purpose })).status).toBe(403);
    const noPurpose = await api(t.url, 'GET', path('12'), { key: KEYS.lookup });
    expect(noPurpose.body.code).toBe('purpose_required');
    const bad = await api(t.url, 'GET', path('12', ''), { key: KEYS.lookup, headers: purpose });
    expect(bad.body.code).toBe('invalid_identifier');
    expect(bad.body.detail).toMatch(/12 digits/);
    expect((await api(t.url, 'GET', path('999099012345'), { key: KEYS.lookup, headers: purpose })).body.detail).toMatch(/province/);
    const year = await api(t.url, 'GET', path(good.idNumber, `hoVaTen=A&ngaySinh=2001`), { key: KEYS.lookup, headers: purpose });
    expect(year.body.code).toBe('invalid_identifier');
    const query = await api(t.url, 'GET', path(good.idNumber, 'ngaySinh=19991'), { key: KEYS.lookup, headers: purpose });
    expect(query.body.code).toBe('invalid_query');
    expect(query.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['hoVaTen', 'ngaySinh']);
    const twice = await api(t.url, 'GET', path(good.idNumber, `hoVaTen=A&hoVaTen=B&ngaySinh=${good.birthDate}`), { key: KEYS.lookup, headers: purpose });
    expect(twice.body).toMatchObject({ code: 'invalid_query', errors: [{ path: 'hoVaTen', message: 'must be given once' }] });
    const badUrl = await api(t.url, 'GET', '/v1/citizens/%E0%A4%A', { key: KEYS.lookup, headers: purpose });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.code).toBe('invalid_identifier');
  });

  it('is 404 when name or birth date do not match, and every lookup is audited without its data', async () => {
    const q = FIXTURE_CITIZENS[0]!.query;
    const r = await api(t.url, 'GET', `/v1/citizens/${q.idNumber}?hoVaTen=Someone%20Else&ngaySinh=${q.birthDate}`, { key: KEYS.lookup, headers: purpose });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('not_found');
    const audit = await waitFor('audit', async () => {
      const a = await api(t.url, 'GET', `/v1/ops/audit?subject=${q.idNumber}&limit=50`, { key: KEYS.opsRead });
      return a.body.items.length >= 2 ? a.body : undefined;
    });
    expect(audit.items[0]).toMatchObject({ client: 'officer-tool', officer: 'CB001', dossierCode: purpose['x-dossier-code'], source: 'dancu', subject: q.idNumber, outcome: 'not_found', status: 404 });
    expect(JSON.stringify(audit)).not.toContain(q.fullName);
    const page = await api(t.url, 'GET', `/v1/ops/audit?subject=${q.idNumber}&limit=1`, { key: KEYS.opsRead });
    expect(page.body.items).toHaveLength(1);
    const next = await api(t.url, 'GET', `/v1/ops/audit?subject=${q.idNumber}&limit=1&cursor=${page.body.nextCursor}`, { key: KEYS.opsRead });
    expect(next.body.items[0].at <= page.body.items[0].at).toBe(true);
  });

  it('maps SOAP faults to 502, hangs to 504, and opens the circuit with Retry-After', async () => {
    const q = FIXTURE_CITIZENS[0]!.query;
    const path = `/v1/citizens/${q.idNumber}?hoVaTen=${encodeURIComponent(q.fullName)}&ngaySinh=${q.birthDate}`;
    t.citizens.setFaults({ faultRate: 1 });
    expect((await api(t.url, 'GET', path, { key: KEYS.lookup, headers: purpose })).body.code).toBe('upstream_bad_response');
    t.citizens.setFaults({ faultRate: 0, hangRate: 1 });
    const hang = await api(t.url, 'GET', path, { key: KEYS.lookup, headers: purpose });
    expect(hang.status).toBe(504);
    t.citizens.setFaults({ hangRate: 0, down: true });
    let last = hang;
    // Failures pile up until at least half the calls of the window failed: then the circuit opens.
    for (let i = 0; i < 40 && !last.headers.get('retry-after'); i++) last = await api(t.url, 'GET', path, { key: KEYS.lookup, headers: purpose });
    const open = await api(t.url, 'GET', path, { key: KEYS.lookup, headers: purpose });
    const calls = t.citizens.requests().length;
    expect((await api(t.url, 'GET', path, { key: KEYS.lookup, headers: purpose })).status).toBe(503);
    expect(t.citizens.requests().length).toBe(calls);
    expect(open.status).toBe(503);
    expect(open.body.code).toBe('upstream_unavailable');
    expect(Number(open.headers.get('retry-after'))).toBeGreaterThan(0);
    // The population DB failing does not touch business lookups.
    const b = await api(t.url, 'GET', '/v1/businesses/0100109106', { key: KEYS.lookup, headers: purpose });
    expect(b.status).toBe(200);
    t.citizens.resetFaults();
  });
});

describe('GET /v1/businesses/{MaSoDoanhNghiep}', () => {
  it('answers the canonical shape, caches it, and checks the code', async () => {
    for (const code of ['0100233488', '0100109106', '0100109106-001']) {
      const r = await api(t.url, 'GET', `/v1/businesses/${code}`, { key: KEYS.lookup, headers: purpose });
      expect(r.status, code).toBe(200);
      expect(businessSchema(r.body), JSON.stringify(businessSchema.errors)).toBe(true);
      expect(r.body.enterpriseCode).toBe(code);
    }
    const before = t.businesses.requests().length;
    await api(t.url, 'GET', '/v1/businesses/0100233488', { key: KEYS.lookup, headers: purpose });
    expect(t.businesses.requests().length).toBe(before);
    expect((await api(t.url, 'GET', '/v1/businesses/0100233489', { key: KEYS.lookup, headers: purpose })).body.detail).toMatch(/check digit/);
    expect((await api(t.url, 'GET', '/v1/businesses/0100109106-000', { key: KEYS.lookup, headers: purpose })).body.detail).toMatch(/000/);
    expect((await api(t.url, 'GET', '/v1/businesses/0100109101', { key: KEYS.lookup, headers: purpose })).status).toBe(400);
    const unknown = await api(t.url, 'GET', '/v1/businesses/0100233488-002', { key: KEYS.lookup, headers: purpose });
    expect(unknown.status).toBe(404);
  });

  it('shares one upstream call between concurrent identical lookups', async () => {
    t.businesses.setFaults({ latencyMs: 100 });
    const before = t.businesses.requests().filter((r) => r.msdn === '0105689122').length;
    await Promise.all(Array.from({ length: 8 }, () => api(t.url, 'GET', '/v1/businesses/0105689122', { key: KEYS.lookup, headers: purpose })));
    expect(t.businesses.requests().filter((r) => r.msdn === '0105689122').length - before).toBe(1);
    t.businesses.resetFaults();
  });
});
