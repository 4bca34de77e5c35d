/**
 * What the business registry answers, read into the gateway's vocabulary: the token answer, a
 * `GetEntCert` entry → BusinessRecord (shared/API.md "Sector lookups"), and every way a call can
 * fail → one of the core's errors. Whatever the public record does not fix is marked **assumed**
 * and kept in the tables below, so it can be corrected against the official spec in one place.
 */
import { UpstreamBadResponse, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable, type UpstreamError } from '../../src/domain/errors.js';
import type { BusinessRecord } from '../../src/domain/records.js';

export const UPSTREAM = 'dkdn';

/** Lifetime of a token whose answer has no `expires_in` (UPSTREAMS.md §3). */
const DEFAULT_TOKEN_LIFETIME_S = 300;

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
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'number' ? key in CODE_DIGITS : hasCodeNumber(item)) return true;
  }
  return false;
}

/** The answer broke the protocol; becomes UpstreamBadResponse. */
class UnexpectedAnswer extends Error {
  override readonly name = 'UnexpectedAnswer';
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

/** Runs a reader; an UnexpectedAnswer becomes UpstreamBadResponse. */
function readOrBadResponse<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnexpectedAnswer) throw toUpstreamError({ kind: 'malformed', reason: error.message });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Answers → outcome or error.

/** An HTTP answer as the client saw it; the body is kept as text so malformed JSON is caught. */
export interface WireAnswer {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

/**
 * Reads the answer to `chiTietDoanhNghiep`: a record, or null for an unknown code (`GetEntCert`
 * empty, with 200 or 404). A 401 reaching here came with a fresh token: the client repeats the
 * first one itself. Throws the core's errors.
 */
export function lookupOutcome(answer: WireAnswer, requestedCode: string, now: Date = new Date()): BusinessRecord | null {
  if (answer.status === 200) {
    return readOrBadResponse(() => {
      const found = entries(answer.body);
      return found.length === 0 ? null : toBusinessRecord(found[0], requestedCode, now);
    });
  }
  if (answer.status === 404 && isEmptyAnswer(answer.body)) return null;
  throw toUpstreamError({ kind: 'http', phase: 'lookup', ...answer });
}

function isEmptyAnswer(body: string): boolean {
  try {
    return entries(body).length === 0;
  } catch {
    return false;
  }
}

export interface IssuedToken {
  accessToken: string;
  lifetimeMs: number;
}

/** Reads the answer of `POST /token`. Throws the core's errors. */
export function tokenOutcome(answer: WireAnswer): IssuedToken {
  if (answer.status !== 200) throw toUpstreamError({ kind: 'http', phase: 'token', ...answer });
  return readOrBadResponse(() => {
    let parsed: unknown;
    try {
      parsed = parseJson(answer.body);
    } catch {
      throw new UnexpectedAnswer('the token answer is not JSON');
    }
    if (!isFields(parsed)) throw new UnexpectedAnswer('the token answer is not an object');
    const accessToken = parsed.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') throw new UnexpectedAnswer('the token answer has no access_token');
    const type = parsed.token_type;
    if (type !== undefined && type !== null && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
      throw new UnexpectedAnswer('the token answer is not a Bearer token');
    }
    return { accessToken, lifetimeMs: lifetimeSeconds(parsed.expires_in) * 1000 };
  });
}

/** `expires_in`: absent means DEFAULT_TOKEN_LIFETIME_S; some servers send it as a digit string. */
function lifetimeSeconds(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_TOKEN_LIFETIME_S;
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0) throw new UnexpectedAnswer('the token answer has an invalid expires_in');
  return seconds;
}

// ---------------------------------------------------------------------------------------------
// Failures → the core's errors: the one table.

/** Everything that can go wrong with one call, as the client observed it. */
export type Failure =
  /** The lookup's own deadline (`timeoutMs`) passed. */
  | { kind: 'deadline'; timeoutMs: number }
  /** The caller's signal aborted the call (the guard's timeout, a shutdown). */
  | { kind: 'aborted'; timeoutMs: number }
  /** No HTTP answer: refused, reset, DNS, TLS, axios's per-request timeout. `code` is Node's or axios's. */
  | { kind: 'transport'; code: string | undefined; message: string; timeoutMs: number; cause: unknown }
  | ({ kind: 'http'; phase: 'token' | 'lookup' } & WireAnswer)
  | { kind: 'malformed'; reason: string };

type FailureClass = 'timeout' | 'connection' | 'http_5xx' | 'rate_limited' | 'credentials' | 'token_refused' | 'rejected' | 'malformed';

/** axios reports its own timeout as ECONNABORTED (or ETIMEDOUT with clarifyTimeoutError). */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['ECONNABORTED', 'ETIMEDOUT']);

function classify(f: Failure): FailureClass {
  switch (f.kind) {
    case 'deadline':
    case 'aborted':
      return 'timeout';
    case 'transport':
      if (f.code !== undefined && TIMEOUT_CODES.has(f.code)) return 'timeout';
      // axios: a body over maxContentLength, or one it could not decode.
      return f.code === 'ERR_BAD_RESPONSE' ? 'malformed' : 'connection';
    case 'malformed':
      return 'malformed';
    case 'http':
      if (f.status === 429) return 'rate_limited';
      if (f.status >= 500) return 'http_5xx';
      if (f.status >= 400 && f.phase === 'token') return 'credentials';
      if (f.status === 401) return 'token_refused';
      if (f.status >= 400) return 'rejected';
      return 'malformed';
  }
}

/** `{error, error_description}` of an error body, when it has them. */
function oauthError(body: string): { error: string | null; description: string | null } {
  try {
    const parsed = parseJson(body);
    if (isFields(parsed)) {
      const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
      return { error: str(parsed.error), description: str(parsed.error_description) };
    }
  } catch {
    // An error page that is not JSON (a proxy's HTML) carries no code.
  }
  return { error: null, description: null };
}

/** Retry-After as seconds (RFC 9110: delay-seconds or an HTTP-date); undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function describe(f: Failure): string {
  switch (f.kind) {
    case 'deadline':
      return `no answer within ${f.timeoutMs} ms`;
    case 'aborted':
      return 'the call was aborted by its caller';
    case 'transport':
      return `${f.code ?? 'connection error'}: ${f.message}`;
    case 'malformed':
      return `malformed answer: ${f.reason}`;
    case 'http': {
      const { error, description } = oauthError(f.body);
      const said = [error, description].filter((s) => s !== null).join(': ');
      return `HTTP ${f.status} from ${f.phase === 'token' ? 'the token endpoint' : 'chiTietDoanhNghiep'}${said ? ` (${said})` : ''}`;
    }
  }
}

const timeoutOf = (f: Failure) => ('timeoutMs' in f ? f.timeoutMs : 0);
const causeOf = (f: Failure) => (f.kind === 'transport' ? { cause: f.cause } : undefined);

/**
 * The table. Bad client credentials (any 4xx from the token endpoint) and a lookup that refuses a
 * freshly issued token are our configuration problem, not the officer's and not a payload the
 * registry refused: they answer 503 upstream_unavailable (reason `credentials`) with a message
 * naming the settings to check, and count as failures so the circuit and ops see them.
 */
const ERRORS: Readonly<Record<FailureClass, (f: Failure) => UpstreamError>> = {
  timeout: (f) => new UpstreamTimeout(`${UPSTREAM}: ${describe(f)}`, { upstream: UPSTREAM, timeoutMs: timeoutOf(f) }, causeOf(f)),
  connection: (f) => new UpstreamUnavailable(`${UPSTREAM}: ${describe(f)}`, { upstream: UPSTREAM, reason: 'connection' }, causeOf(f)),
  http_5xx: (f) => new UpstreamUnavailable(`${UPSTREAM}: ${describe(f)}`, { upstream: UPSTREAM, reason: 'http_5xx', ...retryAfter(f) }),
  rate_limited: (f) => new UpstreamUnavailable(`${UPSTREAM}: ${describe(f)}`, { upstream: UPSTREAM, reason: 'rate_limited', ...retryAfter(f) }),
  credentials: (f) =>
    new UpstreamUnavailable(`${UPSTREAM}: ${describe(f)}; check DKDN_URL, DKDN_CLIENT_ID and DKDN_CLIENT_SECRET`, {
      upstream: UPSTREAM,
      reason: 'credentials',
    }),
  token_refused: (f) =>
    new UpstreamUnavailable(`${UPSTREAM}: ${describe(f)} with a freshly issued token; check that the client may call this service`, {
      upstream: UPSTREAM,
      reason: 'credentials',
    }),
  rejected: (f) => {
    const { error, description } = f.kind === 'http' ? oauthError(f.body) : { error: null, description: null };
    return new UpstreamRejected(description ?? `${UPSTREAM}: ${describe(f)}`, { upstream: UPSTREAM, upstreamCode: error, upstreamMessage: description });
  },
  malformed: (f) => new UpstreamBadResponse(`${UPSTREAM}: ${describe(f)}`, { upstream: UPSTREAM }, causeOf(f)),
};

function retryAfter(f: Failure): { retryAfterSeconds?: number } {
  const seconds = f.kind === 'http' ? retryAfterSeconds(f.retryAfter) : undefined;
  return seconds === undefined ? {} : { retryAfterSeconds: seconds };
}

export function toUpstreamError(failure: Failure): UpstreamError {
  return ERRORS[classify(failure)](failure);
}
