/** REDIS_SENTINELS, REDIS_SENTINEL_MASTER, REDIS_MIN_REPLICAS_ACK, REDIS_REPLICA_ACK_TIMEOUT_MS, REDIS_WAIT_AOF. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { parseReplicationInfo } from '../src/redis/replication.js';

function error(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('Redis high-availability configuration', () => {
  it('defaults to one Redis and no replica confirmation', () => {
    const { redis } = loadConfig({});
    expect(redis.sentinel).toBeNull();
    expect(redis.durability).toEqual({ minReplicasAck: 0, replicaAckTimeoutMs: 500, waitAof: false });
  });

  it('reads the Sentinel list and the master name', () => {
    const { redis } = loadConfig({
      REDIS_SENTINELS: 'sentinel-1:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_MASTER: 'gw-master',
      REDIS_MIN_REPLICAS_ACK: '1',
      REDIS_REPLICA_ACK_TIMEOUT_MS: '250',
    });
    expect(redis.sentinel).toEqual({
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'gw-master',
      password: undefined,
    });
    expect(redis.durability).toMatchObject({ minReplicasAck: 1, replicaAckTimeoutMs: 250 });
    expect(loadConfig({ REDIS_SENTINELS: 'a:1' }).redis.sentinel?.masterName).toBe('mymaster');
  });

  it('stops on a malformed setting with one line naming it', () => {
    for (const [value, rule] of [
      ['sentinel-1', /"sentinel-1" is not host:port/],
      ['a:1,,b:2', /entry 2 is empty/],
      ['a:0', /port must be 1-65535/],
      ['a:70000', /port must be 1-65535/],
      ['a:1,A:1', /lists A:1 twice/],
      ['::1:26379', /IPv6 host goes in brackets/],
      ['redis://a:1', /not host:port/],
    ] as const) {
      const e = error({ REDIS_SENTINELS: value });
      expect(e.variable).toBe('REDIS_SENTINELS');
      expect(e.message).toMatch(rule);
      expect(e.message).not.toContain('\n');
    }
    expect(error({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'my master' }).variable).toBe('REDIS_SENTINEL_MASTER');
    expect(error({ REDIS_MIN_REPLICAS_ACK: '-1' }).message).toMatch(/^REDIS_MIN_REPLICAS_ACK: must be at least 0/);
    expect(error({ REDIS_MIN_REPLICAS_ACK: 'one' }).variable).toBe('REDIS_MIN_REPLICAS_ACK');
    expect(error({ REDIS_REPLICA_ACK_TIMEOUT_MS: '0' }).message).toMatch(/^REDIS_REPLICA_ACK_TIMEOUT_MS: must be at least 1/);
    expect(error({ REDIS_WAIT_AOF: 'maybe' }).variable).toBe('REDIS_WAIT_AOF');
  });

  it('reads replication state from INFO replication', () => {
    const info = [
      '# Replication',
      'role:master',
      'connected_slaves:2',
      'slave0:ip=127.0.0.1,port=6380,state=online,offset=1234,lag=0',
      'slave1:ip=127.0.0.1,port=6381,state=online,offset=1200,lag=7',
      'master_repl_offset:1234',
      '',
    ].join('\r\n');
    expect(parseReplicationInfo(info)).toEqual({
      role: 'master',
      masterOffset: 1234,
      replicas: [
        { address: '127.0.0.1:6380', state: 'online', offset: 1234, lagSeconds: 0, acknowledging: true },
        { address: '127.0.0.1:6381', state: 'online', offset: 1200, lagSeconds: 7, acknowledging: false },
      ],
    });
  });
});
