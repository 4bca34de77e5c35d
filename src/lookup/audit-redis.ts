/**
 * The lookup audit trail in a Redis stream: append-only, trimmed by age (retention) and by count,
 * read newest first with server-side paging. Entries never hold the data returned.
 *
 * A lookup's record is written ahead (`open`): its opening goes to the hash `<key>:open` while the
 * upstream is called, and the answer waits for it. Its closing follows the answer: closings are
 * gathered for a few milliseconds and moved into the stream together by one script
 * (`commands/audit-close-2.lua`), each record at most once. A query waits for this process's closings
 * first, so what it answered is in what it reads. A closing Redis does not take is tried again every
 * second from memory. A process marks itself alive (`<key>:owner:<id>`, renewed while it runs); the
 * openings of a process whose mark has lapsed (it died mid-lookup) are closed by a sweep in any other
 * process, with outcome `unknown`.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditClosing, AuditEntry, AuditLog, AuditOpening, AuditQuery, OpenAuditRecord } from '../ports/audit-log.js';
import { defineCommands, loadCommands, type LuaCommand } from '../sync/scripts.js';

/** An entry's fields, in the order the close script names them. */
const FIELDS = ['at', 'client', 'officer', 'dossierCode', 'source', 'subject', 'outcome', 'status', 'latencyMs'] as const;
const PAGE = 500;
/** Records closed by one script call at most. */
const BATCH = 500;

export interface RedisAuditLogOptions {
  retentionDays: number;
  maxEntries: number;
  /** How often records left open by processes that ended are looked for (ms). Default 30 s. */
  sweepIntervalMs?: number;
  /** How long this process's mark of life lasts without renewal (ms); renewed at a third of it. Default 30 s. */
  ownerTtlMs?: number;
  /** How long closings are gathered before they are sent together (ms). Default 2. */
  closeDelayMs?: number;
  /** Closings kept for another try while Redis refuses them; past it the oldest are left to the sweep. Default 10,000. */
  maxUnsent?: number;
  logger?: Logger;
  /** Told the number of closings waiting for another try whenever it changes, and each record swept. */
  observer?: { unsent(count: number): void; swept(count: number): void };
}

/** One record's closing: its opening's id, its entry, and whether to try again on failure. */
interface Closing {
  id: string;
  entry: AuditEntry;
  /** False for an opening that may not be stored: closed once, else left to the sweep. */
  keep: boolean;
}

let commands: LuaCommand[] | undefined;
const auditCommands = () => (commands ??= loadCommands(fileURLToPath(new URL('./commands', import.meta.url))));

type CloseCommand = (openKey: string, streamKey: string, ...args: string[]) => Promise<number>;

export class RedisAuditLog implements AuditLog {
  private lastTrim = 0;
  private readonly openKey: string;
  private readonly instance = randomBytes(6).toString('hex');
  private seq = 0;
  /** This process's openings not yet closed in Redis: lookups in flight, closings gathered, sent or unsent. */
  private readonly live = new Set<string>();
  /** Closings gathered for the next call. */
  private gathered: Closing[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  /** Calls of the close script not yet answered. */
  private readonly sending = new Set<Promise<void>>();
  /** Closings Redis did not take, oldest first. */
  private readonly unsent = new Map<string, Closing>();
  private readonly timers: NodeJS.Timeout[] = [];
  private started = false;
  private stopped = false;
  private retrying: Promise<void> | null = null;
  private sweeping: Promise<number> | null = null;
  private readonly closeCommand: CloseCommand;
  private readonly options: Required<Omit<RedisAuditLogOptions, 'logger' | 'observer'>> & Pick<RedisAuditLogOptions, 'logger' | 'observer'>;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    options: RedisAuditLogOptions,
  ) {
    this.options = { sweepIntervalMs: 30_000, ownerTtlMs: 30_000, closeDelayMs: 2, maxUnsent: 10_000, ...options };
    this.openKey = `${key}:open`;
    defineCommands(redis, auditCommands());
    const command = (redis as unknown as { gwAuditClose: CloseCommand }).gwAuditClose;
    this.closeCommand = command.bind(redis);
  }

  async record(entry: AuditEntry): Promise<void> {
    const args = fieldArgs(entry);
    // The entry id carries the `at` time, so from/to filter on when the lookup happened. A clock a little
    // behind the newest id (another process) falls back to Redis's own time.
    const atMs = Date.parse(entry.at);
    try {
      await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.options.maxEntries), `${atMs}-*`, ...args);
    } catch (err) {
      if (!/equal or smaller/i.test((err as Error).message)) throw err;
      await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.options.maxEntries), '*', ...args);
    }
    this.trimByAge();
  }

  open(opening: AuditOpening): OpenAuditRecord {
    this.start();
    const id = `${this.instance}:${(this.seq++).toString(36)}`;
    this.live.add(id);
    let state: 'pending' | 'stored' | 'failed' = 'pending';
    const value = JSON.stringify([Date.now(), opening.client, opening.officer, opening.dossierCode, opening.source, opening.subject]);
    const stored = this.redis.hset(this.openKey, id, value).then(
      () => void (state = 'stored'),
      (error: unknown) => {
        state = 'failed';
        throw error;
      },
    );
    stored.catch(() => undefined);
    let closed = false;
    return {
      stored,
      close: (closing: AuditClosing) => {
        if (closed) return;
        closed = true;
        const entry: AuditEntry = { ...opening, ...closing };
        // An opening that may not be stored (its write failed, or its answer was lost) is closed once, not
        // kept: when it did land, the sweep closes it.
        if (state === 'pending') stored.then(() => this.gather({ id, entry, keep: true }), () => this.gather({ id, entry, keep: false }));
        else this.gather({ id, entry, keep: state === 'stored' });
      },
    };
  }

  /** Closes, as `unknown`, every open record whose process has ended; the number closed. */
  sweep(): Promise<number> {
    return (this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = null)));
  }

  /**
   * Sends the closings gathered, tries the unsent ones once more (within `graceMs`), stops the timers,
   * and removes this process's mark when nothing of it is left open.
   */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (!this.started) return;
    let timer: NodeJS.Timeout | undefined;
    const last = (async () => {
      await this.settle();
      await (this.retrying ?? this.retry());
    })();
    await Promise.race([last, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    // Left open: the mark lapses on its own and another process sweeps them.
    if (this.live.size === 0) await this.redis.del(this.ownerKey(this.instance)).catch(() => undefined);
  }

  /** Closings waiting for another try. */
  unsentCount(): number {
    return this.unsent.size;
  }

  private ownerKey(instance: string): string {
    return `${this.key}:owner:${instance}`;
  }

  /** At the first opening: the mark of life (sent before the opening, so no sweep can take it), the timers. */
  private start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const { ownerTtlMs, sweepIntervalMs } = this.options;
    const mark = () => void this.redis.set(this.ownerKey(this.instance), '1', 'PX', ownerTtlMs).catch(() => undefined);
    mark();
    const every = (ms: number, fn: () => void) => this.timers.push(setInterval(fn, ms).unref());
    every(Math.max(100, Math.floor(ownerTtlMs / 3)), mark);
    every(1_000, () => {
      if (this.unsent.size > 0 && this.retrying === null) this.retrying = this.retry().finally(() => (this.retrying = null));
    });
    every(sweepIntervalMs, () => {
      this.sweep().catch((error: unknown) => this.options.logger?.warn({ err: errorCode(error) }, 'audit sweep failed; the next one retries'));
    });
  }

  /** Off the answer's path: the closings of a few milliseconds go in one call, after their answers. */
  private gather(closing: Closing): void {
    this.gathered.push(closing);
    if (this.gathered.length >= BATCH) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.options.closeDelayMs);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    while (this.gathered.length > 0) {
      const taken = this.gathered.length <= BATCH ? this.gathered : this.gathered.slice(0, BATCH);
      this.gathered = this.gathered.length <= BATCH ? [] : this.gathered.slice(BATCH);
      const sent: Promise<void> = this.closeMany(taken).then(
        () => {
          for (const c of taken) this.live.delete(c.id);
          this.trimByAge();
        },
        (error: unknown) => {
          for (const c of taken) {
            if (c.keep && !this.stopped) this.keep(c, error);
            else if (!c.keep) this.live.delete(c.id);
          }
        },
      );
      this.sending.add(sent);
      void sent.finally(() => this.sending.delete(sent));
    }
  }

  /** Every closing handed over so far sent, and answered (taken or kept): what this process answered is in the trail. */
  private async settle(): Promise<void> {
    this.flush();
    if (this.sending.size > 0) await Promise.allSettled([...this.sending]);
  }

  private closeMany(closings: readonly Closing[]): Promise<number> {
    const args = [String(this.options.maxEntries)];
    for (const c of closings) args.push(c.id, ...closeValues(c.entry));
    return this.closeCommand(this.openKey, this.key, ...args);
  }

  private keep(closing: Closing, error: unknown): void {
    if (this.unsent.size === 0) this.options.logger?.warn({ err: errorCode(error) }, 'Redis did not take audit closings; kept and tried again every second');
    if (this.unsent.size >= this.options.maxUnsent) {
      // The oldest is given up here; its opening stays in Redis, and this process's sweep closes it as unknown.
      const [oldest] = this.unsent.keys();
      this.unsent.delete(oldest!);
      this.live.delete(oldest!);
    }
    this.unsent.set(closing.id, closing);
    this.options.observer?.unsent(this.unsent.size);
  }

  private async retry(): Promise<void> {
    const before = this.unsent.size;
    while (this.unsent.size > 0) {
      const chunk = [...take(this.unsent.values(), BATCH)];
      try {
        await this.closeMany(chunk);
      } catch {
        break;
      }
      for (const c of chunk) {
        this.unsent.delete(c.id);
        this.live.delete(c.id);
      }
    }
    if (this.unsent.size !== before) this.options.observer?.unsent(this.unsent.size);
    if (before > 0 && this.unsent.size === 0) this.options.logger?.info({ closings: before }, 'audit closings kept for Redis are written');
  }

  private async sweepOnce(): Promise<number> {
    const alive = new Map<string, boolean>();
    let cursor = '0';
    let swept = 0;
    do {
      const [next, flat] = await this.redis.hscan(this.openKey, cursor, 'COUNT', BATCH);
      cursor = next;
      const owners = new Set<string>();
      for (let i = 0; i < flat.length; i += 2) {
        const owner = ownerOf(flat[i]!);
        if (owner !== this.instance && !alive.has(owner)) owners.add(owner);
      }
      await Promise.all([...owners].map(async (o) => alive.set(o, (await this.redis.exists(this.ownerKey(o))) === 1)));
      const orphans: Closing[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const id = flat[i]!;
        const owner = ownerOf(id);
        if (owner === this.instance ? this.live.has(id) : alive.get(owner)) continue;
        orphans.push({ id, entry: unknownEntry(flat[i + 1]!), keep: false });
      }
      if (orphans.length > 0) swept += await this.closeMany(orphans);
    } while (cursor !== '0');
    if (swept > 0) {
      this.options.observer?.swept(swept);
      this.options.logger?.warn({ records: swept }, 'audit records left open by a process that ended are closed with outcome unknown');
    }
    return swept;
  }

  /** Age-based trimming is cheap but not free: once a minute, off the answer's path; a failed trim is done by a later one. */
  private trimByAge(): void {
    const now = Date.now();
    if (now - this.lastTrim <= 60_000) return;
    this.lastTrim = now;
    const minId = `${now - this.options.retentionDays * 86_400_000}-0`;
    this.redis.xtrim(this.key, 'MINID', '~', minId).catch(() => undefined);
  }

  async query(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    await this.settle();
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

function fieldArgs(entry: AuditEntry): string[] {
  const args: string[] = [];
  for (const f of FIELDS) args.push(f, String(entry[f]));
  return args;
}

/** A record's values for the close script after its id: the entry's time in ms, then each field's value. */
function closeValues(entry: AuditEntry): string[] {
  const values = [String(Date.parse(entry.at))];
  for (const f of FIELDS) values.push(String(entry[f]));
  return values;
}

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const item of items) {
    yield item;
    if (++i >= n) return;
  }
}

const ownerOf = (id: string) => id.slice(0, id.indexOf(':'));

/** The entry of an opening its process never closed: when it was opened, who asked what; outcome unknown. */
function unknownEntry(value: string): AuditEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = null;
  }
  const [startedMs, client, officer, dossierCode, source, subject] = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    at: new Date(typeof startedMs === 'number' && Number.isFinite(startedMs) ? startedMs : Date.now()).toISOString(),
    client: text(client),
    officer: text(officer),
    dossierCode: text(dossierCode),
    source: text(source),
    subject: text(subject),
    outcome: 'unknown',
    status: 0,
    latencyMs: 0,
  };
}

const errorCode = (error: unknown) => ({ name: (error as Error)?.name, message: (error as Error)?.message });

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
