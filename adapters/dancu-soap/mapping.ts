/**
 * Everything this adapter translates, in one place: the upstream's CongDan → the canonical
 * CitizenRecord (shared/API.md "Sector lookups"), the assumed code values, and how each way a call
 * can fail becomes one of the core's errors.
 */
import {
  UpstreamBadResponse,
  UpstreamTimeout,
  UpstreamUnavailable,
  type UpstreamError,
} from '../../src/domain/errors.js';
import type { Address, CitizenRecord, PersonRef } from '../../src/domain/records.js';
import { isXmlObject, textOf, type SoapFault, type XmlNode, type XmlObject } from './xml.js';

export const UPSTREAM = 'dancu';

/** GioiTinh codes. ASSUMED (shared/UPSTREAMS.md §2): correct here once the official spec is known. */
export const GENDER_CODES: Readonly<Record<string, CitizenRecord['gender']>> = {
  '1': 'male',
  '2': 'female',
  '0': 'other',
};

export function toCitizenRecord(congDan: XmlObject, now: Date = new Date()): CitizenRecord {
  const idNumber = textOf(congDan.SoDinhDanh);
  // Callers pick the CongDan by its SoDinhDanh, so this only guards the type.
  if (idNumber === null) throw failure({ kind: 'malformed', status: 200, problem: 'a CongDan without SoDinhDanh' });
  const gender = textOf(congDan.GioiTinh);
  return {
    idNumber,
    oldIdNumber: textOf(congDan.SoCMND),
    fullName: fullNameOf(congDan.HoVaTen),
    gender: gender === null ? null : (GENDER_CODES[gender] ?? null),
    dateOfBirth: dateOfBirthOf(congDan.NgayThangNamSinh),
    ethnicity: textOf(congDan.DanToc),
    religion: textOf(congDan.TonGiao),
    nationality: textOf(congDan.QuocTich),
    birthRegistrationPlace: addressOf(congDan.NoiDangKyKhaiSinh),
    hometown: addressOf(congDan.QueQuan),
    permanentAddress: addressOf(congDan.ThuongTru),
    currentAddress: addressOf(congDan.NoiOHienTai),
    father: personOf(congDan.Cha),
    mother: personOf(congDan.Me),
    spouse: personOf(congDan.VoChong),
    householdHead: personOf(congDan.ChuHo),
    householdBookNumber: textOf(congDan.SoSoHoKhau),
    source: 'dancu',
    retrievedAt: now.toISOString(),
  };
}

/** `Ho ChuDem Ten`, skipping empty parts; a plain-text name is taken as given. */
export function fullNameOf(node: XmlNode | undefined): string | null {
  if (!isXmlObject(node)) return textOf(node);
  const parts = [node.Ho, node.ChuDem, node.Ten].map(textOf).filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(' ') : textOf(node);
}

/**
 * `YYYY-MM-DD` from NgayThangNam (yyyyMMdd), else `YYYY` from Nam. A day of `00` (`yyyyMM00`,
 * `yyyy0000`) is taken to mean "not known" (ASSUMED, a convention of civil records); the API has no
 * year-and-month form, so only the year is kept.
 */
export function dateOfBirthOf(node: XmlNode | undefined): string | null {
  const full = isXmlObject(node) ? textOf(node.NgayThangNam) : textOf(node);
  const year = isXmlObject(node) ? textOf(node.Nam) : null;
  const m = full === null ? null : /^(\d{4})(\d{2})(\d{2})$/.exec(full);
  if (m) {
    const [, y, mo, d] = m as unknown as [string, string, string, string];
    if (d === '00' && Number(mo) <= 12) return y;
    if (isCalendarDate(Number(y), Number(mo), Number(d))) return `${y}-${mo}-${d}`;
  }
  if (year !== null && /^\d{4}$/.test(year)) return year;
  // A bare year where a yyyyMMdd was expected (the plain-text form).
  if (full !== null && /^\d{4}$/.test(full)) return full;
  return null;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The parts present; null when the element is absent or holds nothing. */
export function addressOf(node: XmlNode | undefined): Address | null {
  if (!isXmlObject(node)) {
    // An unstructured address is still the upstream's data: kept as its detail.
    const detail = textOf(node);
    return detail === null ? null : { provinceCode: null, districtCode: null, wardCode: null, detail };
  }
  const address: Address = {
    provinceCode: textOf(node.MaTinhThanh),
    districtCode: textOf(node.MaQuanHuyen),
    wardCode: textOf(node.MaPhuongXa),
    detail: textOf(node.ChiTiet),
  };
  return Object.values(address).every((v) => v === null) ? null : address;
}

export function personOf(node: XmlNode | undefined): PersonRef | null {
  const person: PersonRef = isXmlObject(node)
    ? { fullName: fullNameOf(node.HoVaTen), idNumber: textOf(node.SoDinhDanh) }
    : { fullName: textOf(node), idNumber: null };
  return person.fullName === null && person.idNumber === null ? null : person;
}

/** Every way a call can fail, as the client observed it. */
export type CallFailure =
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'aborted'; timeoutMs: number }
  | { kind: 'connection'; code: string }
  | { kind: 'soap_fault'; status: number; fault: SoapFault }
  | { kind: 'rate_limited'; status: number }
  | { kind: 'server_error'; status: number }
  | { kind: 'unexpected_status'; status: number }
  /** `status` 0: the body could not even be read whole (too large). */
  | { kind: 'malformed'; status: number; problem: string };

type FailureOf<K extends CallFailure['kind']> = Extract<CallFailure, { kind: K }>;

/**
 * The one table from a failure to the core's error (API.md: 503 unavailable, 504 timeout, 502 bad
 * response). A SOAP Fault is a bad response whatever its HTTP status: SOAP 1.1 sends every Fault with 500.
 */
const FAILURE_TABLE: { [K in CallFailure['kind']]: (f: FailureOf<K>, o: ErrorOptions) => UpstreamError } = {
  timeout: (f, o) => new UpstreamTimeout(`dancu: no answer within ${f.timeoutMs} ms; call aborted`, { upstream: UPSTREAM, timeoutMs: f.timeoutMs }, o),
  aborted: (f, o) => new UpstreamTimeout('dancu: call aborted by its caller before an answer came', { upstream: UPSTREAM, timeoutMs: f.timeoutMs }, o),
  connection: (f, o) => new UpstreamUnavailable(`dancu: connection failed (${f.code})`, { upstream: UPSTREAM, reason: 'connection' }, o),
  rate_limited: (f, o) => new UpstreamUnavailable(`dancu: HTTP ${f.status}, rate limited`, { upstream: UPSTREAM, reason: 'rate_limited' }, o),
  server_error: (f, o) => new UpstreamUnavailable(`dancu: HTTP ${f.status}`, { upstream: UPSTREAM, reason: 'http_5xx' }, o),
  // The faultstring is the upstream's own words, which may name the citizen: it is never repeated.
  soap_fault: (f, o) =>
    new UpstreamBadResponse(`dancu: SOAP Fault ${plainCode(f.fault.faultcode) ?? '(no plain faultcode)'}`, { upstream: UPSTREAM, upstreamCode: plainCode(f.fault.faultcode) }, o),
  unexpected_status: (f, o) => new UpstreamBadResponse(`dancu: unexpected HTTP ${f.status}`, { upstream: UPSTREAM, upstreamCode: `http_${f.status}` }, o),
  malformed: (f, o) => new UpstreamBadResponse(`dancu: malformed answer${f.status ? ` (HTTP ${f.status})` : ''}: ${f.problem}`, { upstream: UPSTREAM, upstreamCode: null }, o),
};

/** A faultcode is a qualified name (`soap:Server`); anything else an upstream put there is not repeated. */
function plainCode(code: string | null): string | null {
  return code !== null && /^[A-Za-z_][\w.-]{0,63}(:[A-Za-z_][\w.-]{0,63})?$/.test(code) ? code : null;
}

export function failure(f: CallFailure, cause?: unknown): UpstreamError {
  const make = FAILURE_TABLE[f.kind] as (f: CallFailure, o: ErrorOptions) => UpstreamError;
  return make(f, cause === undefined ? {} : { cause });
}

/**
 * Which failure an HTTP answer is, or null when it is a usable SOAP answer. First matching rule wins:
 * a readable Fault, then the status, then the body's shape.
 */
export function classifyAnswer(status: number, reading: { ok: true; fault: SoapFault | null } | { ok: false; problem: string }): CallFailure | null {
  if (reading.ok && reading.fault !== null) return { kind: 'soap_fault', status, fault: reading.fault };
  if (status === 429) return { kind: 'rate_limited', status };
  if (status >= 500) return { kind: 'server_error', status };
  if (status < 200 || status >= 300) return { kind: 'unexpected_status', status };
  if (!reading.ok) return { kind: 'malformed', status, problem: reading.problem };
  return null;
}
