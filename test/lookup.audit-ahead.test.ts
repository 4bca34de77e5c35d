/**
 * The audit record written ahead (src/lookup/audit-redis.ts): a lookup's opening is in Redis while the
 * upstream is called, its closing moves it into the trail once; the openings of a process that died
 * are closed by another process's sweep, as outcome `unknown`, once its mark of life lapses and not
 * before; a closing Redis refuses (out of memory) is kept and written once Redis takes writes again.
 * End to end: a gateway process killed with SIGKILL in the middle of a lookup leaves that lookup in
 * the trail, as seen through another process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startDkdnSimulator, type DkdnSimulator } from '../adapters/dkdn-rest/index.js';
import { freePort } from '../scripts/free-port.js';
import { RedisAuditLog } from '../src/lookup/audit-redis.js';
import type { AuditEntry, AuditOpening } from '../src/ports/audit-log.js';
import { KEYS, api, clientsFile, startTestGateway, waitFor } from './support/gateway.js';
import { PrivateRedis } from './support/private-redis.js';
import { redisUrl, testRedis, uniquePrefix } from './support/redis.js';

const opening = (subject: string): AuditOpening => ({ client: 'officer-tool', officer: 'CB010', dossierCode: '000.00.01.H26-261129-0004', source: 'dkdn', subject });
const found = { outcome: 'found', status: 200, latencyMs: 21.5 } as const;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function logOn(redis: Redis, key: string, options: Partial<ConstructorParameters<typeof RedisAuditLog>[2]> = {}): RedisAuditLog {
  const log = new RedisAuditLog(redis, key, { retentionDays: 30, maxEntries: 100_000, ...options });
  cleanups.push(() => log.stop());
  return log;
}

function shared(): { redis: Redis; key: string } {
  const prefix = uniquePrefix('audit-ahead');
  const { redis, cleanup } = testRedis(prefix);
  cleanups.push(cleanup);
  return { redis, key: `${prefix}:audit` };
}

describe('the audit record written ahead', () => {
  it('holds the opening in Redis while the lookup runs, and none once it is closed', async () => {
    const { redis, key } = shared();
    const log = logOn(redis, key);
    const open = log.open(opening('0100109106'));
    await open.stored;
    const held = await redis.hgetall(`${key}:open`);
    expect(Object.values(held).map((v) => JSON.parse(v) as unknown[])).toEqual([[expect.any(Number), 'officer-tool', 'CB010', '000.00.01.H26-261129-0004', 'dkdn', '0100109106']]);
    expect(await redis.xlen(key)).toBe(0);
    open.close({ at: new Date().toISOString(), ...found });
    const { items } = await log.query({ limit: 10 });
    expect(items).toEqual([expect.objectContaining({ subject: '0100109106', outcome: 'found', status: 200, latencyMs: 21.5 })]);
    expect(await redis.hlen(`${key}:open`)).toBe(0);
  });

  it('closes the records of a process whose mark lapsed as unknown, once; not while the process lives', async () => {
    const { redis, key } = shared();
    // The process that dies: its record stays open, and its mark lapses 1 s after it stops renewing it.
    const dying = logOn(redis, key, { ownerTtlMs: 1_000 });
    const open = dying.open(opening('0100233488'));
    await open.stored;
    const other = logOn(redis, key);
    expect(await other.sweep(), 'its process is alive').toBe(0);
    await dying.stop();
    expect(await other.sweep(), 'its mark has not lapsed yet').toBe(0);
    // `other` opened nothing, so it has no mark of its own.
    await waitFor('the mark to lapse', async () => (await redis.keys(`${key}:owner:*`)).length === 0, 5_000);
    expect(await other.sweep()).toBe(1);
    expect(await other.sweep()).toBe(0);
    // The closing that comes after the sweep (a process that was only cut off) writes nothing more.
    open.close({ at: new Date().toISOString(), ...found });
    const { items } = await other.query({ limit: 10 });
    expect(items).toEqual([
      {
        at: expect.any(String),
        client: 'officer-tool',
        officer: 'CB010',
        dossierCode: '000.00.01.H26-261129-0004',
        source: 'dkdn',
        subject: '0100233488',
        outcome: 'unknown',
        status: 0,
        latencyMs: 0,
      } satisfies AuditEntry,
    ]);
    await dying.query({ limit: 1 });
    expect(await redis.xlen(key)).toBe(1);
    expect(await redis.hlen(`${key}:open`)).toBe(0);
  });

  it('keeps a closing Redis refuses (out of memory) and writes it once Redis takes writes again', async () => {
    const server = await PrivateRedis.start();
    const control = server.client();
    const redis = server.client();
    cleanups.push(async () => {
      control.disconnect();
      redis.disconnect();
      await server.kill();
    });
    const key = 'gw:audit';
    const unsent: number[] = [];
    const log = logOn(redis, key, { observer: { unsent: (n) => unsent.push(n), swept: () => undefined } });
    const open = log.open(opening('0100109106'));
    await open.stored;
    await control.config('SET', 'maxmemory-policy', 'noeviction');
    await control.config('SET', 'maxmemory', '1');
    open.close({ at: new Date().toISOString(), ...found });
    await waitFor('the closing to be kept', () => log.unsentCount() === 1, 5_000);
    expect(await control.xlen(key)).toBe(0);
    expect(await control.hlen(`${key}:open`), 'the opening stays').toBe(1);
    await control.config('SET', 'maxmemory', '0');
    await waitFor('the kept closing to be written', async () => (await control.xlen(key)) === 1, 5_000);
    expect(log.unsentCount()).toBe(0);
    expect(unsent).toEqual([1, 0]);
    expect(await control.hlen(`${key}:open`)).toBe(0);
    const entries = (await control.xrange(key, '-', '+')) as Array<[string, string[]]>;
    expect(entries[0]?.[1]).toEqual(expect.arrayContaining(['subject', '0100109106', 'outcome', 'found']));
  });
});

describe('SIGKILL in the middle of a lookup', () => {
  const children: ChildProcess[] = [];
  let registry: DkdnSimulator | null = null;
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await registry?.close();
  });

  it('leaves the lookup in the trail, closed as unknown by another process', async () => {
    const prefix = uniquePrefix('audit-kill');
    const { cleanup } = testRedis(prefix);
    cleanups.push(cleanup);
    // A registry that takes 10 s to answer: the lookup is still waiting for it when its process is killed.
    registry = await startDkdnSimulator({ port: 0, faults: { latencyMs: 10_000 } });
    const env = {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      GATEWAY_CLIENTS_FILE: clientsFile(),
      DKDN_URL: registry.url,
      DKDN_TIMEOUT_MS: '15000',
      AUDIT_OWNER_TTL_MS: '1000',
      AUDIT_SWEEP_INTERVAL_MS: '200',
      LOG_LEVEL: 'silent',
    };
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: 'ignore' });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the first gateway', async () => (await api(url, 'GET', '/health/ready').catch(() => ({ status: 0 }))).status === 200, 30_000);
    const purpose = { 'x-dossier-code': '000.00.01.H26-261129-0004', 'x-officer-id': 'CB010' };
    const lookup = api(url, 'GET', '/v1/businesses/0100109106', { key: KEYS.lookup, headers: purpose }).catch((error: unknown) => error);
    const { redis } = testRedis(prefix);
    cleanups.push(async () => redis.disconnect());
    await waitFor('the opening in Redis', async () => (await redis.hlen(`${prefix}:audit:open`)) === 1, 10_000);
    child.kill('SIGKILL');
    expect(await lookup, 'the killed process answered nothing').toBeInstanceOf(Error);

    const second = await startTestGateway({ prefix, env: { AUDIT_OWNER_TTL_MS: '1000', AUDIT_SWEEP_INTERVAL_MS: '200' } });
    cleanups.push(() => second.stop());
    // The sweep runs in a process that serves lookups, from its first one on.
    expect((await api(second.url, 'GET', '/v1/businesses/0100233488', { key: KEYS.lookup, headers: purpose })).status).toBe(200);
    const items = await waitFor('the killed lookup in the trail', async () => {
      const r = await api(second.url, 'GET', '/v1/ops/audit?subject=0100109106', { key: KEYS.opsRead });
      return r.body.items.length > 0 ? (r.body.items as AuditEntry[]) : undefined;
    }, 10_000);
    expect(items).toEqual([expect.objectContaining({ subject: '0100109106', officer: 'CB010', dossierCode: '000.00.01.H26-261129-0004', source: 'dkdn', outcome: 'unknown', status: 0 })]);
    expect(await redis.hlen(`${prefix}:audit:open`)).toBe(0);
  });
});
