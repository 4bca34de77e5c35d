/**
 * The business registry adapter against its simulator, a real HTTP server on a random port (no HTTP
 * stubbing), plus the mapping rules on raw answer text.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpstreamBadResponse, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import { checkEnterpriseCode } from '../../src/domain/identifiers.js';
import type { BusinessRecord } from '../../src/domain/records.js';
import { FIXTURE_BUSINESSES, generatedBusiness, validEnterpriseCode } from './fixtures/index.js';
import { createDkdnBusinessRegistry, type DkdnOptions } from './index.js';
import { lookupOutcome, retryAfterSeconds, tokenOutcome } from './mapping.js';
import { startDkdnSimulator, type DkdnSimulator } from './simulator.js';

const CLIENT_ID = 'dvc-gateway';
const CLIENT_SECRET = 'dkdn-secret';
const XROAD = 'VN/GOV/000.00.00.H26/DVC-GATEWAY';
const PURPOSE = { officerId: 'canbo.01', dossierCode: '000.00.01.H26-261129-0001' };
const LOOKUP = '/apiCSDLDKDN/1.0/chiTietDoanhNghiep';

let sim: DkdnSimulator;
const opened: Array<{ close(): void }> = [];

function registry(overrides: Partial<DkdnOptions> = {}) {
  const r = createDkdnBusinessRegistry({ url: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, xroadClient: XROAD, timeoutMs: 2_000, ...overrides });
  opened.push(r);
  return r;
}

function lookups() {
  return sim.requests().filter((r) => r.path === LOOKUP);
}

function lookupOutcomeError(answer: { status: number; body: string; retryAfter: string | undefined }): Error {
  try {
    lookupOutcome(answer, '0100233488');
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the answer to be a failure');
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  sim = await startDkdnSimulator({ port: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());
afterEach(() => {
  for (const r of opened.splice(0)) r.close();
  vi.useRealTimers();
});

describe('found and not found', () => {
  it('maps a business with every canonical field, codes as strings with their leading zeros', async () => {
    const record = await registry().findBusiness('0100233488', PURPOSE);
    expect(record).toEqual({
      enterpriseCode: '0100233488',
      name: 'Công ty Cổ phần Phần mềm Sông Hồng',
      nameEn: 'Song Hong Software Joint Stock Company',
      shortName: 'SONGHONG SOFT., JSC',
      type: 'Công ty cổ phần',
      foundedOn: '1998-07-14',
      legalStatus: { code: '01', name: 'Đang hoạt động' },
      legalRepresentatives: [
        { fullName: 'Nguyễn Văn An', title: 'Tổng giám đốc' },
        { fullName: 'Trần Thị Bích Ngọc', title: 'Chủ tịch Hội đồng quản trị' },
      ],
      headOffice: {
        address: 'Số 12 phố Tràng Tiền, Phường Tràng Tiền, Quận Hoàn Kiếm, Thành phố Hà Nội',
        provinceCode: '01',
        districtCode: '002',
        wardCode: '00079',
      },
      businessLines: [
        { code: '6201', name: 'Lập trình máy vi tính', main: true },
        { code: '6202', name: 'Tư vấn máy vi tính và quản trị hệ thống máy vi tính', main: false },
        { code: '4651', name: 'Bán buôn máy vi tính, thiết bị ngoại vi và phần mềm', main: false },
      ],
      source: 'dkdn',
      retrievedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    } satisfies Record<keyof BusinessRecord, unknown>);
  });

  it('keeps absent and empty parts null, takes the current legal status, reads every main-line spelling', async () => {
    const r = registry();
    expect(await r.findBusiness('0100109106', PURPOSE)).toMatchObject({
      nameEn: null,
      shortName: null,
      legalStatus: { code: '02', name: 'Tạm ngừng kinh doanh' }, // last of the history
      headOffice: { provinceCode: '01', districtCode: '001', wardCode: null },
      businessLines: [{ main: false }, { main: true }], // 0 / 1
    });
    expect(await r.findBusiness('0100109106-001', PURPOSE)).toMatchObject({
      enterpriseCode: '0100109106-001',
      businessLines: [{ main: true }, { main: false }], // Y / N
    });
    expect(await r.findBusiness('0105689122', PURPOSE)).toMatchObject({
      shortName: null,
      legalStatus: { code: '01', name: 'Đang hoạt động' }, // flagged current, though not last
      headOffice: { districtCode: null, wardCode: '00175' },
      businessLines: [{ main: true }, { main: false }], // "true" / "false"
    });
    expect(await r.findBusiness('0302456783', PURPOSE)).toMatchObject({ headOffice: null, businessLines: [], legalRepresentatives: [] });
    expect(await r.findBusiness('0401122333', PURPOSE)).toMatchObject({
      legalStatus: { code: '04', name: 'Đã giải thể' },
      legalRepresentatives: [{ fullName: 'Hoàng Văn Bình', title: null }],
      businessLines: [{ code: '0118', main: true }, { code: '4620', main: false }], // "1" / "0"
    });
    expect(await r.findBusiness('0107890122', PURPOSE)).toMatchObject({
      name: 'Công ty TNHH Một thành viên Dịch vụ Hồ Tây',
      nameEn: null,
      shortName: null,
      type: null,
      foundedOn: null,
      legalStatus: null,
      legalRepresentatives: [],
      headOffice: null,
      businessLines: [],
    });
    expect(await r.findBusiness('0312345673', PURPOSE)).toMatchObject({
      nameEn: null,
      shortName: null,
      foundedOn: null,
      businessLines: [{ main: true }, { main: false }, { main: false }], // Y / absent / n
    });
  });

  it('answers null for a valid code the registry does not hold', async () => {
    expect(await registry().findBusiness(validEnterpriseCode(0), PURPOSE)).toBeNull();
    expect(lookups().map((l) => l.status)).toEqual([200]);
  });

  it('sends X-Road-Client with every request, Basic to the token endpoint and Bearer to the lookup', async () => {
    await registry().findBusiness('0100233488', PURPOSE);
    const seen = sim.requests();
    expect(seen.map((r) => [r.path, r.auth, r.xroadClient, r.msdn])).toEqual([
      ['/token', 'basic', XROAD, null],
      [LOOKUP, 'bearer', XROAD, '0100233488'],
    ]);
  });
});

describe('token', () => {
  it('is fetched once and reused across many calls, concurrent first calls sharing one request', async () => {
    const r = registry();
    await Promise.all(Array.from({ length: 20 }, () => r.findBusiness('0100233488', PURPOSE)));
    for (let i = 0; i < 20; i++) await r.findBusiness('0100109106', PURPOSE);
    expect(sim.tokenRequests()).toBe(1);
    expect(lookups()).toHaveLength(40);
  });

  it('is refreshed once less than a tenth of its life is left', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const r = registry();
    await r.findBusiness('0100233488', PURPOSE); // expires_in 3600: refresh after 3240 s
    vi.setSystemTime(start + 3_230_000);
    await r.findBusiness('0100233488', PURPOSE);
    expect(sim.tokenRequests()).toBe(1);
    vi.setSystemTime(start + 3_250_000);
    await r.findBusiness('0100233488', PURPOSE);
    expect(sim.tokenRequests()).toBe(2);
  });

  it('lives 300 s when the answer has no expires_in', async () => {
    sim.setFaults({ tokenExpiresIn: null });
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const r = registry();
    await r.findBusiness('0100233488', PURPOSE); // refresh after 270 s
    vi.setSystemTime(start + 269_000);
    await r.findBusiness('0100233488', PURPOSE);
    expect(sim.tokenRequests()).toBe(1);
    vi.setSystemTime(start + 271_000);
    await r.findBusiness('0100233488', PURPOSE);
    expect(sim.tokenRequests()).toBe(2);
  });

  it('after a 401 is fetched again once and the lookup repeated', async () => {
    const r = registry();
    await r.findBusiness('0100233488', PURPOSE);
    sim.revokeTokens();
    expect(await r.findBusiness('0100233488', PURPOSE)).toMatchObject({ enterpriseCode: '0100233488' });
    sim.setFaults({ expireTokensNow: true });
    expect(await r.findBusiness('0100109106', PURPOSE)).toMatchObject({ enterpriseCode: '0100109106' });
    expect(sim.tokenRequests()).toBe(3);
    expect(lookups().map((l) => l.status)).toEqual([200, 401, 200, 401, 200]);
  });

  it('refused again after a fresh one is upstream_unavailable, not a third try', async () => {
    sim.setFaults({ tokenExpiresIn: 0 }); // every token is dead on arrival
    const error = await failure(registry().findBusiness('0100233488', PURPOSE));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details.reason).toBe('credentials');
    expect(sim.tokenRequests()).toBe(2);
    expect(lookups()).toHaveLength(2);
  });

  it('refused for bad client credentials is upstream_unavailable naming the settings', async () => {
    const error = await failure(registry({ clientSecret: 'wrong' }).findBusiness('0100233488', PURPOSE));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details.reason).toBe('credentials');
    expect((error as Error).message).toMatch(/invalid_client.*DKDN_CLIENT_SECRET/);
    expect(lookups()).toHaveLength(0);
  });
});

describe('failures', () => {
  it('HTTP 5xx is upstream_unavailable', async () => {
    const r = registry();
    sim.setFaults({ errorRate: 1 });
    for (let i = 0; i < 4; i++) {
      const error = await failure(r.findBusiness('0100233488', PURPOSE));
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect((error as UpstreamUnavailable).details.reason).toBe('http_5xx');
    }
    expect(new Set(sim.requests().map((q) => q.status))).toEqual(new Set([500, 503]));
  });

  it('429 is upstream_unavailable carrying Retry-After', async () => {
    sim.setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const error = await failure(registry().findBusiness('0100233488', PURPOSE));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details).toMatchObject({ reason: 'rate_limited', retryAfterSeconds: 7 });
  });

  it('a reset connection, or an upstream that is down, is upstream_unavailable', async () => {
    const r = registry();
    await r.findBusiness('0100233488', PURPOSE);
    for (const faults of [{ resetRate: 1 }, { resetRate: 0, down: true }]) {
      sim.setFaults(faults);
      const error = await failure(r.findBusiness('0100233488', PURPOSE));
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect((error as UpstreamUnavailable).details.reason).toBe('connection');
    }
  });

  it('a hung token request or lookup is upstream_timeout after timeoutMs', { timeout: 5_000 }, async () => {
    sim.setFaults({ hangRate: 1 });
    const onToken = await failure(registry({ timeoutMs: 200 }).findBusiness('0100233488', PURPOSE));
    expect(onToken).toBeInstanceOf(UpstreamTimeout);
    expect((onToken as UpstreamTimeout).details.timeoutMs).toBe(200);
    sim.setFaults({ hangRate: 0 });
    const r = registry({ timeoutMs: 200 });
    await r.findBusiness('0100233488', PURPOSE);
    sim.setFaults({ hangRate: 1 });
    expect(await failure(r.findBusiness('0100233488', PURPOSE))).toBeInstanceOf(UpstreamTimeout);
    expect(lookups().at(-1)).toMatchObject({ fault: 'hang', status: null });
  });

  it("the caller's abort signal ends the call as upstream_timeout", { timeout: 5_000 }, async () => {
    sim.setFaults({ hangRate: 1 });
    const error = await failure(registry({ timeoutMs: 60_000 }).findBusiness('0100233488', PURPOSE, { signal: AbortSignal.timeout(100) }));
    expect(error).toBeInstanceOf(UpstreamTimeout);
    expect((error as Error).message).toMatch(/aborted/);
  });

  it('a malformed answer, to the lookup or to the token request, is upstream_bad_response', async () => {
    const r = registry();
    await r.findBusiness('0100233488', PURPOSE);
    sim.setFaults({ malformedRate: 1 });
    for (let i = 0; i < 6; i++) expect(await failure(r.findBusiness('0100233488', PURPOSE))).toBeInstanceOf(UpstreamBadResponse);
    expect(await failure(registry().findBusiness('0100233488', PURPOSE))).toBeInstanceOf(UpstreamBadResponse);
  });

  it("another 4xx is upstream_rejected with the registry's error code, never its description", async () => {
    const error = await failure(registry().findBusiness('', PURPOSE));
    expect(error).toBeInstanceOf(UpstreamRejected);
    expect((error as UpstreamRejected).details).toMatchObject({ upstreamCode: 'invalid_request', upstreamMessage: null });
    expect((error as Error).message).toBe('dkdn: HTTP 400 from chiTietDoanhNghiep (invalid_request): the registry refused the lookup');
    const personal = lookupOutcomeError({ status: 400, body: '{"error": "Nguyễn Văn An 001099012345", "error_description": "Nguyễn Văn An, CCCD 001099012345"}', retryAfter: undefined });
    expect(personal.message).not.toMatch(/Nguy|001099012345/);
    expect((personal as UpstreamRejected).details.upstreamCode).toBeNull();
  });
});

describe('mapping of raw answers', () => {
  const now = new Date('2026-11-29T02:00:00Z');
  const answer = (entry: string, status = 200) => ({ status, body: `{"GetEntCert": [${entry}]}`, retryAfter: undefined });

  it('accepts a code sent as a JSON number only when no leading zero can have been lost', () => {
    const ok = lookupOutcome(answer('{"MaSoDoanhNghiep": 4800345674, "DiaChiTruSo": [{"MaTinh": 79, "MaHuyen": 760, "MaXa": 26740}]}'), '4800345674', now);
    expect(ok).toMatchObject({ enterpriseCode: '4800345674', headOffice: { provinceCode: '79', districtCode: '760', wardCode: '26740' } });
    for (const [entry, code] of [
      ['{"MaSoDoanhNghiep": 100233488}', '0100233488'],
      ['{"MaSoDoanhNghiep": "0100233488", "DiaChiTruSo": [{"MaTinh": 1}]}', '0100233488'],
      ['{"MaSoDoanhNghiep": "0100233488", "NganhNgheKinhDoanh": [{"MaNganh": 6201}]}', '0100233488'],
      ['{"MaSoDoanhNghiep": "0100233488", "TinhTrangPhapLy": [{"MaTinhTrang": 1}]}', '0100233488'],
      ['{"MaSoDoanhNghiep": 4800345674.0}', '4800345674'],
    ] as const) {
      expect(() => lookupOutcome(answer(entry), code, now), entry).toThrow(UpstreamBadResponse);
    }
  });

  it('reads LaNganhChinh through one table of spellings, and refuses an unknown one', () => {
    const main = (flag: string) =>
      lookupOutcome(answer(`{"MaSoDoanhNghiep": "0100233488", "NganhNgheKinhDoanh": [{"MaNganh": "6201", "LaNganhChinh": ${flag}}]}`), '0100233488', now)
        ?.businessLines[0]?.main;
    for (const yes of ['true', '1', '"1"', '"true"', '"TRUE"', '"Y"', '"y"', '"yes"']) expect(main(yes), yes).toBe(true);
    for (const no of ['false', '0', '"0"', '"false"', '"N"', '"no"', 'null', '""']) expect(main(no), no).toBe(false);
    expect(() => main('"maybe"')).toThrow(UpstreamBadResponse);
  });

  it('refuses an answer about another business, or of the wrong shape', () => {
    expect(() => lookupOutcome(answer('{"MaSoDoanhNghiep": "0100109106"}'), '0100233488', now)).toThrow(/0100109106, not 0100233488/);
    expect(() => lookupOutcome(answer('{"MaSoDoanhNghiep": "0100233488", "TenTiengViet": 42}'), '0100233488', now)).toThrow(UpstreamBadResponse);
    expect(() => lookupOutcome(answer('{"MaSoDoanhNghiep": "0100233488", "DaiDienPhapLuat": {"HoVaTen": "A"}}'), '0100233488', now)).toThrow(
      UpstreamBadResponse,
    );
    expect(() => lookupOutcome({ status: 200, body: '{"GetEntCert": null}', retryAfter: undefined }, '0100233488', now)).toThrow(UpstreamBadResponse);
  });

  it('reads 404 with an empty GetEntCert as not found, another 404 as a rejection', () => {
    expect(lookupOutcome(answer('', 404), '0100233488', now)).toBeNull();
    const other = { status: 404, body: '{"error": "not_found", "error_description": "no such API"}', retryAfter: undefined };
    expect(() => lookupOutcome(other, '0100233488', now)).toThrow(UpstreamRejected);
  });

  it('reads the token answer: lifetime, default and refusals', () => {
    const token = (body: string) => tokenOutcome({ status: 200, body, retryAfter: undefined });
    expect(token('{"access_token": "t", "token_type": "Bearer", "expires_in": 3600}')).toEqual({ accessToken: 't', lifetimeMs: 3_600_000 });
    expect(token('{"access_token": "t", "token_type": "bearer"}').lifetimeMs).toBe(300_000);
    expect(token('{"access_token": "t", "expires_in": "120"}').lifetimeMs).toBe(120_000);
    expect(() => token('{"access_token": "t", "token_type": "mac"}')).toThrow(UpstreamBadResponse);
    expect(() => token('{"access_token": "t", "expires_in": -1}')).toThrow(UpstreamBadResponse);
    expect(() => token('{"token_type": "Bearer"}')).toThrow(UpstreamBadResponse);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterSeconds('12')).toBe(12);
    expect(retryAfterSeconds(new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(30);
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });
});

describe('fixtures and simulator', () => {
  it('holds only valid enterprise codes, and generates distinct valid ones in order', () => {
    for (const b of FIXTURE_BUSINESSES) expect(checkEnterpriseCode(b.MaSoDoanhNghiep), b.MaSoDoanhNghiep).toBeNull();
    const codes = Array.from({ length: 3_000 }, (_, n) => validEnterpriseCode(n));
    for (const c of codes) expect(checkEnterpriseCode(c), c).toBeNull();
    expect([...codes].sort()).toEqual(codes);
    expect(new Set(codes).size).toBe(codes.length);
    expect(() => validEnterpriseCode(-1)).toThrow(RangeError);
  });

  it('with generate: answers any valid code with the same made-up business every time', async () => {
    const generating = await startDkdnSimulator({ port: 0, generate: true });
    try {
      const r = registry({ url: generating.url });
      const code = validEnterpriseCode(41);
      const first = await r.findBusiness(code, PURPOSE);
      expect(first).toMatchObject({ enterpriseCode: code, source: 'dkdn' });
      expect({ ...(await r.findBusiness(code, PURPOSE)), retrievedAt: null }).toEqual({ ...first, retrievedAt: null });
      expect(generatedBusiness(code)).toEqual(generatedBusiness(code));
      expect(await r.findBusiness(validEnterpriseCode(42), PURPOSE)).not.toMatchObject({ name: first?.name });
      expect(await r.findBusiness('0100233489', PURPOSE)).toBeNull(); // an invalid code is unknown
    } finally {
      await generating.close();
    }
  });

  it('is controlled over HTTP: faults, state, token revocation, reset', async () => {
    const post = (path: string, body?: unknown) =>
      fetch(sim.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const r = registry();
    await r.findBusiness('0100233488', PURPOSE);
    expect(await (await post('/_sim/revoke-tokens')).json()).toEqual({ revoked: 1 });
    const set = await post('/_sim/faults', { errorRate: 1, latencyMs: 5 });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { faults: { errorRate: number } }).faults.errorRate).toBe(1);
    expect((await post('/_sim/faults', { errorRate: 2 })).status).toBe(400);
    expect((await post('/_sim/faults', { typo: 1 })).status).toBe(400);
    const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as { faults: { errorRate: number }; tokenRequests: number };
    expect(state).toMatchObject({ faults: { errorRate: 1 }, tokenRequests: 1 });
    expect(await failure(r.findBusiness('0100233488', PURPOSE))).toBeInstanceOf(UpstreamUnavailable);
    await post('/_sim/reset');
    expect(sim.requests()).toEqual([]);
    expect(await r.findBusiness('0100233488', PURPOSE)).not.toBeNull();
  });

  it('closes promptly with a request hanging on it', { timeout: 5_000 }, async () => {
    const hanging = await startDkdnSimulator({ port: 0, faults: { hangRate: 1 } });
    const pending = failure(registry({ url: hanging.url, timeoutMs: 60_000 }).findBusiness('0100233488', PURPOSE));
    await vi.waitFor(() => expect(hanging.tokenRequests()).toBe(1));
    await hanging.close();
    expect(await pending).toBeInstanceOf(UpstreamUnavailable);
  });
});
