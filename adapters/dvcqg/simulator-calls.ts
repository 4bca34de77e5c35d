/** The simulator's log of every protocol request, so tests can check what the portal saw and answered. */

export interface SimulatorCall {
  /** Arrival order, from 1; keeps counting across reset(). */
  seq: number;
  /** Arrival time, ISO 8601. */
  at: string;
  /** `login`, or the `service` of the body (`DongBoHoSoMC`, …; `?` when the body has none). */
  service: string;
  /** `isUpdating` of a DongBoHoSoMC, as sent; null otherwise. */
  isUpdating: string | null;
  /** The MaHoSo the call is about, each once: of `data[]`, or the `MaHoSo` of a TraCuuHoSo. */
  maHoSo: string[];
  /** The steps of a CapNhatTienDoHoSoMC as `MaHoSo|ThoiDiemXuLy|TrangThai`, in order; empty otherwise. */
  steps: string[];
  /** HTTP status answered; null when the connection was destroyed, or is hanging. */
  httpStatus: number | null;
  /** error_code answered (as a number, whatever errorCodeFormat sent); null when there was none. */
  errorCode: number | null;
  /** The injected fault that decided the answer (`http_500`, `hang`, `down`, `fail_after_apply`, …), or null. */
  fault: string | null;
  /** Whether the call changed what the portal holds. */
  applied: boolean;
}

type Meta = Pick<SimulatorCall, 'service' | 'isUpdating' | 'maHoSo' | 'steps'>;

export class SimulatorCalls {
  private entries: SimulatorCall[] = [];
  private seq = 0;

  constructor(private readonly max: number) {}

  begin(meta: Meta): SimulatorCall {
    const call: SimulatorCall = { seq: ++this.seq, at: new Date().toISOString(), ...meta, httpStatus: null, errorCode: null, fault: null, applied: false };
    this.entries.push(call);
    // Trimmed in batches: dropping one entry per call would copy the whole log every time.
    if (this.entries.length > this.max + Math.ceil(this.max / 10)) this.entries.splice(0, this.entries.length - this.max);
    return call;
  }

  settle(call: SimulatorCall, outcome: Partial<Pick<SimulatorCall, 'httpStatus' | 'errorCode' | 'fault' | 'applied'>>): void {
    Object.assign(call, outcome);
  }

  all(): SimulatorCall[] {
    return this.entries.slice(-this.max).map((c) => ({ ...c, maHoSo: [...c.maHoSo], steps: [...c.steps] }));
  }

  clear(): void {
    this.entries = [];
  }
}

/** What the log says about a request, read leniently from whatever body arrived. */
export function describeRequest(route: 'login' | 'api', body: unknown): Meta {
  if (route === 'login') return { service: 'login', isUpdating: null, maHoSo: [], steps: [] };
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const service = typeof b.service === 'string' ? b.service : '?';
  const isUpdating = service === 'DongBoHoSoMC' && typeof b.isUpdating === 'string' ? b.isUpdating : null;
  let maHoSo: string[] = [];
  let steps: string[] = [];
  if (Array.isArray(b.data)) {
    const codes = b.data.map((d: unknown) => (d as { MaHoSo?: unknown } | null)?.MaHoSo);
    maHoSo = [...new Set(codes.filter((m): m is string => typeof m === 'string'))];
    if (service === 'CapNhatTienDoHoSoMC') {
      steps = b.data.map((d: unknown) => {
        const p = (d ?? {}) as { MaHoSo?: unknown; ThoiDiemXuLy?: unknown; TrangThai?: unknown };
        return `${String(p.MaHoSo)}|${String(p.ThoiDiemXuLy)}|${String(p.TrangThai)}`;
      });
    }
  } else if (typeof b.MaHoSo === 'string') {
    maHoSo = [b.MaHoSo];
  }
  return { service, isUpdating, maHoSo, steps };
}
