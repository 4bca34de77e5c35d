/**
 * An in-memory civil-status registry for unit tests: the fixture births as canonical records, the
 * faults every fake shares (adapters/fake), and a readback of who asked for what.
 */
import { FakeWithFaults } from '../fake/faults.js';
import type { FakeLookup } from '../fake/index.js';
import type { CallContext } from '../../src/ports/call-context.js';
import type { LookupPurpose } from '../../src/ports/registries.js';
import { FIXTURE_BIRTHS } from './fixtures/index.js';
import type { BirthRegistry } from './index.js';
import type { BirthRegistrationRecord } from './records.js';

/** The fixture births as the canonical records the adapter answers, by citizen ID. */
export function fakeBirthsFromFixtures(): Map<string, Omit<BirthRegistrationRecord, 'retrievedAt'>> {
  return new Map(FIXTURE_BIRTHS.map((f) => [f.expected.idNumber, structuredClone(f.expected)]));
}

export class FakeBirthRegistry extends FakeWithFaults implements BirthRegistry {
  private readonly received: FakeLookup<string>[] = [];

  constructor(
    private readonly births: ReadonlyMap<string, Omit<BirthRegistrationRecord, 'retrievedAt'>> = fakeBirthsFromFixtures(),
    options: { timeoutMs?: number } = {},
  ) {
    super('hotich', options.timeoutMs ?? 5_000);
  }

  async findBirthRegistration(idNumber: string, purpose: LookupPurpose, context?: CallContext): Promise<BirthRegistrationRecord | null> {
    this.received.push({ query: idNumber, purpose: { ...purpose } });
    await this.faults.enter(context);
    const found = this.births.get(idNumber);
    return found ? { ...structuredClone(found), retrievedAt: new Date().toISOString() } : null;
  }

  lookups(): FakeLookup<string>[] {
    return structuredClone(this.received);
  }
}
