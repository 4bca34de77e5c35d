/**
 * Business lookup benchmark (`npm run bench:lookup`): the gateway's GET /v1/businesses/{code} against
 * the same registry called directly, in one run, with one client (node:http, keep-alive agents of
 * `concurrency` sockets for both).
 *
 *   registry   adapters/dkdn-rest simulator in this process, every answer delayed 20 ms, any valid code answered
 *   gateway    node --import tsx src/main.ts in a child process, DKDN_URL at the simulator, cache TTL 3600 s
 *   direct     one token from /token, then /apiCSDLDKDN/1.0/chiTietDoanhNghiep?msdn= with it
 *   bare proxy bench/lib/null-proxy.ts in a child process: forwards and nothing else; shown for information,
 *              as the floor of what any gateway in its own process adds on this machine (one more hop)
 *
 *   (a) 500 lookups one at a time, distinct codes (every gateway lookup misses its cache), direct and
 *       gateway (and bare proxy) interleaved, with a pause of --gap-ms (5) after each, so that work one
 *       path does after its answer (the gateway's audit closings, sent 2 ms after) does not fall into the
 *       next one's measurement: added latency = gateway − direct at p50 and p99 (targets ≤ 1.5 ms, ≤ 5 ms)
 *   (b) 4,000 lookups, 32 in flight, distinct codes: throughput ratio gateway/direct (target ≥ 0.85)
 *   (c) 4,000 lookups, 32 in flight, 50 codes warmed into the gateway's cache: ratio (target ≥ 3)
 *
 *   Before them, --warmup (2,000) lookups on each path, 8 in flight, not reported: connections, the
 *   gateway's upstream token, and its code run often enough for V8 to optimize it, as in a process that
 *   has served for a while (with 300, the gateway's (a) p50 read 0.1–0.2 ms higher; `--warmup 300` shows it).
 *
 * Options: --sequential N  --gap-ms N  --warmup N  --count N  --concurrency N  --repeated-codes N  --latency-ms N
 *          --cpu-prof DIR (profile the gateway child)  --gateway-env K=V (repeatable)
 */
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { validEnterpriseCode } from '../adapters/dkdn-rest/fixtures/index.js';
import { startDkdnSimulator } from '../adapters/dkdn-rest/simulator.js';
import { ensureRedis } from '../scripts/ensure-redis.js';
import { startNodeChild } from './lib/child.js';
import { KEYS, benchPrefix, startGatewayChild } from './lib/gateway-child.js';
import { closeTarget, httpTarget, send, type HttpTarget } from './lib/http-client.js';
import { countOk, fmt, percentiles, runLoad, type LoadResult, type Percentiles } from './lib/load.js';
import { cpuTimeMs, machineLoad, mib } from './lib/proc.js';
import { deletePrefix, usedMemory } from './lib/redis-mem.js';
import { table, verdict } from './lib/report.js';

const { values: opts } = parseArgs({
  options: {
    sequential: { type: 'string', default: '500' },
    'gap-ms': { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2000' },
    count: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '32' },
    'repeated-codes': { type: 'string', default: '50' },
    'latency-ms': { type: 'string', default: '20' },
    'cpu-prof': { type: 'string' },
    'gateway-env': { type: 'string', multiple: true, default: [] },
  },
});
const int = (name: keyof typeof opts, min = 1) => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
};
const SEQUENTIAL = int('sequential');
const GAP_MS = int('gap-ms', 0);
/** Warm-up codes come from a range of their own, after every phase's. */
const WARMUP_FROM = 1_000_000;
const COUNT = int('count');
const CONCURRENCY = int('concurrency');
const REPEATED = int('repeated-codes');
const LATENCY_MS = int('latency-ms', 0);
const WARMUP = int('warmup');
const DOSSIER = '000.00.01.H26-261129-0001';
const GATEWAY_HEADERS = { authorization: `Bearer ${KEYS.lookup}`, 'x-dossier-code': DOSSIER, 'x-officer-id': 'CB001', accept: 'application/json' };
const XROAD_CLIENT = 'VN/GOV/000.00.00.H26/DVC-GATEWAY';
const GATEWAY_ENV = Object.fromEntries(
  opts['gateway-env'].map((kv) => {
    const i = kv.indexOf('=');
    if (i < 1) throw new Error(`--gateway-env takes NAME=value, got ${kv}`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }),
);

/** Distinct codes for each phase, so no phase finds what another put in the cache. */
const codes = (from: number, n: number) => Array.from({ length: n }, (_, i) => validEnterpriseCode(from + i));

type Lookup = (code: string) => Promise<number>;

/** A lookup answered 200 must carry the business asked for: checked on every answer, both ways. */
function checked(answer: { status: number; body: Buffer }, code: string, field: string): number {
  if (answer.status === 200) {
    const body = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
    const got = field === 'GetEntCert' ? (body.GetEntCert as Array<Record<string, unknown>>)[0]?.MaSoDoanhNghiep : body.enterpriseCode;
    if (got !== code) throw new Error(`asked for ${code}, got ${String(got)}`);
  }
  return answer.status;
}

async function directToken(target: HttpTarget): Promise<string> {
  const basic = Buffer.from('dvc-gateway:dkdn-secret').toString('base64');
  const answer = await send(
    target,
    'POST',
    '/token',
    { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', 'x-road-client': XROAD_CLIENT },
    'grant_type=client_credentials',
  );
  if (answer.status !== 200) throw new Error(`direct /token answered ${answer.status}`);
  return (JSON.parse(answer.body.toString('utf8')) as { access_token: string }).access_token;
}

function load(lookup: Lookup, list: string[], concurrency: number): Promise<LoadResult> {
  return runLoad({ total: list.length, concurrency, maxMs: 60_000, task: (i) => lookup(list[i]!) });
}

function ensureOk(label: string, r: LoadResult): void {
  if (countOk(r, 200) !== r.ran || r.cutShort) {
    throw new Error(`${label}: ${r.ran} lookups, ${countOk(r, 200)} answered 200, statuses ${JSON.stringify(r.statuses)}, errors ${r.errors} (${r.firstError})`);
  }
}

const rate = (r: LoadResult) => r.ran / (r.elapsedMs / 1000);

async function main(): Promise<void> {
  const machine = machineLoad();
  console.log(`bench:lookup  node ${process.version}  ${machine.cpus} CPUs  load average (1 min) ${machine.load1}${machine.load1 > 0.5 ? '  (the machine is busy: figures will be noisy)' : ''}`);
  console.log(`gateway: node --import tsx src/main.ts in a child process (LOG_LEVEL=silent); registry simulator (latency ${LATENCY_MS} ms) and load generator in this process`);
  const redisHandle = await ensureRedis(process.env.REDIS_URL);
  const redis = new Redis(redisHandle.url, { maxRetriesPerRequest: null });
  const sim = await startDkdnSimulator({ port: 0, generate: true, faults: { latencyMs: LATENCY_MS }, maxRecordedRequests: 1_000 });
  const prefix = benchPrefix('lookup');
  const cpuProf = opts['cpu-prof'];
  if (cpuProf) mkdirSync(cpuProf, { recursive: true });
  const gateway = await startGatewayChild({
    redisUrl: redisHandle.url,
    prefix,
    env: { DKDN_URL: sim.url, DKDN_CACHE_TTL_SECONDS: '3600', ...GATEWAY_ENV },
    nodeArgs: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [],
  });
  const proxy = await startNodeChild({ script: 'bench/lib/null-proxy.ts', label: 'bare proxy', env: { DKDN_URL: sim.url } });
  const gTarget = httpTarget(gateway.url, CONCURRENCY);
  const dTarget = httpTarget(sim.url, CONCURRENCY);
  const pTarget = httpTarget(proxy.url, CONCURRENCY);
  const started = performance.now();
  try {
    const token = await directToken(dTarget);
    const directHeaders = { authorization: `Bearer ${token}`, 'x-road-client': XROAD_CLIENT, accept: 'application/json' };
    const direct: Lookup = async (code) =>
      checked(await send(dTarget, 'GET', `/apiCSDLDKDN/1.0/chiTietDoanhNghiep?msdn=${code}`, directHeaders), code, 'GetEntCert');
    const viaGateway: Lookup = async (code) => checked(await send(gTarget, 'GET', `/v1/businesses/${code}`, GATEWAY_HEADERS), code, 'enterpriseCode');
    const viaProxy: Lookup = async (code) => checked(await send(pTarget, 'GET', `/v1/businesses/${code}`), code, 'GetEntCert');
    const gwCpu = () => cpuTimeMs(gateway.pid);

    // Warm-up: JIT, connections, the gateway's upstream token. Not reported.
    ensureOk('warm-up direct', await load(direct, codes(WARMUP_FROM, WARMUP), 8));
    ensureOk('warm-up gateway', await load(viaGateway, codes(WARMUP_FROM + WARMUP, WARMUP), 8));
    ensureOk('warm-up bare proxy', await load(viaProxy, codes(WARMUP_FROM + 2 * WARMUP, WARMUP), 8));

    // (a) one at a time, interleaved so drift in the machine's load hits both alike.
    const aCodesD = codes(1_000, SEQUENTIAL);
    const aCodesG = codes(1_000 + SEQUENTIAL, SEQUENTIAL);
    const aCodesP = codes(1_000 + 2 * SEQUENTIAL, SEQUENTIAL);
    const aD: number[] = [];
    const aG: number[] = [];
    const aP: number[] = [];
    let aCpu = gwCpu();
    for (let i = 0; i < SEQUENTIAL; i++) {
      const trio: Array<[Lookup, string, number[]]> = [
        [direct, aCodesD[i]!, aD],
        [viaGateway, aCodesG[i]!, aG],
        [viaProxy, aCodesP[i]!, aP],
      ];
      // Rotate who goes first, so neither path always follows the same other one.
      for (let k = 0; k < i % 3; k++) trio.push(trio.shift()!);
      for (const [fn, code, into] of trio) {
        const t0 = performance.now();
        const status = await fn(code);
        into.push(performance.now() - t0);
        if (status !== 200) throw new Error(`(a) lookup of ${code} answered ${status}`);
        if (GAP_MS > 0) await sleep(GAP_MS);
      }
    }
    aCpu = (gwCpu() - aCpu) / SEQUENTIAL; // includes the gateway's idle work during the sequential run
    const pD = percentiles(aD);
    const pG = percentiles(aG);
    const pP = percentiles(aP);

    // (b) distinct codes, 32 in flight.
    const bD = await load(direct, codes(100_000, COUNT), CONCURRENCY);
    ensureOk('(b) direct', bD);
    let bCpu = gwCpu();
    const bG = await load(viaGateway, codes(100_000 + COUNT, COUNT), CONCURRENCY);
    bCpu = (gwCpu() - bCpu) / COUNT;
    ensureOk('(b) gateway', bG);
    const bP = await load(viaProxy, codes(100_000 + 2 * COUNT, COUNT), CONCURRENCY);
    ensureOk('(b) bare proxy', bP);

    // (c) a few codes, warmed into the gateway's cache first.
    const hot = codes(200_000, REPEATED);
    for (const code of hot) await viaGateway(code);
    const repeated = Array.from({ length: COUNT }, (_, i) => hot[i % REPEATED]!);
    const cD = await load(direct, repeated, CONCURRENCY);
    ensureOk('(c) direct', cD);
    let cCpu = gwCpu();
    const cG = await load(viaGateway, repeated, CONCURRENCY);
    cCpu = (gwCpu() - cCpu) / COUNT;
    ensureOk('(c) gateway', cG);

    const addP50 = pG.p50 - pD.p50;
    const addP99 = pG.p99 - pD.p99;
    const bRatio = rate(bG) / rate(bD);
    const cRatio = rate(cG) / rate(cD);
    const lat = (p: Percentiles) => `${fmt(p.p50)} / ${fmt(p.p99)}`;
    const pbD = percentiles(bD.latenciesMs);
    const pbG = percentiles(bG.latenciesMs);
    const pcD = percentiles(cD.latenciesMs);
    const pcG = percentiles(cG.latenciesMs);
    console.log();
    console.log(
      table([
        ['measure', 'direct', 'gateway', 'gateway − direct / ratio', 'target', ''],
        [`(a) ${SEQUENTIAL} sequential, p50 ms`, fmt(pD.p50), fmt(pG.p50), `+${fmt(addP50)} ms`, '≤ 1.5 ms', verdict(addP50 <= 1.5)],
        [`(a) ${SEQUENTIAL} sequential, p99 ms`, fmt(pD.p99), fmt(pG.p99), `+${fmt(addP99)} ms`, '≤ 5 ms', verdict(addP99 <= 5)],
        [`(b) ${COUNT} distinct, c=${CONCURRENCY}, lookups/s`, fmt(rate(bD), 0), fmt(rate(bG), 0), `×${fmt(bRatio)}`, '≥ 0.85', verdict(bRatio >= 0.85)],
        [`(c) ${COUNT} over ${REPEATED} cached codes, c=${CONCURRENCY}, lookups/s`, fmt(rate(cD), 0), fmt(rate(cG), 0), `×${fmt(cRatio)}`, '≥ 3', verdict(cRatio >= 3)],
        ['(b) p50 / p99 ms', lat(pbD), lat(pbG), '', '', ''],
        ['(c) p50 / p99 ms', lat(pcD), lat(pcG), '', '', ''],
        ['info: bare proxy (a) p50 / p99 ms', lat(pD), lat(pP), `+${fmt(pP.p50 - pD.p50)} / +${fmt(pP.p99 - pD.p99)} ms`, '', ''],
        ['info: bare proxy (b) lookups/s', fmt(rate(bD), 0), fmt(rate(bP), 0), `×${fmt(rate(bP) / rate(bD))}`, '', ''],
        ['gateway CPU per lookup (a) / (b) / (c), ms', '', `${fmt(aCpu, 3)} / ${fmt(bCpu, 3)} / ${fmt(cCpu, 3)}`, '', '', ''],
      ]),
    );
    const usedNow = await usedMemory(redis);
    console.log(`Redis used_memory with the run's cache and audit entries: ${mib(usedNow)}; total time ${fmt((performance.now() - started) / 1000, 1)} s`);
    const round = (n: number, d = 2) => Number(n.toFixed(d));
    console.log(
      JSON.stringify({
        bench: 'lookup',
        node: process.version,
        registryLatencyMs: LATENCY_MS,
        sequential: { n: SEQUENTIAL, directP50: round(pD.p50), gatewayP50: round(pG.p50), addedP50: round(addP50), directP99: round(pD.p99), gatewayP99: round(pG.p99), addedP99: round(addP99) },
        distinct: { n: COUNT, concurrency: CONCURRENCY, directPerSec: Math.round(rate(bD)), gatewayPerSec: Math.round(rate(bG)), ratio: round(bRatio) },
        cached: { n: COUNT, codes: REPEATED, concurrency: CONCURRENCY, directPerSec: Math.round(rate(cD)), gatewayPerSec: Math.round(rate(cG)), ratio: round(cRatio) },
        bareProxy: { addedP50: round(pP.p50 - pD.p50), addedP99: round(pP.p99 - pD.p99), distinctPerSec: Math.round(rate(bP)), distinctRatio: round(rate(bP) / rate(bD)) },
        gatewayCpuMsPerLookup: { sequential: round(aCpu, 3), distinct: round(bCpu, 3), cached: round(cCpu, 3) },
      }),
    );
  } finally {
    closeTarget(gTarget);
    closeTarget(dTarget);
    closeTarget(pTarget);
    await proxy.stop();
    await gateway.stop();
    await sim.close();
    const deleted = await deletePrefix(redis, prefix);
    console.log(`cleanup: deleted ${deleted} keys of ${prefix}`);
    redis.disconnect();
    await redisHandle.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:lookup failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
