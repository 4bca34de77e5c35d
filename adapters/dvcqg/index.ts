/**
 * The National Public Service Portal (DVCQG) adapter: the NationalPortal port over the portal's JSON
 * protocol (shared/UPSTREAMS.md §1), and its simulator for tests, benchmarks and the demo.
 */
import type { Logger } from 'pino';
import type { NationalPortal } from '../../src/ports/national-portal.js';
import { DvcqgClient } from './client.js';

export interface DvcqgPortalOptions {
  /** Login endpoint (`DVCQG_AUTH_URL`), e.g. `http://127.0.0.1:7001/dvcqg/login`. Required. */
  authUrl: string;
  /** Service endpoint (`DVCQG_API_URL`), e.g. `http://127.0.0.1:7001/dvcqg/api`. Required. */
  apiUrl: string;
  /** Account name sent at login. Required. */
  username: string;
  /** Password sent at login; never logged. Required. */
  password: string;
  /** Sent as the `dstcode` header of every request. Required. */
  dstcode: string;
  /** The agency code (`madonvi`) sent with every service call. Required. */
  madonvi: string;
  /**
   * The most one HTTP request may take, login included, before it is aborted and fails with
   * UpstreamTimeout. Default 10000.
   */
  timeoutMs?: number;
  /** Where logins, re-logins and calls are logged (debug level for calls). Default: nothing is logged. */
  logger?: Logger;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Builds the portal. `close()` releases its kept-alive connections. */
export function createDvcqgPortal(options: DvcqgPortalOptions): NationalPortal & { close(): void } {
  for (const key of ['authUrl', 'apiUrl', 'username', 'password', 'dstcode', 'madonvi'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') throw new TypeError(`createDvcqgPortal: "${key}" is required`);
  }
  for (const key of ['authUrl', 'apiUrl'] as const) {
    if (!URL.canParse(options[key])) throw new TypeError(`createDvcqgPortal: "${key}" is not a URL`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError('createDvcqgPortal: "timeoutMs" must be a positive integer');
  return new DvcqgClient({ ...options, timeoutMs });
}

export { DvcqgClient } from './client.js';
export { PORTAL_CODES, UPSTREAM, answerKind, type PortalAnswer, type PortalCodeKind } from './mapping.js';
export {
  startDvcqgSimulator,
  type DvcqgFaults,
  type DvcqgSimulator,
  type DvcqgSimulatorOptions,
  type SimulatorCall,
} from './simulator.js';
export { SIMULATOR_CODES } from './simulator-portal.js';
export { sampleDossier, sampleProgress } from './fixtures/index.js';
