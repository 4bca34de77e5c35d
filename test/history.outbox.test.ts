/**
 * History and reconciliation from outbox entries written as the sync scripts write them, on the
 * project's portal simulator: paging, drift on each compared field, a forgotten dossier, a
 * non-compared field left alone, repair without progress, date ranges, a portal refusing the check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDvcqgPortal, sampleDossier } from '../adapters/dvcqg/index.js';
import type { PortalDossier } from '../src/domain/dossier.js';
import { handleOutboxBatch } from '../src/history/outbox-handler.js';
import type { OutboxEvent } from '../src/records/outbox-events.js';
import type { NationalPortal } from '../src/ports/national-portal.js';
import { KEYS, api, startTestGateway, waitFor, type TestGateway } from './support/gateway.js';
import { OutboxWriter } from './support/outbox.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { testRedis } from './support/redis.js';

let db: TestDatabase;
let t: TestGateway;
let out: OutboxWriter;
let direct: NationalPortal & { close(): void };
let redisDone: () => Promise<void>;
let serial = 0;

beforeAll(async () => {
  db = await createTestDatabase('history');
  // Continuous checking off: the runs below must be the ones that find the drifts.
  t = await startTestGateway({ env: { DATABASE_URL: db.url, RECONCILE_PER_MINUTE: '0' } });
  await t.gateway.records.whenReady();
  const r = testRedis(t.prefix);
  redisDone = async () => r.redis.disconnect();
  out = new OutboxWriter(r.redis, t.prefix);
  direct = createDvcqgPortal({ authUrl: t.portal.authUrl, apiUrl: t.portal.apiUrl, username: 'dvc-gateway', password: 'dvc-gateway-secret', dstcode: 'H26', madonvi: '000.00.00.H26' });
});
afterAll(async () => {
  direct?.close();
  await redisDone?.();
  await t?.stop();
  await db?.drop();
});

const code = () => `000.00.01.H26-261201-${String(++serial).padStart(4, '0')}${Math.floor(Math.random() * 1e6)}`;
const history = (m: string, query = '', key = KEYS.opsRead) => api(t.url, 'GET', `/v1/dossiers/${m}/history${query}`, { key });

/** A dossier the portal holds at `revision`, with the outbox entries of its acceptance and delivery drained. */
async function deliveredDossier(overrides: Partial<PortalDossier> = {}, revision = 1): Promise<PortalDossier> {
  const d = sampleDossier(code(), overrides);
  await direct.syncDossier(d, { knownToPortal: false });
  await out.delivered(d, revision);
  return d;
}

async function runToEnd(body: unknown): Promise<{ id: string; queued: number; figures: Record<string, unknown> }> {
  const started = await api(t.url, 'POST', '/v1/ops/reconcile', { key: KEYS.ops, body });
  expect(started.status).toBe(202);
  const { id, queued } = started.body as { id: string; queued: number };
  const figures = await waitFor('the run to finish', async () => {
    const r = await api(t.url, 'GET', `/v1/ops/reconcile/${id}`, { key: KEYS.opsRead });
    return r.body.state === 'done' ? (r.body as Record<string, unknown>) : undefined;
  }, 30_000);
  return { id, queued, figures };
}

describe('GET /v1/dossiers/{MaHoSo}/history', () => {
  it('lists every event in outbox order and pages through them', async () => {
    const m = code();
    const d = sampleDossier(m);
    await out.accepted(d, 1, [['20261201080000', 2]]);
    await out.event('delivered', m, 1);
    await out.event('progress_delivered', m, 1, { items: 1 });
    await out.accepted(sampleDossier(m, { TrangThaiHoSo: 4 }), 2);
    const reason = { code: 'upstream_rejected', message: 'Dữ liệu hồ sơ không hợp lệ', upstreamCode: '9' };
    await out.event('dead_letter', m, 2, { kind: 'dossier', letterId: 'dl-1', reason });
    await out.event('replayed', m, 2, { letterId: 'dl-1', by: 'ops-staff' });
    await out.event('delivered', m, 2);
    const all = await waitFor('7 events', async () => {
      const r = await history(m);
      return r.status === 200 && r.body.events.length === 7 ? r.body : undefined;
    });
    expect(all.maHoSo).toBe(m);
    expect(all.nextCursor).toBeNull();
    expect(all.events.map((e: { type: string; revision: number }) => [e.type, e.revision])).toEqual([
      ['accepted', 1],
      ['delivered', 1],
      ['progress_delivered', 1],
      ['accepted', 2],
      ['dead_letter', 2],
      ['replayed', 2],
      ['delivered', 2],
    ]);
    expect(all.events[0].detail).toEqual({ items: 1, TrangThaiHoSo: 2 });
    expect(all.events[2].detail).toEqual({ items: 1 });
    expect(all.events[4].detail.reason).toEqual(reason);
    expect(Date.parse(all.events[0].at)).toBeGreaterThan(Date.now() - 60_000);
    // No personal data reaches the history: not the holder's name, not their identity number.
    expect(JSON.stringify(all)).not.toContain(d.ChuHoSo as string);
    expect(JSON.stringify(all)).not.toContain('001099012345');

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const r = await history(m, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`, KEYS.sync);
      expect(r.status).toBe(200);
      pages.push(r.body.events.map((e: { type: string }) => e.type));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(all.events.map((e: { type: string }) => e.type));
  });

  it('answers 404 for a dossier never accepted, 400 for a bad limit or cursor, 403 without the role', async () => {
    expect((await history(code())).status).toBe(404);
    expect((await history(code())).body.code).toBe('not_found');
    for (const q of ['?limit=0', '?limit=1001', '?limit=x', '?cursor=abc']) {
      const r = await history(code(), q);
      expect(r.status, q).toBe(400);
      expect(r.body.code).toBe('invalid_query');
    }
    expect((await history('bad code!')).status).toBe(400);
    expect((await history(code(), '', KEYS.lookup)).status).toBe(403);
    expect((await api(t.url, 'GET', `/v1/dossiers/${code()}/history`)).status).toBe(401);
  });

  it('makes no second event of an entry copied twice', async () => {
    const m = code();
    await out.event('delivered', m, 1);
    await waitFor('the event', async () => (await history(m)).body.events?.length === 1);
    const [event] = (await history(m)).body.events as Array<{ id: string; at: string }>;
    // The drainer died between commit and XDEL: the same entry reaches the handler again.
    const again: OutboxEvent = { id: event!.id, type: 'delivered', maHoSo: m, revision: 1, at: Date.parse(event!.at), data: null, progress: [], detail: null };
    const client = await t.gateway.records.pool().connect();
    try {
      await handleOutboxBatch(client, [again]);
    } finally {
      client.release();
    }
    expect((await history(m)).body.events).toHaveLength(1);
  });
});

describe('reconciliation', () => {
  const changes: Array<[string, Record<string, unknown>]> = [
    ['TrangThaiHoSo', { TrangThaiHoSo: 4 }],
    ['KenhThucHien', { KenhThucHien: 1 }],
    ['MaTTHC', { MaTTHC: '1.000001' }],
    ['NgayTiepNhan', { NgayTiepNhan: '20261128080000' }],
    ['NgayHenTra', { NgayHenTra: '20261231170000' }],
    ['NgayKetThucXuLy', { NgayKetThucXuLy: '20261210100000' }],
    ['NgayTra', { NgayTra: '20261211100000' }],
  ];

  it('finds a drift on each compared field and a forgotten dossier, repairs them without progress, leaves the rest alone', async () => {
    const day = { NgayTiepNhan: '20260301080000' };
    const drifting = await Promise.all(changes.map(() => deliveredDossier(day)));
    const forgotten = await deliveredDossier(day);
    const untouched = await deliveredDossier(day);
    const otherField = await deliveredDossier(day);
    const notation = await deliveredDossier({ ...day, TrangThaiHoSo: 2 });
    changes.forEach(([, change], i) => expect(t.portal.tamperDossier(drifting[i]!.MaHoSo, change)).toBeDefined());
    expect(t.portal.forgetDossier(forgotten.MaHoSo)).toBe(true);
    t.portal.tamperDossier(otherField.MaHoSo, { GhiChu: 'sửa trên cổng', TenTTHC: 'Tên khác' });
    // The same value in another notation is no drift.
    t.portal.tamperDossier(notation.MaHoSo, { TrangThaiHoSo: '2', NgayHenTra: '2026-12-18 17:00:00' });
    const progressCalls = () => t.portal.calls().filter((c) => c.service === 'CapNhatTienDoHoSoMC').length;
    const before = progressCalls();

    const { queued, figures } = await runToEnd({ receivedFrom: '20260301', receivedTo: '20260301' });
    expect(queued).toBe(11);
    expect(figures).toMatchObject({ state: 'done', queued: 11, checked: 11, matched: 3, drifted: 8, repaired: 8, failed: 0 });

    for (const [i, [field]] of changes.entries()) {
      const d = drifting[i]!;
      const events = (await history(d.MaHoSo)).body.events as Array<{ type: string; detail: { fields?: Array<{ field: string; portal: unknown; expected: unknown }> } }>;
      expect(events.map((e) => e.type)).toEqual(['accepted', 'delivered', 'drift', 'repaired']);
      expect(events[2]!.detail.fields!.map((f) => f.field)).toEqual([field]);
      expect(events[2]!.detail.fields![0]!.expected).toEqual(d[field] ?? null);
      // Repaired: the portal holds the delivered data again.
      expect(t.portal.dossier(d.MaHoSo)).toEqual(d);
    }
    const lost = (await history(forgotten.MaHoSo)).body.events;
    expect(lost.map((e: { type: string }) => e.type)).toEqual(['accepted', 'delivered', 'drift', 'repaired']);
    expect(lost[2].detail).toEqual({ missing: true });
    expect(t.portal.dossier(forgotten.MaHoSo)).toEqual(forgotten);
    // A field reconciliation does not compare is left as the portal has it, and never resent.
    expect(t.portal.dossier(otherField.MaHoSo)?.GhiChu).toBe('sửa trên cổng');
    expect(t.portal.history(otherField.MaHoSo)).toHaveLength(1);
    expect(t.portal.history(notation.MaHoSo)).toHaveLength(1);
    for (const d of [untouched, otherField, notation]) expect((await history(d.MaHoSo)).body.events).toHaveLength(2);
    expect(progressCalls()).toBe(before);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_reconcile_checks_total\{outcome="drifted"\} 8/);
    expect(metrics).toMatch(/gateway_reconcile_checks_total\{outcome="matched"\} 3/);
  });

  it('selects by MaHoSo and by NgayTiepNhan date range, both ends included', async () => {
    const a = await deliveredDossier({ NgayTiepNhan: '20250510000000' });
    await deliveredDossier({ NgayTiepNhan: '20250511235959' });
    await deliveredDossier({ NgayTiepNhan: '20250512080000' });
    await deliveredDossier({ NgayTiepNhan: '20250509235959' });
    expect((await runToEnd({ receivedFrom: '20250510', receivedTo: '20250511' })).queued).toBe(2);
    expect((await runToEnd({ receivedFrom: '20250512' })).queued).toBeGreaterThanOrEqual(1);
    const one = await runToEnd({ maHoSo: a.MaHoSo });
    expect(one.figures).toMatchObject({ queued: 1, checked: 1, matched: 1, drifted: 0, repaired: 0, failed: 0 });
    expect((await runToEnd({ maHoSo: code() })).figures).toMatchObject({ state: 'done', queued: 0, checked: 0 });
  });

  it('counts a check the portal refuses as failed, not drift', async () => {
    const d = await deliveredDossier({ NgayTiepNhan: '20240101080000' });
    t.portal.setFaults({ lookupErrorCode: 99 });
    try {
      const { figures } = await runToEnd({ maHoSo: d.MaHoSo });
      expect(figures).toMatchObject({ queued: 1, checked: 1, matched: 0, drifted: 0, failed: 1 });
    } finally {
      t.portal.resetFaults();
    }
    expect((await history(d.MaHoSo)).body.events.map((e: { type: string }) => e.type)).toEqual(['accepted', 'delivered']);
  });

  it('refuses a malformed body, an unknown run, and callers without the role', async () => {
    for (const body of [[], { receivedFrom: '2026-01-01' }, { receivedFrom: '20260230' }, { maHoSo: 'bad code!' }, { other: 1 }, { receivedFrom: '20260102', receivedTo: '20260101' }]) {
      const r = await api(t.url, 'POST', '/v1/ops/reconcile', { key: KEYS.ops, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('invalid_body');
    }
    expect((await api(t.url, 'POST', '/v1/ops/reconcile', { key: KEYS.ops, raw: '{', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await api(t.url, 'POST', '/v1/ops/reconcile', { key: KEYS.opsRead, body: {} })).status).toBe(403);
    expect((await api(t.url, 'GET', '/v1/ops/reconcile/rc-nope-00000000', { key: KEYS.opsRead })).status).toBe(404);
    expect((await api(t.url, 'GET', '/v1/ops/reconcile/whatever', { key: KEYS.opsRead })).status).toBe(404);
    const summary = await api(t.url, 'GET', '/v1/ops/reconcile', { key: KEYS.opsRead });
    expect(summary.status).toBe(200);
    expect(summary.body.last24h.checked).toBeGreaterThan(0);
  });
});
