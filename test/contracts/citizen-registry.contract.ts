/**
 * The CitizenRegistry contract: the population DB adapter over its simulator and the fake both know
 * the fixture citizens (adapters/dancu-soap/fixtures) and must answer the same canonical records under
 * the same matching rules.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeCitizensFromFixtures } from '../../adapters/fake/index.js';
import { UpstreamTimeout, UpstreamUnavailable, ValidationFailed } from '../../src/domain/errors.js';
import type { CitizenRecord } from '../../src/domain/records.js';
import type { CitizenQuery, CitizenRegistry } from '../../src/ports/registries.js';
import { PURPOSE, failure, type RegistryControl } from './support.js';

export interface CitizenRegistryHarness {
  port: CitizenRegistry;
  control: RegistryControl;
  close(): Promise<void>;
}

/** The fixture citizens as canonical records, by ID: what every implementation must answer. */
const CITIZENS = fakeCitizensFromFixtures();
const byId = (id: string) => CITIZENS.find((c) => c.record.idNumber === id)!;
const withoutRetrievedAt = ({ retrievedAt: _, ...rest }: CitizenRecord) => rest;
const otherYear = (birthDate: string) => String(Number(birthDate.slice(0, 4)) + 1) + birthDate.slice(4);

export function citizenRegistryContract(name: string, factory: () => Promise<CitizenRegistryHarness>): void {
  describe(`CitizenRegistry contract: ${name}`, () => {
    let h: CitizenRegistryHarness;
    const find = (query: CitizenQuery, signal?: AbortSignal) => h.port.findCitizen(query, PURPOSE, signal ? { signal } : {});
    beforeAll(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.control.restore();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('finds every fixture citizen by its exact lookup, as the canonical record', async () => {
      for (const { query, record } of CITIZENS) {
        const found = await find(query);
        expect(found, query.idNumber).not.toBeNull();
        expect(withoutRetrievedAt(found!)).toEqual(withoutRetrievedAt(record));
        expect(Number.isNaN(Date.parse(found!.retrievedAt))).toBe(false);
      }
    });

    it('keeps identifiers and codes as strings with their leading zeros, and absent data null', async () => {
      const full = await find(byId('001099012345').query);
      expect(full).toMatchObject({
        idNumber: '001099012345',
        oldIdNumber: '013456789',
        gender: 'male',
        dateOfBirth: '1999-03-15',
        householdBookNumber: '010123456',
        birthRegistrationPlace: { provinceCode: '01', districtCode: '001', wardCode: '00001' },
        father: { fullName: 'Nguyễn Văn Hải', idNumber: '036068001122' },
        spouse: { fullName: 'Trần Thị Hoa', idNumber: '001300005566' },
      });
      const yearOnly = await find(byId('036056000789').query);
      expect(yearOnly).toMatchObject({ dateOfBirth: '1956', religion: null, currentAddress: null, birthRegistrationPlace: null, spouse: null, householdBookNumber: null });
      expect(yearOnly!.hometown).toEqual({ provinceCode: '36', districtCode: '364', wardCode: null, detail: 'Xã Hải Minh, Huyện Hải Hậu, Tỉnh Nam Định' });
      expect(yearOnly!.father).toEqual({ fullName: 'Phạm Văn Khải', idNumber: null });
      expect(await find(byId('014097003579').query)).toMatchObject({ gender: 'other', dateOfBirth: '1997', mother: null });
      expect(await find(byId('001305002468').query)).toMatchObject({ fullName: 'Lê Mai', oldIdNumber: null, gender: 'female' });
    });

    it('compares names regardless of case, spacing and Unicode form', async () => {
      const { query } = byId('001099012345');
      for (const fullName of ['  nguyễn   VĂN an ', 'NGUYỄN VĂN AN', query.fullName.normalize('NFD')]) {
        expect(await find({ ...query, fullName }), fullName).not.toBeNull();
      }
    });

    it('answers null for another name, a name without its diacritics, or another ID', async () => {
      const { query } = byId('001099012345');
      expect(await find({ ...query, fullName: 'Nguyễn Văn Anh' })).toBeNull();
      expect(await find({ ...query, fullName: 'Nguyen Van An' })).toBeNull();
      expect(await find({ ...query, fullName: 'Văn An' })).toBeNull();
      expect(await find({ ...query, idNumber: '001099012346' })).toBeNull();
    });

    it('answers null for a wrong birth year or day, in either form', async () => {
      for (const { query } of CITIZENS) {
        expect(await find({ ...query, birthDate: otherYear(query.birthDate) }), query.idNumber).toBeNull();
        expect(await find({ ...query, birthDate: otherYear(query.birthDate).slice(0, 4) }), query.idNumber).toBeNull();
      }
      expect(await find({ ...byId('001099012345').query, birthDate: '19990316' })).toBeNull();
    });

    it('finds every citizen by the birth year alone, but not by a full date when only the year is known', async () => {
      for (const { query } of CITIZENS) {
        expect(await find({ ...query, birthDate: query.birthDate.slice(0, 4) }), query.idNumber).not.toBeNull();
      }
      expect(await find({ ...byId('036056000789').query, birthDate: '19560101' })).toBeNull();
    });

    it('refuses a birth date neither yyyyMMdd nor yyyy as invalid_query', async () => {
      const error = await failure(find({ ...byId('001099012345').query, birthDate: '1999-03-15' }));
      expect(error).toBeInstanceOf(ValidationFailed);
      expect((error as ValidationFailed).code).toBe('invalid_query');
    });

    it('an unavailable upstream is UpstreamUnavailable, retryable', async () => {
      await h.control.unavailable();
      const error = await failure(find(byId('001099012345').query));
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect((error as UpstreamUnavailable).retryable).toBe(true);
      await h.control.restore();
      expect(await find(byId('001099012345').query)).not.toBeNull();
    });

    it('an unanswered call ends with UpstreamTimeout when the caller gives up; an aborted one at once', async () => {
      await h.control.hang();
      const started = performance.now();
      expect(await failure(find(byId('001099012345').query, AbortSignal.timeout(150)))).toBeInstanceOf(UpstreamTimeout);
      expect(performance.now() - started).toBeLessThan(1_000);
      await h.control.restore();
      expect(await failure(find(byId('001099012345').query, AbortSignal.abort()))).toBeInstanceOf(UpstreamTimeout);
    });
  });
}
