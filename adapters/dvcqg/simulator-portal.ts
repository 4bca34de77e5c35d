/**
 * The simulated portal's behaviour without HTTP: sessions, validation of the three services against
 * shared/UPSTREAMS.md §1, and what it stores, for readback. The simulator is held to UPSTREAMS.md, not
 * to the adapter: it answers what the text says the portal answers.
 */
import { randomBytes } from 'node:crypto';
import { fromPortalTimestamp } from '../../src/domain/dates.js';
import { isRejected, type DvcqgFaults } from './simulator-faults.js';
import { tamperStored } from '../shared/tamper.js';

/**
 * The simulator's error codes. 3 and 4 follow UPSTREAMS.md (4 being assumed there), 2 and 401 are its
 * assumed values; the others are the simulator's own choice, as the public record is silent.
 */
export const SIMULATOR_CODES = {
  ok: 0,
  /** A required field is missing or has a value outside its code list. */
  invalidField: 1,
  tooManyProgressItems: 2,
  alreadyExists: 3,
  unknownForUpdate: 4,
  /** CapNhatTienDoHoSoMC for a dossier the portal does not hold (never synced). */
  unknownForProgress: 5,
  /** Not the protocol: bad JSON, unknown service, missing madonvi or data. */
  badRequest: 6,
  badCredentials: 7,
  badDstcode: 8,
  sessionInvalid: 401,
} as const;

export const DOSSIER_REQUIRED_FIELDS = [
  'MaHoSo',
  'MaTTHC',
  'TenTTHC',
  'KenhThucHien',
  'ChuHoSo',
  'LoaiDoiTuong',
  'NgayTiepNhan',
  'NgayHenTra',
  'TrangThaiHoSo',
] as const;

export const PROGRESS_REQUIRED_FIELDS = ['MaHoSo', 'ThoiDiemXuLy', 'TrangThai'] as const;

export type Dossier = Record<string, unknown> & { MaHoSo: string };
export type Progress = Record<string, unknown> & { MaHoSo: string };

export interface SimulatorAnswer {
  errorCode: number;
  message: string;
  extra?: Record<string, unknown>;
  /** Whether the call changed what the portal holds. */
  applied: boolean;
}

export interface HistoryEntry {
  seq: number;
  at: string;
  isUpdating: 'True' | 'False';
  MaHoSo: string;
  dossier: Dossier;
}

export interface PortalCredentials {
  username: string;
  password: string;
  dstcode: string;
  /** When set, every call must carry exactly this madonvi; otherwise any non-empty one is taken. */
  madonvi: string | undefined;
}

type Body = Record<string, unknown>;

const answer = (errorCode: number, message: string, extra?: Record<string, unknown>): SimulatorAnswer => ({
  errorCode,
  message,
  applied: false,
  ...(extra ? { extra } : {}),
});

export class SimulatedPortal {
  private readonly latest = new Map<string, Dossier>();
  private readonly accepted: HistoryEntry[] = [];
  private readonly progressBy = new Map<string, Progress[]>();
  private readonly sessions = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly credentials: PortalCredentials,
    private readonly faults: () => DvcqgFaults,
  ) {}

  login(dstcode: string | undefined, body: Body): SimulatorAnswer {
    if (dstcode !== this.credentials.dstcode) return answer(SIMULATOR_CODES.badDstcode, 'dstcode không hợp lệ');
    if (body.username !== this.credentials.username || body.password !== this.credentials.password) {
      return answer(SIMULATOR_CODES.badCredentials, 'Sai tên đăng nhập hoặc mật khẩu');
    }
    const session = `SIM-${randomBytes(16).toString('hex')}`;
    this.sessions.set(session, Date.now());
    return answer(SIMULATOR_CODES.ok, 'Đăng nhập thành công', { session });
  }

  call(dstcode: string | undefined, body: Body): SimulatorAnswer {
    if (dstcode !== this.credentials.dstcode) return answer(SIMULATOR_CODES.badDstcode, 'dstcode không hợp lệ');
    if (!this.sessionValid(body.session)) return answer(SIMULATOR_CODES.sessionInvalid, 'session không hợp lệ hoặc đã hết hạn');
    const madonvi = body.madonvi;
    if (typeof madonvi !== 'string' || madonvi === '') return answer(SIMULATOR_CODES.badRequest, 'Thiếu trường bắt buộc: madonvi');
    if (this.credentials.madonvi !== undefined && madonvi !== this.credentials.madonvi) {
      return answer(SIMULATOR_CODES.badRequest, `madonvi không hợp lệ: ${madonvi}`);
    }
    switch (body.service) {
      case 'DongBoHoSoMC':
        return this.dongBo(body);
      case 'CapNhatTienDoHoSoMC':
        return this.capNhatTienDo(body);
      case 'TraCuuHoSo':
        return this.traCuu(body);
      default:
        return answer(SIMULATOR_CODES.badRequest, `Dịch vụ không được hỗ trợ: ${String(body.service)}`);
    }
  }

  expireSessions(): void {
    this.sessions.clear();
  }

  /** Forgets every dossier, progress item and history entry; sessions stay valid. */
  reset(): void {
    this.latest.clear();
    this.accepted.length = 0;
    this.progressBy.clear();
  }

  dossiers(): Dossier[] {
    return [...this.latest.values()].map((d) => structuredClone(d));
  }

  dossier(maHoSo: string): Dossier | undefined {
    const d = this.latest.get(maHoSo);
    return d === undefined ? undefined : structuredClone(d);
  }

  history(maHoSo?: string): HistoryEntry[] {
    return structuredClone(maHoSo === undefined ? this.accepted : this.accepted.filter((h) => h.MaHoSo === maHoSo));
  }

  progress(maHoSo: string): Progress[] {
    return structuredClone(this.progressBy.get(maHoSo) ?? []);
  }

  /**
   * Tampering, for reconciliation tests: the portal loses a dossier it acknowledged (its progress too),
   * as if its own store had dropped it. History keeps what was accepted. False when it held none.
   */
  forget(maHoSo: string): boolean {
    this.progressBy.delete(maHoSo);
    return this.latest.delete(maHoSo);
  }

  /**
   * Tampering: the stored dossier's fields change without any call (`null` or `undefined` removes one),
   * as if someone edited the portal's copy. Returns the dossier as now stored, or undefined when unknown.
   */
  tamper(maHoSo: string, changes: Record<string, unknown>): Dossier | undefined {
    const stored = this.latest.get(maHoSo);
    if (stored === undefined) return undefined;
    return tamperStored(stored, changes);
  }

  progressByDossier(): Record<string, Progress[]> {
    return structuredClone(Object.fromEntries(this.progressBy));
  }

  activeSessions(): number {
    return [...this.sessions.keys()].filter((s) => this.sessionValid(s)).length;
  }

  private sessionValid(session: unknown): boolean {
    if (typeof session !== 'string') return false;
    const issued = this.sessions.get(session);
    if (issued === undefined) return false;
    if (Date.now() - issued >= this.faults().sessionTtlMs) {
      this.sessions.delete(session);
      return false;
    }
    return true;
  }

  private dongBo(body: Body): SimulatorAnswer {
    const isUpdating = body.isUpdating;
    if (isUpdating !== 'True' && isUpdating !== 'False') {
      return answer(SIMULATOR_CODES.badRequest, 'isUpdating phải là "True" hoặc "False"');
    }
    const data = body.data;
    if (!Array.isArray(data) || data.length !== 1 || !isObject(data[0])) {
      return answer(SIMULATOR_CODES.badRequest, 'data phải chứa đúng một hồ sơ');
    }
    const dossier = data[0];
    const problem = dossierProblem(dossier);
    if (problem) return answer(SIMULATOR_CODES.invalidField, problem);
    const maHoSo = dossier.MaHoSo as string;
    const faults = this.faults();
    if (isRejected(faults, maHoSo)) return answer(faults.rejectErrorCode, faults.rejectMessage);
    const known = this.latest.has(maHoSo);
    if (isUpdating === 'False' && known) return answer(SIMULATOR_CODES.alreadyExists, 'Hồ sơ đã tồn tại');
    if (isUpdating === 'True' && !known) return answer(SIMULATOR_CODES.unknownForUpdate, 'Hồ sơ không tồn tại');
    const stored = structuredClone(dossier) as Dossier;
    this.latest.set(maHoSo, stored);
    this.accepted.push({ seq: ++this.seq, at: new Date().toISOString(), isUpdating, MaHoSo: maHoSo, dossier: structuredClone(stored) });
    return { ...answer(SIMULATOR_CODES.ok, 'Đồng bộ hồ sơ thành công'), applied: true };
  }

  private capNhatTienDo(body: Body): SimulatorAnswer {
    const data = body.data;
    if (!Array.isArray(data) || data.length === 0) return answer(SIMULATOR_CODES.badRequest, 'data phải là danh sách tiến độ');
    if (data.length > 10) {
      return answer(SIMULATOR_CODES.tooManyProgressItems, `Số lượng tiến độ vượt quá 10 trong một lần gọi (${data.length})`);
    }
    for (const [i, item] of data.entries()) {
      if (!isObject(item)) return answer(SIMULATOR_CODES.badRequest, `data[${i}] không phải là tiến độ`);
      const problem = progressProblem(item);
      if (problem) return answer(SIMULATOR_CODES.invalidField, `data[${i}]: ${problem}`);
      if (!this.latest.has(item.MaHoSo as string)) {
        return answer(SIMULATOR_CODES.unknownForProgress, `Hồ sơ không tồn tại: ${String(item.MaHoSo)}`);
      }
    }
    for (const item of data as Progress[]) {
      const list = this.progressBy.get(item.MaHoSo) ?? [];
      list.push(structuredClone(item));
      this.progressBy.set(item.MaHoSo, list);
    }
    return { ...answer(SIMULATOR_CODES.ok, 'Cập nhật tiến độ thành công'), applied: true };
  }

  private traCuu(body: Body): SimulatorAnswer {
    if (typeof body.MaHoSo !== 'string' || body.MaHoSo === '') return answer(SIMULATOR_CODES.badRequest, 'Thiếu trường bắt buộc: MaHoSo');
    const faults = this.faults();
    if (faults.lookupErrorCode !== 0) return answer(faults.lookupErrorCode, faults.lookupMessage);
    const found = this.latest.get(body.MaHoSo);
    return answer(SIMULATOR_CODES.ok, found ? 'Thành công' : 'Không tìm thấy hồ sơ', { result: found ? [structuredClone(found)] : [] });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function absent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** A code field: an integer, or a string of digits, within [min, max]. */
function codeIn(value: unknown, min: number, max: number): boolean {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= min && n <= max;
}

function timestamp(value: unknown): boolean {
  return typeof value === 'string' && fromPortalTimestamp(value) !== null;
}

/** The first problem of a dossier as the portal would word it, or null. */
export function dossierProblem(d: Record<string, unknown>): string | null {
  const missing: string[] = DOSSIER_REQUIRED_FIELDS.filter((f) => absent(d[f]));
  if (codeIn(d.TrangThaiHoSo, 10, 10) && absent(d.NgayTra)) missing.push('NgayTra');
  if (missing.length > 0) return `Thiếu trường bắt buộc: ${missing.join(', ')}`;
  const invalid: string[] = [];
  if (typeof d.MaHoSo !== 'string') invalid.push('MaHoSo');
  if (!codeIn(d.TrangThaiHoSo, 1, 10)) invalid.push('TrangThaiHoSo');
  if (!codeIn(d.KenhThucHien, 1, 3)) invalid.push('KenhThucHien');
  if (!codeIn(d.LoaiDoiTuong, 1, 4)) invalid.push('LoaiDoiTuong');
  for (const f of ['NgayTiepNhan', 'NgayHenTra', 'NgayTra']) if (!absent(d[f]) && !timestamp(d[f])) invalid.push(f);
  return invalid.length > 0 ? `Giá trị không hợp lệ: ${invalid.join(', ')}` : null;
}

export function progressProblem(item: Record<string, unknown>): string | null {
  const missing: string[] = PROGRESS_REQUIRED_FIELDS.filter((f) => absent(item[f]));
  if (missing.length > 0) return `Thiếu trường bắt buộc: ${missing.join(', ')}`;
  const invalid: string[] = [];
  if (typeof item.MaHoSo !== 'string') invalid.push('MaHoSo');
  if (!timestamp(item.ThoiDiemXuLy)) invalid.push('ThoiDiemXuLy');
  if (!codeIn(item.TrangThai, 1, 10)) invalid.push('TrangThai');
  return invalid.length > 0 ? `Giá trị không hợp lệ: ${invalid.join(', ')}` : null;
}
