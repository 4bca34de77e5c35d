/**
 * The civil-status registry adapter against its simulator, a real HTTP server on a random port, plus
 * the mapping rules on raw answer text; hostile answers (huge, naming a person) included.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamBadResponse, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import { FIXTURE_BIRTHS, UNKNOWN_ID } from './fixtures/index.js';
import { createHotichBirthRegistry } from './index.js';
import { lookupOutcome } from './mapping.js';
import { startHotichSimulator, type HotichSimulator } from './simulator.js';

const PURPOSE = { officerId: 'canbo.01', dossierCode: '000.00.01.H26-261129-0001' };
let sim: HotichSimulator;
const opened: Array<{ close(): void }> = [];

function registry(timeoutMs = 2_000) {
  const r = createHotichBirthRegistry({ url: sim.url, clientId: 'dvc-gateway', clientSecret: 'hotich-secret', xroadClient: 'VN/GOV/000.00.00.H26/DVC-GATEWAY', timeoutMs });
  opened.push(r);
  return r;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (v) => {
      throw new Error(`expected a failure, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e as Error,
  );
}

beforeAll(async () => {
  sim = await startHotichSimulator({ port: 0, seed: 3 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());
afterEach(() => {
  for (const r of opened.splice(0)) r.close();
});

describe('civil-status registry adapter', () => {
  it('maps every fixture birth to its canonical record, field by field', async () => {
    const r = registry();
    for (const f of FIXTURE_BIRTHS) {
      const found = await r.findBirthRegistration(f.wire.SoDinhDanh, PURPOSE);
      expect(found, f.label).not.toBeNull();
      const { retrievedAt, ...rest } = found!;
      expect(rest, f.label).toEqual(f.expected);
      expect(Number.isNaN(Date.parse(retrievedAt))).toBe(false);
    }
    expect(sim.tokenRequests()).toBe(1);
    expect(sim.requests().filter((q) => q.path === '/apiHoTich/1.0/traCuuKhaiSinh').map((q) => [q.auth, q.subject])).toEqual(
      FIXTURE_BIRTHS.map((f) => ['bearer', f.wire.SoDinhDanh]),
    );
  });

  it('answers null for an ID the registry does not hold', async () => {
    expect(await registry().findBirthRegistration(UNKNOWN_ID, PURPOSE)).toBeNull();
  });

  it('maps failures: 5xx and resets unavailable, a hang a timeout, malformed a bad answer', async () => {
    const id = FIXTURE_BIRTHS[0]!.wire.SoDinhDanh;
    const r = registry(300);
    await r.findBirthRegistration(id, PURPOSE);
    sim.setFaults({ errorRate: 1 });
    expect(await failure(r.findBirthRegistration(id, PURPOSE))).toBeInstanceOf(UpstreamUnavailable);
    sim.setFaults({ errorRate: 0, resetRate: 1 });
    expect(await failure(r.findBirthRegistration(id, PURPOSE))).toBeInstanceOf(UpstreamUnavailable);
    sim.setFaults({ resetRate: 0, hangRate: 1 });
    expect(await failure(r.findBirthRegistration(id, PURPOSE))).toBeInstanceOf(UpstreamTimeout);
    sim.setFaults({ hangRate: 0, malformedRate: 1 });
    expect(await failure(r.findBirthRegistration(id, PURPOSE))).toBeInstanceOf(UpstreamBadResponse);
  });

  it('an answer over 2 MiB is a bad answer, read no further', async () => {
    sim.setFaults({ hugeRate: 1, hugeBytes: 3 * 1024 * 1024 });
    const error = await failure(registry().findBirthRegistration(FIXTURE_BIRTHS[0]!.wire.SoDinhDanh, PURPOSE));
    expect(error).toBeInstanceOf(UpstreamBadResponse);
    expect(error.message).toMatch(/over 2097152/);
  });

  it('a refusal naming a person becomes upstream_rejected without the name or the number', async () => {
    sim.setFaults({ personalErrorRate: 1 });
    const error = await failure(registry().findBirthRegistration(FIXTURE_BIRTHS[0]!.wire.SoDinhDanh, PURPOSE));
    expect(error).toBeInstanceOf(UpstreamRejected);
    expect(JSON.stringify({ message: error.message, details: (error as UpstreamRejected).details })).not.toMatch(/Khang|001215012345/);
  });
});

describe('civil-status mapping of raw answers', () => {
  const answer = (entry: unknown, status = 200) => ({ status, body: JSON.stringify({ KetQua: [entry] }), retryAfter: undefined });
  const id = '001215012345';

  it('refuses an answer about another citizen, codes as numbers, and dates that are not dates', () => {
    expect(() => lookupOutcome(answer({ SoDinhDanh: '001215012346' }), id)).toThrow(UpstreamBadResponse);
    expect(() => lookupOutcome(answer({ SoDinhDanh: 1215012345 }), id)).toThrow(UpstreamBadResponse);
    expect(() => lookupOutcome(answer({ SoDinhDanh: id, NgayDangKy: '20/03/2015' }), id)).toThrow(UpstreamBadResponse);
    expect(() => lookupOutcome(answer({ SoDinhDanh: id, GioiTinh: 7 }), id)).toThrow(UpstreamBadResponse);
    expect(() => lookupOutcome({ status: 200, body: '{"KetQua": {}}', retryAfter: undefined }, id)).toThrow(UpstreamBadResponse);
  });

  it('reads 404 with an empty KetQua as not found, and a minimal record with nulls', () => {
    expect(lookupOutcome({ status: 404, body: '{"KetQua": []}', retryAfter: undefined }, id)).toBeNull();
    expect(() => lookupOutcome({ status: 404, body: '<html>Not Found</html>', retryAfter: undefined }, id)).toThrow(UpstreamRejected);
    const minimal = lookupOutcome(answer({ SoDinhDanh: id, Cha: { HoTen: 'Nguyễn Văn Hùng', SoDinhDanh: '' } }), id)!;
    expect(minimal).toMatchObject({ idNumber: id, fullName: null, gender: null, registeredBy: null, father: { fullName: 'Nguyễn Văn Hùng', idNumber: null }, mother: null });
  });
});
