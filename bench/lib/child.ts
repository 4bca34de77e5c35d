/**
 * Runs a TypeScript entry point (the gateway's src/main.ts, the baseline forwarder) in its own Node
 * process, so that the system measured does not share an event loop with the load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { httpTarget, send, closeTarget } from './http-client.js';
import { freePort } from '../../scripts/free-port.js';
export { freePort };

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface NodeChild {
  pid: number;
  url: string;
  port: number;
  /** The last lines the child wrote to stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface NodeChildOptions {
  /** Path from the repository root, e.g. `src/main.ts`. */
  script: string;
  /** The child's whole environment, apart from PATH and HOME (the caller's own variables do not leak in). */
  env: Record<string, string>;
  /** A path answering 200 once the child serves. Default `/health/live`. */
  readyPath?: string;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** How long start-up may take. Default 30000 ms. */
  startTimeoutMs?: number;
  label?: string;
}


/** Starts `node [nodeArgs] --import tsx <script>` on a free port (given as PORT) and waits until it answers. */
export async function startNodeChild(options: NodeChildOptions): Promise<NodeChild> {
  const port = await freePort();
  const label = options.label ?? options.script;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env, PORT: String(port), HOST: '127.0.0.1' };
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.script], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));

  const url = `http://127.0.0.1:${port}`;
  const probe = httpTarget(url, 1);
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (gone) throw new Error(`${label} exited during start-up:\n${tail}`);
      if (Date.now() > deadline) throw new Error(`${label} did not answer ${options.readyPath ?? '/health/live'} within the start-up time:\n${tail}`);
      const ok = await send(probe, 'GET', options.readyPath ?? '/health/live', {}, undefined, 1_000).then(
        (a) => a.status === 200,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    closeTarget(probe);
  }

  return {
    pid: child.pid!,
    url,
    port,
    output: () => tail,
    stop: async (graceMs = 20_000) => {
      if (gone) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
