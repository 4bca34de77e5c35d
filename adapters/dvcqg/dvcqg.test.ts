/** The DVCQG adapter against its simulator on a random port: real HTTP, no stubbing. */
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamBadResponse, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable } from '../../src/domain/errors.js';
import { sampleDossier, sampleProgress } from './fixtures/index.js';
import { createDvcqgPortal, type DvcqgPortalOptions } from './index.js';
import { startDvcqgSimulator, type DvcqgSimulator } from './simulator.js';

let sim: DvcqgSimulator;
const portals: Array<{ close(): void }> = [];
let serial = 0;

/** A fresh MaHoSo per test, with the leading zeros of a real agency code. */
const nextCode = () => `000.00.01.H26-261129-${String(++serial).padStart(4, '0')}`;

function portal(overrides: Partial<DvcqgPortalOptions> = {}) {
  const p = createDvcqgPortal({
    authUrl: sim.authUrl,
    apiUrl: sim.apiUrl,
    username: 'dvc-gateway',
    password: 'dvc-gateway-secret',
    dstcode: 'H26',
    madonvi: '000.00.00.H26',
    timeoutMs: 1_000,
    ...overrides,
  });
  portals.push(p);
  return p;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

const logins = () => sim.calls().filter((c) => c.service === 'login').length;
const callsOf = (service: string) => sim.calls().filter((c) => c.service === service);

beforeAll(async () => {
  sim = await startDvcqgSimulator({ port: 0, seed: 42 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  sim.resetFaults();
});
afterEach(() => {
  for (const p of portals.splice(0)) p.close();
});

describe('session', () => {
  it('logs in once and reuses the session for many calls, concurrent ones included', async () => {
    const p = portal();
    const codes = Array.from({ length: 8 }, nextCode);
    await Promise.all(codes.map((m) => p.syncDossier(sampleDossier(m), { knownToPortal: false })));
    for (const m of codes) await p.syncDossier(sampleDossier(m, { TrangThaiHoSo: 4 }), { knownToPortal: true });
    expect(logins()).toBe(1);
    expect(sim.dossiers()).toHaveLength(8);
    expect(sim.dossier(codes[0]!)?.TrangThaiHoSo).toBe(4);
  });

  it('logs in again once when the session expired, and repeats the call', async () => {
    const p = portal();
    const m = nextCode();
    await p.syncDossier(sampleDossier(m), { knownToPortal: false });
    sim.expireSessions();
    await p.updateProgress([sampleProgress(m, '20261129093000', 4)]);
    expect(logins()).toBe(2);
    const progressCalls = callsOf('CapNhatTienDoHoSoMC');
    expect(progressCalls.map((c) => c.errorCode)).toEqual([401, 0]);
    expect(sim.progress(m)).toHaveLength(1);
  });

  it('gives up with UpstreamUnavailable (auth_failed) when fresh sessions are refused three times', async () => {
    sim.setFaults({ sessionTtlMs: 0 });
    const p = portal();
    const error = await failure(p.findDossier(nextCode()));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details.reason).toBe('auth_failed');
    expect(logins()).toBe(3);
  });

  it('does not let one hung login hold every caller to its deadline', async () => {
    const p = portal({ timeoutMs: 2_000 });
    // Five callers wait on the first login, whose request hangs: it is given up after a quarter of the
    // deadline and tried again, well before the callers' own deadline.
    sim.setFaults({ hangRate: 1 });
    const calls = Array.from({ length: 5 }, () => p.syncDossier(sampleDossier(nextCode()), { knownToPortal: false }));
    await new Promise((r) => setTimeout(r, 100));
    sim.resetFaults();
    await Promise.all(calls);
    expect(logins()).toBe(2);
  });

  it('turns refused credentials into a retryable failure, not a rejection of the dossier', async () => {
    const p = portal({ password: 'wrong' });
    const error = await failure(p.syncDossier(sampleDossier(nextCode()), { knownToPortal: false }));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details.reason).toBe('auth_failed');
    expect((error as UpstreamUnavailable).message).toContain('Sai tên đăng nhập');
  });

  it('never logs the session or the password, nor keeps them on errors', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const p = portal({ logger: pino({ level: 'trace' }, sink) });
    const m = nextCode();
    await p.syncDossier(sampleDossier(m), { knownToPortal: true });
    sim.expireSessions();
    await p.findDossier(m);
    sim.setFaults({ resetRate: 1 });
    const error = await failure(p.findDossier(m));
    const text = lines.join('') + inspect(error, { depth: 10 });
    expect(lines.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/SIM-[0-9a-f]{8}/);
    expect(text).not.toContain('dvc-gateway-secret');
  });
});

describe('DongBoHoSoMC', () => {
  it('sends isUpdating "False" for a new dossier and "True" for a known one', async () => {
    const p = portal();
    const m = nextCode();
    await p.syncDossier(sampleDossier(m), { knownToPortal: false });
    await p.syncDossier(sampleDossier(m, { TrangThaiHoSo: 4 }), { knownToPortal: true });
    expect(callsOf('DongBoHoSoMC').map((c) => [c.isUpdating, c.errorCode])).toEqual([
      ['False', 0],
      ['True', 0],
    ]);
  });

  it('switches to "True" when the portal already has the dossier', async () => {
    const p = portal();
    const m = nextCode();
    await p.syncDossier(sampleDossier(m), { knownToPortal: false });
    await p.syncDossier(sampleDossier(m, { TrangThaiHoSo: 4 }), { knownToPortal: false });
    expect(callsOf('DongBoHoSoMC').map((c) => [c.isUpdating, c.errorCode])).toEqual([
      ['False', 0],
      ['False', 3],
      ['True', 0],
    ]);
    expect(sim.dossier(m)?.TrangThaiHoSo).toBe(4);
  });

  it('switches to "False" when the portal does not have the dossier', async () => {
    const p = portal();
    const m = nextCode();
    await p.syncDossier(sampleDossier(m), { knownToPortal: true });
    expect(callsOf('DongBoHoSoMC').map((c) => [c.isUpdating, c.errorCode])).toEqual([
      ['True', 4],
      ['False', 0],
    ]);
    expect(sim.history(m).map((h) => h.isUpdating)).toEqual(['False']);
  });

  it('takes error_code as a string, "00" being success and "3" still switching', async () => {
    sim.setFaults({ errorCodeFormat: 'string' });
    const p = portal();
    const m = nextCode();
    await p.syncDossier(sampleDossier(m), { knownToPortal: false });
    await p.syncDossier(sampleDossier(m, { TrangThaiHoSo: 4 }), { knownToPortal: false });
    expect(sim.dossier(m)?.TrangThaiHoSo).toBe(4);
    const error = await failure(p.syncDossier(sampleDossier(m, { ChuHoSo: '' }), { knownToPortal: true }));
    expect((error as UpstreamRejected).details.upstreamCode).toBe('1');
  });

  it('raises UpstreamRejected with the portal code and message for a refused payload', async () => {
    const m = nextCode();
    sim.setFaults({ rejectMaHoSo: [m], rejectErrorCode: 17, rejectMessage: 'Mã TTHC không thuộc đơn vị' });
    const error = await failure(portal().syncDossier(sampleDossier(m), { knownToPortal: false }));
    expect(error).toBeInstanceOf(UpstreamRejected);
    const rejected = error as UpstreamRejected;
    expect(rejected.retryable).toBe(false);
    expect(rejected.details).toEqual({ upstream: 'dvcqg', upstreamCode: '17', upstreamMessage: 'Mã TTHC không thuộc đơn vị' });
    expect(callsOf('DongBoHoSoMC')).toHaveLength(1);
  });

  it('rejects a dossier missing a required field, naming it', async () => {
    const m = nextCode();
    const error = await failure(portal().syncDossier(sampleDossier(m, { TrangThaiHoSo: 10, NgayTra: undefined }), { knownToPortal: false }));
    expect(error).toBeInstanceOf(UpstreamRejected);
    expect((error as UpstreamRejected).details.upstreamCode).toBe('1');
    expect((error as UpstreamRejected).details.upstreamMessage).toContain('NgayTra');
  });
});

describe('transport failures', () => {
  it('maps HTTP 5xx to UpstreamUnavailable (http_5xx) and stores nothing', async () => {
    const p = portal();
    await p.findDossier(nextCode());
    sim.setFaults({ errorRate: 1 });
    const m = nextCode();
    const error = await failure(p.syncDossier(sampleDossier(m), { knownToPortal: false }));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details.reason).toBe('http_5xx');
    expect((error as UpstreamUnavailable).retryable).toBe(true);
    expect(sim.dossier(m)).toBeUndefined();
  });

  it('maps HTTP 429 to UpstreamUnavailable (rate_limited) with Retry-After', async () => {
    sim.setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const error = await failure(portal().findDossier(nextCode()));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect((error as UpstreamUnavailable).details).toMatchObject({ reason: 'rate_limited', retryAfterSeconds: 7 });
  });

  it('maps a reset connection and a refused connection to UpstreamUnavailable (connection)', async () => {
    sim.setFaults({ resetRate: 1 });
    const reset = await failure(portal().findDossier(nextCode()));
    expect(reset).toBeInstanceOf(UpstreamUnavailable);
    expect((reset as UpstreamUnavailable).details.reason).toBe('connection');

    const gone = await startDvcqgSimulator({ port: 0 });
    await gone.close();
    const refused = await failure(portal({ authUrl: gone.authUrl, apiUrl: gone.apiUrl }).findDossier(nextCode()));
    expect(refused).toBeInstanceOf(UpstreamUnavailable);
    expect((refused as UpstreamUnavailable).details.reason).toBe('connection');
  });

  it('maps a portal that is down (503) to UpstreamUnavailable', async () => {
    sim.setFaults({ down: true });
    const error = await failure(portal().findDossier(nextCode()));
    expect((error as UpstreamUnavailable).details.reason).toBe('http_5xx');
  });

  it('aborts a hanging call with UpstreamTimeout within timeoutMs', async () => {
    const p = portal({ timeoutMs: 300 });
    await p.findDossier(nextCode());
    sim.setFaults({ hangRate: 1 });
    const m = nextCode();
    const started = performance.now();
    const error = await failure(p.syncDossier(sampleDossier(m), { knownToPortal: false }));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(UpstreamTimeout);
    expect((error as UpstreamTimeout).details).toEqual({ upstream: 'dvcqg', timeoutMs: 300 });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1_000);
    expect(sim.dossier(m)).toBeUndefined();
  });

  it('maps a truncated or HTML answer to a retryable UpstreamBadResponse', async () => {
    const p = portal();
    await p.findDossier(nextCode());
    sim.setFaults({ malformedRate: 1 });
    for (let i = 0; i < 4; i++) {
      const error = await failure(p.findDossier(nextCode()));
      expect(error).toBeInstanceOf(UpstreamBadResponse);
      expect((error as UpstreamBadResponse).retryable).toBe(true);
    }
  });

  it('stops a call when the caller aborts its signal, before or during the call', async () => {
    const p = portal({ timeoutMs: 5_000 });
    await p.findDossier(nextCode());
    sim.setFaults({ latencyMs: 2_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const error = await failure(p.findDossier(nextCode(), { signal: controller.signal }));
    expect(error).toBeInstanceOf(UpstreamTimeout);
    expect(performance.now() - started).toBeLessThan(1_000);

    const before = sim.calls().length;
    const early = await failure(portal().findDossier(nextCode(), { signal: AbortSignal.abort() }));
    expect(early).toBeInstanceOf(UpstreamTimeout);
    expect(sim.calls()).toHaveLength(before);
  });

  it('reports an error after the portal applied the call, so the caller repeats it (at least once)', async () => {
    sim.setFaults({ failAfterApplyRate: 1 });
    const p = portal();
    const m = nextCode();
    const error = await failure(p.syncDossier(sampleDossier(m), { knownToPortal: false }));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect(sim.dossier(m)).toBeDefined();
    sim.resetFaults();
    await p.syncDossier(sampleDossier(m), { knownToPortal: false });
    expect(sim.history(m).map((h) => h.isUpdating)).toEqual(['False', 'True']);
  });
});

describe('hostile answers (UPSTREAMS.md §1)', () => {
  it('takes a proxy page (HTTP 403, 404 or 408 without the portal JSON) as retryable, never a rejection', async () => {
    const p = portal();
    await p.findDossier(nextCode());
    sim.setFaults({ proxyPageRate: 1 });
    const statuses = new Set<number | null>();
    for (let i = 0; i < 12; i++) {
      const m = nextCode();
      const error = await failure(p.syncDossier(sampleDossier(m), { knownToPortal: false }));
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect((error as UpstreamUnavailable).details.reason).toBe('http_4xx_without_answer');
      expect(sim.dossier(m)).toBeUndefined();
      statuses.add(sim.calls().at(-1)!.httpStatus);
    }
    expect([...statuses].sort()).toEqual([403, 404, 408]);
  });

  it('stops reading an answer over 1 MiB: a retryable bad answer, the memory it held bounded', async () => {
    const p = portal({ timeoutMs: 5_000 });
    await p.findDossier(nextCode());
    sim.setFaults({ hugeAnswerRate: 1, hugeAnswerBytes: 64 * 1024 * 1024 });
    const before = process.memoryUsage().rss;
    const errors = await Promise.all(Array.from({ length: 8 }, () => failure(p.findDossier(nextCode()))));
    for (const error of errors) {
      expect(error).toBeInstanceOf(UpstreamBadResponse);
      expect((error as Error).message).toContain('larger than 1048576 bytes');
    }
    // Eight 64 MiB answers read whole would take over 512 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    sim.resetFaults();
    expect(await p.findDossier(nextCode())).toBeNull();
  });

  it('keeps at most 1,000 characters of a long rejection message', async () => {
    const m = nextCode();
    // About 750 KB: still an answer (under 1 MiB), far more than anyone should store.
    sim.setFaults({ rejectMaHoSo: [m], rejectMessage: 'Lỗi dữ liệu hồ sơ. '.repeat(30_000) });
    const error = (await failure(portal().syncDossier(sampleDossier(m), { knownToPortal: false }))) as UpstreamRejected;
    expect(error).toBeInstanceOf(UpstreamRejected);
    expect(Array.from(error.details.upstreamMessage!)).toHaveLength(1_000);
    expect(error.message.length).toBeLessThan(1_100);
  });

  it('answers a call stored but answered late with a timeout; sending it again is safe', async () => {
    const p = portal({ timeoutMs: 300 });
    await p.findDossier(nextCode());
    sim.setFaults({ lateAnswerRate: 1, lateAnswerMs: 1_000 });
    const m = nextCode();
    expect(await failure(p.syncDossier(sampleDossier(m), { knownToPortal: false }))).toBeInstanceOf(UpstreamTimeout);
    expect(sim.dossier(m)).toBeDefined();
    sim.resetFaults();
    await p.syncDossier(sampleDossier(m), { knownToPortal: false });
    expect(sim.history(m).map((h) => h.isUpdating)).toEqual(['False', 'True']);
  });

  it('logs in again whenever sessions expire every few calls, and the calls succeed', async () => {
    sim.setFaults({ expireSessionsEveryCalls: 3 });
    const p = portal();
    const ms = Array.from({ length: 9 }, nextCode);
    for (const m of ms) await p.syncDossier(sampleDossier(m), { knownToPortal: false });
    expect(ms.every((m) => sim.dossier(m) !== undefined)).toBe(true);
    expect(logins()).toBeGreaterThanOrEqual(4);
  });

  it('tries a failed login again before failing the callers waiting on it', async () => {
    const p = portal();
    // The first login request is refused with a 500; the second try goes through.
    sim.setFaults({ errorRate: 1 });
    const waiting = Promise.all(Array.from({ length: 5 }, () => p.syncDossier(sampleDossier(nextCode()), { knownToPortal: false })));
    await new Promise((r) => setTimeout(r, 5));
    sim.resetFaults();
    await waiting;
    expect(callsOf('DongBoHoSoMC').filter((c) => c.applied)).toHaveLength(5);
  });
});

describe('CapNhatTienDoHoSoMC', () => {
  it('sends up to 10 items in order, and refuses more before calling', async () => {
    const p = portal();
    const m = nextCode();
    await p.syncDossier(sampleDossier(m), { knownToPortal: false });
    const items = Array.from({ length: 11 }, (_, i) => sampleProgress(m, `202611291000${String(i).padStart(2, '0')}`, 4));
    await expect(p.updateProgress(items)).rejects.toThrow(/at most 10/);
    await expect(p.updateProgress(items)).rejects.toBeInstanceOf(UpstreamRejected);
    expect(callsOf('CapNhatTienDoHoSoMC')).toHaveLength(0);
    await p.updateProgress(items.slice(0, 10));
    expect(sim.progress(m).map((i) => i.ThoiDiemXuLy)).toEqual(items.slice(0, 10).map((i) => i.ThoiDiemXuLy));
  });

  it('raises UpstreamRejected for progress of a dossier the portal does not have', async () => {
    const m = nextCode();
    const error = await failure(portal().updateProgress([sampleProgress(m, '20261129093000', 4)]));
    expect(error).toBeInstanceOf(UpstreamRejected);
    expect((error as UpstreamRejected).details.upstreamCode).toBe('5');
  });
});

describe('TraCuuHoSo', () => {
  it('finds a dossier as the portal holds it, identifiers with leading zeros kept as strings', async () => {
    const p = portal();
    const m = '000.00.01.H26-261129-0007';
    await p.syncDossier(sampleDossier(m, { SoGiayToChuHoSo: '001099012345' }), { knownToPortal: false });
    const found = await p.findDossier(m);
    expect(found?.MaHoSo).toBe(m);
    expect(found?.SoGiayToChuHoSo).toBe('001099012345');
    expect(found?.DinhDanhCHS).toEqual([{ LoaiDinhDanh: 1, SoDinhDanh: '001099012345' }]);
    expect(found).toEqual(sampleDossier(m, { SoGiayToChuHoSo: '001099012345' }));
  });

  it('answers null for a dossier the portal does not know', async () => {
    expect(await portal().findDossier(nextCode())).toBeNull();
  });
});
