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
