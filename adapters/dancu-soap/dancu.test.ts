import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import { checkCitizenId, citizenIdSex } from '../../src/domain/identifiers.js';
import type { CitizenRecord } from '../../src/domain/records.js';
import { FIXTURE_CITIZENS, type FixtureCitizen } from './fixtures/index.js';
import { createDancuCitizenRegistry, type DancuCitizenRegistry, type DancuOptions } from './index.js';
import { classifyAnswer, toCitizenRecord } from './mapping.js';
import { startDancuSimulator, type DancuSimulator } from './simulator.js';
import { createRandom, pickFault, NO_FAULTS } from './simulator-faults.js';
import { isXmlObject, readEnvelope, type XmlObject } from './xml.js';
import { withCharacterReferences } from './simulator-protocol.js';

const PURPOSE = { officerId: 'canbo.h26.0042', dossierCode: '000.00.01.H26-261129-0001' };
const CREDENTIALS = { username: 'dvc-gateway', secret: 'dancu-secret', apiKey: 'dancu-api-key' };

function fixture(id: string): FixtureCitizen {
  const found = FIXTURE_CITIZENS.find((f) => f.query.idNumber === id);
  if (!found) throw new Error(`no fixture ${id}`);
  return found;
}

function optionsFor(url: string, overrides: Partial<DancuOptions> = {}): DancuOptions {
  return {
    url,
    ...CREDENTIALS,
    maDvc: 'DVC-H26',
    maTichHop: 'DVC-GATEWAY',
    maDonVi: '000.00.00.H26',
    xroadClient: 'VN/GOV/000.00.00.H26/DVC-GATEWAY',
    timeoutMs: 1_000,
    ...overrides,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

async function eventually(check: () => boolean, withinMs = 1_000): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

let sim: DancuSimulator;
let registry: DancuCitizenRegistry;
const opened: DancuCitizenRegistry[] = [];

async function registryWith(overrides: Partial<DancuOptions>, url = sim.url): Promise<DancuCitizenRegistry> {
  const r = await createDancuCitizenRegistry(optionsFor(url, overrides));
  opened.push(r);
  return r;
}

beforeAll(async () => {
  sim = await startDancuSimulator({ port: 0, seed: 42 });
  registry = await createDancuCitizenRegistry(optionsFor(sim.url));
});

afterEach(() => {
  sim.reset();
  for (const r of opened.splice(0)) r.close();
});

afterAll(async () => {
  registry.close();
  await sim.close();
});

describe('fixtures', () => {
  it('hold valid citizen IDs that agree with birth year and sex', () => {
    for (const { congDan, query } of FIXTURE_CITIZENS) {
      const year = Number((congDan.NgayThangNamSinh.NgayThangNam ?? congDan.NgayThangNamSinh.Nam)!.slice(0, 4));
      expect(checkCitizenId(congDan.SoDinhDanh, year), congDan.SoDinhDanh).toBeNull();
      if (congDan.GioiTinh === '1') expect(citizenIdSex(congDan.SoDinhDanh)).toBe('male');
      if (congDan.GioiTinh === '2') expect(citizenIdSex(congDan.SoDinhDanh)).toBe('female');
      expect(query.idNumber).toBe(congDan.SoDinhDanh);
      for (const relative of [congDan.Cha, congDan.Me, congDan.VoChong, congDan.ChuHo]) {
        if (relative?.SoDinhDanh) expect(checkCitizenId(relative.SoDinhDanh), relative.SoDinhDanh).toBeNull();
      }
    }
  });
});

describe('found', () => {
  it('maps every canonical field of a full record', async () => {
    const before = Date.now();
    const record = await registry.findCitizen(fixture('001099012345').query, PURPOSE);
    expect(record).toEqual<CitizenRecord>({
      idNumber: '001099012345',
      oldIdNumber: '013456789',
      fullName: 'Nguyễn Văn An',
      gender: 'male',
      dateOfBirth: '1999-03-15',
      ethnicity: 'Kinh',
      religion: 'Không',
      nationality: 'Việt Nam',
      birthRegistrationPlace: { provinceCode: '01', districtCode: '001', wardCode: '00001', detail: 'Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội' },
      hometown: { provinceCode: '36', districtCode: '356', wardCode: '13651', detail: 'Phường Lộc Hạ, Thành phố Nam Định, Tỉnh Nam Định' },
      permanentAddress: {
        provinceCode: '01',
        districtCode: '002',
        wardCode: '00070',
        detail: 'Số 12 phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Thành phố Hà Nội',
      },
      currentAddress: {
        provinceCode: '01',
        districtCode: '005',
        wardCode: '00163',
        detail: 'Số 8 ngõ 165 Cầu Giấy, Phường Quan Hoa, Quận Cầu Giấy, Thành phố Hà Nội',
      },
      father: { fullName: 'Nguyễn Văn Hải', idNumber: '036068001122' },
      mother: { fullName: 'Đỗ Thị Lan', idNumber: '001170003344' },
      spouse: { fullName: 'Trần Thị Hoa', idNumber: '001300005566' },
      householdHead: { fullName: 'Nguyễn Văn An', idNumber: '001099012345' },
      householdBookNumber: '010123456',
      source: 'dancu',
      retrievedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) as unknown as string,
    });
    expect(Date.parse(record!.retrievedAt)).toBeGreaterThanOrEqual(before - 1);
  });

  it('applies the null rules: year only, empty element, no spouse, address without ward, empty address', async () => {
    const record = await registry.findCitizen(fixture('036056000789').query, PURPOSE);
    expect(record).toMatchObject({
      dateOfBirth: '1956',
      religion: null,
      spouse: null,
      birthRegistrationPlace: null,
      currentAddress: null,
      householdBookNumber: null,
      hometown: { provinceCode: '36', districtCode: '364', wardCode: null, detail: 'Xã Hải Minh, Huyện Hải Hậu, Tỉnh Nam Định' },
      father: { fullName: 'Phạm Văn Khải', idNumber: null },
      mother: { fullName: 'Vũ Thị Nhài', idNumber: null },
    });
  });

  it('joins only the non-empty name parts and reads plain-text names of relatives', async () => {
    const record = await registry.findCitizen(fixture('001305002468').query, PURPOSE);
    expect(record).toMatchObject({
      fullName: 'Lê Mai',
      gender: 'female',
      dateOfBirth: '2005-11-02',
      oldIdNumber: null,
      spouse: null,
      hometown: { provinceCode: '01', districtCode: '006', wardCode: null, detail: null },
      father: { fullName: 'Lê Văn Hùng', idNumber: '001078009876' },
      householdHead: { fullName: 'Lê Văn Hùng', idNumber: '001078009876' },
    });
  });

  it('keeps codes as the strings given, leading zeros included', async () => {
    const record = await registry.findCitizen(fixture('079185001234').query, PURPOSE);
    expect(record).toMatchObject({
      fullName: 'Trần Thị Bích Ngọc',
      ethnicity: '01',
      religion: '00',
      nationality: 'VN',
      oldIdNumber: '025123456',
      currentAddress: { provinceCode: null, districtCode: null, wardCode: null, detail: expect.stringContaining('Bình Thạnh') },
    });
  });

  it("maps gender 'other', a yyyy0000 birth date to its year, and an empty person to null", async () => {
    const record = await registry.findCitizen(fixture('014097003579').query, PURPOSE);
    expect(record).toMatchObject({ gender: 'other', dateOfBirth: '1997', mother: null, father: { fullName: 'Lò Văn Pấng', idNumber: null } });
  });

  it('finds by birth year alone and compares names loosely', async () => {
    const record = await registry.findCitizen({ idNumber: '001099012345', fullName: '  nguyễn  VĂN an ', birthDate: '1999' }, PURPOSE);
    expect(record?.idNumber).toBe('001099012345');
  });
});

describe('not found', () => {
  it.each([
    ['another name', { fullName: 'Nguyễn Văn Bình' }],
    ['another birth date', { birthDate: '19990316' }],
    ['another birth year', { birthDate: '1998' }],
    ['an unknown ID', { idNumber: '001099099999' }],
  ])('resolves null for %s', async (_label, change) => {
    expect(await registry.findCitizen({ ...fixture('001099012345').query, ...change }, PURPOSE)).toBeNull();
    expect(sim.requests().map((r) => r.outcome)).toEqual(['not_found']);
  });

  it('resolves null for a full date when only the year is on record', async () => {
    expect(await registry.findCitizen({ ...fixture('036056000789').query, birthDate: '19560101' }, PURPOSE)).toBeNull();
  });
});

describe('what the upstream receives', () => {
  it('carries the headers and the Basic scheme of the protocol', async () => {
    const started = Date.now();
    await registry.findCitizen(fixture('001099012345').query, PURPOSE);
    const [call] = sim.requests();
    expect(call?.outcome).toBe('found');
    const { headers } = call!;
    expect(headers.soapAction).toBe('"http://dancuquocgia.bca/TraCuuThongTinCongDan"');
    expect(headers.apiKey).toBe('dancu-api-key');
    expect(headers.xRoadClient).toBe('VN/GOV/000.00.00.H26/DVC-GATEWAY');
    expect(headers.timestamp).toMatch(/^\d{13}$/);
    expect(Number(headers.timestamp)).toBeGreaterThanOrEqual(started - 5);
    expect(Number(headers.timestamp)).toBeLessThanOrEqual(Date.now());
    const [scheme, token] = headers.authorization!.split(' ');
    expect(scheme).toBe('Basic');
    const digest = createHash('sha256').update(`${sim.url}dvc-gateway${headers.timestamp}dancu-secret`).digest('hex');
    expect(Buffer.from(token!, 'base64').toString('utf8')).toBe(`dvc-gateway:${digest}`);
  });

  it('sends the body fields, the officer as MaCanBo, and the birth date in its element', async () => {
    await registry.findCitizen(fixture('001099012345').query, PURPOSE);
    await registry.findCitizen(fixture('036056000789').query, PURPOSE);
    const [full, yearOnly] = sim.requests().map((r) => r.body);
    expect(full).toMatchObject({
      MaDVC: 'DVC-H26',
      MaTichHop: 'DVC-GATEWAY',
      MaCanBo: 'canbo.h26.0042',
      MaDonVi: '000.00.00.H26',
      TaiKhoan: 'dvc-gateway',
      SoDinhDanh: '001099012345',
      HoVaTen: 'Nguyễn Văn An',
      NgayThangNam: '19990315',
      Nam: null,
    });
    expect(yearOnly).toMatchObject({ SoDinhDanh: '036056000789', NgayThangNam: null, Nam: '1956' });
  });

  it('makes MaYeuCau unique per call and at most 40 characters', async () => {
    const query = fixture('001099012345').query;
    await Promise.all(Array.from({ length: 25 }, () => registry.findCitizen(query, PURPOSE)));
    const ids = sim.requests().map((r) => r.body?.MaYeuCau);
    expect(new Set(ids).size).toBe(25);
    for (const id of ids) expect(id!.length).toBeLessThanOrEqual(40);
    expect(sim.requests().every((r) => r.outcome === 'found')).toBe(true);
  });
});

describe('failures', () => {
  it('turns a SOAP Fault into UpstreamBadResponse carrying its faultcode, never its faultstring', async () => {
    sim.setFaults({ faultRate: 1 });
    const error = await rejectionOf(registry.findCitizen(fixture('001099012345').query, PURPOSE));
    expect(error).toBeInstanceOf(UpstreamBadResponse);
    expect((error as UpstreamBadResponse).details).toEqual({ upstream: 'dancu', upstreamCode: 'soap:Server' });
    expect(error.message).toBe('dancu: SOAP Fault soap:Server');
    sim.setFaults({ faultRate: 0, personalFaultRate: 1 });
    const personal = await rejectionOf(registry.findCitizen(fixture('001099012345').query, PURPOSE));
    expect(personal).toBeInstanceOf(UpstreamBadResponse);
    expect(JSON.stringify({ m: personal.message, d: (personal as UpstreamBadResponse).details })).not.toMatch(/001099012345|Nguy/);
  });

  it.each([
    ['a wrong secret', { secret: 'not-the-secret' }, 'authorization'],
    ['a wrong username', { username: 'someone-else' }, 'authorization'],
    ['a wrong ApiKey', { apiKey: 'not-the-key' }, 'api_key'],
  ])('is refused by the upstream for %s', async (_label, overrides, problem) => {
    const wrong = await registryWith(overrides);
    const error = await rejectionOf(wrong.findCitizen(fixture('001099012345').query, PURPOSE));
    expect(error).toBeInstanceOf(UpstreamBadResponse);
    expect((error as UpstreamBadResponse).details.upstreamCode).toBe('soap:Client');
    expect(error.message).toBe('dancu: SOAP Fault soap:Client');
    expect(sim.requests()[0]).toMatchObject({ outcome: 'auth_failed', credentialProblem: problem });
  });

  it('is refused when the signature covers another endpoint URL than the upstream expects', async () => {
    const other = await startDancuSimulator({ port: 0, endpointUrl: 'https://dancu.example.gov.vn/dancu/TraCuuThongTinCongDan' });
    const client = await registryWith({}, other.url);
    try {
      const error = await rejectionOf(client.findCitizen(fixture('001099012345').query, PURPOSE));
      expect(error).toBeInstanceOf(UpstreamBadResponse);
      expect(other.requests()[0]?.credentialProblem).toBe('authorization');
    } finally {
      await other.close();
    }
  });

  it.each([503, 500])('turns HTTP %i without a Fault into UpstreamUnavailable', async (status) => {
    sim.setFaults({ errorRate: 1, errorStatus: status });
    const error = await rejectionOf(registry.findCitizen(fixture('001099012345').query, PURPOSE));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details).toMatchObject({ upstream: 'dancu', reason: 'http_5xx' });
  });

  it('turns HTTP 429 into UpstreamUnavailable (rate limited)', async () => {
    sim.setFaults({ rateLimitRate: 1 });
    const error = await rejectionOf(registry.findCitizen(fixture('001099012345').query, PURPOSE));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details.reason).toBe('rate_limited');
  });

  it('turns a reset connection and a down upstream into UpstreamUnavailable', async () => {
    for (const faults of [{ resetRate: 1 }, { down: true }]) {
      sim.setFaults(faults);
      const error = await rejectionOf(registry.findCitizen(fixture('001099012345').query, PURPOSE));
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect((error as UpstreamUnavailable).details.reason).toBe('connection');
      sim.resetFaults();
    }
  });

  it('turns a refused connection into UpstreamUnavailable', async () => {
    const closed = await startDancuSimulator({ port: 0 });
    await closed.close();
    const client = await registryWith({}, closed.url);
    const error = await rejectionOf(client.findCitizen(fixture('001099012345').query, PURPOSE));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('turns truncated XML into UpstreamBadResponse', async () => {
    sim.setFaults({ malformedRate: 1 });
    const error = await rejectionOf(registry.findCitizen(fixture('001099012345').query, PURPOSE));
    expect(error).toBeInstanceOf(UpstreamBadResponse);
    expect(error.message).toContain('malformed');
  });

  it('aborts a hung call at timeoutMs with UpstreamTimeout and closes its socket', async () => {
    const quick = await registryWith({ timeoutMs: 300 });
    sim.setFaults({ hangRate: 1 });
    const started = performance.now();
    const error = await rejectionOf(quick.findCitizen(fixture('001099012345').query, PURPOSE));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(UpstreamTimeout);
    expect((error as UpstreamTimeout).details).toEqual({ upstream: 'dancu', timeoutMs: 300 });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
    expect(sim.requests()[0]?.outcome).toBe('hang');
    // The simulator sees the connection of the hung call close: the client really let go of it.
    expect(await eventually(() => sim.hanging() === 0)).toBe(true);
    sim.resetFaults();
    expect(await quick.findCitizen(fixture('001099012345').query, PURPOSE)).not.toBeNull();
  });

  it("honours the caller's AbortSignal before its own timeout", async () => {
    sim.setFaults({ hangRate: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('timeout')), 100);
    const started = performance.now();
    const error = await rejectionOf(registry.findCitizen(fixture('001099012345').query, PURPOSE, { signal: controller.signal }));
    expect(error).toBeInstanceOf(UpstreamTimeout);
    expect(performance.now() - started).toBeLessThan(600);
    expect(await eventually(() => sim.hanging() === 0)).toBe(true);
  });

  it('adds the configured latency', async () => {
    sim.setFaults({ latencyMs: 120 });
    const started = performance.now();
    await registry.findCitizen(fixture('001099012345').query, PURPOSE);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });
});

describe('answers outside the protocol', () => {
  let server: http.Server;
  let url: string;
  let reply: { status: number; body: string } = { status: 200, body: '' };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume().on('end', () => res.writeHead(reply.status, { 'Content-Type': 'text/xml' }).end(reply.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dancu/TraCuuThongTinCongDan`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const envelope = (body: string) => `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${body}</s:Body></s:Envelope>`;
  const answer = (collection: string) =>
    envelope(`<TraCuuThongTinCongDanResponse xmlns="http://dancuquocgia.bca">${collection}</TraCuuThongTinCongDanResponse>`);

  it.each([
    ['no Envelope', '<html><body>Bảo trì hệ thống</body></html>'],
    ['an empty Body', envelope('')],
    ['no CongdanCollection', answer('')],
    ['a DTD', `<!DOCTYPE x [<!ENTITY a "b">]>${answer('<CongdanCollection/>')}`],
    ['another citizen', answer('<CongdanCollection><CongDan><SoDinhDanh>001099099999</SoDinhDanh></CongDan></CongdanCollection>')],
  ])('answers UpstreamBadResponse for %s', async (_label, body) => {
    reply = { status: 200, body };
    const client = await registryWith({}, url);
    await expect(client.findCitizen(fixture('001099012345').query, PURPOSE)).rejects.toBeInstanceOf(UpstreamBadResponse);
  });

  it('reads a Fault whatever its HTTP status, and an unexpected 4xx as a bad response', async () => {
    const client = await registryWith({}, url);
    reply = { status: 200, body: envelope('<s:Fault><faultcode>s:Client</faultcode><faultstring>Sai định dạng</faultstring></s:Fault>') };
    const fault = await rejectionOf(client.findCitizen(fixture('001099012345').query, PURPOSE));
    expect((fault as UpstreamBadResponse).details.upstreamCode).toBe('s:Client');
    reply = { status: 404, body: 'Not Found' };
    const notFound = await rejectionOf(client.findCitizen(fixture('001099012345').query, PURPOSE));
    expect((notFound as UpstreamBadResponse).details.upstreamCode).toBe('http_404');
  });

  it('reads an empty collection, written either way, as not found, and a bare collection in the Body', async () => {
    const client = await registryWith({}, url);
    for (const body of [answer('<CongdanCollection/>'), answer('<CongdanCollection></CongdanCollection>'), envelope('<CongdanCollection/>')]) {
      reply = { status: 200, body };
      expect(await client.findCitizen(fixture('001099012345').query, PURPOSE)).toBeNull();
    }
  });

  it('keeps digit strings as strings, whatever they look like', async () => {
    const client = await registryWith({}, url);
    reply = {
      status: 200,
      body: answer(
        '<CongdanCollection><CongDan><SoDinhDanh>001099012345</SoDinhDanh><SoCMND>000000001</SoCMND>' +
          '<HoVaTen>Nguyễn Văn An</HoVaTen><GioiTinh>9</GioiTinh><DanToc>1e3</DanToc><SoSoHoKhau>0x10</SoSoHoKhau>' +
          '<NgayThangNamSinh><NgayThangNam>19990230</NgayThangNam><Nam>1999</Nam></NgayThangNamSinh>' +
          '<ThuongTru>Hà Nội</ThuongTru></CongDan></CongdanCollection>',
      ),
    };
    expect(await client.findCitizen(fixture('001099012345').query, PURPOSE)).toMatchObject({
      idNumber: '001099012345',
      oldIdNumber: '000000001',
      fullName: 'Nguyễn Văn An',
      gender: null,
      ethnicity: '1e3',
      householdBookNumber: '0x10',
      dateOfBirth: '1999',
      permanentAddress: { provinceCode: null, districtCode: null, wardCode: null, detail: 'Hà Nội' },
    });
  });
});

describe('error table', () => {
  const ok = { ok: true as const, fault: null };
  it('ranks a Fault before the status, and the status before the shape of the body', () => {
    const fault = { ok: true as const, fault: { faultcode: 'soap:Server', faultstring: 'x' } };
    expect(classifyAnswer(500, fault)?.kind).toBe('soap_fault');
    expect(classifyAnswer(503, { ok: false, problem: 'x' })?.kind).toBe('server_error');
    expect(classifyAnswer(429, ok)?.kind).toBe('rate_limited');
    expect(classifyAnswer(302, ok)?.kind).toBe('unexpected_status');
    expect(classifyAnswer(200, { ok: false, problem: 'x' })?.kind).toBe('malformed');
    expect(classifyAnswer(200, ok)).toBeNull();
  });

  it('maps CongDan without the network', () => {
    const reading = readEnvelope(
      '<Envelope><Body><CongDan><SoDinhDanh>001099012345</SoDinhDanh><HoVaTen><Ho>Lê</Ho><Ten>Mai</Ten></HoVaTen>' +
        '<NgayThangNamSinh><NgayThangNam>20050200</NgayThangNam></NgayThangNamSinh><Cha><HoVaTen/></Cha></CongDan></Body></Envelope>',
    );
    expect(reading.ok).toBe(true);
    const congDan = reading.ok && isXmlObject(reading.body.CongDan) ? (reading.body.CongDan as XmlObject) : {};
    expect(toCitizenRecord(congDan, new Date('2026-01-02T03:04:05Z'))).toMatchObject({
      fullName: 'Lê Mai',
      dateOfBirth: '2005',
      father: null,
      retrievedAt: '2026-01-02T03:04:05.000Z',
    });
  });
});

describe('simulator', () => {
  const soapRequest = (extra: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"http://dancuquocgia.bca/TraCuuThongTinCongDan"', ...extra },
    body: '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
  });

  it('serves its WSDL at ?wsdl with its own address', async () => {
    const res = await fetch(`${sim.url}?wsdl`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`<soap:address location="${sim.url}"/>`);
  });

  it('refuses a stale Timestamp and a wrong SOAPAction', async () => {
    const stale = String(Date.now() - 6 * 60_000);
    const res = await fetch(sim.url, soapRequest({ Timestamp: stale, ApiKey: 'dancu-api-key', 'X-Road-Client': 'x', Authorization: 'Basic eDp5' }));
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('Xác thực không hợp lệ');
    const action = await fetch(sim.url, soapRequest({ SOAPAction: '"http://dancuquocgia.bca/Other"' }));
    expect(await action.text()).toContain('SOAPAction không hợp lệ');
    expect(sim.requests().map((r) => r.credentialProblem)).toEqual(['timestamp', 'soap_action']);
  });

  it('is driven over HTTP: faults, state, reset', async () => {
    const origin = new URL(sim.url).origin;
    const set = await fetch(`${origin}/_sim/faults`, { method: 'POST', body: JSON.stringify({ errorRate: 0.25, latencyMs: 5 }) });
    expect(set.status).toBe(200);
    expect(sim.faults()).toMatchObject({ errorRate: 0.25, latencyMs: 5 });
    expect((await fetch(`${origin}/_sim/faults`, { method: 'POST', body: '{"errorRate": 2}' })).status).toBe(400);
    expect((await fetch(`${origin}/_sim/faults`, { method: 'POST', body: '{"nonsense": 1}' })).status).toBe(400);
    await fetch(sim.url, soapRequest());
    const state = (await (await fetch(`${origin}/_sim/state`)).json()) as { received: number; faults: { errorRate: number } };
    expect(state).toMatchObject({ received: 1, faults: { errorRate: 0.25 } });
    await fetch(`${origin}/_sim/reset`, { method: 'POST' });
    expect(sim.requests()).toEqual([]);
    expect(sim.faults()).toEqual(NO_FAULTS);
  });

  it('decides faults from its seed alone', () => {
    const run = () => {
      const random = createRandom(7);
      return Array.from({ length: 50 }, () => pickFault({ ...NO_FAULTS, errorRate: 0.3, hangRate: 0.2 }, random()));
    };
    expect(run()).toEqual(run());
    expect(new Set(run())).toEqual(new Set([null, 'error', 'hang']));
  });

  it('closes hung connections promptly', async () => {
    const own = await startDancuSimulator({ port: 0, faults: { hangRate: 1 } });
    const pending = fetch(own.url, soapRequest()).catch((error: unknown) => error);
    expect(await eventually(() => own.hanging() === 1)).toBe(true);
    const started = performance.now();
    await own.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('hostile answers', () => {
  it('the simulator writes character references when asked, and the reader decodes them, markup characters kept as text', () => {
    expect(withCharacterReferences('<a>Nguyễn ễ</a>')).toBe('<a>Nguy&#7877;n &#x1EC5;</a>');
    const reading = readEnvelope(
      `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><X><T>Nguy&#7877;n &#x1EC5; &#60;b&#62; &amp;#7877; <![CDATA[&#7877;]]></T></X></soap:Body></soap:Envelope>`,
    );
    expect(reading.ok && (reading.body.X as XmlObject).T).toBe('Nguyễn ễ <b> &#7877;&#7877;');
    expect(readEnvelope('<soap:Envelope><soap:Body>&#0;</soap:Body></soap:Envelope>')).toMatchObject({ ok: false });
    expect(readEnvelope('<!ENTITY x "y"><soap:Envelope/>')).toMatchObject({ ok: false });
  });
});
