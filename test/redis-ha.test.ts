/**
 * Redis high availability on real processes: a master, two replicas and three Sentinels started here on
 * free loopback ports. The gateway finds the master through the Sentinels, confirms every accept with
 * one replica (REDIS_MIN_REPLICAS_ACK=1), answers 503 when the replicas cannot confirm, and follows a
 * failover (the master SIGKILLed under concurrent PUTs) without losing a revision it answered 202.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress, startDvcqgSimulator, type DvcqgSimulator } from '../adapters/dvcqg/index.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { RedisHaCluster } from './support/redis-cluster.js';

let cluster: RedisHaCluster;
let portal: DvcqgSimulator;
let gw: TestGateway;

beforeAll(async () => {
  cluster = await RedisHaCluster.start({ replicas: 2, sentinels: 3, downAfterMs: 1_000, failoverTimeoutMs: 2_000 });
  portal = await startDvcqgSimulator({ port: 0, seed: 11, faults: { latencyMs: 5, latencyJitterMs: 5 } });
  gw = await startTestGateway({
    portalSim: portal,
    env: {
      REDIS_SENTINELS: cluster.sentinelList,
      REDIS_SENTINEL_MASTER: cluster.masterName,
      REDIS_MIN_REPLICAS_ACK: '1',
      REDIS_REPLICA_ACK_TIMEOUT_MS: '2000', // generous: a busy test machine must not turn a slow replica into a 503
      ALERT_EVALUATE_INTERVAL_MS: '200',
      SYNC_CONCURRENCY: '16',
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop().catch(() => undefined);
  await portal?.close();
  await cluster?.stop();
}, 60_000);

const step = (n: number) => `20261129${String(8 + Math.floor(n / 60)).padStart(2, '0')}${String(n % 60).padStart(2, '0')}00`;

function revisionBody(m: string, revision: number) {
  return { revision, dossier: sampleDossier(m, { GhiChuKiemThu: `revision ${revision}` }), progress: [sampleProgress(m, step(revision), 4)] };
}

describe('Redis behind Sentinels, replica confirmation on', () => {
  it('reports the master in use and the replicas that acknowledge', async () => {
    const ready = await api(gw.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    const redis = ready.body.checks.redis;
    expect(redis).toMatchObject({ status: 'ok', role: 'master', master: `127.0.0.1:${await cluster.masterPort()}`, sentinelMaster: 'mymaster', minReplicasAck: 1 });
    expect(redis.connectedReplicas).toBe(2);
    expect(redis.acknowledgingReplicas).toBe(2);
  });

  it('answers 503, not 202, while no replica can confirm; the resend then answers duplicate', async () => {
    const m = '000.00.01.H26-261201-HA01';
    expect((await api(gw.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: revisionBody(m, 1) })).status).toBe(202);
    const replicas = await cluster.replicas();
    for (const r of replicas) cluster.pause(r);
    try {
      const refused = await api(gw.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: revisionBody(m, 2) });
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('store_unavailable');
      // A batch item is refused alike, the others of the batch still answered.
      const batch = await api(gw.url, 'POST', '/v1/dossiers/batch', { key: KEYS.sync, body: { items: [revisionBody(m, 3), { revision: 1 }] } });
      expect(batch.status).toBe(207);
      expect(batch.body.results[0].error.code).toBe('store_unavailable');
      expect(batch.body.results[1].error.code).toBe('invalid_body');
      // Replicas silent for a few seconds: the alert fires.
      await waitFor('redis_replicas_missing firing', async () => {
        const alerts = (await api(gw.url, 'GET', '/v1/ops/alerts', { key: KEYS.opsRead })).body;
        return alerts.firing.some((a: { rule: string }) => a.rule === 'redis_replicas_missing');
      }, 15_000);
    } finally {
      for (const r of replicas) cluster.resume(r);
    }
    await cluster.awaitReplicasInSync(2);
    const again = await api(gw.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: revisionBody(m, 3) });
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe('duplicate');
    await waitFor('redis_replicas_missing resolved', async () => {
      const alerts = (await api(gw.url, 'GET', '/v1/ops/alerts', { key: KEYS.opsRead })).body;
      return !alerts.firing.some((a: { rule: string }) => a.rule === 'redis_replicas_missing');
    }, 15_000);
    await waitFor('delivered', async () => {
      const s = (await api(gw.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
      return s.deliveredRevision === 3 && s.pendingProgress === 0;
    }, 30_000);
    expect(portal.dossier(m)?.GhiChuKiemThu).toBe('revision 3');
    expect(portal.progress(m).map((p) => p.ThoiDiemXuLy).sort()).toEqual([step(1), step(2), step(3)]);
  });

  it('loses no revision answered 202 when the master is SIGKILLed under concurrent PUTs', async () => {
    const SOURCES = 8;
    const DOSSIERS_PER_SOURCE = 5;
    const REVISIONS = 12;
    const answered202 = new Map<string, Set<number>>();
    const answers: number[] = [];
    let errors = 0;
    let lastOkAt = 0;
    let longestPauseMs = 0;
    let stop = false;

    const send = async (m: string, revision: number): Promise<void> => {
      for (let attempt = 0; !stop; attempt++) {
        let status = 0;
        try {
          status = (await api(gw.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: revisionBody(m, revision) })).status;
        } catch {
          status = 0;
        }
        answers.push(status);
        if (status === 202 || status === 200) {
          const now = Date.now();
          if (lastOkAt > 0) longestPauseMs = Math.max(longestPauseMs, now - lastOkAt);
          lastOkAt = now;
          if (status === 202) answered202.get(m)!.add(revision);
          return;
        }
        // A source resends on any error, after a short pause.
        errors++;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const dossiersOf = (s: number) => Array.from({ length: DOSSIERS_PER_SOURCE }, (_, d) => `000.00.01.H26-261201-F${s}D${d}`);
    for (let s = 0; s < SOURCES; s++) for (const m of dossiersOf(s)) answered202.set(m, new Set());
    const sources = Array.from({ length: SOURCES }, async (_, s) => {
      for (let revision = 1; revision <= REVISIONS && !stop; revision++) {
        for (const m of dossiersOf(s)) await send(m, revision);
      }
    });

    const total = SOURCES * DOSSIERS_PER_SOURCE * REVISIONS;
    await waitFor('a third of the revisions answered', () => answers.filter((a) => a === 202).length > total / 3, 60_000);
    const killedAt = Date.now();
    const { oldPort, newPort } = await cluster.killMasterAndAwaitFailover();
    const failedOverAt = Date.now();
    expect(newPort).not.toBe(oldPort);
    try {
      await within('every source done', Promise.all(sources), 90_000);
    } finally {
      stop = true;
    }
    const byStatus = answers.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a === 0 ? 'network' : String(a)]: (acc[a === 0 ? 'network' : String(a)] ?? 0) + 1 }), {});
    console.info(`failover ${oldPort} → ${newPort}: answers ${JSON.stringify(byStatus)}, ${errors} errors, longest pause between successes ${longestPauseMs} ms`);

    const sourcesDoneAt = Date.now();
    // The promoted replica still has one replica of its own to confirm with.
    await cluster.awaitReplicasInSync(1);
    const ms = [...answered202.keys()];
    for (const m of ms) {
      await waitFor(`${m} delivered`, async () => {
        const s = (await api(gw.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
        return s.deliveredRevision === REVISIONS && s.pendingProgress === 0;
      }, 90_000).catch(async (e: unknown) => {
        const s = (await api(gw.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
        const q = (await api(gw.url, 'GET', '/v1/ops/queues', { key: KEYS.opsRead })).body;
        throw new Error(`${(e as Error).message}; state ${JSON.stringify(s)}; queues ${JSON.stringify(q)}`);
      });
    }
    console.info(`failover took ${failedOverAt - killedAt} ms; sources done ${sourcesDoneAt - failedOverAt} ms after it; all delivered ${Date.now() - sourcesDoneAt} ms after that`);
    for (const m of ms) {
      const status = (await api(gw.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
      expect(status.acceptedRevision).toBe(REVISIONS);
      expect(portal.dossier(m)?.GhiChuKiemThu).toBe(`revision ${REVISIONS}`);
      const delivered = new Set(portal.progress(m).map((p) => p.ThoiDiemXuLy));
      for (const revision of answered202.get(m)!) expect(delivered.has(step(revision)), `${m} progress of revision ${revision}`).toBe(true);
    }
    // Ingest resumed after the failover: revisions were answered 202 after it (bounded by the waits above).
    expect(answers.length).toBeGreaterThanOrEqual(total);
  }, 240_000);

  it('follows a failover whose old master stays up as a replica: refused writes are retried on the new master', async () => {
    const ms = Array.from({ length: 10 }, (_, i) => `000.00.01.H26-261201-M${i}`);
    for (const m of ms) expect((await api(gw.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: revisionBody(m, 1) })).status).toBe(202);
    await cluster.awaitReplicasInSync(1);
    const { oldPort, newPort } = await cluster.manualFailover();
    expect(newPort).not.toBe(oldPort);
    // The demoted master answers READONLY to writes: each is sent again on the master the Sentinels name now.
    let errors = 0;
    for (const m of ms) {
      await waitFor(`${m} revision 2 taken`, async () => {
        const r = await api(gw.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: revisionBody(m, 2) });
        if (r.status !== 202 && r.status !== 200) errors++;
        return r.status === 202 || r.status === 200;
      }, 30_000);
    }
    console.info(`manual failover ${oldPort} → ${newPort}: ${errors} error answers for ${ms.length} PUTs`);
    await waitFor('readiness names the new master', async () => {
      const redis = (await api(gw.url, 'GET', '/health/ready')).body.checks.redis;
      return redis.master === `127.0.0.1:${newPort}` && redis.role === 'master';
    }, 30_000);
    for (const m of ms) {
      await waitFor(`${m} delivered`, async () => {
        const s = (await api(gw.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
        return s.deliveredRevision === 2 && s.pendingProgress === 0;
      }, 60_000);
      expect(portal.dossier(m)?.GhiChuKiemThu).toBe('revision 2');
    }
  }, 120_000);

  it('stops start-up with one line naming REDIS_SENTINEL_MASTER when the Sentinels know no such master', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, ...gw.env, PORT: '0', REDIS_SENTINELS: cluster.sentinelList, REDIS_SENTINEL_MASTER: 'no-such-master' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(78);
    expect(stderr.trim()).toMatch(/^dvc-gateway: configuration error: REDIS_SENTINEL_MASTER: no Sentinel knows a master named "no-such-master"/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

/** `promise`, or a failure naming `what` once `ms` have passed (a bound on rounds, not a timing assertion). */
async function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
