/**
 * The NationalPortal contract: what the sync core may rely on from any implementation, the DVCQG
 * adapter over its simulator and the in-memory fake alike. Tests share one harness per suite, so each
 * uses dossiers of its own.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../../adapters/dvcqg/fixtures/index.js';
import type { ProgressItem } from '../../src/domain/dossier.js';
import { UpstreamRejected, UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import type { NationalPortal } from '../../src/ports/national-portal.js';
import { failure } from './support.js';

export interface NationalPortalControl {
  /** Every call fails as the portal being unavailable (HTTP 503), until `restore()`. */
  unavailable(): void | Promise<void>;
  /** Every call goes unanswered, until `restore()`. */
  hang(): void | Promise<void>;
  /** DongBoHoSoMC of this dossier is refused by the portal, until `restore()`. */
  reject(maHoSo: string): void | Promise<void>;
  restore(): void | Promise<void>;
  /** What the portal holds, read beside the port: accepted syncs in order, with the `isUpdating` that won. */
  accepted(maHoSo: string): Array<{ isUpdating: string }> | Promise<Array<{ isUpdating: string }>>;
  /** Accepted steps of a dossier, in arrival order. */
  progress(maHoSo: string): ProgressItem[] | Promise<ProgressItem[]>;
}

export interface NationalPortalHarness {
  port: NationalPortal;
  control: NationalPortalControl;
  close(): Promise<void>;
}

export interface ContractOptions {
  /**
   * Names of tests this implementation is known to fail, each with the reason; they run as
   * `it.fails`, so fixing the implementation shows up as a failure asking to drop the entry.
   */
  knownDeviations?: Record<string, string>;
}

export const OVER_LIMIT_IS_REJECTED = 'a call of more than 10 steps is UpstreamRejected, not retryable';

const uniqueMaHoSo = () => `000.00.01.H26-${randomBytes(4).toString('hex')}`;
const steps = (m: string, n: number, from = 0): ProgressItem[] =>
  Array.from({ length: n }, (_, i) => sampleProgress(m, `2026112910${String(from + i).padStart(4, '0')}`, 4));

export function nationalPortalContract(name: string, factory: () => Promise<NationalPortalHarness>, options: ContractOptions = {}): void {
  const deviations = options.knownDeviations ?? {};
  const test = (title: string, body: () => Promise<void>) => (title in deviations ? it.fails : it)(title, body);

  describe(`NationalPortal contract: ${name}`, () => {
    let h: NationalPortalHarness;
    beforeAll(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.control.restore();
    });
    afterAll(async () => {
      await h?.close();
    });

    /** A dossier the portal already holds. */
    async function synced(): Promise<string> {
      const m = uniqueMaHoSo();
      await h.port.syncDossier(sampleDossier(m), { knownToPortal: false });
      return m;
    }

    test('a new dossier synced is then found as sent; an unknown one is not found', async () => {
      const m = uniqueMaHoSo();
      const dossier = sampleDossier(m);
      await h.port.syncDossier(dossier, { knownToPortal: false });
      expect(await h.port.findDossier(m)).toEqual(dossier);
      expect(await h.port.findDossier(uniqueMaHoSo())).toBeNull();
    });

    test('updates succeed whatever knownToPortal says, and the portal ends with the latest data', async () => {
      const m = uniqueMaHoSo();
      // Believed known, but new: the implementation must switch to a creation.
      await h.port.syncDossier(sampleDossier(m, { TrangThaiHoSo: 2 }), { knownToPortal: true });
      // Believed new, but known: it must switch to an update.
      await h.port.syncDossier(sampleDossier(m, { TrangThaiHoSo: 4 }), { knownToPortal: false });
      await h.port.syncDossier(sampleDossier(m, { TrangThaiHoSo: 5 }), { knownToPortal: true });
      expect((await h.control.accepted(m)).map((s) => s.isUpdating)).toEqual(['False', 'True', 'True']);
      expect(await h.port.findDossier(m)).toEqual(sampleDossier(m, { TrangThaiHoSo: 5 }));
    });

    test('a dossier missing a required field is UpstreamRejected and not stored', async () => {
      const m = uniqueMaHoSo();
      const error = await failure(h.port.syncDossier(sampleDossier(m, { TenTTHC: undefined }), { knownToPortal: false }));
      expect(error).toBeInstanceOf(UpstreamRejected);
      expect(await h.port.findDossier(m)).toBeNull();
    });

    test('steps after the sync are stored in the order sent, call after call', async () => {
      const m = await synced();
      const [a, b, c, d] = steps(m, 4);
      await h.port.updateProgress([c!, a!]);
      await h.port.updateProgress([d!, b!]);
      await h.port.updateProgress([]);
      expect((await h.control.progress(m)).map((p) => p.ThoiDiemXuLy)).toEqual([c, a, d, b].map((p) => p!.ThoiDiemXuLy));
    });

    test('exactly 10 steps in one call are accepted', async () => {
      const m = await synced();
      await h.port.updateProgress(steps(m, 10));
      expect(await h.control.progress(m)).toHaveLength(10);
    });

    test('a call of more than 10 steps is refused and none of them is stored', async () => {
      const m = await synced();
      await expect(h.port.updateProgress(steps(m, 11))).rejects.toThrow();
      expect(await h.control.progress(m)).toEqual([]);
    });

    test(OVER_LIMIT_IS_REJECTED, async () => {
      const m = await synced();
      const error = await failure(h.port.updateProgress(steps(m, 11)));
      expect(error).toBeInstanceOf(UpstreamRejected);
      expect((error as UpstreamRejected).retryable).toBe(false);
    });

    test('steps of a dossier the portal does not hold are UpstreamRejected, the whole call', async () => {
      const unknown = uniqueMaHoSo();
      const error = await failure(h.port.updateProgress(steps(unknown, 1)));
      expect(error).toBeInstanceOf(UpstreamRejected);
      expect((error as UpstreamRejected).retryable).toBe(false);
      const m = await synced();
      await expect(h.port.updateProgress([...steps(m, 1), ...steps(unknown, 1, 1)])).rejects.toBeInstanceOf(UpstreamRejected);
      expect(await h.control.progress(m)).toEqual([]);
      expect(await h.control.progress(unknown)).toEqual([]);
    });

    test('an unavailable portal is UpstreamUnavailable, retryable, and nothing is stored', async () => {
      const m = await synced();
      await h.control.unavailable();
      const errors = [
        await failure(h.port.syncDossier(sampleDossier(m, { TrangThaiHoSo: 4 }), { knownToPortal: true })),
        await failure(h.port.updateProgress(steps(m, 1))),
        await failure(h.port.findDossier(m)),
      ];
      for (const error of errors) {
        expect(error).toBeInstanceOf(UpstreamUnavailable);
        expect((error as UpstreamUnavailable).retryable).toBe(true);
      }
      await h.control.restore();
      expect(await h.port.findDossier(m)).toEqual(sampleDossier(m));
      expect(await h.control.progress(m)).toEqual([]);
    });

    test('a refusal of the dossier is UpstreamRejected, not retryable, with the portal code', async () => {
      const m = uniqueMaHoSo();
      await h.control.reject(m);
      const error = await failure(h.port.syncDossier(sampleDossier(m), { knownToPortal: false }));
      expect(error).toBeInstanceOf(UpstreamRejected);
      expect((error as UpstreamRejected).retryable).toBe(false);
      expect((error as UpstreamRejected).details.upstreamCode).toEqual(expect.any(String));
      await h.control.restore();
      expect(await h.port.findDossier(m)).toBeNull();
    });

    test('an unanswered call ends with UpstreamTimeout when the caller gives up', async () => {
      const m = await synced();
      await h.control.hang();
      const started = performance.now();
      const error = await failure(h.port.syncDossier(sampleDossier(m, { TrangThaiHoSo: 4 }), { knownToPortal: true }, { signal: AbortSignal.timeout(150) }));
      expect(error).toBeInstanceOf(UpstreamTimeout);
      expect((error as UpstreamTimeout).retryable).toBe(true);
      expect(performance.now() - started).toBeLessThan(1_000);
    });

    test('an already aborted call raises UpstreamTimeout and changes nothing', async () => {
      const m = await synced();
      const signal = AbortSignal.abort();
      const errors = [
        await failure(h.port.syncDossier(sampleDossier(m, { TrangThaiHoSo: 4 }), { knownToPortal: true }, { signal })),
        await failure(h.port.syncDossier(sampleDossier(uniqueMaHoSo()), { knownToPortal: false }, { signal })),
        await failure(h.port.updateProgress(steps(m, 1), { signal })),
        await failure(h.port.findDossier(m, { signal })),
      ];
      for (const error of errors) expect(error).toBeInstanceOf(UpstreamTimeout);
      expect(await h.control.accepted(m)).toHaveLength(1);
      expect(await h.port.findDossier(m)).toEqual(sampleDossier(m));
      expect(await h.control.progress(m)).toEqual([]);
    });
  });
}
