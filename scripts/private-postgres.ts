/**
 * A throw-away PostgreSQL server from the installed binaries (/usr/lib/postgresql/<v>/bin): initdb
 * into a temp directory, pg_ctl on a free loopback port, trust auth for user postgres. For the demo
 * and for tests that stop and start PostgreSQL; never for production (fsync is off).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface PrivatePostgres {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (fast shutdown); `start()` starts it again on the same port with the same data. */
  stop(): void;
  start(): void;
  /** Stops it and deletes its data. */
  destroy(): void;
}

export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** initdb refuses to run as root: then it runs as the `postgres` system user, which owns the directory. */
function runner(): { run(bin: string, args: string[]): void; chown(path: string): void } {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) return { run: (bin, args) => void execFileSync(bin, args, { stdio: 'pipe' }), chown: () => undefined };
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return {
    run: (bin, args) => void execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' }),
    chown: (path) => chownSync(path, uid, gid),
  };
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql/*/bin (install Debian\'s postgresql)');
  const { run, chown } = runner();
  const dir = mkdtempSync(join(tmpdir(), 'gw-pg-'));
  chown(dir);
  const data = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = () => run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = () => {
    try {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
    } catch {
      /* already stopped */
    }
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    start,
    stop,
    destroy: () => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
