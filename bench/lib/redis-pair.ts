/**
 * A private Redis master with one replica for a benchmark: two `redis-server` processes on free loopback
 * ports (no persistence, data in a temporary directory), stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/free-port.js';

export interface RedisPair {
  masterUrl: string;
  replicaPort: number;
  stop(): Promise<void>;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`redis pair: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisPair(): Promise<RedisPair> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-pair-'));
  const children: ChildProcess[] = [];
  const start = (port: number, extra: string[]) => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `dump-${port}.rdb`, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...extra], { stdio: 'ignore' });
    children.push(child);
  };
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            process.kill(c.pid!, 'SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const masterPort = await freePort();
    start(masterPort, []);
    const replicaPort = await freePort();
    start(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort), '--repl-diskless-load', 'on-empty-db']);
    const master = new Redis({ port: masterPort, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: (t) => Math.min(t * 100, 500) });
    master.on('error', () => undefined);
    try {
      await until('the replica in sync', async () => /slave0:.*state=online/.test(await master.info('replication')));
    } finally {
      master.disconnect();
    }
    return { masterUrl: `redis://127.0.0.1:${masterPort}`, replicaPort, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
