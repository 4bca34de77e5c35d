/**
 * Wires the lookup side from the list of sector sources: each source's registry built from its
 * settings, behind its upstream's guard, with its cache; and the audit log.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.js';
import type { UpstreamGuard } from '../resilience/guard.js';
import { guardRegistry } from '../resilience/guarded.js';
import { RedisAuditLog } from './audit-redis.js';
import { RedisRecordCache } from './cache.js';
import { CacheIndex } from './cache-index.js';
import { AFTER_ANSWER_MS, LookupService, type LookupSource } from './service.js';
import type { AnySectorSource, SourceSettings } from './source.js';

export interface LookupsDeps {
  sources: readonly AnySectorSource[];
  settings: Readonly<Record<string, SourceSettings>>;
  guards: ReadonlyMap<string, UpstreamGuard>;
  redis: Redis;
  keyPrefix: string;
  audit: { retentionDays: number; maxEntries: number; sweepIntervalMs: number; ownerTtlMs: number };
  /** The HTTP status an error answers with (the one table, src/http/problem.ts), for the audit record. */
  statusOf(error: unknown): number;
  metrics: Metrics;
  logger: Logger;
}

export async function createLookups(deps: LookupsDeps) {
  const { redis, keyPrefix, metrics, logger } = deps;
  const built: LookupSource[] = [];
  const opened: Array<{ close(): void }> = [];
  const ttls = deps.sources.map((s) => deps.settings[s.name]?.cacheTtlSeconds ?? 0);
  // One index for every source's cache keys, when any source caches.
  const index = Math.max(0, ...ttls) > 0 ? new CacheIndex({ redis, prefix: `${keyPrefix}:cache:`, maxTtlMs: Math.max(...ttls) * 1000, logger }) : null;
  try {
    for (const source of deps.sources) {
      const settings = deps.settings[source.name];
      const guard = deps.guards.get(source.name);
      if (!settings || !guard) throw new TypeError(`sector source ${source.name} has no settings or no guard`);
      const registry = await source.create(settings.options, { timeoutMs: settings.resilience.timeoutMs, logger });
      opened.push(registry);
      built.push({
        name: source.name,
        parse: (subject, query) => source.parse(subject, query),
        registry: guardRegistry(registry, guard),
        cache: settings.cacheTtlSeconds > 0 ? new RedisRecordCache<object>(redis, `${keyPrefix}:cache:${source.name}`, settings.cacheTtlSeconds, index) : null,
      });
    }
  } catch (error) {
    for (const r of opened) r.close();
    throw error;
  }
  await index?.start();
  const audit = new RedisAuditLog(redis, `${keyPrefix}:audit`, {
    ...deps.audit,
    closeDelayMs: AFTER_ANSWER_MS,
    logger,
    observer: { unsent: (n) => metrics.auditClosingsUnsent.set(n), swept: (n) => metrics.auditRecordsSwept.inc(n) },
  });
  const service = new LookupService({ sources: built, audit, statusOf: deps.statusOf, metrics, logger });
  return {
    service,
    audit,
    cacheIndex: index,
    /** After the last lookup: the registries, the cache index, and the audit's closings still unsent. */
    close: async () => {
      for (const r of opened) r.close();
      void index?.close();
      await audit.stop();
    },
  };
}
