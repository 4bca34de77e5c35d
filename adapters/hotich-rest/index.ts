/**
 * The electronic civil-status database (CSDL hộ tịch điện tử toàn quốc) over its REST API through
 * NGSP (shared/UPSTREAMS.md §4, **assumed**): birth registrations by citizen ID. Exports the factory,
 * its options, and the simulator's starter; source.ts describes it to the gateway as a sector source.
 */
import type { Logger } from 'pino';
import type { CallContext } from '../../src/ports/call-context.js';
import type { LookupPurpose } from '../../src/ports/registries.js';
import { checkConnectionOptions } from '../shared/ngsp/client.js';
import { HotichClient } from './client.js';
import type { BirthRegistrationRecord } from './records.js';

export { startHotichSimulator, type HotichSimulator, type HotichSimulatorOptions } from './simulator.js';
export type { BirthRegistrationRecord } from './records.js';

export interface HotichOptions {
  /** Base URL (`HOTICH_URL`), e.g. `http://127.0.0.1:7004`; `/token` and `/apiHoTich/...` are appended. Required. */
  url: string;
  /** OAuth2 client id (`HOTICH_CLIENT_ID`), sent by HTTP Basic to the token endpoint. Required. */
  clientId: string;
  /** OAuth2 client secret (`HOTICH_CLIENT_SECRET`); never logged. Required. */
  clientSecret: string;
  /** The gateway's subsystem id (`XROAD_CLIENT`), sent as `X-Road-Client`. Required. */
  xroadClient: string;
  /** The most one lookup may take, token requests and the repeat after a 401 included (`HOTICH_TIMEOUT_MS`). Default 5000. */
  timeoutMs?: number;
  /** Where token requests and refusals are logged (never the token, the secret or the data). Default: nothing is logged. */
  logger?: Logger;
}

/** The civil-status registry: a birth registration by citizen ID, or null when it holds none. */
export interface BirthRegistry {
  findBirthRegistration(idNumber: string, purpose: LookupPurpose, context?: CallContext): Promise<BirthRegistrationRecord | null>;
}

export type HotichBirthRegistry = BirthRegistry & {
  /** Releases kept-alive connections and forgets the token. */
  close(): void;
};

export const DEFAULT_TIMEOUT_MS = 5_000;

/** Builds the registry. Checks the options; makes no call until the first lookup. */
export function createHotichBirthRegistry(options: HotichOptions): HotichBirthRegistry {
  const timeoutMs = checkConnectionOptions('createHotichBirthRegistry', options, DEFAULT_TIMEOUT_MS);
  const client = new HotichClient({ ...options, timeoutMs });
  return {
    // The protocol carries no purpose; the lookup layer audits it.
    findBirthRegistration: (idNumber, _purpose, context) => client.findBirthRegistration(idNumber, context),
    close: () => client.close(),
  };
}
