/**
 * Seeds for the fakes built from the simulators' fixtures through the real adapters' own mappings, so
 * a fake answers exactly the canonical record its adapter would (retrievedAt aside).
 */
import type { BusinessRecord } from '../../src/domain/records.js';
import { FIXTURE_CITIZENS } from '../dancu-soap/fixtures/index.js';
import { toCitizenRecord } from '../dancu-soap/mapping.js';
import type { XmlObject } from '../dancu-soap/xml.js';
import { FIXTURE_BUSINESSES } from '../dkdn-rest/fixtures/index.js';
import { toBusinessRecord } from '../dkdn-rest/mapping.js';
import type { FakeCitizen } from './registries.js';

/**
 * FIXTURE_CITIZENS as canonical records. A fixture's CongDan is already the shape the adapter's XML
 * reading yields (children by name, text as strings, `''` for an empty element), so the mapping takes it as is.
 */
export function fakeCitizensFromFixtures(): FakeCitizen[] {
  return FIXTURE_CITIZENS.map((f) => ({ query: { ...f.query }, record: toCitizenRecord(f.congDan as unknown as XmlObject) }));
}

/** FIXTURE_BUSINESSES as canonical records, by enterprise code as the registry holds them. */
export function fakeBusinessesFromFixtures(): Map<string, BusinessRecord> {
  return new Map(FIXTURE_BUSINESSES.map((b) => [b.MaSoDoanhNghiep, toBusinessRecord(b, b.MaSoDoanhNghiep)]));
}
