/**
 * Hostile upstreams through the gateway (shared/UPSTREAMS.md §2, API.md "Sector lookups"): a
 * population DB answering over 2 MiB, with a DTD and an external entity, with a SOAP Fault that names
 * the citizen, or with numeric character references. Nothing an upstream wrote that could name a
 * person reaches an answer, `lastError` or a log line; character references are decoded.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CITIZENS } from '../adapters/dancu-soap/fixtures/index.js';
import { KEYS, api, startTestGateway, type TestGateway } from './support/gateway.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    lines.push(chunk.toString('utf8'));
    done();
  },
});

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ logger: pino({ level: 'debug' }, sink), env: { DANCU_CIRCUIT_MIN_CALLS: '1000' } });
});
afterAll(async () => {
  await t?.stop();
});

const purpose = { 'x-dossier-code': '000.00.01.H26-261129-0005', 'x-officer-id': 'CB011' };
const citizen = FIXTURE_CITIZENS[0]!.query;
const path = `/v1/citizens/${citizen.idNumber}?hoVaTen=${encodeURIComponent(citizen.fullName)}&ngaySinh=${citizen.birthDate}`;
const lookup = () => api(t.url, 'GET', path, { key: KEYS.lookup, headers: purpose });
const personal = new RegExp(`${citizen.idNumber}|${citizen.fullName.split(' ').at(-1)}`);

describe('a hostile population DB', () => {
  it('a SOAP Fault naming the citizen is 502 and its text goes nowhere', async () => {
    t.citizens.setFaults({ personalFaultRate: 1 });
    const r = await lookup();
    expect(r.body).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    const upstreams = await api(t.url, 'GET', '/v1/ops/upstreams', { key: KEYS.opsRead });
    const dancu = upstreams.body.upstreams.find((u: { name: string }) => u.name === 'dancu');
    expect(dancu.lastError).toMatchObject({ code: 'upstream_bad_response' });
    expect(JSON.stringify([r.body, dancu])).not.toMatch(personal);
    t.citizens.resetFaults();
  });

  it('an answer over 2 MiB, or with a DTD and an external entity, is 502', async () => {
    t.citizens.setFaults({ hugeRate: 1 });
    expect((await lookup()).body).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    t.citizens.setFaults({ hugeRate: 0, dtdRate: 1 });
    const dtd = await lookup();
    expect(dtd.body).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    expect(JSON.stringify(dtd.body)).not.toMatch(/root:|passwd/);
    t.citizens.resetFaults();
  });

  it('decodes numeric character references in names and addresses', async () => {
    const plain = await lookup();
    expect(plain.status).toBe(200);
    t.citizens.setFaults({ characterReferences: true });
    const encoded = await lookup();
    t.citizens.resetFaults();
    expect(encoded.status).toBe(200);
    const { retrievedAt: _a, ...a } = plain.body;
    const { retrievedAt: _b, ...b } = encoded.body;
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).not.toContain('&#');
    expect(b.fullName).toBe(citizen.fullName);
  });

  it('no log line holds the ID number or the name of the citizen looked up', () => {
    expect(lines.length).toBeGreaterThan(5);
    const leaking = lines.filter((l) => personal.test(l));
    expect(leaking).toEqual([]);
  });
});
