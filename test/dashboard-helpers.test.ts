/** The dashboard's pure helpers (src/ops/dashboard/js/format.js), in Node without a browser. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain browser JavaScript without type declarations
import { makeFormatters, mask, niceMax, translate } from '../src/ops/dashboard/js/format.js';

const tables = { vi: { hello: 'Xin chào {name}', only: 'chỉ tiếng Việt', agoS: '{n} giây trước', agoM: '{n} phút trước', agoH: '{n} giờ trước', s: '{n} giây', m: '{n} phút', hr: '{n} giờ', ms: '{n} ms' }, en: { hello: 'Hello {name}', agoS: '{n} s ago', agoM: '{n} min ago', agoH: '{n} h ago', s: '{n} s', m: '{n} min', hr: '{n} h', ms: '{n} ms' } };

describe('translate', () => {
  it('uses the language, falls back to Vietnamese, then to the key', () => {
    expect(translate(tables, 'en', 'hello', { name: 'Lan' })).toBe('Hello Lan');
    expect(translate(tables, 'en', 'only')).toBe('chỉ tiếng Việt');
    expect(translate(tables, 'en', 'missing')).toBe('missing');
    expect(translate(tables, 'fr', 'hello', { name: 'A' })).toBe('Xin chào A');
  });
});

describe('formatters', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');
  const fmt = (lang: string) => makeFormatters(() => lang, (k: string, v: Record<string, unknown>) => translate(tables, lang, k, v), () => now);

  it('format numbers by language, dashes for nothing', () => {
    expect(fmt('vi').num(1234567)).toBe('1.234.567');
    expect(fmt('en').num(1234567)).toBe('1,234,567');
    expect(fmt('vi').num(null)).toBe('—');
  });

  it('say ages and durations in the chosen language', () => {
    const f = fmt('vi');
    expect(f.ago(new Date(now - 30_000).toISOString())).toBe('30 giây trước');
    expect(f.ago(new Date(now - 600_000).toISOString())).toBe('10 phút trước');
    expect(fmt('en').ago(new Date(now - 7_200_000).toISOString())).toBe('2 h ago');
    expect(f.duration(45)).toBe('45 giây');
    expect(f.duration(600)).toBe('10 phút');
    expect(fmt('en').duration(9000)).toBe('2.5 h');
    expect(f.ms(12.4)).toBe('12 ms');
  });
});

describe('mask and axis', () => {
  it('keeps only the last four characters of an identifier', () => {
    expect(mask('001099012345')).toBe('••••••••2345');
    expect(mask('123')).toBe('••••');
  });
  it('rounds an axis top to an even, round number', () => {
    expect(niceMax(3)).toBe(4);
    expect(niceMax(7)).toBe(8);
    expect(niceMax(13)).toBe(20);
    expect(niceMax(450)).toBe(600);
  });
});

// @ts-expect-error plain browser JavaScript without type declarations
import { band, formatRate, laggingUnits, localStamp, periodKind, periodOf, periodTitle, shiftPeriod, warningMessage } from '../src/ops/dashboard/js/kpi-format.js';

describe('indicator page helpers', () => {
  it('finds the period holding an instant in Hà Nội time', () => {
    const lateOct = Date.parse('2026-10-31T17:30:00Z'); // 00:30 on 1 November in Hà Nội
    expect(periodOf(lateOct, 'month')).toBe('2026-11');
    expect(periodOf(lateOct, 'quarter')).toBe('2026-Q4');
    expect(periodOf(Date.parse('2026-12-31T17:00:00Z'), 'year')).toBe('2027');
  });

  it('steps periods of each kind across year ends', () => {
    expect(shiftPeriod('2026-01', -1)).toBe('2025-12');
    expect(shiftPeriod('2026-12', 1)).toBe('2027-01');
    expect(shiftPeriod('2026-Q1', -1)).toBe('2025-Q4');
    expect(shiftPeriod('2026-Q4', 1)).toBe('2027-Q1');
    expect(shiftPeriod('2026', -1)).toBe('2025');
    expect(periodKind('2026-Q2')).toBe('quarter');
  });

  it('names periods in Vietnamese first', () => {
    expect(periodTitle('2026-11', 'vi')).toBe('Tháng 11/2026');
    expect(periodTitle('2026-Q4', 'vi')).toBe('Quý 4/2026');
    expect(periodTitle('2026', 'vi')).toBe('Năm 2026');
    expect(periodTitle('2026-11', 'en')).toBe('November 2026');
  });

  it('bands a rate against its threshold, and judges nothing on too few dossiers', () => {
    expect(band(0.5, 0.9, 20, 10)).toBe('bad');
    expect(band(0.9, 0.9, 20, 10)).toBe('warn');
    expect(band(1, 0.9, 20, 10)).toBe('ok');
    expect(band(0.2, 0.9, 3, 10)).toBe('few');
    expect(band(null, 0.9, 0, 10)).toBe('none');
    const units = [{ unit: 'a', fullyOnlineRate: 0.5, fullyOnlineEligible: 12 }, { unit: 'b', fullyOnlineRate: 0.1, fullyOnlineEligible: 2 }, { unit: 'c', fullyOnlineRate: 0.95, fullyOnlineEligible: 50 }];
    expect(laggingUnits(units, { fullyOnlineRate: 0.9, minDossiers: 10 }).map((u: { unit: string }) => u.unit)).toEqual(['a']);
  });

  it('formats rates, instants and warning messages per language', () => {
    expect(formatRate(0.725, 'vi')).toBe('72,5 %');
    expect(formatRate(0.725, 'en')).toBe('72.5%');
    expect(formatRate(null, 'vi')).toBe('—');
    expect(localStamp('2026-11-30T23:59:59+07:00')).toBe('23:59 30/11/2026');
    expect(warningMessage('Hồ sơ quá hạn · dossier overdue', 'en')).toBe('dossier overdue');
    expect(warningMessage('Hồ sơ quá hạn · dossier overdue', 'vi')).toBe('Hồ sơ quá hạn');
  });
});
