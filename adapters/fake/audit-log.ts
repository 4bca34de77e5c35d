/**
 * The lookup audit trail in memory, with the query semantics of RedisAuditLog (src/lookup/audit-redis.ts)
 * exactly: each entry gets an id `<ms>-<seq>` when recorded, as a Redis stream gives it, and everything
 * a query does is by that id: newest first, `from`/`to` bounding the time of recording (inclusive), the
 * cursor the id of the last item returned. `nextCursor` is null when nothing was recorded before that
 * item; with filters it may be set and the next page empty, as with Redis.
 */
import type { AuditClosing, AuditEntry, AuditLog, AuditOpening, AuditQuery, OpenAuditRecord } from '../../src/ports/audit-log.js';

interface Stored {
  ms: number;
  seq: number;
  entry: AuditEntry;
}

export class InMemoryAuditLog implements AuditLog {
  /** Oldest first, ids strictly increasing. */
  private readonly stored: Stored[] = [];

  /** @param now the clock that stamps recordings (ms since the epoch); tests may pass their own. Default Date.now. */
  constructor(private readonly now: () => number = Date.now) {}

  async record(entry: AuditEntry): Promise<void> {
    const last = this.stored.at(-1);
    // As Redis: a clock going back never makes an id go back.
    const ms = Math.max(this.now(), last?.ms ?? 0);
    const seq = last !== undefined && last.ms === ms ? last.seq + 1 : 0;
    this.stored.push({ ms, seq, entry: { ...entry } });
  }

  /** Stored at once; the closing records the entry (once), as RedisAuditLog's close script does. */
  open(opening: AuditOpening): OpenAuditRecord {
    let closed = false;
    return {
      stored: Promise.resolve(),
      close: (closing: AuditClosing) => {
        if (closed) return;
        closed = true;
        void this.record({ ...opening, ...closing });
      },
    };
  }

  async query(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const fromMs = q.from ? Date.parse(q.from) : -Infinity;
    const toMs = q.to ? Date.parse(q.to) : Infinity;
    const cursor = q.cursor === undefined ? null : parseId(q.cursor);
    const inRange = (s: Stored) => s.ms >= fromMs && (cursor === null ? s.ms <= toMs : compare(s, cursor) < 0);
    const items: AuditEntry[] = [];
    for (let i = this.stored.length - 1; i >= 0; i--) {
      const s = this.stored[i]!;
      if (!inRange(s)) continue;
      const e = s.entry;
      if ((q.subject && e.subject !== q.subject) || (q.dossier && e.dossierCode !== q.dossier) || (q.officer && e.officer !== q.officer)) continue;
      items.push({ ...e });
      if (items.length === q.limit) {
        const more = this.stored.slice(0, i).some((older) => older.ms >= fromMs);
        return { items, nextCursor: more ? `${s.ms}-${s.seq}` : null };
      }
    }
    return { items, nextCursor: null };
  }

  /** How many entries are held. */
  size(): number {
    return this.stored.length;
  }
}

function parseId(cursor: string): { ms: number; seq: number } {
  const m = /^(\d+)-(\d+)$/.exec(cursor);
  // Redis refuses a malformed stream id the same way: the query fails.
  if (!m) throw new Error(`Invalid stream ID specified as stream command argument: ${cursor}`);
  return { ms: Number(m[1]), seq: Number(m[2]) };
}

function compare(a: { ms: number; seq: number }, b: { ms: number; seq: number }): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq;
}
