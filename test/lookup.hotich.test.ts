/**
 * The civil-status registry through the gateway: a source added as a folder and one line of
 * adapters/sources.ts answers its route, is audited, listed by ops and by GET /v1/sources.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_BIRTHS, UNKNOWN_ID } from '../adapters/hotich-rest/fixtures/index.js';
import schema from '../adapters/hotich-rest/schema.json' with { type: 'json' };
import type { HotichSimulator } from '../adapters/hotich-rest/index.js';
import { KEYS, api, startTestGateway, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { HOTICH_TIMEOUT_MS: '500' } });
});
afterAll(async () => {
  await t?.stop();
});

const purpose = { 'x-dossier-code': '000.00.01.H26-261129-0002', 'x-officer-id': 'CB007' };
const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const valid = ajv.compile(schema);

describe('GET /v1/birth-registrations/{SoDinhDanh}', () => {
  it('answers every fixture birth, every field as the registry gave it', async () => {
    for (const f of FIXTURE_BIRTHS) {
      const r = await api(t.url, 'GET', `/v1/birth-registrations/${f.wire.SoDinhDanh}`, { key: KEYS.lookup, headers: purpose });
      expect(r.status, f.label).toBe(200);
      expect(valid(r.body), JSON.stringify(valid.errors)).toBe(true);
      const { retrievedAt, ...rest } = r.body;
      expect(rest).toEqual(f.expected);
      expect(typeof retrievedAt).toBe('string');
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('checks purpose, then the identifier; 404 for an unknown ID; every lookup audited', async () => {
    expect((await api(t.url, 'GET', '/v1/birth-registrations/12', { key: KEYS.lookup })).body.code).toBe('purpose_required');
    const bad = await api(t.url, 'GET', '/v1/birth-registrations/999215012345', { key: KEYS.lookup, headers: purpose });
    expect(bad.body).toMatchObject({ status: 400, code: 'invalid_identifier' });
    expect(bad.body.detail).toMatch(/province/);
    const unknown = await api(t.url, 'GET', `/v1/birth-registrations/${UNKNOWN_ID}`, { key: KEYS.lookup, headers: purpose });
    expect(unknown.status).toBe(404);
    const audit = await api(t.url, 'GET', `/v1/ops/audit?subject=${UNKNOWN_ID}`, { key: KEYS.opsRead });
    expect(audit.body.items[0]).toMatchObject({ source: 'hotich', subject: UNKNOWN_ID, client: 'officer-tool', officer: 'CB007', outcome: 'not_found', status: 404 });
  });

  it('is listed by GET /v1/sources and /v1/ops/upstreams, from start-up', async () => {
    const sources = await api(t.url, 'GET', '/v1/sources', { key: KEYS.lookup });
    expect(sources.body.sources).toContainEqual({ name: 'hotich', kind: 'civil-status-registry', label: { vi: 'CSDL hộ tịch điện tử', en: 'Civil-status registry' }, path: '/v1/birth-registrations/{SoDinhDanh}' });
    expect(sources.body.sources.map((s: { name: string }) => s.name)).toEqual(['dancu', 'dkdn', 'hotich']);
    expect((await api(t.url, 'GET', '/v1/sources', { key: KEYS.opsRead })).status).toBe(200);
    expect((await api(t.url, 'GET', '/v1/sources', { key: KEYS.sync })).status).toBe(403);
    const upstreams = await api(t.url, 'GET', '/v1/ops/upstreams', { key: KEYS.opsRead });
    expect(upstreams.body.upstreams.map((u: { name: string }) => u.name)).toEqual(['dvcqg', 'dancu', 'dkdn', 'hotich']);
    expect(upstreams.body.upstreams.find((u: { name: string }) => u.name === 'hotich').requests).toBeGreaterThan(0);
  });

  it('a hostile registry: a huge answer is 502, a refusal naming a person never echoes it', async () => {
    const sim = t.sims.hotich as HotichSimulator;
    const id = FIXTURE_BIRTHS[0]!.wire.SoDinhDanh;
    sim.setFaults({ hugeRate: 1 });
    const huge = await api(t.url, 'GET', `/v1/birth-registrations/${id}`, { key: KEYS.lookup, headers: purpose });
    expect(huge.body).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    sim.setFaults({ hugeRate: 0, personalErrorRate: 1 });
    const refused = await api(t.url, 'GET', `/v1/birth-registrations/${id}`, { key: KEYS.lookup, headers: purpose });
    expect(refused.status).toBe(502);
    const upstreams = await api(t.url, 'GET', '/v1/ops/upstreams', { key: KEYS.opsRead });
    const seen = JSON.stringify([refused.body, upstreams.body]);
    expect(seen).not.toMatch(/Khang|001215012345/);
    sim.resetFaults();
  });
});
