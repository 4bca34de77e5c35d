/**
 * An in-memory National Public Service Portal for unit tests. It keeps what the real portal keeps and
 * refuses what it refuses, as seen through the DVCQG adapter: the adapter switches `isUpdating` by
 * itself, so `knownToPortal` never changes an outcome here either.
 */
import { MAX_PROGRESS_PER_CALL, type PortalDossier, type ProgressItem } from '../../src/domain/dossier.js';
import { UpstreamRejected } from '../../src/domain/errors.js';
import type { CallContext } from '../../src/ports/call-context.js';
import type { NationalPortal } from '../../src/ports/national-portal.js';
import { dossierProblem, progressProblem } from '../dvcqg/simulator-portal.js';
import { FakeWithFaults } from './faults.js';
import { tamperStored } from '../shared/tamper.js';

const UPSTREAM = 'dvcqg';

export interface FakePortalOptions {
  /** Refuse dossiers and steps missing a field the portal requires (code `1`), as the simulator does. Default true. */
  validate?: boolean;
  /** How long a call armed with `hangNext` waits without a signal before UpstreamTimeout, ms. Default 10000. */
  timeoutMs?: number;
}

/** One accepted DongBoHoSoMC; `isUpdating` is what the adapter ends up sending: whether the portal held the dossier. */
export interface FakeSync {
  seq: number;
  isUpdating: 'True' | 'False';
  dossier: PortalDossier;
}

export interface FakePortalCall {
  method: 'syncDossier' | 'updateProgress' | 'findDossier';
  maHoSo: string[];
  /** `ok`, or the `code` of the error raised. */
  outcome: string;
}

export class FakeNationalPortal extends FakeWithFaults implements NationalPortal {
  private readonly latest = new Map<string, PortalDossier>();
  private readonly synced: FakeSync[] = [];
  private readonly progressBy = new Map<string, ProgressItem[]>();
  private readonly log: FakePortalCall[] = [];
  private rejected = new Set<string>();
  private readonly validate: boolean;

  constructor(options: FakePortalOptions = {}) {
    super(UPSTREAM, options.timeoutMs ?? 10_000);
    this.validate = options.validate ?? true;
  }

  async syncDossier(dossier: PortalDossier, _options: { knownToPortal: boolean }, context?: CallContext): Promise<void> {
    await this.logged('syncDossier', [dossier.MaHoSo], context, () => {
      const problem = this.validate ? dossierProblem(dossier) : null;
      if (problem) throw refusal('DongBoHoSoMC', '1', problem);
      if (this.rejected.has(dossier.MaHoSo)) throw refusal('DongBoHoSoMC', '9', 'Dữ liệu hồ sơ không hợp lệ');
      const isUpdating = this.latest.has(dossier.MaHoSo) ? 'True' : 'False';
      this.latest.set(dossier.MaHoSo, structuredClone(dossier));
      this.synced.push({ seq: this.synced.length + 1, isUpdating, dossier: structuredClone(dossier) });
    });
  }

  async updateProgress(items: ProgressItem[], context?: CallContext): Promise<void> {
    // As the adapter: an empty list is no call at all.
    if (items.length === 0) return;
    await this.logged('updateProgress', [...new Set(items.map((i) => i.MaHoSo))], context, () => {
      if (items.length > MAX_PROGRESS_PER_CALL) {
        throw refusal('CapNhatTienDoHoSoMC', '2', `Số lượng tiến độ vượt quá ${MAX_PROGRESS_PER_CALL} trong một lần gọi (${items.length})`);
      }
      // Checked whole before anything is stored: the portal takes a call entirely or not at all.
      for (const [i, item] of items.entries()) {
        const problem = this.validate ? progressProblem(item) : null;
        if (problem) throw refusal('CapNhatTienDoHoSoMC', '1', `data[${i}]: ${problem}`);
        if (!this.latest.has(item.MaHoSo)) throw refusal('CapNhatTienDoHoSoMC', '5', `Hồ sơ không tồn tại: ${item.MaHoSo}`);
      }
      for (const item of items) {
        const list = this.progressBy.get(item.MaHoSo) ?? [];
        list.push(structuredClone(item));
        this.progressBy.set(item.MaHoSo, list);
      }
    });
  }

  async findDossier(maHoSo: string, context?: CallContext): Promise<PortalDossier | null> {
    return this.logged('findDossier', [maHoSo], context, () => {
      const found = this.latest.get(maHoSo);
      return found === undefined ? null : structuredClone(found);
    });
  }

  /** Tampering, as the simulator's: the portal loses the dossier (and its progress); false when unknown. */
  forgetDossier(maHoSo: string): boolean {
    this.progressBy.delete(maHoSo);
    return this.latest.delete(maHoSo);
  }

  /** Tampering: stored fields change without a call (null removes one); the dossier as now stored. */
  tamperDossier(maHoSo: string, changes: Record<string, unknown>): PortalDossier | undefined {
    const stored = this.latest.get(maHoSo);
    if (stored === undefined) return undefined;
    return tamperStored(stored, changes);
  }

  /** DongBoHoSoMC of these dossiers is refused (error_code 9) from now on; replaces the previous set. */
  rejectMaHoSo(codes: Iterable<string>): void {
    this.rejected = new Set(codes);
  }

  /** The latest accepted data of a dossier. */
  dossier(maHoSo: string): PortalDossier | undefined {
    const d = this.latest.get(maHoSo);
    return d === undefined ? undefined : structuredClone(d);
  }

  /** Every accepted sync, in order, of one dossier or of all. */
  history(maHoSo?: string): FakeSync[] {
    return structuredClone(maHoSo === undefined ? this.synced : this.synced.filter((s) => s.dossier.MaHoSo === maHoSo));
  }

  /** Accepted steps of a dossier, in arrival order. */
  progress(maHoSo: string): ProgressItem[] {
    return structuredClone(this.progressBy.get(maHoSo) ?? []);
  }

  /** Every port call, refused and failed ones included, in order. */
  calls(): FakePortalCall[] {
    return this.log.map((c) => ({ ...c, maHoSo: [...c.maHoSo] }));
  }

  /** Forgets dossiers, steps, history, calls, faults and rejections. */
  reset(): void {
    this.latest.clear();
    this.synced.length = 0;
    this.progressBy.clear();
    this.log.length = 0;
    this.rejected.clear();
    this.faults.clear();
  }

  private async logged<T>(method: FakePortalCall['method'], maHoSo: string[], context: CallContext | undefined, work: () => T): Promise<T> {
    const call: FakePortalCall = { method, maHoSo, outcome: 'ok' };
    this.log.push(call);
    try {
      await this.faults.enter(context);
      return work();
    } catch (error) {
      call.outcome = (error as { code?: unknown }).code === undefined ? 'error' : String((error as { code: unknown }).code);
      throw error;
    }
  }
}

function refusal(service: string, code: string, message: string): UpstreamRejected {
  return new UpstreamRejected(`DVCQG ${service} refused: error_code ${code} (${message})`, {
    upstream: UPSTREAM,
    upstreamCode: code,
    upstreamMessage: message,
  });
}
