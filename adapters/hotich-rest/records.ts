/**
 * The canonical answer of `GET /v1/birth-registrations/{SoDinhDanh}` (shared/API.md "Sector lookups"):
 * a birth registration from the civil-status registry. Absent upstream data is null, never made up.
 */
import type { PersonRef } from '../../src/domain/records.js';

export interface BirthRegistrationRecord {
  idNumber: string;
  fullName: string | null;
  /** `YYYY-MM-DD`, or `YYYY` when only the year is known. */
  dateOfBirth: string | null;
  gender: 'male' | 'female' | 'other' | null;
  /** Plain text in this registry, not an address object. */
  birthPlace: string | null;
  hometown: string | null;
  ethnicity: string | null;
  nationality: string | null;
  registrationNumber: string | null;
  registrationBook: string | null;
  /** `YYYY-MM-DD`. */
  registeredOn: string | null;
  registeredBy: { code: string | null; name: string | null } | null;
  father: PersonRef | null;
  mother: PersonRef | null;
  source: 'hotich';
  retrievedAt: string;
}
