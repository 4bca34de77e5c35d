/**
 * The replication state of the Redis a connection reaches (`INFO replication`), as readiness and the
 * `redis_replicas_missing` alert report it.
 */
import type { Redis } from 'ioredis';

/** Replicas acknowledge their offset every second; one silent for longer than this is not counted on. */
const ACK_LAG_LIMIT_SECONDS = 2;

export interface ReplicaState {
  address: string;
  state: string;
  offset: number;
  /** Seconds since the replica last acknowledged. */
  lagSeconds: number;
  /** Online and heard from within the last couple of seconds: a WAIT can count on it. */
  acknowledging: boolean;
}

export interface ReplicationState {
  /** `host:port` of the node the connection is on. */
  address: string | null;
  role: string;
  masterOffset: number;
  replicas: ReplicaState[];
}

export function parseReplicationInfo(info: string): Omit<ReplicationState, 'address'> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  const replicas: ReplicaState[] = [];
  const count = Number(fields.get('connected_slaves') ?? 0);
  for (let n = 0; n < count; n++) {
    const raw = fields.get(`slave${n}`);
    if (!raw) continue;
    const kv = new Map(raw.split(',').map((p) => p.split('=') as [string, string]));
    const lagSeconds = Number(kv.get('lag') ?? 0);
    const state = kv.get('state') ?? 'unknown';
    replicas.push({
      address: `${kv.get('ip') ?? '?'}:${kv.get('port') ?? '?'}`,
      state,
      offset: Number(kv.get('offset') ?? 0),
      lagSeconds,
      acknowledging: state === 'online' && lagSeconds <= ACK_LAG_LIMIT_SECONDS,
    });
  }
  return { role: fields.get('role') ?? 'unknown', masterOffset: Number(fields.get('master_repl_offset') ?? 0), replicas };
}

export async function readReplication(redis: Redis): Promise<ReplicationState> {
  const info = await redis.info('replication');
  const stream = (redis as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  const address = stream?.remoteAddress ? `${stream.remoteAddress}:${stream.remotePort ?? '?'}` : null;
  return { address, ...parseReplicationInfo(info) };
}
