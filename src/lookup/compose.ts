/**
 * Wires the lookup side: the registry adapters chosen by configuration, each behind its upstream's
 * guard, the caches, and the audit log. Adding a source means an adapter folder and an entry here.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createDancuCitizenRegistry } from '../../adapters/dancu-soap/index.js';
import { createDkdnBusinessRegistry } from '../../adapters/dkdn-rest/index.js';
import type { Config } from '../config.js';
import type { BusinessRecord, CitizenRecord } from '../domain/records.js';
import type { Metrics } from '../ops/metrics.js';
import type { UpstreamGuard } from '../resilience/guard.js';
import { guardBusinesses, guardCitizens } from '../resilience/guarded.js';
import { RedisAuditLog } from './audit-redis.js';
import { RedisRecordCache } from './cache.js';
import { LookupService } from './service.js';

export interface LookupsDeps {
  config: Config;
  redis: Redis;
  guards: { dancu: UpstreamGuard; dkdn: UpstreamGuard };
  metrics: Metrics;
  logger: Logger;
}

export async function createLookups(deps: LookupsDeps) {
  const { config, redis, guards, metrics, logger } = deps;
  const citizensAdapter = await createDancuCitizenRegistry({
    ...config.dancu,
    timeoutMs: config.dancu.resilience.timeoutMs,
    logger,
  });
  const businessesAdapter = createDkdnBusinessRegistry({ ...config.dkdn, timeoutMs: config.dkdn.resilience.timeoutMs, logger });
  const audit = new RedisAuditLog(redis, `${config.queuePrefix}:audit`, config.audit);
  const service = new LookupService({
    citizens: guardCitizens(citizensAdapter, guards.dancu),
    businesses: guardBusinesses(businessesAdapter, guards.dkdn),
    audit,
    cache: {
      citizens: config.dancu.cacheTtlSeconds > 0 ? new RedisRecordCache<CitizenRecord>(redis, `${config.queuePrefix}:cache:dancu`, config.dancu.cacheTtlSeconds) : null,
      businesses: config.dkdn.cacheTtlSeconds > 0 ? new RedisRecordCache<BusinessRecord>(redis, `${config.queuePrefix}:cache:dkdn`, config.dkdn.cacheTtlSeconds) : null,
    },
    metrics,
    logger,
  });
  return {
    service,
    audit,
    close: () => {
      citizensAdapter.close();
      businessesAdapter.close();
    },
  };
}
