/**
 * The BusinessRegistry contract: the business registry adapter over its simulator and the fake both
 * hold the fixture businesses (adapters/dkdn-rest/fixtures) and must answer the same canonical records.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validEnterpriseCode } from '../../adapters/dkdn-rest/fixtures/index.js';
import { fakeBusinessesFromFixtures } from '../../adapters/fake/index.js';
import { UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import type { BusinessRecord } from '../../src/domain/records.js';
import type { BusinessRegistry } from '../../src/ports/registries.js';
import { PURPOSE, failure, type RegistryControl } from './support.js';

export interface BusinessRegistryHarness {
  port: BusinessRegistry;
  control: RegistryControl;
  close(): Promise<void>;
}

/** The fixture businesses as canonical records, by code: what every implementation must answer. */
const BUSINESSES = fakeBusinessesFromFixtures();
const withoutRetrievedAt = ({ retrievedAt: _, ...rest }: BusinessRecord) => rest;

export function businessRegistryContract(name: string, factory: () => Promise<BusinessRegistryHarness>): void {
  describe(`BusinessRegistry contract: ${name}`, () => {
    let h: BusinessRegistryHarness;
    const find = (code: string, signal?: AbortSignal) => h.port.findBusiness(code, PURPOSE, signal ? { signal } : {});
    beforeAll(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.control.restore();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('finds every fixture business, as the canonical record', async () => {
      for (const [code, record] of BUSINESSES) {
        const found = await find(code);
        expect(found, code).not.toBeNull();
        expect(withoutRetrievedAt(found!)).toEqual(withoutRetrievedAt(record));
        expect(Number.isNaN(Date.parse(found!.retrievedAt))).toBe(false);
      }
    });

    it('keeps codes as strings with their leading zeros, branches included', async () => {
      expect(await find('0100233488')).toMatchObject({
        enterpriseCode: '0100233488',
        legalStatus: { code: '01', name: 'Đang hoạt động' },
        headOffice: { provinceCode: '01', districtCode: '002', wardCode: '00079' },
      });
      expect(await find('0100109106-001')).toMatchObject({ enterpriseCode: '0100109106-001' });
      const sonTra = await find('0401122333');
      expect(sonTra!.businessLines[0]).toEqual({ code: '0118', name: 'Trồng rau, đậu các loại và trồng hoa', main: true });
      expect(sonTra!.legalStatus).toEqual({ code: '04', name: 'Đã giải thể' });
    });

    it('answers null for a valid code the registry does not hold', async () => {
      expect(await find(validEnterpriseCode(0))).toBeNull();
      expect(await find(validEnterpriseCode(1))).toBeNull();
    });

    it('an unavailable upstream is UpstreamUnavailable, retryable', async () => {
      await find('0100233488');
      await h.control.unavailable();
      const error = await failure(find('0100233488'));
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect((error as UpstreamUnavailable).retryable).toBe(true);
      await h.control.restore();
      expect(await find('0100233488')).not.toBeNull();
    });

    it('an unanswered call ends with UpstreamTimeout when the caller gives up; an aborted one at once', async () => {
      await find('0100233488');
      await h.control.hang();
      const started = performance.now();
      expect(await failure(find('0100233488', AbortSignal.timeout(150)))).toBeInstanceOf(UpstreamTimeout);
      expect(performance.now() - started).toBeLessThan(1_000);
      await h.control.restore();
      expect(await failure(find('0100233488', AbortSignal.abort()))).toBeInstanceOf(UpstreamTimeout);
    });
  });
}
