/**
 * A private Redis high-availability set for a test: one master, its replicas and Sentinels, each a real
 * `redis-server` process on a free loopback port, their files in a temporary directory. Every process is
 * stopped by its pid in `stop()`, and, should the test process end without calling it, in an exit hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/free-port.js';
import { redisAnswers } from '../../scripts/ensure-redis.js';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export interface RedisProcess {
  role: 'master' | 'replica' | 'sentinel';
  port: number;
  child: ChildProcess;
  paused: boolean;
}

export interface RedisHaOptions {
  replicas?: number;
  sentinels?: number;
  masterName?: string;
  /** Sentinel `down-after-milliseconds`: how long a master may be silent before it is thought down. */
  downAfterMs?: number;
  /** Sentinel `failover-timeout`. */
  failoverTimeoutMs?: number;
  /** Extra `redis-server` settings for the data nodes, e.g. `['appendonly', 'yes']`. */
  dataNodeArgs?: string[];
}

/** Every pid any cluster of this process started and has not yet stopped, killed if the process exits first. */
const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const child of live) {
      // A paused process ignores SIGKILL only until it is continued; SIGKILL is delivered regardless.
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    live.clear();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

const answers = (port: number): Promise<boolean> => redisAnswers(`redis://127.0.0.1:${port}`);

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class RedisHaCluster {
  readonly masterName: string;
  readonly processes: RedisProcess[] = [];
  private readonly dir: string;

  private constructor(private readonly options: Required<RedisHaOptions>) {
    this.masterName = options.masterName;
    this.dir = mkdtempSync(join(tmpdir(), 'gw-redis-ha-'));
  }

  static async start(options: RedisHaOptions = {}): Promise<RedisHaCluster> {
    const cluster = new RedisHaCluster({
      replicas: 2,
      sentinels: 3,
      masterName: 'mymaster',
      downAfterMs: 1_000,
      failoverTimeoutMs: 2_000,
      dataNodeArgs: [],
      ...options,
    });
    hookExit();
    try {
      await cluster.boot();
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** `host:port,…` of the Sentinels, as REDIS_SENTINELS takes it. */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  get sentinels(): RedisProcess[] {
    return this.processes.filter((p) => p.role === 'sentinel');
  }

  /** Data nodes (master and replicas) still running, by the role they were started in. */
  get dataNodes(): RedisProcess[] {
    return this.processes.filter((p) => p.role !== 'sentinel' && p.child.exitCode === null && p.child.signalCode === null);
  }

  /** The port the Sentinels name as master now. */
  async masterPort(): Promise<number> {
    for (const s of this.sentinels) {
      const client = new Redis({ port: s.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
      client.on('error', () => undefined);
      try {
        const addr = (await client.call('SENTINEL', 'get-master-addr-by-name', this.masterName)) as [string, string] | null;
        if (addr) return Number(addr[1]);
      } catch {
        // Try the next Sentinel.
      } finally {
        client.disconnect();
      }
    }
    throw new Error('redis cluster: no Sentinel names a master');
  }

  /** The running data node the Sentinels name as master. */
  async master(): Promise<RedisProcess> {
    const port = await this.masterPort();
    const node = this.dataNodes.find((p) => p.port === port);
    if (!node) throw new Error(`redis cluster: the master the Sentinels name (port ${port}) is not running`);
    return node;
  }

  /** Running data nodes other than the current master. */
  async replicas(): Promise<RedisProcess[]> {
    const port = await this.masterPort();
    return this.dataNodes.filter((p) => p.port !== port);
  }

  /** A plain connection to one node (the caller disconnects it). */
  connect(node: RedisProcess): Redis {
    const client = new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  }

  /** SIGKILLs the current master and waits until the Sentinels name another, running node. */
  async killMasterAndAwaitFailover(timeoutMs = 30_000): Promise<{ oldPort: number; newPort: number }> {
    const old = await this.master();
    await this.kill(old);
    await until('failover', async () => {
      try {
        const port = await this.masterPort();
        return port !== old.port && this.dataNodes.some((p) => p.port === port);
      } catch {
        return false;
      }
    }, timeoutMs);
    return { oldPort: old.port, newPort: await this.masterPort() };
  }

  /**
   * `SENTINEL FAILOVER`: the master is demoted while it keeps running; waits until another node is master.
   * Asked again every few seconds: a Sentinel refuses or abandons it while no replica looks fit yet.
   */
  async manualFailover(timeoutMs = 45_000): Promise<{ oldPort: number; newPort: number }> {
    const oldPort = await this.masterPort();
    let askedAt = 0;
    await until('manual failover', async () => {
      if ((await this.masterPort().catch(() => oldPort)) !== oldPort) return true;
      if (Date.now() - askedAt > 5_000) {
        askedAt = Date.now();
        const sentinel = this.sentinels[0]!;
        const client = new Redis({ port: sentinel.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
        client.on('error', () => undefined);
        await client.call('SENTINEL', 'FAILOVER', this.masterName).catch(() => undefined);
        client.disconnect();
      }
      return false;
    }, timeoutMs);
    return { oldPort, newPort: await this.masterPort() };
  }

  async kill(node: RedisProcess): Promise<void> {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = new Promise((r) => node.child.once('exit', r));
    process.kill(node.child.pid!, 'SIGKILL');
    await exited;
    live.delete(node.child);
  }

  pause(node: RedisProcess): void {
    process.kill(node.child.pid!, 'SIGSTOP');
    node.paused = true;
  }

  resume(node: RedisProcess): void {
    process.kill(node.child.pid!, 'SIGCONT');
    node.paused = false;
  }

  /** Waits until the current master reports this many replicas online and caught up with it. */
  async awaitReplicasInSync(count: number, timeoutMs = 30_000, masterPort?: number): Promise<void> {
    await until(`${count} replicas in sync`, async () => {
      const master = masterPort === undefined ? await this.master().catch(() => null) : this.dataNodes.find((p) => p.port === masterPort);
      if (!master) return false;
      const client = this.connect(master);
      try {
        const info = await client.info('replication');
        const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? -1);
        const synced = [...info.matchAll(/slave\d+:ip=[^,]+,port=\d+,state=online,offset=(\d+)/g)].filter((m) => Number(m[1]) >= offset);
        return synced.length >= count;
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    }, timeoutMs);
  }

  /** Stops every process it started (continuing paused ones first so they can exit), and removes its files. */
  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(async (p) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return;
        const exited = new Promise((r) => p.child.once('exit', r));
        try {
          if (p.paused) process.kill(p.child.pid!, 'SIGCONT');
          process.kill(p.child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
        await exited;
        live.delete(p.child);
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async boot(): Promise<void> {
    const o = this.options;
    const masterPort = await this.startDataNode('master', null);
    for (let i = 0; i < o.replicas; i++) await this.startDataNode('replica', masterPort);
    await this.awaitReplicasInSync(o.replicas, 30_000, masterPort);
    for (let i = 0; i < o.sentinels; i++) await this.startSentinel(masterPort);
    // Ready once every Sentinel has discovered every replica and the other Sentinels.
    await until('Sentinels discovering the set', async () => {
      for (const s of this.sentinels) {
        const client = new Redis({ port: s.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined);
        try {
          const master = (await client.call('SENTINEL', 'master', this.masterName)) as string[];
          const fields = new Map<string, string>();
          for (let i = 0; i < master.length; i += 2) fields.set(master[i]!, master[i + 1]!);
          if (Number(fields.get('num-slaves')) < o.replicas || Number(fields.get('num-other-sentinels')) < o.sentinels - 1) return false;
        } catch {
          return false;
        } finally {
          client.disconnect();
        }
      }
      return true;
    }, 30_000);
  }

  private async startDataNode(role: 'master' | 'replica', masterPort: number | null): Promise<number> {
    const port = await freePort();
    const dir = join(this.dir, `redis-${port}`);
    mkdirSync(dir);
    const lines = [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'save ""',
      'appendonly no',
      'maxmemory-policy noeviction',
      // Quick full syncs: replicas start empty and a promoted replica re-syncs the other one.
      'repl-diskless-sync yes',
      'repl-diskless-sync-delay 0',
      'repl-diskless-load on-empty-db',
      ...(masterPort === null ? [] : [`replicaof 127.0.0.1 ${masterPort}`]),
    ];
    for (let i = 0; i + 1 < this.options.dataNodeArgs.length; i += 2) lines.push(`${this.options.dataNodeArgs[i]} ${this.options.dataNodeArgs[i + 1]}`);
    const file = join(dir, 'redis.conf');
    writeFileSync(file, lines.join('\n') + '\n');
    await this.spawn(role, port, [file]);
    return port;
  }

  private async startSentinel(masterPort: number): Promise<void> {
    const port = await freePort();
    const dir = join(this.dir, `sentinel-${port}`);
    mkdirSync(dir);
    const o = this.options;
    const quorum = Math.floor(o.sentinels / 2) + 1;
    const file = join(dir, 'sentinel.conf');
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${o.masterName} 127.0.0.1 ${masterPort} ${quorum}`,
        `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMs}`,
        `sentinel failover-timeout ${o.masterName} ${o.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${o.masterName} 1`,
      ].join('\n') + '\n',
    );
    // Sentinel rewrites its file (discovered nodes, epochs), so it must be writable: it is, in the temp dir.
    await this.spawn('sentinel', port, [file, '--sentinel']);
  }

  private async spawn(role: RedisProcess['role'], port: number, args: string[]): Promise<void> {
    const child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    live.add(child);
    const node: RedisProcess = { role, port, child, paused: false };
    this.processes.push(node);
    child.once('exit', () => live.delete(child));
    await until(`${role} on port ${port} answering`, async () => {
      if (child.exitCode !== null) throw new Error(`redis cluster: ${role} on port ${port} exited with ${child.exitCode}`);
      return answers(port);
    }, 10_000);
  }
}
