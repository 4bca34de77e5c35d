/**
 * The PostgreSQL layer: migrations (ordered, once, concurrent-safe, all-or-nothing), the outbox drainer
 * (batches, commit then XDEL, one drainer across processes, idempotent re-delivery, PostgreSQL
 * stopped mid-run and started again), and the readiness entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pino } from 'pino';
import { Metrics } from '../src/ops/metrics.js';
import { OutboxDrainer, type RecordHandler } from '../src/records/drainer.js';
import { migrate, readMigrations } from '../src/records/migrate.js';
import { outboxKey, type OutboxEvent } from '../src/records/outbox-events.js';
import { createPool, type Pool } from '../src/records/pool.js';
import { Records } from '../src/records/records.js';
import { packDossier, unpackDossier } from '../src/sync/compression.js';
import { createTestDatabase, startPrivatePostgres, type TestDatabase } from './support/postgres.js';
import { testRedis, uniquePrefix } from './support/redis.js';
import { waitFor } from './support/gateway.js';

const logger = pino({ level: 'silent' });

/** A handler like the real ones: inserts keyed by entry id, so a batch copied twice changes nothing. */
function copyingHandler(name = 'copy'): RecordHandler & { calls: number } {
  const h = {
    name,
    calls: 0,
    async handle(client: pg.PoolClient, events: readonly OutboxEvent[]) {
      h.calls++;
      await client.query(
        `INSERT INTO test_events (id, type, ma_ho_so, revision, dossier)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) ON CONFLICT (id) DO NOTHING`,
        [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.maHoSo), events.map((e) => e.revision), events.map((e) => (e.data ? unpackDossier(e.data) : null))],
      );
    },
  };
  return h;
}

async function createEventsTable(pool: Pool) {
  await pool.query('CREATE TABLE IF NOT EXISTS test_events (id text PRIMARY KEY, type text, ma_ho_so text, revision bigint, dossier text)');
}

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrate');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('apply every file once, in order, also when two processes start together', async () => {
    const a = createPool(db.url, logger);
    const b = createPool(db.url, logger);
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    const all = readMigrations().map((m) => `${String(m.version).padStart(3, '0')}-${m.name}`);
    expect([...ra, ...rb].sort()).toEqual(all.sort());
    expect(await migrate(a)).toEqual([]);
    const { rows } = await a.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(readMigrations().map((m) => m.version));
    await Promise.all([a.end(), b.end()]);
  });

  it('leave the schema as it was when a file fails', async () => {
    const pool = createPool(db.url, logger);
    const broken = [
      { version: 900, name: 'good', sql: 'CREATE TABLE t_good (x int)' },
      { version: 901, name: 'bad', sql: 'CREATE TABLE t_bad (x no_such_type)' },
    ];
    await expect(migrate(pool, broken)).rejects.toThrow(/migration 901-bad failed/);
    const { rows } = await pool.query("SELECT to_regclass('t_good') AS t, (SELECT count(*) FROM schema_migrations WHERE version >= 900) AS n");
    expect(rows[0]).toEqual({ t: null, n: 0 });
    await pool.end();
  });
});

describe('outbox drainer', () => {
  let db: TestDatabase;
  let pool: Pool;
  const prefix = uniquePrefix('outbox');
  const { redis, cleanup } = testRedis(prefix);
  const key = outboxKey(prefix);

  beforeAll(async () => {
    db = await createTestDatabase('drainer');
    pool = createPool(db.url, logger);
    await createEventsTable(pool);
  });
  afterAll(async () => {
    await pool.end();
    await cleanup();
    await db.drop();
  });

  const accept = (m: string, r: number) =>
    redis.xadd(key, '*', 't', 'accepted', 'm', m, 'r', String(r), 'at', String(Date.now()), 'x', packDossier(JSON.stringify({ MaHoSo: m, r })), 'g', '[]');

  it('copies batches in order, commits, then deletes what it copied', async () => {
    const drainer = new OutboxDrainer({ redis, prefix, pool, logger, metrics: new Metrics({ defaults: false }), batchSize: 4 });
    const h = copyingHandler();
    drainer.register(h);
    for (let i = 1; i <= 10; i++) await accept(`D-${i}`, i);
    await redis.xadd(key, '*', 't', 'delivered', 'm', 'D-1', 'r', '1', 'at', String(Date.now()));
    expect(await drainer.drainOnce()).toBe(4);
    expect(await redis.xlen(key)).toBe(7);
    while ((await drainer.drainOnce()) > 0);
    expect(await redis.xlen(key)).toBe(0);
    const { rows } = await pool.query('SELECT type, ma_ho_so, revision, dossier FROM test_events ORDER BY id');
    expect(rows).toHaveLength(11);
    expect(rows[0]).toEqual({ type: 'accepted', ma_ho_so: 'D-1', revision: 1, dossier: JSON.stringify({ MaHoSo: 'D-1', r: 1 }) });
    expect(rows[10]).toMatchObject({ type: 'delivered', ma_ho_so: 'D-1', revision: 1, dossier: null });
    await drainer.stop();
  });

  it('keeps entries when the transaction fails, and copies them once it works', async () => {
    await pool.query('TRUNCATE test_events');
    const drainer = new OutboxDrainer({ redis, prefix, pool, logger, metrics: new Metrics({ defaults: false }) });
    let fail = true;
    drainer.register({
      name: 'flaky',
      async handle(client) {
        if (fail) await client.query('SELECT 1/0');
      },
    });
    drainer.register(copyingHandler());
    await accept('F-1', 1);
    await expect(drainer.drainOnce()).rejects.toThrow(/division by zero/);
    expect(await redis.xlen(key)).toBe(1);
    expect((await pool.query('SELECT count(*)::int AS n FROM test_events')).rows[0].n).toBe(0);
    fail = false;
    expect(await drainer.drainOnce()).toBe(1);
    expect((await pool.query('SELECT count(*)::int AS n FROM test_events')).rows[0].n).toBe(1);
    await drainer.stop();
  });

  it('runs one drainer at a time across processes (a Redis lease)', async () => {
    const one = new OutboxDrainer({ redis, prefix, pool, logger, metrics: new Metrics({ defaults: false }) });
    const two = new OutboxDrainer({ redis, prefix, pool, logger, metrics: new Metrics({ defaults: false }) });
    one.register(copyingHandler());
    two.register(copyingHandler());
    await accept('L-1', 1);
    expect(await one.drainOnce()).toBe(1);
    await accept('L-2', 1);
    expect(await two.drainOnce()).toBe(0);
    expect(one.holdsLease).toBe(true);
    await one.stop();
    expect(await two.drainOnce()).toBe(1);
    await two.stop();
  });
});

describe('records with PostgreSQL stopped mid-run', () => {
  const prefix = uniquePrefix('outage');
  const { redis, cleanup } = testRedis(prefix);
  const key = outboxKey(prefix);

  it('starts without PostgreSQL, reports it in its check, and copies everything once it is back', async () => {
    const server = await startPrivatePostgres();
    server.stop();
    const metrics = new Metrics({ defaults: false });
    const records = new Records({ databaseUrl: server.url, redis, prefix, logger, metrics, idleMs: 20, migrations: [...readMigrations(), { version: 999, name: 'test-events', sql: 'CREATE TABLE test_events (id text PRIMARY KEY, type text, ma_ho_so text, revision bigint, dossier text)' }] });
    const h = copyingHandler();
    records.register(h);
    records.start();
    try {
      for (let i = 1; i <= 30; i++) await redis.xadd(key, '*', 't', 'accepted', 'm', `O-${i}`, 'r', '1', 'at', String(Date.now()), 'x', packDossier('{}'), 'g', '[]');
      expect((await records.check()).status).toBe('fail');
      expect(() => records.pool()).toThrow(/not reachable yet/);

      server.start();
      await waitFor('the outbox drained', async () => (await redis.xlen(key)) === 0);
      expect((await records.check()).status).toBe('ok');

      // Stopped while running: entries wait in Redis, nothing is lost, the drainer resumes by itself.
      server.stop();
      for (let i = 31; i <= 60; i++) await redis.xadd(key, '*', 't', 'accepted', 'm', `O-${i}`, 'r', '1', 'at', String(Date.now()), 'x', packDossier('{}'), 'g', '[]');
      expect((await records.check()).status).toBe('fail');
      expect(await redis.xlen(key)).toBe(30);
      server.start();
      await waitFor('the outbox drained again', async () => (await redis.xlen(key)) === 0, 40_000);
      const { rows } = await records.pool().query('SELECT count(*)::int AS n, count(DISTINCT ma_ho_so)::int AS d FROM test_events');
      expect(rows[0]).toEqual({ n: 60, d: 60 });
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/gateway_outbox_length 0/);
      expect(text).toMatch(/gateway_outbox_lag_seconds 0/);
    } finally {
      await records.stop();
      server.destroy();
      await cleanup();
    }
  });
});
