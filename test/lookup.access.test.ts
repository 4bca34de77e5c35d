/**
 * Per-client access (shared/API.md "Conventions"): sources per client (403 before the purpose
 * headers), a key given only as its SHA-256, a rate limit shared by gateway processes through Redis,
 * a slowdown for addresses that keep sending unknown keys, and authentication before the body is read.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash } from '../src/config.js';
import { KEYS, api, startTestGateway, type TestGateway } from './support/gateway.js';

const HASHED_KEY = 'key-hashed-dkdn-only-0123456789';
const LIMITED_KEY = 'key-limited-0123456789';
const CLIENTS = [
  { name: 'business-desk', apiKeySha256: apiKeyHash(HASHED_KEY), roles: ['lookup'], sources: ['dkdn'] },
  { name: 'limited-tool', apiKey: LIMITED_KEY, roles: ['lookup'], rateLimit: { perMinute: 3 } },
];
const purpose = { 'x-dossier-code': '000.00.01.H26-261129-0003', 'x-officer-id': 'CB009' };

let a: TestGateway;
let b: TestGateway;
beforeAll(async () => {
  a = await startTestGateway({ clients: CLIENTS });
  // A second process of the same gateway: same Redis, same prefix, its own port.
  b = await startTestGateway({ clients: CLIENTS, prefix: a.prefix, portalSim: a.portal });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

describe('client access', () => {
  it('a client limited to some sources is refused the others with 403, before its purpose headers are looked at', async () => {
    const other = await api(a.url, 'GET', '/v1/citizens/001099012345?hoVaTen=A&ngaySinh=1999', { key: HASHED_KEY });
    expect(other.body).toMatchObject({ status: 403, code: 'forbidden' });
    expect(other.body.detail).toMatch(/dancu/);
    expect((await api(a.url, 'GET', '/v1/birth-registrations/001215012345', { key: HASHED_KEY, headers: purpose })).status).toBe(403);
    const allowed = await api(a.url, 'GET', '/v1/businesses/0100109106', { key: HASHED_KEY, headers: purpose });
    expect(allowed.status).toBe(200);
    // Its own source still checks the purpose next.
    expect((await api(a.url, 'GET', '/v1/businesses/0100109106', { key: HASHED_KEY })).body.code).toBe('purpose_required');
  });

  it('authenticates a key the clients file holds only as its SHA-256', async () => {
    const audit = await api(a.url, 'GET', '/v1/ops/audit?subject=0100109106', { key: KEYS.opsRead });
    expect(audit.body.items.map((i: { client: string }) => i.client)).toContain('business-desk');
    expect((await api(a.url, 'GET', '/v1/businesses/0100109106', { key: apiKeyHash(HASHED_KEY), headers: purpose })).status).toBe(401);
  });

  it('counts a rate limit across gateway processes, then answers 429 rate_limited with Retry-After', async () => {
    const path = '/v1/businesses/0100233488';
    expect((await api(a.url, 'GET', path, { key: LIMITED_KEY, headers: purpose })).status).toBe(200);
    expect((await api(b.url, 'GET', path, { key: LIMITED_KEY, headers: purpose })).status).toBe(200);
    expect((await api(a.url, 'GET', path, { key: LIMITED_KEY, headers: purpose })).status).toBe(200);
    const over = await api(b.url, 'GET', path, { key: LIMITED_KEY, headers: purpose });
    expect(over.body).toMatchObject({ status: 429, code: 'rate_limited' });
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    // Checked before the purpose headers: a request without them is still over the limit.
    expect((await api(a.url, 'GET', path, { key: LIMITED_KEY })).status).toBe(429);
    // Other clients are not affected.
    expect((await api(a.url, 'GET', path, { key: KEYS.lookup, headers: purpose })).status).toBe(200);
  });

  it('slows down an address that keeps sending unknown keys: 429 with Retry-After, even for a known key then', async () => {
    let last = await api(b.url, 'GET', '/v1/sources', { key: 'guess-0' });
    for (let i = 1; i < 40 && last.status === 401; i++) last = await api(b.url, 'GET', '/v1/sources', { key: `guess-${i}` });
    expect(last.body).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A known key is not slowed down: only failed keys count.
    expect((await api(b.url, 'GET', '/v1/sources', { key: KEYS.lookup })).status).toBe(200);
  });

  it('answers 401 to a request with an unknown key without reading its body', async () => {
    const url = new URL(a.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        // Announces a body it never sends, as a client trickling it would.
        socket.write('PUT /v1/dossiers/000.00.01.H26-261129-0001 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not-a-key\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"revision":');
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer.toLowerCase()).toContain('connection: close');
  });
});
