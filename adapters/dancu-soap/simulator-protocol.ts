/**
 * What the simulated population DB does with one call, written from shared/UPSTREAMS.md §2 rather than
 * from the adapter: reading the request, checking credentials, matching a citizen, writing the answer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CongDanXml } from './fixtures/index.js';
import { DANCU_NAMESPACE, OPERATION, SOAP_ACTION, SOAP_ENVELOPE_NAMESPACE, escapeXml, isXmlObject, readEnvelope, textOf } from './xml.js';

/** Fields of a TraCuuThongTinCongDan request, by their upstream names; null when absent or empty. */
export interface ReceivedBody {
  MaYeuCau: string | null;
  MaDVC: string | null;
  MaTichHop: string | null;
  MaCanBo: string | null;
  MaDonVi: string | null;
  TaiKhoan: string | null;
  SoDinhDanh: string | null;
  HoVaTen: string | null;
  NgayThangNam: string | null;
  Nam: string | null;
}

const BODY_FIELDS = ['MaYeuCau', 'MaDVC', 'MaTichHop', 'MaCanBo', 'MaDonVi', 'TaiKhoan', 'SoDinhDanh', 'HoVaTen'] as const;

export function readRequest(xml: string): { ok: true; body: ReceivedBody } | { ok: false; problem: string } {
  const envelope = readEnvelope(xml);
  if (!envelope.ok) return envelope;
  const call = envelope.body[OPERATION];
  if (!isXmlObject(call)) return { ok: false, problem: `the Body holds no ${OPERATION}` };
  const birth = isXmlObject(call.NgayThangNamSinh) ? call.NgayThangNamSinh : {};
  const body = Object.fromEntries(BODY_FIELDS.map((name) => [name, textOf(call[name])])) as Omit<ReceivedBody, 'NgayThangNam' | 'Nam'>;
  return { ok: true, body: { ...body, NgayThangNam: textOf(birth.NgayThangNam), Nam: textOf(birth.Nam) } };
}

/** The first rule the body breaks, as the faultstring says it; null when it is complete. */
export function bodyProblem(body: ReceivedBody): string | null {
  for (const name of BODY_FIELDS) if (body[name] === null) return `Thiếu trường ${name}`;
  if (body.MaYeuCau!.length > 40) return 'MaYeuCau dài quá 40 ký tự';
  if (!/^\d{12}$/.test(body.SoDinhDanh!)) return 'SoDinhDanh phải gồm 12 chữ số';
  const hasDate = body.NgayThangNam !== null;
  if (hasDate === (body.Nam !== null)) return 'NgayThangNamSinh phải có đúng một trong NgayThangNam, Nam';
  if (hasDate && !/^\d{8}$/.test(body.NgayThangNam!)) return 'NgayThangNam phải có dạng yyyyMMdd';
  if (!hasDate && !/^\d{4}$/.test(body.Nam!)) return 'Nam phải có dạng yyyy';
  return null;
}

export interface ExpectedCredentials {
  endpointUrl: string;
  username: string;
  secret: string;
  apiKey: string;
  maxClockSkewMs: number;
}

export type CredentialProblem = 'soap_action' | 'api_key' | 'timestamp' | 'authorization' | 'x_road_client';

/** Which header fails the checks of §2, or null when all pass. */
export function credentialProblem(header: (name: string) => string | null, expected: ExpectedCredentials, nowMs: number): CredentialProblem | null {
  const action = header('soapaction');
  if (action === null || action.replace(/^"(.*)"$/, '$1') !== SOAP_ACTION) return 'soap_action';
  if (!header('x-road-client')) return 'x_road_client';
  if (!sameText(header('apikey'), expected.apiKey)) return 'api_key';
  const timestamp = header('timestamp');
  if (timestamp === null || !/^\d{1,16}$/.test(timestamp) || Math.abs(nowMs - Number(timestamp)) > expected.maxClockSkewMs) return 'timestamp';
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header('authorization') ?? '');
  if (!m) return 'authorization';
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const digest = createHash('sha256').update(expected.endpointUrl + expected.username + timestamp + expected.secret, 'utf8').digest('hex');
  if (colon < 0 || decoded.slice(0, colon) !== expected.username || !sameText(decoded.slice(colon + 1), digest)) return 'authorization';
  return null;
}

function sameText(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const [a, b] = [Buffer.from(given, 'utf8'), Buffer.from(expected, 'utf8')];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The DB answers only when ID, full name and birth date all match (names compared loosely). */
export function matches(citizen: CongDanXml, body: ReceivedBody): boolean {
  if (citizen.SoDinhDanh !== body.SoDinhDanh) return false;
  const name = [citizen.HoVaTen.Ho, citizen.HoVaTen.ChuDem, citizen.HoVaTen.Ten].filter(Boolean).join(' ');
  if (looseName(name) !== looseName(body.HoVaTen ?? '')) return false;
  const { NgayThangNam: date, Nam: year } = citizen.NgayThangNamSinh;
  const birthYear = year ?? date?.slice(0, 4);
  if (body.Nam !== null) return body.Nam === birthYear;
  return date !== undefined && date === body.NgayThangNam;
}

function looseName(name: string): string {
  return name.normalize('NFC').toLocaleLowerCase('vi').trim().split(/\s+/).join(' ');
}

const ENVELOPE_OPEN = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENVELOPE_NAMESPACE}" xmlns:dan="${DANCU_NAMESPACE}"><soap:Body>`;
const ENVELOPE_CLOSE = '</soap:Body></soap:Envelope>';

/** CongDan's children in the order of the WSDL's sequence, whatever order a fixture lists them in. */
const CONGDAN_ORDER: ReadonlyArray<keyof CongDanXml> = [
  'SoDinhDanh', 'SoCMND', 'HoVaTen', 'GioiTinh', 'DanToc', 'TonGiao', 'QuocTich', 'NgayThangNamSinh', 'NoiDangKyKhaiSinh',
  'QueQuan', 'ThuongTru', 'NoiOHienTai', 'Cha', 'Me', 'VoChong', 'ChuHo', 'SoSoHoKhau',
];

export function answerXml(citizens: readonly CongDanXml[]): string {
  const ordered = (c: CongDanXml): Value => Object.fromEntries(CONGDAN_ORDER.map((k) => [k, c[k] as Value | undefined]));
  const items = citizens.map((c) => element('CongDan', ordered(c))).join('');
  const collection = items === '' ? '<dan:CongdanCollection/>' : `<dan:CongdanCollection>${items}</dan:CongdanCollection>`;
  return `${ENVELOPE_OPEN}<dan:${OPERATION}Response>${collection}</dan:${OPERATION}Response>${ENVELOPE_CLOSE}`;
}

/** A well-formed answer of about `bytes`, padded with comments: too big, not broken. */
export function hugeAnswerXml(bytes: number): string {
  const pad = `<!--${'x'.repeat(1017)}-->`;
  return `${ENVELOPE_OPEN}<dan:${OPERATION}Response>${pad.repeat(Math.max(1, Math.ceil(bytes / pad.length)))}<dan:CongdanCollection/></dan:${OPERATION}Response>${ENVELOPE_CLOSE}`;
}

/** An answer with a DTD declaring an external entity that the answer uses (XXE). */
export function dtdAnswerXml(): string {
  const doctype = '<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';
  return `${doctype}${ENVELOPE_OPEN.replace(/^<\?xml[^>]*\?>/, '')}<dan:${OPERATION}Response><dan:CongdanCollection><dan:CongDan><dan:SoDinhDanh>&xxe;</dan:SoDinhDanh></dan:CongDan></dan:CongdanCollection></dan:${OPERATION}Response>${ENVELOPE_CLOSE}`;
}

/** Every non-ASCII character as a numeric character reference, decimal and hexadecimal in turn. */
export function withCharacterReferences(xml: string): string {
  let n = 0;
  return xml.replace(/[^\x00-\x7F]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return n++ % 2 === 0 ? `&#${code};` : `&#x${code.toString(16).toUpperCase()};`;
  });
}

export function faultXml(faultcode: string, faultstring: string): string {
  return `${ENVELOPE_OPEN}<soap:Fault><faultcode>${escapeXml(faultcode)}</faultcode><faultstring>${escapeXml(faultstring)}</faultstring></soap:Fault>${ENVELOPE_CLOSE}`;
}

/** Below CongDan, property order is element order (fixtures list HoVaTen, DiaChi parts in schema order). */
type Value = string | { [name: string]: Value | undefined };

function element(name: string, value: Value | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value === '' ? `<dan:${name}/>` : `<dan:${name}>${escapeXml(value)}</dan:${name}>`;
  const children = Object.entries(value).map(([child, v]) => element(child, v)).join('');
  return children === '' ? `<dan:${name}/>` : `<dan:${name}>${children}</dan:${name}>`;
}
