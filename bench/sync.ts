/**
 * Dossier sync benchmark (`npm run bench:sync`).
 *
 * Part 1, throughput: N dossiers (default 2,000), one progress item each, pushed as PUT /v1/dossiers/{MaHoSo}
 * with 64 requests in flight, to
 *   - the gateway (src/main.ts, role all, in its own process), timed from the first request until the
 *     DVCQG simulator holds every dossier and its progress item (202 is only "stored in Redis");
 *   - the baseline, bench/lib/forwarder.ts (own process): a minimal synchronous forwarder with nothing of
 *     the gateway's code (node:http in, the same two portal calls over a keep-alive http.Agent, 202 after
 *     them), so its last 202 is its end.
 * Both face the same in-process DVCQG simulator; rounds alternate forwarder / gateway after one warm-up
 * round each, and the ratio gateway/forwarder is reported per round and as the median.
 *
 * Part 2, memory (skip with --no-memory): with the portal down, M undelivered revisions (default 100,000;
 * distinct dossiers, one progress item each) pushed through POST /v1/dossiers/batch; reports the gateway
 * process's RSS (idle, after the push, peak, after a full GC forced by a heap snapshot, and the
 * snapshot's size as a measure of live JS objects) and the Redis memory they take: used_memory
 * before/after, and the exact sum of MEMORY USAGE over the run's keys, per waiting revision and per key family.
 *
 * Part 3, only with --degraded SEEDS (e.g. 1,2,3; then parts 1 and 2 are skipped): the degraded-portal
 * scenario of bench/lib/degraded.ts per seed, with the gateway's default settings: seconds from the last
 * send until the portal held everything (limit 120), circuit openings, duplicate steps and their cause.
 *
 * Options: --count N  --concurrency N  --rounds N  --no-memory  --no-throughput  --memory-count N  --batch-size N
 *          --cpu-prof DIR (profile the gateway child; written when it stops)  --gateway-env K=V (repeatable)
 *          --degraded SEEDS  --round-trips N (only: Redis commands per delivered dossier, bench/lib/round-trips.ts)
 *          --portal-clients (only: client CPU per portal call, node:http against undici, bench/lib/portal-clients.ts)
 * Every key the run writes is under its own QUEUE_PREFIX and deleted at the end.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startDvcqgSimulator, type DvcqgSimulator } from '../adapters/dvcqg/index.js';
import { ensureRedis } from '../scripts/ensure-redis.js';
import { startNodeChild, type NodeChild } from './lib/child.js';
import { gatewayEnv, whenDelivered } from './lib/delivered.js';
import { RevisionTemplate, maHoSo } from './lib/dossiers.js';
import { KEYS, benchPrefix, startGatewayChild } from './lib/gateway-child.js';
import { closeTarget, httpTarget, send, type HttpTarget } from './lib/http-client.js';
import { countOk, describeLoad, fmt, percentiles, runLoad, type LoadResult } from './lib/load.js';
import { cpuTimeMs, machineLoad, mib, processMemory } from './lib/proc.js';
import { degradedRun } from './lib/degraded.js';
import { roundTrips } from './lib/round-trips.js';
import { comparePortalClients } from './lib/portal-clients.js';
import { deletePrefix, keyMemory, memoryUnderPrefix, usedMemory } from './lib/redis-mem.js';
import { table, verdict } from './lib/report.js';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    'no-memory': { type: 'boolean', default: false },
    'no-throughput': { type: 'boolean', default: false },
    'memory-count': { type: 'string', default: '100000' },
    'batch-size': { type: 'string', default: '250' },
    'cpu-prof': { type: 'string' },
    'gateway-env': { type: 'string', multiple: true, default: [] },
    degraded: { type: 'string' },
    'round-trips': { type: 'string' },
    'portal-clients': { type: 'boolean', default: false },
  },
});
const COUNT = positive('count');
const CONCURRENCY = positive('concurrency');
const ROUNDS = positive('rounds');
const MEMORY_COUNT = positive('memory-count');
const BATCH_SIZE = positive('batch-size');
const WARMUP = COUNT; // one full unreported round each: V8 keeps optimising through the first thousand requests
const MAX_PHASE_MS = 60_000;
const PUT_HEADERS = { authorization: `Bearer ${KEYS.sync}`, 'content-type': 'application/json' };
const GATEWAY_ENV = gatewayEnv(opts['gateway-env']);

function positive(name: keyof typeof opts): number {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

const template = new RevisionTemplate();

function codesFor(day: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => maHoSo(day, i + 1));
}

function pushLoad(target: HttpTarget, codes: string[]): Promise<LoadResult> {
  return runLoad({
    total: codes.length,
    concurrency: CONCURRENCY,
    maxMs: MAX_PHASE_MS,
    task: async (i) => (await send(target, 'PUT', `/v1/dossiers/${codes[i]}`, PUT_HEADERS, template.json(codes[i]!))).status,
  });
}

interface RoundResult {
  rate: number;
  elapsedMs: number;
  load: LoadResult;
  cpuMsPerDossier: number;
  redisCpuMsPerDossier: number;
  /** CPU of this process (load generator and portal simulator) per dossier. */
  benchCpuMsPerDossier: number;
}

function benchCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const n = (f: string) => Number(new RegExp(`^${f}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (n('used_cpu_user') + n('used_cpu_sys')) * 1000;
}

async function forwarderRound(sim: DvcqgSimulator, child: NodeChild, target: HttpTarget, redis: Redis, codes: string[]): Promise<RoundResult> {
  sim.reset();
  const cpu0 = cpuTimeMs(child.pid);
  const r0 = await redisCpuMs(redis);
  const b0 = benchCpuMs();
  const load = await pushLoad(target, codes);
  const bcpu = benchCpuMs() - b0;
  const cpu = cpuTimeMs(child.pid) - cpu0;
  const rcpu = (await redisCpuMs(redis)) - r0;
  if (countOk(load, 202) !== codes.length) throw new Error(`forwarder: ${describeLoad('push', load)}`);
  await whenDelivered(sim, codes, performance.now() + 1_000); // a check: a 202 came after the calls
  const perDossier = (ms: number) => ms / codes.length;
  return { rate: codes.length / (load.elapsedMs / 1000), elapsedMs: load.elapsedMs, load, cpuMsPerDossier: perDossier(cpu), redisCpuMsPerDossier: perDossier(rcpu), benchCpuMsPerDossier: perDossier(bcpu) };
}

async function gatewayRound(sim: DvcqgSimulator, child: NodeChild, target: HttpTarget, redis: Redis, codes: string[]): Promise<RoundResult & { acceptRate: number }> {
  sim.reset();
  const cpu0 = cpuTimeMs(child.pid);
  const r0 = await redisCpuMs(redis);
  const b0 = benchCpuMs();
  const loading = pushLoad(target, codes);
  const start = performance.now();
  const delivered = whenDelivered(sim, codes, start + MAX_PHASE_MS);
  const load = await loading;
  const end = await delivered;
  const bcpu = benchCpuMs() - b0;
  const cpu = cpuTimeMs(child.pid) - cpu0;
  const rcpu = (await redisCpuMs(redis)) - r0;
  if (countOk(load, 202) !== codes.length) throw new Error(`gateway: ${describeLoad('push', load)}`);
  const elapsedMs = end - load.startedAt;
  return {
    rate: codes.length / (elapsedMs / 1000),
    acceptRate: codes.length / (load.elapsedMs / 1000),
    elapsedMs,
    load,
    cpuMsPerDossier: cpu / codes.length,
    redisCpuMsPerDossier: rcpu / codes.length,
    benchCpuMsPerDossier: bcpu / codes.length,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function profArgs(): string[] {
  const dir = opts['cpu-prof'];
  if (!dir) return [];
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

async function throughput(sim: DvcqgSimulator, redisUrl: string, redis: Redis, prefixes: string[], children: NodeChild[]) {
  console.log(`\n== Part 1: throughput, ${COUNT} dossiers × 1 progress item, ${CONCURRENCY} PUTs in flight, ${ROUNDS} rounds (+1 warm-up) ==`);
  const portalEnv = { DVCQG_AUTH_URL: sim.authUrl, DVCQG_API_URL: sim.apiUrl };
  const forwarder = await startNodeChild({ script: 'bench/lib/forwarder.ts', label: 'forwarder', env: { ...portalEnv, LOG_LEVEL: 'silent' } });
  children.push(forwarder);
  const prefix = benchPrefix('sync');
  prefixes.push(prefix);
  const gateway = await startGatewayChild({ redisUrl, prefix, env: { ...portalEnv, ...GATEWAY_ENV }, nodeArgs: profArgs() });
  children.push(gateway);
  const fTarget = httpTarget(forwarder.url, CONCURRENCY);
  const gTarget = httpTarget(gateway.url, CONCURRENCY);
  try {
    await forwarderRound(sim, forwarder, fTarget, redis, codesFor('261100', WARMUP));
    await gatewayRound(sim, gateway, gTarget, redis, codesFor('261100', WARMUP));
    const rows: Array<Array<string | number>> = [
      ['round', 'forwarder/s', 'gateway/s', 'ratio', 'gw 202/s', 'fwd PUT p50/p99 ms', 'gw PUT p50/p99 ms', 'CPU ms/dossier: fwd|bench(fwd)', 'gw|redis|bench(gw)'],
    ];
    const ratios: number[] = [];
    const fRates: number[] = [];
    const gRates: number[] = [];
    const gAccept: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const codes = codesFor(`2611${String(10 + r)}`, COUNT);
      const f = await forwarderRound(sim, forwarder, fTarget, redis, codes);
      const g = await gatewayRound(sim, gateway, gTarget, redis, codes);
      const fp = percentiles(f.load.latenciesMs);
      const gp = percentiles(g.load.latenciesMs);
      ratios.push(g.rate / f.rate);
      fRates.push(f.rate);
      gRates.push(g.rate);
      gAccept.push(g.acceptRate);
      rows.push([
        String(r + 1),
        fmt(f.rate, 0),
        fmt(g.rate, 0),
        fmt(g.rate / f.rate),
        fmt(g.acceptRate, 0),
        `${fmt(fp.p50, 1)}/${fmt(fp.p99, 1)}`,
        `${fmt(gp.p50, 1)}/${fmt(gp.p99, 1)}`,
        `${fmt(f.cpuMsPerDossier, 2)}|${fmt(f.benchCpuMsPerDossier, 2)}`,
        `${fmt(g.cpuMsPerDossier, 2)}|${fmt(g.redisCpuMsPerDossier, 2)}|${fmt(g.benchCpuMsPerDossier, 2)}`,
      ]);
    }
    const ratio = median(ratios);
    rows.push(['median', fmt(median(fRates), 0), fmt(median(gRates), 0), fmt(ratio), fmt(median(gAccept), 0), '', '', '', '']);
    console.log(table(rows));
    console.log('CPU per dossier: fwd = forwarder process, gw = gateway process, redis = redis-server (shared), bench = this process (load generator + portal simulator).');
    console.log(`gateway: timed from the first PUT until the portal simulator held all ${COUNT} dossiers and their progress; forwarder: until its last 202.`);
    console.log(`gateway/forwarder throughput ratio (median of ${ROUNDS}): ${fmt(ratio)}  target ≥ 0.5  ${verdict(ratio >= 0.5)}`);
    return { forwarderPerSec: Math.round(median(fRates)), gatewayPerSec: Math.round(median(gRates)), gatewayAcceptPerSec: Math.round(median(gAccept)), ratio: Number(ratio.toFixed(3)) };
  } finally {
    closeTarget(fTarget);
    closeTarget(gTarget);
    await forwarder.stop();
    await gateway.stop();
  }
}

function family(prefix: string) {
  return (key: string) =>
    key
      .slice(prefix.length + 1)
      .split(':')
      .map((seg) => (seg.includes('000.00.01.H26') ? (/^g\d+-/.test(seg) ? '<jobId>' : '<MaHoSo>') : seg))
      .join(':');
}

/**
 * RSS once the child ran a full GC: SIGUSR2 makes it write a heap snapshot (GC first); it answers HTTP
 * again only when the snapshot is written. The snapshot is deleted with its directory afterwards.
 */
async function rssAfterFullGc(child: NodeChild, target: HttpTarget, dir: string): Promise<{ rss: number; snapshotBytes: number }> {
  process.kill(child.pid, 'SIGUSR2');
  for (let i = 0; i < 300 && readdirSync(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  await send(target, 'GET', '/health/live', {}, undefined, 60_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const file = readdirSync(dir)[0];
  return { rss: processMemory(child.pid).rss, snapshotBytes: file ? statSync(join(dir, file)).size : NaN };
}

async function memory(sim: DvcqgSimulator, redisUrl: string, redis: Redis, prefixes: string[], children: NodeChild[]) {
  const n = MEMORY_COUNT;
  console.log(`\n== Part 2: memory, ${n} undelivered revisions (portal down), batches of ${BATCH_SIZE}, ${CONCURRENCY} in flight ==`);
  sim.reset();
  sim.setFaults({ down: 'unavailable' });
  const prefix = benchPrefix('mem');
  prefixes.push(prefix);
  // A heap snapshot on SIGUSR2 is the one way to make the child run a full GC without changing its code.
  const snapshots = mkdtempSync(join(tmpdir(), 'bench-sync-heap-'));
  const gateway = await startGatewayChild({
    redisUrl,
    prefix,
    env: { DVCQG_AUTH_URL: sim.authUrl, DVCQG_API_URL: sim.apiUrl, ...GATEWAY_ENV },
    nodeArgs: [...profArgs(), '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshots}`],
  });
  children.push(gateway);
  const target = httpTarget(gateway.url, CONCURRENCY);
  const headers = { authorization: `Bearer ${KEYS.sync}`, 'content-type': 'application/json' };
  try {
    await new Promise((r) => setTimeout(r, 1_500));
    const idle = processMemory(gateway.pid);
    const before = await usedMemory(redis);
    const codes = codesFor('261201', n);
    const batches = Math.ceil(n / BATCH_SIZE);
    const firstBody = template.batch(codes.slice(0, BATCH_SIZE));
    console.log(`one revision ${Buffer.byteLength(template.json(codes[0]!))} bytes of JSON; one batch body ${Buffer.byteLength(firstBody)} bytes (limit 1048576)`);
    if (Buffer.byteLength(firstBody) > 1024 * 1024) throw new Error('--batch-size too large: the body exceeds 1 MiB');
    let accepted = 0;
    let peakRss = idle.rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, processMemory(gateway.pid).rss)), 200);
    const load = await runLoad({
      total: batches,
      concurrency: CONCURRENCY,
      maxMs: 150_000,
      task: async (i) => {
        const body = template.batch(codes.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE));
        const answer = await send(target, 'POST', '/v1/dossiers/batch', headers, body, 60_000);
        if (answer.status === 207) {
          const { results } = JSON.parse(answer.body.toString('utf8')) as { results: Array<{ outcome?: string }> };
          accepted += results.filter((x) => x.outcome === 'accepted').length;
        }
        return answer.status;
      },
    });
    clearInterval(sampler);
    console.log(describeLoad('batches', load, BATCH_SIZE).replace(/= (\d+)\/s/, '= $1 revisions/s'));
    if (accepted !== n) console.log(`WARNING: ${accepted} of ${n} revisions accepted`);
    await new Promise((r) => setTimeout(r, 3_000)); // let the worker settle (circuit open, jobs held)
    const after = processMemory(gateway.pid);
    const afterGc = await rssAfterFullGc(gateway, target, snapshots);
    const usedAfter = await usedMemory(redis);
    const queues = await send(target, 'GET', '/v1/ops/queues', { authorization: `Bearer ${KEYS.opsRead}` });
    const sq = (JSON.parse(queues.body.toString('utf8')) as { queues: Array<Record<string, unknown>> }).queues.find((q) => q.name === 'dossier-sync');
    const pm = await memoryUnderPrefix(redis, prefix, family(prefix));
    const m = codes[Math.floor(n / 2)]!;
    const one: Array<[string, string]> = [
      ['dossier state hash', `${prefix}:sync:d:${m}`],
      ['dossier data string', `${prefix}:sync:data:${m}`],
      ['pending progress hash', `${prefix}:sync:ph:${m}`],
      ['pending progress order', `${prefix}:sync:pz:${m}`],
      ['BullMQ job hash', `${prefix}:dossier-sync:g1-${m}`],
    ];
    const perKey: Array<Array<string | number>> = [['key of one waiting revision', 'MEMORY USAGE B', 'encoding']];
    let oneSum = 0;
    for (const [label, key] of one) {
      const b = await keyMemory(redis, key);
      const enc = b === null ? '-' : String(await redis.call('OBJECT', 'ENCODING', key));
      oneSum += b ?? 0;
      perKey.push([`${label} ${key.slice(prefix.length + 1).replace(m, '<m>')}`, b ?? 'absent', enc]);
    }
    perKey.push(['sum', oneSum, '']);
    const jobFields = (await redis.hgetall(`${prefix}:dossier-sync:g1-${m}`)) as Record<string, string>;

    const perRevisionUsed = (usedAfter - before) / n;
    const perRevisionKeys = pm.bytes / n;
    console.log(`accepted ${accepted}/${n}; dossier-sync queue: ${JSON.stringify(sq)}`);
    console.log(
      table([
        ['gateway process (child)', 'value'],
        ['RSS idle, after start', mib(idle.rss)],
        ['RSS after the push (+3 s)', mib(after.rss)],
        ['RSS peak during the push (VmHWM)', mib(after.peakRss)],
        ['RSS after a heap snapshot (full GC, + the snapshot writer’s own buffers)', mib(afterGc.rss)],
        ['heap snapshot size (≈ live JS objects)', mib(afterGc.snapshotBytes)],
      ]),
    );
    console.log(
      table([
        ['Redis', 'value'],
        ['used_memory before', mib(before)],
        ['used_memory after', mib(usedAfter)],
        ['used_memory delta / revision', `${fmt(perRevisionUsed, 0)} B`],
        [`sum MEMORY USAGE of ${pm.keys} keys / revision`, `${fmt(perRevisionKeys, 0)} B`],
      ]),
    );
    const fams = [...pm.families.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
    console.log(
      table([
        ['key family', 'keys', 'bytes', 'B / revision'],
        ...fams.map(([f, v]) => [f, v.keys, v.bytes, fmt(v.bytes / n, 1)]),
      ]),
    );
    console.log(table(perKey));
    console.log(`BullMQ job hash fields: ${Object.entries(jobFields).map(([k, v]) => `${k}(${v.length})`).join(' ')}`);
    const target2k = Math.max(perRevisionUsed, perRevisionKeys);
    console.log(`Redis bytes per waiting revision: ${fmt(perRevisionUsed, 0)} (used_memory delta), ${fmt(perRevisionKeys, 0)} (sum of key sizes)  target < 2048  ${verdict(target2k < 2048)}`);
    return {
      revisions: n,
      accepted,
      pushPerSec: Math.round((load.ran * BATCH_SIZE) / (load.elapsedMs / 1000)),
      gatewayRssIdleMiB: Number((idle.rss / 2 ** 20).toFixed(1)),
      gatewayRssAfterMiB: Number((after.rss / 2 ** 20).toFixed(1)),
      gatewayRssPeakMiB: Number((after.peakRss / 2 ** 20).toFixed(1)),
      gatewayRssAfterGcMiB: Number((afterGc.rss / 2 ** 20).toFixed(1)),
      redisBytesPerRevisionUsedMemory: Math.round(perRevisionUsed),
      redisBytesPerRevisionKeys: Math.round(perRevisionKeys),
      oneRevisionKeysBytes: oneSum,
    };
  } finally {
    closeTarget(target);
    await gateway.stop();
    rmSync(snapshots, { recursive: true, force: true });
    sim.resetFaults();
  }
}

async function degraded(redisUrl: string, redis: Redis) {
  const seeds = opts.degraded!.split(',').map((x) => Number(x.trim()));
  if (seeds.some((x) => !Number.isInteger(x))) throw new Error('--degraded takes seeds, e.g. 1,2,3');
  console.log(`\n== Part 3: degraded portal (27 % random faults, sessions expiring every 40 calls, one SIGKILL), seeds ${seeds.join(', ')} ==`);
  const rows: Array<Array<string | number>> = [
    ['seed', 'dossiers', 'revisions', 'steps', 'sends', 'delivered after last send, s', 'missing', 'not latest', 'circuit opened', 'duplicate steps (from stored-unacknowledged calls)'],
  ];
  const results = [];
  for (const seed of seeds) {
    const r = await degradedRun(seed, redisUrl, redis);
    results.push(r);
    rows.push([seed, r.dossiers, r.revisions, r.steps, r.sends, r.deliveredAfterSeconds ?? 'not within 120', r.missingSteps, r.notAtLatest, r.circuitOpened, `${r.duplicateSteps} (${r.duplicatesFromUnacknowledgedCalls})`]);
  }
  console.log(table(rows));
  const ok = results.every((r) => r.deliveredAfterSeconds !== null && r.deliveredAfterSeconds <= 120);
  console.log(`everything at the portal within 120 s of the last send, every seed: ${verdict(ok)}`);
  return results;
}

async function main(): Promise<void> {
  const load = machineLoad();
  console.log(`bench:sync  node ${process.version}  ${load.cpus} CPUs  load average (1 min) ${load.load1}${load.load1 > 0.5 ? '  (the machine is busy: figures will be noisy)' : ''}`);
  console.log('gateway: node --import tsx src/main.ts in a child process (GATEWAY_ROLE=all, LOG_LEVEL=silent, default sync settings); load generator and DVCQG simulator in this process');
  const redisHandle = await ensureRedis(process.env.REDIS_URL);
  const redis = new Redis(redisHandle.url, { maxRetriesPerRequest: null });
  const sim = await startDvcqgSimulator({ port: 0, seed: 7, maxCalls: 10_000 });
  const prefixes: string[] = [];
  const children: NodeChild[] = [];
  const summary: Record<string, unknown> = {};
  const started = performance.now();
  try {
    if (opts['portal-clients']) {
      const f = await comparePortalClients();
      console.log(`\n== portal client CPU per DongBoHoSoMC call (64 in flight, median of 3 rounds of 5,000) ==`);
      console.log(`node:http + keep-alive Agent: ${fmt(f.nodeHttpCpuUsPerCall, 1)} µs   undici pool: ${fmt(f.undiciCpuUsPerCall, 1)} µs`);
      summary.portalClients = f;
    } else if (opts['round-trips'] !== undefined) {
      const rt = await roundTrips(Number(opts['round-trips']));
      console.log(`\n== Redis round trips per delivered dossier (${rt.dossiers} dossiers, 1 progress item each, private redis-server) ==`);
      console.log(table([['command sent by a client', 'per dossier'], ...Object.entries(rt.perDossier).map(([k, v]) => [k, fmt(v, 2)]), ['total', fmt(rt.totalPerDossier, 2)]]));
      console.log(`commands run inside those scripts: ${rt.inScriptsPerDossier} per dossier: ${Object.entries(rt.inScriptsByCommand).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      summary.roundTrips = rt;
    } else if (opts.degraded !== undefined) {
      summary.degraded = await degraded(redisHandle.url, redis);
    } else {
      if (!opts['no-throughput']) summary.throughput = await throughput(sim, redisHandle.url, redis, prefixes, children);
      if (!opts['no-memory']) summary.memory = await memory(sim, redisHandle.url, redis, prefixes, children);
    }
  } finally {
    for (const c of children) await c.stop();
    await sim.close();
    let deleted = 0;
    for (const p of prefixes) deleted += await deletePrefix(redis, p);
    console.log(`\ncleanup: deleted ${deleted} keys of ${prefixes.join(', ')}; Redis used_memory now ${mib(await usedMemory(redis))}`);
    redis.disconnect();
    await redisHandle.stop();
  }
  console.log(`total time ${fmt((performance.now() - started) / 1000, 1)} s`);
  console.log(JSON.stringify({ bench: 'sync', node: process.version, ...summary }));
}

main().catch((e: unknown) => {
  console.error(`bench:sync failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
