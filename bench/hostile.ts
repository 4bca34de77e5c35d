/**
 * Hostile-client benchmark (`npm run bench:hostile`): how much one client sending 1 MiB invalid bodies
 * disturbs everyone else. The figure is the gateway's event-loop delay at p99 while valid PUTs are pushed,
 * with the hostile client against without it, as a ratio (1.0: no effect).
 *
 *   gateway   node --import tsx src/main.ts in a child process; the DVCQG simulator in this process
 *             receives its deliveries
 *   delay     measured inside the gateway (perf_hooks.monitorEventLoopDelay, read through /metrics:
 *             gateway_nodejs_eventloop_lag_p99_seconds and _max_seconds, reset at every scrape), so the
 *             scrape before a phase starts its window and the scrape after it reads it
 *   valid     `concurrency` clients PUT distinct valid revisions (one progress item) in a closed loop
 *   hostile   one more client PUTs, in a closed loop, a body of just under 1 MiB: a valid dossier and
 *             `empty`: about 350,000 empty progress items (refused on a scan of the text), or
 *             `fields`: about 13,000 progress items with offending fields (parsed and validated)
 *
 * Each round runs a quiet phase (valid only) and a hostile phase of each kind (valid + hostile) of
 * `seconds` each; the ratios printed are of the medians over the rounds.
 *
 * Options: --seconds N (default 8)  --rounds N (default 3)  --concurrency N (default 16)
 *          --gateway-env K=V (repeatable)
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { sampleDossier } from '../adapters/dvcqg/index.js';
import { startDvcqgSimulator } from '../adapters/dvcqg/index.js';
import { ensureRedis } from '../scripts/ensure-redis.js';
import { maHoSo, RevisionTemplate } from './lib/dossiers.js';
import { KEYS, benchPrefix, startGatewayChild } from './lib/gateway-child.js';
import { closeTarget, httpTarget, send, type HttpTarget } from './lib/http-client.js';
import { countOk, fmt, percentiles, runLoad, type LoadResult } from './lib/load.js';
import { machineLoad } from './lib/proc.js';
import { deletePrefix } from './lib/redis-mem.js';
import { table } from './lib/report.js';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    'gateway-env': { type: 'string', multiple: true, default: [] },
  },
});
const int = (name: 'seconds' | 'rounds' | 'concurrency') => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return n;
};
const SECONDS = int('seconds');
const ROUNDS = int('rounds');
const CONCURRENCY = int('concurrency');
const GATEWAY_ENV = Object.fromEntries(
  opts['gateway-env'].map((kv) => {
    const i = kv.indexOf('=');
    if (i < 1) throw new Error(`--gateway-env takes NAME=value, got ${kv}`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }),
);
const MIB = 1024 * 1024;
const HEADERS = { authorization: `Bearer ${KEYS.sync}`, 'content-type': 'application/json' };

const HOSTILE_M = '000.00.01.H26-261201-999999';

/**
 * Just under 1 MiB of progress items `item` after a valid dossier: `{}` gives ~350,000 objects (refused
 * on a scan of the text, before parsing); a step with offending fields gives fewer, large enough to pass
 * the scan, so the body is parsed and validated.
 */
function hostileBody(item: string): Buffer {
  const head = `{"revision":1,"dossier":${JSON.stringify(sampleDossier(HOSTILE_M))},"progress":[`;
  const n = Math.floor((MIB - 64 - Buffer.byteLength(head)) / (item.length + 1));
  const body = Buffer.from(`${head}${Array(n).fill(item).join(',')}]}`);
  if (body.length > MIB) throw new Error('hostile body over 1 MiB');
  return body;
}

const HOSTILE_KINDS = {
  /** ~350,000 empty steps: refused before parsing. */
  empty: hostileBody('{}'),
  /** ~13,000 steps each with four offending fields (under the 20,000 objects a body may hold): parsed, validated, 100 errors listed. */
  fields: hostileBody('{"MaHoSo":1,"ThoiDiemXuLy":"99999999999999","TrangThai":"x","NoiDungXuLy":7}'),
};
type HostileKind = keyof typeof HOSTILE_KINDS;

interface Delay {
  p99Ms: number;
  maxMs: number;
}

/** Reads (and so resets) the gateway's event-loop delay histogram. */
async function eventLoopDelay(target: HttpTarget): Promise<Delay> {
  const text = (await send(target, 'GET', '/metrics')).body.toString('utf8');
  const read = (name: string) => {
    const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
    if (!m) throw new Error(`/metrics has no ${name}`);
    return Number(m[1]) * 1000;
  };
  return { p99Ms: read('gateway_nodejs_eventloop_lag_p99_seconds'), maxMs: read('gateway_nodejs_eventloop_lag_max_seconds') };
}

interface Phase {
  delay: Delay;
  valid: LoadResult;
  hostile: LoadResult | null;
}

async function main(): Promise<void> {
  const machine = machineLoad();
  console.log(`bench:hostile  node ${process.version}  ${machine.cpus} CPUs  load average (1 min) ${machine.load1}${machine.load1 > 0.5 ? '  (the machine is busy: figures will be noisy)' : ''}`);
  console.log(`${ROUNDS} rounds of ${SECONDS} s quiet + ${SECONDS} s hostile; ${CONCURRENCY} valid clients; 1 hostile client sending 1 MiB invalid bodies`);
  const redisHandle = await ensureRedis(process.env.REDIS_URL);
  const redis = new Redis(redisHandle.url, { maxRetriesPerRequest: null });
  const sim = await startDvcqgSimulator({ port: 0, seed: 7 });
  const prefix = benchPrefix('hostile');
  const gateway = await startGatewayChild({
    redisUrl: redisHandle.url,
    prefix,
    env: { DVCQG_AUTH_URL: sim.authUrl, DVCQG_API_URL: sim.apiUrl, ...GATEWAY_ENV },
  });
  const valid = httpTarget(gateway.url, CONCURRENCY);
  const hostile = httpTarget(gateway.url, 1);
  const probe = httpTarget(gateway.url, 1);
  const template = new RevisionTemplate();
  let serial = 0;
  const putValid = async () => {
    const m = maHoSo('261201', serial++);
    const a = await send(valid, 'PUT', `/v1/dossiers/${m}`, HEADERS, template.json(m));
    return a.status;
  };
  const putHostile = (kind: HostileKind) => async () => {
    const a = await send(hostile, 'PUT', `/v1/dossiers/${HOSTILE_M}`, HEADERS, HOSTILE_KINDS[kind]);
    if (a.status === 400 && a.body.length > 64 * 1024) throw new Error(`hostile answer of ${a.body.length} bytes`);
    return a.status;
  };
  const phase = async (withHostile: HostileKind | null): Promise<Phase> => {
    await eventLoopDelay(probe); // starts the window
    const loads = [runLoad({ total: 10_000_000, concurrency: CONCURRENCY, maxMs: SECONDS * 1000, task: putValid })];
    if (withHostile) loads.push(runLoad({ total: 10_000_000, concurrency: 1, maxMs: SECONDS * 1000, task: putHostile(withHostile) }));
    const [v, h] = await Promise.all(loads);
    const delay = await eventLoopDelay(probe);
    if (countOk(v!, 202) !== v!.ran) throw new Error(`valid PUTs: ${JSON.stringify(v!.statuses)}, errors ${v!.errors} (${v!.firstError})`);
    if (h && countOk(h, 400) !== h.ran) throw new Error(`hostile PUTs: ${JSON.stringify(h.statuses)}, errors ${h.errors} (${h.firstError})`);
    return { delay, valid: v!, hostile: h ?? null };
  };

  try {
    // Warm-up: JIT, connections, the portal session. Not reported.
    await phase(null);
    await phase('empty');
    await phase('fields');
    const rate = (l: LoadResult) => l.ran / (l.elapsedMs / 1000);
    const rows: Array<Array<string | number>> = [
      ['round', 'hostile body', 'event-loop p99/max ms', 'ratio p99', 'valid PUT/s', 'valid PUT p99 ms', 'hostile 400s (p50 ms)'],
    ];
    const p99: Record<'quiet' | HostileKind, number[]> = { quiet: [], empty: [], fields: [] };
    for (let r = 1; r <= ROUNDS; r++) {
      const q = await phase(null);
      p99.quiet.push(q.delay.p99Ms);
      rows.push([r, 'none', `${fmt(q.delay.p99Ms, 1)}/${fmt(q.delay.maxMs, 1)}`, '1.00', fmt(rate(q.valid), 0), fmt(percentiles(q.valid.latenciesMs).p99, 1), '']);
      for (const kind of ['empty', 'fields'] as const) {
        const h = await phase(kind);
        p99[kind].push(h.delay.p99Ms);
        rows.push([
          r,
          kind,
          `${fmt(h.delay.p99Ms, 1)}/${fmt(h.delay.maxMs, 1)}`,
          fmt(h.delay.p99Ms / q.delay.p99Ms),
          fmt(rate(h.valid), 0),
          fmt(percentiles(h.valid.latenciesMs).p99, 1),
          `${h.hostile!.ran} (${fmt(percentiles(h.hostile!.latenciesMs).p50, 1)})`,
        ]);
      }
    }
    console.log();
    console.log(table(rows));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const quiet = median(p99.quiet);
    console.log();
    console.log(`event-loop delay p99, median of ${ROUNDS} rounds: quiet ${fmt(quiet, 1)} ms; with the hostile client: empty ${fmt(median(p99.empty), 1)} ms, fields ${fmt(median(p99.fields), 1)} ms`);
    console.log(`ratio hostile/quiet: empty ${fmt(median(p99.empty) / quiet)}, fields ${fmt(median(p99.fields) / quiet)}`);
  } finally {
    closeTarget(valid);
    closeTarget(hostile);
    closeTarget(probe);
    await gateway.stop();
    await sim.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await redisHandle.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
