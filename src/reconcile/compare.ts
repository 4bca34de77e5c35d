/**
 * What reconciliation compares (shared/API.md "Reconciliation"): the fields the indicators score, the
 * portal's copy against the delivered revision. Values are compared after a normalisation that
 * forgives only differences of notation, never of meaning:
 *
 * - codes (`TrangThaiHoSo`, `KenhThucHien`): a number or a string of digits, compared as integers
 *   (`4`, `"4"` and `"04"` agree; `"4a"` is compared as the text it is);
 * - `MaTTHC`: text, ignoring surrounding spaces;
 * - dates: `yyyyMMddHHmmss` local time; a portal answering a number (`20261129093000`), ISO-like text
 *   (`2026-11-29 09:30:00`, `2026-11-29T09:30:00`) or `dd/MM/yyyy HH:mm:ss` means the same instant;
 * - absent, null and "" are the same: absent. Absent on one side and present on the other is a drift.
 */

export const COMPARED_FIELDS = ['TrangThaiHoSo', 'KenhThucHien', 'MaTTHC', 'NgayTiepNhan', 'NgayHenTra', 'NgayKetThucXuLy', 'NgayTra'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

const CODE_FIELDS = new Set<string>(['TrangThaiHoSo', 'KenhThucHien']);
const DATE_FIELDS = new Set<string>(['NgayTiepNhan', 'NgayHenTra', 'NgayKetThucXuLy', 'NgayTra']);

/** The compared fields of a dossier, as given (absent ones left out). */
export type ExpectedFields = Partial<Record<ComparedField, unknown>>;

export interface FieldDrift {
  field: ComparedField;
  /** The portal's value as it answered it; null when absent. */
  portal: unknown;
  /** The delivered revision's value as the source sent it; null when absent. */
  expected: unknown;
}

export function pickCompared(dossier: Record<string, unknown>): ExpectedFields {
  const out: ExpectedFields = {};
  for (const f of COMPARED_FIELDS) {
    const v = dossier[f];
    if (!absent(v)) out[f] = v;
  }
  return out;
}

/** The fields on which the portal's copy differs from what was delivered, in the order of COMPARED_FIELDS. */
export function compareDossier(expected: ExpectedFields, portal: Record<string, unknown>): FieldDrift[] {
  const drifts: FieldDrift[] = [];
  for (const field of COMPARED_FIELDS) {
    const e = expected[field];
    const p = portal[field];
    if (normalise(field, e) !== normalise(field, p)) drifts.push({ field, portal: absent(p) ? null : p, expected: absent(e) ? null : e });
  }
  return drifts;
}

function absent(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/** A canonical text for a field's value; null for absent. */
export function normalise(field: string, value: unknown): string | null {
  if (absent(value)) return null;
  if (CODE_FIELDS.has(field)) {
    if (typeof value === 'number' && Number.isInteger(value)) return String(value);
    if (typeof value === 'string' && /^\s*\d{1,9}\s*$/.test(value)) return String(Number(value));
    return typeof value === 'string' ? `text:${value}` : `json:${JSON.stringify(value)}`;
  }
  if (DATE_FIELDS.has(field)) {
    const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : null;
    if (text === null) return `json:${JSON.stringify(value)}`;
    return portalTimestamp(text) ?? `text:${text}`;
  }
  return typeof value === 'string' ? value.trim() : `json:${JSON.stringify(value)}`;
}

const COMPACT = /^(\d{14})$/;
const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/;
const DAY_FIRST = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;

/** `yyyyMMddHHmmss` for the notations a portal may answer a local date-time in; null for anything else. */
function portalTimestamp(text: string): string | null {
  if (COMPACT.test(text)) return text;
  const iso = ISO_LIKE.exec(text);
  if (iso) return iso.slice(1, 7).join('');
  const dayFirst = DAY_FIRST.exec(text);
  if (dayFirst) {
    const [, d, mo, y, h, mi, s] = dayFirst;
    return `${y}${mo}${d}${h}${mi}${s}`;
  }
  return null;
}

/** NgayTiepNhan's local date as `yyyy-MM-dd` (for a PostgreSQL date), or null when it is not a portal timestamp. */
export function receivedOn(expected: ExpectedFields): string | null {
  const v = expected.NgayTiepNhan;
  const ts = typeof v === 'string' ? portalTimestamp(v.trim()) : typeof v === 'number' ? portalTimestamp(String(v)) : null;
  if (ts === null) return null;
  return `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}`;
}
