/**
 * In-memory sector databases for unit tests: the population DB and the business registry, answering
 * the canonical records the real adapters map their upstreams to, with the same matching rules.
 */
import { ValidationFailed } from '../../src/domain/errors.js';
import type { BusinessRecord, CitizenRecord } from '../../src/domain/records.js';
import type { CallContext } from '../../src/ports/call-context.js';
import type { BusinessRegistry, CitizenQuery, CitizenRegistry, LookupPurpose } from '../../src/ports/registries.js';
import { FakeWithFaults } from './faults.js';

/** A citizen the fake knows, and a lookup that finds them (as an officer would type it). */
export interface FakeCitizen {
  query: CitizenQuery;
  record: CitizenRecord;
}

export interface FakeRegistryOptions {
  /** How long a call armed with `hangNext` waits without a signal before UpstreamTimeout, ms. Default 5000. */
  timeoutMs?: number;
}

/** A lookup as the fake received it, for tests that check who asked for what. */
export interface FakeLookup<Q> {
  query: Q;
  purpose: LookupPurpose;
}

/**
 * The population DB. Answers a citizen only when ID, full name (case, spacing and Unicode form aside)
 * and birth date all agree: `yyyyMMdd` the whole date, `yyyy` the year. Otherwise null.
 */
export class FakeCitizenRegistry extends FakeWithFaults implements CitizenRegistry {
  private readonly received: FakeLookup<CitizenQuery>[] = [];

  constructor(
    private readonly citizens: readonly FakeCitizen[],
    options: FakeRegistryOptions = {},
  ) {
    super('dancu', options.timeoutMs ?? 5_000);
  }

  async findCitizen(query: CitizenQuery, purpose: LookupPurpose, context?: CallContext): Promise<CitizenRecord | null> {
    // Checked before any call, as the adapter does: the upstream has no element for another form.
    const birth = birthDateOf(query.birthDate);
    this.received.push({ query: { ...query }, purpose: { ...purpose } });
    await this.faults.enter(context);
    const found = this.citizens.find(({ record }) => {
      if (record.idNumber !== query.idNumber || record.fullName === null || record.dateOfBirth === null) return false;
      if (looseName(record.fullName) !== looseName(query.fullName)) return false;
      return birth.date === null ? record.dateOfBirth.slice(0, 4) === birth.year : record.dateOfBirth === birth.date;
    });
    return found ? { ...structuredClone(found.record), retrievedAt: new Date().toISOString() } : null;
  }




  /** Every lookup that reached the fake, oldest first. */
  lookups(): FakeLookup<CitizenQuery>[] {
    return structuredClone(this.received);
  }
}

/** The business registry: the record held under exactly this code, or null. */
export class FakeBusinessRegistry extends FakeWithFaults implements BusinessRegistry {
  private readonly received: FakeLookup<string>[] = [];

  constructor(
    private readonly businesses: ReadonlyMap<string, BusinessRecord>,
    options: FakeRegistryOptions = {},
  ) {
    super('dkdn', options.timeoutMs ?? 5_000);
  }

  async findBusiness(enterpriseCode: string, purpose: LookupPurpose, context?: CallContext): Promise<BusinessRecord | null> {
    this.received.push({ query: enterpriseCode, purpose: { ...purpose } });
    await this.faults.enter(context);
    const found = this.businesses.get(enterpriseCode);
    return found ? { ...structuredClone(found), retrievedAt: new Date().toISOString() } : null;
  }




  lookups(): FakeLookup<string>[] {
    return structuredClone(this.received);
  }
}

/** As the population DB compares names: NFC, lower case (Vietnamese rules), runs of spaces as one. */
function looseName(name: string): string {
  return name.normalize('NFC').toLocaleLowerCase('vi').trim().split(/\s+/).join(' ');
}

/** `yyyyMMdd` → its `YYYY-MM-DD`; `yyyy` → the year alone; anything else is refused as the adapter refuses it. */
function birthDateOf(value: string): { year: string; date: string | null } {
  if (/^\d{8}$/.test(value)) return { year: value.slice(0, 4), date: `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` };
  if (/^\d{4}$/.test(value)) return { year: value, date: null };
  throw new ValidationFailed('invalid_query', 'ngaySinh must be yyyyMMdd or yyyy', [{ path: 'ngaySinh', message: 'must be yyyyMMdd or yyyy' }]);
}
