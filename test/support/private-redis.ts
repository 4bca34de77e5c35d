/**
 * A redis-server of one test alone, on a free loopback port, so the test can kill it, fill it or
 * restart it empty without disturbing anyone else. Stopped by its pid; killed on exit if the test
 * process ends first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/free-port.js';

const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of live) if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  });
}

export class PrivateRedis {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  /** Started without persistence (a restart comes back empty) unless `args` say otherwise. */
  static async start(args: string[] = []): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), args);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** A client for the test itself (not the gateway's). */
  client(): Redis {
    const c = new Redis(this.url, { maxRetriesPerRequest: 1, connectTimeout: 1_000 });
    c.on('error', () => undefined);
    return c;
  }

  async start(): Promise<void> {
    hookExit();
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.args], { stdio: 'ignore' });
    this.child = child;
    live.add(child);
    child.once('exit', () => {
      live.delete(child);
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
      } finally {
        probe.disconnect();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: gone at once, its data with it. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGSTOP / SIGCONT: the server keeps its connections but answers nothing. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }
}
