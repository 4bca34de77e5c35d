/**
 * Runs every upstream simulator (`npm run simulators`): DVCQG on 7001 and each sector source of
 * adapters/sources.ts on its own default port (population DB 7002, business registry 7003,
 * civil-status registry 7004), with the credentials the gateway's defaults use. Each is controlled
 * over HTTP at /_sim/ (faults, state, reset). `<NAME>_SIM_PORT` moves one (0: a free port). Ctrl-C stops them.
 */
import { startDvcqgSimulator } from '../adapters/dvcqg/index.js';
import { SOURCES } from '../adapters/sources.js';
import type { SourceSimulator } from '../src/lookup/source.js';

export interface RunningSimulators {
  dvcqg: Awaited<ReturnType<typeof startDvcqgSimulator>>;
  /** Each sector source's simulator, by source name. */
  sources: Record<string, SourceSimulator>;
  /** The variables that point a gateway at these simulators. */
  env: Record<string, string>;
  close(): Promise<void>;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[`${name.toUpperCase()}_SIM_PORT`];
  return raw === undefined || raw === '' ? fallback : Number(raw);
}

export async function startSimulators(env: NodeJS.ProcessEnv = process.env): Promise<RunningSimulators> {
  const host = env.SIMULATOR_HOST ?? '127.0.0.1';
  const dvcqg = await startDvcqgSimulator({ host, port: port(env, 'dvcqg', 7001) });
  const sources: Record<string, SourceSimulator> = {};
  const gatewayEnv: Record<string, string> = { DVCQG_AUTH_URL: dvcqg.authUrl, DVCQG_API_URL: dvcqg.apiUrl };
  try {
    for (const source of SOURCES) {
      const sim = await source.simulator.start({ host, port: port(env, source.name, source.simulator.defaultPort), generate: true });
      sources[source.name] = sim;
      Object.assign(gatewayEnv, source.simulator.env(sim));
    }
  } catch (error) {
    await Promise.allSettled([dvcqg.close(), ...Object.values(sources).map((s) => s.close())]);
    throw error;
  }
  return {
    dvcqg,
    sources,
    env: gatewayEnv,
    close: () => Promise.all([dvcqg.close(), ...Object.values(sources).map((s) => s.close())]).then(() => undefined),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sims = await startSimulators();
  console.log(`${'DVCQG portal'.padEnd(44)} ${sims.dvcqg.url}   (login ${sims.dvcqg.authUrl}, api ${sims.dvcqg.apiUrl})`);
  for (const source of SOURCES) console.log(`${`${source.label.en} (${source.name})`.padEnd(44)} ${sims.sources[source.name]!.url}`);
  console.log('control each at /_sim/state, /_sim/faults (POST JSON), /_sim/reset; Ctrl-C stops');
  const stop = () => void sims.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
