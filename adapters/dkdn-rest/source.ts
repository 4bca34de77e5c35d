/**
 * The business registry as a sector source (shared/API.md `GET /v1/businesses/{MaSoDoanhNghiep}`):
 * its settings (`DKDN_*`), the enterprise-code rule, its registry and its simulator.
 */
import { readResilience } from '../../src/config-env.js';
import { ValidationFailed } from '../../src/domain/errors.js';
import { checkEnterpriseCode } from '../../src/domain/identifiers.js';
import type { BusinessRecord } from '../../src/domain/records.js';
import type { SectorSource } from '../../src/lookup/source.js';
import { createDkdnBusinessRegistry, type DkdnOptions } from './index.js';
import { startDkdnSimulator, type DkdnSimulator } from './simulator.js';
import businessSchema from '../../schemas/business.schema.json' with { type: 'json' };

const PORT = 7003;

export const dkdnSource: SectorSource<Omit<DkdnOptions, 'timeoutMs' | 'logger'>, string, BusinessRecord, DkdnSimulator> = {
  name: 'dkdn',
  kind: 'business-registry',
  label: { vi: 'CSDL quốc gia về đăng ký doanh nghiệp', en: 'National business registration database' },
  envPrefix: 'DKDN',
  route: {
    path: '/v1/businesses/{MaSoDoanhNghiep}',
    subject: 'MaSoDoanhNghiep',
    subjectDescription: 'Enterprise / tax code: 10 digits, or NNNNNNNNNN-NNN for a branch',
    subjectExample: '0100109106',
    summary: 'A business from the national business registration database',
  },
  answerSchema: businessSchema,
  configure(env, shared) {
    return {
      resilience: readResilience(env, 'DKDN', { timeoutMs: 5_000, maxConcurrent: 64 }),
      cacheTtlSeconds: env.int('DKDN_CACHE_TTL_SECONDS', 3_600, { min: 0 }),
      options: {
        url: env.url('DKDN_URL', `http://127.0.0.1:${PORT}`),
        clientId: env.string('DKDN_CLIENT_ID', 'dvc-gateway'),
        clientSecret: env.string('DKDN_CLIENT_SECRET', 'dkdn-secret'),
        xroadClient: shared.xroadClient,
      },
    };
  },
  parse(subject) {
    const rule = checkEnterpriseCode(subject);
    if (rule) throw new ValidationFailed('invalid_identifier', rule, [{ path: 'MaSoDoanhNghiep', message: rule }]);
    return { request: subject, cacheKey: `b:${subject}` };
  },
  async create(options, common) {
    const registry = createDkdnBusinessRegistry({ ...options, ...common });
    return { find: (code, purpose, ctx) => registry.findBusiness(code, purpose, ctx), close: () => registry.close() };
  },
  simulator: {
    defaultPort: PORT,
    start: (o) => startDkdnSimulator({ port: o.port, generate: o.generate ?? false, ...(o.host ? { host: o.host } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) }),
    env: (sim) => ({ DKDN_URL: sim.url }),
  },
};
