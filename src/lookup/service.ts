/**
 * Sector lookups around the registry ports: purpose and identifier checks before any upstream call,
 * a cache where it is safe, one upstream call shared by concurrent identical lookups, and an audit
 * record of every lookup (who, for which dossier, what, outcome; never the data).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { GatewayError, ValidationFailed, isUpstreamError } from '../domain/errors.js';
import { checkCitizenId, checkEnterpriseCode, checkMaHoSo, checkOfficerId } from '../domain/identifiers.js';
import { parseCitizenQuery, type RawQueryValue } from './citizen-query.js';
import type { BusinessRecord, CitizenRecord } from '../domain/records.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { BusinessRegistry, CitizenRegistry, LookupPurpose } from '../ports/registries.js';
import type { Metrics } from '../ops/metrics.js';
import { NotFound, statusOf } from './errors.js';
import type { RecordCache } from './cache.js';

export interface LookupCaller {
  client: string;
  requestId?: string;
  headers: { dossierCode: string | undefined; officerId: string | undefined };
}

export interface LookupServiceDeps {
  citizens: CitizenRegistry;
  businesses: BusinessRegistry;
  audit: AuditLog;
  cache: { citizens: RecordCache<CitizenRecord> | null; businesses: RecordCache<BusinessRecord> | null };
  metrics: Metrics;
  logger: Logger;
}

export class LookupService {
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: LookupServiceDeps) {}

  /** Missing or malformed purpose headers → 400 purpose_required. */
  static purpose(headers: LookupCaller['headers']): LookupPurpose {
    const { dossierCode, officerId } = headers;
    if (!dossierCode || !officerId) {
      const missing = [!dossierCode && 'X-Dossier-Code', !officerId && 'X-Officer-Id'].filter(Boolean).join(' and ');
      throw new ValidationFailed('purpose_required', `State the purpose of the lookup: ${missing} missing`, [
        ...(!dossierCode ? [{ path: 'X-Dossier-Code', message: 'is required' }] : []),
        ...(!officerId ? [{ path: 'X-Officer-Id', message: 'is required' }] : []),
      ]);
    }
    const dossierRule = checkMaHoSo(dossierCode);
    if (dossierRule) throw new ValidationFailed('purpose_required', `X-Dossier-Code: ${dossierRule}`, [{ path: 'X-Dossier-Code', message: dossierRule }]);
    const officerRule = checkOfficerId(officerId);
    if (officerRule) throw new ValidationFailed('purpose_required', officerRule, [{ path: 'X-Officer-Id', message: officerRule }]);
    return { dossierCode, officerId };
  }

  async citizen(idNumber: string, query: { hoVaTen?: RawQueryValue; ngaySinh?: RawQueryValue }, caller: LookupCaller): Promise<CitizenRecord> {
    return this.audited('dancu', idNumber, caller, async (purpose) => {
      const idRule = checkCitizenId(idNumber);
      if (idRule) throw new ValidationFailed('invalid_identifier', idRule, [{ path: 'SoDinhDanh', message: idRule }]);
      const { fullName, birthYear, birthDate } = parseCitizenQuery(query);
      const yearRule = checkCitizenId(idNumber, birthYear);
      if (yearRule) throw new ValidationFailed('invalid_identifier', yearRule, [{ path: 'SoDinhDanh', message: yearRule }]);
      const key = `c:${hash(`${idNumber}|${fullName.toLowerCase()}|${birthDate}`)}`;
      return this.cachedOnce('dancu', key, this.deps.cache.citizens, () =>
        this.deps.citizens.findCitizen({ idNumber, fullName, birthDate }, purpose, caller.requestId ? { requestId: caller.requestId } : {}),
      );
    });
  }

  async business(code: string, caller: LookupCaller): Promise<BusinessRecord> {
    return this.audited('dkdn', code, caller, async (purpose) => {
      const rule = checkEnterpriseCode(code);
      if (rule) throw new ValidationFailed('invalid_identifier', rule, [{ path: 'MaSoDoanhNghiep', message: rule }]);
      return this.cachedOnce('dkdn', `b:${code}`, this.deps.cache.businesses, () =>
        this.deps.businesses.findBusiness(code, purpose, caller.requestId ? { requestId: caller.requestId } : {}),
      );
    });
  }

  /** Cache, then one shared upstream call per key; null from upstream becomes NotFound (not cached). */
  private async cachedOnce<T>(source: string, key: string, cache: RecordCache<T> | null, call: () => Promise<T | null>): Promise<T> {
    if (cache) {
      const hit = await cache.get(key).catch(() => null);
      if (hit) {
        this.deps.metrics.lookupCache.inc({ source, result: 'hit' });
        return hit;
      }
    }
    let pending = this.inflight.get(key) as Promise<T | null> | undefined;
    if (pending) this.deps.metrics.lookupCache.inc({ source, result: 'shared' });
    else {
      if (cache) this.deps.metrics.lookupCache.inc({ source, result: 'miss' });
      pending = call();
      this.inflight.set(key, pending);
      const clear = () => this.inflight.delete(key);
      pending.then(clear, clear);
      if (cache) pending.then((r) => (r ? cache.set(key, r).catch(() => undefined) : undefined), () => undefined);
    }
    const record = await pending;
    if (!record) throw new NotFound('No record matches this lookup');
    return record;
  }

  private async audited<T>(source: string, subject: string, caller: LookupCaller, work: (purpose: LookupPurpose) => Promise<T>): Promise<T> {
    const purpose = LookupService.purpose(caller.headers);
    const started = performance.now();
    let status = 200;
    let outcome: 'found' | 'not_found' | 'rejected' | 'error' = 'found';
    try {
      return await work(purpose);
    } catch (error) {
      status = statusOf(error);
      outcome = error instanceof NotFound ? 'not_found' : error instanceof ValidationFailed ? 'rejected' : 'error';
      if (isUpstreamError(error)) this.deps.logger.warn({ source, code: error.code, reqId: caller.requestId }, `lookup failed: ${error.message}`);
      else if (!(error instanceof GatewayError)) this.deps.logger.error({ err: error, source }, 'lookup failed unexpectedly');
      throw error;
    } finally {
      const entry = {
        at: new Date().toISOString(),
        client: caller.client,
        officer: purpose.officerId,
        dossierCode: purpose.dossierCode,
        source,
        subject,
        outcome,
        status,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
      };
      this.deps.audit.record(entry).catch((err: unknown) => this.deps.logger.error({ err }, 'could not write the audit record'));
    }
  }
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}
