/**
 * Identifier rules of shared/UPSTREAMS.md ("Identifier rules"). Each check returns null when the value
 * is valid, or a sentence naming the broken rule, which clients see as the `detail` of a 400.
 * Identifiers are strings throughout: `001099012345` keeps its leading zeros.
 */
import provinces from './province-codes.json' with { type: 'json' };

const PROVINCE_CODES: ReadonlyMap<string, string> = new Map(provinces.provinces.map((p) => [p.code, p.name]));

export function provinceName(code: string): string | undefined {
  return PROVINCE_CODES.get(code);
}

/** MaHoSo, path parameter, body field and `X-Dossier-Code`: 1–50 letters, digits, `.`, `-`, `_`. */
export const MA_HO_SO_PATTERN = '^[A-Za-z0-9._-]{1,50}$';
const MA_HO_SO = new RegExp(MA_HO_SO_PATTERN);

export function checkMaHoSo(value: string): string | null {
  if (value.length === 0 || value.length > 50) return 'MaHoSo must be 1 to 50 characters long';
  if (!MA_HO_SO.test(value)) return 'MaHoSo may contain only letters, digits, ".", "-" and "_"';
  return null;
}

/** Officer code (`X-Officer-Id`, MaCanBo): 1–64 letters, digits, spaces and . _ @ : / -, not starting or ending with a space. */
export function checkOfficerId(value: string): string | null {
  if (value.length === 0 || value.length > 64) return 'X-Officer-Id must be 1 to 64 characters long';
  if (!/^[\p{L}\p{N}._@:/-](?:[\p{L}\p{N}._@:/ -]*[\p{L}\p{N}._@:/-])?$/u.test(value)) {
    return 'X-Officer-Id may contain only letters, digits, inner spaces and . _ @ : / -';
  }
  return null;
}

/** A birth date given with a lookup: `yyyyMMdd` or `yyyy`. Returns the year, or a rule. */
export function parseBirthDate(value: string): { year: number; date: string | null } | string {
  if (/^\d{4}$/.test(value)) return { year: Number(value), date: null };
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) return 'ngaySinh must be yyyyMMdd or yyyy';
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    return `ngaySinh ${value} is not a calendar date`;
  }
  return { year, date: value };
}

/**
 * Citizen ID (CCCD): 12 digits; digits 1–3 a province code of birth registration; digit 4 century
 * and sex; digits 5–6 the last two digits of the birth year, which must agree with `birthYear`
 * when one is given.
 */
export function checkCitizenId(id: string, birthYear?: number): string | null {
  if (!/^\d+$/.test(id)) return 'a citizen ID (CCCD) contains only digits';
  if (id.length !== 12) return `a citizen ID (CCCD) has exactly 12 digits, not ${id.length}`;
  const province = id.slice(0, 3);
  if (!PROVINCE_CODES.has(province)) return `digits 1-3 of a citizen ID must be a province code; ${province} is none`;
  const centuryDigit = Number(id[3]);
  const century = 1900 + Math.floor(centuryDigit / 2) * 100;
  const idYear = century + Number(id.slice(4, 6));
  if (birthYear !== undefined && idYear !== birthYear) {
    return `digits 4-6 of the citizen ID give birth year ${idYear}, which does not agree with the birth date given (${birthYear})`;
  }
  return null;
}

/** Sex carried by digit 4 of a CCCD: even male, odd female. */
export function citizenIdSex(id: string): 'male' | 'female' {
  return Number(id[3]) % 2 === 0 ? 'male' : 'female';
}

const MST_WEIGHTS = [31, 29, 23, 19, 17, 13, 7, 5, 3] as const;

/**
 * Enterprise / tax code (MST): 10 digits, or `NNNNNNNNNN-NNN` for a branch. The check digit is
 * 10 − (Σ wᵢ·dᵢ mod 11); when that is 10 a check digit 0 is accepted (see UPSTREAMS.md).
 */
export function checkEnterpriseCode(code: string): string | null {
  const m = /^(\d{10})(?:-(\d{3}))?$/.exec(code);
  if (!m) {
    if (/^\d{13}$/.test(code)) return 'a branch enterprise code is written NNNNNNNNNN-NNN, with a hyphen';
    if (/^\d+$/.test(code)) return `an enterprise code has 10 digits (or 10-3 for a branch), not ${code.length}`;
    return 'an enterprise code is 10 digits, or NNNNNNNNNN-NNN for a branch';
  }
  const base = m[1]!;
  const digits = [...base].map(Number);
  if (base.slice(2, 9) === '0000000') return 'digits 3-9 of an enterprise code cannot all be zero';
  const sum = MST_WEIGHTS.reduce((acc, w, i) => acc + w * digits[i]!, 0);
  const expected = 10 - (sum % 11);
  const check = digits[9]!;
  const ok = expected === 10 ? check === 0 : check === expected;
  if (!ok) return `the check digit (10th) of enterprise code ${base} should be ${expected === 10 ? 0 : expected}, not ${check}`;
  if (m[2] === '000') return 'a branch suffix cannot be 000';
  return null;
}
