/**
 * What replica confirmation costs (`npm run bench:sync-ha`): the dossier sync throughput of two gateways on
 * the same private Redis master with one replica, one plain (REDIS_MIN_REPLICAS_ACK=0) and one answering
 * 202 only after WAIT 1 (REDIS_MIN_REPLICAS_ACK=1). N dossiers (default 2,000) with one progress item each,
 * 64 PUTs in flight, timed from the first PUT until the DVCQG simulator holds them all (and, separately,
 * until the last 202). Rounds alternate plain / confirmed after one warm-up round each; the ratio
 * confirmed/plain is reported per round and as the median (target: a cost of at most 5 %, ratio ≥ 0.95).
 *
 * Options: --count N  --concurrency N  --rounds N  --gateway-env K=V (repeatable, both gateways)
 */
import { parseArgs } from 'node:util';
import { startDvcqgSimulator, type DvcqgSimulator } from '../adapters/dvcqg/index.js';
import type { NodeChild } from './lib/child.js';
import { gatewayEnv, whenDelivered } from './lib/delivered.js';
import { RevisionTemplate, maHoSo } from './lib/dossiers.js';
import { KEYS, benchPrefix, startGatewayChild } from './lib/gateway-child.js';
import { closeTarget, httpTarget, send, type HttpTarget } from './lib/http-client.js';
import { countOk, describeLoad, fmt, percentiles, runLoad } from './lib/load.js';
import { machineLoad } from './lib/proc.js';
import { startRedisPair } from './lib/redis-pair.js';
import { table, verdict } from './lib/report.js';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    'gateway-env': { type: 'string', multiple: true, default: [] },
  },
});
const positive = (name: 'count' | 'concurrency' | 'rounds') => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const COUNT = positive('count');
const CONCURRENCY = positive('concurrency');
const ROUNDS = positive('rounds');
const MAX_PHASE_MS = 60_000;
const PUT_HEADERS = { authorization: `Bearer ${KEYS.sync}`, 'content-type': 'application/json' };
const GATEWAY_ENV = gatewayEnv(opts['gateway-env']);
const template = new RevisionTemplate();

async function round(sim: DvcqgSimulator, target: HttpTarget, label: string, day: string) {
  sim.reset();
  const codes = Array.from({ length: COUNT }, (_, i) => maHoSo(day, i + 1));
  const start = performance.now();
  const delivered = whenDelivered(sim, codes, start + MAX_PHASE_MS);
  const load = await runLoad({
    total: codes.length,
    concurrency: CONCURRENCY,
    maxMs: MAX_PHASE_MS,
    task: async (i) => (await send(target, 'PUT', `/v1/dossiers/${codes[i]}`, PUT_HEADERS, template.json(codes[i]!))).status,
  });
  const end = await delivered;
  if (countOk(load, 202) !== codes.length) throw new Error(`${label}: ${describeLoad('push', load)}`);
  return { rate: COUNT / ((end - load.startedAt) / 1000), acceptRate: COUNT / (load.elapsedMs / 1000), p: percentiles(load.latenciesMs) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const load = machineLoad();
  console.log(`bench:sync-ha  node ${process.version}  ${load.cpus} CPUs  load average (1 min) ${load.load1}${load.load1 > 0.5 ? '  (the machine is busy: figures will be noisy)' : ''}`);
  console.log(`${COUNT} dossiers × 1 progress item, ${CONCURRENCY} PUTs in flight, ${ROUNDS} rounds (+1 warm-up); a private Redis master with one replica`);
  const pair = await startRedisPair();
  const sim = await startDvcqgSimulator({ port: 0, seed: 7, maxCalls: 10_000 });
  const children: NodeChild[] = [];
  const targets: HttpTarget[] = [];
  try {
    const env = { DVCQG_AUTH_URL: sim.authUrl, DVCQG_API_URL: sim.apiUrl, ...GATEWAY_ENV };
    const plain = await startGatewayChild({ redisUrl: pair.masterUrl, prefix: benchPrefix('ha-plain'), env: { ...env, REDIS_MIN_REPLICAS_ACK: '0' } });
    children.push(plain);
    const confirmed = await startGatewayChild({ redisUrl: pair.masterUrl, prefix: benchPrefix('ha-wait'), env: { ...env, REDIS_MIN_REPLICAS_ACK: '1' } });
    children.push(confirmed);
    const pTarget = httpTarget(plain.url, CONCURRENCY);
    const cTarget = httpTarget(confirmed.url, CONCURRENCY);
    targets.push(pTarget, cTarget);
    await round(sim, pTarget, 'plain', '261000');
    await round(sim, cTarget, 'confirmed', '261001');
    const rows: Array<Array<string | number>> = [['round', 'plain/s', 'WAIT 1/s', 'ratio', 'plain 202/s', 'WAIT 1 202/s', '202 ratio', 'plain PUT p50/p99 ms', 'WAIT 1 PUT p50/p99 ms']];
    const ratios: number[] = [];
    const acceptRatios: number[] = [];
    const plainRates: number[] = [];
    const waitRates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const p = await round(sim, pTarget, 'plain', `2610${String(10 + 2 * r)}`);
      const c = await round(sim, cTarget, 'confirmed', `2610${String(11 + 2 * r)}`);
      ratios.push(c.rate / p.rate);
      acceptRatios.push(c.acceptRate / p.acceptRate);
      plainRates.push(p.rate);
      waitRates.push(c.rate);
      rows.push([
        String(r + 1),
        fmt(p.rate, 0),
        fmt(c.rate, 0),
        fmt(c.rate / p.rate),
        fmt(p.acceptRate, 0),
        fmt(c.acceptRate, 0),
        fmt(c.acceptRate / p.acceptRate),
        `${fmt(p.p.p50, 1)}/${fmt(p.p.p99, 1)}`,
        `${fmt(c.p.p50, 1)}/${fmt(c.p.p99, 1)}`,
      ]);
    }
    const ratio = median(ratios);
    const acceptRatio = median(acceptRatios);
    rows.push(['median', fmt(median(plainRates), 0), fmt(median(waitRates), 0), fmt(ratio), '', '', fmt(acceptRatio), '', '']);
    console.log(table(rows));
    console.log('throughput: from the first PUT until the portal simulator held every dossier and its progress; 202/s: until the last 202.');
    console.log(`REDIS_MIN_REPLICAS_ACK=1 / plain throughput ratio (median of ${ROUNDS}): ${fmt(ratio)} (cost ${fmt((1 - ratio) * 100, 1)} %)  target cost ≤ 5 %  ${verdict(ratio >= 0.95)}`);
    console.log(JSON.stringify({ bench: 'sync-ha', node: process.version, plainPerSec: Math.round(median(plainRates)), confirmedPerSec: Math.round(median(waitRates)), ratio: Number(ratio.toFixed(3)), acceptRatio: Number(acceptRatio.toFixed(3)) }));
  } finally {
    for (const t of targets) closeTarget(t);
    for (const c of children) await c.stop();
    await sim.close();
    await pair.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:sync-ha failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
