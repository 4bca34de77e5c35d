/**
 * Every rule of shared/KPI.md that reads dossier data, in one place, so each can be checked against
 * the official texts of Decisions 4445/QĐ-UBND and 766/QĐ-TTg and corrected here alone. Rules marked
 * ASSUMED are the gateway's reading where the public record is unclear (docs/kpi.md lists them).
 */
import { fromPortalTimestamp } from '../domain/dates.js';

/** `1` and `"1"` are equal in every flag and code; anything else (absent, null, "x", 1.5) is no code. */
export function code(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  // ASSUMED: a string code is decimal digits, surrounding spaces ignored ("01" is 1).
  if (typeof value === 'string' && /^\s*\d{1,6}\s*$/.test(value)) return Number(value.trim());
  return null;
}

/** A flag "= 1": absent is not 1. */
export const isOne = (value: unknown): boolean => code(value) === 1;

/** A dossier's unit: the agency code that opens MaHoSo, the text before the first "-". */
export function unitOf(maHoSo: string): string {
  // ASSUMED: a MaHoSo without "-" belongs to a unit named by the whole code.
  const dash = maHoSo.indexOf('-');
  return dash < 0 ? maHoSo : maHoSo.slice(0, dash);
}

/** A portal date (`yyyyMMddHHmmss`, local time); empty, absent or malformed: none. */
export function portalDate(value: unknown): Date | null {
  return typeof value === 'string' ? fromPortalTimestamp(value) : null;
}

/** `Gia` a number, or a numeric string, greater than 0. */
export function positiveAmount(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0;
  // ASSUMED: a numeric string is a plain decimal ("50000", "50000.00", " 1.5 "); no exponent, no separators.
  if (typeof value === 'string' && /^\s*\+?(\d+(\.\d*)?|\.\d+)\s*$/.test(value)) return Number(value) > 0;
  return false;
}

export const KENH_ONLINE = 2; // KenhThucHien 2: online
export const STATUS_SUPPLEMENT = 5; // TrangThai 5 of a progress item: a supplement request

/** The facts of one revision that the indicators need, and nothing else (no personal data). */
export interface DossierFacts {
  maHoSo: string;
  unit: string;
  maTTHC: string | null;
  status: number | null;
  channel: number | null;
  receivedAt: Date | null;
  dueAt: Date | null;
  finishedAt: Date | null;
  returnedAt: Date | null;
  feeBearing: boolean;
  paidOnline: boolean;
  vneid: boolean;
  reusedDigitised: boolean;
  resultDocuments: boolean;
}

export function dossierFacts(maHoSo: string, d: Record<string, unknown>): DossierFacts {
  const fees = Array.isArray(d.DanhSachLePhi) ? d.DanhSachLePhi : [];
  const results = d.DanhSachGiayToKetQua;
  const maTTHC = typeof d.MaTTHC === 'string' && d.MaTTHC !== '' ? d.MaTTHC : null;
  return {
    maHoSo,
    unit: unitOf(maHoSo),
    maTTHC,
    status: code(d.TrangThaiHoSo),
    channel: code(d.KenhThucHien),
    receivedAt: portalDate(d.NgayTiepNhan),
    dueAt: portalDate(d.NgayHenTra),
    finishedAt: portalDate(d.NgayKetThucXuLy),
    returnedAt: portalDate(d.NgayTra),
    feeBearing: fees.some((f) => typeof f === 'object' && f !== null && positiveAmount((f as Record<string, unknown>).Gia)),
    paidOnline: [1, 2].includes(code(d.DuocThanhToanTrucTuyen) ?? -1),
    vneid: isOne(d.TaiKhoanDuocXacThucVoiVNeID),
    reusedDigitised: isOne(d.HoSoCoThanhPhanSoHoa),
    resultDocuments: Array.isArray(results) && results.length > 0,
  };
}

/*
 * The SQL side of the same rules, over kpi_dossier rows (alias d). $asOf is the instant figures are
 * computed for. Kept here, beside the rules above, so the two readings cannot drift apart.
 */

/** Counted: TrangThaiHoSo neither 1 (new) nor 3 (refused at intake); absent counts. */
export const SQL_COUNTED = `d.status IS DISTINCT FROM 1 AND d.status IS DISTINCT FROM 3`;
/** Finished: TrangThaiHoSo 9 or 10. */
export const SQL_FINISHED = `d.status IN (9, 10)`;
/** Open for the overdue count and dossier warnings: 2, 4, 5, 6. */
export const SQL_OPEN = `d.status IN (2, 4, 5, 6)`;
/** Open and due-soon candidates: 2, 4, 6 (5 waits for the citizen). */
export const SQL_DUE_SOON_STATUS = `d.status IN (2, 4, 6)`;

/**
 * On time (766 indicator 2.1), the reference reading, the first rule that applies (shared/KPI.md "On time"):
 * 1. withdrawn (7): always; 2. two or more supplement requests: never;
 * 3. 8, 9, 10: end − pause ≤ NgayHenTra, end = NgayKetThucXuLy, else NgayTra, else the latest progress
 *    time, else asOf; with one supplement request at r the pause is c − r, c the first later progress
 *    item not 5 (else end);
 * 4. 5: the request's time ≤ NgayHenTra (no request recorded: asOf ≤ NgayHenTra);
 * 5. 2, 4, 6: asOf ≤ NgayHenTra.
 * ASSUMED: any other status (absent, or a code the portal does not define) is not on time, and a
 * dossier without a valid NgayHenTra is never on time except when withdrawn.
 */
export function sqlOnTimeReference(asOf: string): string {
  const end = `COALESCE(d.finished_at, d.returned_at, d.last_progress_at, ${asOf})`;
  return `(CASE
    WHEN d.status = 7 THEN true
    WHEN d.supplement_requests >= 2 THEN false
    WHEN d.status IN (8, 9, 10) THEN
      (${end} - CASE WHEN d.supplement_requests = 1 THEN COALESCE(d.resumed_at, ${end}) - d.supplement_at ELSE interval '0' END) <= d.due_at
    WHEN d.status = 5 THEN
      CASE WHEN d.supplement_requests = 1 THEN d.supplement_at <= d.due_at ELSE ${asOf} <= d.due_at END
    WHEN d.status IN (2, 4, 6) THEN ${asOf} <= d.due_at
    ELSE false
  END) IS TRUE`;
}

/**
 * On time as the figures compute it: the same rules, their asOf-independent part evaluated once per
 * row into the generated column on_time_by (migration 003-kpi-on-time-by.sql), so the test is one
 * comparison. test/kpi-on-time-by.test.ts checks it against sqlOnTimeReference case by case.
 */
export function sqlOnTime(asOf: string): string {
  return `(${asOf} <= d.on_time_by) IS TRUE`;
}
