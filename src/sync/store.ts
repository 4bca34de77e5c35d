/**
 * The sync state in Redis: what was accepted, what the portal acknowledged, what is dead. Every
 * change goes through one Lua script (scripts.ts); this class only shapes arguments and answers.
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
import { packDossier, unpackDossier } from './compression.js';
import { SyncKeys } from './keys.js';
import { ACCEPT, BEGIN, RECONCILE, RELEASE, RENEW, REPLAY, SETTLE } from './scripts.js';

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
  progress: PendingProgress[];
}

export type SettleMode = 'commit' | 'retry' | 'hold' | 'yield' | 'rejected' | 'exhausted';

export interface Settlement {
  mode: SettleMode;
  /** The revision whose data the portal acknowledged in this round, if any. */
  ackedRevision?: number;
  ackedProgress?: string[];
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
  gwAccept(...args: Array<string | Buffer>): Promise<[string, string]>;
  gwBeginBuffer(...args: string[]): Promise<[number, ...unknown[]]>;
  gwRenew(...args: string[]): Promise<number>;
  gwRelease(...args: string[]): Promise<number>;
  gwSettle(...args: string[]): Promise<number>;
  gwReplay(...args: string[]): Promise<[number, number]>;
  gwReconcile(...args: string[]): Promise<string[]>;
}

export function defineSyncScripts(redis: Redis): void {
  if ((redis as unknown as Partial<ScriptedRedis>).gwAccept) return;
  redis.defineCommand('gwAccept', { numberOfKeys: 5, lua: ACCEPT });
  redis.defineCommand('gwBegin', { numberOfKeys: 4, lua: BEGIN });
  redis.defineCommand('gwRenew', { numberOfKeys: 1, lua: RENEW });
  redis.defineCommand('gwRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('gwSettle', { numberOfKeys: 9, lua: SETTLE });
  redis.defineCommand('gwReplay', { numberOfKeys: 7, lua: REPLAY });
  redis.defineCommand('gwReconcile', { numberOfKeys: 1, lua: RECONCILE });
}

export class SyncStore {
  readonly keys: SyncKeys;
  private readonly redis: ScriptedRedis;

  /**
   * @param retentionSeconds how long a delivered dossier's state is remembered (to recognise stale
   * resends and answer GET /v1/dossiers); 0 keeps it forever.
   */
  /** How an accept is made sure of before it is answered (replica confirmation, REDIS_MIN_REPLICAS_ACK). */
  private readonly durability: WriteDurability;

  constructor(redis: Redis, prefix: string, private readonly retentionSeconds = 0, durability?: WriteDurability) {
    defineSyncScripts(redis);
    this.durability = durability ?? immediateWrites(redis);
    for (const c of this.durability.connections) defineSyncScripts(c);
    this.redis = redis as unknown as ScriptedRedis;
    this.keys = new SyncKeys(prefix);
  }

  /** Records a revision if it is the highest yet. `generation` > 0 means a delivery job must be added. */
  async accept(rev: DossierRevision, nowMs = Date.now()): Promise<{ outcome: 'accepted' | 'duplicate' | 'stale'; current: number; generation: number }> {
    const m = rev.dossier.MaHoSo;
    const k = this.keys;
    const args: Array<string | Buffer> = [m, String(rev.revision), packDossier(JSON.stringify(rev.dossier)), String(nowMs)];
    for (const item of rev.progress) args.push(progressItemKey(item), `${rev.revision}|${JSON.stringify(item)}`);
    // Only a new acceptance needs confirming: duplicate and stale answers changed nothing.
    const [outcome, value] = await this.durability.run(
      (redis) => (redis as ScriptedRedis).gwAccept(k.dossier(m), k.data(m), k.progress(m), k.progressAcked(m), k.lag, ...args),
      ([o]) => o === 'accepted',
    );
    if (outcome === 'accepted') return { outcome, current: rev.revision, generation: Number(value) };
    return { outcome: outcome as 'duplicate' | 'stale', current: Number(value), generation: 0 };
  }

  async status(m: string): Promise<DossierSyncStatus | null> {
    const [[, h], [, pending]] = (await this.redis
      .multi()
      .hmget(this.keys.dossier(m), 'acc', 'del', 'st', 'att', 'err', 'dat')
      .llen(this.keys.progress(m))
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
    for (const element of flat) progress.push(parseProgressElement(element.toString('utf8')));
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

  /** Applies a round's outcome; true when the dossier has nothing left to deliver (or was given up). */
  async settle(m: string, token: string, s: Settlement): Promise<boolean> {
    const k = this.keys;
    const letterId = s.letter ? newLetterId() : '';
    const letterJson = s.letter ? JSON.stringify({ id: letterId, r: String(s.letter.revision), ...s.letter }) : '';
    const acked = s.ackedProgress ?? [];
    const removed = s.removedProgress ?? [];
    const result = await this.redis.gwSettle(
      k.dossier(m), k.progress(m), k.progressAcked(m), k.lease(m), k.lag, k.deadLetterIndex, k.deadLetters, k.deadLetterSeq, k.data(m),
      m,
      token,
      s.ackedRevision === undefined ? '' : String(s.ackedRevision),
      new Date().toISOString(),
      String(s.readAtMs),
      s.mode,
      s.error ? JSON.stringify({ ...s.error, at: new Date().toISOString() }) : '',
      s.failedDossierRevision === undefined ? '' : String(s.failedDossierRevision),
      letterId,
      letterJson,
      String(this.retentionSeconds),
      String(acked.length),
      ...acked,
      String(removed.length),
      ...removed,
    );
    return result === 1;
  }

  /**
   * Dossiers owed a delivery job that have none, looked for among `limit` members of the lag set from
   * `offset`; each comes back with the generation to enqueue, with the offset to continue from.
   */
  async reconcile(olderThanMs: number, offset = 0, limit = 2_000, nowMs = Date.now()): Promise<{ nextOffset: number; missing: Array<{ maHoSo: string; generation: number }> }> {
    const k = this.keys;
    const [next, ...flat] = await this.redis.gwReconcile(
      k.lag, String(nowMs - olderThanMs), String(offset), String(limit), k.dossier(''), k.jobPrefix(), k.lease(''),
    );
    const missing: Array<{ maHoSo: string; generation: number }> = [];
    for (let i = 0; i < flat.length; i += 2) missing.push({ maHoSo: flat[i]!, generation: Number(flat[i + 1]) });
    return { nextOffset: Number(next), missing };
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
      k.dossier(m), k.progress(m), k.progressAcked(m), k.deadLetterIndex, k.deadLetters, k.lag, k.replayLog,
      id, String(nowMs), JSON.stringify(record),
    );
    if (found === -1) return null;
    return { maHoSo: m, generation: Number(generation) };
  }

  async replays(limit = 100): Promise<ReplayRecord[]> {
    const raws = await this.redis.lrange(this.keys.replayLog, 0, limit - 1);
    return raws.map((r) => JSON.parse(r) as ReplayRecord);
  }
}

/** `ThoiDiemXuLy|TrangThai|revision|item JSON` (see scripts.ts). */
function parseProgressElement(raw: string): PendingProgress {
  const a = raw.indexOf('|');
  const b = raw.indexOf('|', a + 1);
  const c = raw.indexOf('|', b + 1);
  return { key: raw.slice(0, b), revision: Number(raw.slice(b + 1, c)), item: parseJson(raw.slice(c + 1)) as ProgressItem, raw };
}

function newLetterId(): string {
  return `dl-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function publicLetter(raw: string): DeadLetter {
  const { id, maHoSo, revision, kind, reason, attempts, failedAt } = JSON.parse(raw) as DeadLetter;
  return { id, maHoSo, revision, kind, reason, attempts, failedAt };
}
