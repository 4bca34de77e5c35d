import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, apiKeyHash, loadConfig } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function error(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('takes a hash-tagged QUEUE_PREFIX for Redis Cluster, and refuses malformed ones', () => {
    expect(loadConfig({ QUEUE_PREFIX: '{gw}' }).queuePrefix).toBe('{gw}');
    expect(loadConfig({ QUEUE_PREFIX: 'city-{gw}' }).queuePrefix).toBe('city-{gw}');
    for (const bad of ['{gw', '{}', '{a}{b}', 'g w', 'gw}']) expect(error({ QUEUE_PREFIX: bad }).message).toContain('QUEUE_PREFIX');
  });

  it('reads SYNC_MAX_PENDING_PROGRESS (default 1000) and DATABASE_URL (optional)', () => {
    expect(loadConfig({}).sync.maxPendingProgress).toBe(1_000);
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    expect(loadConfig({ SYNC_MAX_PENDING_PROGRESS: '50', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gw' })).toMatchObject({
      sync: { maxPendingProgress: 50 },
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/gw',
    });
  });

  it('has the defaults of API.md', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, redis: { url: 'redis://127.0.0.1:6379', commandTimeoutMs: 2_000 }, queuePrefix: 'gw', role: 'all', clients: [], xroadClient: 'VN/GOV/000.00.00.H26/DVC-GATEWAY' });
    expect(c.redis.markerCheckIntervalMs).toBe(5_000);
    expect(c.http).toEqual({ keepAliveTimeoutMs: 15_000, headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, maxConnections: 10_000 });
    expect(c.alerts.storeDataLostSeconds).toBe(600);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toThrow(/^HTTP_REQUEST_TIMEOUT_MS: must be at least 20000/);
    expect([c.dvcqg.resilience.timeoutMs, c.sources.dancu!.resilience.timeoutMs, c.sources.dkdn!.resilience.timeoutMs]).toEqual([10_000, 5_000, 5_000]);
    expect(c.sources.dancu!.resilience).toMatchObject({ errorThresholdPercent: 50, volumeThreshold: 10, windowMs: 10_000, openMs: 30_000, halfOpenTrials: 1 });
    // The portal's circuit only holds queued deliveries: settings of its own (README, "Dossier sync").
    expect(c.dvcqg.resilience).toMatchObject({ errorThresholdPercent: 50, volumeThreshold: 40, windowMs: 30_000, openMs: 10_000, halfOpenTrials: 10 });
    const dancu = c.sources.dancu!.options as { taiKhoan: string; username: string };
    expect(dancu.taiKhoan).toBe(dancu.username);
    expect(c.sources.dancu!.cacheTtlSeconds).toBe(0);
  });

  it('names the variable and the problem in one line', () => {
    expect(error({ PORT: 'eighty' }).message).toBe('PORT: must be a whole number, got "eighty"');
    expect(error({ DVCQG_TIMEOUT_MS: '0' }).message).toMatch(/^DVCQG_TIMEOUT_MS: must be at least 1/);
    expect(error({ GATEWAY_ROLE: 'both' }).message).toMatch(/^GATEWAY_ROLE: must be one of all, api, worker/);
    expect(error({ REDIS_URL: 'localhost' }).message).toMatch(/^REDIS_URL: must be an absolute URL/);
    expect(error({ DANCU_CACHE_TTL_SECONDS: '3600' }).message).toMatch(/^DANCU_CACHE_TTL_SECONDS: must be at most 600/);
    expect(error({ QUEUE_PREFIX: 'a b' }).variable).toBe('QUEUE_PREFIX');
    for (const e of [error({ PORT: 'x' }), error({ DKDN_URL: 'nope' })]) expect(e.message).not.toContain('\n');
  });

  it('reads a secret from NAME_FILE, and refuses both forms at once', () => {
    const secret = file('password', 's3cr3t\n');
    expect(loadConfig({ DVCQG_PASSWORD_FILE: secret }).dvcqg.password).toBe('s3cr3t');
    expect(error({ DVCQG_PASSWORD: 'a', DVCQG_PASSWORD_FILE: secret }).variable).toBe('DVCQG_PASSWORD');
    expect(error({ DVCQG_PASSWORD_FILE: join(dir, 'missing') }).variable).toBe('DVCQG_PASSWORD_FILE');
  });

  it('loads clients and refuses a malformed clients file', () => {
    const ok = file('ok.json', JSON.stringify([{ name: 'ops', apiKey: 'k-ops', roles: ['ops', 'ops'] }]));
    expect(loadConfig({ GATEWAY_CLIENTS_FILE: ok }).clients).toEqual([{ name: 'ops', apiKeySha256: apiKeyHash('k-ops'), roles: ['ops'], weakKey: true }]);
    const hashed = file(
      'hashed.json',
      JSON.stringify([{ name: 'tool', apiKeySha256: apiKeyHash('a-long-enough-key-0001'), roles: ['lookup'], sources: ['dkdn'], rateLimit: { perMinute: 30 } }]),
    );
    expect(loadConfig({ GATEWAY_CLIENTS_FILE: hashed }).clients).toEqual([
      { name: 'tool', apiKeySha256: apiKeyHash('a-long-enough-key-0001'), roles: ['lookup'], sources: ['dkdn'], rateLimit: { perMinute: 30 }, weakKey: false },
    ]);
    for (const [content, rule] of [
      ['{', /not JSON/],
      ['{}', /JSON array/],
      [JSON.stringify([{ apiKey: 'k', roles: [] }]), /"name"/],
      [JSON.stringify([{ name: 'a', apiKey: '', roles: [] }]), /"apiKey"/],
      [JSON.stringify([{ name: 'a', apiKey: 'k', roles: ['admin'] }]), /"roles"/],
      [JSON.stringify([{ name: 'a', apiKey: 'k', roles: [] }, { name: 'b', apiKey: 'k', roles: [] }]), /reuses/],
      [JSON.stringify([{ name: 'a', apiKey: 'k', apiKeySha256: apiKeyHash('k'), roles: [] }]), /exactly one of/],
      [JSON.stringify([{ name: 'a', apiKeySha256: 'ABC', roles: [] }]), /64 lower-case hex/],
      [JSON.stringify([{ name: 'a', apiKey: 'k', roles: ['lookup'], sources: ['nowhere'] }]), /"sources"/],
      [JSON.stringify([{ name: 'a', apiKey: 'k', roles: ['lookup'], rateLimit: { perMinute: 0 } }]), /"rateLimit"/],
      [JSON.stringify([{ name: 'a', apiKey: 'k', roles: [] }, { name: 'b', apiKeySha256: apiKeyHash('k'), roles: [] }]), /reuses/],
    ] as const) {
      const e = error({ GATEWAY_CLIENTS_FILE: file('bad.json', content) });
      expect(e.variable).toBe('GATEWAY_CLIENTS_FILE');
      expect(e.message).toMatch(rule);
    }
  });
});
