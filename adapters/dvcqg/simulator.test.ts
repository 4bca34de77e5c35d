/** The DVCQG simulator held to shared/UPSTREAMS.md §1, driven over raw HTTP, and its control API. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from './fixtures/index.js';
import { startDvcqgSimulator, type DvcqgSimulator } from './simulator.js';

let sim: DvcqgSimulator;

async function post(url: string, body: unknown, headers: Record<string, string> = { dstcode: 'H26' }) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function login(): Promise<string> {
  const { body } = await post(sim.authUrl, { username: 'dvc-gateway', password: 'dvc-gateway-secret' });
  expect(body.error_code).toBe(0);
  return body.session as string;
}

async function api(session: string, service: string, params: Record<string, unknown>) {
  return (await post(sim.apiUrl, { session, madonvi: '000.00.00.H26', service, ...params })).body;
}

beforeAll(async () => {
  sim = await startDvcqgSimulator({ port: 0, seed: 7 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  sim.resetFaults();
});

describe('protocol', () => {
  it('checks dstcode and credentials at login', async () => {
    expect((await post(sim.authUrl, { username: 'dvc-gateway', password: 'x' })).body.error_code).toBe(7);
    expect((await post(sim.authUrl, { username: 'dvc-gateway', password: 'dvc-gateway-secret' }, { dstcode: 'H01' })).body.error_code).toBe(8);
  });

  it('refuses a call without a valid session with error_code 401', async () => {
    const body = await api('nope', 'TraCuuHoSo', { MaHoSo: 'x' });
    expect(body).toEqual({ error_code: 401, message: 'session không hợp lệ hoặc đã hết hạn' });
  });

  it('expires sessions after sessionTtlMs', async () => {
    sim.setFaults({ sessionTtlMs: 50 });
    const session = await login();
    expect((await api(session, 'TraCuuHoSo', { MaHoSo: 'x' })).error_code).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect((await api(session, 'TraCuuHoSo', { MaHoSo: 'x' })).error_code).toBe(401);
  });

  it('requires madonvi', async () => {
    const session = await login();
    const { body } = await post(sim.apiUrl, { session, service: 'TraCuuHoSo', MaHoSo: 'x' });
    expect(body.error_code).toBe(6);
  });

  it('requires every required dossier field, and NgayTra when TrangThaiHoSo is 10', async () => {
    const session = await login();
    const sync = (dossier: Record<string, unknown>) => api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [dossier] });
    const missing = await sync(sampleDossier('A-1', { TenTTHC: undefined, NgayHenTra: '' }));
    expect(missing).toEqual({ error_code: 1, message: 'Thiếu trường bắt buộc: TenTTHC, NgayHenTra' });
    expect((await sync(sampleDossier('A-1', { TrangThaiHoSo: 10 }))).message).toBe('Thiếu trường bắt buộc: NgayTra');
    expect((await sync(sampleDossier('A-1', { KenhThucHien: 7 }))).message).toBe('Giá trị không hợp lệ: KenhThucHien');
    expect((await sync(sampleDossier('A-1', { NgayTiepNhan: '20261131080000' }))).message).toBe('Giá trị không hợp lệ: NgayTiepNhan');
    expect((await sync(sampleDossier('A-1', { TrangThaiHoSo: 10, NgayTra: '20261210100000' }))).error_code).toBe(0);
    const two = await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('A-2'), sampleDossier('A-3')] });
    expect(two.error_code).toBe(6);
    expect(sim.dossiers().map((d) => d.MaHoSo)).toEqual(['A-1']);
  });

  it('answers 3 for a known dossier sent as new and 4 for an unknown one sent as update', async () => {
    const session = await login();
    expect(await api(session, 'DongBoHoSoMC', { isUpdating: 'True', data: [sampleDossier('B-1')] })).toEqual({
      error_code: 4,
      message: 'Hồ sơ không tồn tại',
    });
    await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('B-1')] });
    expect(await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('B-1')] })).toEqual({
      error_code: 3,
      message: 'Hồ sơ đã tồn tại',
    });
  });

  it('refuses more than 10 progress items (2) and progress of an unknown dossier (5), storing none', async () => {
    const session = await login();
    await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('C-1')] });
    const items = Array.from({ length: 11 }, (_, i) => sampleProgress('C-1', `202611291000${String(i).padStart(2, '0')}`, 4));
    expect((await api(session, 'CapNhatTienDoHoSoMC', { data: items })).error_code).toBe(2);
    const mixed = [sampleProgress('C-1', '20261129100000', 4), sampleProgress('C-9', '20261129100000', 4)];
    expect((await api(session, 'CapNhatTienDoHoSoMC', { data: mixed })).error_code).toBe(5);
    expect(sim.progress('C-1')).toEqual([]);
  });

  it('answers TraCuuHoSo with the dossier, or an empty result', async () => {
    const session = await login();
    await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('D-1')] });
    expect((await api(session, 'TraCuuHoSo', { MaHoSo: 'D-1' })).result).toEqual([sampleDossier('D-1')]);
    expect((await api(session, 'TraCuuHoSo', { MaHoSo: 'D-2' })).result).toEqual([]);
  });
});

describe('control API', () => {
  it('reads back dossiers, history, progress and calls over /_sim/state', async () => {
    const session = await login();
    await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('E-1')] });
    await api(session, 'DongBoHoSoMC', { isUpdating: 'True', data: [sampleDossier('E-1', { TrangThaiHoSo: 4 })] });
    await api(session, 'CapNhatTienDoHoSoMC', { data: [sampleProgress('E-1', '20261129093000', 4)] });
    const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as Record<string, Record<string, unknown>>;
    expect((state.dossiers!['E-1'] as Record<string, unknown>).TrangThaiHoSo).toBe(4);
    expect((state.history as unknown as Array<{ isUpdating: string }>).map((h) => h.isUpdating)).toEqual(['False', 'True']);
    expect(state.progress!['E-1']).toEqual([sampleProgress('E-1', '20261129093000', 4)]);
    const calls = state.calls as unknown as Array<{ service: string; errorCode: number; maHoSo: string[] }>;
    expect(calls.map((c) => [c.service, c.errorCode])).toEqual([
      ['login', 0],
      ['DongBoHoSoMC', 0],
      ['DongBoHoSoMC', 0],
      ['CapNhatTienDoHoSoMC', 0],
    ]);
    expect(calls[3]!.maHoSo).toEqual(['E-1']);
  });

  it('changes faults, resets state and expires sessions over HTTP', async () => {
    const session = await login();
    const set = await post(`${sim.url}/_sim/faults`, { errorRate: 1 }, {});
    expect((set.body.faults as Record<string, unknown>).errorRate).toBe(1);
    expect((await fetch(sim.apiUrl, { method: 'POST', body: '{}' })).status).toBeGreaterThanOrEqual(500);
    expect((await post(`${sim.url}/_sim/faults`, { errorRate: 2 }, {})).status).toBe(400);
    expect((await post(`${sim.url}/_sim/faults`, { nonsense: 1 }, {})).status).toBe(400);
    await post(`${sim.url}/_sim/reset-faults`, {}, {});
    expect(sim.faults().errorRate).toBe(0);

    await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('F-1')] });
    await post(`${sim.url}/_sim/reset`, {}, {});
    expect(sim.dossiers()).toEqual([]);
    expect(sim.calls()).toEqual([]);
    await post(`${sim.url}/_sim/expire-sessions`, {}, {});
    expect((await api(session, 'TraCuuHoSo', { MaHoSo: 'F-1' })).error_code).toBe(401);
  });

  it('applies faults before the call: an erroring call stores nothing', async () => {
    const session = await login();
    sim.setFaults({ errorRate: 1 });
    const res = await fetch(sim.apiUrl, {
      method: 'POST',
      headers: { dstcode: 'H26' },
      body: JSON.stringify({ session, madonvi: 'x', service: 'DongBoHoSoMC', isUpdating: 'False', data: [sampleDossier('G-1')] }),
    });
    expect([500, 503]).toContain(res.status);
    expect(sim.dossier('G-1')).toBeUndefined();
    expect(sim.calls().at(-1)).toMatchObject({ service: 'DongBoHoSoMC', maHoSo: ['G-1'], applied: false, errorCode: null });
    expect(sim.calls().at(-1)?.fault).toMatch(/^http_50[03]$/);
  });

  it('answers like a hostile network when asked: proxy pages, huge answers, late answers, expiring sessions', async () => {
    const session = await login();
    const call = (m: string) =>
      fetch(sim.apiUrl, {
        method: 'POST',
        headers: { dstcode: 'H26' },
        body: JSON.stringify({ session, madonvi: 'x', service: 'DongBoHoSoMC', isUpdating: 'False', data: [sampleDossier(m)] }),
      });
    sim.setFaults({ proxyPageRate: 1 });
    const page = await call('H-1');
    expect([403, 404, 408]).toContain(page.status);
    expect(await page.text()).toContain('<html>');
    expect(sim.dossier('H-1')).toBeUndefined();
    sim.setFaults({ proxyPageRate: 0, hugeAnswerRate: 1, hugeAnswerBytes: 3 * 1024 * 1024 });
    const huge = await call('H-2');
    expect(huge.status).toBe(200);
    expect((await huge.arrayBuffer()).byteLength).toBe(3 * 1024 * 1024);
    sim.setFaults({ hugeAnswerRate: 0, lateAnswerRate: 1, lateAnswerMs: 300 });
    expect((await call('H-3')).status).toBe(200);
    expect(sim.calls().at(-1)).toMatchObject({ fault: 'late_answer', applied: true });
    sim.resetFaults();
    sim.setFaults({ expireSessionsEveryCalls: 2 });
    const code = async (m: string) => ((await (await call(m)).json()) as { error_code: unknown }).error_code;
    expect(await code('H-4')).toBe(0);
    expect(await code('H-5')).toBe(401);
    for (const bad of [{ proxyPageRate: 2 }, { hugeAnswerBytes: -1 }, { expireSessionsEveryCalls: -3 }]) {
      expect(() => sim.setFaults(bad)).toThrow(RangeError);
    }
  });

  it('is repeatable from a seed', async () => {
    const run = async () => {
      const s = await startDvcqgSimulator({ port: 0, seed: 123, faults: { errorRate: 0.5 } });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await fetch(s.authUrl, { method: 'POST', body: '{}' })).status);
      await s.close();
      return statuses;
    };
    const first = await run();
    expect(new Set(first).size).toBeGreaterThan(1);
    expect(await run()).toEqual(first);
  });

  it('closes quickly with a hung request open', async () => {
    const s = await startDvcqgSimulator({ port: 0, faults: { hangRate: 1 } });
    const hung = fetch(s.authUrl, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await s.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await hung).toBeInstanceOf(Error);
  });
});

describe('tampering, for reconciliation tests', () => {
  it('forgets a dossier: TraCuuHoSo then answers an empty result, and an update is refused as unknown', async () => {
    const session = await login();
    await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('T-1')] });
    await api(session, 'CapNhatTienDoHoSoMC', { data: [sampleProgress('T-1', '20261129093000', 4)] });
    const forgot = await post(`${sim.url}/_sim/dossiers/forget`, { maHoSo: 'T-1' }, {});
    expect(forgot.status).toBe(200);
    expect((await api(session, 'TraCuuHoSo', { MaHoSo: 'T-1' })).result).toEqual([]);
    expect(sim.progress('T-1')).toEqual([]);
    expect((await api(session, 'DongBoHoSoMC', { isUpdating: 'True', data: [sampleDossier('T-1')] })).error_code).toBe(4);
    expect(sim.history('T-1')).toHaveLength(1);
    expect((await post(`${sim.url}/_sim/dossiers/forget`, { maHoSo: 'T-9' }, {})).status).toBe(404);
    expect(sim.forgetDossier('T-9')).toBe(false);
  });

  it('changes and removes stored fields without a call, leaving MaHoSo alone', async () => {
    const session = await login();
    await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('T-2', { TrangThaiHoSo: 4 })] });
    const callsBefore = sim.calls().length;
    const changed = await post(`${sim.url}/_sim/dossiers/tamper`, { maHoSo: 'T-2', set: { TrangThaiHoSo: 2, GhiChu: 'sửa tay', MaHoSo: 'X', TenTTHC: null } }, {});
    expect(changed.status).toBe(200);
    const found = (await api(session, 'TraCuuHoSo', { MaHoSo: 'T-2' })).result as Array<Record<string, unknown>>;
    expect(found[0]).toMatchObject({ MaHoSo: 'T-2', TrangThaiHoSo: 2, GhiChu: 'sửa tay' });
    expect(found[0]).not.toHaveProperty('TenTTHC');
    expect(sim.history('T-2')[0]!.dossier.TrangThaiHoSo).toBe(4);
    expect(sim.calls().length).toBe(callsBefore + 1);
    expect(sim.tamperDossier('T-2', { KenhThucHien: 3 })?.KenhThucHien).toBe(3);
    expect(sim.tamperDossier('T-9', { KenhThucHien: 3 })).toBeUndefined();
    expect((await post(`${sim.url}/_sim/dossiers/tamper`, { maHoSo: 'T-2' }, {})).status).toBe(400);
    expect((await post(`${sim.url}/_sim/dossiers/tamper`, { maHoSo: 'T-9', set: {} }, {})).status).toBe(404);
  });

  it('refuses TraCuuHoSo alone with lookupErrorCode, the other services still working', async () => {
    const session = await login();
    sim.setFaults({ lookupErrorCode: 12, lookupMessage: 'bận' });
    expect(await api(session, 'TraCuuHoSo', { MaHoSo: 'T-3' })).toEqual({ error_code: 12, message: 'bận' });
    expect((await api(session, 'DongBoHoSoMC', { isUpdating: 'False', data: [sampleDossier('T-3')] })).error_code).toBe(0);
    expect(() => sim.setFaults({ lookupErrorCode: 1.5 })).toThrow(RangeError);
    sim.resetFaults();
    expect((await api(session, 'TraCuuHoSo', { MaHoSo: 'T-3' })).result).toHaveLength(1);
  });
});
