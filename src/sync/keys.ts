/**
 * Redis key layout of the sync state, all under QUEUE_PREFIX so several gateways or test runs can
 * share one Redis. Per dossier: a small hash of counters (kept in listpack encoding: no long values),
 * its latest data as a string, pending progress (a hash of steps and their order by revision), and the
 * set of progress keys the portal acknowledged. With a hash-tagged prefix (`{gw}`) every key of the
 * gateway, BullMQ's included, falls in one Redis Cluster slot, as the Lua commands need.
 * docs/sync-state.md describes each key and field.
 */
export const QUEUE_NAME = 'dossier-sync';

export class SyncKeys {
  constructor(readonly prefix: string) {}

  dossier(m: string): string {
    return `${this.prefix}:sync:d:${m}`;
  }
  data(m: string): string {
    return `${this.prefix}:sync:data:${m}`;
  }
  /** Pending steps: `ThoiDiemXuLy|TrangThai` → `revision|item JSON`. */
  progress(m: string): string {
    return `${this.prefix}:sync:ph:${m}`;
  }
  /** The same step keys, scored by the revision they wait for. */
  progressOrder(m: string): string {
    return `${this.prefix}:sync:pz:${m}`;
  }
  progressAcked(m: string): string {
    return `${this.prefix}:sync:pa:${m}`;
  }
  lease(m: string): string {
    return `${this.prefix}:sync:lease:${m}`;
  }
  /**
   * Dossiers with undelivered accepted work (not dead), scored by when the oldest undelivered revision
   * was accepted: the sync lag, and where the reconciler looks for work without a job.
   */
  get lag(): string {
    return `${this.prefix}:sync:lag`;
  }
  get deadLetterIndex(): string {
    return `${this.prefix}:sync:dl`;
  }
  get deadLetters(): string {
    return `${this.prefix}:sync:dlh`;
  }
  get deadLetterSeq(): string {
    return `${this.prefix}:sync:dlseq`;
  }
  get replayLog(): string {
    return `${this.prefix}:sync:replays`;
  }
  /** Direct deliveries (src/sync/direct.ts) that ended in the minute starting at `minuteMs`: fields `completed`, `failed`. */
  directMinute(minuteMs: number): string {
    return `${this.prefix}:sync:direct:${minuteMs}`;
  }
  /** The outbox stream (docs/outbox.md). */
  get outbox(): string {
    return `${this.prefix}:outbox`;
  }
  /** BullMQ's hash of one job, to check from Lua whether a delivery job still exists. */
  jobPrefix(): string {
    return `${this.prefix}:${QUEUE_NAME}:`;
  }
}

/** Delivery job ids: one per (dossier, generation); a generation starts each time a dossier gets work. */
export function jobId(m: string, generation: number): string {
  return `g${generation}-${m}`;
}
