/**
 * Replica confirmation on real processes (a master and one replica): a confirmed write is on the replica
 * when it resolves, even when its script had to be resent as EVAL behind the WAIT (NOSCRIPT after a
 * failover or a SCRIPT FLUSH); with the replica paused it is refused, and unconfirmed outcomes pass.
 */
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createConfirmedWrites, WriteNotConfirmed, type ReplicaConfirmedWrites } from '../src/redis/durability.js';
import { RedisHaCluster } from './support/redis-cluster.js';

interface Scripted extends Redis {
  gwTestSet(key: string, value: string): Promise<string>;
}

let cluster: RedisHaCluster;
let writes: ReplicaConfirmedWrites;
let master: Redis;
let replica: Redis;

beforeAll(async () => {
  // Generous: on a loaded machine a replica's acknowledgement can take a few hundred milliseconds.
  cluster = await RedisHaCluster.start({ replicas: 1, sentinels: 0 });
  const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${cluster.dataNodes[0]!.port}`, REDIS_MIN_REPLICAS_ACK: '1', REDIS_REPLICA_ACK_TIMEOUT_MS: '2000' });
  writes = createConfirmedWrites(config.redis, pino({ level: 'silent' }), null, 2)!;
  for (const c of writes.connections) c.defineCommand('gwTestSet', { numberOfKeys: 1, lua: "redis.call('SET', KEYS[1], ARGV[1]) return 'ok'" });
  master = cluster.connect(cluster.dataNodes[0]!);
  replica = cluster.connect(cluster.dataNodes[1]!);
});

afterAll(async () => {
  await writes?.close();
  master?.disconnect();
  replica?.disconnect();
  await cluster?.stop();
});

describe('ReplicaConfirmedWrites', () => {
  it('resolves only once the replica holds the write, also when the script is resent after NOSCRIPT', async () => {
    for (let i = 0; i < 20; i++) {
      if (i % 5 === 0) await master.script('FLUSH');
      const result = await writes.run((r) => (r as Scripted).gwTestSet(`k${i}`, `v${i}`), () => true);
      expect(result).toBe('ok');
      expect(await replica.get(`k${i}`)).toBe(`v${i}`);
    }
  });

  it('refuses with store_unavailable while the replica cannot confirm, and lets unconfirmed outcomes through', async () => {
    const node = cluster.dataNodes[1]!;
    cluster.pause(node);
    try {
      const refused = await writes.run((r) => (r as Scripted).gwTestSet('paused', '1'), () => true).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WriteNotConfirmed);
      expect((refused as WriteNotConfirmed).code).toBe('store_unavailable');
      expect((refused as Error).message).toMatch(/not confirmed within 2000 ms \(held by 0 of 1 replica/);
      // The write itself stays on the master: a resend will find it (and answer duplicate).
      expect(await master.get('paused')).toBe('1');
      expect(await writes.run((r) => (r as Scripted).gwTestSet('unconfirmed', '1'), () => false)).toBe('ok');
    } finally {
      cluster.resume(node);
    }
  });
});
