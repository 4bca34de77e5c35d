/**
 * The population DB as a sector source (shared/API.md `GET /v1/citizens/{SoDinhDanh}`): its settings
 * (`DANCU_*`), the lookup's rules (CCCD, then `hoVaTen` and `ngaySinh`, then the ID's birth year
 * against the date given), its registry and its simulator.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readResilience } from '../../src/config-env.js';
import { ValidationFailed } from '../../src/domain/errors.js';
import { checkCitizenId } from '../../src/domain/identifiers.js';
import type { CitizenRecord } from '../../src/domain/records.js';
import type { CitizenQuery } from '../../src/ports/registries.js';
import type { SectorSource } from '../../src/lookup/source.js';
import { createDancuCitizenRegistry, type DancuOptions } from './index.js';
import { parseCitizenQuery } from './query.js';
import { startDancuSimulator, type DancuSimulator } from './simulator.js';
import citizenSchema from '../../schemas/citizen.schema.json' with { type: 'json' };

const DEFAULT_WSDL = fileURLToPath(new URL('./fixtures/dancu.wsdl', import.meta.url));
const PORT = 7002;
const PATH = '/dancu/TraCuuThongTinCongDan';

function identifierRule(rule: string | null): void {
  if (rule) throw new ValidationFailed('invalid_identifier', rule, [{ path: 'SoDinhDanh', message: rule }]);
}

export const dancuSource: SectorSource<Omit<DancuOptions, 'timeoutMs' | 'logger'>, CitizenQuery, CitizenRecord, DancuSimulator> = {
  name: 'dancu',
  kind: 'citizen-registry',
  label: { vi: 'CSDL quốc gia về dân cư', en: 'National population database' },
  envPrefix: 'DANCU',
  route: {
    path: '/v1/citizens/{SoDinhDanh}',
    subject: 'SoDinhDanh',
    subjectDescription: 'Citizen ID (CCCD), 12 digits',
    subjectExample: '001099012345',
    summary: 'A citizen from the national population database, when ID, full name and birth date match',
    query: [
      { name: 'hoVaTen', required: true, description: 'Full name as registered' },
      { name: 'ngaySinh', required: true, description: 'Birth date, yyyyMMdd, or yyyy when only the year is known', pattern: '^\\d{4}(\\d{4})?$' },
    ],
  },
  answerSchema: citizenSchema,
  configure(env, shared) {
    const username = env.string('DANCU_USERNAME', 'dvc-gateway');
    return {
      resilience: readResilience(env, 'DANCU', { timeoutMs: 5_000, maxConcurrent: 32 }),
      // Personal data: not cached unless asked for, and then briefly.
      cacheTtlSeconds: env.int('DANCU_CACHE_TTL_SECONDS', 0, { min: 0, max: 600 }),
      options: {
        url: env.url('DANCU_URL', `http://127.0.0.1:${PORT}${PATH}`),
        wsdlPath: env.string('DANCU_WSDL', DEFAULT_WSDL),
        username,
        secret: env.string('DANCU_SECRET', 'dancu-secret'),
        apiKey: env.string('DANCU_API_KEY', 'dancu-api-key'),
        maDvc: env.string('DANCU_MA_DVC', 'DVC-H26'),
        maTichHop: env.string('DANCU_MA_TICH_HOP', 'DVC-GATEWAY'),
        maDonVi: env.string('DANCU_MA_DON_VI', '000.00.00.H26'),
        taiKhoan: env.string('DANCU_TAI_KHOAN', username),
        xroadClient: shared.xroadClient,
      },
    };
  },
  parse(subject, query) {
    identifierRule(checkCitizenId(subject));
    const { fullName, birthYear, birthDate } = parseCitizenQuery({ hoVaTen: query.hoVaTen, ngaySinh: query.ngaySinh });
    identifierRule(checkCitizenId(subject, birthYear));
    // The key holds a name and a birth date: hashed, so Redis never holds them in clear.
    const cacheKey = `c:${createHash('sha256').update(`${subject}|${fullName.toLowerCase()}|${birthDate}`).digest('hex').slice(0, 32)}`;
    return { request: { idNumber: subject, fullName, birthDate }, cacheKey };
  },
  async create(options, common) {
    const registry = await createDancuCitizenRegistry({ ...options, ...common });
    return { find: (q, purpose, ctx) => registry.findCitizen(q, purpose, ctx), close: () => registry.close() };
  },
  simulator: {
    defaultPort: PORT,
    start: (o) => startDancuSimulator({ port: o.port, path: PATH, ...(o.host ? { host: o.host } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) }),
    env: (sim) => ({ DANCU_URL: sim.url }),
  },
};
