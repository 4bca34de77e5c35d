/**
 * Indicators benchmark (`npm run bench:kpi`).
 *
 * Part 1, figures: a year of Hà Nội — 2,000,000 dossiers (default) over the sample catalogue's 156
 * units and 2,000 procedures, in the order they are received (as the projection writes them), loaded
 * into kpi_dossier with COPY (indexes dropped during the load and built after it, then ANALYZE) — then GET /v1/kpi/units?period=<month>, ?period=<quarter> and
 * /v1/kpi/units/<unit>?period=<month> against an in-process gateway, p50/p95 of each (target: month
 * p95 < 200 ms).
 * Part 2, projection: N revisions (default 20,000; accepted events with packed dossier data and two
 * progress items, as the sync scripts write them) drained through the real drainer and projection,
 * in revisions/s, against a baseline in the same run: the same events read from the stream, decoded
 * and written with a plain batched INSERT (500 rows a statement) into a table shaped like kpi_dossier.
 *
 * Options: --dossiers N  --runs N  --projection N  --admin-url URL (server to create the bench
 * database on; default TEST_DATABASE_ADMIN_URL or postgres://postgres@127.0.0.1:5432/postgres)  --keep
 * Its database and Redis keys are its own, removed at the end (unless --keep).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { toPortalTimestamp } from '../src/domain/dates.js';
import { startGateway } from '../src/gateway.js';
import { createKpiProjection } from '../src/kpi/projection.js';
import { dossierFacts } from '../src/kpi/rules.js';
import { Metrics } from '../src/ops/metrics.js';
import { OutboxDrainer } from '../src/records/drainer.js';
import { migrate } from '../src/records/migrate.js';
import { outboxKey, parseEntry, type RawEntry } from '../src/records/outbox-events.js';
import { createPool } from '../src/records/pool.js';
import { packDossier, unpackDossier } from '../src/sync/compression.js';
import { sampleDossier } from '../adapters/dvcqg/index.js';
import { ensureRedis } from '../scripts/ensure-redis.js';
import { sampleCatalog } from '../scripts/sample-catalog.js';
import { percentiles, fmt } from './lib/load.js';
import { machineLoad } from './lib/proc.js';
import { table, verdict } from './lib/report.js';
import { deletePrefix } from './lib/redis-mem.js';

const { values: opts } = parseArgs({
  options: {
    dossiers: { type: 'string', default: '2000000' },
    runs: { type: 'string', default: '30' },
    projection: { type: 'string', default: '20000' },
    'admin-url': { type: 'string', default: process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    keep: { type: 'boolean', default: false },
  },
});
const DOSSIERS = Number(opts.dossiers);
const RUNS = Number(opts.runs);
const PROJECTION = Number(opts.projection);
const BATCH = 500;
const logger = pino({ level: 'silent' });
const log = (s: string) => process.stdout.write(`${s}\n`);

/** A deterministic sequence, so every run loads the same year. */
let seed = 766;
const rnd = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
const STATUSES = [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 9, 2, 2, 4, 4, 4, 5, 6, 7, 8, 1, 3];

const catalog = sampleCatalog();
const units = catalog.units.map((u) => u.code);
const procedures = catalog.procedures.map((p) => p.maTTHC);
const YEAR_START = Date.UTC(2026, 0, 1) - 7 * 3_600_000;
const YEAR_END = Date.UTC(2026, 11, 1) - 7 * 3_600_000;
const DAY = 86_400_000;

function row(i: number): string {
  const unit = pick(units);
  // Rows arrive in the order they are received (give or take a few hours), as they do in production.
  const received = Math.min(YEAR_END - 1, Math.max(YEAR_START, YEAR_START + Math.floor((i / DOSSIERS) * (YEAR_END - YEAR_START) + (rnd() - 0.5) * 12 * 3_600_000)));
  const status = pick(STATUSES);
  const due = received + (3 + Math.floor(rnd() * 12)) * DAY;
  const finished = [8, 9, 10].includes(status) ? received + Math.floor(rnd() * 16 * DAY) : null;
  const supp = rnd() < 0.1 ? (rnd() < 0.8 ? 1 : 2) : 0;
  const suppAt = supp > 0 ? received + DAY : null;
  const resumed = supp > 0 ? received + 3 * DAY : null;
  const revision = 1 + Math.floor(rnd() * 3);
  const iso = (ms: number | null) => (ms === null ? '\\N' : new Date(ms).toISOString());
  const b = (p: number) => (rnd() < p ? 't' : 'f');
  return [
    `${unit}-${String(i).padStart(8, '0')}`, revision, unit, pick(procedures), status, rnd() < 0.75 ? 2 : 1,
    iso(received), iso(due), iso(finished), iso(finished), b(0.4), b(0.7), b(0.5), b(0.3), b(0.8),
    rnd() < 0.95 ? revision : revision - 1, supp, iso(suppAt), iso(resumed), iso(finished ?? received + DAY), iso(received),
  ].join('\t');
}

async function load(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  const started = performance.now();
  try {
    const idx = await client.query<{ indexdef: string; indexname: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'kpi_dossier' AND indexname <> 'kpi_dossier_pkey'`,
    );
    for (const i of idx.rows) await client.query(`DROP INDEX ${i.indexname}`);
    let i = 0;
    const source = Readable.from(
      (function* () {
        while (i < DOSSIERS) {
          const lines: string[] = [];
          for (let k = 0; k < 5_000 && i < DOSSIERS; k++) lines.push(row(++i));
          yield lines.join('\n') + '\n';
        }
      })(),
    );
    const copy = client.query(
      copyFrom(
        `COPY kpi_dossier (ma_ho_so, revision, unit, ma_tthc, status, channel, received_at, due_at, finished_at, returned_at,
           fee_bearing, paid_online, vneid, reused_digitised, result_documents, delivered_revision, supplement_requests,
           supplement_at, resumed_at, last_progress_at, accepted_at) FROM STDIN`,
      ),
    );
    await pipeline(source, copy);
    for (const i of idx.rows) await client.query(i.indexdef);
    await client.query('ANALYZE kpi_dossier');
  } finally {
    client.release();
  }
  return (performance.now() - started) / 1000;
}

async function timed(url: string, key: string, n: number): Promise<{ p50: number; p95: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    if (i >= 3) samples.push(performance.now() - t0);
  }
  const sorted = samples.sort((a, b) => a - b);
  return { p50: percentiles(sorted).p50, p95: sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]! };
}

/** Accepted events as the sync scripts write them: packed dossier data, two progress items. */
async function fillStream(redis: Redis, key: string, n: number, offset: number): Promise<void> {
  for (let i = 0; i < n; i += 1_000) {
    const p = redis.pipeline();
    for (let k = i; k < Math.min(n, i + 1_000); k++) {
      const unit = pick(units);
      const m = `${unit}-P${String(offset + k).padStart(8, '0')}`;
      const received = toPortalTimestamp(new Date(YEAR_END - Math.floor(rnd() * 20 * DAY)));
      const d = sampleDossier(m, { MaTTHC: pick(procedures), NgayTiepNhan: received, TrangThaiHoSo: pick([2, 4, 10]) } as never);
      p.xadd(key, '*', 't', 'accepted', 'm', m, 'r', '1', 'at', String(Date.now()), 'x', packDossier(JSON.stringify(d)), 'g', JSON.stringify([[received, 2], [received, 4]]));
    }
    await p.exec();
  }
}

async function main(): Promise<void> {
  log(`bench:kpi — ${DOSSIERS.toLocaleString('en')} dossiers, ${units.length} units, ${procedures.length} procedures; load ${JSON.stringify(machineLoad())}`);
  const dbName = `bench_kpi_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: opts['admin-url'] });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const url = new URL(opts['admin-url']);
  url.pathname = `/${dbName}`;
  const dbUrl = url.toString();
  const redisHandle = await ensureRedis(process.env.REDIS_URL);
  const redis = new Redis(redisHandle.url);
  const prefix = `bench-kpi-${randomBytes(3).toString('hex')}`;
  const pool = createPool(dbUrl, logger, { max: 4 });
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    await migrate(pool);
    await pool.query(
      'INSERT INTO kpi_procedure (ma_tthc, name, level, online) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])',
      [catalog.procedures.map((p) => p.maTTHC), catalog.procedures.map((p) => p.name), catalog.procedures.map((p) => p.level), catalog.procedures.map((p) => p.online)],
    );
    await pool.query('INSERT INTO kpi_unit (code, name, level) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])', [
      catalog.units.map((u) => u.code),
      catalog.units.map((u) => u.name),
      catalog.units.map((u) => u.level),
    ]);
    const loadSeconds = await load(pool);
    const size = (await pool.query<{ s: string }>(`SELECT pg_size_pretty(pg_total_relation_size('kpi_dossier')) AS s`)).rows[0]!.s;
    log(`loaded with COPY in ${fmt(loadSeconds, 1)} s (${fmt(DOSSIERS / loadSeconds, 0)} rows/s, indexes built after); kpi_dossier ${size}`);

    // Part 1: figures through the HTTP API.
    const key = 'bench-kpi-key-0000001';
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const clients = join(mkdtempSync(join(tmpdir(), 'bench-kpi-')), 'clients.json');
    writeFileSync(clients, JSON.stringify([{ name: 'bench', apiKey: key, roles: ['kpi'] }]));
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: redisHandle.url, QUEUE_PREFIX: prefix, GATEWAY_CLIENTS_FILE: clients, DATABASE_URL: dbUrl, LOG_LEVEL: 'silent', GATEWAY_ROLE: 'api' });
    gateway = await startGateway(config, { logger, metrics: new Metrics({ defaults: false }) });
    await gateway.records.whenReady();
    const base = `http://127.0.0.1:${gateway.port}`;
    const unit = units[0]!;
    const month = await timed(`${base}/v1/kpi/units?period=2026-06`, key, RUNS);
    const quarter = await timed(`${base}/v1/kpi/units?period=2026-Q2`, key, RUNS);
    const one = await timed(`${base}/v1/kpi/units/${unit}?period=2026-06`, key, RUNS);
    const warnings = await timed(`${base}/v1/kpi/warnings?period=2026-06&code=dossier_overdue`, key, Math.max(5, Math.floor(RUNS / 3)));
    await gateway.stop();
    gateway = undefined;
    log('');
    log(
      table([
        ['request (after 3 warm-up)', 'runs', 'p50 ms', 'p95 ms'],
        ['GET /v1/kpi/units?period=2026-06', RUNS, fmt(month.p50, 1), fmt(month.p95, 1)],
        ['GET /v1/kpi/units?period=2026-Q2', RUNS, fmt(quarter.p50, 1), fmt(quarter.p95, 1)],
        [`GET /v1/kpi/units/${unit}?period=2026-06`, RUNS, fmt(one.p50, 1), fmt(one.p95, 1)],
        ['GET /v1/kpi/warnings?period=2026-06&code=dossier_overdue', Math.max(5, Math.floor(RUNS / 3)), fmt(warnings.p50, 1), fmt(warnings.p95, 1)],
      ]),
    );
    log(`month p95 < 200 ms: ${verdict(month.p95 < 200)}`);

    // Part 2: projection vs a plain batched INSERT of the same events.
    const stream = outboxKey(prefix);
    await fillStream(redis, stream, PROJECTION, 0);
    const drainer = new OutboxDrainer({ redis, prefix, pool, logger, metrics: new Metrics({ defaults: false }), batchSize: BATCH });
    drainer.register(createKpiProjection(logger));
    let t0 = performance.now();
    let copied = 0;
    for (;;) {
      const n = await drainer.drainOnce();
      if (n === 0) break;
      copied += n;
    }
    const projectionSeconds = (performance.now() - t0) / 1000;
    await drainer.stop();

    await pool.query('CREATE TABLE bench_plain (LIKE kpi_dossier INCLUDING DEFAULTS INCLUDING INDEXES)');
    await fillStream(redis, stream, PROJECTION, PROJECTION);
    t0 = performance.now();
    let plain = 0;
    for (;;) {
      const raw = (await redis.xrangeBuffer(stream, '-', '+', 'COUNT', BATCH)) as unknown as RawEntry[];
      if (raw.length === 0) break;
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (const ev of raw.map(parseEntry)) {
        const f = dossierFacts(ev.maHoSo, JSON.parse(unpackDossier(ev.data!)) as Record<string, unknown>);
        const b = values.length;
        tuples.push(`(${Array.from({ length: 16 }, (_, k) => `$${b + k + 1}`).join(',')})`);
        values.push(f.maHoSo, ev.revision, f.unit, f.maTTHC, f.status, f.channel, f.receivedAt, f.dueAt, f.finishedAt, f.returnedAt, f.feeBearing, f.paidOnline, f.vneid, f.reusedDigitised, f.resultDocuments, new Date(ev.at));
      }
      await pool.query(
        `INSERT INTO bench_plain (ma_ho_so, revision, unit, ma_tthc, status, channel, received_at, due_at, finished_at, returned_at,
           fee_bearing, paid_online, vneid, reused_digitised, result_documents, accepted_at) VALUES ${tuples.join(',')}`,
        values,
      );
      await redis.xdel(stream, ...raw.map((r) => r[0].toString()));
      plain += raw.length;
    }
    const plainSeconds = (performance.now() - t0) / 1000;
    const projRate = copied / projectionSeconds;
    const plainRate = plain / plainSeconds;
    log('');
    log(
      table([
        [`writer (batches of ${BATCH}, onto ${DOSSIERS.toLocaleString('en')} rows)`, 'revisions', 'seconds', 'revisions/s'],
        ['projection (drainer: upsert guarded by revision + progress + summary, XDEL)', copied, fmt(projectionSeconds, 2), fmt(projRate, 0)],
        ['baseline: decode + plain multi-row INSERT, XDEL', plain, fmt(plainSeconds, 2), fmt(plainRate, 0)],
      ]),
    );
    log(`projection / baseline: ${fmt(projRate / plainRate, 2)}`);
    log(
      JSON.stringify({
        bench: 'kpi', dossiers: DOSSIERS, loadSeconds, month, quarter, unit: one, warnings, projectionRate: projRate, baselineRate: plainRate, ratio: projRate / plainRate,
      }),
    );
  } finally {
    await gateway?.stop().catch(() => undefined);
    await pool.end();
    await deletePrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await redisHandle.stop();
    if (!opts.keep) await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    else log(`kept database ${dbName}`);
    await admin.end();
  }
}

await main();
