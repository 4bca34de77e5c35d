/**
 * Dossiers, revisions and progress items as the city's system pushes them. Field names at the
 * boundary are the portal's own (`MaHoSo`, `TrangThaiHoSo`); everything the gateway does not know
 * passes through unchanged, hence the index signatures.
 */

/** Dossier status codes (`TrangThaiHoSo`, and `TrangThai` of progress items). */
export const DOSSIER_STATUS = {
  1: 'Mới đăng ký',
  2: 'Được tiếp nhận',
  3: 'Không được tiếp nhận',
  4: 'Đang xử lý',
  5: 'Yêu cầu bổ sung giấy tờ',
  6: 'Yêu cầu thực hiện nghĩa vụ tài chính',
  7: 'Công dân yêu cầu rút hồ sơ',
  8: 'Dừng xử lý',
  9: 'Đã xử lý xong',
  10: 'Đã trả kết quả',
} as const;

export type DossierStatus = keyof typeof DOSSIER_STATUS;

/** The portal's dossier object (`data[]` of DongBoHoSoMC). */
export interface PortalDossier {
  MaHoSo: string;
  MaTTHC: string;
  TrangThaiHoSo: number;
  [field: string]: unknown;
}

/** A processing step (`data[]` of CapNhatTienDoHoSoMC). */
export interface ProgressItem {
  MaHoSo: string;
  ThoiDiemXuLy: string;
  TrangThai: number;
  [field: string]: unknown;
}

/** What the source pushes: one revision of one dossier, with the progress new in it. */
export interface DossierRevision {
  revision: number;
  dossier: PortalDossier;
  progress: ProgressItem[];
}

export type AcceptOutcome =
  | { outcome: 'accepted'; maHoSo: string; revision: number }
  | { outcome: 'duplicate'; maHoSo: string; revision: number }
  | { outcome: 'stale'; maHoSo: string; revision: number; currentRevision: number };

export type DeliveryState = 'pending' | 'retrying' | 'delivered' | 'dead';

export interface DossierSyncStatus {
  maHoSo: string;
  acceptedRevision: number;
  deliveredRevision: number | null;
  state: DeliveryState;
  attempts: number;
  pendingProgress: number;
  lastError: { code: string; message: string; at: string } | null;
  deliveredAt: string | null;
}

/** A progress item is identified by (MaHoSo, ThoiDiemXuLy, TrangThai); MaHoSo is implied per dossier. */
export function progressItemKey(item: Pick<ProgressItem, 'ThoiDiemXuLy' | 'TrangThai'>): string {
  return `${item.ThoiDiemXuLy}|${item.TrangThai}`;
}

/** Portal order of a dossier's steps: by ThoiDiemXuLy, then status code, then arrival. */
export function compareProgress(a: ProgressItem, b: ProgressItem): number {
  if (a.ThoiDiemXuLy !== b.ThoiDiemXuLy) return a.ThoiDiemXuLy < b.ThoiDiemXuLy ? -1 : 1;
  return a.TrangThai - b.TrangThai;
}

/** Splits into calls of at most `size` items, keeping order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const MAX_PROGRESS_PER_CALL = 10;
