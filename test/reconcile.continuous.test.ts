/**
 * The continuous reconciler (least recently checked first, at RECONCILE_PER_MINUTE, paused while the
 * portal's circuit is open) and the retention of history and copies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDvcqgPortal, sampleDossier } from '../adapters/dvcqg/index.js';
import { enforceRetention } from '../src/history/retention.js';
import { ReconcileStore } from '../src/reconcile/store.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { OutboxWriter } from './support/outbox.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { testRedis } from './support/redis.js';

let db: TestDatabase;
let t: TestGateway;
let out: OutboxWriter;
let direct: ReturnType<typeof createDvcqgPortal>;
let close: () => void;
let serial = 0;
const code = () => `000.00.02.H26-261201-${String(++serial).padStart(4, '0')}${Math.floor(Math.random() * 1e6)}`;

beforeAll(async () => {
  db = await createTestDatabase('reconcile');
  t = await startTestGateway({
    env: {
      DATABASE_URL: db.url,
      RECONCILE_PER_MINUTE: '600',
      DVCQG_CIRCUIT_MIN_CALLS: '6',
      DVCQG_CIRCUIT_OPEN_MS: '120000',
      ALERT_DRIFT_PER_HOUR: '0',
      ALERT_EVALUATE_INTERVAL_MS: '200',
    },
  });
  await t.gateway.records.whenReady();
  const r = testRedis(t.prefix);
  out = new OutboxWriter(r.redis, t.prefix);
  direct = createDvcqgPortal({ authUrl: t.portal.authUrl, apiUrl: t.portal.apiUrl, username: 'dvc-gateway', password: 'dvc-gateway-secret', dstcode: 'H26', madonvi: '000.00.00.H26' });
  close = () => {
    direct.close();
    r.redis.disconnect();
  };
});
afterAll(async () => {
  close?.();
  await t?.stop();
  await db?.drop();
});

const types = async (m: string) => ((await api(t.url, 'GET', `/v1/dossiers/${m}/history`, { key: KEYS.opsRead })).body.events ?? []).map((e: { type: string }) => e.type);

describe('continuous reconciliation', () => {
  it('checks every delivered dossier by itself and repairs a drift', async () => {
    const dossiers = [sampleDossier(code()), sampleDossier(code()), sampleDossier(code())];
    for (const d of dossiers) await direct.syncDossier(d, { knownToPortal: false });
    // Changed on the portal before the gateway's first check of it.
    t.portal.tamperDossier(dossiers[1]!.MaHoSo, { NgayHenTra: '20270101000000' });
    for (const d of dossiers) await out.delivered(d, 3);
    await waitFor('the dossiers in PostgreSQL', async () => (await types(dossiers[2]!.MaHoSo)).length === 2);
    // A delivery counts as a check: these were delivered long enough ago to be due.
    await backdate(dossiers.map((d) => d.MaHoSo));
    await waitFor('drift and repair', async () => (await types(dossiers[1]!.MaHoSo)).join() === 'accepted,delivered,drift,repaired', 30_000);
    expect(t.portal.dossier(dossiers[1]!.MaHoSo)).toEqual(dossiers[1]);
    const { rows } = await t.gateway.records.pool().query('SELECT count(*)::int AS n FROM reconcile_dossiers WHERE checked_at IS NOT NULL AND ma_ho_so = ANY($1)', [
      dossiers.map((d) => d.MaHoSo),
    ]);
    expect(rows[0].n).toBe(3);
    const summary = await api(t.url, 'GET', '/v1/ops/reconcile', { key: KEYS.opsRead });
    expect(summary.body.last24h).toMatchObject({ drifted: 1, repaired: 1 });
    expect(summary.body.last24h.checked).toBeGreaterThanOrEqual(3);
    // More drifts in the last hour than ALERT_DRIFT_PER_HOUR (0 here): the alert fires.
    const alert = await waitFor('reconcile_drift firing', async () => {
      const r = await api(t.url, 'GET', '/v1/ops/alerts', { key: KEYS.opsRead });
      return r.body.firing.find((a: { rule: string }) => a.rule === 'reconcile_drift');
    });
    expect(alert).toMatchObject({ rule: 'reconcile_drift', subject: 'dvcqg', severity: 'warning', value: 1, threshold: 0, state: 'firing' });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_reconcile_checks_total\{outcome="failed"\} 0/);
  });

  it('picks the least recently checked or delivered first, none checked or delivered within the re-check age', async () => {
    const store = new ReconcileStore(t.gateway.records);
    const pool = t.gateway.records.pool();
    const ms = [code(), code(), code(), code()];
    for (const m of ms) await out.delivered(sampleDossier(m), 1);
    await waitFor('drained', async () => (await types(ms[3]!)).length === 2);
    // The reconciler stands still while the order is set up and read.
    await t.gateway.reconciler!.stop();
    await pool.query(`UPDATE reconcile_dossiers SET checked_at = now() + interval '1 day' WHERE NOT (ma_ho_so = ANY($1))`, [ms]);
    await pool.query(`UPDATE reconcile_dossiers SET checked_at = now() - interval '1 hour' WHERE ma_ho_so = $1`, [ms[0]]);
    await pool.query(`UPDATE reconcile_dossiers SET checked_at = now() - interval '2 hours' WHERE ma_ho_so = $1`, [ms[1]]);
    // Never checked, delivered 4 hours ago; ms[3] never checked, delivered just now.
    await pool.query(`UPDATE reconcile_dossiers SET checked_at = NULL, delivered_at = now() - interval '4 hours' WHERE ma_ho_so = $1`, [ms[2]]);
    expect(await store.due(4, 60_000, 60_000, [])).toEqual([ms[2], ms[1], ms[0]]);
    expect(await store.due(4, 60_000, 3 * 3_600_000, [])).toEqual([ms[2]]);
    t.gateway.reconciler!.start();
  });

  it("counts in a run the drift a continuous check found and repaired after the run was asked for", async () => {
    const d = sampleDossier(code());
    await direct.syncDossier(d, { knownToPortal: false });
    t.portal.tamperDossier(d.MaHoSo, { KenhThucHien: 3 });
    const reconciler = t.gateway.reconciler!;
    await reconciler.stop();
    try {
      await out.delivered(d, 1);
      await waitFor('drained', async () => (await types(d.MaHoSo)).length === 2);
      const run = await api(t.url, 'POST', '/v1/ops/reconcile', { key: KEYS.ops, body: { maHoSo: d.MaHoSo } });
      expect(run.body.queued).toBe(1);
      // A continuous check gets there first.
      expect(await reconciler.check(d.MaHoSo)).toMatchObject({ kind: 'drifted', repaired: true });
      reconciler.start();
      const figures = await waitFor('done', async () => {
        const r = (await api(t.url, 'GET', `/v1/ops/reconcile/${run.body.id}`, { key: KEYS.opsRead })).body;
        return r.state === 'done' ? r : undefined;
      });
      expect(figures).toMatchObject({ checked: 1, matched: 0, drifted: 1, repaired: 1, failed: 0 });
    } finally {
      reconciler.start();
    }
  });

  it('counts refused checks failed and goes on; steps back by itself when the portal cannot answer, before it could open the circuit', async () => {
    const runOver = async (day: string, n: number) => {
      const ds = Array.from({ length: n }, () => sampleDossier(code(), { NgayTiepNhan: `${day}080000` }));
      for (const d of ds) await out.delivered(d, 1);
      await waitFor('drained', async () => (await types(ds[n - 1]!.MaHoSo)).length === 2);
      const run = await api(t.url, 'POST', '/v1/ops/reconcile', { key: KEYS.ops, body: { receivedFrom: day, receivedTo: day } });
      expect(run.body.queued).toBe(n);
      return run.body.id as string;
    };
    const figures = async (id: string) => (await api(t.url, 'GET', `/v1/ops/reconcile/${id}`, { key: KEYS.opsRead })).body;

    t.portal.setFaults({ lookupErrorCode: 77 });
    try {
      const refused = await runOver('20230303', 5);
      expect(await waitFor('done', async () => ((await figures(refused)).state === 'done' ? figures(refused) : undefined))).toMatchObject({ failed: 5, drifted: 0 });
    } finally {
      t.portal.resetFaults();
    }

    t.portal.setFaults({ down: true });
    try {
      const unanswered = await runOver('20230304', 10);
      const paused = await waitFor('three failures', async () => {
        const r = await figures(unanswered);
        return r.failed >= 3 ? r : undefined;
      });
      const lookups = () => t.portal.calls().filter((c) => c.service === 'TraCuuHoSo').length;
      const before = lookups();
      for (let i = 0; i < 5; i++) await t.gateway.reconciler!.tick();
      expect(lookups()).toBe(before);
      expect(paused).toMatchObject({ state: 'running', drifted: 0 });
      expect(paused.failed).toBeLessThan(10);
      expect(await openCircuit()).toBe(false);
    } finally {
      t.portal.resetFaults();
    }
  });

  it('stays away from the portal while its circuit is open', async () => {
    t.portal.setFaults({ down: true });
    try {
      expect(t.gateway.reconciler).not.toBeNull();
      // Deliveries failing against the portal open its circuit; dossiers are due for a check meanwhile.
      for (let i = 0; i < 3; i++) await out.delivered(sampleDossier(code()), 1);
      await t.gateway.records.pool().query(`UPDATE reconcile_dossiers SET delivered_at = now() - interval '1 day' WHERE checked_at IS NULL`);
      await waitFor('the circuit to open', async () => {
        const m = code();
        await api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, body: { revision: 1, dossier: sampleDossier(m) } });
        return openCircuit();
      });
      const lookups = () => t.portal.calls().filter((c) => c.service === 'TraCuuHoSo').length;
      const before = lookups();
      for (let i = 0; i < 5; i++) await t.gateway.reconciler!.tick();
      expect(lookups()).toBe(before);
    } finally {
      t.portal.resetFaults();
    }
  });

});

/** Delivered a day ago, as far as the reconciler can tell. */
async function backdate(codes: string[]): Promise<void> {
  await t.gateway.records.pool().query(`UPDATE reconcile_dossiers SET delivered_at = now() - interval '1 day' WHERE ma_ho_so = ANY($1)`, [codes]);
}

async function openCircuit(): Promise<boolean> {
  const r = await api(t.url, 'GET', '/v1/ops/upstreams', { key: KEYS.opsRead });
  return r.body.upstreams.find((u: { name: string }) => u.name === 'dvcqg')?.circuit === 'open';
}

describe('retention', () => {
  it('deletes history, copies and per-dossier rows past their retention, and nothing newer', async () => {
    const pool = t.gateway.records.pool();
    const old = Date.now() - 40 * 86_400_000;
    const m = code();
    await pool.query(`INSERT INTO dossier_history (entry_ms, entry_seq, ma_ho_so, type, revision, at) VALUES ($1::bigint, 0, $2, 'accepted', 1, to_timestamp($1::bigint / 1000.0))`, [old, m]);
    await pool.query(`INSERT INTO dossier_copies (ma_ho_so, revision, data, fields, stored_at) VALUES ($1, 1, '\\x01', '{}', now() - interval '20 days')`, [m]);
    await pool.query(`INSERT INTO reconcile_dossiers (ma_ho_so, updated_at) VALUES ($1, now() - interval '40 days')`, [m]);
    const fresh = code();
    await out.delivered(sampleDossier(fresh), 1);
    await waitFor('drained', async () => (await types(fresh)).length === 2);
    const removed = await enforceRetention(pool, { historyDays: 30, copyDays: 10, runDays: 30 });
    expect(removed).toMatchObject({ history: 1, copies: 1, dossiers: 1 });
    expect((await pool.query('SELECT count(*)::int AS n FROM dossier_history WHERE ma_ho_so = $1', [fresh])).rows[0].n).toBe(2);
    expect((await pool.query('SELECT count(*)::int AS n FROM dossier_copies WHERE ma_ho_so = $1', [fresh])).rows[0].n).toBe(1);
    expect((await api(t.url, 'GET', `/v1/dossiers/${m}/history`, { key: KEYS.opsRead })).status).toBe(404);
  });
});
