/**
 * Runs every upstream simulator (`npm run simulators`): DVCQG on 7001, the population DB on 7002 and
 * the business registry on 7003 by default, with the credentials the gateway's defaults use. Each
 * is controlled over HTTP at /_sim/ (faults, state, reset). Ctrl-C stops them.
 */
import { startDancuSimulator } from '../adapters/dancu-soap/simulator.js';
import { startDkdnSimulator } from '../adapters/dkdn-rest/simulator.js';
import { startDvcqgSimulator } from '../adapters/dvcqg/index.js';

export async function startSimulators(env: NodeJS.ProcessEnv = process.env) {
  const host = env.SIMULATOR_HOST ?? '127.0.0.1';
  const dvcqg = await startDvcqgSimulator({ host, port: Number(env.DVCQG_SIM_PORT ?? 7001) });
  const dancuPort = Number(env.DANCU_SIM_PORT ?? 7002);
  const dancu = await startDancuSimulator({ host, port: dancuPort, ...(env.DANCU_URL ? { endpointUrl: env.DANCU_URL } : {}) });
  const dkdn = await startDkdnSimulator({ host, port: Number(env.DKDN_SIM_PORT ?? 7003), generate: true });
  return {
    dvcqg,
    dancu,
    dkdn,
    close: () => Promise.all([dvcqg.close(), dancu.close(), dkdn.close()]).then(() => undefined),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sims = await startSimulators();
  console.log(`DVCQG portal simulator      ${sims.dvcqg.url}   (login ${sims.dvcqg.authUrl}, api ${sims.dvcqg.apiUrl})`);
  console.log(`population DB (SOAP)        ${sims.dancu.url}`);
  console.log(`business registry (REST)    ${sims.dkdn.url}`);
  console.log('control each at /_sim/state, /_sim/faults (POST JSON), /_sim/reset; Ctrl-C stops');
  const stop = () => void sims.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
