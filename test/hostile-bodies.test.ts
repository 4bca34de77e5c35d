/**
 * Hostile bodies (shared/API.md "Conventions"): payloads full of errors are refused with at most 100
 * listed and `… and N more`, every failure is `invalid_body`, and the process keeps answering
 * `/health/live` while they are being refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleProgress } from '../adapters/dvcqg/index.js';
import { KEYS, api, startTestGateway, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

const M = '000.00.01.H26-261201-0001';
const MIB = 1024 * 1024;

const putRaw = (m: string, raw: string | Buffer) => api(t.url, 'PUT', `/v1/dossiers/${m}`, { key: KEYS.sync, raw, headers: { 'content-type': 'application/json' } });

/** Just under 1 MiB of `{}` progress items: about 350,000 offending fields. */
function emptyProgressBody(m: string, bytes = MIB - 1024): string {
  const head = `{"revision":1,"dossier":${JSON.stringify(sampleDossier(m))},"progress":[`;
  const n = Math.floor((bytes - head.length - 2) / 3);
  return `${head}${Array(n).fill('{}').join(',')}]}`;
}

/** Runs `during` while `hostile` is in flight, probing /health/live all the while; returns what the probes saw. */
async function probeLiveDuring<T>(hostile: () => Promise<T>): Promise<{ result: T; liveBefore: number; liveStatuses: number[] }> {
  let done = false;
  let liveBefore = 0;
  const liveStatuses: number[] = [];
  const probes = (async () => {
    while (!done) {
      const r = await api(t.url, 'GET', '/health/live');
      liveStatuses.push(r.status);
      if (!done) liveBefore++;
    }
  })();
  const result = await hostile();
  done = true;
  await probes;
  return { result, liveBefore, liveStatuses };
}

function expectBoundedErrors(body: { code: string; errors: Array<{ path: string; message: string }> }) {
  expect(body.code).toBe('invalid_body');
  expect(body.errors.length).toBeLessThanOrEqual(101);
  expect(body.errors.at(-1)).toEqual({ path: '', message: expect.stringMatching(/^… and \d+ more$/) });
}

describe('hostile dossier bodies', () => {
  it('refuses 20,000 empty progress items with a bounded list while /health/live answers', async () => {
    const m = `${M}1`;
    // 176 KiB; objects over the 20,000 a body may hold, so refused on a scan of the text.
    const raw = `{"revision":1,"dossier":${JSON.stringify(sampleDossier(m))},"progress":[${Array(20_000).fill('{}').join(',')}]}`;
    const { result, liveBefore, liveStatuses } = await probeLiveDuring(() => Promise.all(Array.from({ length: 8 }, () => putRaw(m, raw))));
    for (const r of result) {
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'invalid_body', errors: [{ path: '', message: 'holds more than 20000 objects and arrays' }] });
    }
    expect(liveBefore).toBeGreaterThan(0);
    expect(liveStatuses.every((s) => s === 200)).toBe(true);
  });

  it('refuses 1 MiB bodies full of errors while /health/live answers', async () => {
    const m = `${M}2`;
    const raw = emptyProgressBody(m);
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MIB);
    const { result, liveBefore, liveStatuses } = await probeLiveDuring(() => Promise.all(Array.from({ length: 6 }, () => putRaw(m, raw))));
    for (const r of result) {
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('invalid_body');
      // Refused on a scan of the text, before parsing: ~350,000 objects.
      expect(r.body.errors).toEqual([{ path: '', message: 'holds more than 20000 objects and arrays' }]);
    }
    expect(liveBefore).toBeGreaterThan(0);
    expect(liveStatuses.every((s) => s === 200)).toBe(true);
  });

  it('refuses 1 MiB bodies parsed in full (under the object limit) with a bounded list while /health/live answers', async () => {
    const m = `${M}6`;
    const head = `{"revision":1,"dossier":${JSON.stringify(sampleDossier(m))},"progress":[`;
    const step = `{"MaHoSo":1,"ThoiDiemXuLy":"${'9'.repeat(14)}","TrangThai":"x","NoiDungXuLy":${'7'.repeat(10)},"x":"${'y'.repeat(1)}"}`;
    const n = Math.min(19_000, Math.floor((MIB - 64 - Buffer.byteLength(head)) / (step.length + 1)));
    const raw = `${head}${Array(n).fill(step).join(',')}]}`;
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MIB);
    const { result, liveBefore, liveStatuses } = await probeLiveDuring(() => Promise.all(Array.from({ length: 6 }, () => putRaw(m, raw))));
    for (const r of result) {
      expect(r.status).toBe(400);
      expectBoundedErrors(r.body);
      expect(r.body.errors[0]).toEqual({ path: '/progress', message: expect.stringContaining('1000') });
      expect(JSON.stringify(r.body).length).toBeLessThan(64 * 1024);
    }
    expect(liveBefore).toBeGreaterThan(0);
    expect(liveStatuses.every((s) => s === 200)).toBe(true);
  });

  it('lists the first 100 errors in order and counts the rest exactly', async () => {
    const m = `${M}3`;
    const progress = Array.from({ length: 60 }, () => ({ MaHoSo: m })); // each lacks ThoiDiemXuLy and TrangThai
    const r = await putRaw(m, JSON.stringify({ revision: 1, dossier: sampleDossier(m), progress }));
    expect(r.status).toBe(400);
    expect(r.body.errors).toHaveLength(101);
    expect(r.body.errors[0]).toEqual({ path: '/progress/0/ThoiDiemXuLy', message: 'is required' });
    expect(r.body.errors.at(-1)).toEqual({ path: '', message: '… and 20 more' });
    expect(r.body.detail).toContain('(and 119 more)');
  });

  it('refuses a 1 MiB batch of bad items with a bounded 207 while /health/live answers', async () => {
    const items: string[] = [];
    let size = 20;
    for (let i = 0; size < MIB - 2_000; i++) {
      const m = `${M}B${i}`;
      const step = '{"MaHoSo":1,"ThoiDiemXuLy":1,"TrangThai":"a","NgayBatDau":1,"NgayKetThucTheoQuyDinh":1}';
      const item = `{"revision":"x","dossier":{"MaHoSo":"${m}","MaTTHC":1,"KenhThucHien":9},"progress":[${Array(10).fill(step).join(',')}]}`;
      items.push(item);
      size += item.length + 1;
      if (items.length === 1_000) break;
    }
    const raw = `{"items":[${items.join(',')}]}`;
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MIB);
    const { result: r, liveBefore } = await probeLiveDuring(() =>
      api(t.url, 'POST', '/v1/dossiers/batch', { key: KEYS.sync, raw, headers: { 'content-type': 'application/json' } }),
    );
    expect(r.status).toBe(207);
    expect(r.body.results).toHaveLength(items.length);
    for (const res of r.body.results) {
      expect(res.error.code).toBe('invalid_body');
      expect(res.error.errors.length).toBeLessThanOrEqual(101);
    }
    const listed = r.body.results.reduce((n: number, res: { error: { errors: unknown[] } }) => n + res.error.errors.length, 0);
    expect(listed).toBeLessThanOrEqual(1_000 + items.length);
    expect(JSON.stringify(r.body).length).toBeLessThan(2 * MIB);
    expect(liveBefore).toBeGreaterThan(0);
  });

  it('answers invalid_body for invalid UTF-8, deep nesting, wide objects and broken JSON', async () => {
    const m = `${M}4`;
    const good = JSON.stringify({ revision: 1, dossier: sampleDossier(m), progress: [sampleProgress(m, '20261201093000', 2)] });
    const badUtf8 = Buffer.concat([Buffer.from(good.slice(0, -2)), Buffer.from([0x22, 0xff, 0xfe, 0x22]), Buffer.from('}')]);
    const deep = `{"revision":1,"dossier":${'['.repeat(40)}${']'.repeat(40)}}`;
    const veryDeep = '['.repeat(500_000);
    const wide = `{"revision":1,"dossier":{${Array.from({ length: 5_000 }, (_, i) => `"f${i}":0`).join(',')}}}`;
    for (const raw of [badUtf8, deep, veryDeep, wide, '{"revision":1,', 'null', '[]', '"text"']) {
      const r = await putRaw(m, raw);
      expect(r.status, String(raw).slice(0, 40)).toBe(400);
      expect(r.body.code).toBe('invalid_body');
    }
  });

  it('still accepts a valid revision of nearly 1 MiB', async () => {
    const m = `${M}5`;
    const progress = Array.from({ length: 900 }, (_, i) => ({ ...sampleProgress(m, `2026120109${String(Math.floor(i / 60) % 60).padStart(2, '0')}${String(i % 60).padStart(2, '0')}`, 2), NoiDungXuLy: 'x'.repeat(800) }));
    const raw = JSON.stringify({ revision: 1, dossier: sampleDossier(m), progress });
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MIB);
    const r = await putRaw(m, raw);
    expect(r.status).toBe(202);
  });
});
