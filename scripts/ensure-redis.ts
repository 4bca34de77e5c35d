/**
 * Finds a Redis to use: the one at `url` when it answers PING, otherwise a `redis-server` started
 * from PATH on a free loopback port (no persistence) and stopped by `stop()`. Without either, fails
 * with one line saying how to get one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface RedisHandle {
  url: string;
  started: boolean;
  stop(): Promise<void>;
}

/** Whether a Redis answers PING at `url` within a second; never throws. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}


export async function ensureRedis(url = 'redis://127.0.0.1:6379'): Promise<RedisHandle> {
  if (await redisAnswers(url)) return { url, started: false, stop: async () => undefined };
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (which.status !== 0) {
    throw new Error(
      `No Redis answers at ${url} and no redis-server is installed: install one (Debian: apt-get install redis-server) or set REDIS_URL.`,
    );
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  const localUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await redisAnswers(localUrl)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await redisAnswers(localUrl))) {
    child.kill('SIGKILL');
    throw new Error(`redis-server started on port ${port} but does not answer`);
  }
  return {
    url: localUrl,
    started: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
