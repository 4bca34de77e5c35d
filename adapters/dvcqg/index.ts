/**
 * The National Public Service Portal (DVCQG) adapter: the NationalPortal port over the portal's JSON
 * protocol (shared/UPSTREAMS.md §1), and its simulator for tests, benchmarks and the demo.
 */
import type { NationalPortal } from '../../src/ports/national-portal.js';
import { DvcqgClient } from './client.js';
import type { DvcqgPortalOptions } from './options.js';

export type { DvcqgPortalOptions } from './options.js';

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
