/**
 * The national business registration database (CSDL quốc gia về đăng ký doanh nghiệp) over its REST
 * API through NGSP (shared/UPSTREAMS.md §3), as the BusinessRegistry port. The simulator speaking the
 * same protocol is in simulator.ts, its fixture businesses in fixtures/.
 */
import type { Logger } from 'pino';
import type { BusinessRegistry } from '../../src/ports/registries.js';
import { checkConnectionOptions } from '../shared/ngsp/client.js';
import { DkdnClient } from './client.js';

export interface DkdnOptions {
  /** Base URL (`DKDN_URL`), e.g. `http://127.0.0.1:7003`; `/token` and `/apiCSDLDKDN/...` are appended. Required. */
  url: string;
  /** OAuth2 client id (`DKDN_CLIENT_ID`), sent by HTTP Basic to the token endpoint. Required. */
  clientId: string;
  /** OAuth2 client secret (`DKDN_CLIENT_SECRET`); never logged. Required. */
  clientSecret: string;
  /** The gateway's subsystem id (`XROAD_CLIENT`), sent as `X-Road-Client` on every request. Required. */
  xroadClient: string;
  /**
   * The most one lookup may take, token requests and the repeat after a 401 included, before it is
   * aborted and fails with UpstreamTimeout; each HTTP request is bounded by it too.
   * Default 5000 (`DKDN_TIMEOUT_MS`).
   */
  timeoutMs?: number;
  /** Where token requests and refusals are logged (never the token, the secret or the data). Default: nothing is logged. */
  logger?: Logger;
}

export type DkdnBusinessRegistry = BusinessRegistry & {
  /** Releases kept-alive connections and forgets the token. */
  close(): void;
};

export const DEFAULT_TIMEOUT_MS = 5_000;

/** Builds the registry. Checks the options; makes no call until the first lookup. */
export function createDkdnBusinessRegistry(options: DkdnOptions): DkdnBusinessRegistry {
  const timeoutMs = checkConnectionOptions('createDkdnBusinessRegistry', options, DEFAULT_TIMEOUT_MS);
  const client = new DkdnClient({ ...options, timeoutMs });
  return {
    // The protocol carries no purpose; the lookup layer audits it.
    findBusiness: (enterpriseCode, _purpose, context) => client.findBusiness(enterpriseCode, context),
    close: () => client.close(),
  };
}


export { startDkdnSimulator, type DkdnFaultUpdate, type DkdnFaults, type DkdnSimulator, type DkdnSimulatorOptions } from './simulator.js';
