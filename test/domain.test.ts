import { describe, expect, it } from 'vitest';
import { fromPortalTimestamp, toPortalTimestamp } from '../src/domain/dates.js';
import { chunk, compareProgress, progressItemKey } from '../src/domain/dossier.js';
import { checkCitizenId, checkEnterpriseCode, checkMaHoSo, checkOfficerId, parseBirthDate } from '../src/domain/identifiers.js';
import { retryDelayMs, expectedRetryWindowMs } from '../src/resilience/backoff.js';
import { SlidingStats } from '../src/resilience/stats.js';
import { compactDossier, packDossier, plainDossier, unpackDossier } from '../src/sync/compression.js';
import { createLogger, requestContext } from '../src/logger.js';
import { jsonDepth } from '../src/http/body.js';

describe('citizen ID (CCCD)', () => {
  it('accepts valid IDs and names each broken rule', () => {
    expect(checkCitizenId('001099012345')).toBeNull();
    expect(checkCitizenId('001099012345', 1999)).toBeNull();
    expect(checkCitizenId('001305002468', 2005)).toBeNull();
    expect(checkCitizenId('00109901234')).toMatch(/exactly 12 digits/);
    expect(checkCitizenId('00109901234a')).toMatch(/only digits/);
    expect(checkCitizenId('003099012345')).toMatch(/province code; 003/);
    expect(checkCitizenId('001099012345', 2099)).toMatch(/1999.*2099/);
    expect(checkCitizenId('001299012345', 2099)).toBeNull();
    expect(checkCitizenId('001899012345', 2399)).toBeNull();
  });
  it('parses birth dates', () => {
    expect(parseBirthDate('19990315')).toEqual({ year: 1999, date: '19990315' });
    expect(parseBirthDate('1999')).toEqual({ year: 1999, date: null });
    expect(parseBirthDate('19990231')).toMatch(/calendar/);
    expect(parseBirthDate('99')).toMatch(/yyyyMMdd/);
  });
});

describe('enterprise code (MST)', () => {
  it('checks the check digit, the zero rule and branch suffix', () => {
    expect(checkEnterpriseCode('0100233488')).toBeNull();
    expect(checkEnterpriseCode('0100109106')).toBeNull();
    expect(checkEnterpriseCode('0100109106-001')).toBeNull();
    expect(checkEnterpriseCode('0100109107')).toMatch(/check digit/);
    expect(checkEnterpriseCode('0100109106-000')).toMatch(/000/);
    expect(checkEnterpriseCode('0100000000')).toMatch(/all be zero/);
    expect(checkEnterpriseCode('0100109106001')).toMatch(/hyphen/);
    expect(checkEnterpriseCode('01001091')).toMatch(/10 digits/);
  });
  it('accepts a check digit 0 where the formula gives 10', () => {
    // Find a base whose weighted sum is ≡ 0 (mod 11): its check digit by the formula is 10.
    const weights = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    for (let n = 10_000_000; n < 10_100_000; n++) {
      const base = String(n).padStart(9, '0');
      if (weights.reduce((a, w, i) => a + w * Number(base[i]), 0) % 11 === 0 && base.slice(2) !== '0000000') {
        expect(checkEnterpriseCode(`${base}0`)).toBeNull();
        return;
      }
    }
    throw new Error('no such base found');
  });
});

describe('MaHoSo, dates, progress', () => {
  it('MaHoSo rules', () => {
    expect(checkMaHoSo('000.00.53.H48-220921-0099')).toBeNull();
    expect(checkMaHoSo('')).toMatch(/1 to 50/);
    expect(checkMaHoSo('x'.repeat(51))).toMatch(/1 to 50/);
    expect(checkMaHoSo('a b')).toMatch(/letters, digits/);
  });
  it('portal timestamps are Asia/Ho_Chi_Minh local time', () => {
    expect(toPortalTimestamp(new Date('2026-11-29T02:30:00Z'))).toBe('20261129093000');
    expect(fromPortalTimestamp('20261129093000')?.toISOString()).toBe('2026-11-29T02:30:00.000Z');
    expect(fromPortalTimestamp('20261131093000')).toBeNull();
    expect(fromPortalTimestamp('2026112909300')).toBeNull();
  });
  it('orders progress by time then status, and chunks by ten', () => {
    const a = { MaHoSo: 'm', ThoiDiemXuLy: '20261129090000', TrangThai: 4 };
    const b = { MaHoSo: 'm', ThoiDiemXuLy: '20261129080000', TrangThai: 9 };
    expect([a, b].sort(compareProgress)).toEqual([b, a]);
    expect(progressItemKey(a)).toBe('20261129090000|4');
    expect(chunk(Array.from({ length: 23 }, (_, i) => i), 10).map((c) => c.length)).toEqual([10, 10, 3]);
  });
});

describe('infrastructure helpers', () => {
  it('backoff grows, is capped, jittered, and lasts about a day by default', () => {
    const o = { baseMs: 1_000, maxMs: 900_000 };
    expect(retryDelayMs(1, o, () => 0)).toBe(500);
    expect(retryDelayMs(1, o, () => 1)).toBe(1_000);
    expect(retryDelayMs(3, o, () => 1)).toBe(2_250);
    expect(retryDelayMs(30, o, () => 1)).toBe(900_000);
    const day = expectedRetryWindowMs(130, o) / 3_600_000;
    expect(day).toBeGreaterThan(18);
    expect(day).toBeLessThan(30);
  });
  it('sliding stats count and forget after the window', () => {
    let now = 1_000_000;
    const s = new SlidingStats(5_000, () => now);
    s.record('success', 10);
    s.record('failure', 20);
    s.record('timeout', 30);
    s.record('short_circuit', null);
    expect(s.figures()).toMatchObject({ requests: 3, failures: 2, timeouts: 1, rejected: 1 });
    expect(s.figures().latencyMs.p50).toBeGreaterThanOrEqual(20);
    now += 6_000;
    expect(s.figures().requests).toBe(0);
  });
  it('measures JSON depth without recursion, ignoring brackets in strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth('['.repeat(100_000))).toBe(100_000);
  });
});

describe('stored dossier format', () => {
  it('round-trips any JSON text, and refuses an unknown format', () => {
    for (const text of ['{}', JSON.stringify({ MaHoSo: 'x', Unknown: 'ü'.repeat(5000), n: 12345678901234567890 })]) {
      expect(unpackDossier(packDossier(text))).toBe(text);
      // The plain form, as Redis gives it back: bytes.
      expect(unpackDossier(Buffer.from(plainDossier(text), 'utf8'))).toBe(text);
      expect(compactDossier(Buffer.from(plainDossier(text), 'utf8'))).toEqual(packDossier(text));
    }
    expect(() => unpackDossier(Buffer.from([9, 1, 2]))).toThrow(/unknown stored dossier format/);
  });
});

describe('logs', () => {
  it('redact identifiers, names, sessions and keys wherever they appear', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
    log.info({ idNumber: '001099012345', query: { SoDinhDanh: '001099012345', HoVaTen: 'Nguyễn Văn An' }, session: 's3cr3t', req: { headers: { authorization: 'Bearer k' } } }, 'lookup');
    const out = lines.join('');
    for (const secret of ['001099012345', 'Nguyễn Văn An', 's3cr3t', 'Bearer k']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('carry the request id of the request they are written for', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
    requestContext.run({ reqId: 'req-42' }, () => log.warn('inside'));
    log.warn('outside');
    expect(JSON.parse(lines[0]!).reqId).toBe('req-42');
    expect(JSON.parse(lines[1]!).reqId).toBeUndefined();
  });
});

describe('purpose headers', () => {
  it('take officer codes and names, and refuse what cannot be one', () => {
    for (const ok of ['CB001', 'nguyen.van.a@hanoi.gov.vn', 'Nguyễn Văn An', '000.00.01.H26/CB-12']) expect(checkOfficerId(ok)).toBeNull();
    for (const bad of ['', 'x'.repeat(65), 'a\tb', '<script>', ' lead']) expect(checkOfficerId(bad)).not.toBeNull();
  });
});
