/**
 * What the civil-status registry answers, read into the gateway's vocabulary (shared/UPSTREAMS.md §4,
 * whose whole protocol is **assumed**): a `KetQua` entry → BirthRegistrationRecord, and every failure
 * through the table shared by the registries behind NGSP. Every assumed value is in the tables here.
 */
import type { UpstreamError } from '../../src/domain/errors.js';
import type { PersonRef } from '../../src/domain/records.js';
import { readOrBadResponse, toUpstreamError as ngspError, UnexpectedAnswer, type Failure, type NgspUpstream, type WireAnswer } from '../shared/ngsp/errors.js';
import type { BirthRegistrationRecord } from './records.js';

export const UPSTREAM = 'hotich';
export const HOTICH: NgspUpstream = { upstream: UPSTREAM, operation: 'traCuuKhaiSinh', settings: 'HOTICH_URL, HOTICH_CLIENT_ID and HOTICH_CLIENT_SECRET' };

// ---------------------------------------------------------------------------------------------
// Wire shapes, field names as the registry spells them. Fixtures and the simulator write these; the
// adapter reads answers as `unknown` and checks every field.

export interface WirePerson {
  HoTen?: string | null;
  SoDinhDanh?: string | null;
}

export interface WireBirth {
  SoDinhDanh: string;
  HoTen?: string | null;
  /** yyyy-MM-dd (or yyyy when only the year is known) */
  NgaySinh?: string | null;
  GioiTinh?: number | string | null;
  NoiSinh?: string | null;
  QueQuan?: string | null;
  DanToc?: string | null;
  QuocTich?: string | null;
  SoDangKy?: string | null;
  QuyenSo?: string | null;
  /** yyyy-MM-dd */
  NgayDangKy?: string | null;
  CoQuanDangKy?: { Ma?: string | null; Ten?: string | null } | null;
  Cha?: WirePerson | null;
  Me?: WirePerson | null;
}

/** GioiTinh codes, **assumed** as for the population DB: 1 male, 2 female, 0 other. */
export const GENDER_CODES: Readonly<Record<string, BirthRegistrationRecord['gender']>> = { '1': 'male', '2': 'female', '0': 'other' };

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text as given, trimmed; absent, empty or blank is null; anything but a string breaks the protocol. */
function text(obj: Fields, field: string, path: string): string | null {
  const value = obj[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new UnexpectedAnswer(`${path}.${field} is not a string`);
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** A name: its words joined by one space. */
function name(obj: Fields, field: string, path: string): string | null {
  return text(obj, field, path)?.split(/\s+/).join(' ') ?? null;
}

function calendar(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

/** `yyyy-MM-dd` as given, or `yyyy` when `yearAllowed`; anything else breaks the protocol. */
function date(obj: Fields, field: string, path: string, yearAllowed: boolean): string | null {
  const value = text(obj, field, path);
  if (value === null) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m && calendar(m[1]!, m[2]!, m[3]!)) return value;
  if (yearAllowed && /^\d{4}$/.test(value)) return value;
  throw new UnexpectedAnswer(`${path}.${field} is not a yyyy-MM-dd date`);
}

function gender(obj: Fields, path: string): BirthRegistrationRecord['gender'] {
  const value = obj.GioiTinh;
  if (value === undefined || value === null || value === '') return null;
  const code = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : undefined;
  const known = code === undefined ? undefined : GENDER_CODES[code];
  if (known === undefined) throw new UnexpectedAnswer(`${path}.GioiTinh is not a known code`);
  return known;
}

/** An object field; absent or null is null. */
function object(obj: Fields, field: string, path: string): Fields | null {
  const value = obj[field];
  if (value === undefined || value === null) return null;
  if (!isFields(value)) throw new UnexpectedAnswer(`${path}.${field} is not an object`);
  return value;
}

function person(obj: Fields, field: string, path: string): PersonRef | null {
  const p = object(obj, field, path);
  if (!p) return null;
  const ref = { fullName: name(p, 'HoTen', `${path}.${field}`), idNumber: text(p, 'SoDinhDanh', `${path}.${field}`) };
  return ref.fullName === null && ref.idNumber === null ? null : ref;
}

function registeredBy(obj: Fields, path: string): BirthRegistrationRecord['registeredBy'] {
  const agency = object(obj, 'CoQuanDangKy', path);
  if (!agency) return null;
  const by = { code: text(agency, 'Ma', `${path}.CoQuanDangKy`), name: text(agency, 'Ten', `${path}.CoQuanDangKy`) };
  return by.code === null && by.name === null ? null : by;
}

/** One `KetQua` entry → the canonical record; an answer about another person is never shown as the one asked for. */
export function toBirthRegistration(entry: unknown, requestedId: string, now: Date = new Date()): BirthRegistrationRecord {
  const path = 'KetQua[0]';
  if (!isFields(entry)) throw new UnexpectedAnswer(`${path} is not an object`);
  const idNumber = text(entry, 'SoDinhDanh', path);
  if (idNumber === null) throw new UnexpectedAnswer(`${path}.SoDinhDanh is missing`);
  if (idNumber !== requestedId) throw new UnexpectedAnswer('the registry answered about another citizen than the one asked for');
  return {
    idNumber,
    fullName: name(entry, 'HoTen', path),
    dateOfBirth: date(entry, 'NgaySinh', path, true),
    gender: gender(entry, path),
    birthPlace: text(entry, 'NoiSinh', path),
    hometown: text(entry, 'QueQuan', path),
    ethnicity: text(entry, 'DanToc', path),
    nationality: text(entry, 'QuocTich', path),
    registrationNumber: text(entry, 'SoDangKy', path),
    registrationBook: text(entry, 'QuyenSo', path),
    registeredOn: date(entry, 'NgayDangKy', path, false),
    registeredBy: registeredBy(entry, path),
    father: person(entry, 'Cha', path),
    mother: person(entry, 'Me', path),
    source: 'hotich',
    retrievedAt: now.toISOString(),
  };
}

function results(body: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new UnexpectedAnswer('the body is not JSON');
  }
  if (!isFields(parsed) || !Array.isArray(parsed.KetQua)) throw new UnexpectedAnswer('the body has no KetQua list');
  return parsed.KetQua;
}

/**
 * Reads the answer to `traCuuKhaiSinh`: a record, or null when there is none (`KetQua` empty, with
 * 200 or 404). Throws the core's errors.
 */
export function lookupOutcome(answer: WireAnswer, requestedId: string, now: Date = new Date()): BirthRegistrationRecord | null {
  if (answer.status === 200) {
    return readOrBadResponse(HOTICH, () => {
      const found = results(answer.body);
      return found.length === 0 ? null : toBirthRegistration(found[0], requestedId, now);
    });
  }
  if (answer.status === 404) {
    try {
      if (results(answer.body).length === 0) return null;
    } catch {
      // not an empty KetQua: a refusal like any other 4xx
    }
  }
  throw ngspError(HOTICH, { kind: 'http', phase: 'lookup', ...answer });
}

export function toUpstreamError(failure: Failure): UpstreamError {
  return ngspError(HOTICH, failure);
}
