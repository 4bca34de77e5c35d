/**
 * Starts a whole gateway in-process for a test: its own Redis key prefix, its own upstream
 * simulators on free ports, its own clients file; `stop()` removes every key it wrote.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { startDvcqgSimulator, type DvcqgSimulator, type DvcqgSimulatorOptions } from '../../adapters/dvcqg/index.js';
import type { DancuSimulator } from '../../adapters/dancu-soap/simulator.js';
import type { DkdnSimulator } from '../../adapters/dkdn-rest/simulator.js';
import { SOURCES } from '../../adapters/sources.js';
import type { SourceSimulator } from '../../src/lookup/source.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { redisUrl, testRedis, uniquePrefix } from './redis.js';

export const KEYS = {
  sync: 'key-sync-0123456789',
  lookup: 'key-lookup-0123456789',
  ops: 'key-ops-0123456789',
  opsRead: 'key-opsread-0123456789',
  kpi: 'key-kpi-0123456789',
  all: 'key-all-0123456789',
};

export function clientsFile(extra: readonly Record<string, unknown>[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-clients-'));
  const path = join(dir, 'clients.json');
  writeFileSync(
    path,
    JSON.stringify([
      { name: 'procedure-system', apiKey: KEYS.sync, roles: ['sync'] },
      { name: 'officer-tool', apiKey: KEYS.lookup, roles: ['lookup'] },
      { name: 'ops-staff', apiKey: KEYS.ops, roles: ['ops'] },
      { name: 'monitoring', apiKey: KEYS.opsRead, roles: ['ops-read'] },
      { name: 'city-office', apiKey: KEYS.kpi, roles: ['kpi'] },
      { name: 'everything', apiKey: KEYS.all, roles: ['sync', 'lookup', 'ops'] },
      ...extra,
    ]),
  );
  return path;
}

export interface TestGateway {
  gateway: Gateway;
  portal: DvcqgSimulator;
  /** Every sector source's simulator, by source name. */
  sims: Record<string, SourceSimulator>;
  citizens: DancuSimulator;
  businesses: DkdnSimulator;
  url: string;
  prefix: string;
  config: Config;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestGateway(
  options: {
    env?: Record<string, string>;
    portal?: DvcqgSimulatorOptions;
    portalSim?: DvcqgSimulator;
    prefix?: string;
    /** More entries of the clients file, beside those of KEYS. */
    clients?: readonly Record<string, unknown>[];
    /** The gateway's logger; default a silent one (TEST_LOG_LEVEL to see it). */
    logger?: Logger;
  } = {},
): Promise<TestGateway> {
  const prefix = options.prefix ?? uniquePrefix('gw');
  const portal = options.portalSim ?? (await startDvcqgSimulator({ port: 0, seed: 7, ...options.portal }));
  const sims: Record<string, SourceSimulator> = {};
  const simEnv: Record<string, string> = {};
  for (const source of SOURCES) {
    const sim = await source.simulator.start({ port: 0, seed: 7 });
    sims[source.name] = sim;
    Object.assign(simEnv, source.simulator.env(sim));
  }
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    GATEWAY_CLIENTS_FILE: clientsFile(options.clients),
    DVCQG_AUTH_URL: portal.authUrl,
    DVCQG_API_URL: portal.apiUrl,
    DVCQG_TIMEOUT_MS: '2000',
    ...simEnv,
    SYNC_BACKOFF_BASE_MS: '50',
    SYNC_BACKOFF_MAX_MS: '400',
    SYNC_RECONCILE_INTERVAL_MS: '1000',
    SYNC_LEASE_MS: '5000',
    SHUTDOWN_GRACE_MS: '3000',
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  const config = loadConfig(env);
  const gateway = await startGateway(config, { logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  const { cleanup } = testRedis(prefix);
  return {
    gateway,
    portal,
    sims,
    citizens: sims.dancu as DancuSimulator,
    businesses: sims.dkdn as DkdnSimulator,
    url: `http://127.0.0.1:${gateway.port}`,
    prefix,
    config,
    env,
    stop: async () => {
      await gateway.stop();
      if (!options.portalSim) await portal.close();
      await Promise.all(Object.values(sims).map((sim) => sim.close()));
      await cleanup();
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function api(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
