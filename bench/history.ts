/**
 * Dossier history and reconciliation figures (`npm run bench:history`), in one process against the
 * DVCQG simulator, the local Redis and a throw-away PostgreSQL database:
 *
 *   1. drain: N dossiers' outbox entries (accepted with the packed dossier, delivered,
 *      progress_delivered) copied into PostgreSQL by the drainer with every handler of the gateway
 *      registered (indicators and history): events a second;
 *   2. read: GET /v1/dossiers/{MaHoSo}/history latency (p50/p95/p99), sequential requests;
 *   3. storage: bytes per history event, per resend copy, per per-dossier row (pg_total_relation_size);
 *   4. reconcile: a run over every delivered dossier (a tenth of them tampered with on the portal):
 *      dossiers checked a second at the reconciler's share of the bulkhead, and the drifts repaired.
 *
 * Options: --count N (default 5000)  --reads N (default 500). The database is dropped at the end and
 * every Redis key is under the run's own prefix, deleted after.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { createDvcqgPortal, sampleDossier, startDvcqgSimulator } from '../adapters/dvcqg/index.js';
import { ensureRedis } from '../scripts/ensure-redis.js';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/gateway.js';
import { outboxKey } from '../src/records/outbox-events.js';
import { packDossier } from '../src/sync/compression.js';
import { percentiles, fmt } from './lib/load.js';
import { table } from './lib/report.js';
import { deletePrefix } from './lib/redis-mem.js';

const { values: opts } = parseArgs({ options: { count: { type: 'string', default: '5000' }, reads: { type: 'string', default: '500' } } });
const COUNT = Number(opts.count);
const READS = Number(opts.reads);
const ADMIN = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const KEY = 'bench-history-ops-key-0123456789';

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const redisServer = await ensureRedis(process.env.REDIS_URL);
  const dbName = `bench_history_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(ADMIN);
  dbUrl.pathname = `/${dbName}`;
  const prefix = `bench-history-${randomBytes(4).toString('hex')}`;
  const sim = await startDvcqgSimulator({ port: 0, maxCalls: 1000 });
  const clients = join(mkdtempSync(join(tmpdir(), 'bench-history-')), 'clients.json');
  writeFileSync(clients, JSON.stringify([{ name: 'bench', apiKey: KEY, roles: ['sync', 'ops'] }]));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisServer.url,
    QUEUE_PREFIX: prefix,
    GATEWAY_CLIENTS_FILE: clients,
    DVCQG_AUTH_URL: sim.authUrl,
    DVCQG_API_URL: sim.apiUrl,
    DATABASE_URL: dbUrl.toString(),
    RECONCILE_PER_MINUTE: '0',
    LOG_LEVEL: 'silent',
  });
  const gateway = await startGateway(config, { logger: pino({ level: 'silent' }) });
  await gateway.records.whenReady();
  const redis = new Redis(redisServer.url);
  const base = `http://127.0.0.1:${gateway.port}`;
  const rows: Array<Array<string | number>> = [['figure', 'value']];
  try {
    // 1. drain
    const codes = Array.from({ length: COUNT }, (_, i) => `000.00.09.H26-261201-${String(i).padStart(6, '0')}`);
    const key = outboxKey(prefix);
    for (let i = 0; i < COUNT; i += 500) {
      const p = redis.pipeline();
      for (const m of codes.slice(i, i + 500)) {
        const d = sampleDossier(m, { NgayTiepNhan: '20261201080000' });
        const at = String(Date.now());
        p.xadd(key, '*', 't', 'accepted', 'm', m, 'r', '1', 'at', at, 'x', packDossier(JSON.stringify(d)), 'g', '[["20261201081000",2]]');
        p.xadd(key, '*', 't', 'delivered', 'm', m, 'r', '1', 'at', at);
        p.xadd(key, '*', 't', 'progress_delivered', 'm', m, 'r', '1', 'at', at, 'd', '{"items":1}');
      }
      await p.exec();
    }
    const events = COUNT * 3;
    const started = performance.now();
    await waitUntil('the outbox drained', async () => (await redis.xlen(key)) === 0);
    const drainS = (performance.now() - started) / 1000;
    rows.push([`drain: ${events} events (3 per dossier) copied`, `${fmt(drainS)} s`], ['drain: events a second', Math.round(events / drainS)]);

    // 2. read
    const latencies: number[] = [];
    for (let i = 0; i < READS; i++) {
      const m = codes[Math.floor(Math.random() * COUNT)]!;
      const t0 = performance.now();
      const res = await fetch(`${base}/v1/dossiers/${m}/history`, { headers: { authorization: `Bearer ${KEY}` } });
      await res.text();
      latencies.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`history answered ${res.status}`);
    }
    const p = percentiles(latencies);
    rows.push([`read: GET history, ${READS} sequential, p50 / p90 / p99`, `${fmt(p.p50)} / ${fmt(p.p90)} / ${fmt(p.p99)} ms`]);

    // 3. storage
    const pool = gateway.records.pool();
    for (const [table_, n, what] of [
      ['dossier_history', events, 'event'],
      ['dossier_copies', COUNT, 'copy (full dossier)'],
      ['reconcile_dossiers', COUNT, 'per-dossier reconciliation row'],
    ] as const) {
      const { rows: r } = await pool.query<{ bytes: number }>(`SELECT pg_total_relation_size($1)::bigint AS bytes`, [table_]);
      rows.push([`storage: bytes per ${what} (${table_}, indexes included)`, Math.round(Number(r[0]!.bytes) / n)]);
    }

    // 4. reconcile
    const direct = createDvcqgPortal({ authUrl: sim.authUrl, apiUrl: sim.apiUrl, username: 'dvc-gateway', password: 'dvc-gateway-secret', dstcode: 'H26', madonvi: '000.00.00.H26' });
    for (let i = 0; i < COUNT; i += 32) {
      await Promise.all(codes.slice(i, i + 32).map((m) => direct.syncDossier(sampleDossier(m, { NgayTiepNhan: '20261201080000' }), { knownToPortal: false })));
    }
    direct.close();
    const tampered = codes.filter((_, i) => i % 10 === 0);
    for (const m of tampered) sim.tamperDossier(m, { TrangThaiHoSo: 9 });
    const t0 = performance.now();
    const run = (await (await fetch(`${base}/v1/ops/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: '{}' })).json()) as { id: string; queued: number };
    let figures: Record<string, number | string> = {};
    await waitUntil('the run done', async () => {
      figures = (await (await fetch(`${base}/v1/ops/reconcile/${run.id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as typeof figures;
      return figures.state === 'done';
    });
    const runS = (performance.now() - t0) / 1000;
    rows.push(
      [`reconcile: run over ${run.queued} dossiers (${tampered.length} tampered)`, `${fmt(runS)} s`],
      ['reconcile: dossiers checked a second (share of the bulkhead: 4 calls)', Math.round(run.queued / runS)],
      ['reconcile: matched / drifted / repaired / failed', `${figures.matched} / ${figures.drifted} / ${figures.repaired} / ${figures.failed}`],
    );
  } finally {
    await gateway.stop();
    await sim.close();
    await deletePrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await redisServer.stop();
  }
  console.log(`dossier history and reconciliation, ${COUNT} dossiers\n`);
  console.log(table(rows));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
