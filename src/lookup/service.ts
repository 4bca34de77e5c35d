/**
 * Sector lookups around the sources' registries: purpose and identifier checks before any upstream
 * call, a cache where it is safe, one upstream call shared by concurrent identical lookups, and an
 * audit record of every lookup (who, for which dossier, what, outcome; never the data), opened before
 * the upstream call and closed with the answer: when it cannot be written, the lookup answers 503 and no data.
 */
import type { Logger } from 'pino';
import { GatewayError, NotFound, StoreUnavailable, ValidationFailed, isUpstreamError } from '../domain/errors.js';
import { checkMaHoSo, checkOfficerId } from '../domain/identifiers.js';
import type { AuditEntry, AuditLog } from '../ports/audit-log.js';
import type { LookupPurpose } from '../ports/registries.js';
import type { Metrics } from '../ops/metrics.js';
import type { RecordCache } from './cache.js';
import type { ParsedLookup, RawQueryValue, SourceRegistry } from './source.js';

/**
 * How long after its answer a lookup's cache write, and its audit closing, are sent: sent with the
 * answer, Redis's work competes with the client reading it (docs/sources.md, "Lookup hot path").
 */
export const AFTER_ANSWER_MS = 2;

export interface LookupCaller {
  client: string;
  requestId?: string;
  headers: { dossierCode: string | undefined; officerId: string | undefined };
}

/** One source as the service runs it: its rules, its guarded registry, its cache. */
export interface LookupSource {
  name: string;
  parse(subject: string, query: Readonly<Record<string, RawQueryValue>>): ParsedLookup<unknown>;
  registry: SourceRegistry<unknown, object>;
  cache: RecordCache<object> | null;
}

export interface LookupServiceDeps {
  sources: readonly LookupSource[];
  audit: AuditLog;
  /** The HTTP status an error answers with, for the audit record. */
  statusOf(error: unknown): number;
  metrics: Metrics;
  logger: Logger;
}

export class LookupService {
  private readonly inflight = new Map<string, Promise<object | null>>();
  private readonly sources: ReadonlyMap<string, LookupSource>;
  /** Each source's cache counters, bound once. */
  private readonly cacheUse: ReadonlyMap<string, Record<'hit' | 'miss' | 'shared', { inc(): void }>>;

  constructor(private readonly deps: LookupServiceDeps) {
    this.sources = new Map(deps.sources.map((s) => [s.name, s]));
    const counter = (source: string, result: string) => deps.metrics.lookupCache.labels({ source, result });
    this.cacheUse = new Map(deps.sources.map((s) => [s.name, { hit: counter(s.name, 'hit'), miss: counter(s.name, 'miss'), shared: counter(s.name, 'shared') }]));
  }

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

  /**
   * One lookup at `source`: purpose, identifier, query, then cache or upstream; audited either way. A
   * lookup refused before any call is recorded whole before its answer; otherwise its record is opened
   * alongside the cache read or upstream call, and closed with the answer: no data is answered unless
   * the opening is stored.
   */
  async lookup(sourceName: string, subject: string, query: Readonly<Record<string, RawQueryValue>>, caller: LookupCaller): Promise<object> {
    const source = this.sources.get(sourceName);
    if (!source) throw new TypeError(`no sector source named ${sourceName}`);
    const purpose = LookupService.purpose(caller.headers);
    const started = performance.now();
    let parsed: ParsedLookup<unknown>;
    try {
      parsed = source.parse(subject, query);
    } catch (error) {
      const entry = this.entry(source.name, subject, purpose, caller, error, performance.now() - started);
      try {
        await this.deps.audit.record(entry);
      } catch (auditError) {
        throw this.notRecorded(source.name, caller, auditError);
      }
      throw error;
    }
    // The cache read or the upstream call goes out first; the opening's write follows while it runs.
    const pending = this.cachedOnce(source, parsed, purpose, caller.requestId);
    const opened = this.deps.audit.open({ client: caller.client, officer: purpose.officerId, dossierCode: purpose.dossierCode, source: source.name, subject });
    let answer: object | undefined;
    let failure: unknown;
    try {
      answer = await pending;
    } catch (error) {
      failure = error;
    }
    try {
      await opened.stored;
    } catch (auditError) {
      failure = this.notRecorded(source.name, caller, auditError);
    }
    const entry = this.entry(source.name, subject, purpose, caller, failure, performance.now() - started);
    opened.close(entry);
    if (failure !== undefined) throw failure;
    return answer!;
  }

  /** Cache, then one shared upstream call per key; null from upstream becomes NotFound (not cached). */
  private async cachedOnce(source: LookupSource, parsed: ParsedLookup<unknown>, purpose: LookupPurpose, requestId: string | undefined): Promise<object> {
    const { cache, name } = source;
    const key = `${name}:${parsed.cacheKey}`;
    const use = this.cacheUse.get(name)!;
    // A key the cache surely lacks goes to the registry without a read that would miss.
    if (cache && cache.mayHold(parsed.cacheKey)) {
      const hit = await cache.get(parsed.cacheKey).catch(() => null);
      if (hit) {
        use.hit.inc();
        return hit;
      }
    }
    let pending = this.inflight.get(key);
    if (pending) use.shared.inc();
    else {
      if (cache) use.miss.inc();
      pending = source.registry.find(parsed.request, purpose, requestId ? { requestId } : undefined);
      this.inflight.set(key, pending);
      const settled = (record: object | null) => {
        if (!record || !cache) return void this.inflight.delete(key);
        // Written a moment after the answer; until then the record stays shared here, so a repeat lookup
        // meanwhile does not call the registry.
        setTimeout(() => {
          this.inflight.delete(key);
          cache.set(parsed.cacheKey, record).catch(() => undefined);
        }, AFTER_ANSWER_MS);
      };
      pending.then(settled, () => this.inflight.delete(key));
    }
    const record = await pending;
    if (!record) throw new NotFound('No record matches this lookup');
    return record;
  }

  /** The record of a lookup that went as `failure` says (undefined: found); logs what went wrong, by code only. */
  private entry(source: string, subject: string, purpose: LookupPurpose, caller: LookupCaller, failure: unknown, ms: number): AuditEntry {
    const status = failure === undefined ? 200 : this.deps.statusOf(failure);
    const outcome: AuditEntry['outcome'] =
      failure === undefined ? 'found' : failure instanceof NotFound ? 'not_found' : failure instanceof ValidationFailed ? 'rejected' : 'error';
    if (isUpstreamError(failure)) {
      // Codes only: an upstream's own words may hold the names and numbers of the person looked up.
      const reason = (failure.details as { reason?: string }).reason;
      this.deps.logger.warn({ source, code: failure.code, ...(reason ? { reason } : {}), reqId: caller.requestId }, 'lookup failed upstream');
    } else if (failure !== undefined && !(failure instanceof GatewayError)) {
      this.deps.logger.error({ err: failure, source, reqId: caller.requestId }, 'lookup failed unexpectedly');
    }
    return {
      at: new Date().toISOString(),
      client: caller.client,
      officer: purpose.officerId,
      dossierCode: purpose.dossierCode,
      source,
      subject,
      outcome,
      status,
      latencyMs: Math.round(ms * 10) / 10,
    };
  }

  /** The audit could not be written: logged, and the lookup answers 503 without data. */
  private notRecorded(source: string, caller: LookupCaller, error: unknown): StoreUnavailable {
    this.deps.logger.error({ source, reqId: caller.requestId, err: { name: (error as Error)?.name, code: (error as { code?: unknown })?.code } }, 'could not write the audit record: the lookup answers 503 without data');
    return new StoreUnavailable('The lookup could not be recorded in the audit trail, so no data is answered; retry shortly', { store: 'redis', reason: 'audit_not_written' }, { cause: error });
  }
}
