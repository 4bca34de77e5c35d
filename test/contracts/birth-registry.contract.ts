/**
 * The civil-status registry contract: the adapter over its simulator and the fake both hold the
 * fixture births (adapters/hotich-rest/fixtures) and must answer the same canonical records.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_BIRTHS, UNKNOWN_ID } from '../../adapters/hotich-rest/fixtures/index.js';
import type { BirthRegistry } from '../../adapters/hotich-rest/index.js';
import { UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import { PURPOSE, failure, type RegistryControl } from './support.js';

export interface BirthRegistryHarness {
  port: BirthRegistry;
  control: RegistryControl;
  close(): Promise<void>;
}

export function birthRegistryContract(name: string, factory: () => Promise<BirthRegistryHarness>): void {
  describe(`BirthRegistry contract: ${name}`, () => {
    let h: BirthRegistryHarness;
    const find = (id: string, signal?: AbortSignal) => h.port.findBirthRegistration(id, PURPOSE, signal ? { signal } : {});
    beforeAll(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.control.restore();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('finds every fixture birth, as the canonical record', async () => {
      for (const f of FIXTURE_BIRTHS) {
        const found = await find(f.expected.idNumber);
        expect(found, f.label).not.toBeNull();
        const { retrievedAt, ...rest } = found!;
        expect(rest, f.label).toEqual(f.expected);
        expect(Number.isNaN(Date.parse(retrievedAt))).toBe(false);
      }
    });

    it('answers null for a valid ID the registry does not hold', async () => {
      expect(await find(UNKNOWN_ID)).toBeNull();
    });

    it('an unavailable upstream is UpstreamUnavailable, retryable', async () => {
      await h.control.unavailable();
      const error = await failure(find(FIXTURE_BIRTHS[0]!.expected.idNumber));
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect((error as UpstreamUnavailable).retryable).toBe(true);
      await h.control.restore();
      expect(await find(FIXTURE_BIRTHS[0]!.expected.idNumber)).not.toBeNull();
    });

    it('an unanswered call ends with UpstreamTimeout when the caller gives up; an aborted one at once', async () => {
      const id = FIXTURE_BIRTHS[0]!.expected.idNumber;
      await find(id);
      await h.control.hang();
      expect(await failure(find(id, AbortSignal.timeout(150)))).toBeInstanceOf(UpstreamTimeout);
      await h.control.restore();
      expect(await failure(find(id, AbortSignal.abort()))).toBeInstanceOf(UpstreamTimeout);
    });
  });
}
