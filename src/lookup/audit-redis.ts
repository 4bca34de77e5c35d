/**
 * The lookup audit trail in a Redis stream: append-only, trimmed by age (retention) and by count,
 * read newest first with server-side paging. Entries never hold the data returned.
 */
import type { Redis } from 'ioredis';
import type { AuditEntry, AuditLog, AuditQuery } from '../ports/audit-log.js';

const FIELDS = ['at', 'client', 'officer', 'dossierCode', 'source', 'subject', 'outcome', 'status', 'latencyMs'] as const;
const PAGE = 500;

export class RedisAuditLog implements AuditLog {
  private lastTrim = 0;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly retention: { retentionDays: number; maxEntries: number },
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const args: string[] = [];
    for (const f of FIELDS) args.push(f, String(entry[f]));
    // The entry id carries the `at` time, so from/to filter on when the lookup happened. A clock a little
    // behind the newest id (another process) falls back to Redis's own time.
    const atMs = Date.parse(entry.at);
    try {
      await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.retention.maxEntries), `${atMs}-*`, ...args);
    } catch (err) {
      if (!/equal or smaller/i.test((err as Error).message)) throw err;
      await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.retention.maxEntries), '*', ...args);
    }
    // Age-based trimming is cheap but not free: once a minute is enough. Off the answer's path: the
    // record is written, and a trim that fails is simply done by a later one.
    const now = Date.now();
    if (now - this.lastTrim > 60_000) {
      this.lastTrim = now;
      const minId = `${now - this.retention.retentionDays * 86_400_000}-0`;
      this.redis.xtrim(this.key, 'MINID', '~', minId).catch(() => undefined);
    }
  }

  async query(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const fromMs = q.from ? Date.parse(q.from) : undefined;
    const toMs = q.to ? Date.parse(q.to) : undefined;
    const cursor = q.cursor ? parseId(q.cursor) : undefined;
    // Stream ids start at 0-0: a bound before 1970, a cursor at the very start, or an empty interval hold nothing.
    if ((toMs !== undefined && toMs < 0) || (cursor !== undefined && cursor.ms === 0n && cursor.seq === 0n) || (fromMs !== undefined && toMs !== undefined && fromMs > toMs)) {
      return { items: [], nextCursor: null };
    }
    let end = q.cursor ? `(${q.cursor}` : toMs !== undefined ? `${toMs}-18446744073709551615` : '+';
    const start = fromMs !== undefined && fromMs > 0 ? `${fromMs}-0` : '-';
    const items: AuditEntry[] = [];
    let lastMatchId = '';
    let lastId: string | null = null;
    for (;;) {
      const page = (await this.redis.xrevrange(this.key, end, start, 'COUNT', PAGE)) as Array<[string, string[]]>;
      for (const [id, flat] of page) {
        lastId = id;
        const e = toEntry(flat);
        if (q.subject && e.subject !== q.subject) continue;
        if (q.dossier && e.dossierCode !== q.dossier) continue;
        if (q.officer && e.officer !== q.officer) continue;
        // One match beyond the page tells whether a next page exists, so the last page says null.
        if (items.length === q.limit) return { items, nextCursor: lastMatchId };
        items.push(e);
        lastMatchId = id;
      }
      if (page.length < PAGE || lastId === null) return { items, nextCursor: null };
      end = `(${lastId}`;
    }
  }
}

/** A stream id `ms-seq` as this API hands it out; both parts within Redis's 64-bit range. */
export function parseId(id: string): { ms: bigint; seq: bigint } | undefined {
  const m = /^(\d{1,20})-(\d{1,20})$/.exec(id);
  if (!m) return undefined;
  const [ms, seq] = [BigInt(m[1]!), BigInt(m[2]!)];
  return ms <= MAX_U64 && seq <= MAX_U64 ? { ms, seq } : undefined;
}

const MAX_U64 = 18446744073709551615n;

function toEntry(flat: string[]): AuditEntry {
  const o: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  return {
    at: o.at ?? '',
    client: o.client ?? '',
    officer: o.officer ?? '',
    dossierCode: o.dossierCode ?? '',
    source: o.source ?? '',
    subject: o.subject ?? '',
    outcome: (o.outcome ?? 'error') as AuditEntry['outcome'],
    status: Number(o.status ?? 0),
    latencyMs: Number(o.latencyMs ?? 0),
  };
}
