/**
 * What the business registry answers, read into the gateway's vocabulary: the token answer, a
 * `GetEntCert` entry → BusinessRecord (shared/API.md "Sector lookups"), and every way a call can
 * fail → one of the core's errors. Whatever the public record does not fix is marked **assumed**
 * and kept in the tables below, so it can be corrected against the official spec in one place.
 */
import type { UpstreamError } from '../../src/domain/errors.js';
import type { BusinessRecord } from '../../src/domain/records.js';
import {
  readOrBadResponse,
  tokenOutcome as ngspTokenOutcome,
  toUpstreamError as ngspError,
  UnexpectedAnswer,
  type Failure,
  type IssuedToken,
  type NgspUpstream,
  type WireAnswer,
} from '../shared/ngsp/errors.js';

export { retryAfterSeconds, type Failure, type WireAnswer } from '../shared/ngsp/errors.js';

export const UPSTREAM = 'dkdn';
export const DKDN: NgspUpstream = { upstream: UPSTREAM, operation: 'chiTietDoanhNghiep', settings: 'DKDN_URL, DKDN_CLIENT_ID and DKDN_CLIENT_SECRET' };

// ---------------------------------------------------------------------------------------------
// Wire shapes, field names as the registry spells them (UPSTREAMS.md §3). Fixtures and the
// simulator write these; the adapter reads answers as `unknown` and checks every field.

export type WireFlag = boolean | number | string | null;

export interface WireLegalStatus {
  MaTinhTrang?: string | null;
  TenTinhTrang?: string | null;
  /** **Assumed** flag marking the current status; see CURRENT_STATUS_FLAG. */
  HienTai?: WireFlag;
}

export interface WireBusiness {
  MaSoDoanhNghiep: string;
  TenTiengViet?: string | null;
  TenTiengAnh?: string | null;
  TenVietTat?: string | null;
  LoaiHinhDN?: string | null;
  /** yyyy-MM-dd */
  NgayThanhLap?: string | null;
  TinhTrangPhapLy?: WireLegalStatus[];
  DaiDienPhapLuat?: Array<{ HoVaTen?: string | null; ChucDanh?: string | null }>;
  DiaChiTruSo?: Array<{ DiaChi?: string | null; MaTinh?: string | null; MaHuyen?: string | null; MaXa?: string | null }>;
  NganhNgheKinhDoanh?: Array<{ MaNganh?: string | null; TenNganh?: string | null; LaNganhChinh?: WireFlag }>;
}

// ---------------------------------------------------------------------------------------------
// Tables.

/**
 * Code fields and the number of digits each always has. A code that arrives as a JSON number is
 * accepted only at that full width: JSON numbers cannot carry leading zeros, so a shorter number
 * (a province `1` for `01`) may have lost some, and the answer is malformed rather than guessed at.
 * `null`: no fixed width is known (VSIC lines are 4 or 5 digits, status codes are **assumed**
 * strings), so a number is never accepted. Numbers are read from their source text, never through
 * a double, so no precision is lost either.
 */
const CODE_DIGITS: Readonly<Record<string, number | null>> = {
  MaSoDoanhNghiep: 10,
  MaTinh: 2,
  MaHuyen: 3,
  MaXa: 5,
  MaNganh: null,
  MaTinhTrang: null,
};

/** Spellings of `LaNganhChinh` (and of the current-status flag), compared trimmed and case-insensitively. */
const FLAG_SPELLINGS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['y', true],
  ['yes', true],
  ['false', false],
  ['0', false],
  ['n', false],
  ['no', false],
]);

/**
 * **Assumed**: `TinhTrangPhapLy` is the status history, oldest first, so the current status is its
 * last entry, unless some entry carries this flag set, in which case the last flagged one wins.
 */
const CURRENT_STATUS_FLAG = 'HienTai';

// ---------------------------------------------------------------------------------------------
// JSON with numbers kept as written.

/** A number at a code field, kept as written, so it never passes through a double. */
class JsonNumber {
  constructor(readonly source: string) {}
}

/**
 * JSON.parse, except that a number at a code field (a key of CODE_DIGITS) becomes a JsonNumber
 * carrying its source text. V8's source-text reviver costs more than the parse itself, so it runs
 * only when a walk of the plain parse finds such a number, which a well-formed answer never has.
 * Throws SyntaxError on malformed text.
 */
function parseJson(text: string): unknown {
  const plain: unknown = JSON.parse(text);
  return hasCodeNumber(plain) ? JSON.parse(text, keepCodeNumbers) : plain;
}

function keepCodeNumbers(key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || !(key in CODE_DIGITS)) return value;
  // Node 24 hands revivers the source text; without it only a safe integer is known intact.
  return new JsonNumber(context?.source ?? (Number.isSafeInteger(value) ? String(value) : 'NaN'));
}

function hasCodeNumber(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasCodeNumber);
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  for (const key in fields) {
    const item = fields[key];
    if (typeof item === 'number' ? key in CODE_DIGITS : typeof item === 'object' && item !== null && hasCodeNumber(item)) return true;
  }
  return false;
}

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

/** A name or other text, as given; absent, empty or blank is null; anything but a string breaks the protocol. */
function text(obj: Fields, field: string, path: string): string | null {
  const value = obj[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new UnexpectedAnswer(`${path}.${field} is not a string`);
  return value.trim() === '' ? null : value;
}

function code(obj: Fields, field: string, path: string): string | null {
  const value = obj[field];
  if (!(value instanceof JsonNumber)) return text(obj, field, path);
  const width = CODE_DIGITS[field] ?? null;
  if (width !== null && /^\d+$/.test(value.source) && value.source.length === width) return value.source;
  throw new UnexpectedAnswer(`${path}.${field} is the JSON number ${value.source}; a code that may have leading zeros must be a string`);
}

function flag(value: unknown, path: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  const spelled = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (spelled === '') return false;
  const known = spelled === undefined ? undefined : FLAG_SPELLINGS.get(spelled);
  if (known === undefined) throw new UnexpectedAnswer(`${path} is not a known yes/no spelling`);
  return known;
}

/** A list of objects; absent or null is an empty list. */
function list(obj: Fields, field: string, path: string): Fields[] {
  const value = obj[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new UnexpectedAnswer(`${path}.${field} is not a list`);
  return value.map((item: unknown, i) => {
    if (!isFields(item)) throw new UnexpectedAnswer(`${path}.${field}[${i}] is not an object`);
    return item;
  });
}

// ---------------------------------------------------------------------------------------------
// GetEntCert → BusinessRecord.

function legalStatus(entry: Fields, path: string): BusinessRecord['legalStatus'] {
  const statuses = list(entry, 'TinhTrangPhapLy', path);
  const flagged = statuses.filter((s, i) => flag(s[CURRENT_STATUS_FLAG], `${path}.TinhTrangPhapLy[${i}].${CURRENT_STATUS_FLAG}`));
  const current = flagged.at(-1) ?? statuses.at(-1);
  if (!current) return null;
  const where = `${path}.TinhTrangPhapLy[${statuses.indexOf(current)}]`;
  const status = { code: code(current, 'MaTinhTrang', where), name: text(current, 'TenTinhTrang', where) };
  return status.code === null && status.name === null ? null : status;
}

function headOffice(entry: Fields, path: string): BusinessRecord['headOffice'] {
  const first = list(entry, 'DiaChiTruSo', path)[0];
  if (!first) return null;
  const where = `${path}.DiaChiTruSo[0]`;
  const office = {
    address: text(first, 'DiaChi', where),
    provinceCode: code(first, 'MaTinh', where),
    districtCode: code(first, 'MaHuyen', where),
    wardCode: code(first, 'MaXa', where),
  };
  return Object.values(office).every((v) => v === null) ? null : office;
}

/** Digits only, so `0100109106-001` and `0100109106001` name the same branch. */
const digitsOf = (value: string) => value.replace(/\D/g, '');

/**
 * One `GetEntCert` entry → the canonical record. `requestedCode` guards against an answer about
 * another business, which an officer must never be shown as the one asked for.
 */
export function toBusinessRecord(entry: unknown, requestedCode: string, now: Date = new Date()): BusinessRecord {
  const path = 'GetEntCert[0]';
  if (!isFields(entry)) throw new UnexpectedAnswer(`${path} is not an object`);
  const enterpriseCode = code(entry, 'MaSoDoanhNghiep', path);
  if (enterpriseCode === null) throw new UnexpectedAnswer(`${path}.MaSoDoanhNghiep is missing`);
  if (digitsOf(enterpriseCode) !== digitsOf(requestedCode)) {
    throw new UnexpectedAnswer(`the registry answered for enterprise code ${enterpriseCode}, not ${requestedCode}`);
  }
  return {
    enterpriseCode,
    name: text(entry, 'TenTiengViet', path),
    nameEn: text(entry, 'TenTiengAnh', path),
    shortName: text(entry, 'TenVietTat', path),
    type: text(entry, 'LoaiHinhDN', path),
    foundedOn: text(entry, 'NgayThanhLap', path),
    legalStatus: legalStatus(entry, path),
    legalRepresentatives: list(entry, 'DaiDienPhapLuat', path).map((p, i) => {
      const where = `${path}.DaiDienPhapLuat[${i}]`;
      return { fullName: text(p, 'HoVaTen', where), title: text(p, 'ChucDanh', where) };
    }),
    headOffice: headOffice(entry, path),
    businessLines: list(entry, 'NganhNgheKinhDoanh', path).map((line, i) => {
      const where = `${path}.NganhNgheKinhDoanh[${i}]`;
      return { code: code(line, 'MaNganh', where), name: text(line, 'TenNganh', where), main: flag(line.LaNganhChinh, `${where}.LaNganhChinh`) };
    }),
    source: 'dkdn',
    retrievedAt: now.toISOString(),
  };
}

/** The `GetEntCert` list of an answer body; throws UnexpectedAnswer when there is none. */
function entries(body: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = parseJson(body);
  } catch {
    throw new UnexpectedAnswer('the body is not JSON');
  }
  if (!isFields(parsed) || !Array.isArray(parsed.GetEntCert)) throw new UnexpectedAnswer('the body has no GetEntCert list');
  return parsed.GetEntCert;
}

// ---------------------------------------------------------------------------------------------
// Answers → outcome or error.

/**
 * Reads the answer to `chiTietDoanhNghiep`: a record, or null for an unknown code (`GetEntCert`
 * empty, with 200 or 404). A 401 reaching here came with a fresh token: the client repeats the
 * first one itself. Throws the core's errors.
 */
export function lookupOutcome(answer: WireAnswer, requestedCode: string, now: Date = new Date()): BusinessRecord | null {
  if (answer.status === 200) {
    return readOrBadResponse(DKDN, () => {
      const found = entries(answer.body);
      return found.length === 0 ? null : toBusinessRecord(found[0], requestedCode, now);
    });
  }
  if (answer.status === 404 && isEmptyAnswer(answer.body)) return null;
  throw ngspError(DKDN, { kind: 'http', phase: 'lookup', ...answer });
}

function isEmptyAnswer(body: string): boolean {
  try {
    return entries(body).length === 0;
  } catch {
    return false;
  }
}

/** Reads the answer of `POST /token`. Throws the core's errors. */
export function tokenOutcome(answer: WireAnswer): IssuedToken {
  return ngspTokenOutcome(DKDN, answer);
}

// ---------------------------------------------------------------------------------------------
// Failures → the core's errors: the table shared by the registries behind NGSP.

export function toUpstreamError(failure: Failure): UpstreamError {
  return ngspError(DKDN, failure);
}
