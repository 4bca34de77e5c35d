/** The AuditLog contract against RedisAuditLog on a real Redis (a key prefix per test, removed after) and the in-memory log. */
import { InMemoryAuditLog } from '../../adapters/fake/index.js';
import { RedisAuditLog } from '../../src/lookup/audit-redis.js';
import { testRedis, uniquePrefix } from '../support/redis.js';
import { auditLogContract } from './audit-log.contract.js';

auditLogContract('RedisAuditLog', async () => {
  const prefix = uniquePrefix('audit');
  const { redis, cleanup } = testRedis(prefix);
  const port = new RedisAuditLog(redis, `${prefix}:audit`, { retentionDays: 30, maxEntries: 100_000 });
  return {
    port,
    close: async () => {
      await port.stop();
      await cleanup();
    },
  };
});

auditLogContract('InMemoryAuditLog', async () => ({ port: new InMemoryAuditLog(), close: async () => undefined }));
