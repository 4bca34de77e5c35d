/** A failing upstream stays contained (its own timeout, bulkhead and circuit); the optional citizen cache stays small and short-lived. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CITIZENS } from '../adapters/dancu-soap/fixtures/index.js';
import { sampleDossier } from '../adapters/dvcqg/index.js';
import { Redis } from 'ioredis';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { redisUrl } from './support/redis.js';

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

describe('citizen records cache, when enabled', () => {
  it('serves a repeated lookup from a short-lived cache entry holding only the answer', async () => {
    const g = await startTestGateway({ env: { DANCU_CACHE_TTL_SECONDS: '120' } });
    try {
      const q = FIXTURE_CITIZENS[0]!.query;
      const path = `/v1/citizens/${q.idNumber}?hoVaTen=${encodeURIComponent(q.fullName)}&ngaySinh=${q.birthDate}`;
      const first = await api(g.url, 'GET', path, { key: KEYS.lookup, headers: purpose });
      const second = await api(g.url, 'GET', path, { key: KEYS.lookup, headers: purpose });
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.body.idNumber).toBe(q.idNumber);
      expect(g.citizens.requests()).toHaveLength(1);
      const redis = new Redis(redisUrl());
      // The cache write follows the answer by a moment (the repeat was shared meanwhile).
      const key = await waitFor('the cache entry', async () => (await redis.keys(`${g.prefix}:cache:dancu:*`))[0], 5_000);
      // The key names a hash, never the ID number; the entry expires within the configured time.
      expect(key).not.toContain(q.idNumber);
      expect(await redis.ttl(key!)).toBeLessThanOrEqual(120);
      redis.disconnect();
    } finally {
      await g.stop();
    }
  });
});
