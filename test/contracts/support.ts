/** What the contract suites share. */
import type { LookupPurpose } from '../../src/ports/registries.js';

/** The knobs a registry contract needs from its harness. */
export interface RegistryControl {
  /** Every call fails as the upstream being unavailable (HTTP 503), until `restore()`. */
  unavailable(): void | Promise<void>;
  /** Every call goes unanswered, until `restore()`. */
  hang(): void | Promise<void>;
  restore(): void | Promise<void>;
}

export const PURPOSE: LookupPurpose = { officerId: 'CB-0001', dossierCode: '000.00.01.H26-261129-0001' };

/** The error a promise rejects with; fails the test when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}
