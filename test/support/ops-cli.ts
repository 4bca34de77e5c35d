/** Runs `scripts/ops-cli.ts` as an operator would, against a test gateway, and collects what it printed. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run ops -- --url <url> [--key <key>] <args>`; `key` null sends none. GATEWAY_URL and
 * GATEWAY_API_KEY are removed from its environment so only the flags given count.
 */
export function runOpsCli(url: string, key: string | null, args: string[]): Promise<CliRun> {
  const env = { ...process.env };
  delete env.GATEWAY_URL;
  delete env.GATEWAY_API_KEY;
  const globals = ['--url', url, ...(key === null ? [] : ['--key', key])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/ops-cli.ts', ...globals, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
