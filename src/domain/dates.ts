/**
 * The portal's timestamps: `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh, which is UTC+7 all year (no DST),
 * so a fixed offset is exact and needs no time-zone database.
 */
const OFFSET_MS = 7 * 60 * 60 * 1000;
const PORTAL_TIMESTAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

export function toPortalTimestamp(date: Date): string {
  const local = new Date(date.getTime() + OFFSET_MS);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    pad(local.getUTCFullYear(), 4) +
    pad(local.getUTCMonth() + 1) +
    pad(local.getUTCDate()) +
    pad(local.getUTCHours()) +
    pad(local.getUTCMinutes()) +
    pad(local.getUTCSeconds())
  );
}

/** Parses a portal timestamp; null when it is not a real instant written as `yyyyMMddHHmmss`. */
export function fromPortalTimestamp(value: string): Date | null {
  const m = PORTAL_TIMESTAMP.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(utc);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null;
  return new Date(utc - OFFSET_MS);
}

export function isPortalTimestamp(value: string): boolean {
  return fromPortalTimestamp(value) !== null;
}
