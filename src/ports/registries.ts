import type { BusinessRecord, CitizenRecord } from '../domain/records.js';
import type { CallContext } from './call-context.js';

/** Who a lookup is made for; sent upstream where the protocol asks (MaCanBo) and audited. */
export interface LookupPurpose {
  officerId: string;
  dossierCode: string;
}

export interface CitizenQuery {
  idNumber: string;
  fullName: string;
  /** `yyyyMMdd` or `yyyy`, as the officer gave it. */
  birthDate: string;
}

/**
 * The national population database. Resolves null when no citizen matches ID, name and birth date
 * together; raises the core's upstream errors otherwise.
 */
export interface CitizenRegistry {
  findCitizen(query: CitizenQuery, purpose: LookupPurpose, context?: CallContext): Promise<CitizenRecord | null>;
}

/** The national business registration database. Resolves null for an unknown code. */
export interface BusinessRegistry {
  findBusiness(enterpriseCode: string, purpose: LookupPurpose, context?: CallContext): Promise<BusinessRecord | null>;
}
