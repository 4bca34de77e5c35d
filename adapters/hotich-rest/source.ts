/**
 * The civil-status registry as a sector source (shared/API.md `GET /v1/birth-registrations/{SoDinhDanh}`):
 * its settings (`HOTICH_*`), the citizen-ID rule (no birth date is given, so province and century
 * digits only), its registry and its simulator. adapters/sources.ts lists it; nothing else names it.
 */
import { readResilience } from '../../src/config-env.js';
import { ValidationFailed } from '../../src/domain/errors.js';
import { checkCitizenId } from '../../src/domain/identifiers.js';
import type { SectorSource } from '../../src/lookup/source.js';
import { createHotichBirthRegistry, type HotichOptions } from './index.js';
import type { BirthRegistrationRecord } from './records.js';
import { HOTICH_SIM_PORT, startHotichSimulator, type HotichSimulator } from './simulator.js';
import answerSchema from './schema.json' with { type: 'json' };

export const hotichSource: SectorSource<Omit<HotichOptions, 'timeoutMs' | 'logger'>, string, BirthRegistrationRecord, HotichSimulator> = {
  name: 'hotich',
  kind: 'civil-status-registry',
  label: { vi: 'CSDL hộ tịch điện tử', en: 'Civil-status registry' },
  envPrefix: 'HOTICH',
  route: {
    path: '/v1/birth-registrations/{SoDinhDanh}',
    subject: 'SoDinhDanh',
    subjectDescription: 'Citizen ID (CCCD), 12 digits',
    subjectExample: '001215012345',
    summary: 'A birth registration from the electronic civil-status registry',
  },
  answerSchema,
  configure(env, shared) {
    return {
      resilience: readResilience(env, 'HOTICH', { timeoutMs: 5_000, maxConcurrent: 32 }),
      // Personal data, as citizens are: not cached unless asked for, and then briefly.
      cacheTtlSeconds: env.int('HOTICH_CACHE_TTL_SECONDS', 0, { min: 0, max: 600 }),
      options: {
        url: env.url('HOTICH_URL', `http://127.0.0.1:${HOTICH_SIM_PORT}`),
        clientId: env.string('HOTICH_CLIENT_ID', 'dvc-gateway'),
        clientSecret: env.string('HOTICH_CLIENT_SECRET', 'hotich-secret'),
        xroadClient: shared.xroadClient,
      },
    };
  },
  parse(subject) {
    const rule = checkCitizenId(subject);
    if (rule) throw new ValidationFailed('invalid_identifier', rule, [{ path: 'SoDinhDanh', message: rule }]);
    return { request: subject, cacheKey: `k:${subject}` };
  },
  async create(options, common) {
    const registry = createHotichBirthRegistry({ ...options, ...common });
    return { find: (id, purpose, ctx) => registry.findBirthRegistration(id, purpose, ctx), close: () => registry.close() };
  },
  simulator: {
    defaultPort: HOTICH_SIM_PORT,
    start: (o) =>
      startHotichSimulator({ port: o.port, generate: o.generate ?? false, ...(o.host ? { host: o.host } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) }),
    env: (sim) => ({ HOTICH_URL: sim.url }),
  },
};
