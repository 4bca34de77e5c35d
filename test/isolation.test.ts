/** A failing upstream stays contained: its own timeout, bulkhead and circuit, nothing shared. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CITIZENS } from '../adapters/dancu-soap/fixtures/index.js';
import { sampleDossier } from '../adapters/dvcqg/index.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { DANCU_TIMEOUT_MS: '3000', DANCU_MAX_CONCURRENT: '8' } });
});
afterAll(async () => {
  await t?.stop();
});

const purpose = { 'x-dossier-code': '000.00.01.H26-261129-0001', 'x-officer-id': 'CB001' };

describe('isolation between upstreams', () => {
  it('a hanging population DB leaves business lookups and dossier sync untouched', async () => {
    const q = FIXTURE_CITIZENS[1]!.query;
    t.citizens.setFaults({ hangRate: 1 });
    // Fill the population DB's bulkhead and more with calls that hang until their timeout.
    const hanging = Array.from({ length: 40 }, () =>
      api(t.url, 'GET', `/v1/citizens/${q.idNumber}?hoVaTen=${encodeURIComponent(q.fullName)}&ngaySinh=${q.birthDate}`, { key: KEYS.lookup, headers: purpose }),
    );
    await waitFor('calls hanging at the population DB', () => t.citizens.hanging() > 0);
    const businesses = await Promise.all(['0100233488', '0100109106'].map((c) => api(t.url, 'GET', `/v1/businesses/${c}`, { key: KEYS.lookup, headers: purpose })));
    expect(businesses.map((b) => b.status)).toEqual([200, 200]);
    const m = '000.00.01.H26-261129-ISO1';
    expect((await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } })).status).toBe(202);
    await waitFor('dossier delivered while the population DB hangs', async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'delivered');
    const outcomes = (await Promise.all(hanging)).map((r) => r.status);
    expect(outcomes.every((s) => s === 504 || s === 503)).toBe(true);
    t.citizens.resetFaults();
  });
});
