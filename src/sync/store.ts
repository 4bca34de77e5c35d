/**
 * The sync state in Redis: what was accepted, what the portal acknowledged, what is dead. Every
 * change goes through one Lua command (src/sync/commands/, docs/sync-state.md); this class only shapes
 * arguments and answers.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DeadLetter } from '../domain/dead-letter.js';
import { parseJson } from '../domain/json.js';
import {
  progressItemKey,
  type DeliveryState,
  type DossierRevision,
  type DossierSyncStatus,
  type ProgressItem,
} from '../domain/dossier.js';
import { immediateWrites, type WriteDurability } from '../redis/durability.js';
import { packDossier, plainDossier, unpackDossier } from './compression.js';
import { SyncKeys } from './keys.js';
import { defineSyncCommands } from './scripts.js';

export interface PendingProgress {
  key: string;
  revision: number;
  item: ProgressItem;
  /** The stored value, kept as is so a dead letter can put it back unchanged. */
  raw: string;
}

export interface DeliverySnapshot {
  accepted: number;
  delivered: number;
  knownToPortal: boolean;
  deadRevision: number | null;
  attempts: number;
  /** The dossier JSON of the highest accepted revision. */
  data: string;
  /** The same dossier already parsed, when the snapshot comes from the accept that received it. */
  dossier?: DossierRevision['dossier'];
  progress: PendingProgress[];
}

/** See src/sync/commands/settle-11.lua. `record` only records acknowledgements; the round goes on. */
export type SettleMode = 'record' | 'commit' | 'retry' | 'hold' | 'yield' | 'rejected' | 'exhausted';

export interface Settlement {
  mode: SettleMode;
  /** The revision whose data the portal acknowledged in this round, if any. */
  ackedRevision?: number;
  ackedProgress?: string[];
  /** An earlier call of this round was acknowledged (and recorded): the attempt count starts again. */
  progressed?: boolean;
  /** When the snapshot was read: the oldest a still-undelivered revision can be. */
  readAtMs: number;
  error?: { code: string; message: string };
  /** The revision whose DongBoHoSoMC failed in this round (marks `dead` for letters). */
  failedDossierRevision?: number;
  letter?: Omit<DeadLetter, 'id'> & { items?: Array<[string, string]> };
  /** Pending progress removed because it went into the letter. */
  removedProgress?: string[];
}

export interface ReplayRecord {
  at: string;
  by: string;
  letterId: string;
  maHoSo: string;
  kind: string;
}

interface ScriptedRedis extends Redis {
  gwAccept(...args: Array<string | Buffer>): Promise<[string, string, string?, ...unknown[]]>;
  gwBeginBuffer(...args: string[]): Promise<[number, ...unknown[]]>;
  gwRenew(...args: string[]): Promise<number>;
  gwRelease(...args: string[]): Promise<number>;
  gwSettle(...args: string[]): Promise<number>;
  gwReplay(...args: string[]): Promise<[number, number]>;
  gwReconcile(...args: string[]): Promise<number>;
}

export interface SyncStoreOptions {
  /**
   * How long a delivered dossier's state is remembered, seconds (to recognise stale resends and answer
   * GET /v1/dossiers); 0 keeps it forever. Default 0.
   */
  retentionSeconds?: number;
  /** Append every state change to the outbox stream (on when the gateway has a DATABASE_URL). Default false. */
  outbox?: boolean;
  /** Most progress items a dossier may hold unacknowledged (SYNC_MAX_PENDING_PROGRESS). Default 1000. */
  maxPendingProgress?: number;
  /** How accepts are confirmed before they are answered (REDIS_MIN_REPLICAS_ACK). Default: not at all. */
  durability?: WriteDurability;
}

export const DEFAULT_MAX_PENDING_PROGRESS = 1_000;

/**
 * Dossier data is deflated when at least this many dossiers are owed a delivery (as the previous accept
 * saw): a backlog is what makes waiting data cost memory (portal down or slow), while data delivered
 * within moments is not worth the deflate, about a tenth of the CPU the gateway spends on a dossier.
 * At most this many plain copies wait, ~1 KB more each than deflated.
 */
export const PACK_FROM_BACKLOG = 1_000;

/** A minute's bucket of direct-delivery counts lives this long after the minute started. */
const DIRECT_BUCKET_KEEP_MS = 2 * 3_600_000;

export interface AcceptOptions {
  /** When the revision is accepted, ms since the epoch. Default now. */
  nowMs?: number;
  /**
   * Take the dossier's lease for a direct delivery when this accept claims a job generation. The data
   * is then kept plain whatever the backlog: it is about to be delivered, deflating it would not pay.
   */
  lease?: { token: string; ms: number };
}

export type AcceptResult =
  /** `direct`: the lease was taken for the caller's token; deliver from this snapshot now, no job added. */
  | { outcome: 'accepted'; current: number; generation: number; direct?: DeliverySnapshot }
  | { outcome: 'duplicate' | 'stale'; current: number; generation: 0 }
  /** Nothing was written: the revision would leave `waiting` steps unacknowledged, over the limit. */
  | { outcome: 'too_many_pending'; waiting: number; limit: number };

export class SyncStore {
  readonly keys: SyncKeys;
  readonly maxPendingProgress: number;
  private readonly redis: ScriptedRedis;
  private readonly retentionSeconds: number;
  private readonly outboxFlag: '1' | '0';
  /** Dossiers owed a delivery when the last accept answered; unknown (so: deflate) until then. */
  private backlog = Number.POSITIVE_INFINITY;

  /** How an accept is made sure of before it is answered (replica confirmation, REDIS_MIN_REPLICAS_ACK). */
  private readonly durability: WriteDurability;

  constructor(redis: Redis, prefix: string, options: SyncStoreOptions = {}) {
    defineSyncCommands(redis);
    this.durability = options.durability ?? immediateWrites(redis);
    for (const c of this.durability.connections) defineSyncCommands(c);
    this.redis = redis as unknown as ScriptedRedis;
    this.keys = new SyncKeys(prefix);
    this.retentionSeconds = options.retentionSeconds ?? 0;
    this.outboxFlag = options.outbox ? '1' : '0';
    this.maxPendingProgress = options.maxPendingProgress ?? DEFAULT_MAX_PENDING_PROGRESS;
  }

  /**
   * Records a revision if it is the highest yet, in one script (src/sync/commands/accept-8.lua).
   * `generation` > 0 means a delivery job of that generation must be added, unless `direct` came back:
   * with a `lease` the script also takes the dossier's lease when it claimed the generation, and
   * answers the snapshot to deliver from.
   */
  async accept(rev: DossierRevision, options: AcceptOptions = {}): Promise<AcceptResult> {
    const nowMs = options.nowMs ?? Date.now();
    const m = rev.dossier.MaHoSo;
    const k = this.keys;
    const json = JSON.stringify(rev.dossier);
    const pack = !options.lease && this.backlog >= PACK_FROM_BACKLOG;
    const args: Array<string | Buffer> = [
      m, String(rev.revision), pack ? packDossier(json) : plainDossier(json), String(nowMs), String(this.maxPendingProgress), this.outboxFlag,
      options.lease?.token ?? '', String(options.lease?.ms ?? 0),
    ];
    for (const item of rev.progress) args.push(progressItemKey(item), encodeStep(item));
    // Only a new acceptance needs confirming: duplicate, stale and refused answers changed nothing.
    const reply = await this.durability.run(
      (redis) => (redis as ScriptedRedis).gwAccept(k.dossier(m), k.data(m), k.progress(m), k.progressOrder(m), k.progressAcked(m), k.lag, k.outbox, k.lease(m), ...args),
      ([o]) => o === 'accepted',
    );
    const [outcome, value, lagging] = reply;
    if (outcome === 'accepted') {
      this.backlog = Number(lagging ?? Number.POSITIVE_INFINITY);
      const accepted = { outcome, current: rev.revision, generation: Number(value) } as const;
      if (reply.length === 3) return accepted;
      const [, , , del, known, dead, att, flat] = reply as [string, string, string, string, string, string, string, string[]];
      const progress: PendingProgress[] = [];
      for (let i = 0; i < flat.length; i += 2) progress.push(parsePending(m, flat[i]!, flat[i + 1]!));
      const direct: DeliverySnapshot = {
        accepted: rev.revision,
        delivered: Number(del),
        knownToPortal: known === '1',
        deadRevision: dead === '' ? null : Number(dead),
        attempts: Number(att),
        data: json,
        dossier: rev.dossier,
        progress,
      };
      return { ...accepted, direct };
    }
    if (outcome === 'too_many') return { outcome: 'too_many_pending', waiting: Number(value), limit: this.maxPendingProgress };
    return { outcome: outcome as 'duplicate' | 'stale', current: Number(value), generation: 0 };
  }

  async status(m: string): Promise<DossierSyncStatus | null> {
    const [[, h], [, pending]] = (await this.redis
      .multi()
      .hmget(this.keys.dossier(m), 'acc', 'del', 'st', 'att', 'err', 'dat')
      .hlen(this.keys.progress(m))
      .exec()) as [[null, (string | null)[]], [null, number]];
    const [acc, del, st, att, err, dat] = h;
    if (acc === null || acc === undefined) return null;
    return {
      maHoSo: m,
      acceptedRevision: Number(acc),
      deliveredRevision: del ? Number(del) : null,
      state: (st ?? 'pending') as DeliveryState,
      attempts: Number(att ?? 0),
      pendingProgress: pending,
      lastError: err ? (JSON.parse(err) as DossierSyncStatus['lastError']) : null,
      deliveredAt: dat ?? null,
    };
  }

  /** Takes the dossier's lease and reads what to deliver; `busyMs` when another worker holds it. */
  async begin(m: string, token: string, leaseMs: number): Promise<DeliverySnapshot | { busyMs: number }> {
    const k = this.keys;
    const r = await this.redis.gwBeginBuffer(k.dossier(m), k.data(m), k.progress(m), k.lease(m), token, String(leaseMs));
    if (r[0] === 0) return { busyMs: Number(r[1]) };
    const [, acc, del, known, dead, att, data, flat] = r as [number, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer[]];
    const progress: PendingProgress[] = [];
    for (let i = 0; i < flat.length; i += 2) progress.push(parsePending(m, flat[i]!.toString('utf8'), flat[i + 1]!.toString('utf8')));
    return {
      accepted: Number(acc.toString()),
      delivered: Number(del.toString()),
      knownToPortal: known.toString() === '1',
      deadRevision: dead.length === 0 ? null : Number(dead.toString()),
      attempts: Number(att.toString()),
      data: data.length === 0 ? '' : unpackDossier(data),
      progress,
    };
  }

  async renew(m: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.gwRenew(this.keys.lease(m), token, String(leaseMs))) === 1;
  }

  async release(m: string, token: string): Promise<void> {
    await this.redis.gwRelease(this.keys.lease(m), token);
  }

  /**
   * Applies what a call or a round achieved (src/sync/commands/settle-11.lua); true when the dossier has
   * nothing left to deliver (or was given up).
   */
  async settle(m: string, token: string, s: Settlement): Promise<boolean> {
    const k = this.keys;
    const letterId = s.letter ? newLetterId() : '';
    const letterJson = s.letter ? JSON.stringify({ id: letterId, r: String(s.letter.revision), ...s.letter }) : '';
    const letterEvent = s.letter ? JSON.stringify({ kind: s.letter.kind, letterId, reason: s.letter.reason }) : '';
    const acked = s.ackedProgress ?? [];
    const removed = s.removedProgress ?? [];
    const now = new Date();
    const result = await this.redis.gwSettle(
      k.dossier(m), k.data(m), k.progress(m), k.progressOrder(m), k.progressAcked(m), k.lease(m), k.lag,
      k.deadLetterIndex, k.deadLetters, k.deadLetterSeq, k.outbox,
      m,
      token,
      s.mode,
      s.ackedRevision === undefined ? '' : String(s.ackedRevision),
      String(now.getTime()),
      now.toISOString(),
      String(s.readAtMs),
      s.progressed ? '1' : '0',
      s.error ? JSON.stringify({ ...s.error, at: now.toISOString() }) : '',
      s.failedDossierRevision === undefined ? '' : String(s.failedDossierRevision),
      letterId,
      letterJson,
      letterEvent,
      String(this.retentionSeconds),
      this.outboxFlag,
      String(acked.length),
      ...acked,
      String(removed.length),
      ...removed,
    );
    return result === 1;
  }

  /**
   * Dossiers owed a delivery job that have none, looked for among `limit` members of the lag set from
   * `offset`; each comes back with the generation to enqueue, with the offset to continue from. The
   * page and the generations are read with plain commands; the script then checks one dossier with
   * only its own keys (src/sync/commands/reconcile-3.lua).
   */
  async reconcile(olderThanMs: number, offset = 0, limit = 2_000, nowMs = Date.now()): Promise<{ nextOffset: number; missing: Array<{ maHoSo: string; generation: number }> }> {
    const k = this.keys;
    const page = await this.redis.zrange(k.lag, offset, offset + limit - 1, 'WITHSCORES');
    const nextOffset = page.length / 2 === limit ? offset + limit : 0;
    const cutoff = nowMs - olderThanMs;
    const due: string[] = [];
    for (let i = 0; i < page.length; i += 2) if (Number(page[i + 1]) <= cutoff) due.push(page[i]!);
    const missing: Array<{ maHoSo: string; generation: number }> = [];
    if (due.length === 0) return { nextOffset, missing };
    const read = this.redis.pipeline();
    for (const m of due) read.hget(k.dossier(m), 'g');
    const generations = ((await read.exec()) ?? []).map(([, g]) => (typeof g === 'string' ? g : '0'));
    const check = this.redis.pipeline();
    const scripted = check as unknown as Pick<ScriptedRedis, 'gwReconcile'>;
    due.forEach((m, i) => void scripted.gwReconcile(k.dossier(m), k.lease(m), `${k.jobPrefix()}g${generations[i]}-${m}`, generations[i]!));
    const results = (await check.exec()) ?? [];
    results.forEach(([err, g], i) => {
      if (err) throw err;
      if (Number(g) > 0) missing.push({ maHoSo: due[i]!, generation: Number(g) });
    });
    return { nextOffset, missing };
  }

  /** Adds direct deliveries that ended (src/sync/direct.ts) to a minute's bucket, kept two hours. */
  async countDirect(counts: { completed: number; failed: number }, nowMs = Date.now()): Promise<void> {
    const minute = nowMs - (nowMs % 60_000);
    const key = this.keys.directMinute(minute);
    const write = this.redis.multi();
    if (counts.completed > 0) write.hincrby(key, 'completed', counts.completed);
    if (counts.failed > 0) write.hincrby(key, 'failed', counts.failed);
    await write.pexpireat(key, minute + DIRECT_BUCKET_KEEP_MS).exec();
  }

  /**
   * Direct deliveries that ended in the last full minute and in the last hour (this minute and the 59
   * before it), for the queue's figures:
   * they finished without a job, so BullMQ's counts and metrics do not see them.
   */
  async directFigures(nowMs = Date.now()): Promise<{ lastMinute: { completed: number; failed: number }; lastHour: { completed: number; failed: number } }> {
    const current = nowMs - (nowMs % 60_000);
    const read = this.redis.pipeline();
    for (let i = 0; i < 60; i++) read.hmget(this.keys.directMinute(current - i * 60_000), 'completed', 'failed');
    const rows = ((await read.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      const [c, f] = v as [string | null, string | null];
      return { completed: Number(c ?? 0), failed: Number(f ?? 0) };
    });
    const lastHour = rows.reduce((a, r) => ({ completed: a.completed + r.completed, failed: a.failed + r.failed }), { completed: 0, failed: 0 });
    return { lastMinute: rows[1] ?? { completed: 0, failed: 0 }, lastHour };
  }

  /** Age in seconds of the oldest accepted revision not yet delivered (dead letters excluded); 0 when none. */
  async syncLagSeconds(nowMs = Date.now()): Promise<number> {
    const oldest = await this.redis.zrange(this.keys.lag, 0, 0, 'WITHSCORES');
    if (oldest.length < 2) return 0;
    return Math.max(0, (nowMs - Number(oldest[1])) / 1000);
  }

  async undeliveredCount(): Promise<number> {
    return this.redis.zcard(this.keys.lag);
  }

  async deadLetterCount(): Promise<number> {
    return this.redis.zcard(this.keys.deadLetterIndex);
  }

  /** Newest first. The cursor is the position marker of the last letter returned. */
  async deadLetters(limit: number, cursor?: string): Promise<{ items: DeadLetter[]; nextCursor: string | null }> {
    const max = cursor === undefined ? '+inf' : `(${cursor}`;
    const flat = await this.redis.zrevrangebyscore(this.keys.deadLetterIndex, max, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1);
    const ids: string[] = [];
    const scores: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      ids.push(flat[i]!);
      scores.push(flat[i + 1]!);
    }
    const more = ids.length > limit;
    const page = ids.slice(0, limit);
    const raws = page.length ? await this.redis.hmget(this.keys.deadLetters, ...page) : [];
    const items = raws.filter((r): r is string => r !== null).map(publicLetter);
    return { items, nextCursor: more ? scores[limit - 1]! : null };
  }

  async allDeadLetters(): Promise<DeadLetter[]> {
    const raws = await this.redis.hvals(this.keys.deadLetters);
    return raws.map(publicLetter);
  }

  /** Re-queues one letter; null when no such letter exists. */
  async replay(id: string, by: string, nowMs = Date.now()): Promise<{ maHoSo: string; generation: number } | null> {
    const raw = await this.redis.hget(this.keys.deadLetters, id);
    if (raw === null) return null;
    const letter = publicLetter(raw);
    const m = letter.maHoSo;
    const k = this.keys;
    const record: ReplayRecord = { at: new Date(nowMs).toISOString(), by, letterId: id, maHoSo: m, kind: letter.kind };
    const [found, generation] = await this.redis.gwReplay(
      k.dossier(m), k.progress(m), k.progressOrder(m), k.progressAcked(m), k.deadLetterIndex, k.deadLetters, k.lag, k.replayLog, k.outbox,
      id, String(nowMs), JSON.stringify(record), this.outboxFlag, by,
    );
    if (found === -1) return null;
    return { maHoSo: m, generation: Number(generation) };
  }

  async replays(limit = 100): Promise<ReplayRecord[]> {
    const raws = await this.redis.lrange(this.keys.replayLog, 0, limit - 1);
    return raws.map((r) => JSON.parse(r) as ReplayRecord);
  }
}

/**
 * A step as stored: its JSON without the three fields its key and its dossier already give (MaHoSo,
 * ThoiDiemXuLy, TrangThai), about 80 bytes less per waiting step.
 */
function encodeStep(item: ProgressItem): string {
  const { MaHoSo: _m, ThoiDiemXuLy: _t, TrangThai: _s, ...rest } = item;
  return JSON.stringify(rest);
}

/** A pending step as stored: key `ThoiDiemXuLy|TrangThai`, value `revision|step JSON` (encodeStep). */
function parsePending(m: string, key: string, value: string): PendingProgress {
  const bar = value.indexOf('|');
  const rest = value.slice(bar + 1);
  const k = key.indexOf('|');
  const status = key.slice(k + 1);
  // Steps stored whole (before encodeStep) repeat these fields; JSON.parse keeps their last value, the same.
  const head = `{"MaHoSo":${JSON.stringify(m)},"ThoiDiemXuLy":${JSON.stringify(key.slice(0, k))},"TrangThai":${/^-?\d+$/.test(status) ? status : JSON.stringify(status)}`;
  const text = rest === '{}' ? `${head}}` : `${head},${rest.slice(1)}`;
  return { key, revision: Number(value.slice(0, bar)), item: parseJson(text) as ProgressItem, raw: value };
}

function newLetterId(): string {
  return `dl-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function publicLetter(raw: string): DeadLetter {
  const { id, maHoSo, revision, kind, reason, attempts, failedAt } = JSON.parse(raw) as DeadLetter;
  return { id, maHoSo, revision, kind, reason, attempts, failedAt };
}
