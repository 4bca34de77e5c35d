/**
 * The entries of the outbox stream (docs/outbox.md "Entry fields") as the drainer hands them to the
 * handlers. Fields are read as bytes because `x` is the packed dossier; the others are text.
 */
export const outboxKey = (prefix: string): string => `${prefix}:outbox`;

export type OutboxEventType = 'accepted' | 'delivered' | 'progress_delivered' | 'dead_letter' | 'replayed' | 'drift' | 'repaired' | (string & {});

export interface OutboxEvent {
  /** The stream entry id `<ms>-<seq>`: the event's identity and order. */
  id: string;
  type: OutboxEventType;
  maHoSo: string;
  revision: number;
  /** Milliseconds since the epoch of the state change. */
  at: number;
  /** `accepted`: the packed dossier data of this revision (decode with unpackDossier). */
  data: Buffer | null;
  /** `accepted`: `[ThoiDiemXuLy, TrangThai]` of the progress items this revision added. */
  progress: Array<[string, unknown]>;
  /** The event's detail (`d`), parsed; null when absent or not JSON. */
  detail: unknown;
}

export type RawEntry = [Buffer, Buffer[]];

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function parseEntry([rawId, fields]: RawEntry): OutboxEvent {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString('utf8'), fields[i + 1]!);
  const text = (k: string) => map.get(k)?.toString('utf8');
  const id = rawId.toString('utf8');
  const revision = Number(text('r'));
  const at = Number(text('at'));
  const g = parseJson(text('g'));
  return {
    id,
    type: text('t') ?? 'unknown',
    maHoSo: text('m') ?? '',
    revision: Number.isSafeInteger(revision) ? revision : 0,
    // An entry without `at` is dated by its id, which Redis took from its clock when it was written.
    at: Number.isFinite(at) && at > 0 ? at : Number(id.split('-')[0]),
    data: map.get('x') ?? null,
    progress: Array.isArray(g) ? g.filter((p): p is [string, unknown] => Array.isArray(p) && typeof p[0] === 'string') : [],
    detail: parseJson(text('d')),
  };
}

/** Milliseconds part of a stream id: when Redis appended the entry. */
export function entryTime(id: string): number {
  return Number(id.split('-')[0]);
}
