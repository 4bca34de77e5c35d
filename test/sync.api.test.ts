import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const M = '000.00.01.H26-261129-0001';
const put = (m: string, body: unknown, key = KEYS.sync) => api(t.url, 'PUT', `/v1/dossiers/${m}`, { key, body });

describe('PUT /v1/dossiers/{MaHoSo}', () => {
  it('refuses a revision that would leave more than SYNC_MAX_PENDING_PROGRESS steps unacknowledged, accepting none of it', async () => {
    const small = await startTestGateway({ env: { SYNC_MAX_PENDING_PROGRESS: '3' } });
    try {
      const m = `${M}L`;
      small.portal.setFaults({ down: 'unavailable' });
      const step = (hh: number) => sampleProgress(m, `202611290${hh}0000`, 2);
      const first = await api(small.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m), progress: [step(1), step(2)] } });
      expect(first.status).toBe(202);
      const over = await api(small.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 2, dossier: sampleDossier(m), progress: [step(3), step(4)] } });
      expect(over.status).toBe(400);
      expect(over.body).toMatchObject({ code: 'invalid_body', errors: [{ path: '/progress' }] });
      expect(over.body.detail).toContain('at most 3 progress items');
      const status = await api(small.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync });
      expect(status.body).toMatchObject({ acceptedRevision: 1, pendingProgress: 2 });
    } finally {
      small.portal.resetFaults();
      await small.stop();
    }
  });

  it('accepts a new revision and delivers it, then its progress', async () => {
    const m = `${M}1`;
    const r = await put(m, { revision: 1, dossier: sampleDossier(m), progress: [sampleProgress(m, '20261129093000', 2)] });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ maHoSo: m, revision: 1, outcome: 'accepted' });
    await waitFor('delivery', async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'delivered');
    const status = await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.opsRead });
    expect(status.body).toMatchObject({ maHoSo: m, acceptedRevision: 1, deliveredRevision: 1, state: 'delivered', pendingProgress: 0, lastError: null });
    expect(typeof status.body.deliveredAt).toBe('string');
    expect(t.portal.dossier(m)).toBeDefined();
    expect(t.portal.progress(m)).toHaveLength(1);
  });

  it('answers duplicate and stale without sending them', async () => {
    const m = `${M}2`;
    expect((await put(m, { revision: 5, dossier: sampleDossier(m) })).status).toBe(202);
    const dup = await put(m, { revision: 5, dossier: sampleDossier(m) });
    expect(dup.status).toBe(200);
    expect(dup.body).toEqual({ maHoSo: m, revision: 5, outcome: 'duplicate' });
    const stale = await put(m, { revision: 3, dossier: sampleDossier(m, { TrangThaiHoSo: 1 }), progress: [sampleProgress(m, '20261129093000', 1)] });
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual({ maHoSo: m, revision: 3, outcome: 'stale', currentRevision: 5 });
    await waitFor('delivery', async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'delivered');
    expect(t.portal.progress(m)).toHaveLength(0);
  });

  it('names every offending field', async () => {
    const m = `${M}3`;
    const d = sampleDossier(m, { TrangThaiHoSo: 11, NgayTiepNhan: '20261399000000' });
    delete d.TenTTHC;
    const r = await put(m, { revision: 0, dossier: d, progress: [{ MaHoSo: 'other', ThoiDiemXuLy: 'x', TrangThai: 2 }] });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.body.code).toBe('invalid_body');
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/revision', '/dossier/TrangThaiHoSo', '/dossier/NgayTiepNhan', '/dossier/TenTTHC', '/progress/0/ThoiDiemXuLy']));
  });

  it('rejects a body whose MaHoSo differs from the URL', async () => {
    const r = await put(`${M}4`, { revision: 1, dossier: sampleDossier(`${M}5`) });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: '/dossier/MaHoSo', message: expect.any(String) }]);
  });

  it('refuses bad credentials, roles, media types, sizes, encodings and depth with problem+json', async () => {
    const body = { revision: 1, dossier: sampleDossier(`${M}6`) };
    expect((await put(`${M}6`, body, '')).status).toBe(401);
    expect((await put(`${M}6`, body, 'nope-nope-nope')).body.code).toBe('unauthorized');
    expect((await put(`${M}6`, body, KEYS.lookup)).status).toBe(403);
    const text = await api(t.url, 'PUT', `/v1/dossiers/${M}6`, { key: KEYS.sync, raw: JSON.stringify(body), headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('unsupported_media_type');
    const big = await api(t.url, 'PUT', `/v1/dossiers/${M}6`, { key: KEYS.sync, raw: 'x'.repeat(1024 * 1024 + 10), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
    const badUtf8 = Buffer.concat([Buffer.from('{"revision":1,"dossier":{"MaHoSo":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    const bad = await api(t.url, 'PUT', `/v1/dossiers/${M}6`, { key: KEYS.sync, raw: badUtf8, headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_body');
    const deep = '['.repeat(40) + ']'.repeat(40);
    const d = await api(t.url, 'PUT', `/v1/dossiers/${M}6`, { key: KEYS.sync, raw: `{"revision":1,"dossier":${deep}}`, headers: { 'content-type': 'application/json' } });
    expect(d.status).toBe(400);
    expect(d.body.code).toBe('invalid_body');
    const veryDeep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect((await api(t.url, 'PUT', `/v1/dossiers/${M}6`, { key: KEYS.sync, raw: veryDeep, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const broken = await api(t.url, 'PUT', `/v1/dossiers/${M}6`, { key: KEYS.sync, raw: '{"revision":', headers: { 'content-type': 'application/json' } });
    expect(broken.body.code).toBe('invalid_body');
  });

  it('echoes X-Request-Id and generates one when absent', async () => {
    const r = await api(t.url, 'GET', '/health/live', { headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    const g = await api(t.url, 'GET', '/health/live');
    expect(g.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });

  it('GET of an unknown dossier is 404', async () => {
    const r = await api(t.url, 'GET', `/v1/dossiers/${M}-none`, { key: KEYS.sync });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('not_found');
  });
});

describe('POST /v1/dossiers/batch', () => {
  it('answers 207 with one result per item, in order, same-dossier items in array order', async () => {
    const a = `${M}-B1`;
    const b = `${M}-B2`;
    const items = [
      { revision: 1, dossier: sampleDossier(a) },
      { revision: 2, dossier: sampleDossier(a, { TrangThaiHoSo: 4 }) },
      { revision: 2, dossier: sampleDossier(a) },
      { revision: 1, dossier: { MaHoSo: b } },
      { nothing: true },
      { revision: 1, dossier: sampleDossier(b) },
    ];
    const r = await api(t.url, 'POST', '/v1/dossiers/batch', { key: KEYS.sync, body: { items } });
    expect(r.status).toBe(207);
    expect(r.body.results).toHaveLength(6);
    expect(r.body.results[0]).toEqual({ maHoSo: a, revision: 1, outcome: 'accepted' });
    expect(r.body.results[1]).toEqual({ maHoSo: a, revision: 2, outcome: 'accepted' });
    expect(r.body.results[2]).toEqual({ maHoSo: a, revision: 2, outcome: 'duplicate' });
    expect(r.body.results[3].error.code).toBe('invalid_body');
    expect(r.body.results[3].maHoSo).toBe(b);
    expect(r.body.results[4]).toMatchObject({ maHoSo: null, error: { code: 'invalid_body', status: 400 } });
    expect(r.body.results[5]).toEqual({ maHoSo: b, revision: 1, outcome: 'accepted' });
  });

  it('refuses more than 1000 items as a whole', async () => {
    const items = Array.from({ length: 1001 }, (_, i) => ({ revision: 1, dossier: { MaHoSo: `${M}-X${i}` } }));
    const r = await api(t.url, 'POST', '/v1/dossiers/batch', { key: KEYS.sync, body: { items } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_body');
  });
});

describe('numbers beyond 2^53', () => {
  it('in a known numeric field are refused rather than rounded', async () => {
    const m = `${M}-BIG`;
    const raw = `{"revision":9007199254740993,"dossier":${JSON.stringify(sampleDossier(m))}}`;
    const r = await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, raw, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain('/revision');
  });
});
