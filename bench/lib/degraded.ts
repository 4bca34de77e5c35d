/**
 * The degraded-portal scenario of issue 7, with the gateway's default settings (`npm run bench:sync --
 * --degraded 1,2,3`): 200 dossiers (about 580 revisions, 860 progress items) sent in random order with
 * stale and repeated sends, while the portal fails about 27 % of requests at random (15 % HTTP 5xx, 5 %
 * hangs past the timeout, 3 % resets, 2 % HTTP 429, 2 % stored but answered late) and sessions expire
 * every 40 calls; the gateway is SIGKILLed once half-way and started again. Reports, per seed, how long
 * after the last send the portal held everything (each dossier at its highest accepted revision, every
 * accepted step), how often the circuit opened, and where duplicate steps came from.
 */
import type { Redis } from 'ioredis';
import { sampleDossier, sampleProgress, startDvcqgSimulator, type DvcqgFaults } from '../../adapters/dvcqg/index.js';
import { seededRandom } from '../../adapters/shared/seeded-random.js';
import type { NodeChild } from './child.js';
import { KEYS, benchPrefix, startGatewayChild } from './gateway-child.js';
import { closeTarget, httpTarget, send, type HttpTarget } from './http-client.js';
import { deletePrefix } from './redis-mem.js';

export const DEGRADED_FAULTS: Partial<DvcqgFaults> = {
  errorRate: 0.15,
  hangRate: 0.05,
  resetRate: 0.03,
  rateLimitRate: 0.02,
  retryAfterSeconds: 1,
  lateAnswerRate: 0.02,
  // Past DVCQG_TIMEOUT_MS (10 s): stored, but the gateway never hears so.
  lateAnswerMs: 12_000,
  expireSessionsEveryCalls: 40,
};

interface Send {
  m: string;
  revision: number;
  body: string;
  /** ThoiDiemXuLy of its steps: expected at the portal when this send is accepted (not when stale). */
  steps: string[];
}

export interface DegradedResult {
  seed: number;
  dossiers: number;
  revisions: number;
  steps: number;
  sends: number;
  /** Seconds from the last send until the portal held everything; null when it did not within the limit. */
  deliveredAfterSeconds: number | null;
  missingSteps: number;
  notAtLatest: number;
  circuitOpened: number;
  duplicateSteps: number;
  /** Duplicates whose earlier copy came from a call the portal stored without acknowledging it. */
  duplicatesFromUnacknowledgedCalls: number;
}

/** The plan: revisions 1-5 per dossier, steps spread over them; every send once, some twice, some stale. */
function plan(seed: number, day: string): { sends: Send[]; latest: Map<string, number> } {
  const random = seededRandom(seed);
  const latest = new Map<string, number>();
  const sends: Send[] = [];
  for (let d = 0; d < 200; d++) {
    const m = `000.00.01.H26-${day}-${String(d + 1).padStart(4, '0')}`;
    const revisions = 1 + Math.floor(random() * 5);
    let minute = 0;
    for (let r = 1; r <= revisions; r++) {
      const n = Math.floor(random() * 4);
      const times: string[] = [];
      const progress = Array.from({ length: n }, () => {
        minute += 1 + Math.floor(random() * 30);
        const t = `20261129${String(8 + Math.floor(minute / 60)).padStart(2, '0')}${String(minute % 60).padStart(2, '0')}00`;
        times.push(t);
        return sampleProgress(m, t, 2 + Math.floor(random() * 3));
      });
      const body = JSON.stringify({ revision: r, dossier: sampleDossier(m, { GhiChu: `rev-${r}` }), progress });
      sends.push({ m, revision: r, body, steps: times });
      if (random() < 0.2) sends.push({ m, revision: r, body, steps: times });
    }
    latest.set(m, revisions);
  }
  // Shuffled: revisions of a dossier arrive out of order, so some sends are stale.
  for (let i = sends.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sends[i], sends[j]] = [sends[j]!, sends[i]!];
  }
  return { sends, latest };
}

async function putUntilAnswered(target: () => HttpTarget, s: Send): Promise<string> {
  // A source sends again until it gets an answer (the gateway may be down for a moment).
  for (;;) {
    try {
      const r = await send(target(), 'PUT', `/v1/dossiers/${s.m}`, { authorization: `Bearer ${KEYS.sync}`, 'content-type': 'application/json' }, s.body, 15_000);
      if (r.status === 202 || r.status === 200) return (JSON.parse(r.body.toString('utf8')) as { outcome: string }).outcome;
      if (r.status !== 503) throw new Error(`PUT ${s.m} revision ${s.revision}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('PUT ')) throw e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function degradedRun(seed: number, redisUrl: string, redis: Redis, limitSeconds = 120): Promise<DegradedResult> {
  const sim = await startDvcqgSimulator({ port: 0, seed, faults: DEGRADED_FAULTS, maxCalls: 50_000 });
  const prefix = benchPrefix('degraded');
  const env = { DVCQG_AUTH_URL: sim.authUrl, DVCQG_API_URL: sim.apiUrl };
  const { sends, latest } = plan(seed, `2611${String(seed % 100).padStart(2, '0')}`);
  let child: NodeChild = await startGatewayChild({ redisUrl, prefix, env });
  let target = httpTarget(child.url, 16);
  let circuitOpened = 0;
  const scrapeOpenings = async (c: NodeChild, t: HttpTarget) => {
    const r = await send(t, 'GET', '/metrics', {}, undefined, 5_000).catch(() => null);
    const line = r?.body.toString('utf8').split('\n').find((l) => l.startsWith('gateway_circuit_transitions_total') && l.includes('upstream="dvcqg"') && l.includes('state="open"'));
    void c;
    return line ? Number(line.split(' ').pop()) : 0;
  };
  try {
    const steps = new Map<string, Set<string>>([...latest.keys()].map((m) => [m, new Set<string>()]));
    const half = Math.floor(sends.length / 2);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < sends.length; i = next++) {
        if (i === half) {
          // Half-way: SIGKILL, and a new process on the same Redis.
          circuitOpened += await scrapeOpenings(child, target);
          process.kill(child.pid, 'SIGKILL');
          await child.stop(0).catch(() => null);
          closeTarget(target);
          child = await startGatewayChild({ redisUrl, prefix, env });
          target = httpTarget(child.url, 16);
        }
        const s = sends[i]!;
        const outcome = await putUntilAnswered(() => target, s);
        if (outcome === 'accepted') for (const t of s.steps) steps.get(s.m)!.add(t);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const lastSend = performance.now();
    let deliveredAfterSeconds: number | null = null;
    let missingSteps = 0;
    let notAtLatest = 0;
    while (performance.now() - lastSend < limitSeconds * 1_000) {
      missingSteps = 0;
      notAtLatest = 0;
      for (const [m, top] of latest) {
        if (sim.dossier(m)?.GhiChu !== `rev-${top}`) notAtLatest++;
        const got = new Set(sim.progress(m).map((p) => String(p.ThoiDiemXuLy)));
        for (const t of steps.get(m)!) if (!got.has(t)) missingSteps++;
      }
      if (missingSteps === 0 && notAtLatest === 0) {
        deliveredAfterSeconds = (performance.now() - lastSend) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    circuitOpened += await scrapeOpenings(child, target);
    const calls = sim.calls();
    const unacknowledged = new Set(calls.filter((c) => c.applied && c.fault !== null).flatMap((c) => c.steps));
    let duplicateSteps = 0;
    let fromUnacknowledged = 0;
    for (const m of latest.keys()) {
      const seen = new Set<string>();
      for (const p of sim.progress(m)) {
        const key = `${m}|${String(p.ThoiDiemXuLy)}|${String(p.TrangThai)}`;
        if (seen.has(key)) {
          duplicateSteps++;
          if (unacknowledged.has(key)) fromUnacknowledged++;
        }
        seen.add(key);
      }
    }
    let revisions = 0;
    for (const top of latest.values()) revisions += top;
    let stepCount = 0;
    for (const s of steps.values()) stepCount += s.size;
    return {
      seed,
      dossiers: latest.size,
      revisions,
      steps: stepCount,
      sends: sends.length,
      deliveredAfterSeconds: deliveredAfterSeconds === null ? null : Number(deliveredAfterSeconds.toFixed(1)),
      missingSteps,
      notAtLatest,
      circuitOpened,
      duplicateSteps,
      duplicatesFromUnacknowledgedCalls: fromUnacknowledged,
    };
  } finally {
    closeTarget(target);
    await child.stop();
    await sim.close();
    await deletePrefix(redis, prefix);
  }
}
