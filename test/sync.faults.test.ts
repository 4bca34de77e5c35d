/**
 * The sync guarantees under a degraded portal: random revisions, in random order, with duplicates and
 * stale resends, while the portal fails about 27 % of requests at random (15 % HTTP 5xx, 5 % hangs past
 * the timeout, 3 % connection resets, 2 % HTTP 429, 2 % stored but answered late) and every session
 * expires each 40 calls, faults kept on until everything is delivered. What the portal ends up with is
 * checked against what was accepted, and the number of rounds each dossier needed is bounded.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import type { ProgressItem } from '../src/domain/dossier.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({
    env: { DVCQG_TIMEOUT_MS: '400', DVCQG_CIRCUIT_OPEN_MS: '300', SYNC_BACKOFF_BASE_MS: '20', SYNC_BACKOFF_MAX_MS: '200', SYNC_CONCURRENCY: '8' },
  });
});
afterAll(async () => {
  await t?.stop();
});

/** The mix of issue 7: about 27 % of requests fail at random, and sessions expire every 40 calls. */
const DEGRADED = {
  errorRate: 0.15,
  hangRate: 0.05,
  resetRate: 0.03,
  rateLimitRate: 0.02,
  retryAfterSeconds: 0,
  lateAnswerRate: 0.02,
  // Past DVCQG_TIMEOUT_MS: stored, but the gateway never hears so.
  lateAnswerMs: 800,
  expireSessionsEveryCalls: 40,
};

interface Sent {
  revision: number;
  progress: ProgressItem[];
}

function plan(m: string, revisions: number, stepsPerRevision: number[]): Sent[] {
  let minute = 0;
  return Array.from({ length: revisions }, (_, i) => ({
    revision: i + 1,
    progress: Array.from({ length: stepsPerRevision[i] ?? 0 }, () => {
      minute++;
      const hh = String(8 + Math.floor(minute / 60)).padStart(2, '0');
      const mm = String(minute % 60).padStart(2, '0');
      return sampleProgress(m, `20261129${hh}${mm}00`, 4);
    }),
  }));
}

describe('delivery under portal faults', () => {
  it('ends with the latest data, every accepted step once and in order, never a regression', async () => {
    let run = 0;
    const scenarios = fc.array(
      fc.record({ revisions: fc.integer({ min: 1, max: 5 }), steps: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 5, maxLength: 5 }) }),
      { minLength: 4, maxLength: 8 },
    );
    await fc.assert(
      fc.asyncProperty(scenarios, fc.integer(), fc.func(fc.boolean()), async (scenario, shuffleSeed, resend) => {
        await deliverUnderFaults(`F${run++}`, scenario, shuffleSeed, (i) => resend(i));
      }),
      { numRuns: 5, seed: 20261129, endOnFailure: true },
    );
  });
});

async function deliverUnderFaults(
  tag: string,
  scenario: Array<{ revisions: number; steps: number[] }>,
  shuffleSeed: number,
  resend: (i: number) => boolean,
): Promise<void> {
  const dossiers = scenario.map((s, i) => ({ m: `000.00.01.H26-261129-${tag}-${i}`, sends: plan(`000.00.01.H26-261129-${tag}-${i}`, s.revisions, s.steps) }));
  // Every revision once, some twice (retries by the source), in a shuffled order.
  const sends = dossiers.flatMap((d) => d.sends.flatMap((s, i) => (resend(i) ? [{ d, s }, { d, s }] : [{ d, s }])));
  const order = fc.sample(fc.shuffledSubarray(sends, { minLength: sends.length, maxLength: sends.length }), { numRuns: 1, seed: shuffleSeed })[0]!;

  t.portal.setFaults(DEGRADED);
  const accepted = new Map<string, Sent[]>();
  try {
    for (let i = 0; i < order.length; i += 6) {
      await Promise.all(
        order.slice(i, i + 6).map(async ({ d, s }) => {
          const body = { revision: s.revision, dossier: sampleDossier(d.m, { GhiChu: `rev-${s.revision}` }), progress: s.progress };
          const r = await api(t.url, 'PUT', `/v1/dossiers/${d.m}`, { key: KEYS.sync, body });
          expect([200, 202]).toContain(r.status);
          if (r.body.outcome === 'accepted') accepted.set(d.m, [...(accepted.get(d.m) ?? []), s]);
        }),
      );
    }
    for (const d of dossiers) {
      const top = Math.max(...d.sends.map((s) => s.revision));
      await waitFor(`delivery of ${d.m}`, async () => {
        const s = (await api(t.url, 'GET', `/v1/dossiers/${d.m}`, { key: KEYS.sync })).body;
        return s.state === 'delivered' && s.deliveredRevision === top && s.pendingProgress === 0;
      }, 60_000);
    }
  } finally {
    t.portal.resetFaults();
  }

  const calls = t.portal.calls();
  for (const d of dossiers) {
    const top = Math.max(...d.sends.map((s) => s.revision));
    expect(t.portal.dossier(d.m)?.GhiChu).toBe(`rev-${top}`);
    const history = t.portal.history(d.m).map((h) => Number(String(h.dossier.GhiChu).slice(4)));
    expect(history).toEqual([...history].sort((a, b) => a - b));
    const expected = (accepted.get(d.m) ?? []).flatMap((s) => s.progress).map((p) => p.ThoiDiemXuLy);
    const got = t.portal.progress(d.m).map((p) => String(p.ThoiDiemXuLy));
    // Once each, in order; a step again only when the portal stored a call it never acknowledged.
    const unacknowledged = new Set(calls.filter((c) => c.applied && c.fault !== null).flatMap((c) => c.steps));
    const firsts = got.filter((x, i) => got.indexOf(x) === i);
    expect(firsts).toEqual([...expected].sort());
    for (const [i, x] of got.entries()) {
      if (got.indexOf(x) !== i) expect(unacknowledged).toContain(`${d.m}|${x}|4`);
    }
    // No step reached the portal before the dossier itself did.
    const firstProgress = calls.find((c) => c.service === 'CapNhatTienDoHoSoMC' && c.applied && c.maHoSo.includes(d.m));
    const firstData = calls.find((c) => c.service === 'DongBoHoSoMC' && c.applied && c.maHoSo.includes(d.m));
    if (firstProgress) expect(firstData!.seq).toBeLessThan(firstProgress.seq);
    // Bounded rounds: a round that delivers something starts the backoff again and the circuit does not
    // cut a portal off for its random faults, so no dossier sees a long run of failed calls, and its calls
    // stay within a small multiple of the calls its work needs.
    const own = calls.filter((c) => c.service !== 'login' && c.maHoSo.includes(d.m));
    let run = 0;
    let longest = 0;
    for (const c of own) {
      run = c.applied || c.errorCode === 0 ? 0 : run + 1;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThanOrEqual(10);
    const needed = d.sends.length + Math.ceil(expected.length / 10) + 1;
    expect(own.length).toBeLessThanOrEqual(4 * needed + 12);
  }
  expect(calls.filter((c) => c.service === 'DongBoHoSoMC').every((c) => c.maHoSo.length === 1)).toBe(true);
  expect(calls.some((c) => c.fault !== null)).toBe(true);
}

describe('dead letters', () => {
  it('a rejected dossier becomes a dead letter with the portal reason, and a replay delivers it', async () => {
    const m = '000.00.01.H26-261129-DL1';
    t.portal.setFaults({ rejectMaHoSo: [m], rejectErrorCode: 9, rejectMessage: 'Dữ liệu hồ sơ không hợp lệ' });
    const put = await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } });
    expect(put.status).toBe(202);
    const s = await waitFor('dead', async () => {
      const b = (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body;
      return b.state === 'dead' ? b : undefined;
    });
    expect(s.lastError).toMatchObject({ code: 'upstream_rejected' });
    const list = await api(t.url, 'GET', '/v1/ops/dead-letters?limit=50', { key: KEYS.opsRead });
    const letter = list.body.items.find((l: { maHoSo: string }) => l.maHoSo === m);
    expect(letter).toMatchObject({ maHoSo: m, revision: 1, kind: 'dossier', reason: { code: 'upstream_rejected', upstreamCode: '9', message: 'Dữ liệu hồ sơ không hợp lệ' } });
    // Refused once, never sent again (a call that timed out under load before the refusal may precede it).
    expect(t.portal.calls().filter((c) => c.service === 'DongBoHoSoMC' && c.maHoSo.includes(m) && c.errorCode === 9)).toHaveLength(1);

    expect((await api(t.url, 'POST', `/v1/ops/dead-letters/${letter.id}/replay`, { key: KEYS.opsRead })).status).toBe(403);
    expect((await api(t.url, 'POST', '/v1/ops/dead-letters/nope/replay', { key: KEYS.ops })).status).toBe(404);
    t.portal.resetFaults();
    const replay = await api(t.url, 'POST', `/v1/ops/dead-letters/${letter.id}/replay`, { key: KEYS.ops });
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ replayed: 1 });
    await waitFor('delivered after replay', async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'delivered');
    const after = await api(t.url, 'GET', '/v1/ops/dead-letters', { key: KEYS.opsRead });
    expect(after.body.items.find((l: { id: string }) => l.id === letter.id)).toBeUndefined();
  });

  it('a newer revision brings a dead dossier back to pending; bulk replay filters by reason', async () => {
    const a = '000.00.01.H26-261129-DL2';
    const b = '000.00.01.H26-261129-DL3';
    t.portal.setFaults({ rejectMaHoSo: [a, b], rejectErrorCode: 7, rejectMessage: 'Mã TTHC không tồn tại' });
    for (const m of [a, b]) await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } });
    for (const m of [a, b]) await waitFor('dead', async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'dead');
    t.portal.resetFaults();
    await api(t.url, 'PUT', `/v1/dossiers/${a}`, { key: KEYS.sync, body: { revision: 2, dossier: sampleDossier(a) } });
    await waitFor('a delivered', async () => (await api(t.url, 'GET', `/v1/dossiers/${a}`, { key: KEYS.sync })).body.state === 'delivered');
    const none = await api(t.url, 'POST', '/v1/ops/dead-letters/replay', { key: KEYS.ops, body: { reasonCode: 'attempts_exhausted', maHoSo: b } });
    expect(none.body).toEqual({ replayed: 0 });
    const some = await api(t.url, 'POST', '/v1/ops/dead-letters/replay', { key: KEYS.ops, body: { reasonCode: '7', maHoSo: b } });
    expect(some.status).toBe(202);
    expect(some.body).toEqual({ replayed: 1 });
    await waitFor('b delivered', async () => (await api(t.url, 'GET', `/v1/dossiers/${b}`, { key: KEYS.sync })).body.state === 'delivered');
  });
});

describe('open circuit', () => {
  it('holds deliveries without spending attempts while the portal is down, then drains', async () => {
    t.portal.setFaults({ down: 'unavailable' });
    const ms = Array.from({ length: 15 }, (_, i) => `000.00.01.H26-261129-C${i}`);
    for (const m of ms) await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } });
    await waitFor('circuit open', async () => {
      const u = (await api(t.url, 'GET', '/v1/ops/upstreams', { key: KEYS.opsRead })).body.upstreams;
      return u.find((x: { name: string }) => x.name === 'dvcqg').circuit !== 'closed';
    });
    const q = (await api(t.url, 'GET', '/v1/ops/queues', { key: KEYS.opsRead })).body.queues[0];
    expect(q.name).toBe('dossier-sync');
    expect(q.waiting + q.delayed + q.active).toBeGreaterThan(0);
    t.portal.resetFaults();
    for (const m of ms) await waitFor(`${m} delivered`, async () => (await api(t.url, 'GET', `/v1/dossiers/${m}`, { key: KEYS.sync })).body.state === 'delivered', 30_000);
  });
});
