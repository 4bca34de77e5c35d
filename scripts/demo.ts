/**
 * `npm run demo`: the upstream simulators, a gateway, and generated traffic with faults, for a first
 * look. It plays a short story — normal traffic, a portal outage that opens the circuit and fills the
 * backlog, recovery that drains it, a dossier the portal rejects landing in dead letters, officers'
 * lookups, and a month of indicators in which units differ (scripts/demo-kpi.ts; needs PostgreSQL:
 * scripts/ensure-postgres.ts finds or starts one) — then keeps running so the dashboard can be explored.
 * `--exit` stops after the story.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import { FIXTURE_CITIZENS } from '../adapters/dancu-soap/fixtures/index.js';
import { loadConfig } from '../src/config.js';
import { toPortalTimestamp } from '../src/domain/dates.js';
import { startGateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { ensureRedis } from './ensure-redis.js';
import { SOURCES } from '../adapters/sources.js';
import { ensurePostgres } from './ensure-postgres.js';
import { playKpiMonth } from './demo-kpi.js';
import { startSimulators } from './simulators.js';

const KEY = { sync: 'demo-sync-key-0001', lookup: 'demo-lookup-key-0001', ops: 'demo-ops-key-0001', kpi: 'demo-kpi-key-0001' };
const exitAfter = process.argv.includes('--exit');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const redis = await ensureRedis(process.env.REDIS_URL);
const postgres = await ensurePostgres(process.env.DATABASE_URL);
const freePorts = Object.fromEntries(['DVCQG', ...SOURCES.map((s) => s.name.toUpperCase())].map((n) => [`${n}_SIM_PORT`, '0']));
const sims = await startSimulators({ ...process.env, ...freePorts });
const dir = mkdtempSync(join(tmpdir(), 'dvc-demo-'));
const clients = join(dir, 'clients.json');
writeFileSync(
  clients,
  JSON.stringify([
    { name: 'procedure-system', apiKey: KEY.sync, roles: ['sync'] },
    { name: 'officer-tool', apiKey: KEY.lookup, roles: ['lookup'] },
    { name: 'ops-staff', apiKey: KEY.ops, roles: ['ops'] },
    { name: 'city-office', apiKey: KEY.kpi, roles: ['kpi'] },
  ]),
);
const prefix = `demo-${Date.now().toString(36)}`;
const config = loadConfig({
  ...process.env,
  PORT: process.env.PORT ?? '8080',
  HOST: '127.0.0.1',
  REDIS_URL: redis.url,
  QUEUE_PREFIX: prefix,
  GATEWAY_CLIENTS_FILE: clients,
  ...sims.env,
  DVCQG_TIMEOUT_MS: '1500',
  DVCQG_CIRCUIT_OPEN_MS: '5000',
  SYNC_BACKOFF_BASE_MS: '500',
  SYNC_BACKOFF_MAX_MS: '5000',
  ALERT_EVALUATE_INTERVAL_MS: '2000',
  ALERT_CIRCUIT_OPEN_SECONDS: '5',
  ALERT_DEAD_LETTERS_WINDOW_SECONDS: '120',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  ...(postgres ? { DATABASE_URL: postgres.url } : {}),
});
const gateway = await startGateway(config, { logger: createLogger(config.logLevel) });
const base = `http://127.0.0.1:${gateway.port}`;

/** The demo leaves nothing behind in a Redis it shares. */
async function forgetDemoKeys(): Promise<void> {
  const client = new Redis(redis.url);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

async function call(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : null,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let serial = 0;
async function pushDossiers(n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      const m = `000.00.01.H26-${toPortalTimestamp(new Date()).slice(2, 8)}-${String(++serial).padStart(4, '0')}`;
      await call('PUT', `/v1/dossiers/${m}`, KEY.sync, { revision: 1, dossier: sampleDossier(m, { TrangThaiHoSo: 2 }), progress: [sampleProgress(m, new Date(), 2)] });
      await call('PUT', `/v1/dossiers/${m}`, KEY.sync, { revision: 2, dossier: sampleDossier(m, { TrangThaiHoSo: 4 }), progress: [sampleProgress(m, new Date(Date.now() + 1000), 4)] });
    }),
  );
}

async function status(label: string): Promise<void> {
  const q = ((await call('GET', '/v1/ops/queues', KEY.ops)).body.queues as Array<Record<string, number>>)[0]!;
  const ups = (await call('GET', '/v1/ops/upstreams', KEY.ops)).body.upstreams as Array<{ name: string; circuit: string }>;
  const sync = (await call('GET', '/v1/ops/sync', KEY.ops)).body;
  const circuits = ups.map((u) => `${u.name}:${u.circuit}`).join(' ');
  console.log(
    `${label.padEnd(28)} waiting ${String(q.waiting).padStart(4)}  delayed ${String(q.delayed).padStart(4)}  lag ${String(sync.lagSeconds).padStart(5)} s  dead letters ${sync.deadLetters}  portal holds ${sims.dvcqg.dossiers().length}  ${circuits}`,
  );
}

console.log(`\ndvc-gateway demo — gateway at ${base}`);
console.log(`dashboard: ${base}/ops/  (sign in with the ops key ${KEY.ops})`);
if (postgres) console.log(`indicators: ${base}/ops/#kpi  (key ${KEY.kpi}); PostgreSQL: ${postgres.source}`);
console.log();

console.log('1. normal traffic: 40 dossiers, two revisions each, with progress');
await pushDossiers(40);
await sleep(1500);
await status('   after normal traffic');

console.log('2. officers look people and businesses up');
const person = FIXTURE_CITIZENS[0]!.query;
const purpose = { 'x-dossier-code': '000.00.01.H26-261129-0001', 'x-officer-id': 'CB-0042' };
const citizen = await call('GET', `/v1/citizens/${person.idNumber}?hoVaTen=${encodeURIComponent(person.fullName)}&ngaySinh=${person.birthDate}`, KEY.lookup, undefined, purpose);
console.log(`   citizen lookup → ${citizen.status}`);
const business = await call('GET', '/v1/businesses/0100109106', KEY.lookup, undefined, purpose);
console.log(`   business lookup → ${business.status} ${String(business.body.name ?? business.body.code ?? '')}`);
const badId = await call('GET', '/v1/citizens/001099?hoVaTen=A&ngaySinh=1999', KEY.lookup, undefined, purpose);
console.log(`   malformed ID → ${badId.status} ${String(badId.body.detail)}`);

console.log('3. the portal goes down: the circuit opens, the backlog fills, nothing is lost');
sims.dvcqg.setFaults({ down: 'unavailable' });
for (let i = 0; i < 4; i++) {
  await pushDossiers(25);
  await sleep(1500);
  await status(`   outage, ${(i + 1) * 1.5} s`);
}

console.log('4. a dossier the portal rejects becomes a dead letter');
sims.dvcqg.setFaults({ down: false, rejectMaHoSo: ['000.00.01.H26-261129-9999'], rejectErrorCode: 9, rejectMessage: 'Dữ liệu hồ sơ không hợp lệ' });
await call('PUT', '/v1/dossiers/000.00.01.H26-261129-9999', KEY.sync, { revision: 1, dossier: sampleDossier('000.00.01.H26-261129-9999') });

console.log('5. the portal is back: the backlog drains');
for (let i = 0; i < 20; i++) {
  await sleep(1500);
  const q = ((await call('GET', '/v1/ops/queues', KEY.ops)).body.queues as Array<{ waiting: number; delayed: number; active: number }>)[0]!;
  await status(`   recovery, ${(i + 1) * 1.5} s`);
  if (q.waiting + q.delayed + q.active === 0) break;
}
const letters = (await call('GET', '/v1/ops/dead-letters', KEY.ops)).body.items as Array<{ maHoSo: string; reason: { message: string } }>;
for (const l of letters) console.log(`   dead letter: ${l.maHoSo} — ${l.reason.message}`);

if (postgres) {
  console.log('6. a month of indicators: the sample catalogue (767 fully online) and units that differ');
  await gateway.records.whenReady();
  const { dossiers } = await playKpiMonth(call, KEY);
  // Figures include what was accepted more than a moment ago: wait for the outbox to drain.
  for (let i = 0; i < 40; i++) {
    await sleep(500);
    const units = (await call('GET', '/v1/kpi/units', KEY.kpi)).body as { total?: { received: number } };
    if ((units.total?.received ?? 0) >= dossiers) break;
  }
  const units = (await call('GET', '/v1/kpi/units', KEY.kpi)).body as {
    period: { label: string };
    units: Array<{ unit: string; name: string | null; received: number; fullyOnlineRate: number | null; onTimeRate: number | null }>;
  };
  const pct = (r: number | null) => (r === null ? '   —  ' : `${(r * 100).toFixed(1).padStart(5)} %`);
  for (const u of units.units.filter((x) => x.received > 0)) {
    console.log(`   ${u.unit.padEnd(15)} ${String(u.received).padStart(4)} dossiers  fully online ${pct(u.fullyOnlineRate)}  on time ${pct(u.onTimeRate)}  ${u.name ?? ''}`);
  }
  const warnings = (await call('GET', '/v1/kpi/warnings', KEY.kpi)).body.items as Array<{ code: string }>;
  const byCode = warnings.reduce<Record<string, number>>((a, w) => ({ ...a, [w.code]: (a[w.code] ?? 0) + 1 }), {});
  console.log(`   warnings in ${units.period.label}: ${Object.entries(byCode).map(([c, k]) => `${c} ${k}`).join(', ') || 'none'}`);
}

const stop = async () => {
  await gateway.stop();
  await forgetDemoKeys();
  await postgres?.stop();
  await sims.close();
  await redis.stop();
  process.exit(0);
};
if (exitAfter) await stop();
console.log(`\nThe demo keeps running: open ${base}/ops/ (key ${KEY.ops}); replay the dead letter from there. Ctrl-C stops.`);
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
