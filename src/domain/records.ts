/**
 * Canonical records answered by the sector lookups (shared/API.md "Sector lookups"). Absent upstream
 * data is null, never a made-up value; identifiers and codes are strings with their leading zeros.
 */

export interface Address {
  provinceCode: string | null;
  districtCode: string | null;
  wardCode: string | null;
  detail: string | null;
}

export interface PersonRef {
  fullName: string | null;
  idNumber: string | null;
}

export interface CitizenRecord {
  idNumber: string;
  oldIdNumber: string | null;
  fullName: string | null;
  gender: 'male' | 'female' | 'other' | null;
  /** `YYYY-MM-DD`, or `YYYY` when only the year is known. */
  dateOfBirth: string | null;
  ethnicity: string | null;
  religion: string | null;
  nationality: string | null;
  birthRegistrationPlace: Address | null;
  hometown: Address | null;
  permanentAddress: Address | null;
  currentAddress: Address | null;
  father: PersonRef | null;
  mother: PersonRef | null;
  spouse: PersonRef | null;
  householdHead: PersonRef | null;
  householdBookNumber: string | null;
  source: 'dancu';
  retrievedAt: string;
}

export interface BusinessRecord {
  enterpriseCode: string;
  name: string | null;
  nameEn: string | null;
  shortName: string | null;
  type: string | null;
  foundedOn: string | null;
  legalStatus: { code: string | null; name: string | null } | null;
  legalRepresentatives: Array<{ fullName: string | null; title: string | null }>;
  headOffice: { address: string | null; provinceCode: string | null; districtCode: string | null; wardCode: string | null } | null;
  businessLines: Array<{ code: string | null; name: string | null; main: boolean }>;
  source: 'dkdn';
  retrievedAt: string;
}
