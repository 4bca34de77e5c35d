/**
 * The AuditLog contract: RedisAuditLog on a real Redis and InMemoryAuditLog answer queries alike.
 * `from`/`to` bound the time an entry was recorded (which the lookup service stamps into `at` just
 * before), so the time tests bracket each recording with the local clock; Redis must run on this host.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog, AuditQuery } from '../../src/ports/audit-log.js';

export interface AuditLogHarness {
  /** An empty log, of this test alone. */
  port: AuditLog;
  close(): Promise<void>;
}

const OFFICERS = ['CB-A', 'CB-B', 'CB-C'] as const;
const DOSSIERS = ['000.00.01.H26-261129-0001', '000.00.01.H26-261129-0002'] as const;

/** The i-th entry of a test: subject, officer and dossier vary with i, so filters pick known subsets. */
function entry(i: number): AuditEntry {
  return {
    at: new Date().toISOString(),
    client: 'officer-tool',
    officer: OFFICERS[i % 3]!,
    dossierCode: DOSSIERS[i % 2]!,
    source: i % 4 === 0 ? 'dkdn' : 'dancu',
    subject: `0010990${String(i).padStart(5, '0')}`,
    outcome: i % 5 === 0 ? 'not_found' : 'found',
    status: i % 5 === 0 ? 404 : 200,
    latencyMs: i + 0.5,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number) => new Date(ms).toISOString();

export function auditLogContract(name: string, factory: () => Promise<AuditLogHarness>): void {
  describe(`AuditLog contract: ${name}`, () => {
    let h: AuditLogHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h?.close();
    });

    async function recordAll(indexes: number[]): Promise<AuditEntry[]> {
      const entries = indexes.map(entry);
      for (const e of entries) await h.port.record(e);
      return entries;
    }

    /** Every item of a query, page after page; fails on a walk that does not end. */
    async function walk(q: Omit<AuditQuery, 'cursor'>): Promise<{ items: AuditEntry[]; pages: number[] }> {
      const items: AuditEntry[] = [];
      const pages: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const answer = await h.port.query(cursor === undefined ? q : { ...q, cursor });
        items.push(...answer.items);
        pages.push(answer.items.length);
        if (answer.nextCursor === null) return { items, pages };
        expect(answer.items.length, 'a page with a next cursor is full').toBe(q.limit);
        cursor = answer.nextCursor;
      }
      throw new Error('the pagination did not end');
    }

    it('keeps every field of an entry and answers newest first', async () => {
      const entries = await recordAll([0, 1, 2, 3, 4]);
      expect(await h.port.query({ limit: 10 })).toEqual({ items: [...entries].reverse(), nextCursor: null });
    });

    it('answers an empty log with no items and no cursor', async () => {
      expect(await h.port.query({ limit: 10 })).toEqual({ items: [], nextCursor: null });
    });

    it('filters by subject, dossier and officer, alone and together', async () => {
      const entries = await recordAll([...Array(12).keys()]);
      const newestFirst = [...entries].reverse();
      const query = async (q: Omit<AuditQuery, 'limit'>) => (await h.port.query({ limit: 100, ...q })).items;
      expect(await query({ subject: entries[7]!.subject })).toEqual([entries[7]]);
      expect(await query({ dossier: DOSSIERS[1] })).toEqual(newestFirst.filter((e) => e.dossierCode === DOSSIERS[1]));
      expect(await query({ officer: 'CB-B' })).toEqual(newestFirst.filter((e) => e.officer === 'CB-B'));
      expect(await query({ officer: 'CB-B', dossier: DOSSIERS[0] })).toEqual(
        newestFirst.filter((e) => e.officer === 'CB-B' && e.dossierCode === DOSSIERS[0]),
      );
      expect(await query({ officer: 'CB-A', subject: entries[7]!.subject })).toEqual([]);
      expect(await query({ officer: 'CB-Z' })).toEqual([]);
    });

    it('bounds by the time of recording with from and to, both inclusive', async () => {
      const [early] = await recordAll([0]);
      await sleep(5);
      // Starts on a fresh millisecond, so a quick recording has from === to.
      const before = Date.now();
      while (Date.now() === before) await Promise.resolve();
      const from = Date.now();
      const [middle] = await recordAll([1]);
      const to = Date.now();
      await sleep(5);
      const [late] = await recordAll([2]);
      const items = async (q: Omit<AuditQuery, 'limit'>) => (await h.port.query({ limit: 10, ...q })).items;
      expect(await items({ from: iso(from), to: iso(to) })).toEqual([middle]);
      expect(await items({ from: iso(from) })).toEqual([late, middle]);
      expect(await items({ to: iso(to) })).toEqual([middle, early]);
      expect(await items({ from: iso(to + 1), to: iso(to + 2) })).toEqual([]);
    });

    it('pages through every item exactly once, nextCursor null at the end', async () => {
      const entries = await recordAll([...Array(7).keys()]);
      const newestFirst = [...entries].reverse();
      expect(await walk({ limit: 3 })).toEqual({ items: newestFirst, pages: [3, 3, 1] });
      expect(await walk({ limit: 7 })).toEqual({ items: newestFirst, pages: [7] });
      expect(await walk({ limit: 8 })).toEqual({ items: newestFirst, pages: [7] });
      expect(await walk({ limit: 1 })).toEqual({ items: newestFirst, pages: [1, 1, 1, 1, 1, 1, 1] });
    });

    it('pages through a filtered, time-bounded query exactly once', async () => {
      const old = await recordAll([0, 1, 2]);
      await sleep(5);
      const from = Date.now();
      const entries = await recordAll([...Array(20).keys()].map((i) => i + 3));
      const expected = [...entries].reverse().filter((e) => e.officer === 'CB-B');
      const { items } = await walk({ limit: 2, officer: 'CB-B', from: iso(from) });
      expect(items).toEqual(expected);
      expect(items.some((e) => old.includes(e))).toBe(false);
      const all = await walk({ limit: 4, from: iso(from) });
      expect(all.items).toEqual([...entries].reverse());
    });

    it('a cursor answers only what is older than the page it came from, even after newer recordings', async () => {
      const entries = await recordAll([0, 1, 2, 3]);
      const first = await h.port.query({ limit: 2 });
      await recordAll([4, 5]);
      const second = await h.port.query({ limit: 10, cursor: first.nextCursor! });
      expect(first.items).toEqual([entries[3], entries[2]]);
      expect(second).toEqual({ items: [entries[1], entries[0]], nextCursor: null });
    });
    it('a record opened, then closed, is one entry: who and what from its opening, how it went from its closing', async () => {
      const e = entry(7);
      const opened = h.port.open({ client: e.client, officer: e.officer, dossierCode: e.dossierCode, source: e.source, subject: e.subject });
      await opened.stored;
      opened.close({ at: e.at, outcome: e.outcome, status: e.status, latencyMs: e.latencyMs });
      // A query right after the closing already finds it.
      expect(await h.port.query({ limit: 10 })).toEqual({ items: [e], nextCursor: null });
    });

    it('closing a record twice writes it once; open records and whole entries keep their order of closing', async () => {
      const [a, b, c] = [entry(1), entry(2), entry(3)];
      const opening = (x: AuditEntry) => ({ client: x.client, officer: x.officer, dossierCode: x.dossierCode, source: x.source, subject: x.subject });
      const closing = (x: AuditEntry) => ({ at: x.at, outcome: x.outcome, status: x.status, latencyMs: x.latencyMs });
      const first = h.port.open(opening(a));
      const second = h.port.open(opening(c));
      await Promise.all([first.stored, second.stored]);
      first.close(closing(a));
      first.close({ ...closing(a), outcome: 'error', status: 503 });
      await h.port.query({ limit: 1 });
      await h.port.record(b);
      second.close(closing(c));
      expect((await h.port.query({ limit: 10 })).items).toEqual([c, b, a]);
    });
  });
}
